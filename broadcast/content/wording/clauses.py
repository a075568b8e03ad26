"""What the tone checks share: a text cut into clauses, a finding in one of them, and rules
compiled only when a text's words could hold them.

The tone checks (blame, non-apologies, passive evasion) judge constructions, not single words:
an apology and its hedge, a cause and the party it is put on, an auxiliary and its participle
must sit in one clause to belong together ("We are sorry. If you have no water, call us" is an
apology and an instruction, not "sorry if").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import NamedTuple

# A clause ends at a full stop, a question or exclamation mark, a semicolon, a colon or a dash
# between spaces, or a line break; "18:00", "3.5" and "Victor-Hugo" do not end one.
_CLAUSE_END = "[.!?;\u2026](?=\\s|$)|:(?=\\s)|\\s[\u2013\u2014-]\\s|\n"


class Finding(NamedTuple):
    """One fault in a text: the check it belongs to, where it is, and the advice's example."""

    key: str
    start: int
    end: int
    example: str


@cache
def _clause_end() -> re.Pattern[str]:
    return re.compile(_CLAUSE_END)


def clauses(text: str) -> Iterator[tuple[int, int]]:
    """The spans of ``text``'s clauses, in order."""
    start = 0
    for match in _clause_end().finditer(text):
        if match.start() > start:
            yield start, match.start()
        start = match.end()
    if start < len(text):
        yield start, len(text)


def whole(*alternatives: str) -> str:
    """The alternatives as whole words (not inside another word)."""
    return r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)"


def words(*items: str) -> str:
    """A lexicon as one alternative group (longest first, so "sub-contractor" wins over
    "contractor")."""
    return "(?:" + "|".join(sorted(items, key=len, reverse=True)) + ")"


class Rule(NamedTuple):
    """A construction to look for, and the cues without which it cannot be there: lower-case
    pieces of text, one of which every match holds. A text holding none of them skips the
    rule, and a rule no text has cued is never compiled: a preview pays only for the
    constructions its words might hold (compiling them all costs several times the rest of the
    wording checks)."""

    kind: str
    cues: tuple[str, ...]
    source: str
    # Cues of a second kind, one of which must be there too (a passive's auxiliary).
    also: tuple[str, ...] = ()


class Rules:
    """Rules compiled on first cue, each once."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        self._compiled: dict[int, re.Pattern[str]] = {}

    def cued(self, text: str) -> list[tuple[str, re.Pattern[str]]]:
        """(kind, compiled pattern) of each rule ``text`` cues, in order: asked once for a
        whole field, then run on each of its clauses."""
        lowered = text.lower()
        found = []
        for index, rule in enumerate(self.rules):
            if not any(cue in lowered for cue in rule.cues):
                continue
            if rule.also and not any(cue in lowered for cue in rule.also):
                continue
            pattern = self._compiled.get(index)
            if pattern is None:
                pattern = self._compiled[index] = re.compile(rule.source, re.IGNORECASE)
            found.append((rule.kind, pattern))
        return found

    def finditer(self, text: str) -> Iterator[tuple[str, re.Match[str]]]:
        """(kind, match) for each rule cued in ``text``, rule by rule."""
        for kind, pattern in self.cued(text):
            for match in pattern.finditer(text):
                yield kind, match


def literal_cue(entry: str) -> str:
    """The plain text every match of the pattern ``entry`` starts with, lower-cased (empty when
    it starts with a class or a group): a cue read from the lexicon itself, so an entry added
    to a list needs no cue written by hand. ``"no probs?"`` gives ``"no prob"``."""
    cue = ""
    for char in entry:
        if char in "\\()[]|.^$+":
            break
        if char in "?*{":
            cue = cue[:-1]
            break
        cue += char
    return cue.lower()


def lexicon_rules(kind: str, entries: tuple[str, ...]) -> tuple[Rule, ...]:
    """One rule per entry of a lexicon, cued by its own leading text."""
    return tuple(Rule(kind, (literal_cue(entry),), whole(entry)) for entry in entries)
