"""Where the SQLite ledger lives: its folder and its file, told without opening it.

Standard library only: a preview asks whether a ledger exists before it imports the ledger.
"""

from __future__ import annotations

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
