"""What the tone checks share: a text cut into clauses, a finding in one of them, and the rule
that a fault owned by "we" is no fault.

The tone checks (blame, non-apologies, passive evasion) judge constructions, not single words:
an apology and its hedge, a cause and the party it is put on, an auxiliary and its participle
must sit in one clause to belong together ("We are sorry. If you have no water, call us" is an
apology and an instruction, not "sorry if").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

# A clause ends at a full stop, a question or exclamation mark, a semicolon, a colon or a dash
# between spaces, or a line break; "18:00", "3.5" and "Victor-Hugo" do not end one.
_CLAUSE_END = re.compile("[.!?;\u2026](?=\\s|$)|:(?=\\s)|\\s[\u2013\u2014-]\\s|\n")


class Finding(NamedTuple):
    """One fault in a text: the check it belongs to, where it is, and the advice's example."""

    key: str
    start: int
    end: int
    example: str


def clauses(text: str) -> Iterator[tuple[int, int]]:
    """The spans of ``text``'s clauses, in order."""
    start = 0
    for match in _CLAUSE_END.finditer(text):
        if match.start() > start:
            yield start, match.start()
        start = match.end()
    if start < len(text):
        yield start, len(text)


# "we", "us", "our" and "nous", "notre": the organisation speaking of itself.
_WE = re.compile(r"(?<!\w)(?:we|we're|we've|us|our|ourselves|nous|notre|nos)(?!\w)", re.IGNORECASE)


def owned(text: str) -> bool:
    """Whether ``text`` (an agent, a subject) is the organisation itself."""
    return _WE.search(text) is not None


def whole(*alternatives: str) -> str:
    """The alternatives as whole words (not inside another word)."""
    return r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)"


def words(*items: str) -> str:
    """A lexicon as one alternative group (longest first, so "sub-contractor" wins over
    "contractor")."""
    return "(?:" + "|".join(sorted(items, key=len, reverse=True)) + ")"
