"""The offline way of an incident (``offline:``: a free number, a radio, a place to go), with
the call-in line's number added when channels.yaml gives ``serve: call_in_number``: people
without internet hear the latest message by calling it (``broadcast serve``'s
``/twilio/voice``). Every channel's templates say ``offline`` where they say how to get news
without internet, so adding it here adds it to every channel at once."""

from __future__ import annotations

import re
from typing import Any

# How the call-in line is offered, per language; a language without its words uses English.
CALL_IN: dict[str, str] = {
    "fr": "Sans internet, écoutez le dernier message au {number}.",
    "en": "No internet? Hear the latest message on {number}.",
}


def call_in_number(config: Any) -> str | None:
    """``serve: call_in_number`` of channels.yaml (E.164), if set."""
    serve = getattr(config, "serve", None)
    number = getattr(serve, "call_in_number", None) if serve is not None else None
    return str(number) if number else None


def shown_number(number: str) -> str:
    """``+33123456789`` as people read and dial it: ``+33 1 23 45 67 89``."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def offline_way(offline: str | None, number: str | None, language: str) -> str | None:
    """The incident's offline way, then the call-in line's number (unless it already gives
    that number)."""
    if not number:
        return offline
    if offline and number[1:] in re.sub(r"\D", "", offline):
        return offline
    said = CALL_IN.get(language, CALL_IN["en"]).format(number=shown_number(number))
    return f"{offline} {said}" if offline else said
