"""The ledger's wording overrides: a sender who sent despite wording errors, with the reason
they gave (``--accept-wording``), who and when, and the findings it covered, kept with the
version it let out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from broadcast.ledger.engine import LedgerEngine


@dataclass(frozen=True)
class WordingOverride:
    """One override: the version it let out, why, who, when, and the findings it covered (each
    as ``Problem.to_json`` gives it: check, level, file, line, field, channel, message)."""

    version_id: int
    incident_id: str
    reason: str
    accepted_by: str
    accepted_at: datetime
    findings: tuple[dict[str, Any], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version_id,
            "reason": self.reason,
            "accepted_by": self.accepted_by,
            "accepted_at": self.accepted_at.isoformat(),
            "findings": list(self.findings),
        }


class WordingOverrides(LedgerEngine):
    """The ``wording_overrides`` table."""

    def add_wording_override(
        self,
        version_id: int,
        incident_id: str,
        reason: str,
        accepted_by: str,
        findings: list[dict[str, Any]],
    ) -> None:
        """Record that ``accepted_by`` sent ``version_id`` now despite ``findings``, because
        ``reason``."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO wording_overrides (version_id, incident_id, reason, accepted_by,"
                " accepted_at, findings) VALUES (:version_id, :incident_id, :reason,"
                " :accepted_by, :accepted_at, :findings)",
                {
                    "version_id": version_id,
                    "incident_id": incident_id,
                    "reason": reason,
                    "accepted_by": accepted_by,
                    "accepted_at": self._stamp(),
                    "findings": json.dumps(findings, ensure_ascii=False),
                },
            )

    def wording_overrides(
        self, incident_id: str, version_id: int | None = None
    ) -> list[WordingOverride]:
        """The incident's overrides (of one version, with ``version_id``), oldest first."""
        query = "SELECT * FROM wording_overrides WHERE incident_id = :incident_id"
        binds: dict[str, Any] = {"incident_id": incident_id}
        if version_id is not None:
            query += " AND version_id = :version_id"
            binds["version_id"] = version_id
        rows = self.db.execute(query + " ORDER BY id", binds).fetchall()
        return [
            WordingOverride(
                int(row["version_id"]),
                row["incident_id"],
                row["reason"],
                row["accepted_by"],
                datetime.fromisoformat(row["accepted_at"]),
                tuple(json.loads(row["findings"])),
            )
            for row in rows
        ]

    def override_for_words(self, incident_id: str, content_hash: str) -> WordingOverride | None:
        """The latest override given for a version of the incident with these very words
        (``content_hash``): a reminder or a later run of the same file goes out under it, as
        nobody is there to give the reason again at 3 a.m. (cron's ``tick``)."""
        row = self.db.execute(
            "SELECT o.* FROM wording_overrides o JOIN versions v ON v.id = o.version_id"
            " WHERE o.incident_id = :incident_id AND v.content_hash = :hash"
            " ORDER BY o.id DESC LIMIT 1",
            {"incident_id": incident_id, "hash": content_hash},
        ).fetchone()
        if row is None:
            return None
        return WordingOverride(
            int(row["version_id"]),
            row["incident_id"],
            row["reason"],
            row["accepted_by"],
            datetime.fromisoformat(row["accepted_at"]),
            tuple(json.loads(row["findings"])),
        )
