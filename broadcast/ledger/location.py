"""Where the SQLite ledger lives: its folder and its file, told without opening it.

Standard library only: a preview asks whether a ledger exists before it imports the ledger.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

STATE_ENV = "BROADCAST_STATE"
DEFAULT_STATE = ".broadcast"
LEDGER_FILE = "ledger.sqlite3"


def state_folder(explicit: Path | None, config_folder: Path, environ: dict[str, str]) -> Path:
    """``--state`` wins, then ``BROADCAST_STATE``, then ``.broadcast/`` beside channels.yaml."""
    if explicit is not None:
        return explicit
    if environ.get(STATE_ENV):
        return Path(environ[STATE_ENV])
    return config_folder / DEFAULT_STATE


def private_folder(folder: Path) -> Path:
    """``folder`` (the state folder or one inside it) made 0700, or tightened to it.

    Whichever part of a run creates it first (the lock, the ledger, a marker), it holds who was
    sent what: nobody else on the machine may list it. One that exists with wider rights (made
    by an older version, or by hand) is tightened; one owned by someone else is left to the
    ledger's own error (not writable).
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = folder.stat().st_mode
    if mode & 0o077:
        with contextlib.suppress(PermissionError):
            os.chmod(folder, mode & 0o700)
    return folder
