"""Faults of the machine, not of the input: a full disk, a read-only state folder, a damaged
ledger. Each must end in a clear message and a released lock, never a hang or a traceback.

The state folder is a real small tmpfs (root may mount one); each send is a real
``python -m broadcast`` process talking to the local Twilio peer.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import NOW, write
from tests.world import SECRETS, World

# The slow tier (tests/conftest.py): a full disk and damaged ledgers under real processes.
pytestmark = pytest.mark.slow

RECIPIENTS = 1500
NUMBERS = [f"+3361234{i:04d}" for i in range(RECIPIENTS)]
# Hang guard: a healthy run of 1,500 SMS to the local peer takes a few seconds.
HANG_GUARD = 90


def mount_tmpfs(folder: Path, options: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")


def remount(folder: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(folder)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB file system: the ledger (its WAL) fills it after a few dozen deliveries."""
    folder = tmp_path / "small-disk"
    mount_tmpfs(folder, "size=2m,mode=0700")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def many(world: World) -> World:
    write(
        world.folder / "contacts.csv",
        "name,phone\n" + "".join(f"N{i},{n}\n" for i, n in enumerate(NUMBERS)),
    )
    config = world.folder / "channels.yaml"
    config.write_text(
        config.read_text().replace("rate: unlimited", "rate: unlimited\n    concurrency: 8")
    )
    return world


def broadcast(world: World, *args: str) -> tuple[int, str, str]:
    """Run the real CLI in a process of its own; the hang guard fails the test, not the suite."""
    # Wide lines: a path is never cut where a terminal of 80 columns would cut it.
    env = {**os.environ, **SECRETS, "BROADCAST_NOW": NOW.isoformat(), "COLUMNS": "400"}
    env.pop("BROADCAST_CONFIG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "broadcast", *args],
        cwd=world.folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = process.communicate(timeout=HANG_GUARD)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"broadcast {' '.join(args)} hung for {HANG_GUARD} s:\n{err[-2000:]}")
    return process.returncode, out, err


def start(world: World, *args: str) -> subprocess.Popen[str]:
    """The real CLI in a process of its own, left running (see ``broadcast``)."""
    env = {**os.environ, **SECRETS, "BROADCAST_NOW": NOW.isoformat(), "COLUMNS": "400"}
    env.pop("BROADCAST_CONFIG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "broadcast", *args],
        cwd=world.folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=HANG_GUARD)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"broadcast hung for {HANG_GUARD} s:\n{err[-2000:]}")
    return process.returncode, out, err


def wait_until(what: str, done: Callable[[], bool]) -> None:
    """Wait for a state the test brings about (never for time to pass); the hang guard only
    bounds a run that never gets there."""
    deadline = time.monotonic() + HANG_GUARD
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"never {what} in {HANG_GUARD} s")
        time.sleep(0.02)


def fill(folder: Path) -> Path:
    """Fill the file system of ``folder`` to its last byte: every write after fails (ENOSPC)."""
    filler = folder / "filler"
    chunk = b"\0" * 65536
    with filler.open("wb", buffering=0) as handle:
        while True:
            try:
                handle.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                if len(chunk) == 1:
                    break
                chunk = chunk[: len(chunk) // 2]
    assert os.statvfs(folder).f_bavail == 0
    return filler


def ledger_states(state: Path) -> Counter[str]:
    """How many deliveries the ledger holds in each state (read while a run may write it)."""
    ledger = state / "ledger.sqlite3"
    if not ledger.is_file():
        return Counter()  # the run has not made its ledger yet
    db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=30)
    try:
        return Counter(
            dict(db.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall())
        )
    except sqlite3.OperationalError:  # no table yet: the run has not made its ledger
        return Counter()
    finally:
        db.close()


def one_paragraph(text: str) -> str:
    assert "Traceback" not in text, text
    assert "Exception in thread" not in text, text
    return " ".join(text.split())


def received(world: World) -> Counter[str]:
    return Counter(m.to for m in world.twilio.messages())


def test_a_full_disk_stops_the_run_cleanly_and_a_rerun_sends_nothing_twice(
    many: World, small_disk: Path
) -> None:
    state = str(small_disk / "state")
    code, out, err = broadcast(
        many, "send", "incident.yaml", "--yes", "--channel", "sms", "--state", state
    )
    message = one_paragraph(out + err)
    assert code == 1, message
    assert "full" in message and "ledger.sqlite3" in message, message
    sent_before = received(many)
    assert 0 < len(sent_before) < RECIPIENTS
    # The lock was released: the next run does not wait for it (exit 3); the disk is still
    # full, so it stops before sending anything, saying why.
    code, out, err = broadcast(
        many,
        "send",
        "incident.yaml",
        "--yes",
        "--channel",
        "sms",
        "--state",
        state,
        "--lock-timeout",
        "1",
    )
    message = one_paragraph(out + err)
    assert code == 2, message
    assert "full" in message, message
    assert received(many) == sent_before
    # Room again: the run continues, and nobody gets the message twice.
    remount(small_disk, "size=20m")
    code, out, err = broadcast(
        many, "send", "incident.yaml", "--yes", "--json", "--channel", "sms", "--state", state
    )
    one_paragraph(err)
    doc = json.loads(out)
    assert "action" in doc, doc
    assert doc["action"] == "continue"
    counts = received(many)
    assert max(counts.values()) == 1, "someone got the message twice"
    missing = {n for n in NUMBERS if counts[n] == 0}
    # Only those whose outcome the full disk kept from the ledger may be missing: uncertain.
    uncertain = {item["recipient"] for item in doc["uncertain"]}
    assert {"…" + n[-4:] for n in missing} <= uncertain
    assert code == (1 if uncertain else 0)


FEW = [f"+3361299{i:04d}" for i in range(40)]
# Their answers held while the first run is killed: in flight, uncertain for the next one.
IN_FLIGHT = FEW[-2:]


@pytest.mark.parametrize(
    ("looking_up", "exit_code"),
    [
        # The receipts of the deliveries recorded sent, eight threads at once, before the run
        # decides anything: it stops before sending (2).
        ("one", 2),
        # The deliveries the killed run had in flight, by the sending threads: it stops
        # having begun to deliver (1).
        ("list", 1),
    ],
    ids=["receipts", "uncertain"],
)
def test_a_full_disk_met_by_the_look_ups_of_a_rerun_is_one_clear_error(
    world: World, tmp_path: Path, looking_up: str, exit_code: int
) -> None:
    """The run that follows one killed mid-send looks up what it left: receipts of the
    deliveries recorded sent, and the deliveries in flight. The disk fills while one kind of
    those look-ups is in flight, so each thread meets it recording what it learnt: one clear
    message, no thread's traceback, the lock released, and once there is room the next run
    sends nobody anything twice and leaves nobody out."""
    disk = tmp_path / "disk"
    mount_tmpfs(disk, "size=20m,mode=0700")
    try:
        write(
            world.folder / "contacts.csv",
            "name,phone\n" + "".join(f"N{i},{n}\n" for i, n in enumerate(FEW)),
        )
        # Eight at once (two held leave six working); the held answers outlast any wait here.
        config = world.folder / "channels.yaml"
        config.write_text(
            config.read_text().replace(
                "rate: unlimited", "rate: unlimited\n    concurrency: 8\n    timeout: 120", 1
            )
        )
        state = disk / "state"
        send = ("send", "incident.yaml", "--yes", "--channel", "sms", "--state", str(state))
        # 1. Killed while two answers are held: the others recorded sent, those two in flight.
        world.twilio.hold_first_answer_to(*IN_FLIGHT, seconds=60)
        first = start(world, *send)
        try:
            wait_until(
                "recorded the others sent",
                lambda: ledger_states(state)["sent"] == len(FEW) - len(IN_FLIGHT),
            )
        finally:
            first.kill()
            first.communicate()
        assert ledger_states(state)["sending"] == len(IN_FLIGHT)
        sent_before = received(world)
        assert sorted(sent_before) == sorted(FEW)
        # 2. The next run's look-ups (of that kind) are held by the peer until the disk is full.
        world.twilio.hold_lookups(looking_up)
        second = start(world, *send, "--lock-timeout", "1")
        try:
            wait_until("looked up", lambda: world.twilio.lookup_waiting.wait(0.1))
            filler = fill(disk)
        finally:
            world.twilio.release_lookups()
        code, out, err = finish(second)
        message = one_paragraph(out + err)
        assert code == exit_code, message
        assert "full" in message and "ledger.sqlite3" in message, message
        assert ("Nothing was sent" in message) == (exit_code == 2), message
        assert received(world) == sent_before
        # 3. Room again: the lock was released, nothing goes twice, and nobody is missing.
        filler.unlink()
        code, out, err = finish(start(world, *send, "--lock-timeout", "1", "--json"))
        one_paragraph(err)
        doc = json.loads(out)
        assert received(world) == sent_before, "someone got the message twice"
        assert code == 0, doc
        assert doc["uncertain"] == [], doc
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_read_only_state_folder_is_a_clear_error_and_nothing_is_sent(
    world: World, tmp_path: Path
) -> None:
    folder = tmp_path / "read-only"
    mount_tmpfs(folder, "size=2m")
    try:
        # One run while it is writable leaves a ledger; then the folder becomes read-only.
        assert world.run("send", "incident.yaml", "--yes", "--state", str(folder)).exit_code == 0
        remount(folder, "ro")
        before = len(world.twilio.messages())
        path = world.folder / "incident.yaml"
        path.write_text(path.read_text().replace("status: investigating", "status: identified"))
        code, out, err = broadcast(world, "send", "incident.yaml", "--yes", "--state", str(folder))
        message = one_paragraph(out + err)
        assert code == 2, message
        assert "read-only" in message and str(folder) in message, message
        assert len(world.twilio.messages()) == before
        # A folder that was never written: the same.
        code, out, err = broadcast(
            world, "send", "incident.yaml", "--yes", "--state", str(folder / "new")
        )
        message = one_paragraph(out + err)
        assert code == 2, message
        assert "read-only" in message, message
        assert len(world.twilio.messages()) == before
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def garbage(ledger: Path) -> None:
    ledger.write_bytes(os.urandom(3000))


def truncated(ledger: Path) -> None:
    data = ledger.read_bytes()
    ledger.write_bytes(data[: len(data) // 2])


def other_schema(ledger: Path) -> None:
    ledger.unlink()
    db = sqlite3.connect(ledger)
    db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    db.execute("INSERT INTO invoices (amount) VALUES (12.5)")
    db.commit()
    db.close()


@pytest.mark.parametrize("damage", [garbage, truncated, other_schema])
def test_a_damaged_ledger_is_a_clear_error_for_every_command(world: World, damage) -> None:
    assert world.run("send", "incident.yaml", "--yes").exit_code == 0
    ledger = world.folder / ".broadcast" / "ledger.sqlite3"
    assert not ledger.with_name("ledger.sqlite3-wal").exists()  # checkpointed on close
    damage(ledger)
    before = len(world.twilio.messages())
    path = world.folder / "incident.yaml"
    path.write_text(path.read_text().replace("status: investigating", "status: identified"))
    for command in (
        ["send", "incident.yaml", "--yes"],
        ["status", "incident.yaml"],
        ["report", "incident.yaml"],
    ):
        code, out, err = broadcast(world, *command)
        message = one_paragraph(out + err)
        assert code == 2, (command, message)
        assert "ledger.sqlite3" in message, (command, message)
        assert "backup" in message, (command, message)
    assert len(world.twilio.messages()) == before
    assert len(world.x.posts()) == 1
