"""The send path before and after a change, side by side in one run: parts a second and the
sending process's CPU per delivery, unpaced and through a pool of 5 senders at 100/s.

Run by hand from the repository root (about a minute and a half with the defaults)::

    python bench/bench_send_path.py                 # main against this tree
    python bench/bench_send_path.py --before HEAD~3 --count 5000 --rounds 2

``--before`` is any git revision: its tree is exported (``git archive``) to a temporary
folder and each round sends with the real CLI (``python -m broadcast send ... --yes --json``
in a child process, SQLite ledger, 40 workers) from it and from this tree in turn, to the
Twilio peer running in this process, so both meet the same load of the machine. It reports
parts a second once warm (after the first 2 s, from the peer's arrival times), the sending
process's CPU milliseconds per delivery (start-up included) and CPU seconds per wall second,
and, paced, the busiest second of any sender and the peer's 429s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_sender_pools import warm_rate  # noqa: E402
from isolated import isolated_env, run_measured  # noqa: E402

from tests.conftest import NOW, write  # noqa: E402
from tests.peers.twilio_api import TwilioAPIServer  # noqa: E402
from tests.test_sender_pools import Folder, channels_yaml, numbers, pool  # noqa: E402

SENDERS = [f"+337000{i:05d}" for i in range(1, 6)]


def send(tree: Path, count: int, rate: str) -> dict[str, float]:
    peer = TwilioAPIServer(magic_numbers=False)
    if rate == "100/s":
        for sender in SENDERS:
            peer.set_sender_rate(sender, 100)
    peer.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            spec = pool(*((s, rate) for s in SENDERS))
            Folder(root, peer.url, spec, numbers(count), short=True)
            write(
                root / "channels.yaml",
                channels_yaml(peer.url, spec).replace("concurrency: 10", "concurrency: 40"),
            )
            done, wall, cpu = run_measured(
                [sys.executable, "-m", "broadcast", "send", "incident.yaml", "--yes", "--json"],
                root,
                isolated_env(
                    root, tree, BROADCAST_NOW=NOW.isoformat(), BROADCAST_STATE=str(root / "state")
                ),
            )
    finally:
        peer.stop()
    arrivals = sorted(t for s in SENDERS for t, _ in peer.sender_log.get(s, ()))
    return {
        "exit": done.returncode,
        "parts_per_s": warm_rate(arrivals),
        "cpu_ms": 1000 * cpu / count,
        "cpu_per_s": cpu / wall,
        "busiest": max(peer.busiest_second(s) for s in SENDERS),
        "refused_429": peer.over_rate,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", default="main", help="the git revision to compare with")
    parser.add_argument("--count", type=int, default=7500, help="recipients a send")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    archive = subprocess.run(
        ["git", "archive", args.before], cwd=REPO, capture_output=True, check=True
    ).stdout
    with tempfile.TemporaryDirectory() as old:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(old, filter="data")
        print("tree    pool          parts/s  CPU ms/delivery  CPU s/s  busiest s  429  exit")
        for _ in range(args.rounds):
            for rate in ("100000/s", "100/s"):
                for name, tree in ((args.before, Path(old)), ("this", REPO)):
                    r = send(tree, args.count, rate)
                    print(
                        f"{name:<7} 5 x {rate:<9} {r['parts_per_s']:>7.0f}  "
                        f"{r['cpu_ms']:>15.2f}  {r['cpu_per_s']:>7.2f}  {r['busiest']:>9}  "
                        f"{r['refused_429']:>3}  {r['exit']:>4}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
