"""Fitting a text into its channel's limit (an SMS's ``max_segments``).

A text template may mark pieces a short channel can do without (``{% filter droppable(2) %}``):
when the channel has a limit, the pieces are dropped, lowest rank first, until the text fits;
elsewhere they are kept. The shipped SMS templates use the ranks ``DROP_ORDER`` names.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from broadcast.content.greeting import without_greeting
from broadcast.content.text_cleaning import tidy_text

# What the shipped SMS templates drop to stay within max_segments, first to last. Never dropped:
# the organisation, the end said first, the headline, the offline way, the next update. Before
# them all goes a greeting by name (greeting.py), per recipient: the pieces fit without it.
DROP_ORDER = {
    1: "thanks",
    2: "the status page link",
    3: "the short apology",
    4: "the feedback link",
    5: "the compensation",
}


# Left out only with a warning that says so and how to keep them (the preview, the send's
# confirmation and its summary show it): words owed to the people affected.
NEVER_SILENTLY = ("the short apology", "the compensation")


_DROPPABLE = re.compile(r"\x1e(\d)\x1f(.*?)\x1e", re.DOTALL)


# The first sentence of an apology, short enough for an SMS.
SHORT_APOLOGY_CHARACTERS = 100


class Fitted(NamedTuple):
    """A text rendered to fit its channel's limit, and what was left out to fit."""

    text: str
    # The pieces dropped, in ``DROP_ORDER``'s words, in the order they were dropped.
    dropped: tuple[str, ...] = ()
    # The text with every piece kept, when some were dropped: what it would take to keep them.
    whole: str = ""


def droppable(text: Any, rank: int) -> str:
    """Mark ``text`` as a piece a limited channel may drop (rank 1 goes first)."""
    return f"\x1e{int(rank)}\x1f{text}\x1e" if str(text).strip() else ""


def fit_droppable(text: str, max_segments: int | None) -> str:
    """``text`` fitted to ``max_segments`` (see ``fit_pieces``)."""
    return fit_pieces(text, max_segments).text


def fit_pieces(
    text: str, max_segments: int | None, *, smart: bool = True, transliterate: bool = False
) -> Fitted:
    """Drop marked pieces, lowest rank first, until the SMS fits ``max_segments``, then put
    back, most important first, any dropped piece that fits again (dropping an apology with
    an accent may leave room for the link dropped before it). Every piece is kept when there
    is no limit. A line that held only a dropped piece goes too.

    What is measured is what is sent: the text after the channel's typography (``smart``
    look-alikes, ``transliterate``d accents; measure.gsm_typography), so a curly apostrophe
    pasted from a word processor costs what its GSM-7 replacement costs, not a UCS-2 text."""
    if "\x1e" not in text:
        return Fitted(text)
    if max_segments is None:
        return Fitted(_DROPPABLE.sub(r"\2", text))
    from broadcast.content.measure import gsm_typography, sms_measure

    def without(dropped: set[int]) -> str:
        marked = _DROPPABLE.sub(
            lambda match: "\x00" if int(match.group(1)) in dropped else match.group(2), text
        )
        # A line that was only a dropped piece goes, line break and all.
        return re.sub(r"^\x00\n?", "", marked, flags=re.MULTILINE).replace("\x00", "")

    def fits(dropped: set[int]) -> bool:
        # Without the greeting: it goes first, per recipient, when their name does not fit.
        sent = gsm_typography(
            tidy_text(without_greeting(without(dropped))),
            smart=smart,
            transliterate=transliterate,
        ).text
        return sms_measure(sent).segments <= max_segments

    dropped: set[int] = set()
    for rank in sorted({int(match.group(1)) for match in _DROPPABLE.finditer(text)}):
        if fits(dropped):
            break
        dropped.add(rank)
    for rank in sorted(dropped, reverse=True):
        if fits(dropped - {rank}):
            dropped.discard(rank)
    names = tuple(DROP_ORDER.get(rank, f"the pieces of rank {rank}") for rank in sorted(dropped))
    return Fitted(without(dropped), names, without(set()) if dropped else "")


def short_apology(apology: str | None) -> str | None:
    """The apology's first sentence when it is short enough for an SMS, else None."""
    if not apology:
        return None
    first = re.split(r"(?<=[.!?…])\s+", " ".join(apology.split()), maxsplit=1)[0]
    return first if len(first) <= SHORT_APOLOGY_CHARACTERS else None
