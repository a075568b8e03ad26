"""Targeting by area (issue 28), end to end: the real CLI, the local Twilio peer and the SMTP
peer. The counts a preview gives and the messages the peers receive are compared with a
reference computed here independently: ray casting in pure Python for polygons, the haversine
distance for circles, and the issue's rule for codes, written out again.
"""

from __future__ import annotations

import itertools
import math
import random
from email.message import EmailMessage
from functools import partial

import pytest

from tests.conftest import at, write
from tests.test_correction import cancel
from tests.world import World

# Two polygons around Lille (one concave, an L), a circle around Roubaix, a postcode and an
# INSEE code: "lat,lon" pairs as CAP writes them.
L_SHAPE = "50.60,3.00 50.60,3.10 50.63,3.10 50.63,3.03 50.68,3.03 50.68,3.00 50.60,3.00"
SQUARE = "50.70,3.12 50.70,3.17 50.74,3.17 50.74,3.12 50.70,3.12"
CIRCLE = (50.69, 3.18, 2.5)  # Roubaix, 2.5 km
POSTCODES = ["59000"]
INSEE = ["59350"]
# The example incident is French with an English translation, which ends the file: the first
# lines carry on translations.en with the area's English words (a translation says them too).
AREA = f"""
    area:
      description: Lille centre, Roubaix and the north-east
area:
  description: Lille centre, Roubaix et le nord-est
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
    for (lat1, lon1), (lat2, lon2) in itertools.pairwise(ring):
        if (lat1 > lat) != (lat2 > lat):
            crossing = lon1 + (lat - lat1) * (lon2 - lon1) / (lat2 - lat1)
            if lon < crossing:
                inside = not inside
    return inside


def phones_inside(rows: list[dict[str, str]], polygons: list[str]) -> set[str]:
    """The phones of the located ``rows`` inside any of ``polygons``, by the reference rule."""
    return {
        r["phone"]
        for r in rows
        if any(_inside_ring(float(r["lat"]), float(r["lon"]), _ring(p)) for p in polygons)
    }


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
    result = world.run("preview", "incident.yaml", env={"COLUMNS": "200"})
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
        text.replace("default_region: FR\n", "default_region: FR\n    unlocated: include\n"),
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


def _problems(preview: dict) -> list[str]:
    return [p["message"] for p in preview["problems"]] + [
        p["message"] for c in preview["channels"] for p in c["problems"]
    ]


def test_a_self_crossing_polygon_is_refused_with_where_it_crosses(world: World) -> None:
    write_people(world, people(12))
    # A bow tie: its second and fourth edges cross at 50.65,3.05.
    add_area(world, '\narea:\n  polygons: ["50.6,3.0 50.7,3.1 50.7,3.0 50.6,3.1 50.6,3.0"]\n')
    result = world.run("preview", "incident.yaml")
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    # In the incident's language (French).
    assert "le polygone 1 se croise lui-même en 50.65,3.05" in said
    assert "incident.yaml" in said and "area.polygons" in said
    assert world.twilio.messages() == []


def test_an_open_polygon_is_refused_with_its_ends(world: World) -> None:
    write_people(world, people(12))
    add_area(world, '\narea:\n  polygons: ["50.6,3.0 50.6,3.1 50.7,3.1 50.7,3.0"]\n')
    result = world.run("send", "incident.yaml", "--yes")
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "le polygone 1 est ouvert : il commence en 50.6,3 et finit en 50.7,3" in said
    assert world.twilio.messages() == [] and world.smtp.received == []


def _territory(world: World, setting: str) -> None:
    config = world.folder / "channels.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("channels:\n", f"{setting}\nchannels:\n", 1), encoding="utf-8")


def test_an_area_outside_the_territory_is_refused_with_the_point_outside(world: World) -> None:
    write_people(world, people(12))
    _territory(world, 'territory: {bbox: "50.4,2.8 50.9,3.4"}')
    # lon,lat typed instead of lat,lon: the third point lands far from Lille.
    add_area(
        world,
        '\narea:\n  polygons: ["50.6,3.0 50.6,3.1 3.1,50.7 50.6,3.0"]\n'
        '  circles: ["3.05,50.63 2"]\n',
    )
    code, preview = world.run_json("send", "incident.yaml", "--dry-run")
    assert code == 2
    said = " | ".join(_problems(preview))
    # In the incident's language (French).
    assert "le polygone 1 de la zone sort du territoire de l'organisation" in said
    assert "son point 3.1,50.7 est dehors" in said
    assert "le cercle 1 de la zone a son centre en 3.05,50.63" in said
    fields = {p["field"] for p in preview["problems"]}
    assert {"area.polygons", "area.circles"} <= fields
    result = world.run("send", "incident.yaml", "--yes")
    assert result.exit_code == 2 and world.twilio.messages() == []


def test_an_area_inside_a_territory_polygon_is_accepted(world: World) -> None:
    write_people(world, people(12))
    _territory(world, 'territory: {polygon: "50.4,2.8 50.4,3.4 50.9,3.4 50.9,2.8 50.4,2.8"}')
    add_area(world)
    code, preview = world.run_json("preview", "incident.yaml")
    assert code == 0, _problems(preview)


def test_a_coordinate_that_is_not_one_is_an_error_naming_file_line_and_column(
    world: World,
) -> None:
    rows = people(12)
    rows[5]["lat"] = "150.2"
    rows[8]["lon"] = "east"
    write_people(world, rows)
    add_area(world)
    code, preview = world.run_json("send", "incident.yaml", "--dry-run")
    assert code == 2
    problem = next(p for c in preview["channels"] for p in c["problems"] if p.get("field") == "lat")
    assert problem["line"] == 7  # the header is line 1
    assert problem["file"].endswith("contacts.csv")
    assert "('150.2') is not a latitude in degrees" in problem["message"]
    result = world.run("send", "incident.yaml", "--yes")
    assert result.exit_code == 2 and world.twilio.messages() == []


def _with_area(
    world: World, base: str, polygons: list[str], extra: str = "", english: str = ""
) -> None:
    """``base`` (ending with its English translation) with an area of ``polygons``; ``extra``
    adds to the area, ``english`` to the translation's area (its words: left_area...)."""
    shapes = "".join(f'    - "{p}"\n' for p in polygons)
    path = world.folder / "incident.yaml"
    said = f"    area:\n{english}" if english else ""
    path.write_text(base + said + f"\narea:\n  polygons:\n{shapes}" + extra, encoding="utf-8")


@pytest.mark.both_engines  # the ledger's earlier recipients and texts, on both engines
def test_a_change_of_area_reaches_the_newly_in_only_and_a_new_text_those_in_now(
    world: World,
) -> None:
    rows = [r for r in people(120) if r["lat"]]
    write_people(world, rows)
    base = (world.folder / "incident.yaml").read_text(encoding="utf-8")

    inside = partial(phones_inside, rows)

    def sent_now(before: int) -> list[str]:
        return [m.to for m in world.twilio.messages()[before:]]

    # Version 1: the L only.
    _with_area(world, base, [L_SHAPE])
    code, out = world.run_json("send", "incident.yaml", "--yes")
    assert code == 0, out
    first = sent_now(0)
    assert sorted(first) == sorted(inside([L_SHAPE])) and first

    # Version 2: the same texts, the square added: only those newly in get it.
    _with_area(world, base, [L_SHAPE, SQUARE])
    before = len(world.twilio.messages())
    code, preview = world.run_json("preview", "incident.yaml")
    assert preview["area"]["in"] == len(inside([L_SHAPE, SQUARE]))
    code, out = world.run_json("send", "incident.yaml", "--yes")
    assert code == 0, out
    second = sent_now(before)
    newly = inside([SQUARE]) - inside([L_SHAPE])
    assert newly and sorted(second) == sorted(newly)
    sms = next(d for d in out["delivery"] if d["channel"] == "sms")
    both = inside([L_SHAPE, SQUARE])
    assert (sms["sent"], sms["reached_before"]) == (len(newly), len(both) - len(newly))
    assert sms["outside_area"] == len(rows) - len(both)
    assert len(set(world.twilio.messages()[before].body for _ in [0])) == 1
    assert world.twilio.messages()[before].body == world.twilio.messages()[0].body

    # Version 3: the same texts, the L taken out: those now outside get nothing more, and
    # everyone inside has it already.
    _with_area(world, base, [SQUARE])
    before = len(world.twilio.messages())
    code, out = world.run_json("send", "incident.yaml", "--yes")
    assert code == 0, out
    assert sent_now(before) == []

    # Version 4: a new text: everyone in the area now, no one outside it.
    # (Not a time: moved in one language only, it would be a translation that disagrees, and
    # moved without a word, an eta moved unsaid: wording errors that stop the send.)
    changed = base.replace(
        "apology: Nous sommes désolés de vous laisser sans courant",
        "apology: Nous sommes vraiment désolés de vous laisser sans courant",
    )
    assert changed != base
    _with_area(world, changed, [SQUARE])
    before = len(world.twilio.messages())
    code, out = world.run_json("send", "incident.yaml", "--yes")
    assert code == 0, out
    assert sorted(sent_now(before)) == sorted(inside([SQUARE]))


def test_the_preview_and_the_report_draw_the_area_over_the_recipients(world: World) -> None:
    import re

    rows = people()
    write_people(world, rows)
    add_area(world)
    code, preview = world.run_json("preview", "incident.yaml")
    assert code == 0
    svg = preview["area"]["map_svg"]
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    # Two polygons and the circle, over density cells of both kinds (in and out).
    assert svg.count("<polygon") == 3
    assert 'fill="#d9480f" fill-opacity' in svg and 'fill="#495057"' in svg
    # Nothing a strict CSP would block: no script, no style, no reference but the namespace.
    assert not re.search(r"<script|style=|href|url\(", svg)
    assert re.findall(r"https?://[^\"]+", svg) == ["http://www.w3.org/2000/svg"]

    code, sent = world.run_json("send", "incident.yaml", "--yes")
    assert code == 0, sent
    result = world.run("report", "incident.yaml", "--format", "html")
    assert result.exit_code == 0, result.output
    assert 'id="h-area"' in result.stdout and result.stdout.count("<polygon") >= 3
    assert "default-src 'none'" in result.stdout


def test_public_channels_say_the_area_in_words_and_publish_once(world: World) -> None:
    write_people(world, people(30))
    add_area(world)
    code, preview = world.run_json("preview", "incident.yaml")
    assert code == 0
    shown = {c["channel"]: c for c in preview["channels"]}
    said = "Lille centre, Roubaix et le nord-est"
    assert said in shown["twitter"]["text"]
    assert said in shown["banner"]["text"]
    code, sent = world.run_json("send", "incident.yaml", "--yes")
    assert code == 0, sent
    (post,) = world.x.posts()
    assert said in post.text
    page = world.folder / "public" / "status" / "panne-nord-2026-11-22.html"
    assert said in page.read_text(encoding="utf-8")


def test_a_correction_reaches_everyone_reached_before_wherever_they_are_now(
    world: World,
) -> None:
    rows = [r for r in people(120) if r["lat"]]
    write_people(world, rows)
    base = (world.folder / "incident.yaml").read_text(encoding="utf-8")
    _with_area(world, base, [L_SHAPE])
    code, out = world.run_json("send", "incident.yaml", "--yes")
    assert code == 0, out
    reached = sorted(m.to for m in world.twilio.messages())
    assert reached
    # The correction names another area: it still goes to those the wrong message reached.
    _with_area(world, base, [SQUARE])
    cancel(world)
    before = len(world.twilio.messages())
    code, out = world.run_json("send", "incident.yaml", "--yes", env=at(20))
    assert code == 0, out
    assert sorted(m.to for m in world.twilio.messages()[before:]) == reached


def _imports_of_a_preview(world: World) -> str:
    import os
    import subprocess
    import sys

    from tests.conftest import NOW, REPO

    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "broadcast", "preview", "incident.yaml"],
        cwd=world.folder,
        env={
            **os.environ,
            "PYTHONPATH": str(REPO),
            "BROADCAST_NOW": NOW.isoformat(),
            "BROADCAST_CONFIG": "",
            "XDG_CACHE_HOME": str(world.folder / ".cache"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    return done.stderr


def test_shapely_is_imported_only_for_an_area_with_polygons(world: World) -> None:
    write_people(world, people(12))
    assert "shapely" not in _imports_of_a_preview(world)  # no area: nothing to pay
    base = (world.folder / "incident.yaml").read_text(encoding="utf-8")
    add_area(world, '\narea:\n  postcodes: ["59000"]\n  circles: ["50.69,3.18 2.5"]\n')
    assert "shapely" not in _imports_of_a_preview(world)  # codes and circles: plain Python
    (world.folder / "incident.yaml").write_text(base, encoding="utf-8")
    add_area(world)
    assert "shapely" in _imports_of_a_preview(world)


def test_circles_are_measured_on_the_ground_not_in_degrees() -> None:
    from broadcast.input.area_target import AreaTarget, Place

    lat, lon = 50.69, 3.18
    per_km_east = 1 / (111.2 * math.cos(math.radians(lat)))  # a degree of lon is ~70 km here
    target = AreaTarget(circles=[(lat, lon, 2.5)])
    places = [
        Place(lat=lat, lon=lon + 2.4 * per_km_east),  # 2.4 km east: in
        Place(lat=lat, lon=lon + 2.6 * per_km_east),  # 2.6 km east: out
        Place(lat=lat + 2.4 / 111.2, lon=lon),  # 2.4 km north: in
    ]
    assert target.classify(places) == ["in", "out", "in"]
    # In degrees (radius 2.5 km as 0.0225 degrees) the first would be out.
    assert math.hypot(0, 2.4 * per_km_east) > 2.5 / 111.2


def test_without_a_point_codes_of_the_kind_the_area_lists_decide() -> None:
    from broadcast.input.area_target import AreaTarget, Place

    target = AreaTarget(postcodes=frozenset({"59000"}))
    assert target.classify(
        [
            Place(postcode="59000"),
            Place(postcode="59100"),
            Place(commune="59350"),  # the area lists no INSEE code: unlocated
            Place(),
        ]
    ) == ["in", "out", "unlocated", "unlocated"]
    both = AreaTarget(postcodes=frozenset({"59000"}), communes=frozenset({"59350"}))
    assert both.classify([Place(postcode="59100", commune="59350"), Place(commune="59512")]) == [
        "in",
        "out",
    ]


def test_a_bad_coordinate_past_the_first_rows_skips_its_row_and_says_it(world: World) -> None:
    """A send streams its list: a coordinate far down is met after the first messages left,
    so that row is skipped and reported with its line and column, as a bad number is."""
    from broadcast.delivery.preflight import HEAD_ROWS

    count = HEAD_ROWS + 60
    rows = [
        {
            "name": f"P{i}",
            "phone": f"+3361234{i:04d}",
            "email": "",
            "postcode": "",
            "commune": "",
            "lat": "50.615",  # all inside the L
            "lon": "3.05",
        }
        for i in range(count)
    ]
    far = HEAD_ROWS + 30
    rows[far]["lat"] = "north"
    write_people(world, rows)
    add_area(world)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code in (0, 1), doc
    (sms,) = doc["delivery"]
    assert (sms["sent"], sms["skipped"]) == (count - 1, 1)
    (said,) = [p for p in doc["channels"][0]["problems"] if p.get("field") == "lat"]
    assert said["line"] == far + 2 and said["file"].endswith("contacts.csv")
    assert f"the lat on line {far + 2} is not a latitude" in said["message"]
    assert rows[far]["phone"] not in {m.to for m in world.twilio.messages()}


def test_an_area_that_reaches_nobody_on_a_list_is_said_before_the_send(world: World) -> None:
    write_people(world, people(30))
    # lon,lat swapped: in the Indian Ocean, far from every recipient.
    add_area(world, '\narea:\n  polygons: ["3.0,50.6 3.0,50.7 3.1,50.7 3.1,50.6 3.0,50.6"]\n')
    code, preview = world.run_json("preview", "incident.yaml")
    assert code == 0
    said = [p for c in preview["channels"] for p in c["problems"]]
    assert {p["channel"] for p in said if "reaches none of the 30" in p["message"]} == {
        "sms",
        "email",
    }


def test_a_second_preview_reads_the_sorting_kept_and_a_changed_list_is_sorted_again(
    world: World,
) -> None:
    rows = people()
    write_people(world, rows)
    add_area(world)
    cache = {"XDG_CACHE_HOME": str(world.folder / "cache")}
    first = world.run_json("preview", "incident.yaml", env=cache)[1]["area"]
    kept = list((world.folder / "cache" / "broadcast" / "areas").iterdir())
    assert len(kept) == 2  # one per channel (sms, email)
    for file in kept:  # line numbers, never a contact
        said = file.read_text(encoding="utf-8")
        assert rows[0]["phone"] not in said and rows[0]["email"] not in said
    assert world.run_json("preview", "incident.yaml", env=cache)[1]["area"] == first
    # One person moves into the L: the list's bytes changed, so it is sorted again.
    mover = next(i for i, r in enumerate(rows) if reference(r) == "out" and r["lat"])
    rows[mover].update(lat="50.61", lon="3.01", postcode="", commune="")
    write_people(world, rows)
    again = world.run_json("preview", "incident.yaml", env=cache)[1]["area"]
    assert (again["in"], again["out"]) == (first["in"] + 1, first["out"] - 1)


LEFT_EN = '      left_area: "Vieux-Lille is no longer concerned: the danger is over."\n'


@pytest.mark.both_engines
def test_left_area_reaches_those_who_left_once_and_the_others_never(world: World) -> None:
    rows = [r for r in people(120) if r["lat"]]
    write_people(world, rows)
    base = (world.folder / "incident.yaml").read_text(encoding="utf-8")

    inside = partial(phones_inside, rows)

    _with_area(world, base, [L_SHAPE])
    assert world.run_json("send", "incident.yaml", "--yes")[0] == 0
    first = {m.to for m in world.twilio.messages()}
    assert first == inside([L_SHAPE])

    # The area moves to the square and says the L is out of danger.
    said = "Le quartier du Vieux-Lille n'est plus concerné : le danger est écarté."
    _with_area(world, base, [SQUARE], f'  left_area: "{said}"\n', LEFT_EN)
    code, preview = world.run_json("preview", "incident.yaml")
    assert said.split(" :")[0] in preview["channels"][0]["text"]
    before = len(world.twilio.messages())
    code, out = world.run_json("send", "incident.yaml", "--yes")
    assert code == 0, out
    got = world.twilio.messages()[before:]
    left = first - inside([SQUARE])
    assert left and sorted(m.to for m in got) == sorted(inside([SQUARE]) | left)
    assert all("Vieux-Lille n" in m.body for m in got)
    sms = next(d for d in out["delivery"] if d["channel"] == "sms")
    assert sms["told_left"] == len(left)
    # Those outside who were never reached are not told anything.
    never = {r["phone"] for r in rows} - first - inside([SQUARE])
    assert never and not never & {m.to for m in got}

    # A later update that still says it goes to those in the area only.
    # (Not a time: moved in one language only, it would be a translation that disagrees, and
    # moved without a word, an eta moved unsaid: wording errors that stop the send.)
    changed = base.replace(
        "apology: Nous sommes désolés de vous laisser sans courant",
        "apology: Nous sommes vraiment désolés de vous laisser sans courant",
    )
    _with_area(world, changed, [SQUARE], f'  left_area: "{said}"\n', LEFT_EN)
    before = len(world.twilio.messages())
    code, out = world.run_json("send", "incident.yaml", "--yes")
    assert code == 0, out
    assert sorted(m.to for m in world.twilio.messages()[before:]) == sorted(inside([SQUARE]))


# A French incident with an area, its words in French and, in the English translation, in
# English (issue 28: an English reader read where it is, and that they were out of danger, in
# French).
FR_WORDS = """
area:
  description: Rue de la Gare et quartier Fives à Lille
  postcodes: ["59000"]
  left_area: "Le quartier Saint-Maurice n'est plus concerné : le danger est écarté."
"""
EN_WORDS = """    area:
      description: Rue de la Gare and the Fives district in Lille
      left_area: "The Saint-Maurice district is no longer concerned: the danger is over."
"""
READERS = """\
name,phone,email,locale,postcode
Anne Smith,+33 6 12 34 56 70,anne.smith@example.org,en,59000
Camille Martin,06 12 34 56 78,camille.martin@example.com,fr,59000
Paul Durand,06 12 34 56 77,paul.durand@example.com,fr,59800
"""


def _bilingual_area(world: World, english: str = EN_WORDS) -> None:
    write(world.folder / "contacts.csv", READERS)
    path = world.folder / "incident.yaml"
    path.write_text(path.read_text(encoding="utf-8") + english + FR_WORDS, encoding="utf-8")


def test_an_english_reader_reads_the_area_and_left_area_in_english(world: World) -> None:
    _bilingual_area(world)
    code, sent = world.run_json("send", "incident.yaml", "--yes")
    assert code == 0, sent
    texts = {m.to: m.body for m in world.twilio.messages()}
    assert set(texts) == {"+33612345670", "+33612345678"}  # 59800 is outside
    english, french = texts["+33612345670"], texts["+33612345678"]
    assert "The Saint-Maurice district is no longer concerned" in english
    assert "n'est plus concerné" not in english
    assert "Le quartier Saint-Maurice n'est plus concerné" in french
    mails = {r.recipients[0]: r for r in world.smtp.received}
    english_mail = mails["anne.smith@example.org"].message
    french_mail = mails["camille.martin@example.com"].message
    for part in ("text/plain", "text/html"):
        said = _part(english_mail, part)
        assert "Rue de la Gare and the Fives district in Lille" in said
        assert "The Saint-Maurice district is no longer concerned" in said
        assert "Rue de la Gare et quartier Fives" not in said and "écarté" not in said
        said = _part(french_mail, part)
        assert "Rue de la Gare et quartier Fives à Lille" in said
        assert "Saint-Maurice n'est plus concerné" in said.replace("&#39;", "'")


def _part(message: EmailMessage, kind: str) -> str:
    return next(p for p in message.walk() if p.get_content_type() == kind).get_content()


def test_a_public_channel_in_english_says_the_area_in_english(world: World) -> None:
    _bilingual_area(world)
    path = world.folder / "channels.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + "  banner_en:\n    type: web_banner\n    output_dir: public/en\n    locale: en\n",
        encoding="utf-8",
    )
    code, preview = world.run_json("preview", "incident.yaml")
    assert code == 0, preview
    shown = {c["channel"]: c["text"] for c in preview["channels"]}
    assert "Rue de la Gare and the Fives district in Lille" in shown["banner_en"]
    assert "Rue de la Gare et quartier Fives à Lille" in shown["banner"]


def test_a_translation_without_the_area_words_is_refused_naming_them(world: World) -> None:
    _bilingual_area(world, english="")
    result = world.run("send", "incident.yaml", "--yes")
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "incident.yaml" in said and "translations.en" in said
    assert "area.description, area.left_area" in said
    assert world.twilio.messages() == [] and world.smtp.received == []


def test_area_words_are_for_translations_their_shapes_are_the_incidents(world: World) -> None:
    _bilingual_area(world, EN_WORDS + '      postcodes: ["59800"]\n')
    result = world.run("preview", "incident.yaml")
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "incident.yaml" in said and "translations.en.area.postcodes" in said


def test_an_area_translated_with_another_place_or_number_is_a_translation_that_disagrees(
    world: World,
) -> None:
    # The wording checks compare the area's words field by field, as they do the others.
    wrong = EN_WORDS.replace("Rue de la Gare and", "Rue de la Gare, numbers 1 to 40, and")
    _bilingual_area(world, wrong)
    path = world.folder / "incident.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "description: Rue de la Gare et", "description: Rue de la Gare, numéros 1 à 60, et"
        ),
        encoding="utf-8",
    )
    code, preview = world.run_json("preview", "incident.yaml")
    assert code == 2  # a translation that disagrees is an error: nothing would be sent
    found = [
        p
        for p in [*preview["problems"], *(q for c in preview["channels"] for q in c["problems"])]
        if p.get("field") == "translations.en.area.description"
    ]
    assert found, preview["problems"]
    assert any("40" in p["message"] and "60" in p["message"] for p in found)
    result = world.run("send", "incident.yaml", "--yes")
    assert result.exit_code != 0 and world.twilio.messages() == []


def test_area_words_in_a_translation_without_an_area_are_refused(world: World) -> None:
    # Words for an area the incident does not give would be dropped unsaid.
    write(world.folder / "contacts.csv", READERS)
    path = world.folder / "incident.yaml"
    path.write_text(path.read_text(encoding="utf-8") + EN_WORDS, encoding="utf-8")
    result = world.run("preview", "incident.yaml")
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "incident.yaml" in said and "translations.en.area" in said
    assert "l'incident n'a pas de zone" in said  # in the file's language
