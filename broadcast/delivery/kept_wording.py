"""The wording kept in the ledger with each update, and what a correction corrects.

A correction (``status: cancelled``) quotes what the message it corrects said, as the ledger
recorded it: read here by the send, and by a preview or an approval that have no ledger open.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcast.input.config import Config

if TYPE_CHECKING:
    from broadcast.ledger.sqlite import Ledger

# What the wording checks compare the next version with (``wording_snapshot``), kept with each
# version among its texts under a name no channel can have (channel names have no dot).
WORDING_CHANNEL = ".wording"
WORDING_PART = "snapshot"


def corrected_wording(ledger: Ledger, incident_id: str) -> dict[str, Any] | None:
    """What the message a correction corrects said: the wording snapshot kept with the last
    update that was not itself a correction, and when it went out (``sent_at``).

    A correction quotes this, never the incident's current headline: the file advises
    rewriting that headline as the correction, so it no longer says what was sent.
    """
    from broadcast.ledger.sqlite import UPDATE

    for version in reversed(ledger.versions(incident_id)):
        if version.kind != UPDATE or version.status == "cancelled":
            continue
        recorded = ledger.recorded_texts(version.id).get(WORDING_CHANNEL, {})
        snapshot = recorded.get("", {}).get(WORDING_PART)
        # Without a snapshot (a ledger from before they were kept) the correction still has
        # a message to correct: it quotes when, not what.
        said = json.loads(snapshot) if snapshot else {}
        return {**said, "sent_at": version.created_at.isoformat()}
    return None


def corrected_in_ledger(
    config: Config,
    incident_id: str,
    state_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """``corrected_wording`` for a run that has no ledger open (a preview, an approval): no
    lock, nothing written; None when there is no ledger or it cannot be read.

    The ledger's modules are imported here: a preview of anything but a correction opens none.
    """
    import sqlite3

    from broadcast.ledger.location import LEDGER_FILE, state_folder
    from broadcast.ledger.postgres import URL_ENV as LEDGER_ENV
    from broadcast.ledger.sqlite import Ledger, LedgerFault, ledger_errors

    environ = dict(os.environ) if environ is None else environ
    folder = state_folder(state_dir, config.folder, dict(environ))
    address = config.ledger or environ.get(LEDGER_ENV)
    if not address and not (folder / LEDGER_FILE).is_file():
        return None
    try:
        ledger = Ledger(folder, environ=environ, address=address)
    except (LedgerFault, sqlite3.Error, OSError):
        return None
    try:
        with ledger_errors(ledger.path):
            return corrected_wording(ledger, incident_id)
    except (LedgerFault, sqlite3.Error, OSError, ValueError):
        return None
    finally:
        ledger.close()
