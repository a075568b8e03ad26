"""The ledger's deliveries: one row per version, channel and recipient, written ``pending``
before the provider is called, ``sending`` just before the call and its outcome after (the
outbox), with the counts and groups that status and the report read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from broadcast.ledger.engine import listed
from broadcast.ledger.leases import Leases
from broadcast.ledger.recipient_keys import RecipientKeys
from broadcast.ledger.records import (
    OPTED_OUT,
    Contact,
    Delivery,
    delivery_from,
    now_text,
)

# Keys looked up at once by ``claim_batch``: well under any engine's limit on parameters.
CLAIM_CHUNK = 500
# Provider errors that mean "never send this channel to this recipient again": not a valid
# number (21211), not a mobile (21614).
SUPPRESSING_ERRORS = frozenset({"21211", "21614"})
# Provider errors that mean the recipient opted out (replied STOP to Twilio: 21610): kept as a
# suppression on every channel that honours opt-outs (``*``, code ``opted-out``), as a STOP
# received by broadcast serve is, and lifted by a START (broadcast.ledger.inbound).
OPT_OUT_ERRORS = frozenset({"21610"})
# The values of a new delivery, as ``claim`` and ``claim_batch`` write it.
_NEW_DELIVERY = "(:version_id, :channel, :key, :hint, :line, 'pending', :now, :now, :sealed)"


class Deliveries(RecipientKeys, Leases):
    """The ``deliveries`` table (and ``suppressions``, which an outcome may add to).

    A delivery is to a recipient known by their key (``RecipientKeys``) and is taken by one
    live run (``Leases``): the parts it stands on."""

    def unfinished(self, version_id: int, channel: str | None = None) -> int:
        """Deliveries of the version (on ``channel``) still to send or in flight."""
        only = " AND channel = :channel" if channel else ""
        row = self.db.execute(
            "SELECT count(*) FROM deliveries WHERE version_id = :id"
            f" AND state IN ('pending', 'sending'){only}",
            {"id": version_id, "channel": channel},
        ).fetchone()
        return int(row[0])

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
                f" VALUES {_NEW_DELIVERY}"
                " ON CONFLICT (version_id, channel, recipient_key) DO NOTHING",
                {
                    "version_id": version_id,
                    "channel": channel,
                    "key": key,
                    "hint": self.recipient_hint(address),
                    "line": line,
                    "now": stamp,
                    "sealed": sealed,
                },
            )
            row = db.execute(
                "SELECT id, state FROM deliveries WHERE version_id = :version_id"
                " AND channel = :channel AND recipient_key = :key",
                {"version_id": version_id, "channel": channel, "key": key},
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
                f" VALUES {_NEW_DELIVERY}"
                " ON CONFLICT (version_id, channel, recipient_key) DO NOTHING",
                [
                    {
                        "version_id": version_id,
                        "channel": channel,
                        "key": key,
                        "hint": self.recipient_hint(contact.address),
                        "line": contact.line,
                        "now": stamp,
                        "sealed": seal,
                    }
                    for key, contact, seal in zip(keys, contacts, sealed, strict=True)
                ],
            )
            earlier: list[tuple[int, str]] = []
            for start in range(0, len(keys), CLAIM_CHUNK):
                chunk = keys[start : start + CLAIM_CHUNK]
                marks, binds = listed("key", chunk)
                rows = db.execute(
                    "SELECT id, state, recipient_key, recipient_sealed FROM deliveries"
                    " WHERE version_id = :version_id AND channel = :channel"
                    f" AND recipient_key IN ({marks})",
                    {"version_id": version_id, "channel": channel, **binds},
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
        marks, binds = listed("channel", channels)
        rows = self.db.execute(
            "SELECT provider_id FROM deliveries WHERE version_id IN (SELECT id FROM versions)"
            f" AND channel IN ({marks}) AND recipient_key = :key"
            " AND provider_id IS NOT NULL",
            {"key": self.recipient_key(address), **binds},
        ).fetchall()
        # X threads record several ids as one, comma-separated; calls and SMS one each.
        return frozenset(sid for row in rows for sid in str(row["provider_id"]).split(","))

    def recorded_contact(self, delivery_id: int) -> Contact | None:
        """The contact a delivery was recorded for (None for a row from before they were)."""
        row = self.db.execute(
            "SELECT recipient_sealed FROM deliveries WHERE id = :id", {"id": delivery_id}
        ).fetchone()
        if row is None or row["recipient_sealed"] is None:
            return None
        return self.open_contact(str(row["recipient_sealed"]))

    def recorded_locale(self, address: str) -> str | None:
        """The language recorded with the latest delivery to ``address`` (any channel, any
        incident), if one was recorded with it: how a known caller is spoken to."""
        with self.lock:
            row = self.db.execute(
                "SELECT recipient_sealed FROM deliveries WHERE recipient_key = :key"
                " AND recipient_sealed IS NOT NULL ORDER BY id DESC LIMIT 1",
                {"key": self.recipient_key(address)},
            ).fetchone()
        return self.open_contact(str(row["recipient_sealed"])).locale if row else None

    def delivery(self, delivery_id: int) -> Delivery | None:
        row = self.db.execute(
            "SELECT * FROM deliveries WHERE id = :id", {"id": delivery_id}
        ).fetchone()
        return delivery_from(row) if row else None

    def mark_sending(
        self, delivery_id: int, sender: str | None = None, parts: int | None = None
    ) -> bool:
        """About to call the provider. The attempt's start is real UTC time, not the run's
        clock: it is compared with the provider's own timestamps in a later lookup.
        ``sender``: the pool's sender it goes from (``deliveries.sender``), written in the
        same transaction, so that a lookup of a lost answer asks from the same sender and a
        delivery costs one transaction before its request, not two; with its ``parts``
        (``deliveries.parts``: the sender's ``max_per_day`` counts message parts).

        False on a shared ledger when the delivery is no longer this run's (its lease lapsed
        and another host took it): then it must not be sent from here (nor its sender
        written: it is the other host's).
        """
        mine = " AND claimed_by = :run" if self.shared else ""
        from_ = ", sender = :sender, parts = :parts" if sender is not None else ""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE deliveries SET state = 'sending', attempts = attempts + 1,"
                f" updated_at = :now, attempt_started_at = :started{from_} WHERE id = :id{mine}",
                {
                    "now": self._stamp(),
                    "started": now_text(),
                    "id": delivery_id,
                    "run": self.run,
                    "sender": sender,
                    "parts": parts,
                },
            )
        return cursor.rowcount > 0

    def attempt_started(self, delivery_id: int) -> datetime | None:
        """When the delivery's last attempt began (real UTC time), if one did."""
        row = self.db.execute(
            "SELECT attempt_started_at FROM deliveries WHERE id = :id", {"id": delivery_id}
        ).fetchone()
        return (
            datetime.fromisoformat(row["attempt_started_at"])
            if row and row["attempt_started_at"]
            else None
        )

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
                "UPDATE deliveries SET state = :state, provider_id = :provider_id,"
                " error_code = :error_code, error_message = :error_message, updated_at = :now,"
                " sent_at = CASE WHEN :state = 'sent' THEN :now ELSE sent_at END WHERE id = :id",
                {
                    "state": state,
                    "provider_id": provider_id,
                    "error_code": error_code,
                    "error_message": error_message,
                    "now": stamp,
                    "id": delivery_id,
                },
            )
            if error_code in OPT_OUT_ERRORS:
                db.execute(
                    "INSERT INTO suppressions SELECT '*', recipient_key, :code, :now"
                    " FROM deliveries WHERE id = :id"
                    " ON CONFLICT (channel, recipient_key) DO NOTHING",
                    {"code": OPTED_OUT, "now": stamp, "id": delivery_id},
                )
            if error_code in SUPPRESSING_ERRORS:
                db.execute(
                    "INSERT INTO suppressions SELECT channel, recipient_key, :error_code, :now"
                    " FROM deliveries WHERE id = :id"
                    " ON CONFLICT (channel, recipient_key) DO NOTHING",
                    {"error_code": error_code, "now": stamp, "id": delivery_id},
                )

    def mark_suppressed(self, delivery_id: int, error_code: str) -> None:
        """Not sent: the recipient is suppressed on this channel (the code says why)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE deliveries SET state = 'suppressed', error_code = :error_code,"
                " updated_at = :now WHERE id = :id",
                {"error_code": error_code, "now": self._stamp(), "id": delivery_id},
            )

    def mark_uncertain(self, incident_id: str) -> int:
        """Deliveries left ``sending`` by a run that died (or by this one, stopping): maybe
        handed over, maybe not."""
        # On a shared ledger, a row another live host is sending is that host's, not left over.
        alive = f" AND (claimed_by = :run OR {self._dead_claim_sql()})" if self.shared else ""
        with self.transaction() as db:
            cursor = db.execute(
                # An error kept from an earlier attempt is not why it is uncertain now: cleared,
                # so what says why (status, the summary) says a run stopped while sending it.
                "UPDATE deliveries SET state = 'uncertain', updated_at = :now,"
                " error_code = NULL, error_message = NULL WHERE state = 'sending' AND version_id"
                f" IN (SELECT id FROM versions WHERE incident_id = :incident_id){alive}",
                {"now": self._stamp(), "incident_id": incident_id, "run": self.run},
            )
        return cursor.rowcount

    def reopen(self, version_id: int, states: tuple[str, ...], channels: list[str]) -> int:
        """Put deliveries in ``states`` back to pending so the next pass sends them."""
        marks, in_states = listed("state", states)
        chans, in_channels = listed("channel", channels)
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE deliveries SET state = 'pending', updated_at = :now WHERE version_id = :id"
                f" AND state IN ({marks}) AND channel IN ({chans})",
                {"now": self._stamp(), "id": version_id, **in_states, **in_channels},
            )
        return cursor.rowcount

    def counts(self, version_id: int, fallback_only: bool = False) -> dict[str, dict[str, int]]:
        """channel → state → count (of the fallback deliveries only, with ``fallback_only``)."""
        only = " AND fallback_from IS NOT NULL" if fallback_only else ""
        out: dict[str, dict[str, int]] = {}
        for row in self.db.execute(
            "SELECT channel, state, count(*) AS n FROM deliveries WHERE version_id = :id"
            f"{only} GROUP BY channel, state",
            {"id": version_id},
        ):
            out.setdefault(row["channel"], {})[row["state"]] = int(row["n"])
        return out

    def deliveries(
        self, version_id: int, channel: str | None = None, states: tuple[str, ...] = ()
    ) -> list[Delivery]:
        query = "SELECT * FROM deliveries WHERE version_id = :id"
        marks, binds = listed("state", states)
        if channel:
            query += " AND channel = :channel"
        if states:
            query += f" AND state IN ({marks})"
        args = {"id": version_id, "channel": channel, **binds}
        return [delivery_from(row) for row in self.db.execute(query + " ORDER BY id", args)]

    def state_of(self, version_id: int, channel: str, address: str) -> str | None:
        row = self.db.execute(
            "SELECT state FROM deliveries WHERE version_id = :id AND channel = :channel"
            " AND recipient_key = :key",
            {"id": version_id, "channel": channel, "key": self.recipient_key(address)},
        ).fetchone()
        return str(row["state"]) if row else None

    def opted_out(self) -> set[str]:
        """Recipient keys that opted out (a STOP, or a provider's opt-out code such as 21610),
        on every channel that honours opt-outs, until a START lifts it."""
        rows = self.db.execute(
            "SELECT recipient_key FROM suppressions WHERE channel = '*' AND error_code = :code",
            {"code": OPTED_OUT},
        )
        return {str(row["recipient_key"]) for row in rows}

    def last_provider_id(self, incident_id: str, channel: str, oldest: bool = False) -> str | None:
        """The newest provider id sent on ``channel`` for the incident (X: the thread's tail);
        with ``oldest``, the first one (Facebook: the post the updates comment on)."""
        order = "ASC" if oldest else "DESC"
        row = self.db.execute(
            "SELECT d.provider_id FROM deliveries d JOIN versions v ON v.id = d.version_id"
            " WHERE v.incident_id = :incident_id AND d.channel = :channel AND d.state = 'sent'"
            f" AND d.provider_id IS NOT NULL ORDER BY d.version_id {order}, d.id {order} LIMIT 1",
            {"incident_id": incident_id, "channel": channel},
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
            " WHERE v.incident_id = :incident_id"
            " GROUP BY d.version_id, d.channel, d.state, d.error_code, fallback"
            " ORDER BY d.version_id, d.channel, d.state, d.error_code, fallback",
            {"incident_id": incident_id},
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
