"""What a real send would do now, for a dry run or a preview: no lock taken, nothing written.

The incident and channels.yaml are read once (``load_inputs``) and handed down: the decision,
the approval a new version would wait for, the wording the checks compare with and the plan
are all made from that one reading (``dry_run``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from broadcast.delivery.approval import (
    approval_needed,
    candidates,
    changed_reason,
    held_reason,
    mode_of,
    passed_promises,
    passed_reason,
    refusal,
)
from broadcast.delivery.continuity import ledger_identity, sent_by_another_ledger
from broadcast.delivery.decision import Decision, decide
from broadcast.delivery.kept_wording import corrected_wording
from broadcast.delivery.ledger_reading import LedgerReading
from broadcast.delivery.manifest import differences, reminder_moment
from broadcast.delivery.people import person
from broadcast.delivery.plan import Plan
from broadcast.delivery.preflight import prepare
from broadcast.delivery.recorded import wording_in_ledger
from broadcast.delivery.subscribers import subscribers_in_ledger
from broadcast.input.config import Config, load_config, occasions_of
from broadcast.input.incident import Incident, load_incident
from broadcast.input.yamlfile import YamlDocument
from broadcast.ledger.location import LEDGER_FILE, state_folder
from broadcast.ledger.postgres import URL_ENV as LEDGER_ENV
from broadcast.ledger.sqlite import UPDATE, Ledger, ledger_errors
from broadcast.problems import InputError

# channels.yaml and the incident as read and validated from their paths, with the incident's
# document (for the lines problems name).
Loaded = tuple[Config, Incident, YamlDocument]


def load_inputs(
    incident_path: Path, config_path: Path, environ: Mapping[str, str], exercise: bool = False
) -> Loaded | None:
    """channels.yaml and the incident, read once; None when either does not load (the plan
    made without them reports why)."""
    try:
        config = load_config(config_path, environ)
        incident, document = load_incident(incident_path, config.defaults.model_dump(), exercise)
    except InputError:
        return None
    return config, incident, document


def peek(
    incident_path: Path,
    config_path: Path,
    now: datetime,
    only: Sequence[str] = (),
    state_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    exercise: bool = False,
    sender: str | None = None,
    loaded: tuple[Config, Incident, YamlDocument | None] | None = None,
) -> Decision | None:
    """What a real send would do now, for a dry run: no lock, nothing written.

    None when the inputs do not load (the dry run reports why) or no ledger exists yet. A new
    version that would wait for approval says so in its ``note``. ``loaded``: the inputs as
    the caller already read them from these paths (``load_inputs``; channels.yaml as written,
    not a drill's), not read again; without the incident's document, only the rendering of a
    version waiting for approval reads the file again.
    """
    environ = dict(os.environ) if environ is None else environ
    if loaded is None:
        loaded = load_inputs(incident_path, config_path, environ, exercise)
        if loaded is None:
            return None
    config, incident, _ = loaded
    folder = state_folder(state_dir, config.folder, dict(environ))
    address = config.ledger or environ.get(LEDGER_ENV)
    waiting = "waiting for approval by a second person: nobody has approved its texts yet"
    if not address and not (folder / LEDGER_FILE).is_file():
        elsewhere = sent_by_another_ledger(
            incident.id, str((folder / LEDGER_FILE).resolve()), environ
        )
        return Decision(
            "new",
            now,
            "first message about this incident",
            occasions=occasions_of(UPDATE, True, incident.status),
            note=elsewhere or (waiting if approval_needed(config, incident) else ""),
        )
    ledger = Ledger(folder, environ=environ, address=address)
    try:
        with ledger_errors(ledger.path):
            decision = decide(
                ledger, incident, list(only) or list(config.channels), now, config=config
            )
            latest_update = ledger.latest_version(incident.id, UPDATE)
            needed = approval_needed(config, incident, ledger)
            if decision.action == "reminder" and latest_update is not None and needed:
                # A reminder under approval speaks for its due moment (see SendRun).
                due = reminder_moment(incident, latest_update.created_at, now)
                decision = replace(decision, now=due or decision.now)
            if decision.action == "new" and ledger.latest_version(incident.id) is None:
                elsewhere = sent_by_another_ledger(incident.id, ledger_identity(ledger), environ)
                if elsewhere:
                    return replace(decision, note=elsewhere)
            if decision.action == "new" and needed:
                decision = _peek_approval(
                    ledger,
                    loaded,
                    incident_path,
                    config_path,
                    environ,
                    exercise,
                    sender,
                    decision,
                )
            return decision
    finally:
        ledger.close()


def _peek_approval(
    ledger: Ledger,
    loaded: tuple[Config, Incident, YamlDocument | None],
    incident_path: Path,
    config_path: Path,
    environ: Mapping[str, str],
    exercise: bool,
    sender: str | None,
    decision: Decision,
) -> Decision:
    """A dry run of a new version that needs approval: the moment its approved texts speak
    for, or a note saying what a real send would wait for (no signature is made)."""
    config, incident, document = loaded
    who = person(sender, environ)
    try:
        found, reasons = candidates(
            ledger,
            incident.id,
            config,
            who,
            mode_of(incident),
            incident_path,
            now=decision.now,
            zone=incident.zone,
        )
    except InputError as bad_name:
        return replace(decision, note=bad_name.problems[0].message)
    for candidate in found:
        moment = candidate.manifest.anchor
        passed = passed_promises(incident, moment, decision.now)
        if passed:
            reasons.append(passed_reason(candidate, moment, passed, incident))
            continue
        plan = prepare(
            incident_path,
            config_path,
            now=moment,
            environ=environ,
            exercise=exercise,
            loaded=(config, incident, document) if document is not None else None,
            corrected=lambda _config, _incident: corrected_wording(ledger, incident.id),
        )
        if not plan.ok:
            return replace(decision, now=moment)  # the dry run shows what is wrong
        changed = differences(plan, candidate.manifest.update or {})
        if not changed:
            return replace(decision, now=moment)
        reasons.append(changed_reason(candidate, changed, incident.zone))
    held = held_reason(config, incident, ledger)
    if held is not None:
        reasons.insert(0, held)
    return replace(
        decision, note=refusal(reasons, who, incident_path, mode_of(incident)).problems[0].message
    )


def dry_run(
    incident_path: Path,
    config_path: Path,
    now: datetime,
    only: Sequence[str] = (),
    state_dir: Path | None = None,
    exercise: bool = False,
    sender: str | None = None,
    strict: bool = False,
    accept_wording: str | None = None,
) -> tuple[Decision | None, Plan]:
    """``send --dry-run``: what a real send would do now (``peek``) and the plan it would
    send, checked, from one reading of the files; nothing locked, nothing written."""
    environ = dict(os.environ)
    loaded = load_inputs(incident_path, config_path, environ, exercise)
    decision = (
        peek(incident_path, config_path, now, only, state_dir, environ, exercise, sender, loaded)
        if loaded is not None
        else None
    )
    # One read-only opening of the ledger for the last wording and the subscribers.
    reading = LedgerReading(state_dir, environ)
    try:
        previous = (
            wording_in_ledger(loaded[0], loaded[1].id, reading=reading)
            if loaded is not None
            else None
        )
        plan = _plan(
            incident_path, config_path, now, only, decision, exercise, strict, previous,
            loaded, state_dir, accept_wording, reading,
        )  # fmt: skip
    finally:
        reading.close()
    return decision, plan


def _plan(
    incident_path: Path,
    config_path: Path,
    now: datetime,
    only: Sequence[str],
    decision: Decision | None,
    exercise: bool,
    strict: bool,
    previous: dict[str, Any] | None,
    loaded: Any,
    state_dir: Path | None,
    accept_wording: str | None,
    reading: LedgerReading,
) -> Plan:
    return prepare(
        incident_path,
        config_path,
        now=decision.now if decision else now,
        only=only,
        reminder=bool(decision and decision.reminder),
        previous_update_at=decision.previous_update_at if decision else None,
        occasions=decision.occasions if decision else None,
        exercise=exercise,
        strict=strict,
        previous_wording=previous,
        loaded=loaded,
        state_dir=state_dir,
        accept_wording=accept_wording,
        # The subscribers counted as the preview counts them (nothing written).
        subscribers=lambda config: subscribers_in_ledger(config, reading=reading),
    )
