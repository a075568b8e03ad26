"""A newer version takes over a long send: nobody is left with a stale message.

Real processes against the local Twilio peer, paced by the channel's rate: while one run
hands out version 1, the file is edited and a second run started. The second run asks the
first to give way, takes the lock within a bounded time and sends version 2 to everyone.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest

from broadcast.ledger.sqlite import MIGRATIONS, SUPERSEDED, Ledger
from tests.conftest import write
from tests.test_crash import finish, set_headline, start
from tests.world import World

# The slow tier (tests/conftest.py): real processes paced by the channel's rate.
pytestmark = pytest.mark.slow

NUMBERS = [f"+3361222{i:04d}" for i in range(40)]
OLD = "Coupure de courant, point 1."
NEW = "Coupure de courant, point 2."


def test_a_newer_version_takes_over_a_slow_send(world: World) -> None:
    write(
        world.folder / "contacts.csv",
        "name,phone\n" + "".join(f"N{i},{n}\n" for i, n in enumerate(NUMBERS)),
    )
    config = world.folder / "channels.yaml"
    unlimited = config.read_text()
    # 40 recipients at 1 per second: forty seconds of sending, if nothing takes over, for the
    # newer run to start and ask on a loaded machine (at 4/s its ten seconds could run out
    # first, and no version would be superseded).
    config.write_text(unlimited.replace("rate: unlimited", "rate: 1/s"))
    set_headline(world, OLD)
    older = start(world)
    deadline = time.monotonic() + 30
    while len(world.twilio.messages()) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    config.write_text(unlimited)  # the older run read its rate; the newer needs no pacing
    set_headline(world, NEW)
    newer = start(world)
    code_new, doc_new = finish(newer)
    code_old, doc_old = finish(older)

    assert (code_old, code_new) == (0, 0)
    assert doc_old["delivery"][0]["superseded"] is True
    assert doc_new["action"] == "new"
    old = Counter(m.to for m in world.twilio.messages() if OLD in m.body)
    new = Counter(m.to for m in world.twilio.messages() if NEW in m.body)
    assert 3 <= len(old) < len(NUMBERS)  # the old version stopped part way
    assert max(old.values()) == 1
    assert new == Counter(NUMBERS)  # everyone got the new version exactly once
    # The newer version went out after the older stopped: nobody got the old one last.
    last = {m.to: m.body for m in world.twilio.messages()}
    assert all(NEW in body for body in last.values())
    _, status = world.run_json("status", "incident.yaml")
    assert status["channels"]["sms"]["sent"] == len(NUMBERS)
    ledger = Ledger(world.folder / ".broadcast")
    try:
        first = ledger.versions("panne-nord-2026-11-22")[0]
        states = ledger.counts(first.id)["sms"]
    finally:
        ledger.close()
    assert states.get("pending", 0) == 0 and states.get("sending", 0) == 0
    assert states["sent"] == len(old)
    _, report = world.run_json("report", "incident.yaml")
    assert report["versions"][0]["delivery"]["sms"]["superseded"] == states.get(SUPERSEDED, 0)
    assert report["delivery"]["all_versions"]["sms"]["superseded"] == states.get(SUPERSEDED, 0)


def test_a_new_version_marks_the_pending_deliveries_of_an_older_one_superseded(
    tmp_path: Path,
) -> None:
    from datetime import UTC, datetime

    ledger = Ledger(tmp_path)
    try:
        at = datetime(2026, 11, 22, 8, 40, tzinfo=UTC)
        first = ledger.add_version("x", "h1", "update", "investigating", at, None, ["sms"], [])
        done, _ = ledger.claim(first.id, "sms", "+33600000001", 2)
        ledger.mark_outcome(done, "sent", "SM1")
        ledger.claim(first.id, "sms", "+33600000002", 3)
        second = ledger.add_version("x", "h2", "update", "identified", at, None, ["sms"], [])
        assert ledger.counts(first.id) == {"sms": {"sent": 1, SUPERSEDED: 1}}
        assert ledger.version(first.id).superseded_by == second.id  # type: ignore[union-attr]
    finally:
        ledger.close()


def test_a_ledger_of_schema_1_is_migrated_and_keeps_its_deliveries(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "ledger.sqlite3")
    for statement in MIGRATIONS[0].statements():
        if statement.strip():
            db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO versions VALUES (1, 'x', 'h', 'update', 'investigating',"
        " '2026-11-22T08:40:00+00:00', NULL, 'me@here', '[\"sms\"]', NULL)"
    )
    db.execute(
        "INSERT INTO deliveries VALUES (1, 1, 'sms', 'k', '…0001', 2, 'pending', NULL, NULL,"
        " NULL, 0, '2026-11-22T08:40:00+00:00', '2026-11-22T08:40:00+00:00')"
    )
    db.commit()
    db.close()
    ledger = Ledger(tmp_path)
    try:
        assert ledger.schema_version == len(MIGRATIONS) >= 2
        assert ledger.counts(1) == {"sms": {"pending": 1}}
        assert ledger.version(1).source_path is None  # type: ignore[union-attr]
        ledger.add_version("x", "h2", "update", "identified", ledger.clock(), None, ["sms"], [])
        assert ledger.counts(1) == {"sms": {SUPERSEDED: 1}}
    finally:
        ledger.close()
