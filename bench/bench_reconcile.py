"""What reading delivery receipts costs: requests and seconds to reconcile 10,000 SMS.

Run by hand from the repository root::

    python bench/bench_reconcile.py                 # 10,000 deliveries, peer answering in 50 ms
    python bench/bench_reconcile.py --count 2000 --latency 0

Everything runs on 127.0.0.1 against the local Twilio peer (``tests.peers.twilio_api``), in
this process; the product runs as ``python -m broadcast`` in a child process. A temporary
folder gets a channels.yaml pointing at the peer, a contacts CSV of distinct French mobile
numbers and the example incident. The SMS are sent first (peer answering at once, not
counted), with 2 % of the numbers ending undelivered (30003); then the peer's latency is set
and ``broadcast reconcile`` is timed: wall-clock seconds of the child process, and the
requests the peer received (``GET .../Messages/{Sid}.json``, one per delivery). A second
reconcile shows the cost once everything is final. Nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from isolated import isolated_env  # noqa: E402

from tests.peers.twilio_api import (  # noqa: E402
    MAGIC_VALID_FROM,
    TwilioAPIServer,
)

NOW = "2026-11-22T08:40:00+00:00"
UNDELIVERED_EVERY = 50  # 2 % of the numbers


def run(folder: Path, *args: str) -> tuple[float, int, dict]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "broadcast", *args, "--json"],
        cwd=folder,
        env=isolated_env(folder, BROADCAST_NOW=NOW),
        capture_output=True,
        text=True,
        timeout=3600,
    )
    seconds = time.perf_counter() - started
    if done.stderr.strip():
        print(done.stderr, file=sys.stderr)
    return seconds, done.returncode, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.05, help="peer answer time, s")
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-reconcile-"))
    numbers = [f"+336{i:08d}" for i in range(10_000_000, 10_000_000 + options.count)]
    try:
        with TwilioAPIServer(deliver_after=0.0) as peer:
            peer.mark_undelivered(*numbers[::UNDELIVERED_EVERY], code=30003)
            (folder / "contacts.csv").write_text(
                "name,phone\n" + "".join(f"N{i},{n}\n" for i, n in enumerate(numbers))
            )
            shutil.copyfile(REPO / "examples" / "panne-nord.yaml", folder / "incident.yaml")
            (folder / "channels.yaml").write_text(
                "organisation: Énergie Nord\n"
                "defaults: {locale: fr, timezone: Europe/Paris}\n"
                "channels:\n"
                "  sms:\n"
                "    type: sms\n"
                f'    from: "{MAGIC_VALID_FROM}"\n'
                "    recipients: contacts.csv\n"
                "    rate: unlimited\n"
                "    concurrency: 16\n"
                '    account_sid: "${TWILIO_ACCOUNT_SID}"\n'
                '    auth_token: "${TWILIO_AUTH_TOKEN}"\n'
                f"    api_base_url: {peer.url}\n"
            )
            seconds, code, doc = run(folder, "send", "incident.yaml", "--yes")
            print(f"sent {doc['sent']} SMS in {seconds:.1f} s (exit {code}; not counted)")

            peer.latency = options.latency
            before = len(peer.requests())
            seconds, code, doc = run(folder, "reconcile", "incident.yaml")
            requests = len(peer.requests()) - before
            print(
                f"reconcile {options.count} deliveries, peer latency {options.latency * 1000:g}"
                f" ms: {seconds:.1f} s, {requests} requests "
                f"({requests / options.count:.2f} per delivery, "
                f"{options.count / seconds:.0f} deliveries/s), exit {code}; "
                f"delivered {doc['delivered']}, undelivered {doc['undelivered']}"
            )
            before = len(peer.requests())
            seconds, code, doc = run(folder, "reconcile", "incident.yaml")
            print(
                f"again, all final: {seconds:.1f} s, {len(peer.requests()) - before} requests, "
                f"exit {code}"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
