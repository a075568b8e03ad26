"""Everything ``broadcast approve`` covers, rendered as it will be sent: the version's texts
and the reminders that keep its promise (``approval.REMINDER_HORIZON``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from broadcast.channels import channel_model
from broadcast.delivery.approval import mode_of
from broadcast.delivery.decision import content_hash
from broadcast.delivery.dry_run import load_inputs
from broadcast.delivery.manifest import (
    MAX_REMINDERS,
    REMINDER_HORIZON,
    Manifest,
    build_manifest,
    reminder_chain,
    reminder_moment,
)
from broadcast.delivery.plan import Plan
from broadcast.delivery.preflight import prepare
from broadcast.input.config import Config, occasions_of
from broadcast.input.incident import Incident
from broadcast.ledger.location import LEDGER_FILE, state_folder
from broadcast.ledger.postgres import URL_ENV as LEDGER_ENV
from broadcast.ledger.sqlite import REMINDER, UPDATE, Ledger, Version, ledger_errors
from broadcast.problems import InputError, Problem


@dataclass
class ToApprove:
    """What ``broadcast approve`` shows and records: the version's texts at ``anchor`` (none
    when the file is the version already sent: then its coming reminders only), and the
    reminders that keep its promise over ``REMINDER_HORIZON``."""

    incident: Incident
    anchor: datetime
    update: Plan | None
    reminders: list[Plan]
    manifest: Manifest

    @property
    def shown(self) -> Plan:
        return self.update or self.reminders[0]


def plans_to_approve(
    incident_path: Path,
    config_path: Path,
    now: datetime,
    environ: Mapping[str, str] | None = None,
    state_dir: Path | None = None,
    exercise: bool = False,
    previous_wording: Any = None,
) -> ToApprove | Plan:
    """Everything an approval covers, rendered as it will be sent; or the plan whose problems
    stop it (shown as a preview, exit 2)."""
    environ = dict(os.environ) if environ is None else environ
    loaded = load_inputs(incident_path, config_path, environ, exercise)
    # Every text is rendered from this one reading of the files.
    render = partial(
        prepare,
        incident_path,
        config_path,
        environ=environ,
        exercise=exercise,
        state_dir=state_dir,  # a correction quotes what the ledger says it corrects
        loaded=loaded,
        # The approver sees the wording errors and approves the texts; the sender fixes them
        # or answers for them (--accept-wording): an approval is not an override.
        wording_blocks=False,
    )
    if loaded is None:
        return render(now=now)
    config, incident, _ = loaded
    latest = _latest_update_sent(config, incident, state_dir, environ)
    update: Plan | None = None
    if latest is not None and latest.content_hash == content_hash(incident):
        # The version already went out: approve the reminders still to come.
        anchor = latest.created_at
        chain = reminder_chain(incident, anchor, now + REMINDER_HORIZON)
        last_due = reminder_moment(incident, anchor, now)
        moments = [m for m in chain if last_due is None or m >= last_due][:MAX_REMINDERS]
        if not moments:
            raise InputError(
                [
                    Problem(
                        f"nothing to approve: this file is the version already sent at "
                        f"{incident.local_time(anchor)}, and it promises no update still to "
                        "come. Edit it to say something new, then approve that",
                        incident_path,
                        field="approval",
                    )
                ]
            )
    else:
        # Whole seconds: the manifest names the moments to the second (the texts say minutes).
        anchor = now.replace(microsecond=0)
        update = render(now=anchor, previous_wording=previous_wording)
        if not update.ok:
            return update
        moments = reminder_chain(incident, anchor, anchor + REMINDER_HORIZON)[:MAX_REMINDERS]
    published: dict[str, list[dict[str, Any]]] = {}
    if update is not None:
        _add_published(published, update)
    reminders: list[Plan] = []
    for moment in moments:
        reminder = render(
            now=moment,
            reminder=True,
            previous_update_at=anchor,
            occasions=occasions_of(REMINDER, False, incident.status),
            published=published,
        )
        if not reminder.ok:
            return reminder
        _add_published(published, reminder)
        reminders.append(reminder)
    shown_incident = (update or reminders[0]).incident
    assert shown_incident is not None
    manifest = build_manifest(shown_incident.id, mode_of(shown_incident), anchor, update, reminders)
    return ToApprove(shown_incident, anchor, update, reminders, manifest)


def _latest_update_sent(
    config: Config, incident: Incident, state_dir: Path | None, environ: Mapping[str, str]
) -> Version | None:
    """The incident's last update in the ledger (its drill's, for a drill); None without one."""
    if incident.exercise:
        from broadcast.delivery.exercise import exercise_config

        config = exercise_config(config, environ)[0]
    folder = state_folder(state_dir, config.folder, dict(environ))
    address = config.ledger or environ.get(LEDGER_ENV)
    if not address and not (folder / LEDGER_FILE).is_file():
        return None
    ledger = Ledger(folder, environ=environ, address=address)
    try:
        with ledger_errors(ledger.path):
            return ledger.latest_version(incident.id, UPDATE)
    finally:
        ledger.close()


def _add_published(published: dict[str, list[dict[str, Any]]], plan: Plan) -> None:
    """The entry each web banner of ``plan`` will add to its history, as read back."""
    from broadcast.channels.web_banner import history_entry
    from broadcast.delivery.outgoing import outgoing_for

    for channel in plan.channels:
        if channel_model(channel.type).KEEPS_HISTORY and "text" in channel.parts:
            facts = outgoing_for(plan, channel).facts
            entry = history_entry(facts, channel.parts["text"])
            published.setdefault(channel.name, []).append(
                {
                    "reminder": False,
                    "language": None,
                    **entry,
                    "updated_at": datetime.fromisoformat(entry["updated_at"]),
                }
            )
