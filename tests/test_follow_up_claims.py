"""A follow-up's deliveries (a fallback, an unanswered call placed again) are recorded like any
other: taken by the run that sends them, marked ``sending`` before the provider is called.

On a shared ledger (PostgreSQL) a delivery's ``sending`` mark is written only by the run that
took it; a fallback's new row was taken by no run, so its mark used to be skipped and the call
went out with the row still ``pending``: a run killed at that moment left nothing saying the
call might have gone, and the next run placed it again. Each test runs on both engines.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from tests.conftest import at
from tests.test_voice_fallback import LANDLINE, with_voice
from tests.world import PHONES, World

pytestmark = pytest.mark.both_engines


def voice_rows(world: World) -> list[dict[str, Any]]:
    """The voice channel's deliveries as the ledger holds them, on either engine."""
    query = (
        "SELECT state, attempts, attempt_started_at, claimed_by, fallback_from"
        " FROM deliveries WHERE channel = 'voice' ORDER BY id"
    )
    if world.engine:
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(world.engine["BROADCAST_LEDGER"], row_factory=dict_row) as db:
            return list(db.execute(query).fetchall())
    with sqlite3.connect(world.folder / ".broadcast" / "ledger.sqlite3") as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(query)]


def test_a_fallback_call_is_taken_and_marked_sending_before_it_is_placed(world: World) -> None:
    with_voice(world, "")
    world.twilio.deliver_after = 0.0  # receipts final at once
    world.twilio.mark_undelivered(LANDLINE, code=30003)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert (code, doc["sent"]) == (0, len(PHONES))
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=at(5))
    assert doc["follow_up"]["fallbacks"] == {"voice": 1}, doc["follow_up"]
    (row,) = voice_rows(world)
    assert row["fallback_from"] is not None and row["state"] == "sent"
    # The attempt was recorded before the call: one attempt, its start kept for a look-up.
    assert row["attempts"] == 1 and row["attempt_started_at"] is not None, row
    assert (row["claimed_by"] is not None) == bool(world.engine), row
    assert len(world.twilio.calls_to(LANDLINE)) == 1
    # A later run neither places it again nor counts it twice.
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=at(10))
    assert doc["follow_up"]["fallbacks"] == {}
    assert len(world.twilio.calls_to(LANDLINE)) == 1


def test_an_unanswered_call_placed_again_counts_its_attempts(world: World) -> None:
    with_voice(
        world,
        "    recipients: contacts.csv\n    default_region: FR\n"
        "    retry_unanswered: 1\n    retry_after: 15m\n",
        sms_fallback=None,
    )
    world.twilio.set_call_outcome(LANDLINE, "no-answer")
    send = ("send", "incident.yaml", "--yes", "--channel", "voice")
    assert world.run_json(*send)[0] == 0
    world.run_json(*send, env=at(5))  # the outcomes are read: one unanswered
    code, doc = world.run_json(*send, env=at(16))
    assert (code, doc["follow_up"]["called_again"]) == (0, 1), doc
    assert len(world.twilio.calls_to(LANDLINE)) == 2
    attempts = sorted(row["attempts"] for row in voice_rows(world))
    assert attempts == [1] * (len(PHONES) - 1) + [2], attempts
