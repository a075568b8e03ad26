"""The incident's texts: the FAQ's entries, what a translation carries, which fields hold words
people read (a YAML comment cutting one is warned of: ``comment_problems``), and the most
characters each may hold (``MAX_CHARACTERS``: ``too_long``).
"""

from __future__ import annotations

from typing import Any

from broadcast.input.affected import AffectedItem
from broadcast.input.error_words import number, say
from broadcast.input.schema import BaseModel, ConfigDict, Field
from broadcast.input.yamlfile import YamlDocument, dotted
from broadcast.problems import Problem

# The most characters each text may hold, in the incident and in its translations: several
# times the longest we ship, and more than anyone reads on a phone in a crisis. Checked before
# anything else, so a text pasted by mistake is refused at once instead of being measured,
# rendered and split for minutes.
MAX_CHARACTERS = {
    "title": 200,  # an email subject and a page title: read at a glance
    "headline": 1_000,  # against pasted text; preflight asks for one post on X (280)
    "affected": 1_000,
    "summary": 4_000,
    "actions": 4_000,
    "apology": 1_000,
    "compensation": 1_000,
    "offline": 300,  # said in the SMS and the call: a number, a radio, a place
    "sign_off": 200,
    "signed_by": 200,
    "q": 300,  # a question of the FAQ
    "a": 2_000,  # its answer
    "link": 2_000,  # about the longest web address browsers and mail programs keep whole
    "feedback_url": 2_000,
    "correction": 1_000,  # what was wrong and what to do now
    "reply": 1_000,  # serve's answer to a reply by SMS; its SMS length is checked too
    # An area's polygon: up to some 10,000 lat,lon pairs (a district's outline, from a GIS).
    "polygons": 200_000,
    "left_area": 1_000,  # said to those now outside the area (issue 28)
}


# Every other value (id, status, dates, durations, language, time zone) is a word or a date.
MAX_OTHER_CHARACTERS = 200


class FaqEntry(BaseModel):
    """A frequent question, answered once for every channel and the contact centre."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    q: str = Field(min_length=1)
    a: str = Field(min_length=1)


# Text fields a translation carries; the others (dates, status, link...) are shared.
TRANSLATED = (
    "title",
    "headline",
    "affected",
    "summary",
    "actions",
    "apology",
    "compensation",
    "correction",
    "offline",
    "sign_off",
    "signed_by",
    "reply",
)


# Translated when given, yet not required of a translation: often a name, the same in any language.
OPTIONAL_IN_TRANSLATION = ("sign_off",)


# The area's words a translation carries (``translations.en.area``): its shapes and codes are
# the same in every language and are given once, in the incident's ``area:``.
AREA_TRANSLATED = ("description", "left_area")


class TranslatedArea(BaseModel):
    """The area said in another language: where it is in words, and the words to those now
    outside it. The incident's ``area:`` shape, its words only."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    description: str | None = None
    left_area: str | None = None


class Translation(BaseModel):
    """The incident's wording in another language (``translations: {en: {...}}``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    title: str | None = None
    headline: str | None = None
    affected: str | None = None
    # affected written as a list (input.affected): not hashed, the text it makes is.
    affected_items: list[AffectedItem] = Field(default_factory=list, exclude=True)
    summary: str | None = None
    actions: str | None = None
    apology: str | None = None
    compensation: str | None = None
    correction: str | None = None
    offline: str | None = None
    reply: str | None = None
    sign_off: str | None = None
    signed_by: str | None = None
    faq: list[FaqEntry] | None = None
    # The area in words (description, left_area): without it, an English reader of a French
    # incident would read where it is, and that they are out of danger, in French.
    area: TranslatedArea | None = None


# The fields that hold words people read (a "#Mareuil" cut from one is a lost word).
TEXT_FIELDS = frozenset({*TRANSLATED, "q", "a", "description", "left_area"})


# The same in channels.yaml: the organisation's name and contact, the email's signature.
CONFIG_TEXT_FIELDS = frozenset({"organisation", "contact", "sign_off"})


def comment_problems(
    doc: YamlDocument | None, fields: frozenset[str] = TEXT_FIELDS, language: str = "en"
) -> list[Problem]:
    """A warning for each text written without quotes and followed by `` #...`` on its line:
    YAML reads that as a comment, so "Coupure à #Mareuil" arrives as "Coupure à". Said in
    ``language`` (the incident's; channels.yaml's in English)."""
    if doc is None:
        return []
    problems = []
    for loc, (line, comment) in sorted(doc.comments.items(), key=lambda item: item[1][0]):
        name = next((part for part in reversed(loc) if isinstance(part, str)), "")
        if name not in fields:
            continue
        shown = comment if len(comment) <= 40 else comment[:39] + "…"
        problems.append(
            Problem(
                say(language, "comment_cut", shown=shown, name=name),
                doc.path,
                line,
                dotted(loc),
                severity="warning",
            )
        )
    return problems


def texts_too_long(
    value: Any, loc: tuple[str | int, ...], doc: YamlDocument, language: str = "en"
) -> list[Problem]:
    """A problem for each text longer than its field allows (``MAX_CHARACTERS``), said in
    ``language`` (the file's)."""
    if isinstance(value, dict):
        return [
            p
            for key, item in value.items()
            for p in texts_too_long(item, (*loc, key), doc, language)
        ]
    if isinstance(value, list):
        return [
            p
            for index, item in enumerate(value)
            for p in texts_too_long(item, (*loc, index), doc, language)
        ]
    if not isinstance(value, str):
        return []
    name = next((part for part in reversed(loc) if isinstance(part, str)), "")
    limit = MAX_CHARACTERS.get(name, MAX_OTHER_CHARACTERS)
    if len(value) <= limit:
        return []
    if name in ("link", "feedback_url"):
        hint = say(language, "too_long_link")
    elif name in MAX_CHARACTERS:
        hint = say(language, "too_long_text")
    else:
        hint = say(language, "too_long_word")
    return [
        Problem(
            say(
                language,
                "too_long",
                count=number(len(value), language),
                limit=number(limit, language),
                hint=hint,
            ),
            doc.path,
            doc.line_of(loc),
            dotted(loc),
        )
    ]
