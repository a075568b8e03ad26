"""Targeting by area (issue 28), end to end: the real CLI, the local Twilio peer and the SMTP
peer. The counts a preview gives and the messages the peers receive are compared with a
reference computed here independently: ray casting in pure Python for polygons, the haversine
distance for circles, and the issue's rule for codes, written out again.
"""

from __future__ import annotations

import math
import random

from tests.conftest import write
from tests.world import World, edit

# Two polygons around Lille (one concave, an L), a circle around Roubaix, a postcode and an
# INSEE code: "lat,lon" pairs as CAP writes them.
L_SHAPE = "50.60,3.00 50.60,3.10 50.63,3.10 50.63,3.03 50.68,3.03 50.68,3.00 50.60,3.00"
SQUARE = "50.70,3.12 50.70,3.17 50.74,3.17 50.74,3.12 50.70,3.12"
CIRCLE = (50.69, 3.18, 2.5)  # Roubaix, 2.5 km
POSTCODES = ["59000"]
INSEE = ["59350"]
AREA = f"""
area:
  description: Lille centre, Roubaix and the north-east
  polygons:
    - "{L_SHAPE}"
    - "{SQUARE}"
  circles: ["{CIRCLE[0]},{CIRCLE[1]} {CIRCLE[2]}"]
  postcodes: [59000]
  geocodes: {{INSEE: ["59350"]}}
"""


def _ring(text: str) -> list[tuple[float, float]]:
    return [(float(a), float(b)) for a, b in (p.split(",") for p in text.split())]


def _inside_ring(lat: float, lon: float, ring: list[tuple[float, float]]) -> bool:
    """Ray casting: how many edges a ray from the point eastwards crosses."""
    inside = False
    for (lat1, lon1), (lat2, lon2) in zip(ring, ring[1:], strict=False):
        if (lat1 > lat) != (lat2 > lat):
            crossing = lon1 + (lat - lat1) * (lon2 - lon1) / (lat2 - lat1)
            if lon < crossing:
                inside = not inside
    return inside


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0088
    dlat, dlon = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = (
        math.sin(dlat / 2) ** 2
        + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(dlon / 2) ** 2
    )
    return 2 * r * math.asin(math.sqrt(a))


def reference(row: dict[str, str], polygons: list[str] = [L_SHAPE, SQUARE]) -> str:  # noqa: B006
    """The issue's rule, in pure Python."""
    postcode, commune = row["postcode"], row["commune"]
    listed = postcode in POSTCODES or commune in INSEE
    if row["lat"]:
        lat, lon = float(row["lat"]), float(row["lon"])
        if listed or any(_inside_ring(lat, lon, _ring(p)) for p in polygons):
            return "in"
        return "in" if _km(lat, lon, CIRCLE[0], CIRCLE[1]) <= CIRCLE[2] else "out"
    if listed:
        return "in"
    if (postcode and POSTCODES) or (commune and INSEE):
        return "out"
    return "unlocated"


def people(count: int = 90, seed: int = 28) -> list[dict[str, str]]:
    """Recipients around Lille: most with a point, some with a code only, some with nothing."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        row = {
            "name": f"Person {i}",
            "phone": f"+33612{i:06d}",
            "email": f"p{i}@example.com",
            "postcode": "",
            "commune": "",
            "lat": "",
            "lon": "",
        }
        kind = i % 6
        if kind < 4:
            row["lat"] = f"{rng.uniform(50.58, 50.76):.5f}"
            row["lon"] = f"{rng.uniform(2.97, 3.24):.5f}"
            if kind == 3:
                row["postcode"] = rng.choice(["59000", "59100", "59800"])
        elif kind == 4:
            row["postcode"] = rng.choice(["59000", "59100", "59800"])
            row["commune"] = rng.choice(["", "59350", "59512"])
        rows.append(row)
    return rows


def write_people(world: World, rows: list[dict[str, str]]) -> None:
    columns = ["name", "phone", "email", "postcode", "commune", "lat", "lon"]
    lines = [",".join(columns)] + [",".join(r[c] for c in columns) for r in rows]
    write(world.folder / "contacts.csv", "\n".join(lines) + "\n")


def add_area(world: World, area: str = AREA) -> None:
    path = world.folder / "incident.yaml"
    path.write_text(path.read_text(encoding="utf-8") + area, encoding="utf-8")


def test_preview_counts_and_the_peers_match_a_reference_count(world: World) -> None:
    rows = people()
    write_people(world, rows)
    add_area(world)
    verdicts = [reference(r) for r in rows]
    expected = {v: verdicts.count(v) for v in ("in", "out", "unlocated")}
    # The data set exercises every rule.
    assert all(expected.values()) and expected["in"] >= 15

    code, preview = world.run_json("preview", "incident.yaml")
    assert code == 0, preview
    assert {k: preview["area"][k] for k in expected} == expected
    shown = {c["channel"]: c for c in preview["channels"]}
    for name in ("sms", "email"):
        assert shown[name]["recipients"] == expected["in"]  # unlocated excluded by default
        assert shown[name]["recipients_listed"] == len(rows)
        assert shown[name]["area"]["unlocated_included"] is False
    assert "area" not in shown["twitter"] and shown["twitter"]["recipients"] is None

    code, dry = world.run_json("send", "incident.yaml", "--dry-run")
    assert code == 0
    assert {k: dry["area"][k] for k in expected} == expected

    code, sent = world.run_json("send", "incident.yaml", "--yes")
    assert code == 0, sent
    wanted = {r["phone"] for r, v in zip(rows, verdicts, strict=True) if v == "in"}
    texts = world.twilio.messages()
    assert sorted(m.to for m in texts) == sorted(wanted)
    mails = {r.recipients[0] for r in world.smtp.received}
    assert mails == {r["email"] for r, v in zip(rows, verdicts, strict=True) if v == "in"}
    # Public channels still publish once, and CAP-like readers get the area in words.
    assert len(world.x.posts()) == 1


def test_the_terminal_preview_says_the_area_and_the_unlocated_choice(world: World) -> None:
    rows = people()
    write_people(world, rows)
    add_area(world)
    verdicts = [reference(r) for r in rows]
    result = world.run("preview", "incident.yaml")
    assert result.exit_code == 0, result.stdout
    said = (
        f"in the area: {verdicts.count('in')} of {len(rows)} recipients "
        f"({verdicts.count('unlocated')} without a place, excluded)"
    )
    assert said in " ".join(result.stdout.split())


def test_unlocated_include_per_channel_wins_over_the_area(world: World) -> None:
    rows = people()
    write_people(world, rows)
    add_area(world, AREA + "  unlocated: exclude\n")
    config = world.folder / "channels.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("    default_region: FR\n", "    default_region: FR\n    unlocated: include\n"),
        encoding="utf-8",
    )
    verdicts = [reference(r) for r in rows]
    code, preview = world.run_json("preview", "incident.yaml")
    assert code == 0, preview
    shown = {c["channel"]: c for c in preview["channels"]}
    assert shown["sms"]["recipients"] == verdicts.count("in") + verdicts.count("unlocated")
    assert shown["email"]["recipients"] == verdicts.count("in")

    code, sent = world.run_json("send", "incident.yaml", "--yes")
    assert code == 0, sent
    by_sms = {r["phone"] for r, v in zip(rows, verdicts, strict=True) if v != "out"}
    assert sorted(m.to for m in world.twilio.messages()) == sorted(by_sms)
    by_mail = {r["email"] for r, v in zip(rows, verdicts, strict=True) if v == "in"}
    assert {r.recipients[0] for r in world.smtp.received} == by_mail


def test_include_in_the_area_reaches_the_unlocated_on_every_channel(world: World) -> None:
    rows = people()
    write_people(world, rows)
    add_area(world, AREA + "  unlocated: include\n")
    verdicts = [reference(r) for r in rows]
    code, preview = world.run_json("preview", "incident.yaml")
    assert code == 0, preview
    shown = {c["channel"]: c for c in preview["channels"]}
    assert shown["email"]["recipients"] == verdicts.count("in") + verdicts.count("unlocated")
    assert shown["email"]["area"]["unlocated_included"] is True


def test_without_an_area_everyone_is_in_as_before(world: World) -> None:
    rows = people(30)
    write_people(world, rows)
    code, preview = world.run_json("preview", "incident.yaml")
    assert code == 0, preview
    assert "area" not in preview
    shown = {c["channel"]: c for c in preview["channels"]}
    assert shown["sms"]["recipients"] == 30 and "area" not in shown["sms"]
