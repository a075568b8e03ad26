"""The tone rules carry their own cues: what a text must hold for a rule to be tried is written
beside the rule's pattern (clauses.Rule), never in a table kept in step with the rules by their
place. So a rule added, moved or removed cannot shift another's cues and silently stop it.

Checked three ways: a rule inserted ahead changes no other rule's verdict; every match any rule
finds in the project's incidents (bad and good) holds one of its cues (the cue's promise); and a
lexicon's entries are its own cues.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from broadcast.content.wording import apologies, blame, passives
from broadcast.content.wording.clauses import Rule, Rules, entry_cues, lexicon
from tests.test_tone_checks import (
    APOLOGIES,
    BLAME,
    NON_APOLOGIES,
    NOT_BLAME,
    NOT_PASSIVES,
    PASSIVES,
)

TESTS = Path(__file__).parent


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def corpus() -> list[str]:
    """Every text of the bad and good incidents kept in the project, and the tone checks'
    sentences."""
    texts = [
        text
        for sentences in (BLAME, NOT_BLAME, NON_APOLOGIES, APOLOGIES, PASSIVES, NOT_PASSIVES)
        for _, text in sentences
    ]
    for folder in ("bad_incidents", "good_incidents"):
        for path in sorted((TESTS / folder).glob("*.yaml")):
            texts.extend(_strings(yaml.safe_load(path.read_text(encoding="utf-8"))))
    return texts


def all_rules() -> Iterator[tuple[str, str, Rule]]:
    for language in ("en", "fr"):
        for rule in blame.RULES[language]:
            yield "blame", language, rule
        found = apologies._rules(language)
        assert found is not None
        for rules in found[1:]:
            for rule in rules.rules:
                yield "apologies", language, rule
        passive = passives._rules(language)
        assert passive is not None
        for rule in passive[0].rules:
            yield "passives", language, rule


def test_every_match_holds_its_rules_cues() -> None:
    """A cue is a promise: no match of the rule lacks it. A cue shifted onto another rule, or a
    word added to a pattern and not to its cues, breaks the promise on the incidents that show
    the construction, and the rule would never be tried on them."""
    texts = corpus()
    matched = 0
    for module, language, rule in all_rules():
        pattern = re.compile(rule.source, re.IGNORECASE)
        for text in texts:
            for match in pattern.finditer(text):
                found = match.group().lower()
                matched += 1
                assert any(cue in found for cue in rule.cues), (module, language, found)
                if rule.also:
                    assert any(cue in found for cue in rule.also), (module, language, found)
    assert matched >= 100  # the corpus does exercise the rules


def test_a_rule_inserted_ahead_shifts_no_cues() -> None:
    """Cues were once kept in tables indexed by a rule's place: a rule inserted at the front
    gave every later rule its neighbour's cues."""
    text = "Due to unprecedented rainfall, taps are dry. Our supplier is to blame."
    before = [(kind, p.pattern) for kind, p in Rules(blame.RULES["en"]).cued(text)]
    extra = Rule("blame", ("zebra",), r"zebra crossing")
    after = [(kind, p.pattern) for kind, p in Rules((extra, *blame.RULES["en"])).cued(text)]
    assert before and after == before
    spans = [f.start for f in blame.find_blame("en", text)]
    assert len(spans) == 2


@pytest.mark.parametrize(
    ("entry", "cues"),
    [
        ("supplier", ("supplier",)),
        ("customers?", ("customer",)),
        ("compan(?:y|ies)", ("compan",)),
        ("(?:several|some) [a-z]+s", ("several", "some")),
        ("(?:highly |very )?unusual", ("unusual",)),
        ("(?:a|(?:the|an)) effect", ("a", "the", "an")),
    ],
)
def test_a_lexicon_entry_is_its_own_cue(entry: str, cues: tuple[str, ...]) -> None:
    assert entry_cues(entry) == cues


def test_an_entry_or_rule_without_a_literal_is_refused() -> None:
    """An empty cue is in every text: the rule would be compiled and run on all of them."""
    with pytest.raises(ValueError, match="literal start"):
        entry_cues(r"\w+ly")
    with pytest.raises(ValueError, match="literal start"):
        entry_cues("(?:a|[bc]d)")
    with pytest.raises(ValueError, match="without cues"):
        Rules((Rule("blame", ("",), "x"),))


def test_a_word_added_to_a_lexicon_is_cued() -> None:
    parties = lexicon("supplier, contractor, sub-?contractor")
    assert parties.cues == ("supplier", "contractor", "sub")
    assert (parties + lexicon("landlord")).cues[-1] == "landlord"
    assert re.fullmatch(parties.source, "subcontractor")
