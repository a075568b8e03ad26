"""The incident model: the contract of the incident file, and errors that name file, line, field."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from broadcast.input.incident import load_incident
from broadcast.input.incident_texts import MAX_CHARACTERS, MAX_OTHER_CHARACTERS
from broadcast.input.incident_times import parse_duration
from broadcast.problems import InputError
from tests.conftest import write

VALID = """\
id: panne-nord-2026-11-22
status: investigating
severity: major
locale: fr
timezone: Europe/Paris
title: Coupure d'électricité dans le secteur Nord
headline: Coupure de courant à Lille et Roubaix depuis 8h10. Rétablissement prévu vers 14h.
started_at: 2026-11-22T08:10:00+01:00
affected: Environ 12 000 foyers à Lille et Roubaix
summary: >
  Un incident sur le poste source
  de Lille-Nord.
actions: Nos techniciens sont sur place.
eta: 2026-11-22 14:00
next_update: 2h
faq:
  - q: Mon congélateur ?
    a: Gardez-le fermé.
"""


def problems_for(tmp_path: Path, text: str) -> list[tuple[int | None, str | None, str]]:
    path = write(tmp_path / "incident.yaml", text)
    with pytest.raises(InputError) as caught:
        load_incident(path)
    for problem in caught.value.problems:
        assert problem.file == path
    return [(p.line, p.field, p.message) for p in caught.value.problems]


def test_valid_incident_loads_with_local_times(tmp_path: Path) -> None:
    incident, _ = load_incident(write(tmp_path / "i.yaml", VALID))
    assert incident.status == "investigating"
    assert incident.summary == "Un incident sur le poste source de Lille-Nord."
    # A date without offset is read in the incident's timezone.
    assert incident.eta == datetime(2026, 11, 22, 14, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert incident.next_update == timedelta(hours=2)
    assert incident.faq[0].a == "Gardez-le fermé."
    now = datetime(2026, 11, 22, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert incident.next_update_at(now) == datetime(
        2026, 11, 22, 11, 0, tzinfo=ZoneInfo("Europe/Paris")
    )


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    text = (
        VALID.replace("status: investigating", "status: investigatin")
        .replace("eta: 2026-11-22 14:00", "eta: 14:00")
        .replace("next_update: 2h", "next_updte: 2h")
    )
    found = problems_for(tmp_path, text)
    by_field = {field: (line, message) for line, field, message in found}
    assert by_field["status"][0] == 2
    # Said in the file's language (French).
    assert "vouliez-vous dire « investigating »" in by_field["status"][1]
    assert by_field["eta"][0] == 14
    assert "n'est pas une date et une heure" in by_field["eta"][1]
    assert by_field["next_updte"][0] == 15
    assert "vouliez-vous dire « next_update »" in by_field["next_updte"][1]


def test_missing_field_is_named(tmp_path: Path) -> None:
    text = "\n".join(line for line in VALID.splitlines() if not line.startswith("headline"))
    found = problems_for(tmp_path, text)
    assert [(f, m) for _, f, m in found] == [("headline", "ce champ obligatoire manque")]


def test_promise_of_next_update_is_required_until_resolved(tmp_path: Path) -> None:
    text = VALID.replace("next_update: 2h\n", "")
    found = problems_for(tmp_path, text)
    assert found[0][1] == "next_update"
    assert "prochain point" in found[0][2]  # in the file's language
    resolved = text.replace("status: investigating", "status: resolved")
    incident, _ = load_incident(write(tmp_path / "r.yaml", resolved))
    assert incident.next_update_at(datetime.now(ZoneInfo("UTC"))) is None


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        # The file is French: so are its errors (input.error_words).
        ("id: panne-nord-2026-11-22", "id: Panne Nord!", "id", "des minuscules"),
        ("severity: major", "severity: huge", "severity", "'minor', 'major' ou 'critical'"),
        ("timezone: Europe/Paris", "timezone: Paris", "timezone", "Europe/Paris"),
        ("locale: fr", "locale: zz-top", "locale", "not a language code"),
        ("next_update: 2h", "next_update: soon", "next_update", "ni une durée"),
        ("eta: 2026-11-22 14:00", "eta: 2026-11-21 14:00", "eta", "avant started_at"),
        ("faq:", "link: status.example.com\nfaq:", "link", "https://"),
        ("    a: Gardez-le fermé.", "    answer: Gardez-le fermé.", "faq[0].answer", "inconnu"),
    ],
)
def test_bad_values_are_explained(
    tmp_path: Path, old: str, new: str, field: str, words: str
) -> None:
    assert old in VALID
    found = problems_for(tmp_path, VALID.replace(old, new))
    messages = {f: m for _, f, m in found}
    assert field in messages, found
    assert words in messages[field]


def test_headline_must_be_one_line(tmp_path: Path) -> None:
    lines = [
        'headline: "Coupure de courant\\nsur deux lignes"' if line.startswith("headline") else line
        for line in VALID.splitlines()
    ]
    found = problems_for(tmp_path, "\n".join(lines))
    assert [(line, f) for line, f, m in found if "une seule ligne" in m] == [(7, "headline")]


def test_defaults_fill_what_the_incident_leaves_out(tmp_path: Path) -> None:
    text = VALID.replace("locale: fr\n", "").replace("timezone: Europe/Paris\n", "")
    incident, _ = load_incident(
        write(tmp_path / "i.yaml", text),
        defaults={"locale": "en", "timezone": "America/Montreal", "organisation": "ignored"},
    )
    assert (incident.locale, incident.timezone) == ("en", "America/Montreal")


def test_a_list_is_not_an_incident(tmp_path: Path) -> None:
    found = problems_for(tmp_path, "- a\n- b\n")
    assert "field: value" in found[0][2]


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("2h", 120), ("90m", 90), ("1h30", 90), ("45 min", 45), ("1d", 1440), ("PT2H30M", 150)],
)
def test_durations(text: str, minutes: int) -> None:
    assert parse_duration(text) == timedelta(minutes=minutes)


def test_not_a_duration() -> None:
    assert parse_duration("soon") is None
    assert parse_duration("") is None


def test_every_text_over_its_bound_is_refused_with_its_line_before_anything_else(
    tmp_path: Path,
) -> None:
    limits = MAX_CHARACTERS
    text = (
        VALID.replace("headline: Coupure", "headline: " + "x" * limits["headline"] + "Coupure")
        .replace("  de Lille-Nord.", "  " + "Lille. " * 1000)
        .replace("    a: Gardez-le fermé.", "    a: " + "Fermé. " * 400)
        .replace("status: investigating", "status: " + "investigating" * 20)
        .replace("next_update: 2h", "next_update: " + "1" * 10_000)
        + "translations:\n  en:\n    title: "
        + "t" * 201
        + "\n"
    )
    found = problems_for(tmp_path, text)
    # Only the lengths: a value this long is not checked further, so nothing else is said.
    assert [(line, field) for line, field, _ in found] == [
        (2, "status"),
        (7, "headline"),
        (10, "summary"),
        (15, "next_update"),
        (18, "faq[0].a"),
        (21, "translations.en.title"),
    ]
    messages = {field: message for _, field, message in found}

    # The file is French, so are its errors, numbers written the French way (1 081).
    def french(n: int) -> str:
        return f"{n:,}".replace(",", "\u202f")

    assert messages["headline"].startswith(f"{french(limits['headline'] + 81)} caractères")
    assert f"au plus {french(limits['headline'])}" in messages["headline"]
    assert f"au plus {MAX_OTHER_CHARACTERS}" in messages["status"]
    assert all(len(message) < 200 for message in messages.values())


def test_texts_at_their_bound_are_accepted(tmp_path: Path) -> None:
    headline = ("Coupure de courant " * 60)[: MAX_CHARACTERS["headline"] - 1] + "."
    assert len(headline) == MAX_CHARACTERS["headline"]
    text = "\n".join(
        f"headline: {headline}" if line.startswith("headline:") else line
        for line in VALID.splitlines()
    )
    incident, _ = load_incident(write(tmp_path / "incident.yaml", text))
    assert incident.headline == headline
