"""The ledger: what was said, to whom and when, in SQLite beside channels.yaml (or in a
PostgreSQL database several hosts share).

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

``Ledger`` is one class made of one part per thing it keeps, each in its own module:
``versions``, ``deliveries``, ``receipts``, ``inbound``, ``approvals``, ``leases``,
``recipient_keys``, ``wording_overrides``; they share the connection, the lock and the engine's
dialect (``engine``). The schema's steps are in ``migrations``. This module opens the engine,
migrates, and keeps every name the rest of broadcast imports from it.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Mapping
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from broadcast.ledger import postgres
from broadcast.ledger.approvals import Approvals
from broadcast.ledger.deliveries import CLAIM_CHUNK, SUPPRESSING_ERRORS, Deliveries
from broadcast.ledger.engine import HOST_ENV, POSTGRESQL, SQLITE, who
from broadcast.ledger.faults import (
    LedgerFault,
    check_header,
    ledger_errors,
    ledger_fault,
    private_file,
)
from broadcast.ledger.inbound import Inbound, Reply, SentLast
from broadcast.ledger.key import KEY_ENV, KeyProblem
from broadcast.ledger.leases import (
    DEFAULT_LEASE_SECONDS,
    DEFAULT_PRIMARY_SECONDS,
    LEASE_ENV,
    PRIMARY_ENV,
    Leases,
)
from broadcast.ledger.location import LEDGER_FILE, private_folder
from broadcast.ledger.migrations import APPLICATION_ID, MIGRATIONS, apply
from broadcast.ledger.receipts import Receipts
from broadcast.ledger.recipient_keys import RecipientKeys
from broadcast.ledger.records import (
    DELIVERED,
    FAILED_PERMANENT,
    FAILED_TRANSIENT,
    HANDED_OVER,
    OPTED_OUT,
    PENDING,
    REMINDER,
    SENDING,
    SENT,
    STATES,
    SUPERSEDED,
    SUPPRESSED,
    UNANSWERED,
    UNCERTAIN,
    UNDELIVERED,
    UPDATE,
    Approval,
    Contact,
    Continuation,
    Delivery,
    Version,
    now_text,
)
from broadcast.ledger.senders import Senders
from broadcast.ledger.subscribers import Subscribers
from broadcast.ledger.versions import Versions
from broadcast.ledger.wording_overrides import WordingOverrides

# The names the rest of broadcast (and its tests) import from here.
__all__ = [
    "APPLICATION_ID",
    "CLAIM_CHUNK",
    "DEFAULT_LEASE_SECONDS",
    "DEFAULT_PRIMARY_SECONDS",
    "DELIVERED",
    "FAILED_PERMANENT",
    "FAILED_TRANSIENT",
    "HANDED_OVER",
    "HOST_ENV",
    "LEASE_ENV",
    "MIGRATIONS",
    "OPTED_OUT",
    "PENDING",
    "PRIMARY_ENV",
    "REMINDER",
    "SENDING",
    "SENT",
    "STATES",
    "SUPERSEDED",
    "SUPPRESSED",
    "SUPPRESSING_ERRORS",
    "UNANSWERED",
    "UNCERTAIN",
    "UNDELIVERED",
    "UPDATE",
    "Approval",
    "Contact",
    "Continuation",
    "Delivery",
    "Ledger",
    "LedgerFault",
    "Reply",
    "SentLast",
    "Version",
    "ledger_errors",
    "ledger_fault",
    "now_text",
]


class Ledger(
    Inbound,
    Receipts,
    Deliveries,
    Versions,
    Approvals,
    Senders,
    Subscribers,
    RecipientKeys,
    Leases,
    WordingOverrides,
):
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
        self.dialect = POSTGRESQL if self.shared else SQLITE
        # Where the ledger is, as said in messages (never a password).
        self.where = postgres.shown(self.address) if self.address else str(self.path)
        self.lock = threading.RLock()
        self.db: Any = None
        self._here: Path | None = None  # the SQLite file, while this ledger has it open
        # This run's token on a shared ledger, and the thread that keeps its lease alive.
        self.run = secrets.token_hex(8)
        self.host = who(self.environ)
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
                self._closed_here()
            if isinstance(exc, KeyProblem):
                raise LedgerFault(str(exc)) from None
            if isinstance(exc, sqlite3.Error | OSError):
                raise ledger_fault(exc, self.path) from exc
            raise

    def _open(self) -> None:
        private_folder(self.folder)
        with _OPEN_HERE_LOCK:
            if not _OPEN_HERE.get(self.path.resolve()):
                # Read outside SQLite: only while no connection of this process has the file
                # open. Closing any descriptor of the file drops every POSIX lock the process
                # holds on it, SQLite's too: another process would then believe it alone and
                # checkpoint the WAL from under this one's readers (a short read, a corrupt
                # view). ``broadcast serve`` opens a second ledger for its background work.
                check_header(self.path)
            private_file(self.path)
            self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._here = self.path.resolve()
            _OPEN_HERE[self._here] = _OPEN_HERE.get(self._here, 0) + 1
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

    # -- schema --------------------------------------------------------------------------

    def _migrate(self) -> None:
        """The steps of ``MIGRATIONS`` this ledger has not had yet, each in its transaction
        (SQLite), or all in one under an advisory lock (PostgreSQL: one host at a time)."""
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
                    apply(step, self)
                    db.execute(f"PRAGMA user_version = {number}")
            if current and current < len(MIGRATIONS):
                # Old pages (with whatever the migration deleted) leave the WAL file too.
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _migrate_shared(self) -> None:
        """The same steps in PostgreSQL, one host at a time (an advisory lock)."""
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
                apply(step, self)
                # Rows a step copied with their ids: each id column continues after them.
                postgres.resync_identities(db)
                postgres.set_schema_version(db, number)

    @property
    def schema_version(self) -> int:
        if self.shared:
            return postgres.schema_version(self.db)
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

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
        self._closed_here()

    def _closed_here(self) -> None:
        """This connection to the SQLite file is closed (see ``_OPEN_HERE``)."""
        here = self._here
        if here is not None:
            self._here = None
            with _OPEN_HERE_LOCK:
                _OPEN_HERE[here] -= 1
                if not _OPEN_HERE[here]:
                    del _OPEN_HERE[here]


# The SQLite ledgers this process has open, by file, with how many connections each.
_OPEN_HERE: dict[Path, int] = {}
_OPEN_HERE_LOCK = threading.Lock()


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    try:
        seconds = float(environ.get(name) or default)
    except ValueError:
        seconds = default
    return seconds if seconds > 0 else default
