"""Threads of ours never fail unheard: a worker's exception (a full disk met while recording a
receipt) is raised in the thread that waits for it, so the operator reads the one clear error
the main thread gives, never a traceback from Python's default thread hook.

The guard at the end keeps the rule for threads not written yet: a thread is started in
``delivery/worker_pool.py``, or in one of the few long-lived watchers named below, each of
which catches what its work can raise.
"""

from __future__ import annotations

import ast
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from broadcast.delivery.worker_pool import run_threads, run_with_workers

ROOT = Path(__file__).resolve().parent.parent

# Threads started outside worker_pool, and why each never ends by an exception.
WATCHERS = {
    "broadcast/delivery/dispatch.py": "run_channel catches Exception into the channel's outcome",
    "broadcast/delivery/takeover.py": "watch_for_takeover catches the ledger's faults",
    "broadcast/delivery/callbacks.py": "_run catches a failed pass and reports it",
    "broadcast/ledger/leases.py": "_beat suppresses the ledger's faults; the next beat retries",
}


@pytest.fixture
def unheard() -> Iterator[list[threading.ExceptHookArgs]]:
    """What reached Python's thread hook (which would print a traceback)."""
    seen: list[threading.ExceptHookArgs] = []
    before = threading.excepthook
    threading.excepthook = seen.append
    try:
        yield seen
    finally:
        threading.excepthook = before


def test_a_failing_thread_is_raised_where_the_threads_are_waited_for(
    unheard: list[threading.ExceptHookArgs],
) -> None:
    finished = []
    lock = threading.Lock()

    def work() -> None:
        if threading.current_thread().name.endswith("-1"):
            raise OSError(28, "No space left on device")
        time.sleep(0.05)
        with lock:
            finished.append(threading.current_thread().name)

    with pytest.raises(OSError, match="No space left"):
        run_threads("receipts-sms", 3, work)
    # Raised only once every thread had ended: none outlives the call.
    assert sorted(finished) == ["receipts-sms-0", "receipts-sms-2"]
    assert not [t for t in threading.enumerate() if t.name.startswith("receipts-sms")]
    assert unheard == []


def test_a_sending_worker_that_fails_is_raised_after_every_worker_is_joined(
    unheard: list[threading.ExceptHookArgs],
) -> None:
    work: queue.Queue[int | None] = queue.Queue(maxsize=4)
    taken: list[int] = []

    def worker() -> None:
        while (item := work.get()) is not None:
            if item == 3:
                # Keep draining first (as dispatch's workers do), then fail.
                while work.get() is not None:
                    pass
                raise RuntimeError("the ledger went away")
            taken.append(item)

    def hand_out() -> None:
        for item in range(10):
            work.put(item)

    with pytest.raises(RuntimeError, match="ledger went away"):
        run_with_workers("send-sms", 2, worker, work, hand_out)
    assert 3 not in taken and len(taken) >= 1
    assert not [t for t in threading.enumerate() if t.name.startswith("send-sms")]
    assert unheard == []


def test_threads_that_end_well_raise_nothing(unheard: list[threading.ExceptHookArgs]) -> None:
    counted = []
    run_threads("quiet", 4, lambda: counted.append(1))
    assert counted == [1, 1, 1, 1]
    assert unheard == []


def thread_starts() -> dict[str, int]:
    """Each module of broadcast/ that calls ``threading.Thread(...)``, with how many times."""
    found: dict[str, int] = {}
    for path in sorted((ROOT / "broadcast").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "Thread"
            ):
                name = str(path.relative_to(ROOT))
                found[name] = found.get(name, 0) + 1
    return found


def test_threads_are_started_where_their_exceptions_are_heard() -> None:
    starts = thread_starts()
    assert "broadcast/delivery/worker_pool.py" in starts  # the guard reads what it should
    elsewhere = sorted(set(starts) - {"broadcast/delivery/worker_pool.py"} - set(WATCHERS))
    assert elsewhere == [], (
        f"{elsewhere} start threads of their own: use worker_pool.run_threads (or "
        "run_with_workers), whose waiting thread raises what a worker ended with; a thread "
        "whose exception reaches Python's hook prints a traceback and the run goes on"
    )
