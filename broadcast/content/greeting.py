"""The recipient's name in a greeting ("Bonjour Camille,"), filled in per recipient.

A message is rendered, previewed, approved and recorded once for everyone; only the name in
its greeting differs from one recipient to the next. The templates write ``recipient_name``
where the name goes (``Bonjour{{ recipient_name }},``); for an email, and an SMS channel with
``personalise: true``, it renders as ``NAME_SLOT``, which the channel replaces for each
recipient: `` Camille`` (the first word of the recipients file's ``name`` column) or nothing
when there is no name.

An SMS also marks its whole greeting (``{% filter greeting %}``, between two
``GREETING_MARK``): it is the first thing an SMS drops, for one recipient, when their name
would make it longer than ``max_segments`` (or when there is no name), before any of the
pieces ``fitting.DROP_ORDER`` names, which are the same for everyone.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable

# Word joiners around a visible placeholder: what a preview shows, and nothing an incident's
# text or a template would write by accident.
NAME_SLOT = "\u2060 \u27e8name\u27e9\u2060"


# Brackets an SMS's greeting, so that it can be taken out for one recipient (U+2063, an
# invisible separator: nothing an incident or a template writes).
GREETING_MARK = "\u2063"
_GREETING = re.compile(GREETING_MARK + "(.*?)" + GREETING_MARK, re.DOTALL)
_SLOTS = re.compile(f"({re.escape(GREETING_MARK)}|{re.escape(NAME_SLOT)})")


# A name is text nobody approved, put inside an approved message: only what reads as a given
# name goes in (letters, accented or not, a hyphen or an apostrophe between them), never a
# link, a number or a sentence written with hyphens. Anything else leaves the greeting out.
MAX_NAME_CHARACTERS = 30
_GIVEN_NAME = re.compile(r"[^\W\d_]+(?:[-'\u2019][^\W\d_]+)*")
# A title before the given name ("Mme Camille Martin"): the greeting uses the next word.
_HONORIFICS = frozenset({"mme", "m", "mr", "mrs", "ms", "dr", "me", "mlle", "mmes", "mm"})


def greeting_name(name: str) -> str:
    """The name a greeting uses: the first word of the ``name`` column ("Camille Martin"),
    after a title (Mme, M., Dr...); "" when that word does not read as a given name (a link,
    digits, an '@', more than ``MAX_NAME_CHARACTERS`` characters): that recipient gets the
    approved text without the greeting."""
    words = unicodedata.normalize("NFC", name).split()
    if words and words[0].rstrip(".").casefold() in _HONORIFICS:
        words = words[1:]
    if not words:
        return ""
    first = words[0]
    if len(first) > MAX_NAME_CHARACTERS or not _GIVEN_NAME.fullmatch(first):
        return ""
    return first


def with_recipient_name(text: str, name: str, markup: bool = False) -> str:
    """``text`` with its name slot filled: `` Camille``, or nothing without a name."""
    if NAME_SLOT not in text:
        return text
    first = greeting_name(name)
    filled = f" {html.escape(first) if markup else first}" if first else ""
    return text.replace(NAME_SLOT, filled)


def mark_greeting(text: object) -> str:
    """The ``greeting`` template filter: ``text`` as a greeting an SMS may drop."""
    return f"{GREETING_MARK}{text}{GREETING_MARK}" if str(text).strip() else ""


def without_greeting(text: str) -> str:
    """The SMS as someone without a name (or with too long a one) gets it."""
    return _GREETING.sub("", text) if GREETING_MARK in text else text


def sms_for(
    text: str,
    name: str,
    max_segments: int | None,
    smart: bool = True,
    transliterate: bool = False,
) -> str:
    """The SMS one recipient gets: "Bonjour Camille, ..." when it stays within
    ``max_segments`` (its encoding included: a name outside GSM-7 makes the whole text UCS-2),
    else, or without a name, the same text without the greeting. The name gets the channel's
    GSM-7 typography (``smart``, ``transliterate``), as the rest of the text did: Twilio is
    handed, and the lookup after a lost answer looks for, exactly this text."""
    if GREETING_MARK not in text:
        return text
    from broadcast.content.measure import gsm_typography, sms_measure

    plain = without_greeting(text)
    first = greeting_name(name)
    first = greeting_name(gsm_typography(first, smart=smart, transliterate=transliterate).text)
    if not first:
        return plain

    greeted = with_recipient_name(_GREETING.sub(r"\1", text), first)
    if max_segments is not None and sms_measure(greeted).segments > max_segments:
        return plain
    return greeted


def outside_the_name(text: str, change: Callable[[str], str]) -> str:
    """``change`` applied to the text around the greeting's marks and name slot, which are
    kept as they are (the GSM-7 typography would take their invisible characters out)."""
    pieces = _SLOTS.split(text)
    return "".join(piece if _SLOTS.fullmatch(piece) else change(piece) for piece in pieces)
