"""Start-up of ``broadcast preview``: CPU time against its import floor and against Apprise.

Run by hand from the repository root (Apprise installed for the comparison)::

    python bench/bench_preview.py [runs] [--against TREE]

Every figure is a whole new process, as cron or a person at a terminal starts it, timed from
outside: its user + system CPU seconds (``os.wait4``) and its wall time. The commands are run
in turn (A, floor, Apprise, A, floor, Apprise...) so that a machine whose speed drifts moves
them alike, and each ratio is taken run by run, then its median printed:

- ``broadcast preview examples/panne-nord.yaml`` (the shipped example: 4 channels, 2 languages);
- the floor: ``python -c "import yaml, jinja2, typer, rich.console"``, the libraries any such
  command-line tool starts with;
- Apprise's ``--dry-run`` of two URLs (an SMS through Twilio and an email), the nearest tool
  that does the same job: read its configuration, build every message, send nothing.

``--against TREE`` (a checkout of another commit, e.g. ``git worktree add /tmp/before main``)
runs TREE's preview of the same example in turn too, and gives the ratio run by run: a change's
cost side by side on the same machine's moments.

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


def run(command: list[str], env: dict[str, str], cwd: Path = REPO) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run of ``command`` in ``cwd`` to its end."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env={**env, "PYTHONPATH": str(cwd)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise RuntimeError(f"{command} failed")
    return usage.ru_utime + usage.ru_stime, wall


def main() -> None:
    arguments = sys.argv[1:]
    against = None
    if "--against" in arguments:
        at = arguments.index("--against")
        against = Path(arguments[at + 1]).resolve()
        del arguments[at : at + 2]
    runs = int(arguments[0]) if arguments else 20
    python = sys.executable
    preview = [python, "-m", "broadcast", "preview", "examples/panne-nord.yaml"]
    commands = {"broadcast preview examples/panne-nord.yaml": preview}
    places = {name: REPO for name in commands}
    if against is not None:
        name = f"the same, {against}"[:46]
        commands[name], places[name] = preview, against
        subprocess.run([python, "-m", "compileall", "-q", str(against / "broadcast")], check=True)
    commands[f'floor: python -c "{FLOOR}"'] = [python, "-c", FLOOR]
    apprise = shutil.which("apprise", path=str(Path(python).parent)) or shutil.which("apprise")
    if apprise:
        commands["apprise --dry-run, two URLs"] = [apprise, "--dry-run", "-b", "test", *TWO_URLS]
    else:
        print("apprise is not installed (pip install apprise): no comparison with it")
    places = {name: places.get(name, REPO) for name in commands}
    subprocess.run([python, "-m", "compileall", "-q", str(REPO / "broadcast")], check=True)
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    wall: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory(prefix="bench-preview-") as scratch:
        env = isolated_env(Path(scratch), BROADCAST_NOW=NOW)
        for name, command in commands.items():  # warm: caches and the system's file cache
            run(command, env, places[name])
        for _ in range(runs):
            for name, command in commands.items():
                used, took = run(command, env, places[name])
                cpu[name].append(used)
                wall[name].append(took)
    print(f"{'':<46} {'CPU median':>10} {'min':>7} {'max':>7} {'wall median':>12}  (n={runs})")
    for name in commands:
        print(
            f"{name:<46} {statistics.median(cpu[name]) * 1000:8.0f} ms {min(cpu[name]) * 1000:5.0f}"
            f" ms {max(cpu[name]) * 1000:5.0f} ms {statistics.median(wall[name]) * 1000:9.0f} ms"
        )
    names = list(commands)
    ours = cpu[names[0]]
    for other in names[1:]:
        ratios = [a / b for a, b in zip(ours, cpu[other], strict=True)]
        print(
            f"preview / {other.split(':')[0]:<34} CPU ratio median {statistics.median(ratios):.2f}"
            f" (min {min(ratios):.2f}, max {max(ratios):.2f})"
        )


if __name__ == "__main__":
    main()
