"""Wall time of ``broadcast preview`` on the shipped example, and the import floor beneath it.

Run by hand from the repository root: ``python bench/bench_preview.py [runs]``. Prints the
median and spread of N runs of the real command (a new process each time, as cron or a
person at a terminal starts it), and the same for a bare ``python -c pass`` to show the floor.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def timed(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def report(label: str, times: list[float]) -> None:
    times = sorted(times)
    print(
        f"{label:<44} median {statistics.median(times) * 1000:6.0f} ms   "
        f"min {times[0] * 1000:6.0f} ms   max {times[-1] * 1000:6.0f} ms   (n={len(times)})"
    )


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    python = sys.executable
    report("python -c pass (interpreter floor)", timed([python, "-c", "pass"], runs))
    report(
        "import broadcast.cli",
        timed([python, "-c", "import broadcast.cli"], runs),
    )
    example = "examples/panne-nord.yaml"
    for args in (["preview", example], ["preview", example, "--json"], ["validate", example]):
        report(
            "broadcast " + " ".join(args),
            timed([python, "-m", "broadcast", *args], runs),
        )


if __name__ == "__main__":
    main()
