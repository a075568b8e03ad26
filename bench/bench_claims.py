"""Claims on a shared PostgreSQL ledger with and without the partial index on pending rows.

Run by hand from the repository root, as root or as a user who may run PostgreSQL's server
(it starts a throwaway cluster, as the tests do)::

    python bench/bench_claims.py [pending] [history] [batch] [claimers]
    # default 100,000 300,000 1,000 2

For each variant, side by side in one run: a fresh database with the ledger's schema
(migration 7 makes ``deliveries_pending``; the second variant drops it), ``history``
deliveries of earlier versions already sent (a ledger that has served a few incidents), then
one version whose ``pending`` deliveries are written in one statement, ``ANALYZE``. Then
``claimers`` runs (each its own connection, in its own thread) take batches of ``batch``
pending rows at once, as hosts sharing a list do::

    UPDATE deliveries SET state = 'sending', claimed_by = %s WHERE id IN (
        SELECT id FROM deliveries WHERE version_id = %s AND channel = 'sms'
        AND state = 'pending' LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING id

until none is left. Claimed rows leave ``pending`` as sent ones do, so a claim that scans the
table, or an index other than the partial one, reads past every row already done. The same
again with ``ORDER BY recipient_key`` in the subquery. Prints rows claimed per second (all
claimers together) and checks that every row was claimed exactly once.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from broadcast.ledger.key import new_key_text  # noqa: E402
from broadcast.ledger.sqlite import Ledger  # noqa: E402
from tests.postgres_server import new_database, throwaway_cluster  # noqa: E402

CLAIM = (
    "UPDATE deliveries SET state = 'sending', claimed_by = %s WHERE id IN ("
    " SELECT id FROM deliveries WHERE version_id = %s AND channel = 'sms'"
    " AND state = 'pending'{order} LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING id"
)
# The same claim in the index's order: the planner then walks an index instead of the table.
ORDERS = {"": "", "ordered by recipient_key": " ORDER BY recipient_key"}


def _ledger_with_pending(
    cluster: str, pending: int, history: int, indexed: bool
) -> tuple[str, int]:
    """A new database with the ledger's schema, ``history`` sent rows and ``pending`` rows;
    its address and the pending version's id."""
    address = new_database(cluster)
    ledger = Ledger(
        Path(tempfile.mkdtemp(prefix="broadcast-bench-")),
        environ={"BROADCAST_KEY": new_key_text()},
        address=address,
    )
    stamp = datetime.now(UTC).isoformat()
    if not indexed:
        ledger.db.execute("DROP INDEX deliveries_pending")
    # One statement each: the rows' contents do not matter to a claim, only their number.
    for rows, state in ((history, "sent"), (pending, "pending")):
        version = ledger.add_version(
            f"claims-{state}", "h", "update", "investigating", stamp_now(), None, ["sms"], []
        )
        ledger.db.execute(
            "INSERT INTO deliveries (version_id, channel, recipient_key, recipient_hint, line,"
            " state, created_at, updated_at, recipient_sealed)"
            " SELECT ?, 'sms', md5(n::text), '…' || right(n::text, 4), n + 1, ?, ?, ?,"
            " repeat('x', 160) FROM generate_series(1, ?) AS n",
            (version.id, state, stamp, stamp, rows),
        )
    ledger.db.execute("ANALYZE deliveries")
    ledger.close()
    return address, version.id


def stamp_now() -> datetime:
    return datetime.now(UTC)


def _claim_all(
    address: str, version_id: int, batch: int, claimers: int, order: str
) -> tuple[float, int]:
    """Rows per second claimed by ``claimers`` connections together, and the rows claimed
    twice (must be 0)."""
    import psycopg

    claimed: list[list[int]] = [[] for _ in range(claimers)]
    start_line = threading.Barrier(claimers + 1)

    def claimer(n: int) -> None:
        with psycopg.connect(address, autocommit=True) as db:
            start_line.wait()
            claim = CLAIM.format(order=order)
            while rows := db.execute(claim, (f"run-{n}", version_id, batch)).fetchall():
                claimed[n].extend(row[0] for row in rows)

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(claimers)]
    for thread in threads:
        thread.start()
    start_line.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    every = [row for rows in claimed for row in rows]
    return len(every) / elapsed, len(every) - len(set(every))


def main() -> None:
    pending, history, batch, claimers = (
        int(sys.argv[n]) if len(sys.argv) > n else default
        for n, default in enumerate((100_000, 300_000, 1_000, 2), start=1)
    )
    print(
        f"{pending:,} pending rows (beside {history:,} sent), batches of {batch:,},"
        f" {claimers} claimers at once:"
    )
    with throwaway_cluster() as cluster:
        for said, order in ORDERS.items():
            print(f"  the claim {said or 'as written above'}:")
            for indexed in (True, False):
                address, version_id = _ledger_with_pending(cluster, pending, history, indexed)
                rate, twice = _claim_all(address, version_id, batch, claimers, order)
                name = "with the partial index   " if indexed else "without the partial index"
                print(f"    {name} {rate:9,.0f} rows/s  (claimed twice: {twice})")


if __name__ == "__main__":
    main()
