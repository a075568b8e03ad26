"""Content checks: warnings on the wording of an incident, each with its file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from broadcast.content.wording.checks import check_content
from broadcast.content.wording.plain_language import ALLOWED_CAPITALS, DEFAULT_JARGON
from broadcast.input.incident import load_incident
from broadcast.problems import Problem
from tests.conftest import REPO, write

FR = """\
id: coupure-eau-lens
status: identified
severity: major
locale: fr
timezone: Europe/Paris
title: Coupure d'eau à Lens
headline: Plus d'eau au robinet à Lens. Nos techniciens réparent la conduite, retour prévu vers 18h.
started_at: 2026-11-22T08:10:00+01:00
affected: Environ 3 000 foyers à Lens
summary: >
  Une conduite d'eau a cédé cette nuit sous la rue Victor Hugo.
  L'eau ne coule plus, ou très faiblement.
actions: Nos techniciens remplacent la conduite. Des bouteilles d'eau sont données à la mairie.
eta: 2026-11-22 18:00
next_update: 2h
apology: Nous sommes désolés pour cette gêne.
offline: Sans internet, appelez le 0 800 000 000 (gratuit).
faq:
  - q: L'eau sera-t-elle potable ?
    a: Oui. Laissez couler le robinet d'eau froide quelques minutes.
"""

EN = """\
id: water-millbrook
status: identified
severity: major
locale: en_US
timezone: Europe/London
title: No tap water in Millbrook
headline: No tap water in Millbrook. Engineers are repairing a burst pipe; water expected by 6 pm.
started_at: 2026-12-05 05:30
affected: About 2,000 homes in Millbrook
summary: >
  A water main burst under High Street last night.
  Taps are dry or give only a trickle.
actions: Engineers are replacing the pipe. Bottled water is available at the town hall.
eta: 2026-12-05 18:00
next_update: 2h
apology: We are sorry for the trouble this is causing you.
offline: No internet? Call 0800 000 0000 free.
faq:
  - q: Is the water safe when it comes back?
    a: Yes. Run the cold tap for a few minutes first.
"""


def check(
    tmp_path: Path, text: str, jargon: tuple[str, ...] = (), max_words: int = 25
) -> list[Problem]:
    path = write(tmp_path / "incident.yaml", text)
    incident, doc = load_incident(path)
    problems = check_content(incident, doc, jargon, max_words)
    for problem in problems:
        assert problem.severity == "warning"
        assert problem.file == path
    return problems


def where(problems: list[Problem]) -> list[tuple[str | None, int | None]]:
    return [(p.field, p.line) for p in problems]


def line(text: str, start: str) -> int:
    """1-based number of the first line of ``text`` that starts with ``start`` (indent ignored)."""
    for number, content in enumerate(text.splitlines(), start=1):
        if content.lstrip().startswith(start):
            return number
    raise AssertionError(f"no line starts with {start!r}")


def change(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize("text", [FR, EN], ids=["fr", "en"])
def test_plain_wording_has_no_warning(tmp_path: Path, text: str) -> None:
    assert check(tmp_path, text) == []


# Wording in the shipped examples that the checks flag. Reported to the lead rather than edited
# here; when an example is reworded, this test fails until its entry is removed.
@pytest.mark.parametrize("name", ["panne-nord.yaml", "storm-en.yaml"])
def test_shipped_examples_are_models_of_good_wording(name: str) -> None:
    incident, doc = load_incident(REPO / "examples" / name)
    assert [p.sentence() for p in check_content(incident, doc)] == []


# 1. The headline says what is being done, and when people will hear more.


def test_headline_without_action_fr(tmp_path: Path) -> None:
    bad = change(FR, "Nos techniciens réparent la conduite, retour", "Retour de l'eau")
    problems = check(tmp_path, bad)
    assert where(problems) == [("headline", line(bad, "headline:"))]
    # A French file gets its advice in French.
    assert "ne dit pas ce qui est fait" in problems[0].message
    assert "« Nos techniciens réparent le câble »" in problems[0].message

    fixed = change(bad, "Retour de l'eau", "Nous réparons la conduite, retour de l'eau")
    assert check(tmp_path, fixed) == []


def test_headline_without_time_en(tmp_path: Path) -> None:
    # A start time is not the time of the end or the next update.
    bad = change(EN, "; water expected by 6 pm.", " since 5:30am.")
    problems = check(tmp_path, bad)
    assert where(problems) == [("headline", line(bad, "headline:"))]
    assert "when the end or the next update comes" in problems[0].message

    fixed = change(bad, " since 5:30am.", " since 5:30am. Next update at 11:30am.")
    assert check(tmp_path, fixed) == []


def test_headline_missing_both_gets_two_warnings(tmp_path: Path) -> None:
    bad = change(FR, "Nos techniciens réparent la conduite, retour prévu vers 18h.", "Désolés.")
    problems = check(tmp_path, bad)
    assert where(problems) == [("headline", line(bad, "headline:"))] * 2
    assert "ce qui est fait" in problems[0].message
    assert "quand viendra la fin" in problems[1].message


def test_resolved_headline_needs_neither(tmp_path: Path) -> None:
    text = change(FR, "status: identified", "status: resolved")
    text = change(text, "Nos techniciens réparent la conduite, retour prévu vers 18h.", "Fini.")
    text = change(text, "next_update: 2h\n", "feedback_url: https://example.com/avis\n")
    assert check(tmp_path, text) == []


# 2. An apology on a major or critical incident.


def test_major_incident_without_apology(tmp_path: Path) -> None:
    bad = change(FR, "apology: Nous sommes désolés pour cette gêne.\n", "")
    problems = check(tmp_path, bad)
    # No apology line in the file: the warning points at the severity that asks for one.
    assert where(problems) == [("apology", line(bad, "severity:"))]
    assert "major" in problems[0].message
    assert "« Nous sommes désolés" in problems[0].message

    in_summary = change(bad, "très faiblement.", "très faiblement. Nous le regrettons.")
    assert check(tmp_path, in_summary) == []
    minor = change(bad, "severity: major", "severity: minor")
    assert check(tmp_path, minor) == []


def test_critical_incident_with_empty_apology_en(tmp_path: Path) -> None:
    bad = change(EN, "severity: major", "severity: critical")
    bad = change(bad, "apology: We are sorry for the trouble this is causing you.", "apology:")
    bad += "signed_by: Sarah Okafor, Chief Executive\n"
    problems = check(tmp_path, bad)
    assert where(problems) == [("apology", line(bad, "apology:"))]
    assert "critical" in problems[0].message

    fixed = change(bad, "No tap water in Millbrook.", "Sorry, no tap water in Millbrook.")
    assert check(tmp_path, fixed) == []


# 3. Sentences short enough to read under stress.


def test_long_sentence_in_summary(tmp_path: Path) -> None:
    long = (
        "A water main burst under High Street last night and the water that escaped flooded "
        "the cellars of several shops, so the road is closed while our crews dig down to the "
        "pipe."
    )
    bad = change(EN, "A water main burst under High Street last night.", long)
    problems = check(tmp_path, bad)
    assert where(problems) == [("summary", line(bad, "summary:"))]
    assert '"A water main burst under High Street last…"' in problems[0].message
    assert "has 33 words (more than 25)" in problems[0].message

    assert check(tmp_path, bad, max_words=33) == []


def test_long_sentence_in_faq_answer(tmp_path: Path) -> None:
    long = (
        "Oui, mais laissez d'abord couler le robinet d'eau froide de la cuisine pendant "
        "quelques minutes, jusqu'à ce que l'eau soit claire, puis appelez le 0 800 000 000 "
        "si elle reste trouble."
    )
    bad = change(FR, "Oui. Laissez couler le robinet d'eau froide quelques minutes.", long)
    problems = check(tmp_path, bad)
    assert where(problems) == [("faq[0].a", line(bad, "a: Oui"))]
    # The phone number counts as one word (29, not 32).
    assert "a 29 mots (plus de 25)" in problems[0].message

    assert check(tmp_path, bad, max_words=29) == []


# 4. Jargon, from the default list and the organisation's own.


def test_default_jargon_en(tmp_path: Path) -> None:
    bad = change(EN, "Taps are dry", "Due to degraded performance upstream, taps are dry")
    bad = change(bad, "the town hall.", "the town hall. Quote your incident ticket.")
    problems = check(tmp_path, bad)
    assert where(problems) == [
        ("summary", line(bad, "summary:")),
        ("actions", line(bad, "actions:")),
    ]
    assert problems[0].message.startswith('"degraded performance" is jargon')
    assert "slow" in problems[0].message
    # The longer phrase is reported, not also "ticket" inside it.
    assert problems[1].message.startswith('"incident ticket" is jargon')


def test_default_jargon_fr_matches_whole_words_ignoring_case(tmp_path: Path) -> None:
    bad = change(FR, "Une conduite d'eau a cédé", "Un défaut sur le Poste Source a coupé la pompe")
    # "bts" and "abt" are not "BT".
    bad = change(bad, "quelques minutes.", "quelques minutes (bts, abt).")
    problems = check(tmp_path, bad)
    assert where(problems) == [("summary", line(bad, "summary:"))]
    assert problems[0].message.startswith("« Poste Source » est du jargon")
    assert "expliquez-le ou évitez-le" in problems[0].message


def test_user_jargon(tmp_path: Path) -> None:
    bad = change(
        EN,
        "Engineers are replacing the pipe.",
        "Engineers are isolating the DMA. Pressure Zone 4 is off.",
    )
    # Without the team's list, only the acronym rule speaks: "DMA" is never spelled out (#25).
    assert [p.message[:28] for p in check(tmp_path, bad)] == ['"DMA" is an acronym most rea']
    problems = check(tmp_path, bad, jargon=("DMA", "pressure zone", " "))
    assert where(problems) == [("actions", line(bad, "actions:"))] * 2
    assert problems[0].message.startswith('"DMA" is jargon')
    assert "plain words" in problems[0].message
    assert problems[1].message.startswith('"Pressure Zone" is jargon')


def test_user_phrase_starting_with_a_default_term_is_reported_whole(tmp_path: Path) -> None:
    bad = change(EN, "Engineers are replacing the pipe.", "Engineers are fixing a node failure.")
    assert [p.message[:6] for p in check(tmp_path, bad)] == ['"node"']
    problems = check(tmp_path, bad, jargon=("node failure",))
    assert len(problems) == 1
    assert problems[0].message.startswith('"node failure" is jargon')


def test_default_lists_cover_both_languages() -> None:
    assert {"root cause", "failover", "dns", "eta"} <= DEFAULT_JARGON["en"].keys()
    assert {"poste source", "hta", "bascule", "latence"} <= DEFAULT_JARGON["fr"].keys()
    # Lower case keys: they are looked up by the lower-cased text found.
    for terms in DEFAULT_JARGON.values():
        assert all(term == term.lower() for term in terms)


# 5. Exclamation marks and capitals.


def test_exclamation_mark(tmp_path: Path) -> None:
    bad = change(FR, "Nous sommes désolés pour cette gêne.", "Nous sommes désolés !")
    problems = check(tmp_path, bad)
    assert where(problems) == [("apology", line(bad, "apology:"))]
    assert "exclamation" in problems[0].message


def test_capitals(tmp_path: Path) -> None:
    bad = change(EN, "- q: Is the water safe", "- q: Is the water SAFE")
    bad = change(bad, "title: No tap water in Millbrook", 'title: "URGENT: no tap water"')
    problems = check(tmp_path, bad)
    assert where(problems) == [
        ("title", line(bad, "title:")),
        ("faq[0].q", line(bad, "- q:")),
    ]
    assert '"URGENT"' in problems[0].message
    assert "lower case" in problems[0].message
    assert '"SAFE"' in problems[1].message


def test_known_acronyms_and_short_words_are_not_shouting(tmp_path: Path) -> None:
    text = change(
        FR,
        "Des bouteilles d'eau sont données à la mairie.",
        "Les EHPAD et la SNCF sont prévenus par SMS. Pas de COVID, ni de TGV touché.",
    )
    assert {"SMS", "SNCF", "COVID", "EHPAD"} <= ALLOWED_CAPITALS
    assert check(tmp_path, text) == []


def test_capitals_that_are_jargon_are_reported_as_jargon(tmp_path: Path) -> None:
    text = change(
        FR,
        "Nos techniciens remplacent",
        "Le SCADA et EDF sont prévenus. Nos techniciens remplacent",
    )
    problems = check(tmp_path, text, jargon=("scada", "EDF"))
    assert where(problems) == [("actions", line(text, "actions:"))] * 2
    assert problems[0].message.startswith("« SCADA » est du jargon")
    assert problems[1].message.startswith("« EDF » est du jargon")


# 6. A resolved incident asks how the organisation did.


def test_resolved_without_feedback_url(tmp_path: Path) -> None:
    bad = change(EN, "status: identified", "status: resolved")
    bad = change(bad, "Engineers are repairing a burst pipe; water expected by 6 pm.", "Fixed.")
    problems = check(tmp_path, bad)
    # No feedback_url line in the file: the warning points at the status that asks for one.
    assert where(problems) == [("feedback_url", line(bad, "status:"))]
    assert "evaluate how it communicated" in problems[0].message

    fixed = change(bad, "next_update: 2h", "feedback_url: https://example.com/feedback")
    assert check(tmp_path, fixed) == []


# Translations and other languages.

TRANSLATION = """\
translations:
  en-GB:
    title: No water in Lens
    headline: No tap water in Lens. Water expected back around 18:00.
    affected: About 3,000 homes in Lens
    summary: A water pipe burst last night under rue Victor Hugo. Taps are dry or give a trickle.
    actions: Our technicians are replacing the pipe. Bottled water is given out at the town hall.
    apology: We are sorry for the trouble.
    offline: No internet? Call 0 800 000 000 free.
    faq:
      - q: Is the water safe?
        a: Yes! Run the cold tap for a few minutes.
"""


def test_translations_are_checked_in_their_language(tmp_path: Path) -> None:
    text = FR + TRANSLATION
    problems = check(tmp_path, text)
    assert where(problems) == [
        ("translations.en-GB.headline", line(text, "headline: No tap water in Lens")),
        ("translations.en-GB.faq[0].a", line(text, "a: Yes!")),
    ]
    assert '"Engineers are repairing' in problems[0].message
    assert "exclamation" in problems[1].message

    fixed = change(text, "Water expected back", "We are repairing it; water expected back")
    fixed = change(fixed, "Yes!", "Yes.")
    assert check(tmp_path, fixed) == []


def test_other_languages_get_the_checks_without_word_lists(tmp_path: Path) -> None:
    text = change(FR, "locale: fr", "locale: de")
    text = change(text, "apology: Nous sommes désolés pour cette gêne.\n", "")
    headline = "headline: Plus d'eau au robinet à Lens. Nos techniciens réparent la conduite"
    text = change(text, headline, "headline: ACHTUNG kein Wasser in Lens! Die Leitung")
    problems = check(tmp_path, text)
    # No headline or apology heuristics in German; capitals and "!" are caught in any language.
    assert where(problems) == [("headline", line(text, "headline:"))] * 2
    assert "exclamation" in problems[0].message
    assert '"ACHTUNG"' in problems[1].message


@pytest.mark.parametrize(
    ("status", "headline", "found"),
    [
        (
            "investigating",
            "Plus d'eau à Lens : la cause est trouvée. Point à 11h.",
            "la cause est trouvée",
        ),
        (
            "investigating",
            "L'eau est revenue à Lens. Nos techniciens vérifient, point à 11h.",
            "L'eau est revenue",
        ),
        (
            "identified",
            "Plus d'eau à Lens, c'est réparé. Nos techniciens vérifient, point à 11h.",
            "c'est réparé",
        ),
        ("resolved", "L'eau revient à Lens, la réparation est toujours en cours.", "toujours"),
    ],
)
def test_a_headline_that_says_another_stage_than_the_status(
    tmp_path: Path, status: str, headline: str, found: str
) -> None:
    text = FR.replace("status: identified", f"status: {status}").replace(
        FR.split("headline: ", 1)[1].split("\n", 1)[0], f'"{headline}"'
    )
    problems = [p for p in check(tmp_path, text) if "autre étape" in p.message]
    assert where(problems) == [("headline", line(text, "headline:"))]
    assert f"l'incident est {status}" in problems[0].message
    assert f"« {found} »" in problems[0].message


@pytest.mark.parametrize(
    ("status", "headline"),
    [
        # An expected end is not a repair done.
        ("investigating", "Plus d'eau à Lens. Nos techniciens cherchent, eau rétablie vers 18h."),
        (
            "identified",
            "Plus d'eau à Lens. Nos techniciens réparent, retour à la normale prévu vers 18h.",
        ),
        (
            "identified",
            "Plus d'eau à Lens. La cause est trouvée, nos techniciens réparent d'ici 18h.",
        ),
        ("resolved", "L'eau est revenue à Lens depuis 13h20. Merci de votre patience."),
    ],
)
def test_a_headline_at_its_own_stage_is_quiet(tmp_path: Path, status: str, headline: str) -> None:
    text = FR.replace("status: identified", f"status: {status}").replace(
        FR.split("headline: ", 1)[1].split("\n", 1)[0], f'"{headline}"'
    )
    assert [p.message for p in check(tmp_path, text) if "autre étape" in p.message] == []


def test_the_contradiction_in_english_says_it_in_english(tmp_path: Path) -> None:
    text = EN.replace("status: identified", "status: resolved").replace(
        "No tap water in Millbrook. Engineers are repairing a burst pipe; water expected by 6 pm.",
        "Engineers are still flushing the pipes in Millbrook.",
    )
    problems = [p for p in check(tmp_path, text) if "another stage" in p.message]
    assert len(problems) == 1 and '"still"' in problems[0].message, problems


def test_english_times_on_both_clocks(tmp_path: Path) -> None:
    text = change(EN, "Bottled water is available", "Bottled water is available from 6:30 am")
    text = change(text, "water expected by 6 pm.", "water expected by 18:00.")
    problems = [p for p in check(tmp_path, text) if "two ways" in p.message]
    # en_US: the 24-hour one is the odd one out, and the advice is the locale's clock.
    assert where(problems) == [("headline", line(text, "headline:"))]
    assert '"6:30 am" (actions) and "18:00" (headline)' in problems[0].message
    assert '"2:00 PM"' in problems[0].message


def test_english_times_on_the_other_clock_than_the_messages(tmp_path: Path) -> None:
    british = change(EN, "locale: en_US", "locale: en_GB")
    problems = [p for p in check(tmp_path, british) if "clock" in p.message]
    assert where(problems) == [("headline", line(british, "headline:"))]
    assert '"6 pm" is on the 12-hour clock' in problems[0].message
    assert problems[0].message.endswith('Write "18:00"')
    fixed = change(british, "by 6 pm", "by 18:00")
    assert check(tmp_path, fixed) == []


def test_numbers_that_are_not_times_are_not_clocks(tmp_path: Path) -> None:
    text = change(
        change(EN, "locale: en_US", "locale: en_GB"),
        "water expected by 6 pm.",
        "water expected by 18:00. Call 0800 000 0000 or 999, 24/7, within 2.5 hours.",
    )
    assert [p.message for p in check(tmp_path, text) if "clock" in p.message] == []


def test_any_of_our_people_at_work_say_what_is_being_done() -> None:
    """ "Our scientists are testing", « nos chimistes analysent »: the headline says someone is on
    it whatever their trade (a held-out boil-water notice was told it did not)."""
    import re

    from broadcast.content.wording.vocabulary import language_patterns

    en, fr = language_patterns("en"), language_patterns("fr")
    assert en is not None and fr is not None
    assert re.search(en.action, "Boil water in Kendal. Our scientists are testing the network.")
    assert re.search(fr.action, "Eau non potable. Nos chimistes analysent l'eau du réseau.")
