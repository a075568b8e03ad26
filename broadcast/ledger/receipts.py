"""What the providers said after a hand-over, as the ledger keeps it: receipts (delivered,
undelivered, a call unanswered), the recipients suppressed on a channel, and the fallback
deliveries that stand in for another channel's failure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from broadcast.ledger.deliveries import Deliveries
from broadcast.ledger.engine import listed
from broadcast.ledger.records import HANDED_OVER_SQL, Delivery, delivery_from, now_text


class Receipts(Deliveries):
    """Receipt columns of ``deliveries``, the ``suppressions`` table, ``fallback_from``."""

    def awaiting_receipt(
        self, incident_id: str, channels: list[str], limit: int
    ) -> list[tuple[int, str, str]]:
        """``(delivery id, channel, provider id)`` of deliveries sent and not yet final.

        The ones asked about least recently come first, so a capped run moves on through
        the backlog instead of asking about the same ones every time.
        """
        if not channels or limit <= 0:
            return []
        marks, binds = listed("channel", channels)
        rows = self.db.execute(
            "SELECT d.id, d.channel, d.provider_id FROM deliveries d"
            " JOIN versions v ON v.id = d.version_id"
            " WHERE v.incident_id = :incident_id AND d.state = 'sent'"
            f" AND d.channel IN ({marks}) AND d.provider_id IS NOT NULL"
            " ORDER BY d.receipt_checked_at IS NOT NULL, d.receipt_checked_at, d.id"
            " LIMIT :limit",
            {"incident_id": incident_id, "limit": limit, **binds},
        ).fetchall()
        return [(int(r["id"]), str(r["channel"]), str(r["provider_id"])) for r in rows]

    def channels_sent(self, incident_id: str) -> list[str]:
        """The channels on which the provider took at least one of the incident's deliveries."""
        rows = self.db.execute(
            "SELECT DISTINCT d.channel FROM deliveries d JOIN versions v ON v.id = d.version_id"
            f" WHERE v.incident_id = :incident_id AND d.state IN ({HANDED_OVER_SQL})",
            {"incident_id": incident_id},
        ).fetchall()
        return [str(row["channel"]) for row in rows]

    def waiting_receipts(self, incident_id: str, channel: str) -> int:
        """How many of the incident's deliveries on ``channel`` are sent and not yet final."""
        row = self.db.execute(
            "SELECT count(*) AS n FROM deliveries d JOIN versions v ON v.id = d.version_id"
            " WHERE v.incident_id = :incident_id AND d.channel = :channel AND d.state = 'sent'"
            " AND d.provider_id IS NOT NULL",
            {"incident_id": incident_id, "channel": channel},
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
    ) -> bool:
        """What the provider said of a sent delivery once it knew, or not yet (``state`` None).

        Final: delivered, undelivered (with its error code), or a call unanswered (counted, and
        placed again by ``delivery.fallback``). Used for SMS receipts (``delivery.receipts``),
        call outcomes and the provider's status callbacks (``broadcast serve``) alike; ``at``
        is when the provider said so, if it says. Only a delivery still ``sent`` changes: a
        receipt never overrides a later state, so the first final word stands whatever comes
        after it, twice or out of order. True when this one moved the delivery.
        """
        checked = now_text()
        with self.transaction() as db:
            if state is None:
                db.execute(
                    "UPDATE deliveries SET receipt_checked_at = :checked WHERE id = :id",
                    {"checked": checked, "id": delivery_id},
                )
                return False
            cursor = db.execute(
                "UPDATE deliveries SET state = :state,"
                " error_code = coalesce(:error_code, error_code),"
                " error_message = coalesce(:error_message, error_message),"
                " unanswered = unanswered + :unanswered, receipt_at = :receipt_at,"
                " receipt_checked_at = :checked, updated_at = :now"
                " WHERE id = :id AND state = 'sent'",
                {
                    "state": state,
                    "error_code": error_code,
                    "error_message": error_message,
                    "unanswered": int(unanswered),
                    "receipt_at": now_text(at) if at else checked,
                    "checked": checked,
                    "now": self._stamp(),
                    "id": delivery_id,
                },
            )
        return cursor.rowcount > 0

    def handed_over_as(self, provider_id: str) -> tuple[Delivery, str] | None:
        """The delivery the provider knows by ``provider_id`` (a message's or a call's SID),
        with its incident's id; None when this ledger handed nothing over under that id."""
        row = self.db.execute(
            "SELECT d.*, v.incident_id AS incident_id FROM deliveries d"
            " JOIN versions v ON v.id = d.version_id WHERE d.provider_id = :provider_id"
            " ORDER BY d.id LIMIT 1",
            {"provider_id": provider_id},
        ).fetchone()
        return (delivery_from(row), str(row["incident_id"])) if row else None

    def receipt_times(self, incident_id: str) -> list[dict[str, Any]]:
        """Per delivery handed over: version, channel, state, when its attempt began and when
        its final receipt came (real UTC times, both), for the report's time to reach."""
        rows = self.db.execute(
            "SELECT d.version_id, d.channel, d.state, d.attempt_started_at, d.receipt_at"
            " FROM deliveries d JOIN versions v ON v.id = d.version_id"
            f" WHERE v.incident_id = :incident_id AND d.state IN ({HANDED_OVER_SQL})",
            {"incident_id": incident_id},
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

    def suppression(self, channel: str, address: str) -> str | None:
        """The error code that suppressed ``address`` on ``channel``, if it is suppressed."""
        with self.lock:
            row = self.db.execute(
                "SELECT error_code FROM suppressions WHERE channel = :channel"
                " AND recipient_key = :key",
                {"channel": channel, "key": self.recipient_key(address)},
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
                "UPDATE deliveries SET fallback_from = :source WHERE id = :id"
                " AND fallback_from IS NULL AND state = 'pending'",
                {"source": source_id, "id": delivery_id},
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
                "SELECT fallback_from FROM deliveries WHERE version_id = :id"
                " AND fallback_from IS NOT NULL",
                {"id": version_id},
            )
        }
