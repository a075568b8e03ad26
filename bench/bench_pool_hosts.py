"""A pool of senders shared by hosts on one PostgreSQL ledger: parts a second against the
pool's sum, one host against two, a git revision and this tree side by side.

Run by hand from the repository root, as a user who may run PostgreSQL's server (it starts a
throwaway cluster, as the tests do)::

    python bench/bench_pool_hosts.py                        # main against this tree
    python bench/bench_pool_hosts.py --before HEAD~2 --rate 40 --seconds 15 --rounds 2

Each round sends a one-segment text to ``5 x rate x seconds`` numbers with the real CLI
(``python -m broadcast send ... --yes --json``, 40 workers), through a pool of 5 numbers at
``rate`` parts/s each, to the Twilio peer running in this process and enforcing each sender's
rate (429 above it): by one process, then by two at once (each its own state folder and host
name, one ledger), from the revision's tree (``git archive``) and from this one in turn, so
both meet the same load. It reports parts a second once warm (after the first 2 s, to the
last 2 s: the end, where one host has finished, is left out), against the sum; the busiest
second of any sender; the 429s; and the sending processes' CPU seconds per wall second (near
the machine's cores: the CPU is the limit, not the mechanism). Keep the sum under what this
machine sends unpaced (``bench/bench_sender_pools.py``) to see the mechanism's own loss.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from broadcast.ledger.key import new_key_text  # noqa: E402
from tests.conftest import NOW, write  # noqa: E402
from tests.peers.twilio_api import TwilioAPIServer  # noqa: E402
from tests.postgres_server import new_database, throwaway_cluster  # noqa: E402
from tests.test_sender_pools import Folder, channels_yaml, numbers, pool  # noqa: E402
from tests.world import SECRETS  # noqa: E402

SENDERS = [f"+337000{i:05d}" for i in range(1, 6)]


def send(tree: Path, hosts: int, rate: int, seconds: int, cluster: str) -> dict[str, float]:
    peer = TwilioAPIServer(magic_numbers=False)
    for sender in SENDERS:
        peer.set_sender_rate(sender, rate)
    peer.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            spec = pool(*((s, f"{rate}/s") for s in SENDERS))
            Folder(root, peer.url, spec, numbers(len(SENDERS) * rate * seconds), short=True)
            write(
                root / "channels.yaml",
                channels_yaml(peer.url, spec).replace("concurrency: 10", "concurrency: 40"),
            )
            shared = {
                **{k: v for k, v in os.environ.items() if not k.startswith("BROADCAST_")},
                **SECRETS,
                "PYTHONPATH": str(tree),
                "BROADCAST_NOW": NOW.isoformat(),
                "BROADCAST_CONFIG": "",
                "BROADCAST_LEDGER": new_database(cluster),
                "BROADCAST_KEY": new_key_text(),
            }
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.monotonic()
            runs = [
                subprocess.Popen(
                    [sys.executable, "-m", "broadcast", "send", "incident.yaml", "--yes", "--json"],
                    cwd=root,
                    env={
                        **shared,
                        "BROADCAST_HOST": f"host-{n}",
                        "BROADCAST_STATE": str(root / f"state-{n}"),
                        **{
                            name: str(root / f"{name.lower()}-{n}")
                            for name in ("HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME")
                        },
                    },
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for n in range(hosts)
            ]
            codes = [run.wait(timeout=3600) for run in runs]
            wall = time.monotonic() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    finally:
        peer.stop()
    arrivals = sorted(t for s in SENDERS for t, _ in peer.sender_log.get(s, ()))
    warm = [t for t in arrivals if arrivals[0] + 2 <= t <= arrivals[-1] - 2]
    reached = len(warm) / (warm[-1] - warm[0]) if len(warm) > 1 else 0.0
    return {
        "exit": max(codes),
        "parts_per_s": reached,
        "share": reached / (len(SENDERS) * rate),
        "busiest": max(peer.busiest_second(s) for s in SENDERS),
        "refused_429": peer.over_rate,
        "cpu_per_s": cpu / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", default="main", help="the git revision to compare with")
    parser.add_argument("--rate", type=int, default=40, help="parts a second of each sender")
    parser.add_argument("--seconds", type=int, default=15, help="the send's length at the sum")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--hosts", default="1,2")
    args = parser.parse_args()
    archive = subprocess.run(
        ["git", "archive", args.before], cwd=REPO, capture_output=True, check=True
    ).stdout
    with tempfile.TemporaryDirectory() as old, throwaway_cluster() as cluster:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(old, filter="data")
        print(f"pool of 5 x {args.rate}/s (sum {5 * args.rate}/s), PostgreSQL ledger")
        print("tree     hosts  parts/s  of sum  busiest s  429  CPU s/s  exit")
        for _ in range(args.rounds):
            for hosts in (int(h) for h in args.hosts.split(",")):
                for name, tree in ((args.before, Path(old)), ("this", REPO)):
                    r = send(tree, hosts, args.rate, args.seconds, cluster)
                    print(
                        f"{name:<8} {hosts:>5}  {r['parts_per_s']:>7.0f}  {r['share']:>6.1%}  "
                        f"{r['busiest']:>9}  {r['refused_429']:>3}  {r['cpu_per_s']:>7.2f}  "
                        f"{r['exit']:>4}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
