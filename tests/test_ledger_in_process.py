"""A process with the SQLite ledger open opens it again (``broadcast serve``'s background work
does): the second opening must not drop the first connection's locks.

Reading the file's header with an ordinary ``open()``/``close()`` releases every POSIX lock
the process holds on it, SQLite's own included; another process closing its connection then
believes it is the last one, checkpoints and removes the WAL from under this one's readers
(``SQLITE_IOERR_SHORT_READ``, or rows that vanish). The header is read only while no
connection of this process has the file open.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from broadcast.ledger.sqlite import Ledger
from tests.conftest import REPO

WRITE_AND_CLOSE = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from broadcast.ledger.sqlite import Ledger
ledger = Ledger(Path(sys.argv[1]))
for n in range(int(sys.argv[2])):
    ledger.add_version(f"other-{n}", f"h{n}", "update", "investigating", datetime.now(UTC),
                       None, ["sms"], [("sms", "fr", "text", "x" * 3000)])
ledger.close()
"""


def write_elsewhere(folder: Path, versions: int) -> None:
    subprocess.run(
        [sys.executable, "-c", WRITE_AND_CLOSE, str(folder), str(versions)],
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )


def test_a_second_opening_in_the_same_process_keeps_the_first_ones_locks(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "state"
    first = Ledger(folder)
    try:
        first.add_version(
            "ours", "h", "update", "investigating", datetime.now(UTC), None, ["sms"],
            [("sms", "fr", "text", "t")],
        )  # fmt: skip
        write_elsewhere(folder, 200)  # the WAL grows with another process's pages
        for _ in range(3):
            second = Ledger(folder)  # serve's background pass, in this same process
            second.close()
            write_elsewhere(folder, 50)  # and that process closes, last as it believes
            assert first.db.execute("SELECT count(*) FROM versions").fetchone()[0] > 1
            again = Ledger(folder)
            try:
                assert again.latest_version("ours") is not None
                assert (
                    len(again.latest_versions())
                    == first.db.execute(
                        "SELECT count(DISTINCT incident_id) FROM versions"
                    ).fetchone()[0]
                )
            finally:
                again.close()
    finally:
        first.close()
