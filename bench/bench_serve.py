"""Inbound requests handled per second by ``broadcast serve`` on this machine (SQLite ledger),
and its memory (RSS) at rest and under that load.

Run by hand from the repository root::

    python bench/bench_serve.py [requests] [clients] [numbers]
    # default 3,000 8 1,000

A throwaway folder gets a channels.yaml with ``serve:``, a ledger holding one incident sent by
SMS to ``numbers`` numbers (written through the Ledger, as a send records it), then a real
``broadcast serve`` process on 127.0.0.1. ``clients`` threads, each with its keep-alive
connection, post ``requests`` inbound SMS exactly as Twilio does (form fields, a signature by
the SDK's RequestValidator): from the known numbers in turn (each under its 10 a minute), a
mix of replies (a ledger write each: kept, sealed, classified), HELP (a ledger read and TwiML)
and STOP then START (a write each). Prints the requests per second, the answers by status
(all must be 200 or 204), and serve's RSS at rest, at its peak under load (sampled every
20 ms from /proc) and after.
"""

from __future__ import annotations

import http.client
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from isolated import isolated_env, rss_kib, start_serve  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from broadcast.ledger.key import new_key_text  # noqa: E402
from broadcast.ledger.sqlite import Ledger  # noqa: E402

PUBLIC_URL = "https://alerts.example.org"
TOKEN = "0123456789abcdef0123456789abcdef"
BODIES = ("Quand revient le courant ?", "AIDE", "Merci", "Is my street included?", "HELP")


def prepare(folder: Path, numbers: list[str], environ: dict[str, str]) -> None:
    (folder / "channels.yaml").write_text(
        f"organisation: Bench\nserve: {{public_url: {PUBLIC_URL}}}\n"
        "channels:\n  banner: {type: web_banner, output_dir: public}\n",
        encoding="utf-8",
    )
    ledger = Ledger(folder / ".broadcast", environ=environ)
    start = datetime.now(UTC) - timedelta(minutes=5)
    version = ledger.add_version(
        "bench",
        "h1",
        "update",
        "investigating",
        start,
        None,
        ["sms"],
        [("sms", "fr", "text", "Bench : coupure de courant."), ("sms", "en", "text", "Power cut.")],
    )
    for n, number in enumerate(numbers):
        delivery, _ = ledger.claim(version.id, "sms", number, n + 2, "", "fr" if n % 2 else "en")
        ledger.mark_outcome(delivery, "sent", f"SM{n:032x}")
    ledger.close()


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    numbers = [f"+336{10000000 + n:08d}" for n in range(count)]
    validator = RequestValidator(TOKEN)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        environ = isolated_env(folder, BROADCAST_KEY=new_key_text(), TWILIO_AUTH_TOKEN=TOKEN)
        prepare(folder, numbers, environ)
        process, port = start_serve(folder, environ)
        try:
            time.sleep(1.0)
            at_rest = rss_kib(process.pid)
            peak = [at_rest]
            done = threading.Event()

            def sample() -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], rss_kib(process.pid))
                    time.sleep(0.02)

            statuses: Counter[int] = Counter()
            lock = threading.Lock()
            sequence = iter(range(total))

            def client() -> None:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                while True:
                    with lock:
                        n = next(sequence, None)
                    if n is None:
                        break
                    number = numbers[n % count]
                    body = ("STOP", "START")[n // count % 2] if n % 10 == 9 else BODIES[n % 5]
                    form = {
                        "MessageSid": f"SM{n:032x}",
                        "From": number,
                        "To": "+15005550006",
                        "Body": body,
                        "NumMedia": "0",
                    }
                    signature = validator.compute_signature(PUBLIC_URL + "/twilio/sms", form)
                    connection.request(
                        "POST",
                        "/twilio/sms",
                        body=urlencode(form),
                        headers={
                            "Content-Type": "application/x-www-form-urlencoded",
                            "X-Twilio-Signature": signature,
                        },
                    )
                    response = connection.getresponse()
                    response.read()
                    with lock:
                        statuses[response.status] += 1
                connection.close()

            sampler = threading.Thread(target=sample)
            sampler.start()
            threads = [threading.Thread(target=client) for _ in range(clients)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            done.set()
            sampler.join()
            time.sleep(1.0)
            after = rss_kib(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=30)
    print(
        f"{total} inbound SMS, {clients} clients, {count} numbers: {elapsed:.2f} s, "
        f"{total / elapsed:.0f} requests/s; answers {dict(sorted(statuses.items()))}"
    )
    print(
        f"serve RSS: at rest {at_rest / 1024:.1f} MiB, peak under load "
        f"{peak[0] / 1024:.1f} MiB, after {after / 1024:.1f} MiB; exit code {code}"
    )


if __name__ == "__main__":
    main()
