"""Emails per second through one SMTP connection kept open vs one connection per message.

Run by hand from the repository root: ``python bench/bench_email.py [count]`` (default 5,000).
Sends ``count`` messages with one ``EmailAdapter`` (one dispatch worker) to the local aiosmtpd
peer, once reusing the connection and once with ``reuse_connection=False`` (connect, EHLO,
QUIT per message), first over plain SMTP and then over STARTTLS with a login, where every new
connection also pays a TLS handshake and AUTH. Both modes run in the same process, against the
same server, in alternation, so machine noise hits them alike.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from broadcast.channels.base import DeliveryContext, Outgoing, Target  # noqa: E402
from broadcast.channels.email import EmailAdapter  # noqa: E402
from broadcast.input.config import EmailChannel  # noqa: E402
from tests.smtp_peer import PASSWORD, USERNAME, SmtpPeer, make_certificate  # noqa: E402

MESSAGE = Outgoing(
    channel="email",
    parts={
        "subject": "Coupure d'électricité à Lille — mise à jour",
        "text": "Bonjour,\n\nLe courant est coupé rue de Béthune depuis 9 h 10.\n" * 20,
        "html": "<p>Bonjour,</p>\n<p>Le courant est coupé rue de Béthune depuis 9 h 10.</p>\n" * 20,
    },
)
ROUNDS = 2  # each mode runs twice, alternating, and the better round counts


def send(
    peer: SmtpPeer, config: EmailChannel, credentials: dict[str, str], reuse: bool, count: int
) -> float:
    """Messages per second for ``count`` deliveries through one adapter."""
    context = DeliveryContext(config_folder=REPO, now=datetime.now(UTC))
    adapter = EmailAdapter("email", config, credentials, context, reuse_connection=reuse)
    before = peer.accepted
    start = time.perf_counter()
    for n in range(count):
        adapter.deliver(MESSAGE, Target(address=f"habitant{n}@example.org", name="Habitant"))
    adapter.close()
    elapsed = time.perf_counter() - start
    assert peer.accepted - before == count, "the server did not accept every message"
    return count / elapsed


def compare(
    label: str, peer: SmtpPeer, config: EmailChannel, credentials: dict[str, str], count: int
) -> None:
    rates: dict[bool, list[float]] = {True: [], False: []}
    connections_before = peer.connections
    for _ in range(ROUNDS):
        for reuse in (True, False):
            rates[reuse].append(send(peer, config, credentials, reuse, count))
    kept, fresh = max(rates[True]), max(rates[False])
    print(
        f"{label:<22} reused connection {kept:8.0f} msg/s   "
        f"connection per message {fresh:8.0f} msg/s   x{kept / fresh:4.1f}   "
        f"({peer.connections - connections_before} connections for {2 * ROUNDS * count} messages)"
    )


def channel(peer: SmtpPeer, **fields: object) -> EmailChannel:
    base = {
        "type": "email",
        "host": peer.host,
        "port": peer.port,
        "starttls": False,
        "from": "Service client <alertes@example.com>",
        "recipients": "examples/contacts.csv",
    }
    return EmailChannel.model_validate(base | fields)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    print(f"{count} messages per mode and round, one worker, best of {ROUNDS} rounds")
    with SmtpPeer(record=False) as peer:
        compare("plain SMTP", peer, channel(peer), {}, count)
    with tempfile.TemporaryDirectory() as folder:
        certificate = make_certificate(Path(folder))
        with SmtpPeer(
            tls="starttls", certificate=certificate, require_auth=True, record=False
        ) as peer:
            config = channel(peer, starttls=True, ca_file=str(certificate.cert_file))
            login = {"username": USERNAME, "password": PASSWORD}
            compare("STARTTLS + AUTH", peer, config, login, count)


if __name__ == "__main__":
    main()
