"""Input is what the person meant, or an error: times (#22 P4 follow-ups).

A local time the clocks skip or repeat, an end that has not happened, a bare ``8h`` written at
night that may mean tomorrow morning; a language tag in capitals, an empty ``exercise``; and
the invisible characters that hide text. Each case runs the real CLI (``validate``) with the
clock pinned, and checks the paragraph a person reads.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.test_input_principles import cli, promise, replace
from tests.world import World

PARIS = ZoneInfo("Europe/Paris")


def at(hour: int, minute: int = 0, day: int = 22, month: int = 11) -> dict[str, str]:
    return {"BROADCAST_NOW": datetime(2026, month, day, hour, minute, tzinfo=PARIS).isoformat()}


def line_of(world: World, text: str) -> int:
    lines = (world.folder / "incident.yaml").read_text(encoding="utf-8").splitlines()
    return lines.index(text) + 1


def refused(world: World, *said: str, env: dict[str, str] | None = None) -> None:
    ran = cli(world.folder, "validate", "incident.yaml", env=env)
    assert ran.code == 2, (ran.code, ran.said[-3000:])
    for words in said:
        assert words in ran.said, (words, ran.said[-3000:])


def accepted(world: World, *said: str, env: dict[str, str] | None = None) -> None:
    ran = cli(world.folder, "validate", "incident.yaml", env=env)
    assert ran.code == 0, (ran.code, ran.said[-3000:])
    for words in said:
        assert words in ran.said, (words, ran.said[-3000:])


# --- 3: a local time the clocks skip or repeat ---------------------------------------------

STARTED = "started_at: 2026-11-22T08:10:00+01:00"


@pytest.mark.parametrize("field", ["started_at", "next_update"])
def test_a_local_time_the_clocks_skip_is_refused(world: World, field: str) -> None:
    if field == "started_at":
        replace(world.folder / "incident.yaml", STARTED, "started_at: 2026-03-29T02:30")
    else:
        promise(world, "2026-03-29T02:30")
    line = line_of(world, f"{field}: 2026-03-29T02:30")
    refused(
        world,
        f"incident.yaml:{line}, field {field}: '2026-03-29T02:30' does not exist in "
        "Europe/Paris: the clocks skip that hour",
        "2026-03-29 03:30 (CEST)",
        env=at(1, 0, day=29, month=3),
    )


def test_a_local_time_the_clocks_repeat_is_refused_naming_both(world: World) -> None:
    promise(world, "2026-10-25 02:30")
    line = line_of(world, "next_update: 2026-10-25 02:30")
    refused(
        world,
        f"incident.yaml:{line}, field next_update: '2026-10-25 02:30' happens twice in "
        "Europe/Paris",
        "once in CEST, 2026-10-25T02:30+02:00, once in CET, 2026-10-25T02:30+01:00",
        env=at(0, 30, day=25, month=10),
    )


def test_a_repeated_local_time_with_its_offset_is_one_moment(world: World) -> None:
    promise(world, "2026-10-25T02:30:00+01:00")
    accepted(world, "(2026-10-25 02:30 CET)", env=at(0, 30, day=25, month=10))
