"""Start-up of ``broadcast preview``: CPU time against its import floor and against Apprise.

Run by hand from the repository root (Apprise installed for the comparison)::

    python bench/bench_preview.py [runs]

Every figure is a whole new process, as cron or a person at a terminal starts it, timed from
outside: its user + system CPU seconds (``os.wait4``) and its wall time. The commands are run
in turn (A, floor, Apprise, A, floor, Apprise...) so that a machine whose speed drifts moves
them alike, and each ratio is taken run by run, then its median printed:

- ``broadcast preview examples/panne-nord.yaml`` (the shipped example: 4 channels, 2 languages);
- the floor: ``python -c "import yaml, jinja2, typer, rich.console"``, the libraries any such
  command-line tool starts with;
- Apprise's ``--dry-run`` of two URLs (an SMS through Twilio and an email), the nearest tool
  that does the same job: read its configuration, build every message, send nothing.

The preview is run once before timing, so its caches (compiled templates, the recipients'
counts) are those of a second preview, as when someone edits an incident and looks again.
The package is byte-compiled first, as ``pip install`` leaves it (and as the floor's and
Apprise's libraries are): a checkout run with ``PYTHONDONTWRITEBYTECODE`` would otherwise
compile every module of ``broadcast`` from source on each run.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from isolated import isolated_env  # noqa: E402

NOW = "2026-11-22T08:40:00+00:00"
FLOOR = "import yaml, jinja2, typer, rich.console"
TWO_URLS = [
    "twilio://ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:tokentokentokentokentoken@+33700000001/+33612345678",
    "mailtos://alertes:secret@example.com?to=camille.martin@example.com",
]


def run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run of ``command`` to its end."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise RuntimeError(f"{command} failed")
    return usage.ru_utime + usage.ru_stime, wall


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    python = sys.executable
    commands = {
        "broadcast preview examples/panne-nord.yaml": [
            python,
            "-m",
            "broadcast",
            "preview",
            "examples/panne-nord.yaml",
        ],
        f'floor: python -c "{FLOOR}"': [python, "-c", FLOOR],
    }
    apprise = shutil.which("apprise", path=str(Path(python).parent)) or shutil.which("apprise")
    if apprise:
        commands["apprise --dry-run, two URLs"] = [apprise, "--dry-run", "-b", "test", *TWO_URLS]
    else:
        print("apprise is not installed (pip install apprise): no comparison with it")
    subprocess.run([python, "-m", "compileall", "-q", str(REPO / "broadcast")], check=True)
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    wall: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory(prefix="bench-preview-") as scratch:
        env = isolated_env(Path(scratch), BROADCAST_NOW=NOW)
        for command in commands.values():  # warm: caches and the system's file cache
            run(command, env)
        for _ in range(runs):
            for name, command in commands.items():
                used, took = run(command, env)
                cpu[name].append(used)
                wall[name].append(took)
    print(f"{'':<46} {'CPU median':>10} {'min':>7} {'max':>7} {'wall median':>12}  (n={runs})")
    for name in commands:
        print(
            f"{name:<46} {statistics.median(cpu[name]) * 1000:8.0f} ms {min(cpu[name]) * 1000:5.0f}"
            f" ms {max(cpu[name]) * 1000:5.0f} ms {statistics.median(wall[name]) * 1000:9.0f} ms"
        )
    names = list(commands)
    preview = cpu[names[0]]
    for other in names[1:]:
        ratios = [a / b for a, b in zip(preview, cpu[other], strict=True)]
        print(
            f"preview / {other.split(':')[0]:<34} CPU ratio median {statistics.median(ratios):.2f}"
            f" (min {min(ratios):.2f}, max {max(ratios):.2f})"
        )


if __name__ == "__main__":
    main()
