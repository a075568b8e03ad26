"""Every wording check on an incident: warnings that help comms staff word a crisis message
people understand.

Preflight proves a message *can* be sent; these checks say whether it is *well worded*: does the
headline say what is being done and when people will hear more, is there an apology (a real one,
not "any inconvenience"), is the blame put on someone else, is the voice passive to hide who did
what, does it promise more than anyone knows, do its times agree with ``eta`` and
``next_update``, does the headline say the stage its status says (not "cause found" while
investigating, not "still" once resolved), are English times on one clock (not "2pm" beside
"16:00", nor the other clock than the messages'), is there a way in for people without internet,
are the sentences short, is it free of jargon, shouting and exclamation marks, and will the
organisation ask how it did. Against the facts (#25): words that make light of a serious
incident or sound the alarm beyond it (``scale``), acronyms never spelled out and each sector's
jargon (``acronyms``, ``sector_jargon``), and a hazard without the action that keeps people safe
(``safety_actions``: an error). With the last version sent (from the ledger), two more: a resolved
or monitoring headline left as it was (an error: people would read the old situation), and a
translation left unchanged when its original changed. Some are errors, as ``LEVEL`` declares:
an absolute promise, a promised time moved without saying so, a fault said to persist once
fixed, a translation that gives another fact than its original, personal data.

Most are heuristics on words, so they warn; the few an expert would never let out are errors,
which block a send unless the sender overrides them with a reason (``messages.LEVEL``, the one
table of levels; ``--strict`` turns every warning into an error). Each names
the incident file, the line and the field, says why, and gives a better wording, in the file's
own language (``MESSAGES``). French and English have word lists; text in another language gets
the checks that need no vocabulary (sentence length, exclamation marks, capitals, the user's own
jargon, times, the ledger's checks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from broadcast.content.wording.acronyms import KNOWN_ACRONYMS
from broadcast.content.wording.completeness import complete_fields
from broadcast.content.wording.headline import contradiction, what_and_when
from broadcast.content.wording.messages import EXAMPLES, level_of, which_check
from broadcast.content.wording.personal_data import personal_data
from broadcast.content.wording.plain_language import DEFAULT_MAX_SENTENCE_WORDS, plain_language
from broadcast.content.wording.promises import absolute_promises
from broadcast.content.wording.safety_actions import hazards_of, missing_safety_actions
from broadcast.content.wording.scale import out_of_scale
from broadcast.content.wording.still_broken import still_broken
from broadcast.content.wording.texts import Says, Wording, wordings
from broadcast.content.wording.times import clock_styles, headline_times
from broadcast.content.wording.tone import missing_apology, tone
from broadcast.content.wording.vocabulary import language_patterns
from broadcast.input.yamlfile import YamlDocument, dotted
from broadcast.problems import Problem

if TYPE_CHECKING:
    from broadcast.input.incident import Incident


def check_content(
    incident: Incident,
    doc: YamlDocument,
    jargon: Iterable[str] = (),
    max_sentence_words: int = DEFAULT_MAX_SENTENCE_WORDS,
    now: datetime | None = None,
    previous: dict[str, Any] | None = None,
    sector: str | None = None,
    known_acronyms: Iterable[str] = (),
    safety_actions: Mapping[str, list[str]] | None = None,
) -> list[Problem]:
    """Warnings about the wording of ``incident``, in its language and in each translation.

    ``sector`` (channels.yaml's ``content_checks: sector``) picks the sector's jargon and the
    hazards its crises carry (every sector's when None); ``known_acronyms`` are acronyms the
    team's public knows; ``safety_actions`` adds the team's phrasings of a hazard's protective
    action. A hazard without its action is an error; everything else is a warning.

    ``jargon`` adds the organisation's own terms to the default list of its language
    (``DEFAULT_JARGON``). ``now`` is when the messages go out (for the times a headline gives
    against ``next_update``); ``previous`` is the ``wording_snapshot`` of the last version
    sent, from the ledger (None when nothing was sent yet).

    Headline heuristic: it says *what is being done* when it has an action word or phrase
    ("nos équipes", "nous rétablissons", "réparation", "we are", "engineers", "restoring"...),
    and *when* people will hear more when it has a clock time (14h, 14:00, 2 pm), a duration
    (2 hours) or a word that announces one ("prévu", "prochaine", "expected", "next update",
    "tomorrow"...); a start time ("depuis 8h10", "since 5:30am") does not count. The headline
    of an ended incident is not asked for either: it is over.
    """
    if isinstance(jargon, str):
        jargon = [jargon]
    user_jargon = [term.strip() for term in jargon if term and term.strip()]
    says = Says(incident, doc)
    problems: list[Problem] = []
    texts = list(wordings(incident, doc))
    hazards = hazards_of(incident, texts, sector)
    facts = _Facts(
        sector=sector,
        known_acronyms=KNOWN_ACRONYMS | {a.strip() for a in known_acronyms if a.strip()},
        safety_actions=safety_actions or {},
        hazards=tuple(hazards),
        # Stress (capitals, "!", alarm words) fits a critical danger people must act on.
        alarm_supported=incident.severity == "critical" and bool(hazards),
    )
    for wording in texts:
        problems.extend(
            _check_wording(incident, says, wording, user_jargon, max_sentence_words, now, facts)
        )
        problems.extend(_against_facts(incident, says, wording, facts, hazards, now))
    if len(texts) > 1:
        # Imported here, as the checks against the last version sent below: an incident in one
        # language, or never sent, does not load (nor compile) them.
        from broadcast.content.wording.translation_facts import translation_facts

        for translation in texts[1:]:
            problems.extend(translation_facts(texts[0], translation, says))
    if incident.ended and not incident.feedback_url:
        problems.append(says("feedback", ("feedback_url",), fallback=("status",)))
    if incident.severity in ("major", "critical") and not incident.ended and not incident.offline:
        problems.append(
            says(
                "offline",
                ("offline",),
                fallback=("severity",),
                level=incident.severity,
                example=EXAMPLES[says.language]["offline"],
            )
        )
    if incident.severity == "critical" and not incident.signed_by:
        problems.append(
            says(
                "signed",
                ("signed_by",),
                fallback=("severity",),
                example=EXAMPLES[says.language]["signed"],
            )
        )
    if incident.severity == "critical":
        # Imported here: only a critical incident's signature is judged.
        from broadcast.content.wording.who_speaks import who_speaks

        problems.extend(who_speaks(incident, says, sector))
    if previous:
        from broadcast.content.wording.against_last_sent import against_previous
        from broadcast.content.wording.moved_times import moved_times

        problems.extend(against_previous(incident, doc, says, previous))
        problems.extend(moved_times(incident, says, texts, previous, now))
    return [levelled(p) for p in problems]


def levelled(problem: Problem) -> Problem:
    """``problem`` naming the check that wrote it, at that check's level in ``LEVEL``: what a
    module said its level was does not count, so the table stays the one place to look."""
    check = problem.check or which_check(problem.message)
    if check is None:
        return problem
    return problem._replace(check=check, severity=level_of(check))


def _check_wording(
    incident: Incident,
    says: Says,
    wording: Wording,
    user_jargon: list[str],
    max_words: int,
    now: datetime | None,
    facts: _Facts | None = None,
) -> list[Problem]:
    """Every check on the text of one language, in the order the warnings are listed."""
    problems: list[Problem] = []
    language = language_patterns(wording.language)
    examples = EXAMPLES.get(wording.language, EXAMPLES["en"])
    fields = wording.fields

    if language is not None and not incident.ended and fields["headline"]:
        problems.extend(what_and_when(says, wording, language, examples))
    # A fault said to persist once fixed is an error in any field; the headline's
    # ``contradiction`` (a warning) is for the stages it names that this does not.
    broken = list(still_broken(incident, says, wording))
    problems.extend(broken)
    headline_at = dotted((*wording.prefix, "headline"))
    if language is not None and fields["headline"] and all(p.field != headline_at for p in broken):
        problems.extend(contradiction(incident, says, wording, language, examples))
    problems.extend(absolute_promises(says, wording))
    problems.extend(personal_data(says, wording))
    if wording.language == "en":
        problems.extend(clock_styles(says, wording))
    if language is not None:
        problems.extend(missing_apology(incident, says, wording, language, examples))
        problems.extend(tone(incident, says, wording, language, examples))
    if incident.severity in ("major", "critical"):
        # Emoji and English slang are read in any language; a minor incident may be lighter.
        from broadcast.content.wording.register import register

        problems.extend(register(incident, says, wording, examples))
    if fields["headline"] and not incident.ended:
        problems.extend(headline_times(incident, says, wording, now))
    facts = facts or _Facts(None, KNOWN_ACRONYMS, {})
    problems.extend(
        plain_language(
            says,
            wording,
            user_jargon,
            max_words,
            facts.sector,
            facts.known_acronyms,
            facts.alarm_supported,
        )
    )
    problems.extend(complete_fields(incident, says, wording, facts.hazards, facts.safety_actions))
    return problems


class _Facts(NamedTuple):
    """What channels.yaml adds to the checks against the facts."""

    sector: str | None
    known_acronyms: frozenset[str]
    safety_actions: Mapping[str, list[str]]
    # The hazards the incident carries: giving one's protective action tells people what to do.
    hazards: tuple[str, ...] = ()
    alarm_supported: bool = False


def _against_facts(
    incident: Incident,
    says: Says,
    wording: Wording,
    facts: _Facts,
    hazards: Mapping[str, tuple[str, str]],
    now: datetime | None,
) -> list[Problem]:
    """The checks of one language's text against the incident's facts (#25): scale and the
    action that keeps people safe. (Acronyms and sector jargon run with plain language.)"""
    examples = EXAMPLES.get(wording.language, EXAMPLES["en"])
    problems = list(out_of_scale(incident, says, wording, examples, now, bool(hazards)))
    problems.extend(missing_safety_actions(incident, says, wording, hazards, facts.safety_actions))
    return problems
