"""The status of ``broadcast status``: where the latest version stands, per channel."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from broadcast.ledger.sqlite import (
    DELIVERED,
    FAILED_PERMANENT,
    FAILED_TRANSIENT,
    SENT,
    STATES,
    UNCERTAIN,
    UNDELIVERED,
    Ledger,
    Version,
)

if TYPE_CHECKING:
    from broadcast.input.incident import Incident


def people_of(ledger: Ledger, version: Version, incident: Incident) -> dict[str, Any]:
    """Who sent the version and who approved it (and when, and whether each signed), as the
    ledger keeps them. ``sent_at`` is when it was handed out; ``texts_at`` the moment its
    texts speak for (under an approval, the approval's: earlier than the send)."""
    approval = ledger.approval(version.approval_id) if version.approval_id else None
    return {
        "sent_by": version.sent_by,
        "sent_at": version.went_out_at.astimezone(incident.zone).isoformat(),
        "sender_signed": version.sender_signature is not None,
        "texts_at": version.created_at.astimezone(incident.zone).isoformat(),
        # Later runs that sent the rest of it (--channel, a re-run, retry).
        "continued_by": [
            {
                "by": c.sent_by,
                "at": c.sent_at.astimezone(incident.zone).isoformat(),
                "signed": c.sender_signature is not None,
            }
            for c in ledger.continuations(version.id)
        ],
        "approved_by": approval.approved_by if approval else None,
        "approved_at": approval.approved_at.astimezone(incident.zone).isoformat()
        if approval
        else None,
        "approval_signed": bool(approval and approval.signature),
        # Sent despite wording errors (--accept-wording): why, who, when, and which findings.
        "wording_accepted": [
            {
                **override.to_json(),
                "accepted_at": override.accepted_at.astimezone(incident.zone).isoformat(),
            }
            for override in ledger.wording_overrides(incident.id, version.id)
        ],
    }


@dataclass
class _LatestDeliveries:
    """What became of the latest version's deliveries, per channel: a count per state, the
    failures by reason, the undelivered by code, the receipts awaited, and the fallbacks."""

    channels: dict[str, dict[str, int]] = field(default_factory=dict)
    failures: dict[str, Counter[str]] = field(default_factory=dict)
    undelivered: dict[str, Counter[str]] = field(default_factory=dict)
    waiting: dict[str, int] = field(default_factory=dict)
    fallbacks: dict[str, dict[str, int]] = field(default_factory=dict)


def incident_status(
    ledger: Ledger,
    incident: Incident,
    now: datetime,
    receipt_channels: list[str] | None = None,
) -> dict[str, Any]:
    """The status of ``broadcast status``: one document, the same for the terminal and JSON.

    ``receipt_channels``: the channels whose ``sent`` deliveries wait for a receipt (SMS).
    """
    versions = ledger.versions(incident.id)
    latest = versions[-1] if versions else None
    receipts = set(receipt_channels) if receipt_channels is not None else set()
    latest_deliveries = _latest_deliveries(ledger, latest, receipts)
    promised = latest.next_update_at if latest else None
    overdue = promised is not None and not incident.ended and now > promised
    return {
        "incident": incident.id,
        "status": incident.status,
        **_hosts(ledger, incident, now),
        "versions": _version_entries(ledger, versions, incident),
        "exercise": incident.exercise,
        "latest": latest.id if latest else None,
        "channels": latest_deliveries.channels,
        "failures": {channel: dict(c) for channel, c in latest_deliveries.failures.items()},
        "undelivered_by_code": {
            channel: dict(c) for channel, c in latest_deliveries.undelivered.items()
        },
        "waiting_for_receipt": latest_deliveries.waiting,
        # Per fallback channel: deliveries standing in for another channel's failures.
        "fallbacks": latest_deliveries.fallbacks,
        "next_update_at": promised.astimezone(incident.zone).isoformat() if promised else None,
        "timezone": incident.timezone,
        "overdue": overdue,
        "overdue_by_minutes": int((now - promised).total_seconds() // 60)
        if overdue and promised
        else 0,
    }


def _hosts(ledger: Ledger, incident: Incident, now: datetime) -> dict[str, Any]:
    """``held_by`` and ``primary``: on a shared ledger, the hosts that speak for the incident."""
    # A shared ledger: the host whose live run holds the incident (sending, or about to).
    held = ledger.holder(incident.id) if ledger.shared else None
    # The host whose cron runs speak for the incident; a standby waits until its lease ends.
    primary = ledger.primary(incident.id, now) if ledger.shared else None
    return {
        "held_by": {"host": held[0], "lease_seconds_left": round(held[1], 1)} if held else None,
        "primary": {
            "host": primary[0],
            "lease_ends_at": primary[1].astimezone(incident.zone).isoformat(timespec="seconds"),
        }
        if primary
        else None,
    }


def _version_entries(
    ledger: Ledger, versions: list[Version], incident: Incident
) -> list[dict[str, Any]]:
    """Each version: what it said, when, whether complete, and who sent and approved it."""
    return [
        {
            # Numbered within the incident from 1, as the report numbers them ("n°2");
            # ``id`` is the ledger's, shared by every incident.
            "number": number,
            "id": v.id,
            "kind": v.kind,
            "status": v.status,
            "created_at": v.created_at.astimezone(incident.zone).isoformat(),
            "next_update_at": v.next_update_at.astimezone(incident.zone).isoformat()
            if v.next_update_at
            else None,
            "channels": list(v.channels),
            "complete": v.completed_at is not None,
            "run_by": v.run_by,
            **people_of(ledger, v, incident),
        }
        for number, v in enumerate(versions, start=1)
    ]


def _latest_deliveries(
    ledger: Ledger, latest: Version | None, receipts: set[str]
) -> _LatestDeliveries:
    """The latest version's deliveries counted per channel (empty before any version)."""
    found = _LatestDeliveries()
    if latest is None:
        return found
    for channel, counts in ledger.counts(latest.id).items():
        found.channels[channel] = {state: counts.get(state, 0) for state in STATES}
        if channel in receipts:
            # Sent on a channel with receipts: the provider took it, its receipt is due.
            found.waiting[channel] = counts.get(SENT, 0)
    for channel, counts in ledger.fallback_counts(latest.id).items():
        # Handed over (sent) or known reached (delivered, an answered call).
        reached = sum(counts.get(s, 0) for s in (SENT, DELIVERED))
        found.fallbacks[channel] = {"handed_over": sum(counts.values()), "reached": reached}
        found.channels.setdefault(channel, {state: 0 for state in STATES})["fallback"] = reached
    for delivery in ledger.deliveries(
        latest.id, states=(FAILED_TRANSIENT, FAILED_PERMANENT, UNCERTAIN, UNDELIVERED)
    ):
        if delivery.state == UNDELIVERED:
            code = delivery.error_code or "error"
            found.undelivered.setdefault(delivery.channel, Counter())[code] += 1
            continue
        reason = UNCERTAIN if delivery.state == UNCERTAIN else delivery.error_code or "error"
        found.failures.setdefault(delivery.channel, Counter())[reason] += 1
    return found
