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

# The slow tier (tests/conftest.py): each case runs the real CLI as a process.
pytestmark = pytest.mark.slow

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
        f"incident.yaml:{line}, champ {field} : « 2026-03-29T02:30 » n'existe pas dans le fuseau "
        "Europe/Paris : les horloges sautent cette heure",
        "2026-03-29 03:30 (CEST)",
        env=at(1, 0, day=29, month=3),
    )


def test_a_local_time_the_clocks_repeat_is_refused_naming_both(world: World) -> None:
    promise(world, "2026-10-25 02:30")
    line = line_of(world, "next_update: 2026-10-25 02:30")
    refused(
        world,
        f"incident.yaml:{line}, champ next_update : « 2026-10-25 02:30 » arrive deux fois dans le "
        "fuseau Europe/Paris",
        "une fois en CEST, 2026-10-25T02:30+02:00, une fois en CET, 2026-10-25T02:30+01:00",
        env=at(0, 30, day=25, month=10),
    )


def test_a_repeated_local_time_with_its_offset_is_one_moment(world: World) -> None:
    promise(world, "2026-10-25T02:30:00+01:00")
    accepted(world, "(2026-10-25 02:30 CET)", env=at(0, 30, day=25, month=10))


# --- 2: an end that has not happened ------------------------------------------------------


def resolve(world: World, ended_at: str, status: str = "resolved") -> int:
    extra = "\ncorrection: Fausse alerte, rien à faire." if status == "cancelled" else ""
    replace(
        world.folder / "incident.yaml",
        "status: investigating",
        f"status: {status}\nended_at: {ended_at}{extra}",
    )
    if status == "cancelled":
        replace(
            world.folder / "incident.yaml",
            "    title: Power cut in the North area",
            "    title: Power cut in the North area\n    correction: False alarm.",
        )
    return line_of(world, f"ended_at: {ended_at}")


@pytest.mark.parametrize(
    ("ended_at", "said", "status"),
    [
        ('"2026-11-22 13:20"', "2026-11-22 13:20 CET (aujourd'hui à 13h20)", "resolved"),
        ("2026-11-23T08:00:00+01:00", "2026-11-23 08:00 CET (demain à 8h)", "resolved"),
        ('"2026-11-22 09:50"', "2026-11-22 09:50 CET (aujourd'hui à 9h50)", "cancelled"),
    ],
)
def test_an_end_that_has_not_happened_is_refused(
    world: World, ended_at: str, said: str, status: str
) -> None:
    # 09:40 in Paris.
    line = resolve(world, ended_at, status)
    refused(
        world,
        # In the file's language (French: input.error_words).
        f"incident.yaml:{line}, champ ended_at : la fin, {said}, n'a pas encore eu lieu (il est "
        f"2026-11-22 09:40 CET) : un message {status} dit que l'incident est terminé",
    )


@pytest.mark.parametrize("ended_at", ['"2026-11-22 09:30"', '"2026-11-22 09:44"'])
def test_an_end_that_has_happened_or_a_clock_a_little_ahead_is_accepted(
    world: World, ended_at: str
) -> None:
    resolve(world, ended_at)
    accepted(world)


# --- 1: a bare "8h" written at night may mean tomorrow morning -----------------------------


@pytest.mark.parametrize(
    ("written", "later", "clock", "date"),
    [
        ("8h", "dans 8 heures (demain à 6h)", "à 08:00 demain (demain à 8h)", "2026-11-23 08:00"),
        ("9h", "dans 9 heures (demain à 7h)", "à 09:00 demain (demain à 9h)", "2026-11-23 09:00"),
    ],
)
def test_a_bare_hour_at_night_that_may_mean_tomorrow_is_refused(
    world: World, written: str, later: str, clock: str, date: str
) -> None:
    promise(world, written)
    line = line_of(world, f"next_update: {written}")
    refused(
        world,
        f"incident.yaml:{line}, champ next_update : « {written} » se lit de deux façons : {later}, "
        f"ou {clock}.",
        f"Écrivez next_update: « dans {written} » pour la première, ou next_update: « {date} » "
        "pour la seconde",
        env=at(22),
    )


@pytest.mark.parametrize(
    ("written", "hour", "said"),
    [
        # Each reading of the other says it: the promise stands as written.
        ('"in 8h"', 22, "demain à 6h (2026-11-23 06:00 CET)"),
        ('"2026-11-23 08:00"', 22, "demain à 8h (2026-11-23 08:00 CET)"),
        # 2:00 tomorrow is sixteen hours off at 09:40: "2h" is two hours.
        ("2h", 9, "aujourd'hui à 11h40 (2026-11-22 11:40 CET)"),
        # At 23:30, "1h" and 01:00 tomorrow are half an hour apart: the same promise.
        ("1h", 23, "demain à 0h30 (2026-11-23 00:30 CET)"),
    ],
)
def test_a_promise_that_reads_one_way_is_kept(
    world: World, written: str, hour: int, said: str
) -> None:
    promise(world, written)
    accepted(
        world,
        f"Prochain point promis : {said}",
        env=at(hour, 40 if hour == 9 else 30 if hour == 23 else 0),
    )


# --- 5: invisible characters that hide text -------------------------------------------------

AFFECTED = "    affected: About 12,000 homes in Lille and Roubaix"


@pytest.mark.parametrize(
    ("written", "named"),
    [
        ("Lille\\u3164and Roubaix", "U+3164 (HANGUL FILLER)"),
        ("Lille \\u115f Roubaix", "U+115F (HANGUL CHOSEONG FILLER)"),
        ("Lil\\u034fle and Roubaix", "U+034F (COMBINING GRAPHEME JOINER)"),
        ("Lille\\ue000 and Roubaix", "U+E000 (PRIVATE USE)"),
        ("Lille and Roubaix\\U000F0041", "U+F0041 (PRIVATE USE)"),
        ("Lille\\uffa0and Roubaix", "U+FFA0 (HALFWIDTH HANGUL FILLER)"),
        # A joiner joining nothing; a run of selectors (a message hidden after an emoji).
        ("Lille \\u200d and Roubaix", "U+200D (ZERO WIDTH JOINER)"),
        ("Lille \\U0001F600\\U000E0100\\U000E0101", "U+E0101 (VARIATION SELECTOR-18)"),
        # A direction mark in a text with no right-to-left letter can only move "10-20".
        ("Lille, zones 10\\u200f-20", "U+200F (RIGHT-TO-LEFT MARK)"),
    ],
)
def test_an_invisible_character_is_refused(world: World, written: str, named: str) -> None:
    replace(world.folder / "incident.yaml", AFFECTED, f'    affected: "{written}"')
    line = line_of(world, f'    affected: "{written}"')
    # Said in the incident's language (French).
    refused(world, f"incident.yaml:{line}, champ translations.en.affected : contient {named}")


def test_joiners_selectors_and_marks_stay_where_they_do_their_work(world: World) -> None:
    # A family and a heart on fire (joiners between emoji), a keycap, Persian's non-joiner,
    # and a right-to-left mark beside Hebrew letters.
    replace(
        world.folder / "incident.yaml",
        AFFECTED,
        '    affected: "Lille \\U0001F468\\u200d\\U0001F469\\u200d\\U0001F467 '
        "\\u2764\\ufe0f\\u200d\\U0001F525 1\\ufe0f\\u20e3 "
        "\\u0645\\u06cc\\u200c\\u062e\\u0648\\u0627\\u0647\\u0645 "
        # (12,000 as the original says: a number of its own would be a translation that
        # disagrees, a wording error.)
        '\\u05e9\\u05dc\\u05d5\\u05dd\\u200f 12,000"',
    )
    accepted(world)


# --- 4: a language tag in capitals; an empty exercise ---------------------------------------


@pytest.mark.parametrize("written", ["FR", "fr-fr", "Fr_fR"])
def test_a_language_tag_in_any_case_is_the_language(world: World, written: str) -> None:
    replace(world.folder / "incident.yaml", "locale: fr", f"locale: {written}")
    ran = cli(world.folder, "validate", "incident.yaml")
    assert ran.code == 0, ran.said[-3000:]
    assert "Prochain point promis : aujourd'hui à 11h40" in ran.said, ran.said[-3000:]
    assert "template" not in ran.said, ran.said[-3000:]


def test_a_language_that_is_not_one_is_said_on_the_locale_line(world: World) -> None:
    replace(world.folder / "incident.yaml", "locale: fr", "locale: XQ")
    refused(world, f"incident.yaml:{line_of(world, 'locale: XQ')}, field locale: 'XQ' is not a")


def test_an_empty_exercise_says_it_needs_true_or_false(world: World) -> None:
    replace(world.folder / "incident.yaml", "locale: fr", "locale: fr\nexercise: ~")
    line = line_of(world, "exercise: ~")
    ran = cli(world.folder, "validate", "incident.yaml")
    assert ran.code == 2, ran.said[-3000:]
    # In the file's language (French: input.error_words).
    assert f"incident.yaml:{line}, champ exercise : ce champ est vide : écrivez true ou false" in (
        ran.said
    ), ran.said[-3000:]
    assert "None" not in ran.said, ran.said[-3000:]


@pytest.mark.parametrize(
    ("day", "month", "said"),
    [
        (
            29,
            3,
            "lu pour aujourd'hui, « 2026-03-29 02:30 » n'existe pas dans le fuseau Europe/Paris",
        ),
        (
            25,
            10,
            "lu pour aujourd'hui, « 2026-10-25 02:30 » arrive deux fois dans le fuseau "
            "Europe/Paris",
        ),
    ],
)
def test_a_time_of_day_the_clocks_skip_or_repeat_today_is_refused(
    world: World, day: int, month: int, said: str
) -> None:
    promise(world, '"02:30"')
    line = line_of(world, 'next_update: "02:30"')
    refused(world, f"incident.yaml:{line}, champ next_update : {said}", env=at(0, 30, day, month))
