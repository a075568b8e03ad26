"""Wording checks on what the headline says: that someone is on it, when the end or the next
update comes, and the stage its status says (not "cause found" while investigating, not "still"
once resolved).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from broadcast.content.wording.texts import Says, Wording, plain_apostrophes
from broadcast.content.wording.vocabulary import Language
from broadcast.problems import Problem

if TYPE_CHECKING:
    from broadcast.input.incident import Incident

# Which stage a headline must not describe, per status: an incident under investigation has
# not found its cause nor fixed anything; one being repaired is not fixed; once fixed and
# watched, nobody is still looking for the cause; once resolved, nothing is still going on.
_CONTRADICTED_BY: dict[str, tuple[str, ...]] = {
    "investigating": ("cause_found", "repaired"),
    "identified": ("repaired",),
    "monitoring": ("searching",),
    "resolved": ("ongoing", "searching"),
}


def what_and_when(
    says: Says, wording: Wording, language: Language, examples: dict[str, str]
) -> Iterator[Problem]:
    """A headline that does not say what is being done, or when more comes (a start time,
    "since 8:10", does not count)."""
    headline = plain_apostrophes(wording.fields["headline"] or "")
    if not language.action.search(headline):
        yield says("action", (*wording.prefix, "headline"), example=examples["action"])
    if not language.when.search(language.since.sub(" ", headline)):
        yield says("when", (*wording.prefix, "headline"), example=examples["when"])


def contradiction(
    incident: Incident,
    says: Says,
    wording: Wording,
    language: Language,
    examples: dict[str, str],
) -> Iterator[Problem]:
    """A headline that says another stage than the status ("cause found" while
    investigating, "still" once resolved): the status phrases would contradict it."""
    headline = plain_apostrophes(wording.fields["headline"] or "")
    for stage in _CONTRADICTED_BY.get(incident.status, ()):
        match = getattr(language, stage).search(headline)
        if match:
            yield says(
                "contradiction",
                (*wording.prefix, "headline"),
                status=incident.status,
                found=" ".join(match.group().split()),
                example=examples[f"contradiction_{incident.status}"],
            )
            return
