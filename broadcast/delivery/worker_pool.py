"""A channel's sending threads: started, fed, and always ended and joined.

``dispatch`` hands a channel's deliveries to a few threads through a bounded queue. Whatever
stops the hand-out (the end of the list, Ctrl-C, a fault), every thread is then told to end
(one ``None`` each) and waited for, so no thread outlives the send and no lock is left held.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any


def run_with_workers(
    name: str,
    count: int,
    worker: Callable[[], None],
    work: queue.Queue[Any],
    hand_out: Callable[[], None],
) -> None:
    """Run ``hand_out`` (which fills ``work``) while ``count`` threads named
    ``{name}-{i}`` run ``worker`` (which takes from it until a ``None``); then, even when
    ``hand_out`` raised, one ``None`` per thread and a join of each."""
    pool = [threading.Thread(target=worker, name=f"{name}-{i}", daemon=True) for i in range(count)]
    for thread in pool:
        thread.start()
    try:
        hand_out()
    finally:
        for _ in pool:
            work.put(None)
        for thread in pool:
            thread.join()
