"""Threads of ours never fail unheard: a worker's exception (a full disk met while recording a
receipt) is raised in the thread that waits for it, so the operator reads the one clear error
the main thread gives, never a traceback from Python's default thread hook.

The guard at the end keeps the rule for threads not written yet: a thread is started in
``delivery/worker_pool.py``, or in one of the few long-lived watchers named below, each of
which catches what its work can raise.
"""

from __future__ import annotations

import ast
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from broadcast.delivery.callbacks import FollowUps
from broadcast.delivery.worker_pool import run_threads, run_with_workers
from broadcast.input.config import load_config
from broadcast.ledger.sqlite import Ledger
from tests.world import SECRETS, World

ROOT = Path(__file__).resolve().parent.parent

# Threads started outside worker_pool, and why each never ends by an exception.
WATCHERS = {
    "broadcast/delivery/dispatch.py": "run_channel catches Exception into the channel's outcome",
    "broadcast/delivery/takeover.py": "watch_for_takeover catches the ledger's faults",
    "broadcast/delivery/callbacks.py": "_pass and _read_late catch a failing ledger, report it",
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


def damage_sid_index(ledger: Path) -> None:
    """Garbage over the index that finds a delivery by its provider's id, the rest intact:
    the ledger opens, and reading a callback's SID fails as SQLite's "malformed" (a bad disk
    under one page; a full disk or a lost database fail the same way, by an exception)."""
    db = sqlite3.connect(ledger)
    (page,) = db.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'deliveries_by_provider_id'"
    ).fetchone()
    (size,) = db.execute("PRAGMA page_size").fetchone()
    db.close()
    with ledger.open("r+b") as handle:
        handle.seek((page - 1) * size)
        handle.write(b"\xff" * size)


def test_the_follow_up_thread_outlives_a_ledger_that_fails_under_a_late_callback(
    world: World, unheard: list[threading.ExceptHookArgs]
) -> None:
    """serve's follow-up thread reads late callbacks again: a ledger that fails there (a
    damaged file, a full disk) is reported and the thread goes on; before, the exception
    ended it with a traceback and no follow-up ran again until serve restarted."""
    assert world.run("send", "incident.yaml", "--yes", "--channel", "sms").exit_code == 0
    folder = world.folder / ".broadcast"
    ledger = folder / "ledger.sqlite3"
    # The ledger mended, later: a good copy in a folder of its own (never a file rewritten
    # under a connection the thread may still hold).
    mended = world.folder / "mended"
    mended.mkdir(mode=0o700)
    (mended / ledger.name).write_bytes(ledger.read_bytes())
    (mended / ledger.name).chmod(0o600)
    where = [folder]
    sids = [m.sid for m in world.twilio.messages()]
    config = load_config(world.folder / "channels.yaml", {**os.environ, **SECRETS})
    reported: list[tuple[str, dict[str, object]]] = []
    runner = FollowUps(
        config,
        folder,
        lambda: Ledger(where[0]),
        {**os.environ, **SECRETS},
        lambda: datetime.now(UTC),
        lambda event, **fields: reported.append((event, fields)),
    )
    runner.LATE_AFTER = (0.0, 0.0, 0.0)  # read again at once: the test waits on events
    damage_sid_index(ledger)
    try:
        runner.read_again({"MessageSid": sids[0], "MessageStatus": "delivered"})
        thread = runner._thread
        assert thread is not None
        # Reported, or (the bug) the thread ended by the exception.
        wait_for(lambda: reported or not thread.is_alive())
        assert unheard == []
        assert thread.is_alive()
        # Once per try (the callback not read waits for its next one).
        assert {event for event, _ in reported} == {"late-callbacks-failed"}
        # The ledger mended: the same thread reads the next late callback.
        where[0] = mended
        runner.read_again({"MessageSid": sids[1], "MessageStatus": "delivered"})
        wait_for(lambda: runner.late_found >= 1)
    finally:
        runner.stop()
    assert unheard == []


def wait_for(found: Callable[[], object]) -> None:
    """Until ``found`` says yes; 60 s only bounds a thread that never gets there."""
    deadline = time.monotonic() + 60
    while not found():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.01)


def test_after_an_abandoned_send_only_its_threads_are_silenced(
    unheard: list[threading.ExceptHookArgs],
) -> None:
    """A second Ctrl-C leaves the send's threads behind, their deliveries marked uncertain:
    their failures are noise. A library caller's process goes on, and a failure of any other
    thread still reaches the hook it had."""
    from broadcast.api.sends import _quiet_threads

    release = threading.Event()

    def fail_later() -> None:
        release.wait(5)
        raise RuntimeError("the ledger closed under me")

    left = threading.Thread(target=fail_later, name="send-sms-0")
    left.start()
    _quiet_threads(threading.enumerate())
    release.set()
    left.join()
    assert unheard == []  # the thread left behind: not heard

    def fail_now() -> None:
        raise RuntimeError("a thread of the caller's own")

    other = threading.Thread(target=fail_now, name="caller")
    other.start()
    other.join()
    assert [str(args.exc_value) for args in unheard] == ["a thread of the caller's own"]
