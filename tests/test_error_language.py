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
        "field headlin: champ inconnu « headlin » ; vouliez-vous dire « headline » ?",
    ),
    "wrong type": (
        "title: Coupure d'électricité dans le secteur Nord",
        "title:\n  - Lille\n  - Roubaix",
        "field title: il faut ici un texte, pas une liste",
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
        "field next_update: « 2 » n'a pas d'unité : écrivez 2h pour des heures",
    ),
    "bad date": (
        "eta: 2026-11-22T14:00:00+01:00",
        "eta: vers 14h",
        "field eta: « vers 14h » n'est pas une date et une heure",
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
    "field hazard: « inondation » n'est pas un danger connu ; écrivez l'un de :",
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
    "field headline: contient une tabulation (U+0009) : écrivez une espace",
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
    "field loop[0]: *loop désigne un bloc qui le contient : il se répéterait à l'infini",
)
CASES["a hidden character"] = (
    "severity: major",
    'severity: major\nnote: "coupure\\e[2J"',
    "field note: contient U+001B (ESCAPE) : les caractères de contrôle",
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
        found = rf"incident\.yaml:\d+, field \w+\[\d+\]: \*\w+ {re.escape(words)}"
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
        assert re.search(rf"incident\.yaml:\d+(, field [\w.]+)?: {re.escape(words)}", flat), said
    else:
        assert f"incident.yaml:{line}, {words}" in flat, said


def test_a_missing_field_is_told_in_french_at_the_file(tmp_path: Path) -> None:
    text = "\n".join(line for line in EXAMPLE.splitlines() if not line.startswith("title:"))
    code, said, _ = validate(tmp_path, text + "\n")
    assert code == 2
    assert re.search(r"incident\.yaml:\d+, field title: ce champ obligatoire manque", said), said


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
