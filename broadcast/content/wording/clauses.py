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
    wording checks). The cues are the rule's own, written beside its pattern: a rule added,
    moved or removed takes its cues with it."""

    kind: str
    cues: tuple[str, ...]
    source: str
    # Cues of a second kind, one of which must be there too (a passive's auxiliary).
    also: tuple[str, ...] = ()


class Rules:
    """Rules compiled on first cue, each once."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        for rule in rules:
            # An empty cue is in every text: the rule would be compiled for all of them.
            if not rule.cues or "" in rule.cues or "" in rule.also:
                raise ValueError(f"a {rule.kind} rule without cues: {rule.source[:60]}")
        self.rules = rules
        # By the rule's pattern, not its place: rules can be added anywhere.
        self._compiled: dict[str, re.Pattern[str]] = {}

    def cued(self, text: str) -> list[tuple[str, re.Pattern[str]]]:
        """(kind, compiled pattern) of each rule ``text`` cues, in order: asked once for a
        whole field, then run on each of its clauses."""
        lowered = text.lower()
        found = []
        for rule in self.rules:
            if not any(cue in lowered for cue in rule.cues):
                continue
            if rule.also and not any(cue in lowered for cue in rule.also):
                continue
            pattern = self._compiled.get(rule.source)
            if pattern is None:
                pattern = self._compiled[rule.source] = re.compile(rule.source, re.IGNORECASE)
            found.append((rule.kind, pattern))
        return found

    def finditer(self, text: str) -> Iterator[tuple[str, re.Match[str]]]:
        """(kind, match) for each rule cued in ``text``, rule by rule."""
        for kind, pattern in self.cued(text):
            for match in pattern.finditer(text):
                yield kind, match


class Lexicon(NamedTuple):
    """A list of words or short patterns, as a rule's alternative group and as its cues: an
    entry added to the list is matched and cued at once."""

    entries: tuple[str, ...]

    @property
    def source(self) -> str:
        return words(*self.entries)

    @property
    def cues(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(cue for entry in self.entries for cue in entry_cues(entry)))

    def __add__(self, other: object) -> Lexicon:  # type: ignore[override]
        if not isinstance(other, Lexicon):
            return NotImplemented
        return Lexicon(self.entries + other.entries)


def lexicon(text: str) -> Lexicon:
    """A lexicon written as data: entries separated by a comma and a space (a pattern's own
    commas, as in ``{0,3}``, have none after them)."""
    return Lexicon(tuple(entry.strip() for entry in text.split(", ") if entry.strip()))


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


def entry_cues(entry: str) -> tuple[str, ...]:
    """The cues of a lexicon entry: its literal start, or when it starts with a group, the
    literal start of each of the group's alternatives (``"(?:some|many) [a-z]+s"`` gives
    ``("some", "many")``); an optional group first is passed over (``"(?:very )?unusual"``
    gives ``("unusual",)``). An entry without one is refused: its rule would be tried on every
    text."""
    if entry.startswith("(?:"):
        depth, end = 0, 0
        while end < len(entry):
            depth += (entry[end] == "(") - (entry[end] == ")")
            if depth == 0:
                break
            end += 1
        inner, rest = entry[3:end], entry[end + 1 :]
        if rest[:1] in ("?", "*") or rest.startswith("{0"):
            return entry_cues(rest[1:] if rest[:1] in ("?", "*") else rest[rest.index("}") + 1 :])
        alternatives, depth, piece = [], 0, ""
        for char in inner:
            depth += (char == "(") - (char == ")")
            if char == "|" and depth == 0:
                alternatives.append(piece)
                piece = ""
            else:
                piece += char
        alternatives.append(piece)
        cues = tuple(cue for alternative in alternatives for cue in entry_cues(alternative))
        if len(cues) < len(alternatives):
            raise ValueError(f"a lexicon entry without a literal start: {entry!r}")
        return cues
    cue = literal_cue(entry)
    if not cue:
        raise ValueError(f"a lexicon entry without a literal start: {entry!r}")
    return (cue,)


def lexicon_rules(kind: str, entries: tuple[str, ...]) -> tuple[Rule, ...]:
    """One rule per entry of a lexicon, cued by its own leading text."""
    return tuple(Rule(kind, (literal_cue(entry),), whole(entry)) for entry in entries)
