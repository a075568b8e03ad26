"""What people send back, as the ledger keeps it (``broadcast serve``): opt-outs and opt-ins
(rows of ``suppressions`` on the channel ``*``, where a provider's 21610 is kept too), the
replies (their text sealed with the recipient key like an address: the file alone reveals no
one's words), and what a number was sent last, to say which incident a reply answers and what
HELP answers.

A number is never stored: it is known by its keyed hash (``recipient_key``), as a recipient is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from broadcast.ledger.receipts import Receipts
from broadcast.ledger.records import HANDED_OVER_SQL, OPTED_OUT, now_text

# A suppression on this channel holds on every channel that honours opt-outs (SMS): a STOP
# answers the organisation, not one of its channels.
EVERY_CHANNEL = "*"
_OPTED_OUT_ROW = (
    "SELECT 1 FROM suppressions s WHERE s.channel = '*' AND s.error_code = 'opted-out'"
    " AND s.recipient_key = {key}"
)


@dataclass(frozen=True)
class SentLast:
    """The newest message an incident's version carried to a number (not a drill's), and
    when it was handed over for that number (the version's hand-out for older rows)."""

    incident_id: str
    version_id: int
    channel: str
    locale: str | None
    went_out_at: datetime
    status: str  # the incident's status in that version


@dataclass(frozen=True)
class Reply:
    id: int
    incident_id: str
    version_id: int
    text: str
    category: str
    received_at: datetime
    after_seconds: float | None  # since the message it answers went out


class Inbound(Receipts):
    """Opt-outs, opt-ins, replies, and what was sent to a number."""

    def opt_out(self, address: str) -> bool:
        """``address`` opted out (STOP) on every channel that honours it; False if already."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO suppressions (channel, recipient_key, error_code, created_at)"
                " VALUES ('*', :key, :code, :now) ON CONFLICT (channel, recipient_key) DO NOTHING",
                {"key": self.recipient_key(address), "code": OPTED_OUT, "now": self._stamp()},
            )
        return cursor.rowcount > 0

    def opt_in(self, address: str) -> bool:
        """``address`` opted in again (START): its opt-out is gone; False if it had none.
        What else suppresses the number (not a mobile, not a valid number) stays."""
        with self.transaction() as db:
            cursor = db.execute(
                "DELETE FROM suppressions WHERE channel = '*' AND recipient_key = :key"
                " AND error_code = :code",
                {"key": self.recipient_key(address), "code": OPTED_OUT},
            )
        return cursor.rowcount > 0

    def is_opted_out(self, address: str) -> bool:
        row = self.db.execute(
            _OPTED_OUT_ROW.format(key=":key"), {"key": self.recipient_key(address)}
        ).fetchone()
        return row is not None

    def sent_to(self, address: str) -> list[SentLast]:
        """Per incident and channel that reached ``address`` (not drills), the newest version
        it carried there, newest first."""
        rows = self.db.execute(
            "SELECT v.incident_id, v.id AS version_id, d.channel, d.recipient_sealed,"
            " coalesce(d.sent_at, v.sent_at, v.created_at) AS went_out_at, v.status"
            " FROM deliveries d JOIN versions v ON v.id = d.version_id"
            " WHERE d.recipient_key = :key AND v.exercise = 0"
            f" AND d.state IN ({HANDED_OVER_SQL}) ORDER BY v.id DESC, d.id DESC",
            {"key": self.recipient_key(address)},
        ).fetchall()
        found: dict[tuple[str, str], SentLast] = {}
        for row in rows:
            if (row["incident_id"], row["channel"]) in found:
                continue
            sealed = row["recipient_sealed"]
            locale = self.open_contact(str(sealed)).locale if sealed else None
            found[row["incident_id"], row["channel"]] = SentLast(
                row["incident_id"],
                int(row["version_id"]),
                row["channel"],
                locale,
                datetime.fromisoformat(row["went_out_at"]),
                row["status"],
            )
        return list(found.values())

    def add_reply(
        self,
        answering: SentLast,
        address: str,
        message_sid: str,
        text: str,
        category: str,
        received_at: datetime,
    ) -> bool:
        """Keep a reply to ``answering``; False when Twilio posted this message before."""
        after = (received_at - answering.went_out_at).total_seconds()
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO replies (incident_id, version_id, recipient_key, message_sid,"
                " text_sealed, category, received_at, after_seconds) VALUES (:incident_id,"
                " :version_id, :key, :sid, :sealed, :category, :received_at, :after)"
                " ON CONFLICT (message_sid) DO NOTHING",
                {
                    "incident_id": answering.incident_id,
                    "version_id": answering.version_id,
                    "key": self.recipient_key(address),
                    "sid": message_sid,
                    "sealed": self._fernet.encrypt(text.encode()).decode(),
                    "category": category,
                    "received_at": now_text(received_at),
                    "after": max(after, 0.0),
                },
            )
        return cursor.rowcount > 0

    def replies_from(self, version_id: int, address: str) -> int:
        """How many replies ``address`` sent that answer the version ``version_id``."""
        row = self.db.execute(
            "SELECT count(*) AS n FROM replies"
            " WHERE version_id = :version AND recipient_key = :key",
            {"version": version_id, "key": self.recipient_key(address)},
        ).fetchone()
        return int(row["n"])

    def replies(self, incident_id: str) -> list[Reply]:
        """The incident's replies, newest first, their texts opened."""
        rows = self.db.execute(
            "SELECT * FROM replies WHERE incident_id = :id ORDER BY received_at DESC, id DESC",
            {"id": incident_id},
        ).fetchall()
        return [
            Reply(
                int(row["id"]),
                row["incident_id"],
                int(row["version_id"]),
                self._fernet.decrypt(str(row["text_sealed"]).encode()).decode(),
                row["category"],
                datetime.fromisoformat(row["received_at"]),
                None if row["after_seconds"] is None else float(row["after_seconds"]),
            )
            for row in rows
        ]

    def reply_counts(self, incident_id: str) -> tuple[int, int]:
        """(replies, distinct people who replied) for the incident."""
        row = self.db.execute(
            "SELECT count(*) AS n, count(DISTINCT recipient_key) AS people FROM replies"
            " WHERE incident_id = :id",
            {"id": incident_id},
        ).fetchone()
        return int(row["n"]), int(row["people"])

    def opted_out_count(self, incident_id: str) -> int:
        """The incident's recipients who are opted out now."""
        row = self.db.execute(
            "SELECT count(DISTINCT d.recipient_key) AS n FROM deliveries d"
            " JOIN versions v ON v.id = d.version_id WHERE v.incident_id = :id"
            f" AND EXISTS ({_OPTED_OUT_ROW.format(key='d.recipient_key')})",
            {"id": incident_id},
        ).fetchone()
        return int(row["n"])
