"""Targeting by area at scale: a million located recipients against a 1,000-point polygon.

Run by hand from the repository root::

    python bench/bench_area.py                       # 1,000,000 recipients, 3 runs
    python bench/bench_area.py --count 100000 --runs 5 --skip-first-message

Writes, in a temporary folder (never in the repository), a contacts CSV of ``count`` distinct
valid French mobiles, each with a point drawn uniformly in a 30 km box around Lille, and an
incident whose ``area:`` is one polygon of 1,000 points (a wavy ring of 4 to 9 km around
Lille, concave in places). Then:

1. **Filter alone**: the points read from the CSV, sorted by ``AreaTarget.sort`` (prepared
   geometry, ``shapely.intersects_xy`` over growing chunks), in one process; and the same
   points one shapely call per point, the way a plain loop would, for comparison.
2. **Time to the first message**: ``broadcast send --channel sms --yes --json`` in a child
   process against the local Twilio peer, as ``bench_first_message.py`` measures it (wall and
   CPU from the start to the peer's first accepted message).
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_first_message import first_message  # noqa: E402
from bench_sms import REPO, phone, running_peer, write_project  # noqa: E402

from broadcast.input.area_target import AreaTarget, Place, parse_points  # noqa: E402

LILLE = (50.6292, 3.0573)


def polygon(points: int = 1000, seed: int = 28) -> str:
    """A closed ring of ``points`` distinct points around Lille, its radius waving 4-9 km."""
    rng = random.Random(seed)
    ring = []
    for k in range(points - 1):
        angle = 2 * math.pi * k / (points - 1)
        radius_km = 6.5 + 2.0 * math.sin(7 * angle) + 0.5 * rng.random()
        lat = LILLE[0] + radius_km / 111.2 * math.sin(angle)
        lon = LILLE[1] + radius_km / (111.2 * math.cos(math.radians(LILLE[0]))) * math.cos(angle)
        ring.append(f"{lat:.6f},{lon:.6f}")
    ring.append(ring[0])
    return " ".join(ring)


def write_located_contacts(path: Path, count: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("name,phone,lat,lon\n")
        for start in range(0, count, 10_000):
            out.write(
                "".join(
                    f"Habitant {n},{phone(n)},{rng.uniform(50.49, 50.77):.5f},"
                    f"{rng.uniform(2.84, 3.27):.5f}\n"
                    for n in range(start, min(count, start + 10_000))
                )
            )


def read_places(path: Path) -> list[Place]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Place(lat=float(row["lat"]), lon=float(row["lon"])) for row in csv.DictReader(handle)
        ]


def filter_alone(places: list[Place], ring: str) -> tuple[float, float, int]:
    """Seconds to the first verdict, seconds for all, and how many are in."""
    target = AreaTarget(polygons=[parse_points(ring)])
    start = time.perf_counter()
    first = None
    inside = 0
    for _place, verdict in target.sort(places, lambda p: p):
        if first is None:
            first = time.perf_counter() - start
        inside += verdict == "in"
    return first or 0.0, time.perf_counter() - start, inside


def one_call_per_point(places: list[Place], ring: str, sample: int) -> float:
    """Seconds per point when each point is its own shapely call (prepared geometry)."""
    import shapely

    shape = shapely.Polygon([(lon, lat) for lat, lon in parse_points(ring)])
    shapely.prepare(shape)
    start = time.perf_counter()
    for place in places[:sample]:
        shapely.intersects_xy(shape, place.lon, place.lat)
    return (time.perf_counter() - start) / sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-first-message", action="store_true")
    args = parser.parse_args()
    ring = polygon()
    with tempfile.TemporaryDirectory(prefix="bench-area-") as scratch:
        root = Path(scratch)
        contacts = root / "contacts.csv"
        write_located_contacts(contacts, args.count)
        places = read_places(contacts)
        firsts, totals = [], []
        for _ in range(args.runs):
            first, total, inside = filter_alone(places, ring)
            firsts.append(first)
            totals.append(total)
        per_point = one_call_per_point(places, ring, min(100_000, len(places)))
        print(f"{args.count:,} located recipients, a {len(ring.split()):,}-point polygon")
        print(f"  in the area: {inside:,}")
        print(
            f"  filter (vectorised chunks): first verdict {statistics.median(firsts) * 1e3:.2f}"
            f" ms, all {statistics.median(totals):.2f} s (median of {args.runs}; "
            f"{statistics.median(totals) / args.count * 1e6:.2f} us a point)"
        )
        print(
            f"  one shapely call per point: {per_point * 1e6:.2f} us a point, "
            f"{per_point * args.count:.2f} s for all"
        )
        if args.skip_first_message:
            return
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(REPO / "broadcast")], check=True
        )
        with running_peer(0.0, root) as peer:
            folder = write_project(root / "send", peer.url, contacts, "unlimited", 10)
            incident = folder / "incident.yaml"
            incident.write_text(
                incident.read_text(encoding="utf-8")
                # The example's English translation, which ends the file, says it too.
                + "    area:\n      description: Lille\n"
                + f'area:\n  description: Lille\n  polygons:\n    - "{ring}"\n',
                encoding="utf-8",
            )
            walls, cpus = [], []
            for _ in range(args.runs):
                wall, cpu = first_message(folder, peer)
                walls.append(wall)
                cpus.append(cpu)
            print(
                f"  first message (send --yes, new process): wall median "
                f"{statistics.median(walls):.2f} s ({min(walls):.2f} to {max(walls):.2f}), "
                f"CPU median {statistics.median(cpus):.2f} s"
            )


if __name__ == "__main__":
    main()
