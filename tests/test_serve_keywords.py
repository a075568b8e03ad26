"""What an inbound SMS asks for (broadcast serve): a keyword is the whole message, whatever its
case, accents, spaces and punctuation; anything else is a reply, sorted by its words."""

from __future__ import annotations

import pytest

from broadcast.serve.keywords import classify, keyword_of
from broadcast.serve.limits import RateLimit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("STOP", "stop"),
        ("stop", "stop"),
        (" Arrêt. ", "stop"),
        ("ARRÊT !", "stop"),
        ("StopAll", "stop"),
        ("unsubscribe", "stop"),
        ("Cancel", "stop"),
        ("end", "stop"),
        ("QUIT!!", "stop"),
        ("start", "start"),
        ("Unstop", "start"),
        ("yes.", "start"),
        ("HELP", "help"),
        ("aide ?", "help"),
        ("Info", "help"),
        ("« STOP »", "stop"),
    ],
)
def test_a_keyword_is_read_whatever_its_case_accents_and_punctuation(
    text: str, expected: str
) -> None:
    assert keyword_of(text)[0] == expected


@pytest.mark.parametrize(
    "text", ["stop the water", "S T O P", "Stop, when is it back?", "STOPPED", "helpful", ""]
)
def test_a_sentence_holding_a_keyword_is_a_reply(text: str) -> None:
    assert keyword_of(text) == (None, "")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Mon père est sous oxygène, que faire ?", "medical"),
        ("My mother needs dialysis tonight", "medical"),
        ("Est-ce que la rue Nationale est concernée ?", "location"),
        ("Is my street included?", "location"),
        ("C'est inadmissible, encore une coupure", "complaint"),
        ("Merci pour l'info", "thanks"),
        ("Thank you!", "thanks"),
        ("Quand revient le courant ?", "question"),
        ("When will it be back", "question"),
        ("ok", "other"),
    ],
)
def test_replies_are_sorted_by_their_french_and_english_words(text: str, category: str) -> None:
    assert classify(text) == category


def test_the_rate_limit_counts_per_number_in_a_sliding_minute() -> None:
    now = [0.0]
    limit = RateLimit(allowed=10, window=60.0, clock=lambda: now[0])
    assert all(limit.admit("a") for _ in range(10))
    assert not limit.admit("a")  # the 11th in the minute
    assert limit.admit("b")  # another number is not held back
    now[0] = 59.9
    assert not limit.admit("a")
    now[0] = 60.0
    assert limit.admit("a")  # the first one left the window
