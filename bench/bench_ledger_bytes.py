"""What one delivery costs in the SQLite ledger, in bytes, and which column takes them.

Run by hand from the repository root: ``python bench/bench_ledger_bytes.py [deliveries]``
(100,000 by default). A fresh ledger in a temporary folder records one version and that many
SMS deliveries the way a send does (claimed in batches, marked sending, then sent with a
Twilio message SID), is checkpointed and vacuumed, and its file size is divided by the number
of deliveries. The average stored length of each column of ``deliveries`` follows, so the
README can say what each byte buys; the rest is SQLite's record headers, pages and the two
indexes on deliveries.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from broadcast.ledger.key import new_key_text  # noqa: E402
from broadcast.ledger.sqlite import Contact, Ledger  # noqa: E402

BATCH = 1024


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as scratch:
        folder = Path(scratch)
        ledger = Ledger(folder, environ={**os.environ, "BROADCAST_KEY": new_key_text()})
        now = datetime(2026, 11, 22, 8, 40, tzinfo=UTC)
        version = ledger.add_version(
            "panne-nord-2026-11-22", "0" * 32, "update", "investigating", now, None, ["sms"], []
        )
        for start in range(0, count, BATCH):
            contacts = [
                Contact(f"+336{n:08d}", f"Habitant {n}", "fr", n + 2)
                for n in range(start, min(count, start + BATCH))
            ]
            claimed = ledger.claim_batch(version.id, "sms", contacts)
            for delivery_id, _ in claimed:
                ledger.mark_sending(delivery_id)
                ledger.mark_outcome(delivery_id, "sent", f"SM{delivery_id:032x}")
        empty_size = _size(ledger)
        columns = [row[1] for row in ledger.db.execute("PRAGMA table_info(deliveries)").fetchall()]
        lengths = {
            column: ledger.db.execute(
                f"SELECT avg(coalesce(length(CAST({column} AS BLOB)), 0)) FROM deliveries"
            ).fetchone()[0]
            for column in columns
        }
        ledger.close()
    print(f"{count:,} SMS deliveries: {empty_size / count:.0f} bytes per delivery on disk")
    print("average stored bytes per column of deliveries:")
    for column, length in sorted(lengths.items(), key=lambda item: -item[1]):
        print(f"  {column:<22} {length:6.1f}")
    print(f"  {'(all columns)':<22} {sum(lengths.values()):6.1f}")


def _size(ledger: Ledger) -> int:
    ledger.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ledger.db.execute("VACUUM")
    return ledger.path.stat().st_size


if __name__ == "__main__":
    main()
