"""The wording checks against the facts (#25): words out of scale with severity, number
affected and duration; acronyms nobody spelled out and each sector's jargon; a hazard without
the action that keeps people safe (an error). What channels.yaml adds to them: the sector, the
acronyms a team's public knows, a team's phrasings of a protective action.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from broadcast.content.wording.checks import check_content
from broadcast.content.wording.messages import which_check
from broadcast.content.wording.scale import affected_count
from broadcast.input.config import load_config
from broadcast.input.hazards import known_hazards
from broadcast.input.incident import load_incident
from broadcast.problems import InputError, Problem
from tests.conftest import REPO, write

GOOD = REPO / "tests" / "good_incidents"

EN = """\
id: buses-leeds
status: identified
severity: minor
locale: en_GB
timezone: Europe/London
title: Bus times wrong in our app
headline: Bus times in our app are wrong. We are fixing them; next update at 10:00.
started_at: 2026-12-05 08:30
affected: About 200 people using our app in Leeds
summary: The app shows last week's timetable. Buses run as usual.
actions: We are correcting the app. Timetables at the stops are right.
eta: 2026-12-05 09:30
next_update: 2026-12-05 10:00
"""


def checks(
    tmp_path: Path, text: str, **settings: object
) -> list[tuple[str | None, str | None, str]]:
    """(check, field, severity) of each finding on ``text``, 30 minutes into the incident."""
    return [
        (which_check(p.message), p.field, p.severity) for p in found(tmp_path, text, **settings)
    ]


def found(tmp_path: Path, text: str, **settings: object) -> list[Problem]:
    path = write(tmp_path / "incident.yaml", text)
    incident, doc = load_incident(path)
    now = incident.started_at + timedelta(minutes=30)
    return check_content(incident, doc, now=now, **settings)  # type: ignore[arg-type]


def change(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# -- hazard: the field -------------------------------------------------------------------------


def test_an_unknown_hazard_is_an_error_naming_the_file_line_field_and_the_known_ones(
    tmp_path: Path,
) -> None:
    text = EN + "hazard: [gas_leak, flooding]\n"
    path = write(tmp_path / "incident.yaml", text)
    with pytest.raises(InputError) as raised:
        load_incident(path)
    [problem] = raised.value.problems
    assert problem.field == "hazard" and problem.file == path
    assert problem.line == text.splitlines().index("hazard: [gas_leak, flooding]") + 1
    assert "'flooding' is not a known hazard" in problem.message
    for name in known_hazards():
        assert name in problem.message


def test_a_hazard_is_one_name_or_a_list(tmp_path: Path) -> None:
    one, _ = load_incident(write(tmp_path / "one.yaml", EN + "hazard: heat\n"))
    assert one.hazard == ["heat"]
    two, _ = load_incident(write(tmp_path / "two.yaml", EN + "hazard:\n  - heat\n  - cold\n"))
    assert two.hazard == ["heat", "cold"]


# -- the action that keeps people safe ---------------------------------------------------------


def test_a_declared_hazard_without_its_action_is_an_error_in_the_file_language(
    tmp_path: Path,
) -> None:
    text = EN + "hazard: water_unsafe\n"
    problems = found(tmp_path, text)
    assert [(which_check(p.message), p.field, p.severity) for p in problems] == [
        ("safety_action", "actions", "error")
    ]
    assert "water unsafe to drink: declared in hazard" in problems[0].message
    assert "boil" in problems[0].message

    fixed = change(text, "Timetables at the stops", "Boil tap water before drinking it. Stops")
    assert checks(tmp_path, fixed) == []


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("facts-fr-fuite-gaz-evacuation.yaml", "  Nos techniciens réparent la canalisation"),
        ("facts-en-boil-water-notice.yaml", "  You can wash and shower as usual."),
        ("facts-fr-canicule-mairie.yaml", "  Nos agents appellent chaque jour"),
        ("facts-en-cold-heating-off.yaml", "  anyone who lives alone."),
        ("facts-fr-critique-mesure.yaml", "  Cent vingt techniciens"),
    ],
)
def test_a_good_notice_that_loses_its_protective_action_is_caught(
    tmp_path: Path, name: str, kept: str
) -> None:
    """The good notices pass because of what they say, not by luck: the same notice with only
    its repair sentence left in actions is an error on every hazard it carries."""
    text = (GOOD / name).read_text(encoding="utf-8")
    start = text.index("actions: >\n")
    end = text.index("\n", text.index(kept))
    stripped = text[:start] + "actions: >\n" + kept.split(",")[0] + ".\n" + text[end + 1 :]
    stripped = stripped.replace("..\n", ".\n")
    # The headline may carry the action too: keep only its first sentence.
    headline = next(line for line in stripped.splitlines() if line.startswith("headline:"))
    stripped = stripped.replace(headline, 'headline: "Nos équipes sont sur place, point à 20h."')
    found_checks = checks(tmp_path, stripped)
    assert ("safety_action", "actions", "error") in found_checks, found_checks


def test_the_team_adds_its_own_phrasing_of_an_action(tmp_path: Path) -> None:
    text = change(EN, "Buses run as usual.", "Residents of Mill Lane must leave their homes.")
    text = change(text, "Timetables at the stops are right.", "Buses wait at the Corn Exchange.")
    assert ("safety_action", "actions", "error") in checks(tmp_path, text)
    team = {"evacuation": ["Corn Exchange"]}
    assert ("safety_action", "actions", "error") not in checks(tmp_path, text, safety_actions=team)


def test_a_critical_power_cut_carries_the_medical_equipment_hazard_for_its_sector(
    tmp_path: Path,
) -> None:
    text = change(EN, "severity: minor", "severity: critical")
    text = change(text, "Buses run as usual.", "A power cut stopped our servers.")
    text += "signed_by: Ann Lee, Managing Director\napology: We are sorry.\noffline: Call 105.\n"
    assert ("safety_action", "actions", "error") in checks(tmp_path, text)
    # The utility sector's rule; a bank's power cut is not a utility's crisis.
    assert ("safety_action", "actions", "error") in checks(tmp_path, text, sector="utility")
    assert ("safety_action", "actions", "error") not in checks(tmp_path, text, sector="bank")


def test_an_ended_incident_asks_for_no_protective_action(tmp_path: Path) -> None:
    text = change(EN, "status: identified", "status: resolved") + "hazard: gas_leak\n"
    text += "feedback_url: https://example.com/avis\n"
    assert [c for c in checks(tmp_path, text) if c[0] == "safety_action"] == []


# -- scale ---------------------------------------------------------------------------------------


def test_a_minimiser_is_out_of_scale_only_when_a_fact_is_serious(tmp_path: Path) -> None:
    text = change(EN, "Buses run as usual.", "It is a small hiccup; buses run as usual.")
    # Minor, 200 people, one hour: a small hiccup is what it is.
    assert checks(tmp_path, text) == []
    many = change(text, "About 200 people", "About 12,000 people")
    assert checks(tmp_path, many) == [("minimising", "summary", "warning")]
    long = change(text, "eta: 2026-12-05 09:30", "eta: 2026-12-05 19:30")
    [problem] = found(tmp_path, long)
    assert which_check(problem.message) == "minimising"
    assert "11 hours lie between started_at and eta" in problem.message
    major = change(text, "severity: minor", "severity: major")
    assert ("minimising", "summary", "warning") in checks(tmp_path, major)


@pytest.mark.parametrize(
    "words",
    ["a tiny technical snag", "only a brief interruption", "nothing to worry about"],
)
def test_minimisers_are_a_class_not_a_list(tmp_path: Path, words: str) -> None:
    text = change(EN, "severity: minor", "severity: major")
    text = change(text, "Buses run as usual.", f"This is {words}.")
    text += "apology: We are sorry.\noffline: Call 0800 000 0000 free.\n"
    assert ("minimising", "summary", "warning") in checks(tmp_path, text)


def test_alarm_words_are_supported_only_by_a_critical_danger(tmp_path: Path) -> None:
    text = change(EN, "Buses run as usual.", "It is a disaster for the network.")
    assert checks(tmp_path, text) == [("alarmist", "summary", "warning")]
    # A word in capitals is the capitals check's, not reported twice.
    shouted = change(text, "a disaster", "a DISASTER")
    assert [check for check, _, _ in checks(tmp_path, shouted)] == ["capitals"]


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("Environ 25 000 foyers", 25_000),
        ("About 18,000 homes and businesses", 18_000),
        ("1,2 million de clients", 1_200_000),
        ("thousands of customers", 1_000),
        ("des dizaines de milliers d'abonnés", 10_000),
        ("Les habitants de Lens depuis 14h", None),
    ],
)
def test_the_number_affected_is_read_from_the_words(text: str, count: int | None) -> None:
    assert affected_count(text) == count


# -- acronyms and jargon -----------------------------------------------------------------------


def test_an_acronym_spelled_out_anywhere_in_its_language_is_fine(tmp_path: Path) -> None:
    text = change(EN, "Buses run as usual.", "Our NOC found it.")
    assert checks(tmp_path, text) == [("acronym", "summary", "warning")]
    spelled = change(text, "Timetables at the stops", "The Network Operations Centre (NOC) says")
    assert checks(tmp_path, spelled) == []
    # Five letters: once the capitals check called it shouting; now one warning, as an acronym.
    scada = change(EN, "Buses run as usual.", "Our SCADA failed.")
    assert checks(tmp_path, scada) == [("acronym", "summary", "warning")]


def test_the_team_names_the_acronyms_its_public_knows(tmp_path: Path) -> None:
    text = change(EN, "Buses run as usual.", "STIB buses run as usual.")
    assert checks(tmp_path, text) == [("acronym", "summary", "warning")]
    assert checks(tmp_path, text, known_acronyms=["STIB"]) == []


def test_a_sector_picks_its_jargon(tmp_path: Path) -> None:
    text = change(EN, "Buses run as usual.", "The backhaul to our masts failed.")
    assert checks(tmp_path, text) == [("jargon", "summary", "warning")]
    assert checks(tmp_path, text, sector="telecom") == [("jargon", "summary", "warning")]
    assert checks(tmp_path, text, sector="bank") == []


def test_channels_yaml_names_a_known_sector_and_known_hazards(tmp_path: Path) -> None:
    shipped = (REPO / "broadcast" / "sectors" / "utility" / "channels.yaml").read_text("utf-8")
    assert load_config(write(tmp_path / "channels.yaml", shipped), {}).content_checks.sector == (
        "utility"
    )
    for wrong, says in (
        ("  sector: utilities\n", "'utilities' is not a sector"),
        (
            "  sector: utility\n  safety_actions:\n    flood: [go upstairs]\n",
            "'flood' is not a known hazard",
        ),
    ):
        path = write(tmp_path / "channels.yaml", shipped.replace("  sector: utility\n", wrong))
        with pytest.raises(InputError) as raised:
            load_config(path, {})
        assert says in raised.value.problems[0].message
        assert raised.value.problems[0].field.startswith("content_checks.")


@pytest.mark.parametrize(
    ("summary", "check"),
    [
        ("It was a momentary lapse in our systems.", "minimising"),
        ("It is merely a temporary disruption.", "minimising"),
        ("The launch was an utter shambles.", "alarmist"),
        ("The water may be contaminated.", "safety_action"),
        ("Gas is escaping from a pipe on Mill Lane.", "safety_action"),
        ("People on breathing machines should prepare.", "safety_action"),
    ],
)
def test_each_kind_is_caught_in_other_words(tmp_path: Path, summary: str, check: str) -> None:
    text = change(EN, "severity: minor", "severity: major")
    text = change(text, "Buses run as usual.", summary)
    text += "apology: We are sorry.\noffline: Call 0800 000 0000 free.\n"
    assert check in [found_check for found_check, _, _ in checks(tmp_path, text)]


def test_stress_fits_only_a_critical_danger(tmp_path: Path) -> None:
    """Capitals and "!" on an instruction: shouting in a minor incident, fitting in a critical
    one with a danger people must act on."""
    text = change(
        EN, "Timetables at the stops are right.", "Boil tap water. NEVER drink it as it is!"
    )
    text += "hazard: water_unsafe\n"
    assert sorted(c for c, _, _ in checks(tmp_path, text)) == ["capitals", "exclamation"]
    critical = change(text, "severity: minor", "severity: critical")
    critical += "apology: We are sorry.\noffline: Call 0800 000 0000.\nsigned_by: Ann Lee, CEO\n"
    assert checks(tmp_path, critical) == []


def test_que_minimises_only_after_a_negation() -> None:
    """« ne … qu'un » makes small; « que » joining a clause (« soyez certains qu'une telle
    panne… ») does not."""
    from broadcast.content.wording.scale import _pattern

    minimisers = _pattern("minimisers", "fr")
    assert minimisers is not None
    assert minimisers.search("Ce n'est qu'un petit souci.")
    assert minimisers.search("Il ne s'agit que d'une panne.")
    assert not minimisers.search("Soyez certains qu'une telle panne n'arrivera plus.")
