"""The ledger's schema, as named, ordered steps: step N takes a ledger from schema N-1 to N.

A step is a list of statements (one statement each: never a text split on ``;``), or a
function when it needs Python (the recipient key). Each statement is written once for both
engines; where their column types differ it names the type (``{id}``, ``{int}``, ``{real}``)
and ``engine.Dialect.types`` gives SQLite's and PostgreSQL's, side by side. A step that must
do something on one engine only says so in its function.

SQLite keeps the schema's number in ``PRAGMA user_version``; PostgreSQL in a one-row table
(``broadcast.ledger.postgres.SCHEMA_TABLE``), migrated by one host at a time.

A step is never changed once released: a ledger of every past schema is migrated by the steps
after it (tests/test_ledger_migrations.py builds one of each, on both engines).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from broadcast.ledger.engine import SQLITE, Dialect
from broadcast.ledger.key import load_key
from broadcast.ledger.recipient_keys import key_check, seal, secret_check

# PRAGMA application_id of a ledger ("BRDC"): tells it from another program's SQLite file.
APPLICATION_ID = 0x42524443


@dataclass(frozen=True)
class Step:
    """One step of the schema: its name, and its statements or its function (given the
    ledger being opened, inside the step's transaction)."""

    name: str
    ddl: tuple[str, ...] = ()
    run: Callable[[Any], None] | None = None

    def statements(self, dialect: Dialect = SQLITE) -> list[str]:
        """The step's statements with ``dialect``'s column types."""
        return [statement.format_map(dialect.types) for statement in self.ddl]


def _deliveries(table: str, states: str, later: str = "") -> str:
    """The deliveries table as a step rebuilds it (SQLite cannot change a CHECK)."""
    return f"""
    CREATE TABLE {table} (
        id {{id}},
        version_id {{int}} NOT NULL REFERENCES versions (id),
        channel TEXT NOT NULL,
        recipient_key TEXT NOT NULL,
        recipient_hint TEXT NOT NULL,
        line {{int}},
        state TEXT NOT NULL CHECK (state IN ({states})),
        provider_id TEXT,
        error_code TEXT,
        error_message TEXT,
        attempts {{int}} NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,{later}
        UNIQUE (version_id, channel, recipient_key)
    )"""


FIRST = Step(
    "versions, renders and deliveries",
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """
    CREATE TABLE versions (
        id {id},
        incident_id TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('update', 'reminder')),
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        next_update_at TEXT,
        run_by TEXT NOT NULL,
        channels TEXT NOT NULL,
        completed_at TEXT
    )""",
        "CREATE INDEX versions_by_incident ON versions (incident_id, id)",
        """
    CREATE TABLE renders (
        version_id {int} NOT NULL REFERENCES versions (id),
        channel TEXT NOT NULL,
        locale TEXT NOT NULL,
        part TEXT NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (version_id, channel, locale, part)
    )""",
        _deliveries(
            "deliveries",
            "'pending', 'sending', 'sent', 'failed-transient', 'failed-permanent', 'uncertain'",
        ),
        "CREATE INDEX deliveries_by_state ON deliveries (version_id, channel, state)",
    ),
)

# 2: the file a version was sent from, which version superseded it, the ``superseded``
# state (SQLite cannot change a CHECK: the table is rebuilt), and takeover requests.
SOURCES_AND_SUPERSEDING = Step(
    "source files, superseded versions and takeovers",
    (
        "ALTER TABLE versions ADD COLUMN source_path TEXT",
        "ALTER TABLE versions ADD COLUMN superseded_by {int} REFERENCES versions (id)",
        """
    CREATE TABLE takeovers (
        incident_id TEXT PRIMARY KEY,
        content_hash TEXT NOT NULL,
        expires_at {real} NOT NULL
    )""",
        _deliveries(
            "deliveries_2",
            "'pending', 'sending', 'sent', 'failed-transient', 'failed-permanent',"
            " 'uncertain', 'superseded'",
        ),
        "INSERT INTO deliveries_2 SELECT * FROM deliveries",
        "DROP TABLE deliveries",
        "ALTER TABLE deliveries_2 RENAME TO deliveries",
        "CREATE INDEX deliveries_by_state ON deliveries (version_id, channel, state)",
    ),
)

# 3: what the provider said later (delivered, undelivered, unanswered calls), deliveries
# not made because the recipient is suppressed, the delivery a fallback stands in for,
# when a delivery was handed over and how many calls rang out; and the suppressions.
RECEIPTS_AND_SUPPRESSIONS = Step(
    "receipts, fallbacks and suppressions",
    (
        _deliveries(
            "deliveries_3",
            "'pending', 'sending', 'sent', 'delivered', 'undelivered', 'unanswered',"
            " 'failed-transient', 'failed-permanent', 'uncertain', 'superseded', 'suppressed'",
            later="""
        fallback_from {int},  -- the delivery this one stands in for
        sent_at TEXT,
        unanswered {int} NOT NULL DEFAULT 0,""",
        ),
        """
    INSERT INTO deliveries_3 (id, version_id, channel, recipient_key, recipient_hint, line,
        state, provider_id, error_code, error_message, attempts, created_at, updated_at)
        SELECT id, version_id, channel, recipient_key, recipient_hint, line, state,
        provider_id, error_code, error_message, attempts, created_at, updated_at
        FROM deliveries""",
        "DROP TABLE deliveries",
        "ALTER TABLE deliveries_3 RENAME TO deliveries",
        "CREATE INDEX deliveries_by_state ON deliveries (version_id, channel, state)",
        "CREATE INDEX deliveries_by_fallback ON deliveries (fallback_from)",
        """
    CREATE TABLE suppressions (
        channel TEXT NOT NULL,
        recipient_key TEXT NOT NULL,
        error_code TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (channel, recipient_key)
    )""",
    ),
)


def _seal_recipient_secret(ledger: Any) -> None:
    """Schema 4: the recipient secret leaves the file in clear; it stays only sealed with the
    user's key. A ledger of schema 1 keeps its old secret (its hashes were made with it)."""
    assert ledger.db is not None
    key = load_key(ledger.environ, create=not ledger.shared)
    assert key is not None
    ledger_id = secrets.token_hex(16)
    old = ledger.db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
    secret = bytes.fromhex(old["value"]) if old else secrets.token_bytes(32)
    ledger.db.executemany(
        "INSERT INTO meta VALUES (:key, :value)",
        [
            {"key": "ledger_id", "value": ledger_id},
            {"key": "sealed", "value": seal(key, ledger_id, secret).hex()},
            {"key": "key_check", "value": key_check(key, ledger_id)},
            {"key": "secret_check", "value": secret_check(key, ledger_id, secret)},
        ],
    )
    ledger.db.execute("DELETE FROM meta WHERE key = 'salt'")
    if not ledger.shared:  # SQLite only: PostgreSQL's database is broadcast's by its tables
        ledger.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")


SEALED_SECRET = Step("the recipient secret sealed with the user's key", run=_seal_recipient_secret)

# 5: when the last attempt began, in real UTC time, so a lookup at the provider after a crash
# or a timeout knows which messages may be this attempt's; when a final receipt came (the
# provider's time) and when we last asked, so a capped run moves on.
ATTEMPT_AND_RECEIPT_TIMES = Step(
    "attempt and receipt times",
    (
        "ALTER TABLE deliveries ADD COLUMN attempt_started_at TEXT",
        "ALTER TABLE deliveries ADD COLUMN receipt_at TEXT",
        "ALTER TABLE deliveries ADD COLUMN receipt_checked_at TEXT",
    ),
)

# 6: approvals of rendered texts by name (and signature), who approved and who sent each
# version, exercises apart, and each delivery's address sealed with the recipient key so a
# correction can reach everyone who got an earlier version.
APPROVALS_EXERCISES_CORRECTIONS = Step(
    "approvals, exercises and sealed addresses",
    (
        """
    CREATE TABLE approvals (
        id {id},
        incident_id TEXT NOT NULL,
        texts_hash TEXT NOT NULL,
        rendered_at TEXT NOT NULL,
        approved_by TEXT NOT NULL,
        approved_at TEXT NOT NULL,
        signature TEXT
    )""",
        "CREATE INDEX approvals_by_incident ON approvals (incident_id, id)",
        "ALTER TABLE versions ADD COLUMN approval_id {int} REFERENCES approvals (id)",
        "ALTER TABLE versions ADD COLUMN sent_by TEXT",
        "ALTER TABLE versions ADD COLUMN exercise {int} NOT NULL DEFAULT 0",
        "ALTER TABLE deliveries ADD COLUMN recipient_sealed TEXT",
    ),
)

# 7: hosts sharing one ledger (PostgreSQL): the run that took each delivery (``claimed_by``),
# the leases that say which runs are alive and which run holds each incident, the next free
# slot of each channel's rate (in total, across hosts), and the pending rows indexed alone,
# so a claim finds them without reading the rows already done.
SHARED_WORK = Step(
    "leases and rates of hosts sharing the ledger",
    (
        "ALTER TABLE deliveries ADD COLUMN claimed_by TEXT",
        "CREATE INDEX deliveries_pending ON deliveries (version_id, channel, recipient_key)"
        " WHERE state = 'pending'",
        """
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        host TEXT NOT NULL,
        expires_at {real} NOT NULL
    )""",
        "CREATE TABLE rates (channel TEXT PRIMARY KEY, next_slot {real} NOT NULL)",
    ),
)

# 8: when each version was really handed out (under an approval its ``created_at`` is the
# approval's moment, which its texts speak for), and the sender's signature when it signed;
# the runs that sent the rest of a version later (--channel, a re-run after a crash, retry),
# each with who and whether signed: a row each, so runs on several hosts never overwrite.
SENT_AT_AND_SENDER_SIGNATURE = Step(
    "hand-over times, sender signatures and continuations",
    (
        "ALTER TABLE versions ADD COLUMN sent_at TEXT",
        "ALTER TABLE versions ADD COLUMN sender_signature TEXT",
        """
    CREATE TABLE continued_by (
        id {id},
        version_id {int} NOT NULL REFERENCES versions (id),
        sent_by TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        sender_signature TEXT
    )""",
        "CREATE INDEX continued_by_version ON continued_by (version_id, id)",
    ),
)

# 9: one name for "never send this again": an opt-out (a provider's 21610, a STOP received by
# broadcast serve) is a row of ``suppressions`` too, on the channel ``*`` (every channel that
# honours opt-outs), so that a START can remove it, which nothing could do while an opt-out was
# read from the deliveries that failed with 21610; the deliveries skipped for it become
# ``suppressed`` (their code, ``opted-out``, says why). And the replies people send back.
OPT_OUTS_AS_SUPPRESSIONS_AND_REPLIES = Step(
    "opt-outs kept as suppressions, and replies",
    (
        "INSERT INTO suppressions (channel, recipient_key, error_code, created_at)"
        " SELECT '*', recipient_key, 'opted-out', min(updated_at) FROM deliveries"
        " WHERE error_code IN ('21610', 'opted-out') GROUP BY recipient_key"
        " ON CONFLICT (channel, recipient_key) DO NOTHING",
        "UPDATE deliveries SET state = 'suppressed'"
        " WHERE state = 'failed-permanent' AND error_code = 'opted-out'",
        """
    CREATE TABLE replies (
        id {id},
        incident_id TEXT NOT NULL,
        version_id {int} NOT NULL REFERENCES versions (id),
        recipient_key TEXT NOT NULL,
        message_sid TEXT NOT NULL UNIQUE,
        text_sealed TEXT NOT NULL,
        category TEXT NOT NULL,
        received_at TEXT NOT NULL,
        after_seconds {real}
    )""",
        "CREATE INDEX replies_by_incident ON replies (incident_id, id)",
    ),
)

# 10: what ``broadcast serve`` looks up per request, each one indexed rather than a scan of
# every delivery ever made: a delivery by the provider's id (a status callback names it), and
# a caller's recorded language by their recipient key (the call-in line).
SERVE_LOOKUPS = Step(
    "deliveries found by the provider's id and by the recipient",
    (
        "CREATE INDEX deliveries_by_provider_id ON deliveries (provider_id)",
        "CREATE INDEX deliveries_by_recipient ON deliveries (recipient_key, id)",
    ),
)

# 11: a send that went out despite wording errors (``--accept-wording``): the reason, who, when,
# and the findings it covered (JSON), with the version it let out.
WORDING_OVERRIDES = Step(
    "wording overrides",
    (
        """
    CREATE TABLE wording_overrides (
        id {id},
        version_id {int} NOT NULL REFERENCES versions (id),
        incident_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        accepted_by TEXT NOT NULL,
        accepted_at TEXT NOT NULL,
        findings TEXT NOT NULL
    )""",
        "CREATE INDEX wording_overrides_by_incident ON wording_overrides (incident_id, id)",
    ),
)

# 12: residents who signed themselves up (broadcast serve's sign-up page, the SMS keyword),
# found by their address's keyed hash and sealed like every person the ledger keeps; a code or
# a link's secret kept as a keyed hash only, with its expiry and its wrong tries.
SUBSCRIBERS = Step(
    "subscribers",
    (
        """
    CREATE TABLE subscribers (
        id {id},
        address_key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('phone', 'email')),
        sealed TEXT NOT NULL,
        code_hash TEXT,
        code_expires_at TEXT,
        code_tries {int} NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        confirmed_at TEXT
    )""",
        "CREATE INDEX subscribers_by_kind ON subscribers (kind, id)",
    ),
)

# 13: the sender of a pool (a number, a short code, a Messaging Service) each delivery went
# from, recorded before its first attempt: a lookup asks from it, and the recipient keeps it
# for every later message (see delivery.sender_pool); found by recipient, channel by channel.
DELIVERY_SENDERS = Step(
    "the sender each delivery went from",
    (
        "ALTER TABLE deliveries ADD COLUMN sender TEXT",
        "CREATE INDEX deliveries_by_channel_recipient ON deliveries (channel, recipient_key, id)",
    ),
)

# 14: the message parts of each delivery through a pool (an SMS of 3 segments is 3): a
# sender's ``max_per_day`` counts parts, as Twilio counts a sender's messages.
DELIVERY_PARTS = Step(
    "the message parts each delivery counts against its sender",
    ("ALTER TABLE deliveries ADD COLUMN parts {int}",),
)

# 15: each sender's one-second window shared by the hosts of a ledger: the parts each host
# was granted, counted from the grant until a second after the answer to the last of them
# (see Leases.grant_parts), so no sender goes over its rate whatever the hosts' lateness.
RATE_GRANTS = Step(
    "each sender's window of parts granted to the hosts",
    (
        """
    CREATE TABLE rate_grants (
        id {id},
        channel TEXT NOT NULL,
        parts {int} NOT NULL,
        granted_at {real} NOT NULL,
        answered_at {real}
    )""",
        "CREATE INDEX rate_grants_by_channel ON rate_grants (channel)",
    ),
)

# In order: ``MIGRATIONS[n - 1]`` takes a ledger from schema n - 1 to n. Add at the end.
MIGRATIONS: tuple[Step, ...] = (
    FIRST,
    SOURCES_AND_SUPERSEDING,
    RECEIPTS_AND_SUPPRESSIONS,
    SEALED_SECRET,
    ATTEMPT_AND_RECEIPT_TIMES,
    APPROVALS_EXERCISES_CORRECTIONS,
    SHARED_WORK,
    SENT_AT_AND_SENDER_SIGNATURE,
    OPT_OUTS_AS_SUPPRESSIONS_AND_REPLIES,
    SERVE_LOOKUPS,
    WORDING_OVERRIDES,
    SUBSCRIBERS,
    DELIVERY_SENDERS,
    DELIVERY_PARTS,
    RATE_GRANTS,
)


def apply(step: Step, ledger: Any) -> None:
    """Run ``step`` on ``ledger`` (inside the transaction the caller opened)."""
    for statement in step.statements(ledger.dialect):
        ledger.db.execute(statement)
    if step.run is not None:
        step.run(ledger)
