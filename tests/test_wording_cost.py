"""What the wording checks cost a preview (#25): most of it was compiling patterns and loading
modules a text did not need. These tests hold the properties that keep it cheap (no bound on
time: the figures are in docs/measurements.md):

- a person's name beside a home address is looked for only in a text with a house number and
  a street, so a text without one never compiles that pattern (first names and all);
- jargon is found by substring search, with the pattern's meaning (whole words, any case, any
  spaces between a term's words, the longest term at one place, as written);
- an incident in one language never loads the translation checks, nor one never sent the
  checks against the last version sent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from broadcast.content.wording import personal_data
from broadcast.content.wording.plain_language import _jargon_terms, _terms_in

REPO = Path(__file__).resolve().parent.parent


def test_no_house_number_and_street_no_person_at_address_pattern() -> None:
    personal_data._COMPILED.clear()
    text = "Call 0 800 000 000 from 8 am; Jean Dupont and our engineers are in Ely."
    assert list(personal_data._found(text, set())) == []
    compiled = {source for source, _ in personal_data._COMPILED}
    assert personal_data._PERSON_AT.source not in compiled
    # With one, the person is found and the pattern was compiled for it.
    found = list(personal_data._found("Mrs Patel of 14 Elm Road has no water.", set()))
    assert [kind for kind, _ in found] == ["address"]
    assert personal_data._PERSON_AT.source in {source for source, _ in personal_data._COMPILED}


@pytest.mark.parametrize(
    ("text", "terms", "found"),
    [
        ("Le TGBT est en panne.", ("tgbt",), ["TGBT"]),
        ("Le poste  source\nest coupé", ("poste source",), ["poste source"]),
        ("a node failure at the node", ("node failure", "node"), ["node failure", "node"]),
        ("the nodes are fine; a NodeX too", ("node",), []),
        ("Node_1 failed", ("node",), []),
        ("FTTH, FTTH and ftth", ("ftth",), ["FTTH", "FTTH", "ftth"]),
    ],
)
def test_jargon_is_found_as_whole_words_longest_first(
    text: str, terms: tuple[str, ...], found: list[str]
) -> None:
    assert list(_terms_in(terms, text)) == found


def test_the_jargon_list_is_words_not_patterns() -> None:
    terms = _jargon_terms("fr", ("poste  source", "a.b (c)"), "utility")
    assert terms is not None and "poste source" in terms and "a.b (c)" in terms
    assert list(_terms_in(terms, "Voyez a.b (c) ici")) == ["a.b (c)"]
    assert [len(t) for t in terms] == sorted((len(t) for t in terms), reverse=True)


def _modules_after_checks(tmp_path: Path, incident: str) -> dict[str, bool]:
    path = tmp_path / "incident.yaml"
    path.write_text(incident, encoding="utf-8")
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from broadcast.input.incident import load_incident\n"
        "from broadcast.content.wording.checks import check_content\n"
        f"incident, doc = load_incident(Path({str(path)!r}))\n"
        "check_content(incident, doc, now=incident.started_at)\n"
        "names = ('translation_facts', 'against_last_sent', 'moved_times')\n"
        "print(json.dumps({n: f'broadcast.content.wording.{n}' in sys.modules for n in names}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_an_incident_in_one_language_never_sent_loads_neither_check(tmp_path: Path) -> None:
    from tests.test_wording_checks import EN

    loaded = _modules_after_checks(tmp_path, EN)
    assert loaded == {"translation_facts": False, "against_last_sent": False, "moved_times": False}
    translated = (REPO / "examples" / "panne-nord.yaml").read_text(encoding="utf-8")
    assert _modules_after_checks(tmp_path, translated)["translation_facts"] is True
