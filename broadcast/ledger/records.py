"""What the ledger keeps, as Python sees it: the states of a delivery, and the records read
back (a version, an approval, a delivery, a contact), each built from its row by name.

Standard library only, as every caller of the ledger imports these names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED_TRANSIENT = "failed-transient"
FAILED_PERMANENT = "failed-permanent"
UNCERTAIN = "uncertain"
SUPERSEDED = "superseded"
# What the provider said once it knew: reached (an SMS delivered, a call answered), or not.
DELIVERED = "delivered"
UNDELIVERED = "undelivered"
# A call that rang out or was busy: placed again on later runs (see delivery.fallback).
UNANSWERED = "unanswered"
# Not sent: the recipient opted out, or the number cannot take this channel (suppressions).
SUPPRESSED = "suppressed"
STATES = (
    PENDING,
    SENDING,
    SENT,
    DELIVERED,
    UNDELIVERED,
    UNANSWERED,
    FAILED_TRANSIENT,
    FAILED_PERMANENT,
    UNCERTAIN,
    SUPERSEDED,
    SUPPRESSED,
)
# The provider took these: sent, and what its receipt said since (an unanswered call too).
HANDED_OVER = (SENT, DELIVERED, UNDELIVERED, UNANSWERED)
# The same, as an SQL list of literals (both engines take it).
HANDED_OVER_SQL = ", ".join(f"'{state}'" for state in HANDED_OVER)

UPDATE = "update"
REMINDER = "reminder"
# The error code of a delivery not attempted because the recipient opted out in an earlier one.
OPTED_OUT = "opted-out"


def now_text(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Version:
    id: int
    incident_id: str
    content_hash: str
    kind: str
    status: str
    created_at: datetime
    next_update_at: datetime | None
    run_by: str
    channels: tuple[str, ...]
    completed_at: datetime | None = None
    source_path: str | None = None  # the incident file it was sent from (absolute)
    superseded_by: int | None = None
    approval_id: int | None = None  # the approval it went out under, if one was needed
    sent_by: str | None = None  # the person who sent it (``--as``, BROADCAST_USER, login)
    exercise: bool = False
    # When the run handed it to the providers (its clock); ``created_at`` is the moment its
    # texts speak for, which under an approval is the approval's, earlier. None: an older row.
    sent_at: datetime | None = None
    # The sender's SSH signature (approval.allowed_signers), None when the send was unsigned.
    sender_signature: str | None = None

    @property
    def went_out_at(self) -> datetime:
        """When it was handed out: ``sent_at``, or for an older row its ``created_at``."""
        return self.sent_at or self.created_at


@dataclass(frozen=True)
class Continuation:
    """A later run that sent (the rest of) a version: who, when, and their signature."""

    sent_by: str
    sent_at: datetime
    sender_signature: str | None = None


@dataclass(frozen=True)
class Approval:
    """A person's approval of every text a version carries (their hash, rendered then)."""

    id: int
    incident_id: str
    texts_hash: str
    rendered_at: datetime
    approved_by: str
    approved_at: datetime
    signature: str | None = None


@dataclass(frozen=True)
class Contact:
    """An earlier recipient, as the sealed copy of their address gives them back."""

    address: str
    name: str
    locale: str | None
    line: int | None


@dataclass(frozen=True)
class Delivery:
    id: int
    channel: str
    recipient_hint: str
    line: int | None
    state: str
    provider_id: str | None
    error_code: str | None
    error_message: str | None
    attempts: int
    recipient_key: str = ""
    fallback_from: int | None = None
    sent_at: datetime | None = None
    unanswered: int = 0


def version_from(row: Any) -> Version:
    return Version(
        id=int(row["id"]),
        incident_id=row["incident_id"],
        content_hash=row["content_hash"],
        kind=row["kind"],
        status=row["status"],
        created_at=datetime.fromisoformat(row["created_at"]),
        next_update_at=datetime.fromisoformat(row["next_update_at"])
        if row["next_update_at"]
        else None,
        run_by=row["run_by"],
        channels=tuple(json.loads(row["channels"])),
        completed_at=datetime.fromisoformat(row["completed_at"]) if row["completed_at"] else None,
        source_path=row["source_path"],
        superseded_by=row["superseded_by"],
        approval_id=row["approval_id"],
        sent_by=row["sent_by"],
        exercise=bool(row["exercise"]),
        sent_at=datetime.fromisoformat(row["sent_at"]) if row["sent_at"] else None,
        sender_signature=row["sender_signature"],
    )


def approval_from(row: Any) -> Approval:
    return Approval(
        id=int(row["id"]),
        incident_id=row["incident_id"],
        texts_hash=row["texts_hash"],
        rendered_at=datetime.fromisoformat(row["rendered_at"]),
        approved_by=row["approved_by"],
        approved_at=datetime.fromisoformat(row["approved_at"]),
        signature=row["signature"],
    )


def delivery_from(row: Any) -> Delivery:
    return Delivery(
        id=int(row["id"]),
        channel=row["channel"],
        recipient_hint=row["recipient_hint"],
        line=row["line"],
        state=row["state"],
        provider_id=row["provider_id"],
        error_code=row["error_code"],
        error_message=row["error_message"],
        attempts=int(row["attempts"]),
        recipient_key=row["recipient_key"],
        fallback_from=row["fallback_from"],
        sent_at=datetime.fromisoformat(row["sent_at"]) if row["sent_at"] else None,
        unanswered=int(row["unanswered"]),
    )
