"""The ledger's versions: each incident version sent (its content hash, when, who, the next
update it promised, the file it came from), its rendered texts per channel, and the later runs
that sent the rest of it.
"""

from __future__ import annotations

import json
from datetime import datetime

from broadcast.ledger.engine import LedgerEngine, who
from broadcast.ledger.records import Continuation, Version, now_text, version_from


class Versions(LedgerEngine):
    """The ``versions``, ``renders`` and ``continued_by`` tables."""

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
                " VALUES (:incident_id, :content_hash, :kind, :status, :created_at,"
                " :next_update_at, :run_by, :channels, :source_path, :approval_id, :sent_by,"
                " :exercise, :sent_at, :sender_signature) RETURNING id",
                {
                    "incident_id": incident_id,
                    "content_hash": content_hash,
                    "kind": kind,
                    "status": status,
                    "created_at": now_text(created_at),
                    "next_update_at": now_text(next_update_at) if next_update_at else None,
                    "run_by": who(self.environ),
                    "channels": json.dumps(channels),
                    "source_path": source_path,
                    "approval_id": approval_id,
                    "sent_by": sent_by,
                    "exercise": int(exercise),
                    "sent_at": self._stamp(),
                    "sender_signature": sender_signature,
                },
            )
            version_id = int(cursor.fetchone()[0])
            earlier = "SELECT id FROM versions WHERE incident_id = :incident_id AND id < :id"
            db.execute(
                "UPDATE deliveries SET state = 'superseded', updated_at = :now"
                f" WHERE state = 'pending' AND version_id IN ({earlier})",
                {"now": self._stamp(), "incident_id": incident_id, "id": version_id},
            )
            # An unfinished version that a newer one overtook: never finished, by design.
            db.execute(
                "UPDATE versions SET superseded_by = :id WHERE superseded_by IS NULL"
                f" AND completed_at IS NULL AND id IN ({earlier})",
                {"incident_id": incident_id, "id": version_id},
            )
            db.executemany(
                "INSERT INTO renders VALUES (:version_id, :channel, :locale, :part, :text)"
                " ON CONFLICT (version_id, channel, locale, part)"
                " DO UPDATE SET text = excluded.text",
                [
                    {
                        "version_id": version_id,
                        "channel": channel,
                        "locale": locale,
                        "part": part,
                        "text": text,
                    }
                    for channel, locale, part, text in renders
                ],
            )
        version = self.version(version_id)
        assert version is not None
        return version

    def version(self, version_id: int) -> Version | None:
        row = self.db.execute(
            "SELECT * FROM versions WHERE id = :id", {"id": version_id}
        ).fetchone()
        return version_from(row) if row else None

    def versions(self, incident_id: str) -> list[Version]:
        rows = self.db.execute(
            "SELECT * FROM versions WHERE incident_id = :incident_id ORDER BY id",
            {"incident_id": incident_id},
        ).fetchall()
        return [version_from(row) for row in rows]

    def latest_version(self, incident_id: str, kind: str | None = None) -> Version | None:
        query = "SELECT * FROM versions WHERE incident_id = :incident_id"
        if kind:
            query += " AND kind = :kind"
        row = self.db.execute(
            query + " ORDER BY id DESC LIMIT 1", {"incident_id": incident_id, "kind": kind}
        ).fetchone()
        return version_from(row) if row else None

    def latest_versions(self) -> list[Version]:
        """The latest version of every incident this ledger holds, the newest first."""
        with self.lock:
            rows = self.db.execute(
                "SELECT * FROM versions WHERE id IN"
                " (SELECT max(id) FROM versions GROUP BY incident_id) ORDER BY id DESC"
            ).fetchall()
        return [version_from(row) for row in rows]

    def renders(self, version_id: int) -> dict[str, dict[str, str]]:
        """channel → part → text, as recorded for the version."""
        out: dict[str, dict[str, str]] = {}
        for row in self.db.execute(
            "SELECT channel, part, text FROM renders WHERE version_id = :id", {"id": version_id}
        ):
            out.setdefault(row["channel"], {})[row["part"]] = row["text"]
        return out

    def recorded_texts(self, version_id: int) -> dict[str, dict[str, dict[str, str]]]:
        """channel → locale → part → text, exactly as recorded for the version."""
        out: dict[str, dict[str, dict[str, str]]] = {}
        for row in self.db.execute(
            "SELECT channel, locale, part, text FROM renders WHERE version_id = :id",
            {"id": version_id},
        ):
            out.setdefault(row["channel"], {}).setdefault(row["locale"], {})[row["part"]] = row[
                "text"
            ]
        return out

    def mark_complete(self, version_id: int) -> None:
        """Every channel of the version went through a whole run (sent, or failed for good)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE versions SET completed_at = :now WHERE id = :id",
                {"now": self._stamp(), "id": version_id},
            )

    def reopen_version(self, version_id: int) -> None:
        """Deliveries were put back in the queue: the next run continues the version."""
        with self.transaction() as db:
            db.execute("UPDATE versions SET completed_at = NULL WHERE id = :id", {"id": version_id})

    def move_source(self, version_id: int, source_path: str) -> None:
        """The incident now speaks through another file (``--continue-incident``): later runs
        compare with it, even when this run had nothing new to record."""
        with self.transaction() as db:
            db.execute(
                "UPDATE versions SET source_path = :path WHERE id = :id",
                {"path": source_path, "id": version_id},
            )

    def extend_channels(self, version_id: int, channels: list[str]) -> Version:
        """Add channels to a version (a later run chose more of them); it is open again."""
        version = self.version(version_id)
        assert version is not None
        merged = [*version.channels, *(c for c in channels if c not in version.channels)]
        if len(merged) != len(version.channels):
            with self.transaction() as db:
                db.execute(
                    "UPDATE versions SET channels = :channels, completed_at = NULL WHERE id = :id",
                    {"channels": json.dumps(merged), "id": version_id},
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
                " VALUES (:version_id, :sent_by, :sent_at, :signature)",
                {
                    "version_id": version_id,
                    "sent_by": sent_by,
                    "sent_at": self._stamp(),
                    "signature": sender_signature,
                },
            )

    def continuations(self, version_id: int) -> list[Continuation]:
        """The later runs that sent (the rest of) a version, oldest first."""
        rows = self.db.execute(
            "SELECT sent_by, sent_at, sender_signature FROM continued_by"
            " WHERE version_id = :id ORDER BY id",
            {"id": version_id},
        ).fetchall()
        return [
            Continuation(
                row["sent_by"], datetime.fromisoformat(row["sent_at"]), row["sender_signature"]
            )
            for row in rows
        ]
