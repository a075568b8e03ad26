"""The post-incident evaluation of ``broadcast report``, from the ledger.

How soon the first message went out on each channel, every update and reminder, whether each
promised next update was kept, and what was delivered per channel and reason: one JSON-ready
document that ``broadcast.report.tables`` turns into the words every format shows.

Importing this module stays cheap (no pydantic, no babel): the terminal view depends on it."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from broadcast.ledger.sqlite import (
    DELIVERED,
    FAILED_PERMANENT,
    FAILED_TRANSIENT,
    HANDED_OVER,
    OPTED_OUT,
    REMINDER,
    SENT,
    SUPERSEDED,
    SUPPRESSED,
    UNANSWERED,
    UNCERTAIN,
    UNDELIVERED,
    Ledger,
    Version,
)
from broadcast.report.replies import replies_summary
from broadcast.report.status import people_of

if TYPE_CHECKING:
    from broadcast.input.incident import Incident

# -- the post-incident evaluation ------------------------------------------------------------

KEPT = "kept"
LATE = "late"
PENDING_PROMISE = "pending"
OVERDUE = "overdue"
NO_PROMISE = "none"
# The statuses that promise nothing more (as broadcast.input.incident.CLOSED, which would
# bring pydantic into the report's import).
CLOSED = ("resolved", "cancelled")
# The part under which a version's facts are recorded (broadcast.delivery.sending.FACTS_PART).
_FACTS_PART = "_facts"


# A moment as the report writes it: ISO 8601 in the incident's timezone, None kept None.
Stamp = Callable[[datetime | None], str | None]


@dataclass
class _Batches:
    """What the ledger's delivery groups say per version and channel: the counts, when the
    first message was handed to the provider, when the first attempt was made at all, and per
    version when its last message was handed over."""

    channels: list[str]
    counts: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    first_sent: dict[tuple[int, str], datetime] = field(default_factory=dict)
    first_seen: dict[tuple[int, str], datetime] = field(default_factory=dict)
    last_sent: dict[int, datetime] = field(default_factory=dict)

    @classmethod
    def of(cls, groups: list[dict[str, Any]], channels: list[str]) -> _Batches:
        batches = cls(channels)
        for group in groups:
            key = (group["version_id"], group["channel"])
            _count(batches.counts.setdefault(key, _empty_counts()), group)
            seen = batches.first_seen.get(key, group["first_at"])
            batches.first_seen[key] = min(seen, group["first_at"])
            if group["state"] in HANDED_OVER:
                sent = batches.first_sent.get(key, group["first_at"])
                batches.first_sent[key] = min(sent, group["first_at"])
        for group in groups:
            if group["state"] in HANDED_OVER:
                vid = group["version_id"]
                last = batches.last_sent.get(vid, group["last_at"])
                batches.last_sent[vid] = max(last, group["last_at"])
        return batches

    def went_out(self, version: Version) -> datetime | None:
        """When the first message of the version was handed over, on any channel."""
        times = [
            self.first_sent[(version.id, c)]
            for c in self.channels
            if (version.id, c) in self.first_sent
        ]
        return min(times) if times else None


def post_incident_report(ledger: Ledger, incident: Incident, now: datetime) -> dict[str, Any]:
    """The evaluation of ``broadcast report``: one JSON-ready document for every format.

    Times are ISO 8601 in the incident's timezone, durations are whole seconds. A message
    "went out" when the provider took it: the first ``sent`` delivery's ``updated_at``. A
    promise (``next_update_at``) is answered by the next version, when that one went out (when
    it was handed out if nothing of it was sent); the last one is ``pending`` or ``overdue`` at
    ``now``.
    """
    zone = incident.zone

    def stamp(moment: datetime | None) -> str | None:
        return moment.astimezone(zone).isoformat(timespec="seconds") if moment else None

    versions = ledger.versions(incident.id)
    groups = ledger.delivery_groups(incident.id)
    channels = _channel_order(versions, groups)
    batches = _Batches.of(groups, channels)
    numbers = {version.id: number for number, version in enumerate(versions, start=1)}
    speed = _speed(incident, channels, batches, numbers, stamp)
    promises = _promises(versions, batches, now, stamp)
    ended_status, ended_at, end_published_at = _end(ledger, versions, batches)
    last = versions[-1] if versions else None
    reminders = sum(version.kind == REMINDER for version in versions)
    return {
        "incident": incident.id,
        "title": incident.title,
        "headline": incident.headline,
        "status": incident.status,
        "severity": incident.severity,
        "locale": incident.locale,
        "timezone": incident.timezone,
        "started_at": stamp(incident.started_at),
        # Resolved or cancelled, and when (as its messages said), then when that went out.
        "ended_status": ended_status,
        "ended_at": stamp(ended_at),
        "end_published_at": stamp(end_published_at),
        "resolved_at": stamp(ended_at) if ended_status == "resolved" else None,
        "duration_seconds": _seconds(ended_at - incident.started_at) if ended_at else None,
        "generated_at": stamp(now),
        "channels": channels,
        "speed": {"first_message": _first_message(speed), "channels": speed},
        "versions": _version_docs(ledger, incident, versions, batches, stamp),
        "promises": promises,
        "promises_summary": _promises_summary(promises),
        "delivery": _delivery(groups, versions, batches),
        "reach": _reach(ledger, incident.id, last),
        "exercise": incident.exercise,
        "correction": _correction(versions, groups, batches, numbers, stamp),
        # What people sent back (broadcast serve).
        "replies": replies_summary(ledger, incident.id),
        "reminders": {
            "count": reminders,
            "versions": len(versions),
            "share": round(reminders / len(versions), 4) if versions else 0.0,
        },
    }


def _version_docs(
    ledger: Ledger, incident: Incident, versions: list[Version], batches: _Batches, stamp: Stamp
) -> list[dict[str, Any]]:
    """Each version numbered from 1: what it said, when it went out, who sent it, and what
    became of its messages per channel."""
    docs = []
    for number, version in enumerate(versions, start=1):
        delivery = {}
        for channel in batches.channels:
            key = (version.id, channel)
            if key in batches.counts:
                at = batches.first_sent.get(key) or batches.first_seen[key]
                delivery[channel] = {"at": stamp(at), **_sorted_reasons(batches.counts[key])}
        docs.append(
            {
                "number": number,
                "id": version.id,
                "kind": version.kind,
                "status": version.status,
                "created_at": stamp(version.created_at),
                "next_update_at": stamp(version.next_update_at),
                "channels": list(version.channels),
                "went_out_at": stamp(batches.went_out(version)),
                "complete": version.completed_at is not None,
                "delivery": delivery,
                **people_of(ledger, version, incident),
            }
        )
    return docs


def _speed(
    incident: Incident,
    channels: list[str],
    batches: _Batches,
    numbers: dict[int, int],
    stamp: Stamp,
) -> dict[str, dict[str, Any]]:
    """Per channel: when its first message went out, how long after the incident began, and
    the number of the version it belonged to."""
    speed: dict[str, dict[str, Any]] = {}
    for channel in channels:
        sent = [(at, vid) for (vid, c), at in batches.first_sent.items() if c == channel]
        first, vid = min(sent) if sent else (None, None)
        speed[channel] = {
            "first_sent_at": stamp(first),
            "after_seconds": _seconds(first - incident.started_at) if first else None,
            "version": numbers[vid] if vid is not None else None,
        }
    return speed


def _first_message(speed: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The channel whose first message went out first, with its speed; None before any."""
    reached = [(doc["first_sent_at"], channel) for channel, doc in speed.items() if doc["version"]]
    if not reached:
        return None
    _, first_channel = min(reached, key=lambda item: datetime.fromisoformat(item[0]))
    return {"channel": first_channel, **speed[first_channel]}


def _promises(
    versions: list[Version], batches: _Batches, now: datetime, stamp: Stamp
) -> list[dict[str, Any]]:
    """Each version's promised next update: kept or late by the version after it, the last
    one pending or overdue at ``now``; none for a version that ended the incident."""
    promises = []
    for index, version in enumerate(versions):
        promise: dict[str, Any] = {
            "version": index + 1,
            "status": version.status,
            "made_at": stamp(version.created_at),
            "promised_at": stamp(version.next_update_at),
            "answered_by": None,
            "answered_at": None,
            "late_by_seconds": None,
        }
        if version.status in CLOSED or version.next_update_at is None:
            promise["outcome"] = NO_PROMISE
        elif index + 1 < len(versions):
            following = versions[index + 1]
            answered = batches.went_out(following) or following.went_out_at
            late = _seconds(answered - version.next_update_at)
            promise.update(
                outcome=KEPT if late <= 0 else LATE,
                answered_by=index + 2,
                answered_at=stamp(answered),
                late_by_seconds=max(late, 0),
            )
        else:
            late = _seconds(now - version.next_update_at)
            promise.update(
                outcome=PENDING_PROMISE if late <= 0 else OVERDUE,
                late_by_seconds=max(late, 0),
            )
        promises.append(promise)
    return promises


def _promises_summary(promises: list[dict[str, Any]]) -> dict[str, Any]:
    """How many promises were made, how many of each outcome, and the worst lateness."""
    outcomes = Counter(p["outcome"] for p in promises)
    lateness = [p["late_by_seconds"] for p in promises if p["outcome"] == LATE]
    return {
        "made": len(promises) - outcomes[NO_PROMISE],
        KEPT: outcomes[KEPT],
        LATE: outcomes[LATE],
        PENDING_PROMISE: outcomes[PENDING_PROMISE],
        OVERDUE: outcomes[OVERDUE],
        "worst_late_seconds": max(lateness, default=0),
    }


def _delivery(
    groups: list[dict[str, Any]], versions: list[Version], batches: _Batches
) -> dict[str, Any]:
    """What was delivered per channel and reason, over all versions and for the last one."""
    all_versions = {channel: _empty_counts() for channel in batches.channels}
    for group in groups:
        _count(all_versions[group["channel"]], group)
    last = versions[-1] if versions else None
    last_version = {
        channel: _sorted_reasons(batches.counts.get((last.id, channel), _empty_counts()))
        for channel in batches.channels
        if last is not None and (channel in last.channels or (last.id, channel) in batches.counts)
    }
    return {
        "all_versions": {c: _sorted_reasons(n) for c, n in all_versions.items()},
        "last_version": last_version,
        "last_version_number": len(versions) or None,
    }


def _end(
    ledger: Ledger, versions: list[Version], batches: _Batches
) -> tuple[str | None, datetime | None, datetime | None]:
    """How the incident ended (resolved or cancelled, or None while open), when, and when the
    first message saying so went out.

    The end is the time its messages said (``ended_at``, recorded with the version that first
    said it), never when that version went out, which is reported beside it as such."""
    ended_status = versions[-1].status if versions and versions[-1].status in CLOSED else None
    if ended_status is None:
        return None, None, None
    first_closed = len(versions) - 1
    while first_closed > 0 and versions[first_closed - 1].status == ended_status:
        first_closed -= 1
    final = versions[first_closed]
    end_published_at = batches.went_out(final) or final.went_out_at
    ended_at = _recorded_end(ledger, final) or final.created_at
    return ended_status, ended_at, end_published_at


def _correction(
    versions: list[Version],
    groups: list[dict[str, Any]],
    batches: _Batches,
    numbers: dict[int, int],
    stamp: Stamp,
) -> dict[str, Any] | None:
    """For a cancelled incident: from the wrong message reaching people to the correction
    reaching them (first and last), and how many it reached; None otherwise."""
    cancelled = next((v for v in versions if v.status == "cancelled"), None)
    if cancelled is None:
        return None
    wrong = [batches.went_out(v) for v in versions if v.id < cancelled.id]
    wrong_at = min((at for at in wrong if at is not None), default=None)
    first_at, last_at = batches.went_out(cancelled), batches.last_sent.get(cancelled.id)
    return {
        "version": numbers[cancelled.id],
        "wrong_message_at": stamp(wrong_at),
        "correction_first_at": stamp(first_at),
        "correction_last_at": stamp(last_at),
        "to_first_seconds": _seconds(first_at - wrong_at) if first_at and wrong_at else None,
        "to_last_seconds": _seconds(last_at - wrong_at) if last_at and wrong_at else None,
        "reached": sum(
            g["count"]
            for g in groups
            if g["version_id"] == cancelled.id and g["state"] in HANDED_OVER
        ),
    }


def _recorded_end(ledger: Ledger, version: Version) -> datetime | None:
    """The ``ended_at`` recorded with the version's facts (``delivery.sending.FACTS_PART``,
    named here so the report does not import the sending machinery); None for a version
    recorded before ends were kept."""
    for locales in ledger.recorded_texts(version.id).values():
        for parts in locales.values():
            try:
                ended = json.loads(parts.get(_FACTS_PART) or "{}").get("ended_at")
                if ended:
                    return datetime.fromisoformat(ended)
            except (ValueError, AttributeError, TypeError):
                continue
    return None


def _reach(ledger: Ledger, incident_id: str, last: Version | None) -> dict[str, Any]:
    """Per channel with delivery receipts, for the last version: how many of those sent were
    reached (delivered), and how long after the first attempt 50 % and 90 % of them were.

    Times are the provider's (the receipt's ``date_updated``) or when we read the receipt,
    against when the attempts began: both real UTC times, whatever clock the run was on.
    """
    if last is None:
        return {}
    rows = [r for r in ledger.receipt_times(incident_id) if r["version_id"] == last.id]
    out: dict[str, Any] = {}
    for channel in dict.fromkeys(r["channel"] for r in rows):
        mine = [r for r in rows if r["channel"] == channel]
        if not any(r["state"] != HANDED_OVER[0] or r["receipt_at"] for r in mine):
            continue  # a channel without receipts (X, e-mail): sent is all it says
        sent = len(mine)
        reached = sorted(r["receipt_at"] for r in mine if r["state"] == DELIVERED)
        starts = [r["started_at"] for r in mine if r["started_at"] is not None]
        begin = min(starts) if starts else None
        out[channel] = {
            "sent": sent,
            "delivered": len(reached),
            "undelivered": sum(r["state"] == UNDELIVERED for r in mine),
            "waiting": sum(r["state"] == HANDED_OVER[0] for r in mine),
            "reached_percent": round(100 * len(reached) / sent, 1) if sent else 0.0,
            "to_50_percent_seconds": _time_to(0.5, sent, reached, begin),
            "to_90_percent_seconds": _time_to(0.9, sent, reached, begin),
        }
    return out


def _time_to(
    share: float, sent: int, reached: list[datetime], begin: datetime | None
) -> int | None:
    """Seconds from ``begin`` until ``share`` of ``sent`` were reached; None if never."""
    needed = math.ceil(share * sent)
    if begin is None or needed == 0 or len(reached) < needed:
        return None
    return max(0, _seconds(reached[needed - 1] - begin))


def _channel_order(versions: list[Version], groups: list[dict[str, Any]]) -> list[str]:
    """Channels in the order they were first used: the order of channels.yaml."""
    order: dict[str, None] = {}
    for version in versions:
        order.update(dict.fromkeys(version.channels))
    order.update(dict.fromkeys(group["channel"] for group in groups))
    return list(order)


def _empty_counts() -> dict[str, Any]:
    return {
        "total": 0,
        "sent": 0,
        "failed": 0,
        "failed_transient": 0,
        "failed_permanent": 0,
        "failed_by_reason": {},
        "opted_out": 0,
        "uncertain": 0,
        "pending": 0,
        # Never handed out: a newer version took over before their turn.
        "superseded": 0,
        # Of ``sent``: known reached (an SMS delivered, a call answered).
        "delivered": 0,
        # Taken by the provider, then its receipt said not delivered (also in ``failed``, under
        # the provider's error code).
        "undelivered": 0,
        # Calls that rang out or were busy (also counted in ``failed``).
        "unanswered": 0,
        # Not sent: invalid or not a mobile on an earlier send (also in ``failed``, under the
        # code that suppressed them).
        "suppressed": 0,
        # Of ``sent``: reached through a fallback channel, standing in for another's failure.
        "fallback": 0,
    }


def _count(counts: dict[str, Any], group: dict[str, Any]) -> None:
    state, n = group["state"], group["count"]
    counts["total"] += n
    if state in (SENT, DELIVERED):
        counts["sent"] += n
        counts["delivered"] += n if state == DELIVERED else 0
        counts["fallback"] += n if group.get("fallback") else 0
    elif group["error_code"] == OPTED_OUT:  # not attempted: they had asked for no more
        counts["opted_out"] += n
    elif state in (FAILED_TRANSIENT, FAILED_PERMANENT, UNDELIVERED, UNANSWERED, SUPPRESSED):
        # Suppressed: not reached for the lasting reason an earlier send learnt (its code).
        counts["suppressed"] += n if state == SUPPRESSED else 0
        counts["unanswered"] += n if state == UNANSWERED else 0
        counts["undelivered"] += n if state == UNDELIVERED else 0
        counts["failed"] += n
        if state != UNANSWERED:
            counts["failed_transient" if state == FAILED_TRANSIENT else "failed_permanent"] += n
        reason = group["error_code"] or state
        counts["failed_by_reason"][reason] = counts["failed_by_reason"].get(reason, 0) + n
    elif state == UNCERTAIN:
        counts["uncertain"] += n
    elif state == SUPERSEDED:
        counts["superseded"] += n
    else:
        # ``sending`` as well: a report taken while a run is delivering sees those in flight.
        counts["pending"] += n


def _sorted_reasons(counts: dict[str, Any]) -> dict[str, Any]:
    reasons = sorted(counts["failed_by_reason"].items(), key=lambda item: (-item[1], item[0]))
    return {**counts, "failed_by_reason": dict(reasons)}


def _seconds(delta: timedelta) -> int:
    return math.floor(delta.total_seconds())
