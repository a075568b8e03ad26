"""One read-only opening of the ledger for what a preview or a dry run reads from it: the
last wording sent (the wording checks compare with it) and the confirmed subscribers (the
channels naming them count them). Opened at the first read, without a lock and writing
nothing, and closed once the plan is made: one connection (one PostgreSQL handshake) for
both, not one each.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from broadcast.input.config import Config
    from broadcast.ledger.sqlite import Ledger


class LedgerReading:
    """The ledger of a configuration, opened once when first asked for (``ledger``): None
    when there is none yet (``absent``) or it cannot be opened."""

    def __init__(
        self, state_dir: Path | None = None, environ: Mapping[str, str] | None = None
    ) -> None:
        self.state_dir = state_dir
        self.environ = dict(os.environ) if environ is None else dict(environ)
        self.absent = False
        self.opened = 0  # how many times it was opened: at most once
        self._ledger: Ledger | None = None
        self._tried = False

    def ledger(self, config: Config) -> Ledger | None:
        if self._tried:
            return self._ledger
        self._tried = True
        from broadcast.ledger.location import LEDGER_FILE, state_folder
        from broadcast.ledger.postgres import URL_ENV

        folder = state_folder(self.state_dir, config.folder, dict(self.environ))
        address = config.ledger or self.environ.get(URL_ENV)
        if not address and not (folder / LEDGER_FILE).is_file():
            self.absent = True
            return None
        # Imported only when there is a ledger: a first preview loads none of it.
        import sqlite3

        from broadcast.ledger.sqlite import Ledger, LedgerFault

        try:
            self._ledger = Ledger(folder, environ=self.environ, address=address)
            self.opened += 1
        except (LedgerFault, sqlite3.Error, OSError):
            self._ledger = None
        return self._ledger

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None
