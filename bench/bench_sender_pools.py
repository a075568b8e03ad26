"""Sender pools against the local Twilio peer: parts per second against the pool's sum, at 1,
5 and 10 senders of 100 parts/s each, and where the limit is (our CPU or the peer's).

Run by hand from the repository root (about a minute per size with the defaults)::

    python bench/bench_sender_pools.py
    python bench/bench_sender_pools.py --sizes 1,5 --seconds 10

Each size sends a one-segment text to ``senders x 100 x seconds`` distinct numbers with the
real CLI (``python -m broadcast send ... --yes --json`` in a child process) through a pool of
``senders`` numbers at ``100/s`` each, on a SQLite ledger, to the Twilio peer running in this
process and enforcing each sender's rate (429 above it). It reports, from the peer's arrival
times: parts a second once warm (after the first 2 s), against the sum; the busiest second of
any sender; the 429s; and the CPU seconds the sending process and the peer spent per wall
second: a sending process near 1.0 is bound by its own CPU (one Python process: the GIL).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from isolated import isolated_env, run_measured  # noqa: E402

from tests.conftest import NOW, write  # noqa: E402
from tests.peers.twilio_api import TwilioAPIServer  # noqa: E402
from tests.test_sender_pools import Folder, channels_yaml, numbers, pool  # noqa: E402

RATE = 100  # parts a second per sender (a short code)
CONCURRENCY = 40  # workers of the channel: enough requests in flight for 1,000/s at ~10 ms


def warm_rate(arrivals: list[float]) -> float:
    """Parts a second at the peer once warm: after the first 2 s of ``arrivals`` (sorted)."""
    warm = [t for t in arrivals if t >= arrivals[0] + 2] if arrivals else []
    return len(warm) / (warm[-1] - warm[0]) if len(warm) > 1 else 0.0


def run(size: int, seconds: int) -> dict[str, float]:
    senders = [f"+337000{i:05d}" for i in range(1, size + 1)]
    peer = TwilioAPIServer(magic_numbers=False)
    for sender in senders:
        peer.set_sender_rate(sender, RATE)
    peer.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            count = size * RATE * seconds
            spec = pool(*((s, f"{RATE}/s") for s in senders))
            Folder(root, peer.url, spec, numbers(count), short=True)
            write(
                root / "channels.yaml",
                channels_yaml(peer.url, spec).replace(
                    "concurrency: 10", f"concurrency: {CONCURRENCY}"
                ),
            )
            peer_cpu = time.process_time()
            done, wall, sender_cpu = run_measured(
                [sys.executable, "-m", "broadcast", "send", "incident.yaml", "--yes", "--json"],
                root,
                isolated_env(
                    root, BROADCAST_NOW=NOW.isoformat(), BROADCAST_STATE=str(root / "state")
                ),
            )
            peer_cpu = time.process_time() - peer_cpu
    finally:
        peer.stop()
    arrivals = sorted(t for s in senders for t, _ in peer.sender_log.get(s, ()))
    reached = warm_rate(arrivals)
    return {
        "senders": size,
        "sum": size * RATE,
        "exit": done.returncode,
        "said": done.stdout[-600:] if done.returncode else "",
        "accepted": len(arrivals),
        "parts_per_s": reached,
        "share_of_sum": reached / (size * RATE),
        "busiest_sender_second": max(peer.busiest_second(s) for s in senders),
        "refused_429": peer.over_rate,
        "sender_cpu_per_s": sender_cpu / wall,
        "peer_cpu_per_s": peer_cpu / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1,5,10")
    parser.add_argument("--seconds", type=int, default=20, help="the send's length at the sum")
    args = parser.parse_args()
    print("senders  sum/s  parts/s  of sum  busiest sender s  429  sender CPU/s  peer CPU/s")
    for size in (int(s) for s in args.sizes.split(",")):
        r = run(size, args.seconds)
        print(
            f"{r['senders']:>7}  {r['sum']:>5}  {r['parts_per_s']:>7.0f}  "
            f"{r['share_of_sum']:>6.0%}  {r['busiest_sender_second']:>16}  "
            f"{r['refused_429']:>3}  {r['sender_cpu_per_s']:>12.2f}  {r['peer_cpu_per_s']:>10.2f}"
            + ("" if r["exit"] == 0 else f"  (exit {r['exit']}: {r['said']})"),
            flush=True,
        )


if __name__ == "__main__":
    main()
