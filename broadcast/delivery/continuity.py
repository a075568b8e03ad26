"""Which file and which ledger speak for an incident, and the traces that outlive a lost ledger.

An id is one incident: a copy of its file that says something else, an old copy, or a file
reopening an incident resolved long ago is refused. Beside the ledger, a marker per incident
and the machine's registry of which ledger sends which incident say it was sent before: a
ledger with no record of it was lost or replaced, and another ledger of the machine that sent
it first keeps it unless told to take it over.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from broadcast.channels.banner_history import HISTORY, load_history
from broadcast.delivery.decision import content_hash
from broadcast.input.config import Config
from broadcast.input.incident import CLOSED, Incident
from broadcast.input.yamlfile import YamlDocument
from broadcast.ledger.location import LEDGER_FILE, private_folder
from broadcast.ledger.registry import Sender, owner, record_sender, registry_folder, senders
from broadcast.ledger.sqlite import UPDATE, Ledger, LedgerFault, ledger_fault, now_text
from broadcast.problems import InputError, Problem

# An incident resolved longer ago than this is closed: a file reopening it is refused (a new
# incident needs a new id) unless the run says it continues that incident.
REOPEN_WITHIN = timedelta(hours=24)
# Beside the ledger, one file per incident ever recorded: a trace that outlives a lost ledger.
SENT_MARKERS = "sent"


class LedgerLost(LedgerFault):
    """The ledger knows nothing of an incident that traces show was sent before."""


def continuity_problem(
    ledger: Ledger, incident: Incident, path: Path, document: YamlDocument, now: datetime
) -> Problem | None:
    """Why this file may not speak for the incident its id names in the ledger, if it may not.

    An incident is its id and its content, not the path of its file: a file that says what
    the incident's latest update said is that incident wherever it lies (another host's copy
    on a shared ledger, a file moved into the tick folder). Three rules refuse: the file says
    something else and lies elsewhere than the incident's last file (a copy that kept the id);
    it says what an older update said while the incident has moved on (an old copy: sending
    it would publish old news as new); or the incident was resolved more than
    ``REOPEN_WITHIN`` ago and this file is not resolved (a new incident reusing an old id). A
    resolved file is a correction: allowed.
    """
    versions = ledger.versions(incident.id)
    if not versions:
        return None
    first, latest = versions[0], versions[-1]
    since = f"first sent at {incident.local_time(first.went_out_at)}" + (
        f" from {first.source_path}" if first.source_path else ""
    )
    way_out = "if this file really continues that incident, run again with --continue-incident"
    here = str(path.resolve())
    updates = [v for v in versions if v.kind == UPDATE]
    update = updates[-1] if updates else None
    digest = content_hash(incident)
    if (
        latest.source_path
        and latest.source_path != here
        and (update is None or update.content_hash != digest)
    ):
        older = next((v for v in reversed(updates) if v.content_hash == digest), None)
        if older is not None:
            return Problem(
                f"this file says what the update of {older.created_at:%Y-%m-%d %H:%M} UTC "
                f"(version {older.id}) of {incident.id} said, but the incident has moved on "
                f"since: its latest update was sent at {update.created_at:%Y-%m-%d %H:%M} UTC "
                f"from {latest.source_path}; nothing was sent, as this old copy would publish "
                f"old news as new. Edit that file instead; {way_out}",
                path,
                document.line_of(("id",)),
                "id",
            )
        return Problem(
            f"the id {incident.id} is already the incident {since} (last from "
            f"{latest.source_path}), and this file says something else; nothing was sent. A "
            f"new incident needs a new id; {way_out}",
            path,
            document.line_of(("id",)),
            "id",
        )
    if (
        update is not None
        and update.status in CLOSED
        and not incident.ended
        and now - update.created_at > REOPEN_WITHIN
    ):
        return Problem(
            f"the incident {incident.id} ({since}) was resolved on "
            f"{incident.local_time(update.created_at)}, more than {REOPEN_WITHIN.days * 24} h "
            f"ago, and this file reopens it as {incident.status}; nothing was sent. A new "
            f"incident needs a new id; {way_out}",
            path,
            document.line_of(("status",)),
            "status",
        )
    return None


def sent_by_another_ledger(incident_id: str, mine: str, environ: Mapping[str, str]) -> str:
    """For a dry run: why a real send would be refused, when another ledger of this machine
    sent the incident first and this one never did ("" when it would not)."""
    known = senders(incident_id, environ)
    if not known or any(s.ledger == mine for s in known):
        return ""
    first = known[0]
    return (
        f"a real send would be refused: {incident_id} was first sent from this machine by "
        f"another ledger, {first.ledger}, from the folder {first.folder}; run it from there, "
        "or send with --other-ledger if this ledger takes it over"
    )


def ledger_identity(ledger: Ledger) -> str:
    """How the machine's registry names a ledger: its file, or its database (no password)."""
    return ledger.where if ledger.shared else str(ledger.path.resolve())


def traces_of_sending(
    folder: Path,
    config: Config,
    incident_id: str,
    earlier_lock: bool,
    ledger: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[str]:
    """What says, outside the ledger, that ``incident_id`` was sent before.

    ``earlier_lock``: the incident's lock file was there before this run while the ledger was
    not (every run that takes the lock opens the ledger, so a ledger existed then).
    ``ledger`` (its ``ledger_identity``): the machine's registry listing this very ledger
    among the incident's senders is a trace too.
    """
    found = []
    if ledger is not None and environ is not None:
        for sender in senders(incident_id, environ):
            if sender.ledger == ledger:
                found.append(
                    f"{registry_folder(environ) / incident_id}.json, this machine's record of "
                    f"incidents, says this ledger sent it first at {sender.first_sent_at}"
                )
    marker = folder / SENT_MARKERS / incident_id
    if marker.is_file():
        found.append(f"{marker} was written when it was first recorded")
    if earlier_lock:
        found.append(f"{folder / 'locks' / incident_id}.lock was left by an earlier run")
    for channel in config.channels.values():
        if not channel.KEEPS_HISTORY:
            continue
        # A channel that keeps its history keeps it in its folder (the banner's output_dir).
        output = config.resolve_path(channel.output_dir)  # type: ignore[attr-defined]
        updates = load_history(output, incident_id)
        if updates:
            found.append(
                f"{output / HISTORY} lists {len(updates)} update{'s' * (len(updates) != 1)} of "
                f"it, the last at {updates[0]['updated_at']:%Y-%m-%d %H:%M %z}"
            )
    return found


def registry_fault(exc: OSError, environ: Mapping[str, str]) -> LedgerFault:
    try:
        where = str(registry_folder(environ))
    except OSError:
        where = "$XDG_STATE_HOME/broadcast/incidents"
    return LedgerFault(
        f"cannot write this machine's record of which ledger sent which incident, in "
        f"{where} ({exc.strerror or exc}); it keeps another folder's "
        "ledger from sending the incident to everyone again. Make that folder writable, or set "
        "XDG_STATE_HOME to a writable folder."
    )


def write_marker(folder: Path, incident_id: str, now: datetime) -> None:
    marker = folder / SENT_MARKERS / incident_id
    if marker.is_file():
        return
    try:
        private_folder(marker.parent)
        marker.write_text(
            json.dumps({"incident": incident_id, "first_recorded_at": now_text(now)}) + "\n",
            encoding="utf-8",
        )
    except OSError as exc:
        raise ledger_fault(exc, folder / LEDGER_FILE) from exc


def lost_ledger_reason(
    ledger: Ledger,
    folder: Path,
    config: Config,
    incident: Incident,
    earlier_lock: bool,
    environ: Mapping[str, str],
    ledger_lost: bool,
) -> str | None:
    """Refuse to send "for the first time" what traces outside the ledger say was sent.

    Raises ``LedgerLost`` when traces say so; with ``ledger_lost`` (the person running it says
    the ledger was lost), the reason the run sends everyone the current version again instead.
    None when nothing outside the ledger says the incident was sent.
    """
    traces = traces_of_sending(
        folder, config, incident.id, earlier_lock, ledger_identity(ledger), environ
    )
    if not traces:
        return None
    if not ledger_lost:
        raise LedgerLost(
            f"the ledger {ledger.path} has no record of {incident.id}, yet it was sent "
            f"before: {'; '.join(traces)}. The ledger was lost or replaced, so broadcast "
            "cannot tell who already got which message, and this run would send everyone "
            "the current version again. Restore the ledger from your backup; or, to send "
            "everyone the current version again on purpose, run the same command with "
            "--ledger-lost."
        )
    return (
        f"the ledger has no record of {incident.id}, which was sent before "
        f"({'; '.join(traces)}); as --ledger-lost asks, everyone gets the current "
        "version again"
    )


def other_ledger_reason(
    ledger: Ledger,
    incident: Incident,
    document: YamlDocument,
    incident_path: Path,
    environ: Mapping[str, str],
    other_ledger: bool,
    ledger_lost: bool,
) -> str | None:
    """Refuse a first version of an incident that another ledger of this machine sent:
    run from another folder (or ``--state``), this ledger would send everyone every
    channel again (a new X thread, a new Page post) as "the first message".

    None when no other ledger sent it (or this very one did); with ``other_ledger`` or
    ``ledger_lost``, the reason this ledger takes it over (the run's new reason).
    """
    mine = ledger_identity(ledger)
    known = senders(incident.id, environ)
    current = owner(known)
    if current is None or any(s.ledger == mine for s in known):
        return None  # never sent here, or sent by this very ledger (then: was it lost?)
    first = known[0]
    said = (
        f"{incident.id} was first sent from this machine at {first.first_sent_at} by "
        f"another ledger, {first.ledger}, from the folder {first.folder} (file "
        f"{first.incident_file})"
    )
    if current is not first:
        said += f", and {current.ledger}, from the folder {current.folder}, sends it now"
    if other_ledger or ledger_lost:
        # --ledger-lost says the same: everyone gets the current version again, from here.
        flag = "--other-ledger" if other_ledger else "--ledger-lost"
        return (
            f"{said}; as {flag} asks, this ledger takes it over and everyone gets "
            "the current version from it"
        )
    raise InputError(
        [
            Problem(
                f"{said}. This run's ledger, {mine}, has no record of it, so it would "
                "send everyone the current version again on every channel as its first "
                f"message; nothing was sent. Run it from {current.folder} (where its ledger "
                "knows who got what); or, if this ledger really takes the incident over, "
                "run send again with --other-ledger",
                incident_path,
                document.line_of(("id",)),
                "id",
            )
        ]
    )


def still_ours(
    ledger: Ledger,
    incident: Incident,
    document: YamlDocument,
    incident_path: Path,
    environ: Mapping[str, str],
    other_ledger: bool,
    register: Callable[..., None],
) -> bool:
    """A ledger that holds the incident still sends it, unless another ledger of this
    machine took it over since (``--other-ledger``): then this one's runs (an old
    folder's cron line) would send everyone its reminders and updates a second time.

    True when this ledger takes the incident back (``--other-ledger``); ``register(first_sent,
    took_over=...)`` records this ledger as its sender.
    """
    mine = ledger_identity(ledger)
    known = senders(incident.id, environ)
    if not any(s.ledger == mine for s in known):
        # A ledger that sent it before the registry existed is recorded now; failing to
        # is no reason to stop a run that has nothing new to send.
        with suppress(OSError):
            register(ledger.versions(incident.id)[0].created_at)
        return False
    current = owner(known)
    if current is None or current.ledger == mine:
        return False
    if other_ledger:
        try:
            register(None, took_over=True)
        except OSError as exc:
            raise registry_fault(exc, environ) from exc
        return True
    raise InputError(
        [
            Problem(
                f"{incident.id} was taken over at {current.first_sent_at} by another "
                f"ledger of this machine, {current.ledger}, from the folder "
                f"{current.folder}; this ledger ({mine}) no longer sends it, or everyone "
                "would get its updates and reminders twice; nothing was sent. Run it from "
                f"{current.folder} (and remove this folder's cron line); or, to take it "
                "back here, run send again with --other-ledger",
                incident_path,
                document.line_of(("id",)),
                "id",
            )
        ]
    )


def register_sender(
    ledger: Ledger,
    incident_id: str,
    config_path: Path,
    incident_path: Path,
    first_sent: datetime,
    environ: Mapping[str, str],
    took_over: bool = False,
) -> None:
    """Record in the machine's registry that this ledger sends this incident (first sent at
    ``first_sent``), taking it over from another ledger if so."""
    record_sender(
        incident_id,
        Sender(
            ledger=ledger_identity(ledger),
            folder=str(config_path.resolve().parent),
            incident_file=str(incident_path.resolve()),
            first_sent_at=f"{first_sent.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
            took_over=took_over,
        ),
        environ,
    )


def check_ownership(
    ledger: Ledger,
    folder: Path,
    config: Config,
    incident: Incident,
    document: YamlDocument,
    earlier_lock: bool,
    new_version: bool,
    incident_path: Path,
    environ: Mapping[str, str],
    other_ledger: bool,
    ledger_lost: bool,
    register: Callable[..., None],
) -> tuple[bool, str | None]:
    """This ledger may speak for the incident: a first version that another ledger of this
    machine sent (``other_ledger_reason``), or that traces say a lost ledger sent
    (``lost_ledger_reason``), is refused unless the run says it takes it over; a ledger that
    sends it still does (``still_ours``).

    Whether this ledger takes the incident over, and the run's reason when it changes.
    """
    if ledger.latest_version(incident.id) is not None:
        return still_ours(
            ledger, incident, document, incident_path, environ, other_ledger, register
        ), None
    taking_over, reason = False, None
    if new_version:
        reason = other_ledger_reason(
            ledger, incident, document, incident_path, environ, other_ledger, ledger_lost
        )
        taking_over = reason is not None
    lost = lost_ledger_reason(ledger, folder, config, incident, earlier_lock, environ, ledger_lost)
    return taking_over, lost if lost is not None else reason
