"""A run under two-person approval: what it hands out is the approved bytes.

The plan is rendered at the moment the approval's texts speak for (its anchor, or a reminder's
due moment in the chain the approver was shown), compared text by text with what was approved,
and the sender checked against the approver (see ``broadcast.delivery.approval``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from broadcast.delivery.approval import (
    approval_needed,
    candidates,
    changed_reason,
    check_sender,
    held_reason,
    mode_of,
    passed_promises,
    passed_reason,
    refusal,
)
from broadcast.delivery.decision import Decision
from broadcast.delivery.manifest import differences, drop_unapproved_unseen, reminder_moment
from broadcast.delivery.people import person
from broadcast.delivery.plan import Plan
from broadcast.delivery.recorded import recorded_plan
from broadcast.input.config import Config
from broadcast.input.incident import Incident
from broadcast.input.yamlfile import YamlDocument
from broadcast.ledger.sqlite import REMINDER, UPDATE, Ledger


@dataclass
class ApprovedPlan:
    """The plan a run sends, and the approval it goes out under (none when the plan has
    problems to show: nothing is sent)."""

    plan: Plan
    approval: Any = None
    # The sender's signature under that approval (approval.allowed_signers), kept with it.
    sender_signature: str | None = None
    # For a new version or a reminder: the moment its approved texts speak for.
    speaks_for: datetime | None = None


def under_approval(ledger: Ledger, config: Config, incident: Incident, decision: Decision) -> bool:
    """Whether what this run hands out must be approved texts: a new version or a
    reminder that channels.yaml asks approval for, or (the rest of) a version that went
    out under an approval."""
    if decision.action == "nothing":
        return False
    # The rest of a version already recorded passed this check when it was recorded.
    history = ledger if decision.action != "continue" else None
    if approval_needed(config, incident, history):
        return True
    version = decision.version
    return decision.action == "continue" and bool(version and version.approval_id)


def approved_plan(
    ledger: Ledger,
    config: Config,
    incident: Incident,
    document: YamlDocument,
    decision: Decision,
    now: datetime,
    who: str | None,
    environ: Mapping[str, str],
    signing_key: Path | None,
    incident_path: Path,
    render: Callable[[datetime, bool, datetime | None, frozenset[str] | None], Plan],
) -> ApprovedPlan:
    """The plan this run sends, rendered at the moment its approval's texts speak for and
    compared text by text with them; ``InputError`` (exit 2, nothing sent) when no
    approval covers every text, or the sender cannot send under it."""
    sender = person(who, environ)
    line = document.line_of(("id",))
    anchor, reminder_at, only = _approval_moments(ledger, incident, decision, now)
    found, reasons = candidates(
        ledger,
        incident.id,
        config,
        sender,
        mode_of(incident),
        incident_path,
        anchor=anchor,
        reminder_at=reminder_at,
        now=now,
        only=only,
        zone=incident.zone,
    )
    for candidate in found:
        moment = reminder_at or anchor or candidate.manifest.anchor
        # A version continued keeps its texts (fixed at its first attempt); a new one, or
        # a reminder, does not announce as to come a time that has passed.
        passed = passed_promises(incident, moment, now)
        if decision.action in ("new", "reminder") and passed:
            reasons.append(passed_reason(candidate, moment, passed, incident))
            continue
        plan = render(moment, decision.reminder, decision.previous_update_at, decision.occasions)
        if decision.action == "continue" and decision.version is not None:
            plan = recorded_plan(plan, ledger.recorded_texts(decision.version.id))
        if not plan.ok:
            return ApprovedPlan(plan)  # its problems are shown; nothing is sent
        section = candidate.section(reminder_at) or {}
        drop_unapproved_unseen(plan, section)
        changed = differences(plan, section)
        if changed:
            reasons.append(changed_reason(candidate, changed, incident.zone))
            continue
        signature = check_sender(
            candidate, config, incident.id, sender, signing_key, incident_path, line
        )
        speaks_for = moment if decision.action in ("new", "reminder") else None
        return ApprovedPlan(plan, candidate.approval, signature, speaks_for)
    held = held_reason(config, incident, ledger)
    if held is not None:
        reasons.insert(0, held)
    raise refusal(reasons, sender, incident_path, mode_of(incident), line)


def _approval_moments(
    ledger: Ledger, incident: Incident, decision: Decision, now: datetime
) -> tuple[datetime | None, datetime | None, int | None]:
    """The moments the approval looked for speaks for (its anchor, and a reminder's
    moment) and, for the rest of a recorded version, the one approval it went out under."""
    latest_update = ledger.latest_version(incident.id, UPDATE)
    anchor: datetime | None = None
    reminder_at: datetime | None = None
    only: int | None = None
    if decision.action == "reminder":
        assert latest_update is not None
        anchor = latest_update.created_at
        latest = ledger.latest_version(incident.id)
        due = reminder_moment(incident, anchor, now)
        # Its due moment in the chain the approval followed, not cron's hour: the texts
        # (updated at, next promise, an eta passed) are then the ones the approver saw.
        reminder_at = (
            due
            if due is not None and latest is not None and due > latest.created_at
            else decision.now
        )
    elif decision.action == "continue":
        version = decision.version
        assert version is not None and latest_update is not None
        only = version.approval_id
        if version.kind == REMINDER:
            anchor, reminder_at = latest_update.created_at, version.created_at
        else:
            anchor = version.created_at
    return anchor, reminder_at, only
