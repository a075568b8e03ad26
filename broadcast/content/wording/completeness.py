"""Completeness of a warning: what, where, when, what to do, who speaks, when next.

A crisis message people can act on says what happens, where, since when, what they must do,
who says so, and when they will hear more. The incident's fields are asked for most of them by
the schema (``headline``, ``affected``, ``started_at``, ``next_update`` until resolved) and by
other checks (``signed``, ``offline``); what no field asks for is what people must do: a
critical incident whose texts never tell them is an error (``complete_action``).

The same elements are then looked for in what each channel really carries, once rendered
(``missing_in_text``): a template that drops the headline, an SMS that lost the next update or
the instruction. Which elements a channel's text must carry is a fact of the channel
(``ChannelConfig.CARRIES``): a post on X may leave out who signs (the account says it) and the
instruction (it links to the rest); an SMS may not.

What tells people what to do (``instructs``) has one source per kind of words: the imperatives
a notice uses ("appelez", "ne buvez pas", "restez", "call", "do not"...: ``IMPERATIVES``, per
language), and, for each hazard the incident carries, its protective action as the safety check
reads it (``safety_actions.gives_action``: the phrasings of ``broadcast/sectors/hazards.yaml``
and the team's own in channels.yaml, ``content_checks: safety_actions``). « Des bouteilles d'eau
sont distribuées à la mairie » gives the action of water unsafe to drink with no imperative: the
two checks never disagree on it, and a team that adds a phrasing of an action adds it to both.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Iterator, Mapping
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

from broadcast.content.wording.messages import EXAMPLES
from broadcast.content.wording.rendered_text import RenderedText, finding
from broadcast.content.wording.texts import Says, Wording
from broadcast.problems import Problem

if TYPE_CHECKING:
    from broadcast.input.incident import Incident

# The elements, in the order a message is read.
ELEMENTS = ("what", "where", "when", "do", "who", "next")

# What an instruction to the public looks like: an imperative a notice would use. Not a closed
# list of actions: the verbs people are told to act with, however the action goes on. (A
# hazard's protective action counts too: see ``instructs``.)
IMPERATIVES: dict[str, str] = {
    "fr": (
        r"\b(?:appelez|composez|contactez|restez|quittez|évacuez|rejoignez|rendez-vous|"
        r"gardez|fermez|ouvrez|coupez|éteignez|débranchez|faites|buvez|utilisez|prenez|"
        r"préparez|éloignez-vous|abritez-vous|mettez-vous|montez|signalez|consultez|"
        r"écoutez|suivez|évitez|limitez|vérifiez|passez|allez|venez|retirez|raccrochez|"
        r"ne\s+(?:\w+\s+)?(?:buvez|touchez|sortez|prenez|utilisez|consommez|approchez|"
        r"allumez|rentrez|marchez|circulez|partez|restez)|"
        r"n['\u2019](?:utilisez|allumez|approchez|ouvrez|entrez|appelez))\b"
    ),
    "en": (
        r"\b(?:call|phone|ring|text|dial|contact|stay|leave|evacuate|go\s+to|head\s+to|"
        r"keep|close|open|turn\s+off|switch\s+off|unplug|boil|drink|use|take|prepare|"
        r"move|shelter|check|listen|follow|avoid|limit|report|visit|collect|bring|"
        r"hang\s+up|do\s+not|don['\u2019]t|never)\b"
    ),
}


@cache
def _imperative(language: str) -> re.Pattern[str] | None:
    source = IMPERATIVES.get(language)
    return re.compile(source, re.IGNORECASE) if source is not None else None


def instructs(
    text: str,
    language: str,
    hazards: Collection[str] = (),
    own: Mapping[str, list[str]] | None = None,
) -> bool:
    """Whether ``text`` (in ``language``) tells people what to do: an imperative, or the whole
    protective action of a hazard the incident carries (``hazards``), in the standard
    phrasings or the team's own (``own``: hazard → phrasings, from channels.yaml)."""
    pattern = _imperative(language)
    if pattern is not None and pattern.search(text):
        return True
    if not hazards:
        return False
    from broadcast.content.wording.safety_actions import gives_action

    return any(gives_action(name, language, text, (own or {}).get(name, ())) for name in hazards)


# How each element is named in a finding, in the file's language.
ELEMENT_NAMES = {
    "en": {
        "what": "what is happening (the headline)",
        "where": "where",
        "when": "since when",
        "do": "what people must do",
        "who": "who speaks (the organisation or the signature)",
        "next": "when the next news comes",
    },
    "fr": {
        "what": "ce qui se passe (la phrase essentielle)",
        "where": "où",
        "when": "depuis quand",
        "do": "ce que les gens doivent faire",
        "who": "qui parle (l'organisation ou la signature)",
        "next": "quand viendront les prochaines nouvelles",
    },
}

# The fields an instruction to the public may be written in (``actions`` says what the
# organisation does, not what people must do).
_INSTRUCTION_FIELDS = ("headline", "summary", "affected", "offline")


def instruction_in(
    wording: Wording,
    language: str,
    hazards: Collection[str] = (),
    own: Mapping[str, list[str]] | None = None,
) -> bool:
    """Whether the text of one language tells people what to do, in a field or the FAQ."""
    if language not in IMPERATIVES:
        return True  # no vocabulary for this language: nothing is claimed missing
    # ``actions`` too: a notice often tells people what to do beside what it does (« Quittez
    # les rez-de-chaussée. Nos équipes posent des barrières. »), and the safety_action check
    # asks for the protective action there. An imperative is addressed to the reader wherever
    # it is written.
    names = (*_INSTRUCTION_FIELDS, "actions")
    texts = [wording.fields.get(name) or "" for name in names]
    texts += [str(getattr(entry, "a", "") or "") for entry in wording.faq]
    # Read together: a protective action's parts may sit in different fields, as the safety
    # check reads the headline and actions together.
    return instructs("\n".join(text for text in texts if text), language, hazards, own)


def needs_instruction(incident: Incident) -> bool:
    """A critical incident that goes on: people must be told what to do."""
    return incident.severity == "critical" and not incident.ended


def complete_fields(
    incident: Incident,
    says: Says,
    wording: Wording,
    hazards: Collection[str] = (),
    own: Mapping[str, list[str]] | None = None,
) -> Iterator[Problem]:
    """The fields of one language: a critical incident that never says what people must do
    (``complete_action``, an error at the level ``LEVEL`` gives it). ``hazards`` are those the
    incident carries, ``own`` the team's phrasings of their actions (see ``instructs``)."""
    if needs_instruction(incident) and not instruction_in(wording, wording.language, hazards, own):
        examples = EXAMPLES.get(wording.language, EXAMPLES["en"])
        yield says(
            "complete_action",
            (*wording.prefix, "headline"),
            example=examples["complete_action"],
        )


def missing_in_text(
    text: str,
    carries: tuple[str, ...],
    incident: Incident,
    organisation: str,
    now: datetime,
    markup: bool = False,
    language: str | None = None,
    hazards: Collection[str] = (),
    own: Mapping[str, list[str]] | None = None,
) -> list[str]:
    """The elements of ``carries`` that ``text`` (one channel's rendered part, in
    ``language``, which ``incident`` is worded in) does not carry. Only what the incident has
    is asked for: the next update while one is promised, what to do while a critical incident
    goes on, and only where the fields say it (else ``complete_action`` says it once, on the
    fields)."""
    plain = _plain(text, markup)
    squeezed = _squeezed(plain)
    missing = []
    for element in carries:
        if element == "what":
            head = _squeezed(incident.headline)[:60]
            if head and head not in squeezed:
                missing.append(element)
        elif element == "who":
            names = [organisation, incident.sign_off or "", incident.signed_by or ""]
            if not any(_squeezed(n) and _squeezed(n) in squeezed for n in names):
                missing.append(element)
        elif element == "next":
            promised = incident.next_update_at(now)
            if promised is not None and not _says_time(plain, promised.astimezone(incident.zone)):
                missing.append(element)
        elif element == "do":
            spoken = language or incident.language
            if (
                needs_instruction(incident)
                and spoken in IMPERATIVES
                and _fields_instruct(incident, spoken, hazards, own)
                and not instructs(plain, spoken, hazards, own)
            ):
                missing.append(element)
    return missing


def _fields_instruct(
    incident: Incident,
    language: str,
    hazards: Collection[str],
    own: Mapping[str, list[str]] | None,
) -> bool:
    texts = [getattr(incident, name, None) or "" for name in _INSTRUCTION_FIELDS]
    texts += [entry.a for entry in incident.faq]
    return instructs("\n".join(text for text in texts if text), language, hazards, own)


_TAG = re.compile(r"<[^>]*>")
_NOT_WORD = re.compile(r"[\W_]+")


# A time as a French call speaks it ("8 heures 10", "midi"), written back as a text writes it.
_SPOKEN_HOURS = re.compile(r"\b(\d{1,2}) heures?(?: (\d{1,2}))?\b")
_SPOKEN_NAMED = {"midi": "12h", "minuit": "0h"}


def _plain(text: str, markup: bool = False) -> str:
    """The words a reader sees (tags taken out and entities read, for HTML and XML), with the
    times a call speaks written as a text writes them."""
    if markup:
        text = html.unescape(_TAG.sub(" ", text))
    text = _SPOKEN_HOURS.sub(
        lambda m: f"{m.group(1)}h{int(m.group(2)):02d}" if m.group(2) else f"{m.group(1)}h", text
    )
    for spoken, written in _SPOKEN_NAMED.items():
        text = re.sub(rf"\b{spoken}\b", written, text)
    return text


def _squeezed(text: str) -> str:
    """Letters and digits only, in one case: typography (a narrow space before ":", a curly
    apostrophe), line breaks and the way a time is said do not hide the words."""
    return _NOT_WORD.sub("", _plain(text).casefold())


def _says_time(text: str, moment: datetime) -> bool:
    """Whether ``text`` gives the clock time of ``moment``, written any usual way: 11h40,
    11:40, 14h, 14:00, 2 pm, 2:00 PM."""
    hour, minute = moment.hour, moment.minute
    twelve = hour % 12 or 12
    day_half = "a" if hour < 12 else "p"
    forms = [
        rf"\b0?{hour}\s?[h:.]\s?{minute:02d}\b",
        rf"\b{twelve}[:.]{minute:02d}\s?{day_half}\.?m\b",
    ]
    if minute == 0:
        forms += [rf"\b0?{hour}\s?h(?!\d)", rf"\b{twelve}\s?{day_half}\.?m\b"]
    if hour == 12 and minute == 0:
        forms += [r"\bnoon\b", r"\bmidi\b"]
    if hour == 0 and minute == 0:
        forms += [r"\bmidnight\b", r"\bminuit\b"]
    return any(re.search(form, text, re.IGNORECASE) for form in forms)


def complete_text(rendered: RenderedText) -> Iterator[Problem]:
    """What one channel's rendered part leaves out of what its channel must carry: the
    instruction (``complete_text_action``), else the other elements (``complete_text``)."""
    carries = rendered.carries
    if rendered.reminder:  # a reminder repeats what happens and when the next news comes
        carries = tuple(e for e in carries if e in _REMINDER_CARRIES)
    missing = missing_in_text(
        rendered.text,
        carries,
        rendered.incident,
        rendered.organisation,
        rendered.now,
        rendered.markup,
        rendered.language,
        rendered.hazards,
        rendered.safety_actions,
    )
    if not missing:
        return
    if "do" in missing:
        yield finding(rendered, "complete_text_action")
        return
    names = ELEMENT_NAMES.get(rendered.file_language, ELEMENT_NAMES["en"])
    said = [names[element] for element in missing]
    joiner = " et " if rendered.file_language == "fr" else " and "
    listed = ", ".join(said[:-1]) + joiner + said[-1] if len(said) > 1 else said[0]
    yield finding(rendered, "complete_text", missing=listed)


# What a reminder ("still working on it") repeats of the update it keeps the promise of.
_REMINDER_CARRIES = ("what", "next")
