"""The checks on promises, translations and personal data (#25) beyond the bad and good
incidents: the issue's probes; the facts a translation is compared on, read alike however each
language writes them; the ledger's snapshots of earlier versions, which lack the promised times,
still read; and a moved eta refused end to end after a real send."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest

from broadcast.content.wording.against_last_sent import wording_snapshot
from broadcast.content.wording.checks import check_content
from broadcast.content.wording.messages import which_check
from broadcast.content.wording.translation_facts import facts_of
from broadcast.input.incident import load_incident
from tests.conftest import at, write
from tests.test_bad_incidents import BAD, moment
from tests.world import World
from tests.world import edit as edit_all

edit = partial(edit_all, count=1)  # the first occurrence only

RESOLVED_FR = """\
id: coupure-eau-lens
status: resolved
severity: major
locale: fr
timezone: Europe/Paris
title: Coupure d'eau à Lens
headline: L'eau coule de nouveau à Lens depuis 16h20.
started_at: 2026-11-22T08:10:00+01:00
ended_at: 2026-11-22T16:20:00+01:00
affected: Environ 3 000 foyers à Lens
summary: Nos techniciens ont remplacé la conduite. Nous vous garantissons une eau de qualité.
apology: Nous sommes désolés de vous avoir laissés sans eau.
feedback_url: https://example.com/avis
"""


def checks_of(path: Path, previous: dict | None = None) -> list[tuple[str | None, str]]:
    incident, doc = load_incident(path)
    found = check_content(incident, doc, now=moment(incident), previous=previous)
    return [(which_check(p.message), p.severity) for p in found]


def test_the_issue_probes_are_errors(tmp_path: Path) -> None:
    """« Nous vous garantissons… » once resolved, and « retour garanti vers 14h » with an eta:
    both passed before (over_promise ran only without an eta, before the end)."""
    resolved = write(tmp_path / "resolved.yaml", RESOLVED_FR)
    assert checks_of(resolved) == [("absolute_promise", "error")]
    honest = write(
        tmp_path / "honest.yaml",
        RESOLVED_FR.replace("Nous vous garantissons", "Nous ne pouvons pas garantir"),
    )
    assert checks_of(honest) == []
    with_eta = BAD / "absolute-promise-fr-retour-garanti-eta.yaml"
    assert ("absolute_promise", "error") in checks_of(with_eta)


def test_a_snapshot_from_before_the_promised_times_were_kept_still_reads() -> None:
    """A ledger keeps the snapshots of versions sent before eta and next_update were part of
    them: such a snapshot is read, and a moved time is not guessed from it."""
    path = BAD / "moved-eta-fr-sans-explication.yaml"
    before = wording_snapshot(load_incident(path.with_name(path.stem + ".previous.yaml"))[0])
    # Kept by the ledger as JSON: it round-trips.
    assert json.loads(json.dumps(before, ensure_ascii=False)) == before
    assert ("moved_eta", "error") in checks_of(path, before)
    old = {key: value for key, value in before.items() if key not in ("eta", "next_update")}
    assert checks_of(path, old) == []


@pytest.mark.parametrize(
    ("french", "english"),
    [
        ("point à 14h30", "next update at 2:30 PM"),
        ("point à 14 h 30", "next update at 14:30"),
        ("retour vers midi", "back by noon"),
        ("mardi 8 décembre", "Tuesday, December 8"),
        ("le 1er décembre", "on 1st December"),
        ("environ 12 000 foyers", "about 12,000 homes"),
        ("un avoir de 10,50 €", "a credit of €10.50"),
        ("appelez le 06 12 34 56 78", "call +33 6 12 34 56 78"),
        ("gratuit, 24h/24", "free, 24/7"),
        ("des vents à 145 km/h", "winds of 90 mph"),
        ("dans 2h", "in 2 hours"),
        ("sur https://www.exemple.fr/fr/panne", "at exemple.fr/en/outage"),
        ("Ne buvez pas l'eau du robinet", "Do not drink tap water"),
        ("N'y touchez jamais et ne vous en approchez pas", "Never touch it or go near it"),
        ("Les deux écoles sont fermées", "Both schools are closed"),
    ],
)
def test_the_same_facts_written_two_ways_are_read_alike(french: str, english: str) -> None:
    assert read(french, "fr") == read(english, "en")


def read(text: str, language: str) -> dict[str, set[str]]:
    """kind → the facts as read, whatever the words."""
    return {kind: set(values) for kind, values in facts_of(text, language).found.items()}


@pytest.mark.parametrize(
    ("french", "english", "kind"),
    [
        ("reprise mardi", "back on Wednesday", "weekday"),
        ("réouverture à 19h", "reopens at 18:00", "time"),
        ("environ 400 foyers", "about 4,000 homes", "number"),
        ("le 8 décembre", "on 9 December", "date"),
        ("appelez le 0113 496 0900", "call 0113 496 0000", "phone"),
        ("Buvez l'eau du robinet", "Do not drink tap water", "action"),
    ],
)
def test_a_fact_said_otherwise_is_read_otherwise(french: str, english: str, kind: str) -> None:
    assert read(french, "fr")[kind] != read(english, "en")[kind]


SPANISH = """\
id: corte-agua-lens
status: identified
severity: minor
locale: fr
timezone: Europe/Paris
title: Coupure d'eau à Lens
headline: "Plus d'eau à Lens : nos techniciens réparent, retour prévu vers 18h."
started_at: 2026-11-22T08:10:00+01:00
affected: Environ 12 000 foyers à Lens
summary: Une conduite a cédé mardi soir. Appelez le 0 800 000 000.
actions: Nos techniciens remplacent la conduite.
eta: 2026-11-22 18:00
next_update: 2h
translations:
  es:
    title: Corte de agua en Lens
    headline: "Sin agua en Lens: nuestros técnicos reparan, vuelta prevista hacia las 18:00."
    affected: Unos 12.000 hogares en Lens
    summary: Una tubería se rompió el martes por la noche. Llame al 0 800 000 000.
    actions: Nuestros técnicos cambian la tubería.
"""


def test_a_translation_into_a_language_without_rules_is_compared_on_what_all_write_alike(
    tmp_path: Path,
) -> None:
    """Spanish writes 12.000 for twelve thousand and « martes » for mardi: with no rules to read
    them, only the phone numbers and web addresses are compared, which every language writes
    alike."""
    path = write(tmp_path / "es.yaml", SPANISH)
    assert checks_of(path) == []
    wrong = write(
        tmp_path / "wrong.yaml", SPANISH.replace("Llame al 0 800 000 000", "Llame al 0 800 000 001")
    )
    assert checks_of(wrong) == [("translation_fact", "error")]


def test_an_eta_moved_unsaid_after_a_real_send_is_refused(world: World) -> None:
    """End to end: the ledger keeps the eta of the version sent (14h); the next send that says
    18h in both languages without a word of why is refused, nothing sent; said, it goes."""
    assert world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")[0] == 0
    sent = len(world.twilio.messages())
    edit(world, "eta: 2026-11-22T14:00:00+01:00", "eta: 2026-11-22T18:00:00+01:00")
    edit(world, "Rétablissement prévu vers 14h.", "Rétablissement prévu vers 18h.")
    edit(world, "back around 14:00.", "back around 18:00.")
    edit(world, "ne tient pas jusqu'à 14h", "ne tient pas jusqu'à 18h")
    edit(world, "it will not last until 14:00", "it will not last until 18:00")
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=at(30))
    assert code == 2
    moved = [p for p in doc["problems"] if which_check(p["message"]) == "moved_eta"]
    assert [(p["field"], p["severity"]) for p in moved] == [
        ("eta", "error"),
        ("translations.en.headline", "error"),
    ]
    assert "2026-11-22 14:00 CET" in moved[0]["message"]
    assert len(world.twilio.messages()) == sent, "nothing is sent"

    edit(
        world,
        "  autour de la rue de la Gare.",
        "  autour de la rue de la Gare. Le retour est repoussé de 14h à 18h, car le câble\n"
        "  abîmé est plus long que prévu.",
    )
    edit(
        world,
        "      no electricity.",
        "      no electricity. Power is now expected back at 18:00, not 14:00, because the\n"
        "      damaged cable is longer than we thought.",
    )
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=at(30))
    assert (code, doc["action"]) == (0, "new"), doc.get("problems")
