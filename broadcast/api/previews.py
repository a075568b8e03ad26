"""Validate, preview and dry-run an incident: everything rendered and checked, nothing sent."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcast.api import EXIT_BAD_INPUT, EXIT_OK, clock
from broadcast.problems import InputError, Problem

if TYPE_CHECKING:
    from broadcast.delivery.ledger_reading import LedgerReading
    from broadcast.delivery.plan import Plan
    from broadcast.delivery.sending import Decision
    from broadcast.input.config import Config
    from broadcast.input.incident import Incident


# Preview and DryRun are slotted classes, not dataclasses: they are on a preview's path, where
# making a dataclass costs about 0.2 ms of start-up each (README, "Records are NamedTuples").


class Preview:
    """What ``validate`` and ``preview`` show: the plan, every channel's texts and problems."""

    __slots__ = ("plan",)

    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.plan.ok else EXIT_BAD_INPUT

    def to_json(self) -> dict[str, Any]:
        return self.plan.to_json()


class DryRun:
    """What ``send --dry-run`` shows: the plan, and what a real send would do now."""

    __slots__ = ("decision", "plan")

    def __init__(self, plan: Plan, decision: Decision | None) -> None:
        self.plan = plan
        self.decision = decision

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.plan.ok else EXIT_BAD_INPUT

    def to_json(self) -> dict[str, Any]:
        decision = self.decision
        would = (
            {"action": decision.action, "reason": decision.reason, "note": decision.note}
            if decision
            else {}
        )
        return {**self.plan.to_json(), "dry_run": True, "sent": 0, **would}


def validate(
    incident: Path,
    config: Path | None = None,
    *,
    channels: Sequence[str] = (),
    strict: bool = False,
) -> Preview:
    """Check the incident, the configuration, every template, the recipients and the wording."""
    return Preview(_prepare(incident, config, channels, strict=strict))


def preview(
    incident: Path,
    config: Path | None = None,
    *,
    channels: Sequence[str] = (),
    strict: bool = False,
    exercise: bool = False,
) -> Preview:
    """Exactly what each channel would carry, with its measures, for the occasion the ledger
    tells (a first message, an update, the resolution...). Sends nothing."""

    def occasions(loaded: Config, parsed: Incident) -> frozenset[str] | None:
        return _occasions(incident, config, exercise, loaded, parsed)

    return Preview(
        _prepare(incident, config, channels, strict=strict, occasions=occasions, exercise=exercise)
    )


def dry_run(
    incident: Path,
    config: Path | None = None,
    *,
    channels: Sequence[str] = (),
    state: Path | None = None,
    strict: bool = False,
    exercise: bool = False,
    sender: str | None = None,
    accept_wording: str | None = None,
) -> DryRun:
    """Render and check everything a send would, and say what it would do; send nothing.
    ``accept_wording``: the reason a send would give to go out despite wording errors."""
    from broadcast.delivery.dry_run import dry_run as check_send
    from broadcast.delivery.wording_gate import checked_reason
    from broadcast.input.config import config_path
    from broadcast.ledger.sqlite import LedgerFault

    accept_wording = checked_reason(accept_wording)
    try:
        # One reading of the files for what the send would do and the plan it would send.
        decision, plan = check_send(
            incident,
            config_path(config),
            clock(),
            channels,
            state,
            exercise=exercise,
            sender=sender,
            strict=strict,
            accept_wording=accept_wording,
        )
    except LedgerFault as fault:
        raise InputError([Problem(str(fault))]) from fault
    return DryRun(plan, decision)


def _prepare(
    incident: Path,
    config: Path | None,
    channels: Sequence[str],
    strict: bool = False,
    occasions: Callable[[Config, Incident], frozenset[str] | None] | None = None,
    exercise: bool = False,
) -> Plan:
    from broadcast.delivery.ledger_reading import LedgerReading
    from broadcast.delivery.preflight import prepare
    from broadcast.input.config import config_path

    # One read-only opening of the ledger for all the preview reads from it: the last
    # wording sent and the subscribers.
    reading = LedgerReading()
    try:
        return prepare(
            incident,
            config_path(config),
            now=clock(),
            only=channels,
            strict=strict,
            occasions=occasions,
            exercise=exercise,
            previous_wording=lambda loaded, parsed: previous_wording(loaded, parsed, reading),
            subscribers=lambda loaded: subscribers(loaded, reading),
        )
    finally:
        reading.close()


def subscribers(
    loaded: Config, reading: LedgerReading | None = None
) -> Mapping[str, list[tuple[str, str, str]]] | None:
    """The confirmed subscribers' (postcode, language, address) by kind, for the preview to
    count them."""
    from broadcast.delivery.subscribers import subscribers_in_ledger

    return subscribers_in_ledger(loaded, reading=reading)


def _ledger_folder(loaded: Config) -> Path | None:
    """The SQLite ledger's folder when it exists; None before the first send. Told without
    importing the sending machinery, most of a first preview's start-up."""
    from broadcast.ledger.location import LEDGER_FILE, state_folder

    folder = state_folder(None, loaded.folder, dict(os.environ))
    return folder if (folder / LEDGER_FILE).is_file() else None


def previous_wording(
    loaded: Config, parsed: Incident, reading: LedgerReading | None = None
) -> dict[str, Any] | None:
    """The wording the ledger kept of the incident's last update, for the wording checks."""
    if _ledger_folder(loaded) is None and not (loaded.ledger or os.environ.get("BROADCAST_LEDGER")):
        return None
    from broadcast.delivery.sending import wording_in_ledger

    return wording_in_ledger(loaded, parsed.id, reading=reading)


def _occasions(
    incident: Path, config: Path | None, exercise: bool, loaded: Config, parsed: Incident
) -> frozenset[str] | None:
    """What the file would be if sent now (new, update, resolved...), as the ledger tells;
    None when it cannot tell (then the preview shows every channel).

    Without a ledger it is the first message, known without loading the sending machinery
    (most of a first preview's start-up): the names are those of ``broadcast.ledger``.
    """
    from broadcast.input.config import occasions_of

    shared = loaded.ledger or os.environ.get("BROADCAST_LEDGER")
    if not shared and _ledger_folder(loaded) is None:
        return occasions_of("update", True, parsed.status)
    from broadcast.delivery.sending import peek
    from broadcast.input.config import config_path
    from broadcast.ledger.sqlite import LedgerFault

    try:
        # The files as this preview read them; a drill's configuration here is the drill's, so
        # peek reads channels.yaml as written then.
        as_read = None if parsed.exercise else (loaded, parsed, None)
        decision = peek(incident, config_path(config), clock(), exercise=exercise, loaded=as_read)
    except LedgerFault:
        return None
    return decision.occasions if decision is not None else None
