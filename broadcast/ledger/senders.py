"""The sender of a pool each delivery went from (``deliveries.sender``): recorded before the
first attempt, read back for the recipient's later messages (sticky senders) and for a
sender's count of the day (``max_per_day``, in message parts)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from broadcast.ledger.recipient_keys import RecipientKeys
from broadcast.ledger.records import now_text


class Senders(RecipientKeys):
    """``deliveries.sender``: which number, short code or Messaging Service a delivery used."""

    def senders_of(
        self, delivery_id: int, channel: str, address: str
    ) -> tuple[str | None, str | None]:
        """The sender recorded on this delivery (its first attempt's), and the sender that
        first reached this recipient on ``channel`` (a message the provider took), if any."""
        own = self.db.execute(
            "SELECT sender FROM deliveries WHERE id = :id", {"id": delivery_id}
        ).fetchone()
        first = self.db.execute(
            "SELECT sender FROM deliveries WHERE channel = :channel AND recipient_key = :key"
            " AND sender IS NOT NULL AND provider_id IS NOT NULL ORDER BY id LIMIT 1",
            {"channel": channel, "key": self.recipient_key(address)},
        ).fetchone()
        return (own[0] if own else None), (first[0] if first else None)

    def record_sender(self, delivery_id: int, sender: str, parts: int | None = None) -> None:
        """The delivery goes from ``sender``, counting ``parts`` against its day: written
        before the provider is called, so that a lookup of a lost answer asks from the same
        sender."""
        with self.transaction() as db:
            db.execute(
                "UPDATE deliveries SET sender = :sender, parts = :parts WHERE id = :id",
                {"sender": sender, "parts": parts, "id": delivery_id},
            )

    def sent_by_sender(self, channel: str, since: datetime) -> Counter[str]:
        """Message parts each sender of ``channel`` was asked to send since ``since`` (UTC):
        an SMS of 3 segments counts 3 (a delivery recorded before parts were, 1)."""
        rows = self.db.execute(
            "SELECT sender, sum(coalesce(parts, 1)) FROM deliveries WHERE channel = :channel"
            " AND sender IS NOT NULL AND attempt_started_at >= :since GROUP BY sender",
            {"channel": channel, "since": now_text(since)},
        ).fetchall()
        return Counter({str(row[0]): int(row[1]) for row in rows})
