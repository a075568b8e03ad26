"""Threads of ours: started, always ended and joined, and never failing unheard.

``dispatch`` hands a channel's deliveries to a few threads through a bounded queue. Whatever
stops the hand-out (the end of the list, Ctrl-C, a fault), every thread is then told to end
(one ``None`` each) and waited for, so no thread outlives the send and no lock is left held.

A thread's exception never reaches Python's default hook, which prints a traceback on the
operator's terminal and lets the run go on as if the thread had finished its work: each thread
here keeps what stopped it, and the thread that waits for them raises it (the first one), so a
full disk met by a worker is the same clear error as one met by the main thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any


class _Caught:
    """The first exception any of a group of threads ended with (the others end the same way,
    or stop because of it)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.first: BaseException | None = None

    def guard(self, target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as exc:  # raised again by the thread that waits
                with self.lock:
                    if self.first is None:
                        self.first = exc

        return run

    def raise_first(self) -> None:
        if self.first is not None:
            raise self.first


def run_threads(name: str, count: int, target: Callable[[], None]) -> None:
    """Run ``target`` in ``count`` threads named ``{name}-{i}`` and wait for all of them;
    the first exception any of them ended with is raised here once all have ended."""
    caught = _Caught()
    pool = [
        threading.Thread(target=caught.guard(target), name=f"{name}-{i}", daemon=True)
        for i in range(count)
    ]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    caught.raise_first()


def run_with_workers(
    name: str,
    count: int,
    worker: Callable[[], None],
    work: queue.Queue[Any],
    hand_out: Callable[[], None],
) -> None:
    """Run ``hand_out`` (which fills ``work``) while ``count`` threads named
    ``{name}-{i}`` run ``worker`` (which takes from it until a ``None``); then, even when
    ``hand_out`` raised, one ``None`` per thread and a join of each. A worker's exception is
    raised here once all have ended (unless ``hand_out`` raised one of its own)."""
    caught = _Caught()
    pool = [
        threading.Thread(target=caught.guard(worker), name=f"{name}-{i}", daemon=True)
        for i in range(count)
    ]
    for thread in pool:
        thread.start()
    try:
        hand_out()
    finally:
        for _ in pool:
            work.put(None)
        for thread in pool:
            thread.join()
    caught.raise_first()
