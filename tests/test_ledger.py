"""The ledger on a real SQLite file: schema, outbox states, privacy of recipients."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from broadcast.ledger.sqlite import MIGRATIONS, Ledger, state_folder

T0 = datetime(2026, 11, 22, 8, 40, tzinfo=UTC)


def new_version(ledger: Ledger, content_hash: str = "h1", kind: str = "update"):
    return ledger.add_version(
        "panne-nord",
        content_hash,
        kind,
        "investigating",
        T0,
        T0 + timedelta(hours=2),
        ["sms", "twitter"],
        [("sms", "fr", "text", "Coupure de courant."), ("twitter", "fr", "text", "Coupure.")],
    )


def test_schema_is_versioned_and_reopening_keeps_everything(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "state")
    assert ledger.schema_version == len(MIGRATIONS)
    assert ledger.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    version = new_version(ledger)
    ledger.close()
    again = Ledger(tmp_path / "state")
    assert again.latest_version("panne-nord") == version
    assert again.renders(version.id) == {
        "sms": {"text": "Coupure de courant."},
        "twitter": {"text": "Coupure."},
    }
    assert version.next_update_at == T0 + timedelta(hours=2)
    assert "@" in version.run_by


def test_outbox_states_and_idempotent_claims(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    version = new_version(ledger)
    first, state = ledger.claim(version.id, "sms", "+33612345678", 2)
    assert state == "pending"
    again, state = ledger.claim(version.id, "sms", "+33612345678", 2)
    assert (again, state) == (first, "pending")
    ledger.mark_sending(first)
    assert ledger.state_of(version.id, "sms", "+33612345678") == "sending"
    ledger.mark_outcome(first, "sent", provider_id="SM123")
    assert ledger.claim(version.id, "sms", "+33612345678", 2) == (first, "sent")
    other, _ = ledger.claim(version.id, "sms", "+33612345679", 3)
    ledger.mark_sending(other)
    assert ledger.mark_uncertain("panne-nord") == 1
    assert ledger.counts(version.id) == {"sms": {"sent": 1, "uncertain": 1}}
    assert ledger.reopen(version.id, ("uncertain",), ["sms"]) == 1
    assert ledger.state_of(version.id, "sms", "+33612345679") == "pending"
    (delivery,) = ledger.deliveries(version.id, "sms", ("sent",))
    assert (delivery.recipient_hint, delivery.provider_id, delivery.attempts) == (
        "…5678",
        "SM123",
        1,
    )


def test_recipients_are_not_stored_in_clear(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    version = new_version(ledger)
    ledger.claim(version.id, "sms", "+33612345678", 2)
    ledger.claim(version.id, "email", "camille.martin@example.com", 2)
    ledger.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"612345678" not in raw
    assert b"camille.martin" not in raw
    assert b"@example.com" in raw  # the domain is kept, for reports


def test_keys_differ_between_ledgers(tmp_path: Path) -> None:
    one, two = Ledger(tmp_path / "a"), Ledger(tmp_path / "b")
    assert one.recipient_key("+33612345678") != two.recipient_key("+33612345678")
    assert one.recipient_key("+33612345678") == one.recipient_key("+33612345678")


def test_thread_tail_is_the_newest_sent_post(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    first = new_version(ledger, "h1")
    d1, _ = ledger.claim(first.id, "twitter", "twitter", None)
    ledger.mark_outcome(d1, "sent", provider_id="100,101")
    second = new_version(ledger, "h2")
    d2, _ = ledger.claim(second.id, "twitter", "twitter", None)
    ledger.mark_outcome(d2, "failed-permanent", error_code="duplicate")
    assert ledger.last_provider_id("panne-nord", "twitter") == "100,101"
    assert ledger.last_provider_id("panne-nord", "sms") is None


def test_state_folder_precedence(tmp_path: Path) -> None:
    assert state_folder(tmp_path / "x", tmp_path, {"BROADCAST_STATE": "y"}) == tmp_path / "x"
    assert state_folder(None, tmp_path, {"BROADCAST_STATE": "y"}) == Path("y")
    assert state_folder(None, tmp_path, {}) == tmp_path / ".broadcast"


def test_a_schema_2_ledger_is_migrated_keeping_its_deliveries_and_learns_suppression(
    tmp_path: Path,
) -> None:
    import sqlite3

    from broadcast.ledger import sqlite as ledger_module

    # A ledger written before schema 3: the first two migrations only.
    ledger_module_migrations = ledger_module.MIGRATIONS
    ledger_module.MIGRATIONS = ledger_module_migrations[:2]
    try:
        old = Ledger(tmp_path)
        version = new_version(old)
        sent, _ = old.claim(version.id, "sms", "+33612345678", 2)
        refused, _ = old.claim(version.id, "sms", "+33320123456", 3)
        # As the code of that schema wrote them (no sent_at column yet).
        with old.transaction() as db:
            db.execute(
                "UPDATE deliveries SET state = 'sent', provider_id = 'SM1' WHERE id = ?", (sent,)
            )
            db.execute(
                "UPDATE deliveries SET state = 'failed-permanent', error_code = '21614'"
                " WHERE id = ?",
                (refused,),
            )
        assert old.schema_version == 2
        old.close()
    finally:
        ledger_module.MIGRATIONS = ledger_module_migrations
    ledger = Ledger(tmp_path)
    assert ledger.schema_version == len(MIGRATIONS) >= 3
    assert ledger.counts(version.id) == {"sms": {"sent": 1, "failed-permanent": 1}}
    (row,) = ledger.deliveries(version.id, "sms", ("failed-permanent",))
    assert (row.error_code, row.fallback_from, row.unanswered) == ("21614", None, 0)
    # The new states are accepted, and a refusal recorded from now on suppresses.
    ledger.record_receipt(sent, "undelivered", "30003")
    assert ledger.state_of(version.id, "sms", "+33612345678") == "undelivered"
    again, _ = ledger.claim(version.id, "sms", "+33320123457", 4)
    ledger.mark_outcome(again, "failed-permanent", None, "21614", "not a mobile number")
    assert ledger.suppression("sms", "+33320123457") == "21614"
    assert ledger.suppression("voice", "+33320123457") is None
    stored = sqlite3.connect(tmp_path / "ledger.sqlite3").execute("SELECT * FROM suppressions")
    assert all("+33" not in str(value) for row in stored for value in row)
