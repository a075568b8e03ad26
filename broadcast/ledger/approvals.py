"""The ledger's approvals: a person's approval of every text a version carries, by the hash
of those texts, with who, when and their signature.
"""

from __future__ import annotations

from datetime import datetime

from broadcast.ledger.engine import LedgerEngine
from broadcast.ledger.records import Approval, approval_from, now_text


class Approvals(LedgerEngine):
    """The ``approvals`` table."""

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
                " approved_at, signature) VALUES (:incident_id, :texts_hash, :rendered_at,"
                " :approved_by, :approved_at, :signature) RETURNING id",
                {
                    "incident_id": incident_id,
                    "texts_hash": texts_hash,
                    "rendered_at": now_text(rendered_at),
                    "approved_by": approved_by,
                    "approved_at": now_text(approved_at) if approved_at else self._stamp(),
                    "signature": signature,
                },
            )
            approval_id = int(cursor.fetchone()[0])
        found = self.approval(approval_id)
        assert found is not None
        return found

    def approval(self, approval_id: int) -> Approval | None:
        row = self.db.execute(
            "SELECT * FROM approvals WHERE id = :id", {"id": approval_id}
        ).fetchone()
        return approval_from(row) if row else None

    def approvals(self, incident_id: str) -> list[Approval]:
        """The incident's approvals, newest first."""
        rows = self.db.execute(
            "SELECT * FROM approvals WHERE incident_id = :incident_id ORDER BY id DESC",
            {"incident_id": incident_id},
        ).fetchall()
        return [approval_from(row) for row in rows]
