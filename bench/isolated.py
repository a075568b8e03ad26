"""The environment a benchmark's ``python -m broadcast`` runs in: cut off from the machine's.

A benchmark starts the real CLI in a child process, in a folder of its own. Without care that
child reads and writes the machine's own places: the registry of which ledger sends which
incident (``$XDG_STATE_HOME/broadcast``, by default ``~/.local/state/broadcast``), the
recipient key (``~/.config/broadcast/key``), the templates' cache (``~/.cache``), a
``BROADCAST_CONFIG`` or ``BROADCAST_LEDGER`` of the shell that started the benchmark. A
registry kept there would also make the next run's fresh ledger look like one that lost its
incident, and the send would refuse to start. :func:`isolated_env` puts every such place under
the benchmark's folder; :func:`run_measured` runs a command there and says what it cost,
:func:`start_serve` starts ``broadcast serve`` there and waits until it answers.
"""

from __future__ import annotations

import http.client
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path
from subprocess import Popen

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
    "XDG_CACHE_HOME": ".cache",  # the templates' compiled cache
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


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    """The process's resident memory in KiB (``VmHWM``: its peak), from Linux ``/proc``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def start_serve(root: Path, env: dict[str, str], timeout: float = 60) -> tuple[Popen[bytes], int]:
    """``broadcast serve`` started in ``root`` on a free port of 127.0.0.1, once its
    ``/healthz`` answers 200: the process (the caller stops it) and its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = subprocess.Popen(
        [sys.executable, "-m", "broadcast", "serve", "--port", str(port)],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process, port
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"broadcast serve did not start (exit {process.poll()})")
        time.sleep(0.05)
