"""Which file and which ledger speak for an incident, and the traces that outlive a lost ledger.

An id is one incident: a copy of its file that says something else, an old copy, or a file
reopening an incident resolved long ago is refused. Beside the ledger, a marker per incident
and the machine's registry of which ledger sends which incident say it was sent before: a
ledger with no record of it was lost or replaced, and another ledger of the machine that sent
it first keeps it unless told to take it over.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

from broadcast.channels.banner_history import HISTORY, load_history
from broadcast.delivery.decision import content_hash
from broadcast.input.config import (
    Config,
)
from broadcast.input.incident import CLOSED, Incident
from broadcast.input.yamlfile import YamlDocument
from broadcast.ledger.location import LEDGER_FILE, private_folder
from broadcast.ledger.registry import registry_folder, senders
from broadcast.ledger.sqlite import (
    UPDATE,
    Ledger,
    LedgerFault,
    ledger_fault,
    now_text,
)
from broadcast.problems import Problem

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
        if channel.type != "web_banner":
            continue
        output = config.resolve_path(channel.output_dir)  # type: ignore[union-attr]
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
