"""The ledger on a real SQLite file and on a real PostgreSQL server: schema, outbox states,
privacy of recipients. The tests that take ``open_ledger`` run on both engines."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from broadcast.ledger.key import new_key_text
from broadcast.ledger.location import state_folder
from broadcast.ledger.sqlite import MIGRATIONS, Contact, Ledger, LedgerFault
from tests.postgres_server import new_database

T0 = datetime(2026, 11, 22, 8, 40, tzinfo=UTC)


class LedgerMaker:
    """Opens the ledger of a folder: its SQLite file, or a PostgreSQL database of its own
    (one per folder, the same on every opening, all with one BROADCAST_KEY as hosts share)."""

    def __init__(self, engine: str, request: pytest.FixtureRequest) -> None:
        self.engine = engine
        self.request = request
        self.addresses: dict[Path, str] = {}
        self.key = new_key_text()

    def __call__(self, folder: Path, environ: dict[str, str] | None = None) -> Ledger:
        if self.engine == "sqlite":
            return Ledger(folder, environ=environ)
        if folder not in self.addresses:
            self.addresses[folder] = self.request.getfixturevalue("postgres_ledger")
            if len(self.addresses) > 1:  # a second folder: a second database
                self.addresses[folder] = _another_database(self.addresses[folder])
        environment = {"BROADCAST_KEY": self.key} if environ is None else environ
        return Ledger(folder, environ=environment, address=self.addresses[folder])


def _another_database(address: str) -> str:
    return new_database(address.rsplit("/", 1)[0])


@pytest.fixture(params=["sqlite", "postgresql"])
def open_ledger(request: pytest.FixtureRequest) -> LedgerMaker:
    return LedgerMaker(request.param, request)


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


def test_schema_is_versioned_and_reopening_keeps_everything(
    tmp_path: Path, open_ledger: LedgerMaker
) -> None:
    ledger = open_ledger(tmp_path / "state")
    assert ledger.schema_version == len(MIGRATIONS)
    if open_ledger.engine == "sqlite":
        assert ledger.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    version = new_version(ledger)
    ledger.close()
    again = open_ledger(tmp_path / "state")
    assert again.schema_version == len(MIGRATIONS)
    assert again.latest_version("panne-nord") == version
    assert again.renders(version.id) == {
        "sms": {"text": "Coupure de courant."},
        "twitter": {"text": "Coupure."},
    }
    assert version.next_update_at == T0 + timedelta(hours=2)
    assert "@" in version.run_by


def test_outbox_states_and_idempotent_claims(tmp_path: Path, open_ledger: LedgerMaker) -> None:
    ledger = open_ledger(tmp_path)
    version = new_version(ledger)
    first, state = ledger.claim(version.id, "sms", "+33612345678", 2)
    assert state == "pending"
    again, state = ledger.claim(version.id, "sms", "+33612345678", 2)
    assert (again, state) == (first, "pending")
    # A delivery is taken by one run at a time (on a shared ledger, one host's run).
    assert ledger.take([first]) == {first}
    rival = open_ledger(tmp_path)
    assert rival.take([first]) == set()
    if open_ledger.engine == "postgresql":  # SQLite: one host, the incident's lock file
        assert not rival.mark_sending(first)
    rival.close()
    assert ledger.mark_sending(first)
    assert ledger.state_of(version.id, "sms", "+33612345678") == "sending"
    ledger.mark_outcome(first, "sent", provider_id="SM123")
    assert ledger.claim(version.id, "sms", "+33612345678", 2) == (first, "sent")
    other, _ = ledger.claim(version.id, "sms", "+33612345679", 3)
    ledger.take([other])
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


def test_claims_in_batches_keep_one_row_per_recipient(
    tmp_path: Path, open_ledger: LedgerMaker
) -> None:
    ledger = open_ledger(tmp_path)
    numbers = [f"+3361234{i:04d}" for i in range(1200)]  # more than one chunk of keys
    version = new_version(ledger)
    first = ledger.claim_batch(
        version.id, "sms", [Contact(n, f"N{i}", "fr", i) for i, n in enumerate(numbers)]
    )
    assert [state for _, state in first] == ["pending"] * len(numbers)
    assert len({delivery_id for delivery_id, _ in first}) == len(numbers)
    ledger.mark_outcome(first[7][0], "sent", "SM7")
    # A re-run claims the same rows, in another order: the same ids, the states kept.
    backwards = list(reversed(list(enumerate(numbers))))
    again = ledger.claim_batch(version.id, "sms", [Contact(n, "", None, i) for i, n in backwards])
    expected = [(d, "sent" if k == 7 else s) for k, (d, s) in enumerate(first)]
    assert again == list(reversed(expected))
    assert ledger.counts(version.id) == {"sms": {"pending": len(numbers) - 1, "sent": 1}}
    # As claim does: the contact is kept sealed, for a correction to reach them again.
    reached, lost = ledger.earlier_recipients("panne-nord", "sms", version.id + 1)
    assert (reached, lost) == ([Contact(numbers[7], "N7", "fr", 7)], 0)
    ledger.close()


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


def test_keys_differ_between_ledgers(tmp_path: Path, open_ledger: LedgerMaker) -> None:
    one, two = open_ledger(tmp_path / "a"), open_ledger(tmp_path / "b")
    assert one.recipient_key("+33612345678") != two.recipient_key("+33612345678")
    assert one.recipient_key("+33612345678") == one.recipient_key("+33612345678")


def test_thread_tail_is_the_newest_sent_post(tmp_path: Path, open_ledger: LedgerMaker) -> None:
    ledger = open_ledger(tmp_path)
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
    tmp_path: Path, open_ledger: LedgerMaker
) -> None:

    from broadcast.ledger import sqlite as ledger_module

    def clear_salt(self: Ledger) -> bytes:
        """As the code of schema 2 kept the recipient key: in the file, in clear."""
        with self.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO meta VALUES ('salt', :salt)", {"salt": secrets.token_hex(16)}
                )
                row = db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
        return bytes.fromhex(row["value"])

    # A ledger written before schema 3: the first two migrations only.
    ledger_module_migrations = ledger_module.MIGRATIONS
    ledger_module.MIGRATIONS = ledger_module_migrations[:2]
    unseal = Ledger._unseal
    Ledger._unseal = clear_salt  # type: ignore[method-assign]
    try:
        old = open_ledger(tmp_path)
        # As the code of that schema wrote them (no sent_at column yet, no sealed contact).
        with old.transaction() as db:
            db.execute(
                "INSERT INTO versions (id, incident_id, content_hash, kind, status, created_at,"
                " run_by, channels) VALUES (1, 'panne-nord', 'h1', 'update', 'investigating',"
                " :at, 'someone', '[\"sms\"]')",
                {"at": T0.isoformat()},
            )
            for number, (address, line, state, code) in enumerate(
                [
                    ("+33612345678", 2, "sent", None),
                    ("+33320123456", 3, "failed-permanent", "21614"),
                ],
                start=1,
            ):
                db.execute(
                    "INSERT INTO deliveries (id, version_id, channel, recipient_key,"
                    " recipient_hint, line, state, provider_id, error_code, created_at,"
                    " updated_at) VALUES (:id, 1, 'sms', :key, :hint, :line, :state,"
                    " :provider_id, :code, :at, :at)",
                    {
                        "id": number,
                        "key": hmac.new(old.secret, address.encode(), hashlib.sha256).hexdigest()[
                            :32
                        ],
                        "hint": Ledger.recipient_hint(address),
                        "line": line,
                        "state": state,
                        "provider_id": "SM1" if state == "sent" else None,
                        "code": code,
                        "at": T0.isoformat(),
                    },
                )
        version_id, sent = 1, 1
        assert old.schema_version == 2
        old.close()
    finally:
        ledger_module.MIGRATIONS = ledger_module_migrations
        Ledger._unseal = unseal  # type: ignore[method-assign]
    ledger = open_ledger(tmp_path)
    assert ledger.schema_version == len(MIGRATIONS) >= 3
    assert ledger.counts(version_id) == {"sms": {"sent": 1, "failed-permanent": 1}}
    (row,) = ledger.deliveries(version_id, "sms", ("failed-permanent",))
    assert (row.error_code, row.fallback_from, row.unanswered) == ("21614", None, 0)
    # The new states are accepted, and a refusal recorded from now on suppresses.
    ledger.record_receipt(sent, "undelivered", "30003")
    assert ledger.state_of(version_id, "sms", "+33612345678") == "undelivered"
    again, _ = ledger.claim(version_id, "sms", "+33320123457", 4)
    ledger.mark_outcome(again, "failed-permanent", None, "21614", "not a mobile number")
    assert ledger.suppression("sms", "+33320123457") == "21614"
    assert ledger.suppression("voice", "+33320123457") is None
    stored = ledger.db.execute("SELECT * FROM suppressions").fetchall()
    assert len(stored) == 1
    assert all("+33" not in str(value) for row in stored for value in row)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def files_of(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file())


def test_the_key_lives_outside_the_ledger_and_the_files_are_private(
    tmp_path: Path, recipient_key_home: Path
) -> None:
    ledger = Ledger(tmp_path / "state")
    version = new_version(ledger)
    ledger.claim(version.id, "sms", "+33612345678", 2)
    folder = tmp_path / "state"
    # While it is open, the WAL and the shared-memory file exist: private too.
    assert {p.name: mode(p) for p in folder.iterdir() if p.is_file()} == {
        "ledger.sqlite3": 0o600,
        "ledger.sqlite3-wal": 0o600,
        "ledger.sqlite3-shm": 0o600,
    }
    assert mode(folder) == 0o700
    secret = ledger.secret
    raw = files_of(folder)
    ledger.close()
    key_path = recipient_key_home / "broadcast" / "key"
    assert (mode(key_path), mode(key_path.parent)) == (0o600, 0o700)
    key_text = key_path.read_text().strip()
    key = base64.b64decode(key_text)
    assert len(key_text) == 44 and len(key) == 32
    for needle in (key, key_text.encode(), secret, secret.hex().encode()):
        assert needle not in raw
    assert needle not in files_of(folder)
    # What an attacker with the file alone would try: every stored value as the HMAC key.
    db = sqlite3.connect(folder / "ledger.sqlite3")
    (stored,) = db.execute("SELECT recipient_key FROM deliveries").fetchone()
    for (value,) in db.execute("SELECT value FROM meta"):
        for guess in (value.encode(), bytes.fromhex(value) if len(value) % 2 == 0 else b""):
            digest = hmac.new(guess, b"+33612345678", hashlib.sha256).hexdigest()[:32]
            assert digest != stored
    db.close()


def test_a_wrong_or_missing_key_is_refused_rather_than_resending_to_everyone(
    tmp_path: Path, recipient_key_home: Path
) -> None:
    mine = {"BROADCAST_KEY": new_key_text()}
    Ledger(tmp_path, environ=mine).close()
    with pytest.raises(LedgerFault, match="BROADCAST_KEY is not the one") as fault:
        Ledger(tmp_path, environ={"BROADCAST_KEY": new_key_text()})
    assert "to everyone again" in str(fault.value)
    with pytest.raises(LedgerFault, match="there is none here") as fault:
        Ledger(tmp_path, environ={"XDG_CONFIG_HOME": str(recipient_key_home)})
    assert str(recipient_key_home / "broadcast" / "key") in str(fault.value)
    assert not (recipient_key_home / "broadcast" / "key").exists()  # not made up on the spot
    again = Ledger(tmp_path, environ=mine)
    assert again.schema_version == len(MIGRATIONS)
    again.close()


@pytest.mark.parametrize("value", ["abc", "not base64 at all!" * 3, base64.b64encode(b"x" * 16)])
def test_an_invalid_key_is_a_clear_error(tmp_path: Path, value: str | bytes) -> None:
    text = value.decode() if isinstance(value, bytes) else value
    with pytest.raises(LedgerFault, match="44 characters") as fault:
        Ledger(tmp_path, environ={"BROADCAST_KEY": text})
    assert text not in str(fault.value)  # never echoed: it could be a real key, mistyped


def test_a_schema_1_ledger_moves_its_key_out_and_still_knows_its_recipients(
    tmp_path: Path, recipient_key_home: Path
) -> None:
    path = tmp_path / "ledger.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    for statement in MIGRATIONS[0].statements():
        if statement.strip():
            db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    salt = secrets.token_bytes(16)
    db.execute("INSERT INTO meta VALUES ('salt', ?)", (salt.hex(),))
    db.execute(
        "INSERT INTO versions VALUES (1, 'panne-nord', 'h1', 'update', 'investigating',"
        " '2026-11-22T08:40:00+00:00', NULL, 'me@here', '[\"sms\"]', NULL)"
    )
    old_key = hmac.new(salt, b"+33612345678", hashlib.sha256).hexdigest()[:32]
    db.execute(
        "INSERT INTO deliveries (version_id, channel, recipient_key, recipient_hint, state,"
        " created_at, updated_at) VALUES (1, 'sms', ?, '…5678', 'sent', 'x', 'x')",
        (old_key,),
    )
    db.close()
    os.chmod(path, 0o644)
    assert salt.hex().encode() in path.read_bytes()

    ledger = Ledger(tmp_path)
    assert ledger.schema_version == len(MIGRATIONS) >= 4
    # The same person is recognised: nobody gets the message twice after the upgrade.
    assert ledger.claim(1, "sms", "+33612345678", 2)[1] == "sent"
    assert ledger.claim(1, "sms", "+33612345679", 3)[1] == "pending"
    ledger.close()
    raw = files_of(tmp_path)
    assert salt.hex().encode() not in raw and salt not in raw
    assert mode(path) == 0o600
    assert mode(recipient_key_home / "broadcast" / "key") == 0o600


def test_recipients_are_not_stored_in_clear_in_postgresql(
    tmp_path: Path, postgres_ledger: str
) -> None:
    ledger = Ledger(tmp_path, environ={"BROADCAST_KEY": new_key_text()}, address=postgres_ledger)
    version = new_version(ledger)
    ledger.claim(version.id, "sms", "+33612345678", 2)
    ledger.claim(version.id, "email", "camille.martin@example.com", 2)
    everything = " ".join(
        str(row)
        for table in ("meta", "versions", "deliveries", "renders", "suppressions")
        for row in ledger.db.execute(f"SELECT * FROM {table}").fetchall()
    )
    ledger.close()
    assert "612345678" not in everything and "camille.martin" not in everything
    assert "@example.com" in everything  # the domain is kept, for reports
    assert ledger.secret.hex() not in everything


def test_a_shared_ledger_needs_the_hosts_key_and_no_password_in_its_address(
    tmp_path: Path, postgres_ledger: str, recipient_key_home: Path
) -> None:
    with pytest.raises(LedgerFault, match="set BROADCAST_KEY to it on every host"):
        Ledger(
            tmp_path, environ={"XDG_CONFIG_HOME": str(recipient_key_home)}, address=postgres_ledger
        )
    assert not (recipient_key_home / "broadcast" / "key").exists()
    key = {"BROADCAST_KEY": new_key_text()}
    Ledger(tmp_path, environ=key, address=postgres_ledger).close()
    with pytest.raises(LedgerFault, match="BROADCAST_KEY is not the one"):
        Ledger(tmp_path, environ={"BROADCAST_KEY": new_key_text()}, address=postgres_ledger)
    with_password = postgres_ledger.replace("postgres@", "postgres:hunter2@")
    with pytest.raises(LedgerFault, match=r"PGPASSWORD or ~/\.pgpass") as fault:
        Ledger(tmp_path, environ=key, address=with_password)
    assert "hunter2" not in str(fault.value)
    # The address may also come from the environment.
    from_environment = Ledger(tmp_path, environ={**key, "BROADCAST_LEDGER": postgres_ledger})
    assert from_environment.shared and from_environment.where == postgres_ledger
    from_environment.close()


def test_an_unreachable_database_is_a_clear_fault(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"postgresql://broadcast@127.0.0.1:{port}/broadcast"
    with pytest.raises(LedgerFault, match="cannot be reached") as fault:
        Ledger(tmp_path, environ={"BROADCAST_KEY": new_key_text()}, address=address)
    assert address in str(fault.value)
