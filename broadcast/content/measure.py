"""Counting for per-channel limits: SMS segments (and, from tweet_length, a post's length on X).

SMS is delivered and billed per segment. Text that fits the GSM 03.38 default alphabet
(3GPP TS 23.038) travels as GSM-7: 160 septets in a single segment, 153 per segment once split
(the concatenation header takes the rest), and each character of the extension table costs two
septets, escape and character, which must land in the same segment. A single character outside
the alphabet switches the whole message to UCS-2: 70 UTF-16 code units in a single segment, 67 per
segment once split, and a surrogate pair is never cut in two. `sms_measure` reports the
encoding, the units, the segments and the characters that forced UCS-2, so a template can be
fixed before a third segment is paid for on every phone.

A post on X is limited to 280 by twitter-text's weighted length: ``content.tweet_length``
counts it (named here too).

Texts are measured exactly as given. SMS text is not normalised: an "é" typed as "e" plus a
combining accent forces UCS-2, and shows up in `SmsMeasure.non_gsm`.

`gsm_typography` is what runs before an SMS is measured and sent: typographic characters that
have a GSM-7 look-alike (curly quotes and apostrophes, guillemets, dashes, the ellipsis,
no-break spaces) are replaced, as Twilio's Smart Encoding does; with ``transliterate``, letters
with an accent GSM-7 lacks (ê, ô, ç, œ) are folded too (e, o, c, oe). It reports what it replaced,
the segments saved, and what is left outside GSM-7 with what it costs.

Importing the module stays cheap: the URL and emoji patterns are compiled on first use.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, NamedTuple

# The weighted length of a post on X lives in content.tweet_length; named here too, where the
# code measuring a text has always found it.
from broadcast.content.tweet_length import _EMOJI_MODIFIER_BASE as _EMOJI_MODIFIER_BASE
from broadcast.content.tweet_length import _EXTENDED_PICTOGRAPHIC as _EXTENDED_PICTOGRAPHIC
from broadcast.content.tweet_length import _LOWEST_EMOJI_CODE_POINT as _LOWEST_EMOJI_CODE_POINT
from broadcast.content.tweet_length import (
    TWEET_MAX_WEIGHTED_LENGTH,
    TweetMeasure,
    tweet_measure,
    tweet_url_spans,
    tweet_weighted_length,
)
from broadcast.content.tweet_length import _emoji_pattern as _emoji_pattern

__all__ = [
    "GSM7",
    "TWEET_MAX_WEIGHTED_LENGTH",
    "UCS2",
    "SmsMeasure",
    "TweetMeasure",
    "Typography",
    "gsm_typography",
    "sms_measure",
    "sms_segments",
    "tweet_measure",
    "tweet_url_spans",
    "tweet_weighted_length",
]

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# The 128 entries of the default alphabet except 0x1B, the escape to the extension table.
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("\f^{}\\[~]|€")
_GSM = _GSM_BASIC | _GSM_EXTENSION

# Units in a single-segment message, and per segment once the message is split.
_SMS_CAPACITY = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class SmsMeasure:
    """How a text travels as SMS: encoding, size in units of that encoding, segments."""

    encoding: str
    """`GSM7` ("GSM-7") or `UCS2` ("UCS-2")."""
    units: int
    """Septets for GSM-7 (extension-table characters count 2), UTF-16 code units for UCS-2."""
    segments: int
    """Segments sent and billed; 0 for empty text."""
    non_gsm: tuple[str, ...]
    """Distinct characters that forced UCS-2, in order of first appearance; empty for GSM-7."""
    last_segment_units: int | None = field(default=None, compare=False)
    """Units in the last segment, as packed by `sms_measure`."""

    def remaining(self) -> int:
        """Units that still fit before the message needs another segment."""
        single, split = _SMS_CAPACITY[self.encoding]
        if self.segments <= 1:
            return single - self.units
        used = self.last_segment_units
        if used is None:
            # Without the packing, assume no unit was lost at a segment boundary.
            used = (self.units - 1) % split + 1
        return split - used


def sms_measure(text: str) -> SmsMeasure:
    """Measure `text` as one SMS: encoding, units and segments per GSM 03.38 / TS 23.038."""
    stray = set(text) - _GSM
    if stray:
        encoding = UCS2
        non_gsm = tuple(dict.fromkeys(ch for ch in text if ch in stray))
        costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    else:
        encoding = GSM7
        non_gsm = ()
        costs = [2 if ch in _GSM_EXTENSION else 1 for ch in text]
    single, split = _SMS_CAPACITY[encoding]
    units = sum(costs)
    if units <= single:
        return SmsMeasure(encoding, units, 1 if units else 0, non_gsm, units)
    segments, used = 1, 0
    for cost in costs:
        # An escape pair or a surrogate pair that does not fit moves whole to the next segment.
        if used + cost > split:
            segments, used = segments + 1, 0
        used += cost
    return SmsMeasure(encoding, units, segments, non_gsm, used)


def sms_segments(text: str) -> int:
    """Number of SMS segments `text` is sent as (0 for empty text)."""
    return sms_measure(text).segments


# Twilio's Smart Encoding replaces these (its published list is longer; these are the ones a
# French or English word processor or phone keyboard puts into a crisis message).
GSM_LOOKALIKES: dict[str, str] = {
    "\u2019": "'",  # right single quotation mark, the typographic apostrophe
    "\u2018": "'",  # left single quotation mark
    "\u201a": "'",  # single low-9 quotation mark
    "\u2032": "'",  # prime
    "\u02bc": "'",  # modifier letter apostrophe
    "\u201c": '"',  # left double quotation mark
    "\u201d": '"',  # right double quotation mark
    "\u201e": '"',  # double low-9 quotation mark
    "\u2033": '"',  # double prime
    "\u00ab": '"',  # left guillemet
    "\u00bb": '"',  # right guillemet
    "\u2039": "'",  # single left guillemet
    "\u203a": "'",  # single right guillemet
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2015": "-",  # horizontal bar
    "\u2212": "-",  # minus sign
    "\u2026": "...",  # ellipsis
    "\u00a0": " ",  # no-break space (before : ; ! ? in French)
    "\u202f": " ",  # narrow no-break space (the same, as typeset)
    "\u2007": " ",  # figure space
    "\u2009": " ",  # thin space
    "\u200a": " ",  # hair space
    "\u2002": " ",  # en space
    "\u2003": " ",  # em space
    "\u200b": "",  # zero-width space: invisible, yet it forces UCS-2
    "\u2060": "",  # word joiner
    "\u00ad": "",  # soft hyphen
    "\u2022": "-",  # • bullet
}
# Letters that decomposition does not fold to GSM-7 on its own.
_FOLDS = {"œ": "oe", "Œ": "OE", "ç": "c", "ĳ": "ij", "Ĳ": "IJ", "\u017f": "s", "ł": "l", "Ł": "L"}


class Typography(NamedTuple):
    """What `gsm_typography` did to a text, and what the rest costs."""

    text: str
    """The text to measure and send."""
    replaced: tuple[tuple[str, str, int], ...]
    """(character, replacement, times), in order of first appearance."""
    segments_before: int
    """Segments of the text as rendered, before any replacement."""
    segments: int
    """Segments of ``text``."""
    kept: tuple[str, ...]
    """Characters left outside GSM-7 (no look-alike, or not transliterated), in order."""
    segments_without_kept: int
    """Segments ``text`` would take if those characters were folded to GSM-7."""

    @property
    def segments_saved(self) -> int:
        return self.segments_before - self.segments

    @property
    def kept_cost(self) -> int:
        """Segments the characters kept cost on every phone."""
        return self.segments - self.segments_without_kept


def gsm_typography(text: str, *, smart: bool = True, transliterate: bool = False) -> Typography:
    """Replace look-alikes (``smart``) and fold accented letters (``transliterate``) to GSM-7."""
    replaced: dict[str, list[Any]] = {}
    out: list[str] = []
    for ch in text:
        new = ch
        if ch not in _GSM:
            if smart and ch in GSM_LOOKALIKES:
                new = GSM_LOOKALIKES[ch]
            elif transliterate:
                new = _fold(ch) or ch
        if new != ch:
            replaced.setdefault(ch, [new, 0])[1] += 1
        out.append(new)
    result = "".join(out)
    kept = tuple(dict.fromkeys(ch for ch in result if ch not in _GSM))
    folded = "".join(ch if ch in _GSM else (_fold(ch) or "?") for ch in result)
    return Typography(
        text=result,
        replaced=tuple((ch, new, n) for ch, (new, n) in replaced.items()),
        segments_before=sms_segments(text),
        segments=sms_segments(result),
        kept=kept,
        segments_without_kept=sms_segments(folded),
    )


def _fold(ch: str) -> str | None:
    """``ch`` as GSM-7 letters without its accent, if it has a fold (ê → e, œ → oe)."""
    if ch in _FOLDS:
        return _FOLDS[ch]
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return base if base and base != ch and all(c in _GSM for c in base) else None
