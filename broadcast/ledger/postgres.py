"""The ledger in PostgreSQL: the engine several hosts share (SQLite stays the embedded default).

The ledger's class (``broadcast.ledger.sqlite.Ledger``) is written once, in the SQL both engines
speak (named ``:name`` binds, ``ON CONFLICT``, ``RETURNING``); the few pieces that differ are
side by side in ``broadcast.ledger.engine`` (``Dialect``). This module is the connection that
takes that SQL: SQLAlchemy Core's ``text()`` parses each statement's binds (a real parser, not
a pattern over the text: a ``::`` cast, a literal ``%``) and gives it as psycopg takes it
(``%(name)s``), once per statement; rows read by name or position as ``sqlite3.Row`` allows;
the schema version in a table instead of ``PRAGMA user_version``; PostgreSQL's errors said as
a ``LedgerFault``.

``psycopg`` (3) and SQLAlchemy are imported only when a ``postgresql://`` ledger is opened
(~0.15 s and ~0.12 s): an SQLite ledger, the default, pays neither.
The address never holds the password: it comes from ``PGPASSWORD`` or ``~/.pgpass``, as libpq
reads them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

URL_ENV = "BROADCAST_LEDGER"
SCHEMES = ("postgresql", "postgres")
# The schema version, as SQLite's PRAGMA user_version keeps it (one row).
SCHEMA_TABLE = "broadcast_schema"
# pg_advisory_xact_lock key of schema migrations ("BRDC"): two hosts never migrate at once.
MIGRATION_LOCK = 0x42524443


class AddressProblem(ValueError):
    """A ledger address that cannot be used as written; the message says what to write."""


def is_postgres(address: str | None) -> bool:
    return bool(address) and urlsplit(str(address)).scheme in SCHEMES


def check_address(address: str) -> str:
    """The address as given, if it names a PostgreSQL database and holds no password."""
    parts = urlsplit(address)
    if parts.scheme not in SCHEMES:
        raise AddressProblem(
            f"'{address}' is not a PostgreSQL address; write it like "
            "postgresql://broadcast@db.example.org:5432/broadcast"
        )
    if parts.password is not None:
        raise AddressProblem(
            "the address holds a password; remove it and give the password in PGPASSWORD or "
            "~/.pgpass, never in a file"
        )
    if not parts.path.strip("/") and "dbname=" not in parts.query:
        raise AddressProblem(
            f"'{shown(address)}' names no database; end it with /the-database-name"
        )
    return address


def shown(address: str) -> str:
    """The address as said in messages: never a password, even one written against advice."""
    parts = urlsplit(address)
    if parts.password is None:
        return address
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


class Row(tuple):  # type: ignore[type-arg]
    """A row read by position or by column name, as ``sqlite3.Row`` is."""

    names: dict[str, int]

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self.names)


def _row_factory(cursor: Any) -> Any:
    names = {column.name: i for i, column in enumerate(cursor.description or ())}
    row_class = type("Row", (Row,), {"names": names})
    return row_class


class Connection:
    """A psycopg connection that speaks as the ledger's ``sqlite3.Connection`` does.

    Autocommit, so ``BEGIN``/``COMMIT`` are the ledger's own, as with SQLite; every error of the
    database comes out as ``fault(exc)`` (a ``LedgerFault``) so the callers need know one kind.
    """

    def __init__(self, address: str, fault: Any) -> None:
        try:
            # Only here: ~0.15 s and ~0.12 s (more on a loaded machine) that an SQLite ledger
            # does not pay. SQLAlchemy's default dialect, not its PostgreSQL one (~0.1 s more):
            # parsing binds into psycopg's paramstyle is all it does here.
            import psycopg
            from sqlalchemy import text
            from sqlalchemy.engine.default import DefaultDialect
        except ImportError as exc:
            # Not a traceback: the one line that installs them.
            raise fault(MissingDriver(exc)) from None

        self._psycopg = psycopg
        self._fault = fault
        self._text = text
        self._dialect = DefaultDialect(paramstyle="pyformat")
        # Each statement as psycopg takes it, parsed once (the ledger repeats its statements).
        self._compiled: dict[str, str] = {}
        try:
            self.raw = psycopg.connect(
                address,
                autocommit=True,
                connect_timeout=10,
                application_name="broadcast",
            )
        except psycopg.Error as exc:
            raise fault(exc) from None
        self.raw.row_factory = _row_factory  # type: ignore[assignment]

    def _sql(self, sql: str) -> str:
        """``sql`` with its ``:name`` binds as psycopg's ``%(name)s`` (and a literal ``%``
        as ``%%``), by SQLAlchemy's parser of textual SQL."""
        compiled = self._compiled.get(sql)
        if compiled is None:
            compiled = str(self._text(sql).compile(dialect=self._dialect))
            self._compiled[sql] = compiled
        return compiled

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        """Run one statement; with ``params``, its ``:name`` binds take their values. A
        statement without binds (DDL, ``BEGIN``) goes as written."""
        try:
            if params is None:
                return self.raw.execute(sql)  # type: ignore[call-overload]
            return self.raw.execute(self._sql(sql), params)  # type: ignore[call-overload]
        except self._psycopg.Error as exc:
            raise self._fault(exc) from None

    def executemany(self, sql: str, rows: Iterable[Mapping[str, Any]]) -> Any:
        try:
            cursor = self.raw.cursor()
            cursor.executemany(self._sql(sql), list(rows))  # type: ignore[arg-type]
            return cursor
        except self._psycopg.Error as exc:
            raise self._fault(exc) from None

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != self._psycopg.pq.TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()


def schema_version(db: Connection) -> int:
    db.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} (version INTEGER NOT NULL)")
    row = db.execute(f"SELECT version FROM {SCHEMA_TABLE}").fetchone()
    return int(row[0]) if row else 0


def set_schema_version(db: Connection, number: int) -> None:
    db.execute(f"DELETE FROM {SCHEMA_TABLE}")
    db.execute(f"INSERT INTO {SCHEMA_TABLE} VALUES (:number)", {"number": number})


def resync_identities(db: Connection) -> None:
    """After a migration copied rows with their ids into a rebuilt table, the table's id
    sequence continues after the largest id (SQLite's INTEGER PRIMARY KEY does so itself)."""
    rows = db.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
    ).fetchall()
    for table, column in rows:
        db.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
            f" coalesce(max({column}), 0) + 1, false) FROM {table}"
        )


def tables(db: Connection) -> list[str]:
    rows = db.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        f" AND table_name <> '{SCHEMA_TABLE}' ORDER BY table_name"
    ).fetchall()
    return [str(row[0]) for row in rows]


class MissingDriver(Exception):
    """psycopg or SQLAlchemy, which the ``[postgresql]`` extra installs, is not there."""


def fault_message(exc: BaseException, address: str) -> str:
    """What a PostgreSQL error means for the ledger, and what to do."""
    where = shown(address)
    if isinstance(exc, MissingDriver):
        return (
            f"the ledger {where} is a PostgreSQL database, and the PostgreSQL driver (psycopg, "
            f"with SQLAlchemy) is not installed ({exc}). Install broadcast with its extra: "
            "pip install 'broadcast[postgresql]', then run the same command again."
        )
    detail = " ".join(str(exc).split()) or type(exc).__name__
    state = getattr(getattr(exc, "diag", None), "sqlstate", None) or ""
    if state == "28P01" or "password authentication failed" in detail:
        return (
            f"the ledger database {where} refused the password ({detail}). Give the right one "
            "in PGPASSWORD or ~/.pgpass (never in channels.yaml)."
        )
    if state == "3D000" or ("does not exist" in detail and "database" in detail):
        return (
            f"the ledger database {where} does not exist ({detail}). Create it "
            "(createdb) or correct the address in channels.yaml or BROADCAST_LEDGER."
        )
    if state.startswith("08") or "connection" in detail.lower():
        return (
            f"the ledger database {where} cannot be reached ({detail}). Check that the server "
            "runs and the address is right, then run the same command again: what the ledger "
            "records as sent is not sent again."
        )
    if state == "53100":
        return (
            f"the disk of the ledger database {where} is full ({detail}); free some space "
            "there and run the same command again."
        )
    return (
        f"the ledger database {where} cannot be used ({detail}). Check the server and the "
        "account's rights, then run the same command again."
    )
