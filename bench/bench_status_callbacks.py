"""What ``broadcast serve`` takes of status callbacks: callbacks handled a second, on SQLite
and on PostgreSQL, and the memory of the process at rest and under that load.

Run by hand from the repository root::

    python bench/bench_status_callbacks.py                   # 2,000 SMS, both engines
    python bench/bench_status_callbacks.py --count 5000 --engine sqlite

Everything runs on 127.0.0.1. A temporary folder gets a channels.yaml with ``serve:`` and an
SMS channel pointing at the local Twilio peer (``tests.peers.twilio_api``), a contacts CSV of
distinct French mobile numbers and the example incident; ``broadcast send`` hands them over
(not counted: the peer does not post callbacks here). Then ``python -m broadcast serve`` starts
in a child process and ``--clients`` threads post, as Twilio does (form-encoded, signed with
the auth token over the public URL), each message's three callbacks (queued, sent, delivered)
over kept-alive connections: callbacks a second is their number over the wall-clock time
from the first post to the last answer. RSS is the child's ``VmRSS`` once ``/healthz``
answers (at rest) and the highest seen every 20 ms under load (``VmHWM`` agrees). For
PostgreSQL a throwaway cluster is started (``tests.postgres_server``). Nothing is written into
the repository.
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from isolated import isolated_env, rss_kib, start_serve  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from broadcast.ledger.key import new_key_text  # noqa: E402
from tests.peers.twilio_api import (  # noqa: E402
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    MAGIC_VALID_FROM,
    TwilioAPIServer,
)
from tests.peers.twilio_callbacks import message_steps  # noqa: E402

NOW = "2026-11-22T08:40:00+00:00"
PUBLIC_URL = "https://alerts.example.org"
STATUS = "/twilio/status"


def environment(engine: dict[str, str], folder: Path) -> dict[str, str]:
    return isolated_env(folder, BROADCAST_NOW=NOW, **engine)


@contextmanager
def postgres() -> Iterator[dict[str, str]]:
    from tests.postgres_server import new_database, throwaway_cluster

    with throwaway_cluster() as cluster:
        yield {"BROADCAST_LEDGER": new_database(cluster), "BROADCAST_KEY": new_key_text()}


def prepare(folder: Path, peer: TwilioAPIServer, count: int, env: dict[str, str]) -> None:
    numbers = [f"+336{i:08d}" for i in range(10_000_000, 10_000_000 + count)]
    (folder / "contacts.csv").write_text(
        "name,phone\n" + "".join(f"N{i},{n}\n" for i, n in enumerate(numbers))
    )
    shutil.copyfile(REPO / "examples" / "panne-nord.yaml", folder / "incident.yaml")
    (folder / "channels.yaml").write_text(
        f"""\
organisation: Énergie Nord
defaults: {{locale: fr, timezone: Europe/Paris}}
serve: {{public_url: "{PUBLIC_URL}"}}
channels:
  sms:
    type: sms
    from: "{MAGIC_VALID_FROM}"
    recipients: contacts.csv
    default_region: FR
    rate: unlimited
    concurrency: 20
    account_sid: "${{TWILIO_ACCOUNT_SID}}"
    auth_token: "${{TWILIO_AUTH_TOKEN}}"
    api_base_url: {peer.url}
""",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "broadcast", "send", "incident.yaml", "--yes", "--json"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise SystemExit(f"the send failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")


def post_all(port: int, forms: list[dict[str, str]], clients: int) -> tuple[float, list[int]]:
    validator = RequestValidator(DEFAULT_AUTH_TOKEN)
    prepared = [
        (urlencode(f).encode(), validator.compute_signature(PUBLIC_URL + STATUS, f)) for f in forms
    ]
    statuses: list[int] = []
    lock = threading.Lock()

    def client(share: list[tuple[bytes, str]]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        seen = []
        for body, signature in share:
            connection.request(
                "POST",
                STATUS,
                body=body,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": signature,
                },
            )
            response = connection.getresponse()
            response.read()
            seen.append(response.status)
        connection.close()
        with lock:
            statuses.extend(seen)

    threads = [
        threading.Thread(target=client, args=(prepared[i::clients],)) for i in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, statuses


def measure(engine_name: str, count: int, clients: int) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix=f"bench-callbacks-{engine_name}-"))
    try:
        with postgres() if engine_name == "postgresql" else nullcontext({}) as engine:
            env = environment(engine, folder)
            with TwilioAPIServer(deliver_after=None) as peer:
                prepare(folder, peer, count, env)
                messages = peer.messages()
                forms = [
                    fields
                    for m in messages
                    for fields in message_steps(
                        m.sid, DEFAULT_ACCOUNT_SID, m.to, m.from_, ("delivered", None)
                    )
                ]
            server, port = start_serve(folder, env)
            try:
                time.sleep(1.0)
                at_rest = rss_kib(server.pid)
                peak = [at_rest]
                sampling = threading.Event()

                def sample() -> None:
                    while not sampling.wait(0.02):
                        peak[0] = max(peak[0], rss_kib(server.pid))

                sampler = threading.Thread(target=sample)
                sampler.start()
                seconds, statuses = post_all(port, forms, clients)
                sampling.set()
                sampler.join()
                high_water = rss_kib(server.pid, "VmHWM")
            finally:
                server.terminate()
                server.wait(30)
            delivered = verify(folder, env)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if set(statuses) != {204} or delivered != count:
        raise SystemExit(f"unexpected: statuses {set(statuses)}, {delivered}/{count} delivered")
    return {
        "callbacks": len(forms),
        "seconds": seconds,
        "per_second": len(forms) / seconds,
        "rss_rest_mib": at_rest / 1024,
        "rss_load_mib": max(peak[0], high_water) / 1024,
    }


def verify(folder: Path, env: dict[str, str]) -> int:
    import json

    done = subprocess.run(
        [sys.executable, "-m", "broadcast", "status", "incident.yaml", "--json"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return int(json.loads(done.stdout)["channels"]["sms"]["delivered"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="messages (3 callbacks each)")
    parser.add_argument("--clients", type=int, default=8, help="connections posting at once")
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    options = parser.parse_args()
    engines = ("sqlite", "postgresql") if options.engine == "both" else (options.engine,)
    for engine in engines:
        m = measure(engine, options.count, options.clients)
        print(
            f"{engine:10} {m['callbacks']:6d} callbacks in {m['seconds']:6.2f} s: "
            f"{m['per_second']:7.0f}/s; RSS at rest {m['rss_rest_mib']:.1f} MiB, "
            f"under load {m['rss_load_mib']:.1f} MiB"
        )


if __name__ == "__main__":
    main()
