"""The environment a benchmark's ``python -m broadcast`` runs in: cut off from the machine's.

A benchmark starts the real CLI in a child process, in a folder of its own. Without care that
child reads and writes the machine's own places: the registry of which ledger sends which
incident (``$XDG_STATE_HOME/broadcast``, by default ``~/.local/state/broadcast``), a
``BROADCAST_CONFIG`` or ``BROADCAST_LEDGER`` of the shell that started the benchmark. A
registry kept there would also make the next run's fresh ledger look like one that lost its
incident, and the send would refuse to start. :func:`isolated_env` puts every such place under
the benchmark's folder; :func:`run_measured` runs a command there and says what it cost.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# The local peers' credentials: the CLI reads its secrets from the environment.
from tests.world import SECRETS  # noqa: E402

# Where a user's programs keep their own files: all of them under the benchmark's folder.
HOME_FOLDERS = {
    "HOME": ".home",
    "XDG_STATE_HOME": ".state",
    "XDG_CONFIG_HOME": ".config",
    "XDG_DATA_HOME": ".data",
}


def isolated_env(root: Path, tree: Path = REPO, **extra: str) -> dict[str, str]:
    """``os.environ`` for a ``python -m broadcast`` of the package in ``tree`` whose own files
    all lie under ``root``: ``HOME`` and the XDG folders there, none of the caller's
    ``BROADCAST_*`` (an explicit ``BROADCAST_CONFIG`` of "" too: ./channels.yaml), the local
    peers' Twilio credentials; ``extra`` on top (``BROADCAST_NOW``, ``BROADCAST_STATE``...)."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("BROADCAST_")}
    return {
        **inherited,
        "PYTHONPATH": str(tree),
        "BROADCAST_CONFIG": "",
        **{name: str(root / folder) for name, folder in HOME_FOLDERS.items()},
        **SECRETS,
        **extra,
    }


def run_measured(
    command: list[str], root: Path, env: dict[str, str], timeout: float = 3600
) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """``command`` run to its end in ``root``: what it did, its wall seconds, and the CPU
    seconds it (and any child of its) used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, timeout=timeout
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done, wall, cpu
