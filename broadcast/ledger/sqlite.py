"""The ledger: what was said, to whom and when, in SQLite beside channels.yaml.

It records each incident **version** (a content hash of the incident, its rendered texts per
channel, when, who ran it, the next update it promised) and each **delivery** (version, channel,
recipient, state, provider id, error, attempts, times). A delivery is written ``pending``
before the provider is called, ``sending`` just before the call, and its outcome after: the
outbox pattern. A process killed mid-send leaves ``pending`` rows (never handed over: safe to
send) and ``sending`` rows (maybe handed over: ``uncertain``, re-sent only when asked). When a
newer version of the incident is recorded, the ``pending`` rows of older versions become
``superseded``: nobody hands out an old text once a newer one exists.

Each version also remembers the file it was sent from, so a copied file that kept the id is
recognised; and a run waiting for the incident's lock with a newer version can ask the run
holding it to give way (``takeovers``).

Recipients are stored only as far as needed: a keyed hash to recognise them again, and a hint
(last four digits, or the domain) for reports. Credentials are never stored. The hash's key is
the ledger's own random secret, kept in the file only sealed with the user's recipient key
(``broadcast.ledger.key``), which lives elsewhere: the file alone gives back no number. The
files are private to their owner (0600).

Whatever goes wrong with the file or its folder (a full disk, a read-only folder, a damaged or
foreign file, the wrong key) comes out as a ``LedgerFault`` whose message names the file and
says what to do.
"""

from __future__ import annotations

import base64
import errno
import getpass
import hashlib
import hmac
import json
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from broadcast.ledger import postgres
from broadcast.ledger.key import KEY_ENV, KeyProblem, RecipientKey, key_file, load_key
from broadcast.ledger.location import LEDGER_FILE, private_folder

# The name this host goes by in the ledger and in ``status`` (default: its host name).
HOST_ENV = "BROADCAST_HOST"
# How long a run's lease on a shared ledger lasts unless renewed (a third of it apart): a
# killed run's deliveries and incident are another host's after this many seconds.
LEASE_ENV = "BROADCAST_LEASE_SECONDS"
DEFAULT_LEASE_SECONDS = 30.0
# How long a host stays an incident's primary after its last cron run (``tick``) began or
# beat: long enough to cover the cron interval (``*/5``, and a minute to spare), so a standby
# does not take over between two runs of a healthy primary, only once the primary misses them.
PRIMARY_ENV = "BROADCAST_PRIMARY_SECONDS"
DEFAULT_PRIMARY_SECONDS = 360.0
# PRAGMA application_id of a ledger ("BRDC"): tells it from another program's SQLite file.
APPLICATION_ID = 0x42524443

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED_TRANSIENT = "failed-transient"
FAILED_PERMANENT = "failed-permanent"
UNCERTAIN = "uncertain"
SUPERSEDED = "superseded"
# What the provider said once it knew: reached (an SMS delivered, a call answered), or not.
DELIVERED = "delivered"
UNDELIVERED = "undelivered"
# A call that rang out or was busy: placed again on later runs (see delivery.fallback).
UNANSWERED = "unanswered"
# Not sent: the recipient opted out, or the number cannot take this channel (suppressions).
SUPPRESSED = "suppressed"
STATES = (
    PENDING,
    SENDING,
    SENT,
    DELIVERED,
    UNDELIVERED,
    UNANSWERED,
    FAILED_TRANSIENT,
    FAILED_PERMANENT,
    UNCERTAIN,
    SUPERSEDED,
    SUPPRESSED,
)
# The provider took these: sent, and what its receipt said since (an unanswered call too).
HANDED_OVER = (SENT, DELIVERED, UNDELIVERED, UNANSWERED)
_HANDED_OVER_SQL = ", ".join(f"'{state}'" for state in HANDED_OVER)

UPDATE = "update"
REMINDER = "reminder"
# The error code of a delivery not attempted because the recipient opted out in an earlier one.
OPTED_OUT = "opted-out"

# Each entry takes the schema from version N to N+1 (SQL, or a step that needs Python);
# PRAGMA user_version says where a file is.
MIGRATIONS: tuple[str | Callable[[Ledger], None], ...] = (
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE versions (
        id INTEGER PRIMARY KEY,
        incident_id TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('update', 'reminder')),
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        next_update_at TEXT,
        run_by TEXT NOT NULL,
        channels TEXT NOT NULL,
        completed_at TEXT
    );
    CREATE INDEX versions_by_incident ON versions (incident_id, id);
    CREATE TABLE renders (
        version_id INTEGER NOT NULL REFERENCES versions (id),
        channel TEXT NOT NULL,
        locale TEXT NOT NULL,
        part TEXT NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (version_id, channel, locale, part)
    );
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        version_id INTEGER NOT NULL REFERENCES versions (id),
        channel TEXT NOT NULL,
        recipient_key TEXT NOT NULL,
        recipient_hint TEXT NOT NULL,
        line INTEGER,
        state TEXT NOT NULL CHECK (state IN
            ('pending', 'sending', 'sent', 'failed-transient', 'failed-permanent', 'uncertain')),
        provider_id TEXT,
        error_code TEXT,
        error_message TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (version_id, channel, recipient_key)
    );
    CREATE INDEX deliveries_by_state ON deliveries (version_id, channel, state);
    """,
    # 2: the file a version was sent from, which version superseded it, the ``superseded``
    # state (SQLite cannot change a CHECK: the table is rebuilt), and takeover requests.
    """
    ALTER TABLE versions ADD COLUMN source_path TEXT;
    ALTER TABLE versions ADD COLUMN superseded_by INTEGER REFERENCES versions (id);
    CREATE TABLE takeovers (
        incident_id TEXT PRIMARY KEY,
        content_hash TEXT NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE TABLE deliveries_2 (
        id INTEGER PRIMARY KEY,
        version_id INTEGER NOT NULL REFERENCES versions (id),
        channel TEXT NOT NULL,
        recipient_key TEXT NOT NULL,
        recipient_hint TEXT NOT NULL,
        line INTEGER,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed-transient',
            'failed-permanent', 'uncertain', 'superseded')),
        provider_id TEXT,
        error_code TEXT,
        error_message TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (version_id, channel, recipient_key)
    );
    INSERT INTO deliveries_2 SELECT * FROM deliveries;
    DROP TABLE deliveries;
    ALTER TABLE deliveries_2 RENAME TO deliveries;
    CREATE INDEX deliveries_by_state ON deliveries (version_id, channel, state);
    """,
    # 3: what the provider said later (delivered, undelivered, unanswered calls), deliveries
    # not made because the recipient is suppressed, the delivery a fallback stands in for,
    # when a delivery was handed over and how many calls rang out; and the suppressions.
    """
    CREATE TABLE deliveries_3 (
        id INTEGER PRIMARY KEY,
        version_id INTEGER NOT NULL REFERENCES versions (id),
        channel TEXT NOT NULL,
        recipient_key TEXT NOT NULL,
        recipient_hint TEXT NOT NULL,
        line INTEGER,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'delivered',
            'undelivered', 'unanswered', 'failed-transient', 'failed-permanent', 'uncertain',
            'superseded', 'suppressed')),
        provider_id TEXT,
        error_code TEXT,
        error_message TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        fallback_from INTEGER,  -- the delivery this one stands in for
        sent_at TEXT,
        unanswered INTEGER NOT NULL DEFAULT 0,
        UNIQUE (version_id, channel, recipient_key)
    );
    INSERT INTO deliveries_3 (id, version_id, channel, recipient_key, recipient_hint, line,
        state, provider_id, error_code, error_message, attempts, created_at, updated_at)
        SELECT id, version_id, channel, recipient_key, recipient_hint, line, state,
        provider_id, error_code, error_message, attempts, created_at, updated_at
        FROM deliveries;
    DROP TABLE deliveries;
    ALTER TABLE deliveries_3 RENAME TO deliveries;
    CREATE INDEX deliveries_by_state ON deliveries (version_id, channel, state);
    CREATE INDEX deliveries_by_fallback ON deliveries (fallback_from);
    CREATE TABLE suppressions (
        channel TEXT NOT NULL,
        recipient_key TEXT NOT NULL,
        error_code TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (channel, recipient_key)
    );
    """,
    # Versions 4 (``_seal_recipient_secret``: the key moves out of the file) and 5 (attempt
    # and receipt times) are defined below.
)
# Keys looked up at once by ``claim_batch``: well under any engine's limit on parameters.
CLAIM_CHUNK = 500
# Provider errors that mean "never send this channel to this recipient again": not a valid
# number (21211), not a mobile (21614). An opt-out (21610) is remembered the same way by the
# channel's ``opt_out_codes`` (see ``opted_out``) and counted as ``opted-out``.
SUPPRESSING_ERRORS = frozenset({"21211", "21614"})


class LedgerFault(Exception):
    """The ledger or its folder cannot be used; the message names the file and what to do."""


def ledger_fault(exc: BaseException, path: Path) -> LedgerFault:
    """An error of SQLite or of the file system, said as what it means for the ledger."""
    folder = path.parent
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    number = getattr(exc, "errno", None) if isinstance(exc, OSError) else None
    detail = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
    if name == "SQLITE_FULL" or number in (errno.ENOSPC, errno.EDQUOT):
        return LedgerFault(
            f"the disk holding the ledger {path} is full ({detail}), so broadcast stopped. Free "
            "some space there and run the same command again: what the ledger records as sent "
            "is not sent again, and what was in flight is listed as uncertain."
        )
    if (
        name.startswith("SQLITE_READONLY")
        or number == errno.EROFS
        or (name.startswith("SQLITE_CANTOPEN") and _on_read_only_disk(folder))
    ):
        return LedgerFault(
            f"the state folder {folder} is read-only ({detail}), so the ledger {path} cannot be "
            "written. Make it writable, or move the ledger to a writable folder and point "
            "--state (or BROADCAST_STATE) at it."
        )
    if number in (errno.EACCES, errno.EPERM):
        return LedgerFault(
            f"the state folder {folder} or the ledger {path} is not writable by this user "
            f"({detail}). Run broadcast as the user who owns them, or fix their permissions."
        )
    if name in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or name.startswith("SQLITE_CORRUPT"):
        return LedgerFault(_damaged(path, detail))
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return LedgerFault(
            f"the ledger {path} stayed locked by another process ({detail}); run the same "
            "command again when it is done."
        )
    return LedgerFault(
        f"the ledger {path} cannot be used ({detail}). Check the disk and the folder's "
        "permissions, then run the same command again."
    )


@contextmanager
def ledger_errors(path: Path) -> Iterator[None]:
    """SQLite's errors about ``path`` come out as a ``LedgerFault``."""
    try:
        yield
    except sqlite3.Error as exc:
        raise ledger_fault(exc, path) from exc


def _damaged(path: Path, detail: str) -> str:
    return (
        f"{path} is not a readable broadcast ledger ({detail}). Move it aside and restore it "
        "from your last backup: without it broadcast cannot tell who already got which "
        "message. If there is no backup, move it aside and send with --ledger-lost: everyone "
        "then gets the current version again."
    )


def _on_read_only_disk(folder: Path) -> bool:
    for candidate in (folder, *folder.parents):
        try:
            return bool(os.statvfs(candidate).f_flag & os.ST_RDONLY)
        except FileNotFoundError:
            continue
        except OSError:
            return False
    return False


def _check_header(path: Path) -> None:
    """Refuse at once a file that is not SQLite or was cut short (SQLite would read zeros)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    if size == 0:
        return  # an empty file is an empty ledger: the lost-ledger checks look at it
    with path.open("rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        raise LedgerFault(_damaged(path, "it is not an SQLite file"))
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    wal = path.with_name(path.name + "-wal")
    # The page count is valid when "version-valid-for" equals the change counter; with a WAL,
    # a checkpoint cut short (a full disk) may have left the file shorter: the WAL repairs it.
    if (
        header[24:28] == header[92:96]
        and pages
        and size < pages * page_size
        and not (wal.is_file() and wal.stat().st_size > 0)
    ):
        raise LedgerFault(_damaged(path, f"it was cut short: {size} bytes of {pages * page_size}"))


def _private(path: Path) -> None:
    """The ledger and its -wal and -shm are the owner's only; SQLite gives the last two the
    mode of the first."""
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)
        except OSError:
            pass  # absent, or on a read-only disk: SQLite says so when it matters


def now_text(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Version:
    id: int
    incident_id: str
    content_hash: str
    kind: str
    status: str
    created_at: datetime
    next_update_at: datetime | None
    run_by: str
    channels: tuple[str, ...]
    completed_at: datetime | None = None
    source_path: str | None = None  # the incident file it was sent from (absolute)
    superseded_by: int | None = None
    approval_id: int | None = None  # the approval it went out under, if one was needed
    sent_by: str | None = None  # the person who sent it (``--as``, BROADCAST_USER, login)
    exercise: bool = False
    # When the run handed it to the providers (its clock); ``created_at`` is the moment its
    # texts speak for, which under an approval is the approval's, earlier. None: an older row.
    sent_at: datetime | None = None
    # The sender's SSH signature (approval.allowed_signers), None when the send was unsigned.
    sender_signature: str | None = None

    @property
    def went_out_at(self) -> datetime:
        """When it was handed out: ``sent_at``, or for an older row its ``created_at``."""
        return self.sent_at or self.created_at


@dataclass(frozen=True)
class Continuation:
    """A later run that sent (the rest of) a version: who, when, and their signature."""

    sent_by: str
    sent_at: datetime
    sender_signature: str | None = None


@dataclass(frozen=True)
class Approval:
    """A person's approval of every text a version carries (their hash, rendered then)."""

    id: int
    incident_id: str
    texts_hash: str
    rendered_at: datetime
    approved_by: str
    approved_at: datetime
    signature: str | None = None


@dataclass(frozen=True)
class Contact:
    """An earlier recipient, as the sealed copy of their address gives them back."""

    address: str
    name: str
    locale: str | None
    line: int | None


@dataclass(frozen=True)
class Delivery:
    id: int
    channel: str
    recipient_hint: str
    line: int | None
    state: str
    provider_id: str | None
    error_code: str | None
    error_message: str | None
    attempts: int
    recipient_key: str = ""
    fallback_from: int | None = None
    sent_at: datetime | None = None
    unanswered: int = 0


class Ledger:
    """One SQLite file (WAL) shared by every incident handled from one configuration.

    Safe to use from several threads: writes are serialised on one connection.
    """

    def __init__(
        self,
        folder: Path,
        clock: Callable[[], datetime] | None = None,
        environ: Mapping[str, str] | None = None,
        address: str | None = None,
    ) -> None:
        """``clock`` stamps deliveries; a run pinned to another time (BROADCAST_NOW) passes
        one that starts there and moves with real time, so a report of a replay adds up.
        ``environ`` is where ``BROADCAST_KEY`` and the key file's folder are looked up.
        ``address``: a PostgreSQL ledger (``ledger:`` of channels.yaml), else
        ``BROADCAST_LEDGER`` of ``environ``, else the SQLite file in ``folder``.

        Raises ``LedgerFault`` when the file or its folder, or the database, cannot be used.
        """
        self.clock = clock or (lambda: datetime.now(UTC))
        self.folder = folder
        self.path = folder / LEDGER_FILE
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.address = address or self.environ.get(postgres.URL_ENV) or None
        # Shared by several hosts (PostgreSQL): claims, leases and the rate are the database's.
        self.shared = self.address is not None
        # Where the ledger is, as said in messages (never a password).
        self.where = postgres.shown(self.address) if self.address else str(self.path)
        self.lock = threading.RLock()
        self.db: Any = None
        # This run's token on a shared ledger, and the thread that keeps its lease alive.
        self.run = secrets.token_hex(8)
        self.host = _who(self.environ)
        self.lease_seconds = _seconds(self.environ, LEASE_ENV, DEFAULT_LEASE_SECONDS)
        self.primary_seconds = _seconds(self.environ, PRIMARY_ENV, DEFAULT_PRIMARY_SECONDS)
        self._heartbeat: threading.Thread | None = None
        self._closing = threading.Event()
        self._held: set[str] = set()  # lease names this run holds besides its own
        self._primary: set[str] = set()  # incidents' primary leases this host renews
        try:
            if self.address is not None:
                self._open_shared(self.address)
            else:
                self._open()
        except BaseException as exc:
            if self.db is not None:
                self.db.close()
            if isinstance(exc, KeyProblem):
                raise LedgerFault(str(exc)) from None
            if isinstance(exc, sqlite3.Error | OSError):
                raise ledger_fault(exc, self.path) from exc
            raise

    def _open(self) -> None:
        private_folder(self.folder)
        _check_header(self.path)
        _private(self.path)
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        # A commit survives the process being killed; only a power cut could lose the last ones.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=10000")
        self.db.execute("PRAGMA foreign_keys=ON")
        # What is deleted is overwritten, not left in free pages: the old in-file key (v1).
        self.db.execute("PRAGMA secure_delete=ON")
        self._migrate()
        self.secret = self._unseal()

    def _open_shared(self, address: str) -> None:
        """A PostgreSQL ledger: hosts share it, so the recipient key must be the same on each:
        ``BROADCAST_KEY``, not a key file one host made for itself."""
        try:
            postgres.check_address(address)
        except postgres.AddressProblem as exc:
            raise LedgerFault(f"the ledger address: {exc}") from None
        if not self.environ.get(KEY_ENV):
            raise LedgerFault(
                f"the ledger {self.where} is shared by hosts, so each needs the same recipient "
                f"key: set {KEY_ENV} to it on every host (32 random bytes in standard base64, "
                'as `python -c "import base64, secrets; print(base64.b64encode('
                'secrets.token_bytes(32)).decode())"` prints). A shared ledger is refused '
                "without it."
            )
        # The host's state folder still keeps what is the host's own (traces, markers).
        private_folder(self.folder)
        self.db = postgres.Connection(
            address, lambda exc: LedgerFault(postgres.fault_message(exc, address))
        )
        self._migrate()
        self.secret = self._unseal()

    def _stamp(self) -> str:
        """Now, on the run's clock: when a delivery changed state."""
        return now_text(self.clock())

    # -- schema --------------------------------------------------------------------------

    def _migrate(self) -> None:
        assert self.db is not None
        if self.shared:
            self._migrate_shared()
            return
        with self.lock:
            current = self.db.execute("PRAGMA user_version").fetchone()[0]
            application = self.db.execute("PRAGMA application_id").fetchone()[0]
            tables = [
                row[0]
                for row in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
            if application not in (0, APPLICATION_ID) or (current == 0 and tables):
                raise LedgerFault(
                    f"{self.path} is an SQLite file of another program (tables: "
                    f"{', '.join(tables[:5]) or 'none'}), not a broadcast ledger. Move it aside "
                    "and restore the ledger from your last backup, or point --state (or "
                    "BROADCAST_STATE) at the folder that holds it."
                )
            if current > len(MIGRATIONS):
                raise LedgerFault(
                    f"{self.path} was written by a newer broadcast (schema {current}); upgrade "
                    "broadcast to use it."
                )
            for number, step in enumerate(MIGRATIONS[current:], start=current + 1):
                with self.transaction() as db:
                    if isinstance(step, str):
                        for statement in step.split(";"):
                            if statement.strip():
                                db.execute(statement)
                    else:
                        step(self)
                    db.execute(f"PRAGMA user_version = {number}")
            if current and current < len(MIGRATIONS):
                # Old pages (with whatever the migration deleted) leave the WAL file too.
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _migrate_shared(self) -> None:
        """The same migrations in PostgreSQL, one host at a time (an advisory lock)."""
        with self.transaction() as db:
            db.execute(f"SELECT pg_advisory_xact_lock({postgres.MIGRATION_LOCK})")
            current = postgres.schema_version(db)
            found = postgres.tables(db)
            if current == 0 and found:
                raise LedgerFault(
                    f"the database {self.where} holds another program's tables "
                    f"({', '.join(found[:5])}), not a broadcast ledger. Give broadcast a "
                    "database of its own."
                )
            if current > len(MIGRATIONS):
                raise LedgerFault(
                    f"{self.where} was written by a newer broadcast (schema {current}); upgrade "
                    "broadcast to use it."
                )
            for number, step in enumerate(MIGRATIONS[current:], start=current + 1):
                if isinstance(step, str):
                    for statement in step.split(";"):
                        if statement.strip():
                            db.execute(postgres.translate_ddl(statement))
                else:
                    step(self)
                postgres.resync_identities(db)
                postgres.set_schema_version(db, number)

    @property
    def schema_version(self) -> int:
        if self.shared:
            return postgres.schema_version(self.db)
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _unseal(self) -> bytes:
        """The ledger's recipient secret, opened with the user's key (checked first)."""
        assert self.db is not None
        meta = {
            row["key"]: row["value"]
            for row in self.db.execute(
                "SELECT key, value FROM meta WHERE key IN ('ledger_id', 'sealed', 'key_check')"
            )
        }
        key = load_key(self.environ, create=False)
        if key is None:
            raise LedgerFault(
                f"{self.where} was written with a recipient key, and there is none here: "
                f"{KEY_ENV} is not set and {key_file(self.environ)} does not exist. Restore the "
                f"key file from your backup (or set {KEY_ENV} to that key); without it broadcast "
                "cannot recognise who already got a message and would send it to everyone again."
            )
        if not hmac.compare_digest(_key_check(key, meta["ledger_id"]), meta["key_check"]):
            raise LedgerFault(
                f"the recipient key from {key.source} is not the one {self.where} was written "
                f"with. Restore the right key file from your backup (or set {KEY_ENV} to it): "
                "with another key broadcast would not recognise who already got a message and "
                "would send it to everyone again."
            )
        from cryptography.fernet import Fernet

        # Its own key, derived from the recipient key: the addresses kept for corrections.
        derived = hmac.new(
            key.secret, b"broadcast contacts\0" + meta["ledger_id"].encode(), "sha256"
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived.digest()))
        secret = _seal(key, meta["ledger_id"], bytes.fromhex(meta["sealed"]))
        self._check_secret(key, meta["ledger_id"], secret)
        return secret

    def _check_secret(self, key: RecipientKey, ledger_id: str, secret: bytes) -> None:
        """The key check proves the key is the ledger's, not that the secret it opens is: the
        seal has no integrity of its own, so a replaced or damaged ``sealed`` value opens to
        another secret, every recipient gets another hash and everyone would be sent the
        message again. The secret must open the ledger's own rows (a few deliveries, whose
        sealed address hashes to their recipient key) and match the ledger's canary (an HMAC
        of the secret with the key, written when the secret was made); a ledger from before
        the canary gets it once its rows agree."""
        from cryptography.fernet import InvalidToken

        refused = LedgerFault(
            f"the recipient secret sealed in {self.where} does not open the ledger's own rows: "
            "it was replaced or damaged (the key is right, the secret it unseals is not the "
            "one the deliveries were recorded with): with it broadcast would not recognise "
            "who already got a message and would send it to everyone again. Restore the "
            "ledger from your backup."
        )
        canary = _secret_check(key, ledger_id, secret)
        recorded = self.db.execute("SELECT value FROM meta WHERE key = 'secret_check'").fetchone()
        if recorded is not None and not hmac.compare_digest(canary, str(recorded["value"])):
            raise refused
        # The oldest and the newest rows: a secret swapped after the first sends fails both.
        rows = self.db.execute(
            "SELECT recipient_key, recipient_sealed FROM deliveries WHERE id IN ("
            " SELECT id FROM deliveries WHERE recipient_sealed IS NOT NULL ORDER BY id LIMIT 2)"
            " OR id IN (SELECT id FROM deliveries WHERE recipient_sealed IS NOT NULL"
            " ORDER BY id DESC LIMIT 2)"
        ).fetchall()
        for row in rows:
            try:
                address = self.open_contact(str(row["recipient_sealed"])).address
            except (InvalidToken, ValueError, KeyError, TypeError):
                raise refused from None
            expected = hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:32]
            if not hmac.compare_digest(expected, str(row["recipient_key"])):
                raise refused
        if recorded is None:
            # Best effort: a ledger that cannot be written now is checked by its rows again.
            with suppress(sqlite3.Error, LedgerFault), self.transaction() as db:
                db.execute(
                    "INSERT INTO meta VALUES ('secret_check', ?) ON CONFLICT (key) DO NOTHING",
                    (canary,),
                )

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        assert self.db is not None
        with self.lock:
            # SQLite: take the write lock now, not at the first write (no deadlock on upgrade).
            self.db.execute("BEGIN" if self.shared else "BEGIN IMMEDIATE")
            try:
                yield self.db
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    # If the rollback fails too, the error that got us here says more.
                    with suppress(sqlite3.Error, LedgerFault):
                        self.db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self._closing.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
            self._heartbeat = None
            with suppress(sqlite3.Error, LedgerFault):
                for name in (*self._held, f"run:{self.run}"):
                    self.release_lease(name, self.run)
        with self.lock:
            if self.db is not None:
                self.db.close()

    # -- recipients ----------------------------------------------------------------------

    def recipient_key(self, address: str) -> str:
        """A keyed hash: recognises a recipient again without storing the address."""
        return hmac.new(self.secret, address.encode(), hashlib.sha256).hexdigest()[:32]

    def seal_contact(self, contact: Contact) -> str:
        """The contact encrypted (Fernet: AES-128-CBC with HMAC-SHA-256) with the recipient key."""
        data = {
            "address": contact.address,
            "name": contact.name,
            "locale": contact.locale,
            "line": contact.line,
        }
        return self._fernet.encrypt(json.dumps(data, ensure_ascii=False).encode()).decode()

    def open_contact(self, sealed: str) -> Contact:
        data = json.loads(self._fernet.decrypt(sealed.encode()))
        return Contact(data["address"], data["name"], data["locale"], data["line"])

    def earlier_recipients(
        self, incident_id: str, channel: str, before_version: int
    ) -> tuple[list[Contact], int]:
        """Everyone an earlier version of the incident reached (or may have) on ``channel``,
        once each, from the sealed copies; and how many rows had none (written before the
        addresses were kept) and so cannot be reached again."""
        rows = self.db.execute(
            "SELECT d.recipient_key, d.recipient_sealed FROM deliveries d"
            " JOIN versions v ON v.id = d.version_id"
            " WHERE v.incident_id = ? AND d.channel = ? AND d.version_id < ?"
            f" AND d.state IN ({_HANDED_OVER_SQL}, 'uncertain') ORDER BY d.id",
            (incident_id, channel, before_version),
        ).fetchall()
        seen: set[str] = set()
        contacts: list[Contact] = []
        lost: set[str] = set()
        for row in rows:
            key = str(row["recipient_key"])
            if key in seen:
                continue
            if row["recipient_sealed"] is None:
                lost.add(key)
                continue
            seen.add(key)
            contacts.append(self.open_contact(str(row["recipient_sealed"])))
        return contacts, len(lost - seen)

    @staticmethod
    def recipient_hint(address: str) -> str:
        if "@" in address:
            return "@" + address.rsplit("@", 1)[1]
        return "…" + address[-4:] if len(address) > 4 else address

    # -- versions ------------------------------------------------------------------------

    def add_version(
        self,
        incident_id: str,
        content_hash: str,
        kind: str,
        status: str,
        created_at: datetime,
        next_update_at: datetime | None,
        channels: list[str],
        renders: list[tuple[str, str, str, str]],
        source_path: str | None = None,
        approval_id: int | None = None,
        sent_by: str | None = None,
        exercise: bool = False,
        sender_signature: str | None = None,
    ) -> Version:
        """Record a new version with its rendered texts ``(channel, locale, part, text)``,
        handed out now (``sent_at``, the ledger's clock) with texts speaking for ``created_at``.

        The ``pending`` deliveries of the incident's earlier versions become ``superseded``
        in the same transaction: from now on only this version is handed out.
        """
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO versions (incident_id, content_hash, kind, status, created_at,"
                " next_update_at, run_by, channels, source_path, approval_id, sent_by, exercise,"
                " sent_at, sender_signature)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    incident_id,
                    content_hash,
                    kind,
                    status,
                    now_text(created_at),
                    now_text(next_update_at) if next_update_at else None,
                    _who(self.environ),
                    json.dumps(channels),
                    source_path,
                    approval_id,
                    sent_by,
                    int(exercise),
                    self._stamp(),
                    sender_signature,
                ),
            )
            version_id = int(cursor.fetchone()[0])
            earlier = "SELECT id FROM versions WHERE incident_id = ? AND id < ?"
            db.execute(
                f"UPDATE deliveries SET state = 'superseded', updated_at = ?"
                f" WHERE state = 'pending' AND version_id IN ({earlier})",
                (self._stamp(), incident_id, version_id),
            )
            # An unfinished version that a newer one overtook: never finished, by design.
            db.execute(
                f"UPDATE versions SET superseded_by = ? WHERE superseded_by IS NULL"
                f" AND completed_at IS NULL AND id IN ({earlier})",
                (version_id, incident_id, version_id),
            )
            db.executemany(
                "INSERT INTO renders VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (version_id, channel, locale, part)"
                " DO UPDATE SET text = excluded.text",
                [(version_id, *render) for render in renders],
            )
        version = self.version(version_id)
        assert version is not None
        return version

    def version(self, version_id: int) -> Version | None:
        row = self.db.execute("SELECT * FROM versions WHERE id = ?", (version_id,)).fetchone()
        return _version(row) if row else None

    def versions(self, incident_id: str) -> list[Version]:
        rows = self.db.execute(
            "SELECT * FROM versions WHERE incident_id = ? ORDER BY id", (incident_id,)
        ).fetchall()
        return [_version(row) for row in rows]

    def latest_version(self, incident_id: str, kind: str | None = None) -> Version | None:
        query = "SELECT * FROM versions WHERE incident_id = ?"
        args: list[Any] = [incident_id]
        if kind:
            query += " AND kind = ?"
            args.append(kind)
        row = self.db.execute(query + " ORDER BY id DESC LIMIT 1", args).fetchone()
        return _version(row) if row else None

    def renders(self, version_id: int) -> dict[str, dict[str, str]]:
        """channel → part → text, as recorded for the version."""
        out: dict[str, dict[str, str]] = {}
        for row in self.db.execute(
            "SELECT channel, part, text FROM renders WHERE version_id = ?", (version_id,)
        ):
            out.setdefault(row["channel"], {})[row["part"]] = row["text"]
        return out

    def recorded_texts(self, version_id: int) -> dict[str, dict[str, dict[str, str]]]:
        """channel → locale → part → text, exactly as recorded for the version."""
        out: dict[str, dict[str, dict[str, str]]] = {}
        for row in self.db.execute(
            "SELECT channel, locale, part, text FROM renders WHERE version_id = ?", (version_id,)
        ):
            out.setdefault(row["channel"], {}).setdefault(row["locale"], {})[row["part"]] = row[
                "text"
            ]
        return out

    def mark_complete(self, version_id: int) -> None:
        """Every channel of the version went through a whole run (sent, or failed for good)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE versions SET completed_at = ? WHERE id = ?",
                (self._stamp(), version_id),
            )

    def reopen_version(self, version_id: int) -> None:
        """Deliveries were put back in the queue: the next run continues the version."""
        with self.transaction() as db:
            db.execute("UPDATE versions SET completed_at = NULL WHERE id = ?", (version_id,))

    def move_source(self, version_id: int, source_path: str) -> None:
        """The incident now speaks through another file (``--continue-incident``): later runs
        compare with it, even when this run had nothing new to record."""
        with self.transaction() as db:
            db.execute(
                "UPDATE versions SET source_path = ? WHERE id = ?", (source_path, version_id)
            )

    def extend_channels(self, version_id: int, channels: list[str]) -> Version:
        """Add channels to a version (a later run chose more of them); it is open again."""
        version = self.version(version_id)
        assert version is not None
        merged = [*version.channels, *(c for c in channels if c not in version.channels)]
        if len(merged) != len(version.channels):
            with self.transaction() as db:
                db.execute(
                    "UPDATE versions SET channels = ?, completed_at = NULL WHERE id = ?",
                    (json.dumps(merged), version_id),
                )
        updated = self.version(version_id)
        assert updated is not None
        return updated

    def add_continuation(
        self, version_id: int, sent_by: str, sender_signature: str | None = None
    ) -> None:
        """A later run sends (the rest of) a version: who, when (now), and its signature."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO continued_by (version_id, sent_by, sent_at, sender_signature)"
                " VALUES (?, ?, ?, ?)",
                (version_id, sent_by, self._stamp(), sender_signature),
            )

    def continuations(self, version_id: int) -> list[Continuation]:
        """The later runs that sent (the rest of) a version, oldest first."""
        rows = self.db.execute(
            "SELECT sent_by, sent_at, sender_signature FROM continued_by WHERE version_id = ?"
            " ORDER BY id",
            (version_id,),
        ).fetchall()
        return [
            Continuation(
                row["sent_by"], datetime.fromisoformat(row["sent_at"]), row["sender_signature"]
            )
            for row in rows
        ]

    # -- approvals -----------------------------------------------------------------------

    def add_approval(
        self,
        incident_id: str,
        texts_hash: str,
        rendered_at: datetime,
        approved_by: str,
        signature: str | None = None,
        approved_at: datetime | None = None,
    ) -> Approval:
        """Record that ``approved_by`` approved the texts whose hash is ``texts_hash``
        (rendered at ``rendered_at``), at ``approved_at`` (default: the ledger's clock)."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO approvals (incident_id, texts_hash, rendered_at, approved_by,"
                " approved_at, signature) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    incident_id,
                    texts_hash,
                    now_text(rendered_at),
                    approved_by,
                    now_text(approved_at) if approved_at else self._stamp(),
                    signature,
                ),
            )
            approval_id = int(cursor.fetchone()[0])
        found = self.approval(approval_id)
        assert found is not None
        return found

    def approval(self, approval_id: int) -> Approval | None:
        row = self.db.execute("SELECT * FROM approvals WHERE id = ?", (approval_id,)).fetchone()
        return _approval(row) if row else None

    def approvals(self, incident_id: str) -> list[Approval]:
        """The incident's approvals, newest first."""
        rows = self.db.execute(
            "SELECT * FROM approvals WHERE incident_id = ? ORDER BY id DESC", (incident_id,)
        ).fetchall()
        return [_approval(row) for row in rows]

    # -- takeovers ------------------------------------------------------------------------

    def request_takeover(self, incident_id: str, content_hash: str, wait: float) -> None:
        """A run with a newer version (``content_hash``) asks the one sending to give way.

        The request lapses after ``wait`` seconds (how long the asking run waits for the lock),
        so a run that died while waiting stops no one.
        """
        with self.transaction() as db:
            db.execute(
                "INSERT INTO takeovers VALUES (?, ?, ?) ON CONFLICT (incident_id) DO UPDATE"
                " SET content_hash = excluded.content_hash, expires_at = excluded.expires_at",
                (incident_id, content_hash, time.time() + wait),
            )

    def takeover_requested(self, incident_id: str) -> str | None:
        """The content hash of the version waiting to take over the incident, if any."""
        with self.lock:
            row = self.db.execute(
                "SELECT content_hash FROM takeovers WHERE incident_id = ? AND expires_at > ?",
                (incident_id, time.time()),
            ).fetchone()
        return str(row["content_hash"]) if row else None

    def clear_takeover(self, incident_id: str, content_hash: str) -> None:
        """The request for ``content_hash`` is answered (the lock is ours) or given up."""
        with self.transaction() as db:
            db.execute(
                "DELETE FROM takeovers WHERE incident_id = ? AND (content_hash = ?"
                " OR expires_at <= ?)",
                (incident_id, content_hash, time.time()),
            )

    # -- hosts sharing the ledger ---------------------------------------------------------
    #
    # Each run on a shared ledger has a token and a lease (``run:<token>``) it renews while it
    # lives; a delivery it took names it (``claimed_by``). A run killed with kill -9 renews
    # nothing: when its lease ends, what it had taken is anyone's again. The run that holds an
    # incident (``incident:<id>``) is the one ``status`` names and a standby waits for.

    def _now_sql(self) -> str:
        """The database's clock in seconds since 1970: the same clock for every host."""
        if self.shared:
            return "extract(epoch from clock_timestamp())::float8"
        return "((julianday('now') - 2440587.5) * 86400.0)"

    def renew_lease(
        self, name: str, holder: str, seconds: float, host: str = "", at: float | None = None
    ) -> str | None:
        """Take or keep the lease ``name`` for ``seconds``; the holder's token if another
        live run holds it (then nothing changes), else None. ``at``: the moment on the run's
        own clock (a primary's lease), else the database's clock."""
        now = self._now_sql() if at is None else "?"
        moments = () if at is None else (at,)
        with self.transaction() as db:
            db.execute(
                f"INSERT INTO leases VALUES (?, ?, ?, {now} + ?)"
                " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                " host = excluded.host, expires_at = excluded.expires_at"
                f" WHERE leases.holder = excluded.holder OR leases.expires_at <= {now}",
                (name, holder, host or _who(), *moments, seconds, *moments),
            )
            row = db.execute("SELECT holder FROM leases WHERE name = ?", (name,)).fetchone()
        return None if row is None or row["holder"] == holder else str(row["holder"])

    def release_lease(self, name: str, holder: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    def lease_of(self, name: str, at: float | None = None) -> tuple[str, str, float] | None:
        """``(holder, host, seconds left)`` of a live lease, or None (``at``: as in
        ``renew_lease``)."""
        now = self._now_sql() if at is None else "?"
        moments = () if at is None else (at,)
        row = self.db.execute(
            f"SELECT holder, host, expires_at - {now} AS left_s FROM leases"
            f" WHERE name = ? AND expires_at > {now}",
            (*moments, name, *moments),
        ).fetchone()
        return (str(row["holder"]), str(row["host"]), float(row["left_s"])) if row else None

    def alive(self) -> None:
        """This run takes its lease and keeps it while the ledger is open (a heartbeat)."""
        if self._heartbeat is not None:
            return
        self.renew_lease(f"run:{self.run}", self.run, self.lease_seconds, self.host)
        self._heartbeat = threading.Thread(target=self._beat, name="ledger-lease", daemon=True)
        self._heartbeat.start()

    def _beat(self) -> None:
        while not self._closing.wait(self.lease_seconds / 3):
            # A database out of reach for a moment: the next beat tries again; a run that
            # cannot renew for a whole lease loses its deliveries to another host, as it should.
            with suppress(sqlite3.Error, LedgerFault):
                for name in (f"run:{self.run}", *self._held):
                    self.renew_lease(name, self.run, self.lease_seconds, self.host)
                for name in tuple(self._primary):
                    self._renew_primary(name)

    def hold_incident(self, incident_id: str) -> tuple[str, float] | None:
        """Take the incident for this run (renewed while it runs); if another live run holds
        it, ``(its host, seconds left on its lease)`` instead."""
        self.alive()
        name = f"incident:{incident_id}"
        if self.renew_lease(name, self.run, self.lease_seconds, self.host) is None:
            self._held.add(name)
            return None
        lease = self.lease_of(name)
        return (lease[1], lease[2]) if lease is not None else (self.host, 0.0)

    def holder(self, incident_id: str) -> tuple[str, float] | None:
        """``(host, seconds left)`` of the run holding the incident, if one does."""
        lease = self.lease_of(f"incident:{incident_id}")
        return (lease[1], lease[2]) if lease is not None else None

    # The primary host of an incident: the host whose cron runs (``tick``) speak for it. Its
    # lease is the host's, not a run's: it outlives each run by the cron interval, on the runs'
    # clock (``BROADCAST_NOW`` moves it), so a standby host stands by between two runs of a
    # healthy primary and takes over only once the primary has missed its runs.

    def _renew_primary(self, name: str) -> str | None:
        at = self.clock().timestamp()
        return self.renew_lease(name, self.host, self.primary_seconds, self.host, at=at)

    def hold_primary(self, incident_id: str) -> tuple[str, datetime] | None:
        """Make this host the incident's primary (renewed while the ledger is open, and kept
        after it closes); if another host is, ``(that host, when its lease ends)`` instead.

        A primary whose run died holding the incident (killed, its host cut off: the run's
        lease ended without being released) is replaced at once: its work is resumed within a
        run lease, not after the primary's whole lease."""
        name = f"primary:{incident_id}"
        if self._renew_primary(name) is None or self._take_from_dead_primary(incident_id):
            self.alive()
            self._primary.add(name)
            return None
        return self.primary(incident_id)

    def _take_from_dead_primary(self, incident_id: str) -> bool:
        """Become the primary if the primary host's run died holding the incident: its
        ``incident:`` lease is still there, ended, never released (a run that ends well
        releases it). Only one standby wins: the primary changes only from that dead host."""
        at = self.clock().timestamp()
        with self.transaction() as db:
            row = db.execute(
                "SELECT p.holder FROM leases p JOIN leases r ON r.host = p.host"
                f" WHERE p.name = ? AND r.name = ? AND r.expires_at <= {self._now_sql()}",
                (f"primary:{incident_id}", f"incident:{incident_id}"),
            ).fetchone()
            if row is None:
                return False
            taken = db.execute(
                "UPDATE leases SET holder = ?, host = ?, expires_at = ? + ?"
                " WHERE name = ? AND holder = ? RETURNING name",
                (
                    self.host,
                    self.host,
                    at,
                    self.primary_seconds,
                    f"primary:{incident_id}",
                    row["holder"],
                ),
            ).fetchone()
        return taken is not None

    def primary(self, incident_id: str, now: datetime | None = None) -> tuple[str, datetime] | None:
        """``(host, when its lease ends)`` of the incident's primary host, if one is (at
        ``now``, else on the run's clock)."""
        at = (now or self.clock()).timestamp()
        lease = self.lease_of(f"primary:{incident_id}", at=at)
        if lease is None:
            return None
        return lease[1], datetime.fromtimestamp(at + lease[2], UTC)

    def _dead_claim_sql(self) -> str:
        """True for a row no live run has taken (a dead run's lease has ended)."""
        return (
            "(claimed_by IS NULL OR NOT EXISTS (SELECT 1 FROM leases l WHERE"
            f" l.name = 'run:' || deliveries.claimed_by AND l.expires_at > {self._now_sql()}))"
        )

    def take(self, delivery_ids: list[int]) -> set[int]:
        """Of ``delivery_ids``, the ones this run now has to itself: waiting
        (pending, or uncertain to look up), and taken by no other live run. PostgreSQL skips
        rows another host is taking at this moment instead of waiting for it."""
        if not delivery_ids:
            return set()
        self.alive()
        run = self.run
        marks = ",".join("?" * len(delivery_ids))
        skip = " FOR UPDATE SKIP LOCKED" if self.shared else ""
        with self.transaction() as db:
            rows = db.execute(
                "UPDATE deliveries SET claimed_by = ? WHERE id IN (SELECT id FROM deliveries"
                f" WHERE id IN ({marks}) AND state IN ('pending', 'uncertain')"
                f" AND (claimed_by = ? OR {self._dead_claim_sql()}){skip}) RETURNING id",
                (run, *delivery_ids, run),
            ).fetchall()
        return {int(row[0]) for row in rows}

    def waiting_elsewhere(self, version_id: int, channel: str) -> int:
        """Deliveries of the version on ``channel`` that another live run took and has not
        finished."""
        row = self.db.execute(
            "SELECT count(*) FROM deliveries WHERE version_id = ? AND channel = ?"
            " AND state IN ('pending', 'sending', 'uncertain') AND claimed_by <> ?"
            f" AND NOT {self._dead_claim_sql()}",
            (version_id, channel, self.run),
        ).fetchone()
        return int(row[0])

    def unfinished(self, version_id: int, channel: str | None = None) -> int:
        """Deliveries of the version (on ``channel``) still to send or in flight."""
        only = " AND channel = ?" if channel else ""
        row = self.db.execute(
            "SELECT count(*) FROM deliveries WHERE version_id = ?"
            f" AND state IN ('pending', 'sending'){only}",
            (version_id, *([channel] if channel else [])),
        ).fetchone()
        return int(row[0])

    def reserve_slot(self, channel: str, seconds: float) -> float:
        """The channel's next free moment for one message, shared by every host: how long
        this one waits for it. The slot after it is ``seconds`` later (the rate's spacing)."""
        now = self._now_sql()
        with self.transaction() as db:
            db.execute(
                f"INSERT INTO rates VALUES (?, {now}) ON CONFLICT (channel) DO NOTHING",
                (channel,),
            )
            row = db.execute(
                f"UPDATE rates SET next_slot = CASE WHEN next_slot > {now} THEN next_slot"
                f" ELSE {now} END + ? WHERE channel = ? RETURNING next_slot - ? - {now}",
                (seconds, channel, seconds),
            ).fetchone()
        return max(0.0, float(row[0]))

    def hold_rate(self, channel: str, seconds: float) -> None:
        """The provider said to slow down: no host sends on the channel for ``seconds``."""
        now = self._now_sql()
        with self.transaction() as db:
            db.execute(
                f"UPDATE rates SET next_slot = {now} + ? WHERE channel = ?"
                f" AND next_slot < {now} + ?",
                (seconds, channel, seconds),
            )

    # -- deliveries ----------------------------------------------------------------------

    def claim(
        self,
        version_id: int,
        channel: str,
        address: str,
        line: int | None,
        name: str = "",
        locale: str | None = None,
    ) -> tuple[int, str]:
        """Record a pending delivery unless one exists; return its id and current state.

        The address (with the name and language) is kept sealed with the recipient key: a
        correction can reach this person again; the ledger alone reveals nobody.
        """
        key = self.recipient_key(address)
        stamp = self._stamp()
        sealed = self.seal_contact(Contact(address, name, locale, line))
        with self.transaction() as db:
            db.execute(
                "INSERT INTO deliveries (version_id, channel, recipient_key,"
                " recipient_hint, line, state, created_at, updated_at, recipient_sealed)"
                " VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)"
                " ON CONFLICT (version_id, channel, recipient_key) DO NOTHING",
                (
                    version_id,
                    channel,
                    key,
                    self.recipient_hint(address),
                    line,
                    stamp,
                    stamp,
                    sealed,
                ),
            )
            row = db.execute(
                "SELECT id, state FROM deliveries WHERE version_id = ? AND channel = ?"
                " AND recipient_key = ?",
                (version_id, channel, key),
            ).fetchone()
        return int(row["id"]), str(row["state"])

    def claim_batch(
        self,
        version_id: int,
        channel: str,
        contacts: list[Contact],
        recorded: dict[int, Contact] | None = None,
    ) -> list[tuple[int, str]]:
        """``claim`` for many contacts at once, in one transaction: the ids and current states,
        in the order given. Distinct addresses only.

        ``recorded`` receives, for each delivery that an earlier claim wrote (a run that
        stopped, another host), the contact as it was recorded then: the name, language and
        address the delivery was made for, which a later run keeps whatever the recipients
        file says now.
        """
        stamp = self._stamp()
        keys = [self.recipient_key(contact.address) for contact in contacts]
        sealed = [self.seal_contact(contact) for contact in contacts]
        # Each seal is new (Fernet's random IV): a row holding another one was there before.
        ours = dict(zip(keys, sealed, strict=True))
        found: dict[str, tuple[int, str]] = {}
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO deliveries (version_id, channel, recipient_key, recipient_hint,"
                " line, state, created_at, updated_at, recipient_sealed)"
                " VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)"
                " ON CONFLICT (version_id, channel, recipient_key) DO NOTHING",
                [
                    (
                        version_id,
                        channel,
                        key,
                        self.recipient_hint(contact.address),
                        contact.line,
                        stamp,
                        stamp,
                        seal,
                    )
                    for key, contact, seal in zip(keys, contacts, sealed, strict=True)
                ],
            )
            earlier: list[tuple[int, str]] = []
            for start in range(0, len(keys), CLAIM_CHUNK):
                chunk = keys[start : start + CLAIM_CHUNK]
                rows = db.execute(
                    "SELECT id, state, recipient_key, recipient_sealed FROM deliveries"
                    " WHERE version_id = ? AND channel = ?"
                    f" AND recipient_key IN ({','.join('?' * len(chunk))})",
                    (version_id, channel, *chunk),
                )
                for row in rows:
                    key = row["recipient_key"]
                    found[key] = (int(row["id"]), str(row["state"]))
                    kept = row["recipient_sealed"]
                    if recorded is not None and kept is not None and kept != ours[key]:
                        earlier.append((int(row["id"]), str(kept)))
        if recorded is not None:
            for delivery_id, kept in earlier:
                recorded[delivery_id] = self.open_contact(kept)
        return [found[key] for key in keys]

    def provider_ids_to(self, address: str, channels: list[str]) -> frozenset[str]:
        """The provider's ids recorded for every delivery to ``address`` on ``channels`` (any
        version, any incident of this ledger): what a lookup knows is not a new attempt's."""
        if not channels:
            return frozenset()
        rows = self.db.execute(
            "SELECT provider_id FROM deliveries WHERE version_id IN (SELECT id FROM versions)"
            f" AND channel IN ({','.join('?' * len(channels))}) AND recipient_key = ?"
            " AND provider_id IS NOT NULL",
            (*channels, self.recipient_key(address)),
        ).fetchall()
        # X threads record several ids as one, comma-separated; calls and SMS one each.
        return frozenset(sid for row in rows for sid in str(row["provider_id"]).split(","))

    def recorded_contact(self, delivery_id: int) -> Contact | None:
        """The contact a delivery was recorded for (None for a row from before they were)."""
        row = self.db.execute(
            "SELECT recipient_sealed FROM deliveries WHERE id = ?", (delivery_id,)
        ).fetchone()
        if row is None or row["recipient_sealed"] is None:
            return None
        return self.open_contact(str(row["recipient_sealed"]))

    def delivery(self, delivery_id: int) -> Delivery | None:
        row = self.db.execute("SELECT * FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
        return _delivery(row) if row else None

    def mark_sending(self, delivery_id: int) -> bool:
        """About to call the provider. The attempt's start is real UTC time, not the run's
        clock: it is compared with the provider's own timestamps in a later lookup.

        False on a shared ledger when the delivery is no longer this run's (its lease lapsed
        and another host took it): then it must not be sent from here.
        """
        mine = " AND claimed_by = ?" if self.shared else ""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE deliveries SET state = 'sending', attempts = attempts + 1,"
                f" updated_at = ?, attempt_started_at = ? WHERE id = ?{mine}",
                (self._stamp(), now_text(), delivery_id, *([self.run] if self.shared else [])),
            )
        return cursor.rowcount > 0

    def attempt_started(self, delivery_id: int) -> datetime | None:
        """When the delivery's last attempt began (real UTC time), if one did."""
        row = self.db.execute(
            "SELECT attempt_started_at FROM deliveries WHERE id = ?", (delivery_id,)
        ).fetchone()
        return (
            datetime.fromisoformat(row["attempt_started_at"])
            if row and row["attempt_started_at"]
            else None
        )

    def awaiting_receipt(
        self, incident_id: str, channels: list[str], limit: int
    ) -> list[tuple[int, str, str]]:
        """``(delivery id, channel, provider id)`` of deliveries sent and not yet final.

        The ones asked about least recently come first, so a capped run moves on through
        the backlog instead of asking about the same ones every time.
        """
        if not channels or limit <= 0:
            return []
        marks = ",".join("?" * len(channels))
        rows = self.db.execute(
            "SELECT d.id, d.channel, d.provider_id FROM deliveries d"
            " JOIN versions v ON v.id = d.version_id"
            f" WHERE v.incident_id = ? AND d.state = 'sent' AND d.channel IN ({marks})"
            " AND d.provider_id IS NOT NULL"
            " ORDER BY d.receipt_checked_at IS NOT NULL, d.receipt_checked_at, d.id LIMIT ?",
            (incident_id, *channels, limit),
        ).fetchall()
        return [(int(r["id"]), str(r["channel"]), str(r["provider_id"])) for r in rows]

    def channels_sent(self, incident_id: str) -> list[str]:
        """The channels on which the provider took at least one of the incident's deliveries."""
        rows = self.db.execute(
            "SELECT DISTINCT d.channel FROM deliveries d JOIN versions v ON v.id = d.version_id"
            f" WHERE v.incident_id = ? AND d.state IN ({_HANDED_OVER_SQL})",
            (incident_id,),
        ).fetchall()
        return [str(row["channel"]) for row in rows]

    def waiting_receipts(self, incident_id: str, channel: str) -> int:
        """How many of the incident's deliveries on ``channel`` are sent and not yet final."""
        row = self.db.execute(
            "SELECT count(*) AS n FROM deliveries d JOIN versions v ON v.id = d.version_id"
            " WHERE v.incident_id = ? AND d.channel = ? AND d.state = 'sent'"
            " AND d.provider_id IS NOT NULL",
            (incident_id, channel),
        ).fetchone()
        return int(row["n"])

    def record_receipt(
        self,
        delivery_id: int,
        state: str | None,
        error_code: str | None = None,
        error_message: str | None = None,
        *,
        at: datetime | None = None,
        unanswered: bool = False,
    ) -> None:
        """What the provider said of a sent delivery once it knew, or not yet (``state`` None).

        Final: delivered, undelivered (with its error code), or a call unanswered (counted, and
        placed again by ``delivery.fallback``). Used for SMS receipts (``delivery.receipts``)
        and call outcomes alike; ``at`` is when the provider said so, if it says. Only a
        delivery still ``sent`` changes: a receipt never overrides a later state.
        """
        checked = now_text()
        with self.transaction() as db:
            if state is None:
                db.execute(
                    "UPDATE deliveries SET receipt_checked_at = ? WHERE id = ?",
                    (checked, delivery_id),
                )
                return
            db.execute(
                "UPDATE deliveries SET state = ?, error_code = coalesce(?, error_code),"
                " error_message = coalesce(?, error_message), unanswered = unanswered + ?,"
                " receipt_at = ?, receipt_checked_at = ?, updated_at = ?"
                " WHERE id = ? AND state = 'sent'",
                (
                    state,
                    error_code,
                    error_message,
                    int(unanswered),
                    now_text(at) if at else checked,
                    checked,
                    self._stamp(),
                    delivery_id,
                ),
            )

    def receipt_times(self, incident_id: str) -> list[dict[str, Any]]:
        """Per delivery handed over: version, channel, state, when its attempt began and when
        its final receipt came (real UTC times, both), for the report's time to reach."""
        rows = self.db.execute(
            "SELECT d.version_id, d.channel, d.state, d.attempt_started_at, d.receipt_at"
            " FROM deliveries d JOIN versions v ON v.id = d.version_id"
            f" WHERE v.incident_id = ? AND d.state IN ({_HANDED_OVER_SQL})",
            (incident_id,),
        ).fetchall()
        return [
            {
                "version_id": int(r["version_id"]),
                "channel": r["channel"],
                "state": r["state"],
                "started_at": datetime.fromisoformat(r["attempt_started_at"])
                if r["attempt_started_at"]
                else None,
                "receipt_at": datetime.fromisoformat(r["receipt_at"]) if r["receipt_at"] else None,
            }
            for r in rows
        ]

    def mark_outcome(
        self,
        delivery_id: int,
        state: str,
        provider_id: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        """The outcome of a hand-over; an error that says "never again" suppresses the
        recipient on this channel for every later version and incident."""
        stamp = self._stamp()
        with self.transaction() as db:
            db.execute(
                "UPDATE deliveries SET state = ?, provider_id = ?, error_code = ?,"
                " error_message = ?, updated_at = ?,"
                " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE id = ?",
                (
                    state,
                    provider_id,
                    error_code,
                    error_message,
                    stamp,
                    state,
                    stamp,
                    delivery_id,
                ),
            )
            if error_code in SUPPRESSING_ERRORS:
                db.execute(
                    "INSERT INTO suppressions SELECT channel, recipient_key, ?, ?"
                    " FROM deliveries WHERE id = ? ON CONFLICT (channel, recipient_key) DO NOTHING",
                    (error_code, stamp, delivery_id),
                )

    def suppression(self, channel: str, address: str) -> str | None:
        """The error code that suppressed ``address`` on ``channel``, if it is suppressed."""
        with self.lock:
            row = self.db.execute(
                "SELECT error_code FROM suppressions WHERE channel = ? AND recipient_key = ?",
                (channel, self.recipient_key(address)),
            ).fetchone()
        return str(row["error_code"]) if row else None

    def claim_fallback(
        self, version_id: int, channel: str, contact: Any, source_id: int
    ) -> tuple[int, str]:
        """Record the fallback delivery standing in for ``source_id`` unless one exists, for
        ``contact`` (anything with an address, line, name and locale), all of it recorded."""
        delivery_id, state = self.claim(
            version_id, channel, contact.address, contact.line, contact.name, contact.locale
        )
        with self.transaction() as db:
            db.execute(
                "UPDATE deliveries SET fallback_from = ? WHERE id = ? AND fallback_from IS NULL"
                " AND state = 'pending'",
                (source_id, delivery_id),
            )
        return delivery_id, state

    def fallback_counts(self, version_id: int) -> dict[str, dict[str, int]]:
        """Fallback channel → state → deliveries standing in for another channel's failure."""
        return self.counts(version_id, fallback_only=True)

    def fell_back(self, version_id: int) -> set[int]:
        """Ids of the deliveries of the version that a fallback already stands in for."""
        return {
            int(row[0])
            for row in self.db.execute(
                "SELECT fallback_from FROM deliveries WHERE version_id = ?"
                " AND fallback_from IS NOT NULL",
                (version_id,),
            )
        }

    def mark_suppressed(self, delivery_id: int, error_code: str) -> None:
        """Not sent: the recipient is suppressed on this channel (the code says why)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE deliveries SET state = 'suppressed', error_code = ?, updated_at = ?"
                " WHERE id = ?",
                (error_code, self._stamp(), delivery_id),
            )

    def mark_uncertain(self, incident_id: str) -> int:
        """Deliveries left ``sending`` by a run that died (or by this one, stopping): maybe
        handed over, maybe not."""
        # On a shared ledger, a row another live host is sending is that host's, not left over.
        alive = (
            f" AND (claimed_by = '{self.run}' OR {self._dead_claim_sql()})" if self.shared else ""
        )
        with self.transaction() as db:
            cursor = db.execute(
                # An error kept from an earlier attempt is not why it is uncertain now: cleared,
                # so what says why (status, the summary) says a run stopped while sending it.
                "UPDATE deliveries SET state = 'uncertain', updated_at = ?, error_code = NULL,"
                " error_message = NULL WHERE state = 'sending'"
                f" AND version_id IN (SELECT id FROM versions WHERE incident_id = ?){alive}",
                (self._stamp(), incident_id),
            )
        return cursor.rowcount

    def reopen(self, version_id: int, states: tuple[str, ...], channels: list[str]) -> int:
        """Put deliveries in ``states`` back to pending so the next pass sends them."""
        marks = ",".join("?" * len(states))
        chans = ",".join("?" * len(channels))
        with self.transaction() as db:
            cursor = db.execute(
                f"UPDATE deliveries SET state = 'pending', updated_at = ? WHERE version_id = ?"
                f" AND state IN ({marks}) AND channel IN ({chans})",
                (self._stamp(), version_id, *states, *channels),
            )
        return cursor.rowcount

    def counts(self, version_id: int, fallback_only: bool = False) -> dict[str, dict[str, int]]:
        """channel → state → count (of the fallback deliveries only, with ``fallback_only``)."""
        only = " AND fallback_from IS NOT NULL" if fallback_only else ""
        out: dict[str, dict[str, int]] = {}
        for row in self.db.execute(
            "SELECT channel, state, count(*) AS n FROM deliveries WHERE version_id = ?"
            f"{only} GROUP BY channel, state",
            (version_id,),
        ):
            out.setdefault(row["channel"], {})[row["state"]] = int(row["n"])
        return out

    def deliveries(
        self, version_id: int, channel: str | None = None, states: tuple[str, ...] = ()
    ) -> list[Delivery]:
        query = "SELECT * FROM deliveries WHERE version_id = ?"
        args: list[Any] = [version_id]
        if channel:
            query += " AND channel = ?"
            args.append(channel)
        if states:
            query += f" AND state IN ({','.join('?' * len(states))})"
            args.extend(states)
        return [_delivery(row) for row in self.db.execute(query + " ORDER BY id", args)]

    def state_of(self, version_id: int, channel: str, address: str) -> str | None:
        row = self.db.execute(
            "SELECT state FROM deliveries WHERE version_id = ? AND channel = ?"
            " AND recipient_key = ?",
            (version_id, channel, self.recipient_key(address)),
        ).fetchone()
        return str(row["state"]) if row else None

    def opted_out(self, channel: str, codes: frozenset[str]) -> set[str]:
        """Recipient keys a provider answered with one of ``codes`` (STOP) on ``channel``."""
        marks = ",".join("?" * (len(codes) + 1))
        rows = self.db.execute(
            f"SELECT DISTINCT recipient_key FROM deliveries WHERE channel = ?"
            f" AND error_code IN ({marks})",
            (channel, *sorted(codes), OPTED_OUT),
        )
        return {str(row["recipient_key"]) for row in rows}

    def last_provider_id(self, incident_id: str, channel: str, oldest: bool = False) -> str | None:
        """The newest provider id sent on ``channel`` for the incident (X: the thread's tail);
        with ``oldest``, the first one (Facebook: the post the updates comment on)."""
        order = "ASC" if oldest else "DESC"
        row = self.db.execute(
            "SELECT d.provider_id FROM deliveries d JOIN versions v ON v.id = d.version_id"
            " WHERE v.incident_id = ? AND d.channel = ? AND d.state = 'sent'"
            f" AND d.provider_id IS NOT NULL ORDER BY d.version_id {order}, d.id {order} LIMIT 1",
            (incident_id, channel),
        ).fetchone()
        return str(row["provider_id"]) if row else None

    # -- reports -------------------------------------------------------------------------

    def delivery_groups(self, incident_id: str) -> list[dict[str, Any]]:
        """Every delivery of the incident, counted by version, channel, state and error code.

        Each group also carries the first and last ``updated_at`` of its rows (for ``sent``
        rows: when the provider took the message). The post-incident report is built from this
        one query instead of reading each delivery.
        """
        rows = self.db.execute(
            "SELECT d.version_id, d.channel, d.state, d.error_code, count(*) AS n,"
            " min(coalesce(d.sent_at, d.updated_at)) AS first_at,"
            " max(coalesce(d.sent_at, d.updated_at)) AS last_at,"
            " d.fallback_from IS NOT NULL AS fallback"
            " FROM deliveries d JOIN versions v ON v.id = d.version_id"
            " WHERE v.incident_id = ?"
            " GROUP BY d.version_id, d.channel, d.state, d.error_code, fallback"
            " ORDER BY d.version_id, d.channel, d.state, d.error_code, fallback",
            (incident_id,),
        ).fetchall()
        return [
            {
                "version_id": int(row["version_id"]),
                "channel": row["channel"],
                "state": row["state"],
                "error_code": row["error_code"],
                "count": int(row["n"]),
                "first_at": datetime.fromisoformat(row["first_at"]),
                "last_at": datetime.fromisoformat(row["last_at"]),
                # Standing in for another channel's failure (see delivery.fallback).
                "fallback": bool(row["fallback"]),
            }
            for row in rows
        ]


def _seal_recipient_secret(ledger: Ledger) -> None:
    """Schema 4: the recipient secret leaves the file in clear; it stays only sealed with the
    user's key. A ledger of schema 1 keeps its old secret (its hashes were made with it)."""
    assert ledger.db is not None
    key = load_key(ledger.environ, create=not ledger.shared)
    assert key is not None
    ledger_id = secrets.token_hex(16)
    old = ledger.db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
    secret = bytes.fromhex(old["value"]) if old else secrets.token_bytes(32)
    ledger.db.executemany(
        "INSERT INTO meta VALUES (?, ?)",
        [
            ("ledger_id", ledger_id),
            ("sealed", _seal(key, ledger_id, secret).hex()),
            ("key_check", _key_check(key, ledger_id)),
            ("secret_check", _secret_check(key, ledger_id, secret)),
        ],
    )
    ledger.db.execute("DELETE FROM meta WHERE key = 'salt'")
    if not ledger.shared:
        ledger.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")


# 5: when the last attempt began, in real UTC time, so a lookup at the provider after a crash
# or a timeout knows which messages may be this attempt's; when a final receipt came (the
# provider's time) and when we last asked, so a capped run moves on.
_ATTEMPT_AND_RECEIPT_TIMES = """
    ALTER TABLE deliveries ADD COLUMN attempt_started_at TEXT;
    ALTER TABLE deliveries ADD COLUMN receipt_at TEXT;
    ALTER TABLE deliveries ADD COLUMN receipt_checked_at TEXT;
"""

# 6: approvals of rendered texts by name (and signature), who approved and who sent each
# version, exercises apart, and each delivery's address sealed with the recipient key so a
# correction can reach everyone who got an earlier version.
_APPROVALS_EXERCISES_CORRECTIONS = """
    CREATE TABLE approvals (
        id INTEGER PRIMARY KEY,
        incident_id TEXT NOT NULL,
        texts_hash TEXT NOT NULL,
        rendered_at TEXT NOT NULL,
        approved_by TEXT NOT NULL,
        approved_at TEXT NOT NULL,
        signature TEXT
    );
    CREATE INDEX approvals_by_incident ON approvals (incident_id, id);
    ALTER TABLE versions ADD COLUMN approval_id INTEGER REFERENCES approvals (id);
    ALTER TABLE versions ADD COLUMN sent_by TEXT;
    ALTER TABLE versions ADD COLUMN exercise INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE deliveries ADD COLUMN recipient_sealed TEXT;
"""

MIGRATIONS = (
    *MIGRATIONS,
    _seal_recipient_secret,
    _ATTEMPT_AND_RECEIPT_TIMES,
    _APPROVALS_EXERCISES_CORRECTIONS,
)

# Hosts sharing one ledger (PostgreSQL): the run that took each delivery (``claimed_by``),
# the leases that say which runs are alive and which run holds each incident, the next free
# slot of each channel's rate (in total, across hosts), and the pending rows indexed alone,
# so a claim finds them without reading the rows already done.
_SHARED_WORK = """
    ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
    CREATE INDEX deliveries_pending ON deliveries (version_id, channel, recipient_key)
        WHERE state = 'pending';
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        host TEXT NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE TABLE rates (channel TEXT PRIMARY KEY, next_slot REAL NOT NULL);
"""

MIGRATIONS = (*MIGRATIONS, _SHARED_WORK)

# 8: when each version was really handed out (under an approval its ``created_at`` is the
# approval's moment, which its texts speak for), and the sender's signature when it signed;
# the runs that sent the rest of a version later (--channel, a re-run after a crash, retry),
# each with who and whether signed: a row each, so runs on several hosts never overwrite.
_SENT_AT_AND_SENDER_SIGNATURE = """
    ALTER TABLE versions ADD COLUMN sent_at TEXT;
    ALTER TABLE versions ADD COLUMN sender_signature TEXT;
    CREATE TABLE continued_by (
        id INTEGER PRIMARY KEY,
        version_id INTEGER NOT NULL REFERENCES versions (id),
        sent_by TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        sender_signature TEXT
    );
    CREATE INDEX continued_by_version ON continued_by (version_id, id)
"""

MIGRATIONS = (*MIGRATIONS, _SENT_AT_AND_SENDER_SIGNATURE)


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    try:
        seconds = float(environ.get(name) or default)
    except ValueError:
        seconds = default
    return seconds if seconds > 0 else default


def _seal(key: RecipientKey, ledger_id: str, data: bytes) -> bytes:
    """XOR with a pad only the key can make (HMAC of the ledger's id): sealing and opening
    are the same step. A secret is at most 32 bytes, the pad's length."""
    pad = hmac.new(key.secret, b"broadcast ledger secret\0" + ledger_id.encode(), "sha256")
    return bytes(a ^ b for a, b in zip(data, pad.digest(), strict=False))


def _key_check(key: RecipientKey, ledger_id: str) -> str:
    """Tells the right key from a wrong one without telling anything about the key."""
    check = hmac.new(key.secret, b"broadcast key check\0" + ledger_id.encode(), "sha256")
    return check.hexdigest()[:32]


def _secret_check(key: RecipientKey, ledger_id: str, secret: bytes) -> str:
    """The canary of the sealed secret: only the key makes it, and only for that secret."""
    check = hmac.new(
        key.secret, b"broadcast secret check\0" + ledger_id.encode() + b"\0" + secret, "sha256"
    )
    return check.hexdigest()[:32]


def _who(environ: Mapping[str, str] | None = None) -> str:
    """``user@host``; ``BROADCAST_HOST`` names the host when its own name says too little."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "?"
    host = (environ if environ is not None else os.environ).get(HOST_ENV) or socket.gethostname()
    return f"{user}@{host}"


def _version(row: sqlite3.Row) -> Version:
    return Version(
        id=int(row["id"]),
        incident_id=row["incident_id"],
        content_hash=row["content_hash"],
        kind=row["kind"],
        status=row["status"],
        created_at=datetime.fromisoformat(row["created_at"]),
        next_update_at=datetime.fromisoformat(row["next_update_at"])
        if row["next_update_at"]
        else None,
        run_by=row["run_by"],
        channels=tuple(json.loads(row["channels"])),
        completed_at=datetime.fromisoformat(row["completed_at"]) if row["completed_at"] else None,
        source_path=row["source_path"],
        superseded_by=row["superseded_by"],
        approval_id=row["approval_id"],
        sent_by=row["sent_by"],
        exercise=bool(row["exercise"]),
        sent_at=datetime.fromisoformat(row["sent_at"]) if row["sent_at"] else None,
        sender_signature=row["sender_signature"],
    )


def _approval(row: sqlite3.Row) -> Approval:
    return Approval(
        id=int(row["id"]),
        incident_id=row["incident_id"],
        texts_hash=row["texts_hash"],
        rendered_at=datetime.fromisoformat(row["rendered_at"]),
        approved_by=row["approved_by"],
        approved_at=datetime.fromisoformat(row["approved_at"]),
        signature=row["signature"],
    )


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(
        id=int(row["id"]),
        channel=row["channel"],
        recipient_hint=row["recipient_hint"],
        line=row["line"],
        state=row["state"],
        provider_id=row["provider_id"],
        error_code=row["error_code"],
        error_message=row["error_message"],
        attempts=int(row["attempts"]),
        recipient_key=row["recipient_key"],
        fallback_from=row["fallback_from"],
        sent_at=datetime.fromisoformat(row["sent_at"]) if row["sent_at"] else None,
        unanswered=int(row["unanswered"]),
    )
