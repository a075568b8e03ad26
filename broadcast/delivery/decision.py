"""What a run has to say: a new version, the rest of one, a reminder, or nothing.

A version is known by the hash of its incident file's content (``content_hash``): a re-run
with an unchanged file has nothing new to say, and an upgrade that adds fields to the
incident keeps the hashes of files that do not use them (``LATER_FIELDS``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from broadcast.input.config import Config, occasions_of
from broadcast.input.incident import CLOSED, Incident
from broadcast.ledger.sqlite import REMINDER, UPDATE, Ledger, Version

Action = Literal["new", "continue", "reminder", "nothing"]
# Incident fields added after ledgers existed, and their defaults: CAP's area and overrides,
# the correction and the exercise flag.
LATER_FIELDS: dict[str, Any] = {
    "area": None,
    "cap": None,
    "correction": None,
    "exercise": False,
    "hazard": [],
    "reply": None,
}
# The same within ``area`` (targeting by area, issue 28).
LATER_AREA_FIELDS: dict[str, Any] = {"postcodes": [], "unlocated": None, "left_area": None}


@dataclass(frozen=True)
class Decision:
    """What this run has to say, and the moment its texts are rendered for."""

    action: Action
    now: datetime
    reason: str
    version: Version | None = None  # the version to continue
    previous_update_at: datetime | None = None
    note: str = ""  # something the person running it must know (the file changed since...)
    # What the version said is, for the channels' send_on: new, update, reminder, resolved...
    occasions: frozenset[str] = frozenset()

    @property
    def reminder(self) -> bool:
        return self.action == "reminder" or (
            self.action == "continue" and self.version is not None and self.version.kind == REMINDER
        )


def content_hash(incident: Incident) -> str:
    """Same file content, same hash: how a re-run knows it has nothing new to say."""
    data = incident.model_dump(mode="json")
    # Fields added since ledgers were first written count only when given: an unchanged file
    # keeps its hash across an upgrade, so it is not sent again as a new version.
    for later, default in LATER_FIELDS.items():
        if data.get(later, default) == default:
            data.pop(later, None)
    if isinstance(data.get("area"), dict):
        for later, default in LATER_AREA_FIELDS.items():
            if data["area"].get(later, default) == default:
                data["area"].pop(later, None)
    for translation in (data.get("translations") or {}).values():
        # A translation's area words (issue 28) count only when given, as above.
        if isinstance(translation, dict) and translation.get("area") is None:
            translation.pop("area", None)
        # Its auto-answer to replies (issue 27), the same.
        if isinstance(translation, dict) and translation.get("reply") is None:
            translation.pop("reply", None)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def decide(
    ledger: Ledger,
    incident: Incident,
    channels: Sequence[str],
    now: datetime,
    retrying: bool = False,
    config: Config | None = None,
) -> Decision:
    """What this run has to say. With ``config``, a channel whose ``send_on`` or
    ``min_severity`` leaves the latest version out is not missing from it."""
    digest = content_hash(incident)
    latest = ledger.latest_version(incident.id)
    latest_update = ledger.latest_version(incident.id, UPDATE)
    if retrying:
        decision = _retry_decision(
            latest, latest_update, digest, now, incident, len(ledger.versions(incident.id))
        )
        return replace(decision, occasions=version_occasions(ledger, decision.version))
    if latest is None or latest_update is None:
        return Decision(
            "new",
            now,
            "first message about this incident",
            occasions=occasions_of(UPDATE, True, incident.status),
        )
    if latest_update.content_hash != digest:
        return Decision(
            "new",
            now,
            "the incident file changed since the last update",
            occasions=occasions_of(UPDATE, False, incident.status),
        )
    latest_occasions = version_occasions(ledger, latest)
    if latest.completed_at is None:
        return Decision(
            "continue",
            latest.created_at,
            f"the {latest.kind} of {incident.local_time(latest.created_at)} did not finish; "
            "continuing it",
            latest,
            latest_update.created_at,
            occasions=latest_occasions,
        )
    missing = _missing(latest, latest_occasions, channels, incident, config)
    if missing:
        return Decision(
            "continue",
            latest.created_at,
            f"the same {latest.kind} goes to {', '.join(missing)} too",
            latest,
            latest_update.created_at,
            occasions=latest_occasions,
        )
    due = latest.next_update_at
    if incident.status not in CLOSED and due is not None and now >= due:
        return Decision(
            "reminder",
            now,
            f"nothing new, and the next update was promised for {incident.local_time(due)}",
            previous_update_at=latest_update.created_at,
            occasions=occasions_of(REMINDER, False, incident.status),
        )
    when = f"; the next update is due at {incident.local_time(due)}" if due else ""
    return Decision(
        "nothing",
        now,
        f"nothing new since the {latest.kind} of {incident.local_time(latest.created_at)}{when}",
        latest,
        occasions=latest_occasions,
    )


def _missing(
    latest: Version,
    occasions: frozenset[str],
    channels: Sequence[str],
    incident: Incident,
    config: Config | None,
) -> list[str]:
    """Of ``channels``, those ``latest`` has not gone to and whose send_on takes it."""
    return [
        c
        for c in channels
        if c not in latest.channels
        and not (
            config is not None
            and c in config.channels
            and config.channels[c].skip_reason(occasions, incident.severity)
        )
    ]


def channels_left(ledger: Ledger, incident: Incident, config: Config) -> list[str]:
    """The channels the incident's latest version has not gone to, and that the next run
    without ``--channel`` (a cron ``tick``) sends it to: after ``send --channel sms``, every
    other channel. A fallback-only channel (it reaches nobody by itself) is not one."""
    latest = ledger.latest_version(incident.id)
    if latest is None:
        return []
    channels = [c for c in config.channels if not config.fallback_only(c)]
    return _missing(latest, version_occasions(ledger, latest), channels, incident, config)


def version_occasions(ledger: Ledger, version: Version | None) -> frozenset[str]:
    """What a recorded version was (new, update, reminder, resolved...), for ``send_on``."""
    if version is None:
        return frozenset()
    first = next((v for v in ledger.versions(version.incident_id) if v.kind == UPDATE), None)
    return occasions_of(version.kind, first is not None and first.id == version.id, version.status)


def _retry_decision(
    latest: Version | None,
    latest_update: Version | None,
    digest: str,
    now: datetime,
    incident: Incident,
    number: int,
) -> Decision:
    """``retry`` finishes the latest version as recorded, whatever the file says now.

    The version is named by its ``number`` within the incident (as ``status`` and ``report``
    number them), its time in the incident's zone."""
    if latest is None or latest_update is None:
        return Decision(
            "nothing", now, "nothing was sent about this incident yet: nothing to retry"
        )
    note = (
        f"the file has changed since version {number}; retry re-sends version {number} "
        "as recorded; run send to publish the change"
        if latest.content_hash != digest
        else ""
    )
    if latest.completed_at is None:
        return Decision(
            "continue",
            latest.created_at,
            f"retrying the {latest.kind} of {incident.local_time(latest.created_at)} "
            f"(version {number})",
            latest,
            latest_update.created_at,
            note,
        )
    return Decision(
        "nothing",
        now,
        f"nothing to retry in the {latest.kind} of {incident.local_time(latest.created_at)}",
        latest,
        note=note,
    )
