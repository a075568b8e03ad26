"""Every past schema of the ledger, on SQLite and on PostgreSQL, migrates to the latest with
its rows intact, and the migrated ledger works: it recognises who was already sent what.

For each schema k before the latest, a ledger is built by the first k steps only, with the
rows the code of that schema wrote (every column that existed then), as that code kept the
recipient secret (in clear before schema 4). Then it is opened by today's code.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from broadcast.ledger import sqlite as ledger_module
from broadcast.ledger.key import load_key, new_key_text
from broadcast.ledger.migrations import (
    MIGRATIONS,
    OPT_OUTS_AS_SUPPRESSIONS_AND_REPLIES,
    SEALED_SECRET,
    Step,
)
from broadcast.ledger.recipient_keys import seal
from broadcast.ledger.sqlite import Contact, Ledger
from tests.test_ledger import T0, LedgerMaker
from tests.test_ledger import open_ledger as open_ledger  # a fixture

SENT_TO = "+33612345678"
WAITING = "+33612345679"
SUPPRESSED_NUMBER = "+33320123456"
LATER = (T0 + timedelta(minutes=5)).isoformat()
# Where the secret left the file (schema 4), and where deliveries kept sealed addresses (6).
SEALED_FROM = MIGRATIONS.index(SEALED_SECRET) + 1
SEALED_ADDRESSES_FROM = 6


def test_the_steps_are_named_and_each_statement_is_one_statement() -> None:
    names = [step.name for step in MIGRATIONS]
    assert len(set(names)) == len(names) and all(names)
    for step in MIGRATIONS:
        assert isinstance(step, Step) and (step.ddl or step.run)
        for statement in step.ddl:
            assert ";" not in statement, step.name


def _old_unseal(schema: int) -> Any:
    """``Ledger._unseal`` as the code of ``schema`` had it: the secret in clear in ``meta``
    before schema 4 (made on first use), then sealed (no sealed addresses to check yet)."""

    def unseal(self: Ledger) -> bytes:
        if schema < SEALED_FROM:
            with self.transaction() as db:
                row = db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
                if row is None:
                    salt = secrets.token_hex(16)
                    db.execute("INSERT INTO meta VALUES ('salt', :salt)", {"salt": salt})
                    return bytes.fromhex(salt)
            return bytes.fromhex(row["value"])
        meta = {row["key"]: row["value"] for row in self.db.execute("SELECT * FROM meta")}
        key = load_key(self.environ, create=False)
        assert key is not None
        return seal(key, meta["ledger_id"], bytes.fromhex(meta["sealed"]))

    return unseal


def _columns(ledger: Ledger, table: str) -> list[str] | None:
    """The table's columns at the ledger's schema, or None if it has no such table yet."""
    if ledger.shared:
        rows = ledger.db.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = :table",
            {"table": table},
        ).fetchall()
        return [str(row[0]) for row in rows] or None
    rows = ledger.db.execute(f"PRAGMA table_info({table})").fetchall()
    return [str(row[1]) for row in rows] or None


def _insert(ledger: Ledger, table: str, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` as the code of the ledger's schema wrote it: only the columns that existed;
    the ids numbered by the database, as then. The row as written, with its id."""
    columns = _columns(ledger, table)
    if columns is None:
        return {}
    kept = {name: value for name, value in row.items() if name in columns}
    names = ", ".join(kept)
    binds = ", ".join(f":{name}" for name in kept)
    returning = " RETURNING id" if "id" in columns else ""
    with ledger.transaction() as db:
        cursor = db.execute(f"INSERT INTO {table} ({names}) VALUES ({binds}){returning}", kept)
        found = cursor.fetchone() if returning else None
    return {**kept, "id": int(found[0])} if found else kept


def _representative_rows(ledger: Ledger, schema: int) -> dict[str, list[dict[str, Any]]]:
    """One of each kind of row the ledger keeps, as far as the schema has them."""
    key = {
        number: hmac.new(ledger.secret, number.encode(), hashlib.sha256).hexdigest()[:32]
        for number in (SENT_TO, WAITING, SUPPRESSED_NUMBER)
    }

    def sealed(number: str, line: int) -> str | None:
        if schema < SEALED_ADDRESSES_FROM:
            return None
        return ledger.seal_contact(Contact(number, "Ana", "fr", line))

    written: dict[str, list[dict[str, Any]]] = {}

    def put(table: str, row: dict[str, Any]) -> dict[str, Any]:
        done = _insert(ledger, table, row)
        if done:
            written.setdefault(table, []).append(done)
        return done

    approval = put(
        "approvals",
        {
            "incident_id": "panne-nord",
            "texts_hash": "t1",
            "rendered_at": T0.isoformat(),
            "approved_by": "Bea",
            "approved_at": T0.isoformat(),
            "signature": "sig-approval",
        },
    )
    version = put(
        "versions",
        {
            "incident_id": "panne-nord",
            "content_hash": "h1",
            "kind": "update",
            "status": "investigating",
            "created_at": T0.isoformat(),
            "next_update_at": (T0 + timedelta(hours=2)).isoformat(),
            "run_by": "me@here",
            "channels": '["sms"]',
            "completed_at": None,
            "source_path": "/srv/incident.yaml",
            "superseded_by": None,
            "approval_id": approval.get("id"),
            "sent_by": "Ana",
            "exercise": 0,
            "sent_at": T0.isoformat(),
            "sender_signature": "sig-send",
        },
    )
    put(
        "renders",
        {
            "version_id": version["id"],
            "channel": "sms",
            "locale": "fr",
            "part": "text",
            "text": "Coupure de courant.",
        },
    )
    common = {"version_id": version["id"], "channel": "sms", "created_at": T0.isoformat()}
    put(
        "deliveries",
        {
            **common,
            "recipient_key": key[SENT_TO],
            "recipient_hint": "…5678",
            "line": 2,
            "state": "sent",
            "provider_id": "SM1",
            "attempts": 1,
            "updated_at": LATER,
            "sent_at": LATER,
            "unanswered": 0,
            "attempt_started_at": LATER,
            "receipt_checked_at": LATER,
            "recipient_sealed": sealed(SENT_TO, 2),
        },
    )
    put(
        "deliveries",
        {
            **common,
            "recipient_key": key[WAITING],
            "recipient_hint": "…5679",
            "line": 3,
            "state": "pending",
            "updated_at": T0.isoformat(),
            "recipient_sealed": sealed(WAITING, 3),
        },
    )
    put(
        "deliveries",
        {
            **common,
            "recipient_key": key[SUPPRESSED_NUMBER],
            "recipient_hint": "…3456",
            "line": 4,
            "state": "failed-permanent",
            "error_code": "21614",
            "error_message": "not a mobile number",
            "attempts": 1,
            "updated_at": LATER,
            "recipient_sealed": sealed(SUPPRESSED_NUMBER, 4),
        },
    )
    put(
        "suppressions",
        {
            "channel": "sms",
            "recipient_key": key[SUPPRESSED_NUMBER],
            "error_code": "21614",
            "created_at": LATER,
        },
    )
    put("takeovers", {"incident_id": "other", "content_hash": "h9", "expires_at": 1.5})
    put("leases", {"name": "primary:panne-nord", "holder": "a", "host": "a", "expires_at": 2.5})
    put("rates", {"channel": "sms", "next_slot": 3.5})
    put(
        "continued_by",
        {"version_id": version["id"], "sent_by": "Ana", "sent_at": LATER, "sender_signature": None},
    )
    return written


def _read_back(ledger: Ledger, table: str, row: dict[str, Any]) -> dict[str, Any]:
    """The row of ``table`` found by the same values: its id, else its whole content."""
    names = ["id"] if "id" in row else list(row)
    where = " AND ".join(f"{name} = :{name}" for name in names)
    found = ledger.db.execute(
        f"SELECT * FROM {table} WHERE {where}", {name: row[name] for name in names}
    ).fetchall()
    assert len(found) == 1, (table, row)
    return {name: found[0][name] for name in row}


@pytest.mark.parametrize("schema", range(1, len(MIGRATIONS)))
def test_a_ledger_of_every_past_schema_migrates_keeping_its_rows_and_works(
    tmp_path: Path, open_ledger: LedgerMaker, schema: int
) -> None:
    # The ledger as the code of ``schema`` left it.
    with pytest.MonkeyPatch.context() as then:
        then.setattr(ledger_module, "MIGRATIONS", MIGRATIONS[:schema])
        if schema < SEALED_ADDRESSES_FROM:  # from then on, today's unsealing is that code's
            then.setattr(Ledger, "_unseal", _old_unseal(schema))
        old = open_ledger(tmp_path)
        assert old.schema_version == schema
        secret = old.secret
        written = _representative_rows(old, schema)
        old.close()
    assert {"versions", "renders", "deliveries"} <= set(written)

    ledger = open_ledger(tmp_path)
    try:
        assert ledger.schema_version == len(MIGRATIONS)
        assert ledger.secret == secret  # the hashes recorded with it still recognise people
        for table, rows in written.items():
            for row in rows:
                assert _read_back(ledger, table, row) == row, table
        (version,) = ledger.versions("panne-nord")
        assert (version.content_hash, version.channels) == ("h1", ("sms",))
        assert ledger.renders(version.id) == {"sms": {"text": "Coupure de courant."}}
        # Who already got it is recognised; a new recipient is new.
        assert ledger.claim(version.id, "sms", SENT_TO, 2)[1] == "sent"
        assert ledger.claim(version.id, "sms", WAITING, 3)[1] == "pending"
        new_one, state = ledger.claim(version.id, "sms", "+33612340000", 5)
        assert state == "pending" and new_one > max(r["id"] for r in written["deliveries"])
        if schema >= 3:
            assert ledger.suppression("sms", SUPPRESSED_NUMBER) == "21614"
        # The ledger goes on: a new version (a new id after the old ones), its deliveries.
        newer = ledger.add_version(
            "panne-nord", "h2", "update", "identified", T0, None, ["sms"], []
        )
        assert newer.id > version.id
        assert ledger.counts(version.id)["sms"] == {
            "sent": 1,
            "superseded": 2,
            "failed-permanent": 1,
        }
        delivery, _ = ledger.claim(newer.id, "sms", SENT_TO, 2)
        assert ledger.take([delivery]) == {delivery}
        assert ledger.mark_sending(delivery)
        ledger.mark_outcome(delivery, "sent", "SM2")
        assert ledger.recorded_contact(delivery) == Contact(SENT_TO, "", None, 2)
        approval = ledger.add_approval("panne-nord", "t2", T0, "Bea")
        assert approval.id > max((r["id"] for r in written.get("approvals", [])), default=0)
        ledger.add_continuation(newer.id, "Ana")
        assert [c.sent_by for c in ledger.continuations(newer.id)] == ["Ana"]
        # A send despite a wording error keeps its reason, who, when and what it covered,
        # found again by the words it was given for.
        ledger.add_wording_override(
            newer.id, "panne-nord", "the mayor's words", "Ana", [{"check": "unchanged"}]
        )
        (override,) = ledger.wording_overrides("panne-nord")
        assert (override.version_id, override.reason, override.accepted_by) == (
            newer.id,
            "the mayor's words",
            "Ana",
        )
        assert override.findings == ({"check": "unchanged"},)
        assert ledger.override_for_words("panne-nord", "h2") == override
        assert ledger.override_for_words("panne-nord", "h1") is None
    finally:
        ledger.close()


def test_opt_outs_recorded_as_failures_become_suppressions_that_a_start_lifts(
    tmp_path: Path, open_ledger: LedgerMaker
) -> None:
    """Before schema 9 an opt-out was read from the deliveries that failed with 21610 (and the
    later ones skipped for it, failed-permanent ``opted-out``), which nothing could undo. The
    step carries each over as one suppression (``*``, ``opted-out``) and the skipped rows as
    ``suppressed``; a START (broadcast serve) then lifts it."""
    before = MIGRATIONS.index(OPT_OUTS_AS_SUPPRESSIONS_AND_REPLIES)
    with pytest.MonkeyPatch.context() as then:
        then.setattr(ledger_module, "MIGRATIONS", MIGRATIONS[:before])
        old = open_ledger(tmp_path)
        assert old.schema_version == before
        versions = [
            old.add_version("panne-nord", f"h{n}", "update", "investigating", T0, None, ["sms"], [])
            for n in (1, 2)
        ]
        refused, _ = old.claim(versions[0].id, "sms", SENT_TO, 2)
        old.mark_outcome(refused, "failed-permanent", None, "21610", "unsubscribed recipient")
        skipped, _ = old.claim(versions[1].id, "sms", SENT_TO, 2)
        old.mark_outcome(skipped, "failed-permanent", None, "opted-out", "opted out earlier")
        reached, _ = old.claim(versions[1].id, "sms", WAITING, 3)
        old.mark_outcome(reached, "sent", "SM1")
        old.close()
    ledger = open_ledger(tmp_path)
    try:
        assert ledger.schema_version == len(MIGRATIONS)
        assert ledger.opted_out() == {ledger.recipient_key(SENT_TO)}
        assert ledger.is_opted_out(SENT_TO) and not ledger.is_opted_out(WAITING)
        assert ledger.delivery(skipped).state == "suppressed"  # one name for "never again"
        assert ledger.delivery(skipped).error_code == "opted-out"
        assert ledger.delivery(refused).state == "failed-permanent"  # what the provider said
        assert ledger.opted_out_count("panne-nord") == 1
        assert ledger.opt_in(SENT_TO)
        assert ledger.opted_out() == set() and ledger.opted_out_count("panne-nord") == 0
        assert not ledger.opt_in(SENT_TO)
        # A later 21610 from the provider opts the number out again, the same way.
        again, _ = ledger.claim(versions[1].id, "sms", "+33612340000", 4)
        ledger.mark_outcome(again, "failed-permanent", None, "21610", "unsubscribed")
        assert ledger.is_opted_out("+33612340000")
    finally:
        ledger.close()


def test_an_sqlite_ledger_loads_neither_sqlalchemy_nor_psycopg(tmp_path: Path) -> None:
    """The SQL both engines take is parsed by SQLAlchemy only for PostgreSQL: the SQLite
    default (a first message, a preview) pays nothing for it."""
    program = (
        "import sys; from pathlib import Path; from broadcast.ledger.sqlite import Ledger;"
        f"ledger = Ledger(Path({str(tmp_path / 'state')!r})); ledger.close();"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'psycopg')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "BROADCAST_KEY": new_key_text(), "BROADCAST_LEDGER": ""},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
