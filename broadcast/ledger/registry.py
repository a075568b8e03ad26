"""Which ledger sent each incident, per machine: the memory that outlives a change of folder.

A ledger knows only what was sent through it. Run from another folder (its own channels.yaml
and ledger), or with another ``--state``, the same incident looks new there and would go to
everyone again, on every channel, as its "first message". So each machine keeps, under
``$XDG_STATE_HOME/broadcast/incidents/`` (default ``~/.local/state``), one small JSON file per
incident id naming the ledgers that sent it, with the folder and file each sent it from. A
send asks it before a ledger's first version of an incident. The incident belongs to the
first of them, or to the last that took it over (``send --other-ledger``): the runs of the
others stop sending it, or an old folder's cron would send every reminder a second time.

Standard library only; the files hold ids, paths and times, never a recipient or a secret.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

STATE_HOME_ENV = "XDG_STATE_HOME"
REGISTRY_FOLDER = ("broadcast", "incidents")


@dataclass(frozen=True)
class Sender:
    """A ledger that sent an incident from this machine."""

    ledger: str  # the SQLite file (absolute), or the database's address without a password
    folder: str  # the folder of the channels.yaml it was sent with
    incident_file: str
    first_sent_at: str  # "YYYY-MM-DD HH:MM UTC"
    took_over: bool = False  # recorded by a run told to take the incident over


def owner(known: list[Sender]) -> Sender | None:
    """The ledger that sends the incident now: the last to take it over, else the first."""
    return next((s for s in reversed(known) if s.took_over), known[0] if known else None)


def registry_folder(environ: Mapping[str, str]) -> Path:
    """``$XDG_STATE_HOME/broadcast/incidents``, else ``~/.local/state/broadcast/incidents``."""
    base = environ.get(STATE_HOME_ENV)
    if base and Path(base).is_absolute():
        root = Path(base)
    else:  # the XDG rule: a relative value is ignored
        home = environ.get("HOME")
        try:
            root = (Path(home) if home else Path.home()) / ".local" / "state"
        except RuntimeError as exc:  # no HOME and no home in the password database
            raise OSError(errno.ENOENT, f"no home folder ({exc}); set {STATE_HOME_ENV}") from exc
    return root.joinpath(*REGISTRY_FOLDER)


def senders(incident_id: str, environ: Mapping[str, str]) -> list[Sender]:
    """The ledgers known to have sent ``incident_id`` from this machine, the first first.

    An unreadable or foreign file counts as none: the ledger's own checks still hold.
    """
    try:
        data = json.loads(_file(incident_id, environ).read_text(encoding="utf-8"))
        return [Sender(**entry) for entry in data["senders"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def record_sender(incident_id: str, sender: Sender, environ: Mapping[str, str]) -> bool:
    """Add ``sender`` for ``incident_id`` unless its ledger is listed already (a takeover is
    added even then: it makes that ledger the owner again); True if added.

    Raises ``OSError`` when the folder cannot be written (the caller says what to do).
    """

    def needed(known: list[Sender]) -> bool:
        if sender.took_over:
            current = owner(known)
            return current is None or current.ledger != sender.ledger
        return not any(entry.ledger == sender.ledger for entry in known)

    if not needed(senders(incident_id, environ)):
        return False
    folder = registry_folder(environ)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _locked(folder):
        known = senders(incident_id, environ)  # again, under the lock: another run may have
        if not needed(known):
            return False
        document = {"incident": incident_id, "senders": [asdict(s) for s in [*known, sender]]}
        target = _file(incident_id, environ)
        partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    return True


def _file(incident_id: str, environ: Mapping[str, str]) -> Path:
    # Incident ids are lower-case letters, digits and dashes (the schema): a safe file name.
    return registry_folder(environ) / f"{incident_id}.json"


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One writer at a time (runs of different folders may record at once)."""
    with (folder / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
