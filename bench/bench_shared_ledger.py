"""Hosts sharing a PostgreSQL ledger: throughput of two against one, and ledger bytes per delivery.

Run by hand from the repository root, as root or as a user who may run PostgreSQL's server
(it starts a throwaway cluster, as the tests do)::

    python bench/bench_shared_ledger.py [recipients]   # default 4,000

1. **Two hosts against one.** ``broadcast send --yes`` of one SMS to ``recipients`` numbers at an
   unlimited rate, to the local Twilio peer (``tests.peers.twilio_api``, in its own process):
   by one process with the SQLite ledger, by one process with a PostgreSQL ledger, then by two
   processes at once (each its own state folder and host name, one ledger). Messages per
   second from the first process's start to the last one's end. One machine stands in for two
   hosts here, so the figure says what the ledger's claims cost and allow, not what two real
   machines would reach.
2. **Bytes per delivery.** ``recipients`` deliveries recorded as a send records them (pending,
   sending, sent with a provider id) in an SQLite ledger and a PostgreSQL one; the growth of
   the file (after a checkpoint) and of the database's relations (tables, indexes, TOAST),
   divided by the number of deliveries.
3. **Claims per second.** ``recipients`` deliveries written pending and taken by one run in
   batches of 1,000 (``claim_batch`` then ``take``: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL),
   as a streamed send on a shared ledger does before handing them to its workers.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from isolated import isolated_env  # noqa: E402

from broadcast.ledger.key import new_key_text  # noqa: E402
from broadcast.ledger.sqlite import Contact, Ledger  # noqa: E402
from tests.peers import twilio_api  # noqa: E402
from tests.postgres_server import new_database, throwaway_cluster  # noqa: E402

CHANNELS = """\
organisation: Énergie Nord
defaults: {{locale: fr, timezone: Europe/Paris}}
channels:
  sms:
    type: sms
    from: "+15005550006"
    recipients: many.csv
    default_region: FR
    rate: unlimited
    account_sid: "${{TWILIO_ACCOUNT_SID}}"
    auth_token: "${{TWILIO_AUTH_TOKEN}}"
    api_base_url: {url}
"""


def _peer(ready: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    with twilio_api.TwilioAPIServer() as server:
        ready.put(server.url)
        stop.wait()


def _send_with(hosts: int, recipients: int, cluster: str | None, url: str) -> float:
    """Messages per second of ``hosts`` processes sending one list together (``cluster``
    None: one process with the SQLite ledger, for comparison)."""
    folder = Path(tempfile.mkdtemp(prefix="broadcast-bench-"))
    numbers = [f"+336{20000000 + i:08d}" for i in range(recipients)]
    (folder / "many.csv").write_text("phone\n" + "\n".join(numbers) + "\n", encoding="utf-8")
    (folder / "channels.yaml").write_text(CHANNELS.format(url=url), encoding="utf-8")
    (folder / "incident.yaml").write_text(
        (REPO / "examples" / "panne-nord.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    # One machine: the hosts share its registry of incidents (the benchmark's own).
    shared = isolated_env(
        folder,
        BROADCAST_NOW="2026-11-22T08:40:00+00:00",
        BROADCAST_KEY=new_key_text(),
        **({"BROADCAST_LEDGER": new_database(cluster)} if cluster else {}),
    )
    start = time.perf_counter()
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "broadcast", "send", "incident.yaml", "--yes", "--json"],
            cwd=folder,
            env={**shared, "BROADCAST_HOST": f"host-{n}", "BROADCAST_STATE": str(folder / str(n))},
            stdout=subprocess.DEVNULL,
        )
        for n in range(hosts)
    ]
    codes = [run.wait() for run in runs]
    elapsed = time.perf_counter() - start
    assert codes == [0] * hosts, codes
    return recipients / elapsed


def _record(ledger: Ledger, count: int) -> None:
    version = ledger.add_version(
        "bench",
        "h",
        "update",
        "investigating",
        datetime.now(UTC),
        None,
        ["sms"],
        [("sms", "fr", "text", "Coupure de courant.")],
    )
    for n in range(count):
        delivery, _ = ledger.claim(version.id, "sms", f"+336{30000000 + n:08d}", n + 2)
        if ledger.shared:
            ledger.take([delivery])
        ledger.mark_sending(delivery)
        ledger.mark_outcome(delivery, "sent", provider_id=f"SM{n:032x}")


def _sqlite_bytes(count: int) -> float:
    folder = Path(tempfile.mkdtemp(prefix="broadcast-bench-"))
    environ = {"BROADCAST_KEY": new_key_text()}
    ledger = Ledger(folder, environ=environ)
    ledger.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    empty = ledger.path.stat().st_size
    _record(ledger, count)
    ledger.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    grown = ledger.path.stat().st_size - empty
    ledger.close()
    return grown / count


def _postgres_bytes(cluster: str, count: int) -> float:
    ledger = Ledger(
        Path(tempfile.mkdtemp()),
        environ={"BROADCAST_KEY": new_key_text()},
        address=new_database(cluster),
    )
    size = (
        "SELECT sum(pg_total_relation_size(oid)) FROM pg_class WHERE relkind = 'r'"
        " AND relnamespace = 'public'::regnamespace"
    )
    ledger.db.execute("VACUUM")
    empty = int(ledger.db.execute(size).fetchone()[0])
    _record(ledger, count)
    ledger.db.execute("VACUUM")
    grown = int(ledger.db.execute(size).fetchone()[0]) - empty
    ledger.close()
    return grown / count


def _claims_per_second(ledger: Ledger, count: int) -> float:
    version = ledger.add_version(
        "claims", "h", "update", "investigating", datetime.now(UTC), None, ["sms"], []
    )
    contacts = [Contact(f"+336{50000000 + n:08d}", "", None, n + 2) for n in range(count)]
    start = time.perf_counter()
    for first in range(0, count, 1000):
        claims = ledger.claim_batch(version.id, "sms", contacts[first : first + 1000])
        taken = ledger.take([delivery for delivery, _ in claims])
        assert len(taken) == len(claims)
    return count / (time.perf_counter() - start)


def main() -> None:
    recipients = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
    ready: multiprocessing.Queue = multiprocessing.Queue()
    stop = multiprocessing.Event()
    peer = multiprocessing.Process(target=_peer, args=(ready, stop), daemon=True)
    peer.start()
    url = ready.get(timeout=30)
    try:
        with throwaway_cluster() as cluster:
            alone = _send_with(1, recipients, None, url)
            one = _send_with(1, recipients, cluster, url)
            two = _send_with(2, recipients, cluster, url)
            print(f"{recipients} SMS, unlimited rate, one machine:")
            print(f"  SQLite     {alone:8.0f} messages/s")
            print(f"  one host   {one:8.0f} messages/s")
            print(f"  two hosts  {two:8.0f} messages/s  ({two / one:.2f}x)")
            print(f"ledger bytes per delivery ({recipients} deliveries, sent, with provider id):")
            print(f"  SQLite      {_sqlite_bytes(recipients):6.0f}")
            print(f"  PostgreSQL  {_postgres_bytes(cluster, recipients):6.0f}")
            key = {"BROADCAST_KEY": new_key_text()}
            sqlite = Ledger(Path(tempfile.mkdtemp()), environ=key)
            shared = Ledger(Path(tempfile.mkdtemp()), environ=key, address=new_database(cluster))
            print(f"claims per second ({recipients} deliveries, batches of 1,000):")
            print(f"  SQLite      {_claims_per_second(sqlite, recipients):8.0f}")
            print(f"  PostgreSQL  {_claims_per_second(shared, recipients):8.0f}")
            sqlite.close()
            shared.close()
    finally:
        stop.set()
        peer.join(timeout=10)


if __name__ == "__main__":
    main()
