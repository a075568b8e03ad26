"""Wording checks on tone: a major incident without an apology, blame put on others,
non-apologies ("any inconvenience"), a passive voice that hides who did what, and promises
nobody can keep without an ``eta``.

Blame, non-apologies and passive evasion are constructions, each judged by its own module
(``blame``, ``apologies``, ``passives``); this one reads the fields people read and says each
fault once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from broadcast.content.wording.apologies import find_non_apologies
from broadcast.content.wording.blame import find_blame
from broadcast.content.wording.clauses import Finding
from broadcast.content.wording.messages import MESSAGES
from broadcast.content.wording.passives import find_passives
from broadcast.content.wording.texts import Says, Wording, plain_apostrophes, warning
from broadcast.content.wording.vocabulary import Language
from broadcast.problems import Problem

if TYPE_CHECKING:
    from broadcast.input.incident import Incident

# Where an apology may already be written when the apology field is empty.
_APOLOGY_IN = ("headline", "summary")


# Read for blame, non-apologies, passive evasion and over-promises: what the public reads.
_TONE_FIELDS = ("headline", "summary", "actions", "apology", "compensation")


def missing_apology(
    incident: Incident,
    says: Says,
    wording: Wording,
    language: Language,
    examples: dict[str, str],
) -> Iterator[Problem]:
    """A major or critical incident whose text apologises nowhere (the apology field, or an
    apology in the headline or summary)."""
    fields = wording.fields
    at = wording.prefix
    if (
        incident.severity in ("major", "critical")
        and not fields["apology"]
        and not any(
            language.apology.search(plain_apostrophes(fields[name] or "")) for name in _APOLOGY_IN
        )
    ):
        yield warning(
            says.doc,
            (*at, "apology"),
            MESSAGES[says.language]["apology"].format(
                severity=incident.severity, example=examples["apology"]
            ),
            fallback=None if at else ("severity",),
        )


def tone(
    incident: Incident,
    says: Says,
    wording: Wording,
    language: Language,
    examples: dict[str, str],
) -> Iterator[Problem]:
    """Non-apologies, blame, passive evasion, and promises nobody can keep without an eta."""
    finders = (find_non_apologies, find_blame, find_passives)
    promise = language.over_promise if incident.eta is None and not incident.ended else None
    for name in _TONE_FIELDS:
        text = wording.fields.get(name)
        if not text:
            continue
        plain = plain_apostrophes(text)
        found = [finding for finder in finders for finding in finder(wording.language, plain)]
        if promise is not None:
            found += [
                Finding("over_promise", match.start(), match.end(), "over_promise")
                for match in promise.finditer(plain)
            ]
        reported: list[tuple[int, int]] = []
        for finding in found:
            # One fault, one warning: "mistakes were made" is a non-apology, not twice.
            if any(finding.start < end and start < finding.end for start, end in reported):
                continue
            reported.append((finding.start, finding.end))
            yield says(
                finding.key,
                (*wording.prefix, name),
                found=" ".join(plain[finding.start : finding.end].split()),
                example=examples.get(finding.example, examples[finding.key]),
            )
