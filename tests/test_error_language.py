"""Every error about an incident file is said in the file's language: French for a French
``locale`` (or, without one, channels.yaml's French default), English otherwise; with its
file, line and field. Real CLI processes on French files with different errors: an unknown
field, a value of the wrong kind, a bad time, a missing field.
"""

from __future__ import annotations

import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest

from broadcast.input.error_words import WORDS, file_language
from tests.conftest import NOW, REPO, write
from tests.test_docs import index_fragments

EXAMPLE = (REPO / "examples" / "panne-nord.yaml").read_text(encoding="utf-8")


def validate(folder: Path, text: str) -> tuple[int, str, int]:
    """``broadcast validate`` on ``text`` in a real process: its exit code, what it said
    (one paragraph per line folded back), and the line of the first line that differs from
    the example."""
    write(folder / "incident.yaml", text)
    done = subprocess.run(
        [sys.executable, "-m", "broadcast", "validate", "incident.yaml", "--config",
         str(REPO / "channels.yaml")],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, "BROADCAST_NOW": NOW.isoformat(), "COLUMNS": "400"},
        timeout=60,
    )  # fmt: skip
    said = done.stdout + done.stderr
    assert "Traceback" not in said, said
    before = EXAMPLE.splitlines()
    changed = next(
        (n for n, (a, b) in enumerate(zip(before, text.splitlines(), strict=False), 1) if a != b),
        len(before),
    )
    return done.returncode, said, changed


CASES = {
    "unknown field": (
        "headline: Coupure",
        "headlin: Coupure",
        "champ headlin : champ inconnu « headlin » ; vouliez-vous dire « headline » ?",
    ),
    "wrong type": (
        "title: Coupure d'électricité dans le secteur Nord",
        "title:\n  - Lille\n  - Roubaix",
        "champ title : il faut ici un texte, pas une liste",
    ),
    # affected may be a list of services or areas with their impact; an item that is not one
    # is said in French too.
    "affected item": (
        "affected: Environ 12 000 foyers à Lille et Roubaix",
        "affected:\n  - Lille\n  - name: Roubaix\n    impact: panne",
        "l'élément 1 de affected n'est pas un service ou un secteur",
    ),
    "bad time": (
        "next_update: dans 2h",
        "next_update: 2",
        "champ next_update : « 2 » n'a pas d'unité : écrivez 2h pour des heures",
    ),
    "bad date": (
        "eta: 2026-11-22T14:00:00+01:00",
        "eta: vers 14h",
        "champ eta : « vers 14h » n'est pas une date et une heure",
    ),
}


# Errors found while YAML reads the file, before any field is known: the language is read from
# the raw text's locale line.
CASES["a field given twice"] = (
    "status: investigating",
    "status: investigating\nstatus: identified",
    "« status » est donné deux fois (d'abord ligne",
)
CASES["an unknown hazard"] = (
    "severity: major",
    "severity: major\nhazard: inondation",
    "champ hazard : « inondation » n'est pas un danger connu ; écrivez l'un de :",
)
CASES["broken YAML"] = (
    "severity: major",
    'severity: "major',
    "ce n'est pas du YAML valide",
)
CASES["a bad language code"] = (
    "translations:\n  en:",
    "translations:\n  e1:",
    "« e1 » n'est pas un code de langue",
)
CASES["a tab in a headline"] = (
    "headline: Coupure de courant à Lille et Roubaix depuis 8h10. Rétablissement prévu vers 14h.",
    'headline: "Coupure\\tde courant"',
    "champ headline : contient une tabulation (U+0009) : écrivez une espace",
)
# The area (CAP's, and who a send reaches): a polygon that crosses itself, a circle mistyped.
CASES["a polygon that crosses itself"] = (
    "severity: major",
    'severity: major\narea:\n  polygons: ["50.6,3.0 50.7,3.1 50.7,3.0 50.6,3.1 50.6,3.0"]',
    "le polygone 1 se croise lui-même en 50.65,3.05",
)
CASES["a CAP circle mistyped"] = (
    "severity: major",
    'severity: major\narea:\n  circles: ["50.63 3.05 2km"]',
    "« 50.63 3.05 2km » n'est pas un cercle : écrivez-le lat,lon rayon_km",
)
# The bounds of reading the file: an alias that repeats a block ten thousand times, one that
# stands for a block holding it, a control character written as an escape.
_TEN = ", ".join(["x"] * 10)
CASES["a YAML bomb"] = (
    "severity: major",
    "severity: major\na: &a ["
    + _TEN
    + "]\n"
    + "".join(f"{b}: &{b} [{', '.join([f'*{a}'] * 10)}]\n" for a, b in ("ab", "bc", "cd"))
    + "e: ["
    + ", ".join(["*d"] * 10)
    + "]",
    "se répète tant que ce fichier contient plus de 10 000 valeurs",
)
CASES["a YAML cycle"] = (
    "severity: major",
    "severity: major\nloop: &loop [*loop]",
    "champ loop[0] : *loop désigne un bloc qui le contient : il se répéterait à l'infini",
)
CASES["a hidden character"] = (
    "severity: major",
    'severity: major\nnote: "coupure\\e[2J"',
    "champ note : contient U+001B (ESCAPE) : les caractères de contrôle",
)


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_french_file_is_told_its_errors_in_french(tmp_path: Path, case: str) -> None:
    old, new, words = CASES[case]
    assert old in EXAMPLE
    code, said, line = validate(tmp_path, EXAMPLE.replace(old, new, 1))
    assert code == 2, said
    flat = " ".join(said.split())
    if case == "a YAML bomb":
        # Said at the alias that passed the bound, whichever it is, with French digit groups
        # (a narrow no-break space, which ``flat`` folds into a space).
        found = rf"incident\.yaml:\d+, champ \w+\[\d+\] : \*\w+ {re.escape(words)}"
        assert re.search(found, flat) and "10\u202f000" in said, said
    elif case in (
        "a field given twice",
        "broken YAML",
        "affected item",
        "a bad language code",
        "a polygon that crosses itself",
        "a CAP circle mistyped",
    ):
        # Found where YAML found it (an item of a list: its own line), in the file's language.
        assert re.search(rf"incident\.yaml:\d+(, champ [\w.]+)? : {re.escape(words)}", flat), said
    else:
        assert f"incident.yaml:{line}, {words}" in flat, said


def test_a_missing_field_is_told_in_french_at_the_file(tmp_path: Path) -> None:
    text = "\n".join(line for line in EXAMPLE.splitlines() if not line.startswith("title:"))
    code, said, _ = validate(tmp_path, text + "\n")
    assert code == 2
    assert re.search(r"incident\.yaml:\d+, champ title : ce champ obligatoire manque", said), said


def test_the_same_errors_in_an_english_file_are_in_english(tmp_path: Path) -> None:
    text = EXAMPLE.replace("locale: fr", "locale: en_GB").replace(
        "next_update: dans 2h", "next_update: 2"
    )
    text = text.replace("headline: Coupure", "headlin: Coupure")
    code, said, _ = validate(tmp_path, text)
    assert code == 2
    flat = " ".join(said.split())
    assert "unknown field 'headlin'; did you mean 'headline'?" in flat
    assert "'2' has no unit: write 2h for hours" in flat
    assert "champ" not in flat


def test_the_language_is_read_before_validation() -> None:
    assert file_language({"locale": "fr_CA"}) == "fr"
    assert file_language({"locale": "FR-fr"}) == "fr"
    assert file_language({"locale": "en"}, {"locale": "fr"}) == "en"
    assert file_language({}, {"locale": "fr"}) == "fr"  # channels.yaml's default
    assert file_language({"locale": ["fr"]}) == "en"  # not a locale: English
    # YAML that cannot be read: the raw text's locale line.
    assert file_language(None, text="id: x\nlocale: fr\nheadline: [") == "fr"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_each_message_is_said_in_both_languages_with_the_same_values() -> None:
    assert set(WORDS["fr"]) == set(WORDS["en"])
    for key, english in WORDS["en"].items():
        assert _fields(WORDS["fr"][key]) == _fields(english), key


def test_the_error_index_gives_both_wordings_of_a_message_it_lists() -> None:
    """One error, two languages: where docs/errors.md lists a message, it quotes its French
    wording too, so a French reader finds it by what they read."""
    quoted = index_fragments()

    listed = 0
    for key, english in WORDS["en"].items():
        if any(fragment in english and len(fragment) >= 12 for fragment in quoted):
            listed += 1
            french = WORDS["fr"][key]
            assert any(f in french for f in quoted if len(f) >= 8 and f not in english), key
    assert listed >= 8


# -- The whole paragraph: its kind, its place and its message --------------------------------
#
# A problem of a French file is French from its first word to its last: "erreur : incident.yaml:28,
# champ headlin : champ inconnu ...", never "error: ..., field headlin: ...", whichever check
# found it. Found by rule: every problem of the file, as the terminal shows it, is searched for
# words only the English messages use (below); the cases reach the reading of the file, its
# fields, the checks across fields, preflight's checks at the moment of sending, the area, the
# wording checks and their gate, and a correction with nothing to correct.


def _words(texts: list[str]) -> set[str]:
    return {
        word.lower()
        for text in texts
        for word in re.findall(r"[A-Za-zÀ-ÿ]{2,}", re.sub(r"\{[^}]*\}", " ", text))
    }


def _english_words() -> set[str]:
    """Words the English messages and labels use and the French ones never do, less the
    names a French message quotes as they are (fields, statuses, severities, channels)."""
    from broadcast.content.wording.messages import MESSAGES
    from broadcast.input.incident import Incident, Translation
    from broadcast.problems import LABELS

    english = _words([*WORDS["en"].values(), *MESSAGES["en"].values(), *LABELS["en"].values()])
    french = _words([*WORDS["fr"].values(), *MESSAGES["fr"].values()])
    quoted = {*Incident.model_fields, *Translation.model_fields}
    quoted |= {"investigating", "identified", "monitoring", "resolved", "cancelled"}
    quoted |= {"minor", "major", "critical", "sms", "email", "twitter", "banner", "voice"}
    return english - french - quoted


def english_in(paragraph: str, english: set[str]) -> set[str]:
    """The English words of ``paragraph``, once the values it quotes (« ... », '...'), the
    YAML parser's own words (quoted as such), paths, names and times are left out."""
    # The names a place gives (a field, a channel, a template's part) are the file's own.
    text = re.sub(r"\b(champ|canal|field|channel) [^\s,]+", r"\1", paragraph)
    text = re.sub(r"«[^»]*»", " ", text)
    text = re.sub(r"(?<!\w)'[^']*'(?!\w)|\"[^\"]*\"", " ", text)
    text = re.sub(r"\(ses mots :[^)]*\)", " ", text)
    text = re.sub(r"\S*[_./\d\[\]*-]\S*", " ", text)
    return {word for word in re.findall(r"[A-Za-zÀ-ÿ]{2,}", text) if word.lower() in english}


def test_the_english_words_are_found() -> None:
    """The search finds what it must: the labels and messages English would leave."""
    english = _english_words()
    assert {"field", "channel", "error", "warning", "file", "the", "is"} <= english
    said = "error: incident.yaml:12, field eta: the expected end is before started_at"
    assert english_in(said, english) == {"error", "field", "the", "expected", "end", "is", "before"}
    assert (
        english_in("erreur : incident.yaml:12, champ eta : « the end » est passée", english)
        == set()
    )


FIELD_CASES: dict[str, list[tuple[str, str]] | str] = {
    "unknown field": [("headline: Coupure", "headlin: Coupure")],
    "bad date": [("eta: 2026-11-22T14:00:00+01:00", "eta: vers 14h")],
    "next_update without a unit": [("next_update: dans 2h", "next_update: 2")],
    "next_update passed": [("next_update: dans 2h", 'next_update: "08:30"')],
    "next_update read two ways": [("next_update: dans 2h", 'next_update: "10h"')],
    "a time the clocks repeat": [("next_update: dans 2h", 'next_update: "2026-10-25 02:30"')],
    "a time the clocks skip": [("eta: 2026-11-22T14:00:00+01:00", 'eta: "2026-03-29 02:30"')],
    "no next_update": [("next_update: dans 2h\n", "")],
    "missing title": [("title: Coupure d'électricité dans le secteur Nord\n", "")],
    "empty title": [("title: Coupure d'électricité dans le secteur Nord", 'title: ""')],
    "bad status": [("status: investigating", "status: enquete")],
    "bad id": [("id: panne-nord-2026-11-22", "id: Panne Nord")],
    "not true or false": [("severity: major", "severity: major\nexercise: peut-être")],
    "translation lacks": [
        ("    apology: We are sorry to leave you without power, and on a Sunday.\n", "")
    ],
    "a tab": [("headline: Coupure", 'headline: "Coupure\\tx"')],
    "not a list of fields": [(EXAMPLE, "- a\n- b\n")],
    # preflight, at the moment of sending
    "started in the future": [("started_at: 2026-11-22T08:10", "started_at: 2026-11-22T11:10")],
    "eta passed": [("eta: 2026-11-22T14:00:00+01:00", "eta: 2026-11-22T09:00:00+01:00")],
    "headline too long": [("headline: Coupure", "headline: " + "Coupure très longue " * 20)],
    "nothing to correct": [
        ("status: investigating", "status: cancelled\ncorrection: Le message était faux."),
        ("  en:\n", "  en:\n    correction: The message was wrong.\n"),
    ],
    "exercise contradiction": [("severity: major", "severity: major\nexercise: false")],
    # the area
    "polygon crossing itself": [
        (
            "severity: major",
            'severity: major\narea:\n  polygons: ["50.6,3.0 50.7,3.1 50.7,3.0 50.6,3.1 50.6,3.0"]',
        )
    ],
    "outside the territory": [
        (
            "severity: major",
            'severity: major\narea:\n  description: Lille\n  circles: ["10.0,3.0 2"]',
        ),
        ("  en:\n", "  en:\n    area:\n      description: Lille\n"),
    ],
    "area in a translation alone": [("  en:\n", "  en:\n    area:\n      description: Lille\n")],
    # the wording checks and their gate
    "absolute promise": [
        ("actions: >\n", "actions: >\n  Nous garantissons zéro risque désormais.\n")
    ],
    "comment cut": [("courant à Lille et Roubaix", "courant à Lille #Roubaix")],
    # the file itself
    "empty file": [(EXAMPLE, "")],
    "missing file": "missing",
    "a folder": "folder",
}


@pytest.mark.parametrize("case", sorted(FIELD_CASES))
def test_every_problem_of_a_french_file_is_french_throughout(tmp_path: Path, case: str) -> None:
    import shutil

    from broadcast.delivery.preflight import prepare
    from broadcast.terminal.console import problem_text

    config = tmp_path / "channels.yaml"
    config.write_text(
        'territory: {bbox: "50.4,2.8 50.9,3.4"}\n'
        + (REPO / "channels.yaml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    incident = tmp_path / "incident.yaml"
    edits = FIELD_CASES[case]
    if edits == "folder":
        incident.mkdir()
    elif edits != "missing":
        text = EXAMPLE
        for old, new in edits:
            assert old in text
            text = text.replace(old, new, 1)
        incident.write_text(text, encoding="utf-8")
    plan = prepare(
        incident,
        config,
        NOW,
        environ={"XDG_STATE_HOME": str(tmp_path / "state")},
        exercise=case == "exercise contradiction",
        state_dir=tmp_path / "state",
    )
    theirs = [
        p
        for p in plan.all_problems
        if p.file is not None and p.file.resolve() == incident.resolve()
    ]
    assert theirs, plan.all_problems
    english = _english_words()
    for problem in theirs:
        assert problem.language == "fr", problem
        said = problem_text(problem).plain
        assert said.startswith(("erreur : ", "avertissement : ")), said
        assert not english_in(said, english), said
    # channels.yaml's problems stay the team's English, beside the file's French; a wording
    # check's finding is said to the file's writers, wherever it is placed (a template).
    assert all(p.language == "en" for p in plan.all_problems if p.file == config)
    assert all(p.language == "fr" for p in plan.all_problems if p.check is not None)


def _cli(folder: Path, *args: str, now: str = NOW.isoformat()) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-m", "broadcast", *args, "--config", str(REPO / "channels.yaml")],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, "BROADCAST_NOW": now, "COLUMNS": "400"},
        timeout=60,
    )  # fmt: skip
    said = done.stdout + done.stderr
    assert "Traceback" not in said, said
    return done.returncode, said.splitlines()


@pytest.mark.parametrize(
    ("case", "old", "new", "command", "now", "paragraph"),
    [
        (
            "unknown field", "headline: Coupure", "headlin: Coupure", "validate", None,
            "erreur : incident.yaml:28, champ headlin : champ inconnu « headlin » ; vouliez-vous "
            "dire « headline » ?",
        ),
        (
            "bad date", "eta: 2026-11-22T14:00:00+01:00", "eta: vers 14h", "validate", None,
            "erreur : incident.yaml:54, champ eta : « vers 14h » n'est pas une date et une heure",
        ),
        (
            "next_update", "next_update: dans 2h", 'next_update: "08:30"', "validate", None,
            "avertissement : incident.yaml:58, champ next_update : l'heure promise du prochain "
            "point, 08:30 aujourd'hui, est passée",
        ),
        (
            "preflight", "severity: major", "severity: major", "send --dry-run",
            "2026-11-22T15:00:00+01:00",
            "avertissement : incident.yaml:54, champ eta : la fin prévue (2026-11-22 14:00 CET) "
            "est déjà passée",
        ),
    ],
)  # fmt: skip
def test_the_whole_paragraph_is_french_in_a_real_run(
    tmp_path: Path, case: str, old: str, new: str, command: str, now: str | None, paragraph: str
) -> None:
    assert old in EXAMPLE
    write(tmp_path / "incident.yaml", EXAMPLE.replace(old, new, 1))
    _, lines = _cli(tmp_path, *command.split(), "incident.yaml", now=now or NOW.isoformat())
    found = [line for line in lines if line.startswith(paragraph)]
    assert found, "\n".join(lines)
    english = _english_words()
    problems = [
        line for line in lines if re.match(r"(erreur|avertissement|error|warning) ?:", line)
    ]
    for line in problems:
        assert line.startswith(("erreur : ", "avertissement : ")), line
        assert not english_in(line, english), line


def test_an_english_file_s_paragraph_stays_english(tmp_path: Path) -> None:
    text = EXAMPLE.replace("locale: fr", "locale: en").replace(
        "headline: Coupure", "headlin: Coupure"
    )
    write(tmp_path / "incident.yaml", text)
    code, lines = _cli(tmp_path, "validate", "incident.yaml")
    assert code == 2
    assert any(
        line.startswith("error: incident.yaml:28, field headlin: unknown field 'headlin'")
        for line in lines
    ), lines


def test_a_wording_finding_placed_in_a_template_is_french_throughout(tmp_path: Path) -> None:
    """A check on a channel's rendered text is placed in the team's template, but said to the
    French file's writers: French from its kind to its message."""
    from broadcast.delivery.preflight import prepare
    from broadcast.terminal.console import problem_text

    config = tmp_path / "channels.yaml"
    config.write_text((REPO / "channels.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    text = EXAMPLE.replace("severity: major", "severity: critical")
    text = text.replace(
        'offline: "Sans internet : 0 800 000 000, gratuit."',
        'offline: "Sans internet, appelez le 0 800 000 000 (gratuit)."',
    )
    text = text.replace(
        "sign_off: Le service client",
        "signed_by: Claire Martin, directrice\nsign_off: Le service client",
    )
    text = text.replace(
        "    sign_off: Énergie Nord customer service",
        "    signed_by: Claire Martin, Director\n    sign_off: Énergie Nord customer service",
    )
    write(tmp_path / "incident.yaml", text)
    write(tmp_path / "contacts.csv", (REPO / "examples" / "contacts.csv").read_text("utf-8"))
    write(
        tmp_path / "templates" / "sms.txt.j2",
        '{% import "fr/_phrases.j2" as p with context %}'
        "{{ organisation }} : {{ headline }} {{ p.next_update_short() }}\n",
    )
    plan = prepare(tmp_path / "incident.yaml", config, NOW, only=["sms"], environ={})
    found = [p for p in plan.all_problems if p.check == "complete_text_action"]
    assert found, plan.all_problems
    english = _english_words()
    for problem in found:
        said = problem_text(problem).plain
        assert said.startswith("erreur : ") and "templates/sms.txt.j2, canal sms" in said, said
        assert not english_in(said, english), said
