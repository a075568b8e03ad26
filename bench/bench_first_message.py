"""Time to the first message: from ``broadcast send --yes`` starting to the first SMS at Twilio.

Run by hand from the repository root::

    python bench/bench_first_message.py                     # 1,000, 100,000 and 1,000,000
    python bench/bench_first_message.py --sizes 1000,100000 --runs 5
    git worktree add /tmp/before 321057a
    python bench/bench_first_message.py --sizes 1000000 --runs 9 --against /tmp/before

For each size, a contacts CSV of distinct valid French mobiles (written once, not timed), the
example incident, and a channels.yaml with one SMS channel pointing at the local Twilio peer
(``tests.peers.twilio_api``), run in its own process as in ``bench_sms.py``. Each run starts
``python -m broadcast send incident.yaml --channel sms --yes --json`` in a child process with a
fresh ledger, watches the peer's count of accepted messages, and stops the sender (SIGKILL)
once the first one arrived: the figures are the wall time from starting the child to that
arrival, and the CPU time the child had used by then (less moved by a busy machine). The
child is a real process start (imports included), as cron starts it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_sms import (  # noqa: E402
    NOW,
    REPO,
    PeerProcess,
    running_peer,
    write_contacts,
    write_project,
)
from isolated import HOME_FOLDERS, isolated_env  # noqa: E402

TIMEOUT = 120.0
POLL = 0.002


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_message(folder: Path, peer: PeerProcess, checkout: Path = REPO) -> tuple[float, float]:
    """Wall seconds from starting ``broadcast send`` (the package of ``checkout``) to the peer
    accepting its first message, and the CPU seconds the sender had used by then (the
    machine's load moves it less)."""
    shutil.rmtree(folder / ".broadcast", ignore_errors=True)
    # The machine's record of incidents goes with the ledger: kept, it would say this fresh
    # ledger lost the incident the previous run sent, and the send would refuse to start.
    shutil.rmtree(folder / HOME_FOLDERS["XDG_STATE_HOME"], ignore_errors=True)
    env = isolated_env(
        folder, checkout, BROADCAST_NOW=NOW, BROADCAST_STATE=str(folder / ".broadcast")
    )
    command = [sys.executable, "-m", "broadcast", "send", "incident.yaml"]
    command += ["--config", "channels.yaml", "--channel", "sms", "--yes", "--json"]
    before = peer.accepted.value
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        while peer.accepted.value == before:
            if process.poll() is not None:
                said = process.stdout.read()[:3000] if process.stdout else b""
                raise RuntimeError(f"send ended before its first message: {said!r}")
            if time.perf_counter() - start > TIMEOUT:
                raise TimeoutError(f"no message after {TIMEOUT:.0f} s")
            time.sleep(POLL)
        return time.perf_counter() - start, cpu_seconds(process.pid)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        settle(peer)


def settle(peer: PeerProcess, quiet: float = 0.3) -> None:
    """Wait until the peer has taken no message for ``quiet`` seconds: a request the killed
    sender had in flight, arriving during the next run, would be taken for that run's first."""
    seen = peer.accepted.value
    while True:
        time.sleep(quiet)
        if peer.accepted.value == seen:
            return
        seen = peer.accepted.value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--against",
        type=Path,
        help="another checkout (e.g. a git worktree of an earlier commit), run in turn with "
        "this one, run by run, on the same lists and peer",
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    checkouts = {"this": REPO}
    if args.against is not None:
        checkouts["against"] = args.against.resolve()
    # As pip install leaves it: under PYTHONDONTWRITEBYTECODE a checkout would otherwise compile
    # every module of broadcast from source at each start (about 0.3 s here).
    for checkout in checkouts.values():
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(checkout / "broadcast")], check=True
        )
    with tempfile.TemporaryDirectory(prefix="bench-first-") as scratch:
        root = Path(scratch)
        with running_peer(0.0, root) as peer:
            print(
                f"{'recipients':>12}  {'checkout':>8}  {'wall median':>11}  {'min':>7}  "
                f"{'max':>7}  {'CPU median':>10}  runs"
            )
            for size in sizes:
                contacts = root / f"contacts-{size}.csv"
                write_contacts(contacts, size)
                folder = write_project(root / f"send-{size}", peer.url, contacts, "unlimited", 10)
                # In turn, run by run: a machine whose speed drifts moves both alike.
                measured: dict[str, list[tuple[float, float]]] = {name: [] for name in checkouts}
                for _ in range(args.runs):
                    for name, checkout in checkouts.items():
                        measured[name].append(first_message(folder, peer, checkout))
                for name, runs in measured.items():
                    times = [wall for wall, _ in runs]
                    cpu = statistics.median(used for _, used in runs)
                    print(
                        f"{size:>12,}  {name:>8}  {statistics.median(times):>10.2f}s  "
                        f"{min(times):>6.2f}s  {max(times):>6.2f}s  {cpu:>9.2f}s  {args.runs}",
                        flush=True,
                    )
                if len(measured) == 2:
                    ratios = [
                        this[0] / other[0]
                        for this, other in zip(measured["this"], measured["against"], strict=True)
                    ]
                    print(
                        f"{'':>12}  this/against wall, median of the run-by-run ratios: "
                        f"{statistics.median(ratios):.3f}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
