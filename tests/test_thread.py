"""Splitting a long text into a numbered thread of posts that each fit on X."""

from __future__ import annotations

import re
import time

import pytest

from broadcast.content import thread
from broadcast.content.measure import tweet_weighted_length
from broadcast.content.thread import split_thread

HEADLINE = "Coupure de courant à Lille et Roubaix depuis 8h10. Rétablissement prévu vers 14h."
FRENCH = f"""{HEADLINE}

Depuis 8h10 ce matin, l'électricité est coupée dans une partie de Lille et de Roubaix. Un câble \
souterrain a été endommagé pendant des travaux de voirie, rue de la Gare. Environ 12 000 foyers \
sont concernés.

Nos techniciens sont sur place depuis 8h45 pour isoler le câble endommagé. Nous rétablissons le \
courant quartier par quartier en passant par d'autres lignes. Des groupes électrogènes alimentent \
en priorité les écoles, les maisons de retraite et les personnes sous assistance médicale qui se \
sont signalées.

Que faire ? Débranchez vos appareils : le courant peut revenir d'un coup. Nous sommes désolés \
pour la gêne que cette coupure vous cause, en particulier un dimanche.

Prochain point à 12h. https://www.energie-nord.example.com/etat/panne-nord-2026-11-22"""

SUFFIX = re.compile(r" (\d+)/(\d+)$")


def bodies(posts: list[str]) -> list[str]:
    """The posts without their " k/n" numbering, which must run 1..n."""
    numbers = [SUFFIX.search(p) for p in posts]
    assert all(numbers), posts
    assert [(int(m[1]), int(m[2])) for m in numbers if m] == [
        (k, len(posts)) for k in range(1, len(posts) + 1)
    ]
    return [SUFFIX.sub("", p) for p in posts]


def assert_fits(posts: list[str], limit: int = 280) -> None:
    assert all(tweet_weighted_length(p) <= limit for p in posts), [
        tweet_weighted_length(p) for p in posts
    ]


@pytest.mark.parametrize("text", ["Coupure en cours.", "x" * 280, "  spaces kept \n", "🚨" * 140])
def test_a_text_that_fits_is_one_post_unchanged(text: str) -> None:
    assert split_thread(text) == [text]


def test_only_surrounding_whitespace_over_the_limit_is_trimmed_not_numbered() -> None:
    assert split_thread("x" * 279 + "\n\n") == ["x" * 279]


def test_a_long_french_text_becomes_a_numbered_thread_that_keeps_every_word() -> None:
    posts = split_thread(FRENCH)

    assert len(posts) >= 3
    assert_fits(posts)
    assert " ".join(bodies(posts)).split() == FRENCH.split()


def test_every_character_is_kept_but_the_whitespace_at_the_cuts() -> None:
    parts = bodies(split_thread(FRENCH))

    position = 0
    for part in parts:
        found = FRENCH.index(part, position)
        assert FRENCH[position:found].strip() == ""  # only whitespace between two posts
        position = found + len(part)
    assert position == len(FRENCH)


def test_the_headline_opens_the_first_post() -> None:
    assert split_thread(FRENCH)[0].startswith(HEADLINE + "\n\n")


def test_the_headline_stands_alone_rather_than_with_half_a_sentence() -> None:
    text = HEADLINE + "\n\n" + " ".join(["un mot"] * 80) + "."

    first = bodies(split_thread(text))[0]

    assert first == HEADLINE


def test_cuts_prefer_paragraphs_then_sentences() -> None:
    paragraphs = [f"Paragraphe {i}. " + "Une phrase assez courte. " * 4 for i in range(6)]
    text = "\n\n".join(p.strip() for p in paragraphs)

    parts = bodies(split_thread(text))

    assert all(part.endswith(".") for part in parts)
    assert all(part.startswith("Paragraphe") for part in parts)


def test_without_sentence_ends_the_cut_falls_between_words() -> None:
    text = " ".join(f"mot{i}" for i in range(120))

    parts = bodies(split_thread(text))

    assert " ".join(parts) == text
    assert all(tweet_weighted_length(p) > 200 for p in parts[:-1])  # posts are well filled


def test_french_spaced_punctuation_never_opens_a_post() -> None:
    text = " ".join(["Que faire ? Restez chez vous ! Attention : danger ; « prudence »."] * 20)

    parts = bodies(split_thread(text))

    assert not [p for p in parts if p[0] in "?!:;»"]
    assert not [p for p in parts if p.endswith("«")]


def test_urls_are_never_cut() -> None:
    urls = [
        f"https://status.example.com/incidents/{i}/details?lang=fr&x={'y' * 40}" for i in range(20)
    ]
    text = " ".join(f"Voir {url}" for url in urls)

    parts = bodies(split_thread(text))

    assert_fits(split_thread(text))
    for url in urls:
        assert sum(url in part for part in parts) == 1


def test_one_enormous_word_is_cut_within_the_limit() -> None:
    word = "abcdefghij" * 100

    posts = split_thread(word)

    assert_fits(posts)
    assert "".join(bodies(posts)) == word
    assert len(posts) == 4  # 1000 characters in posts of 276


def test_a_long_word_holding_a_url_is_cut_around_the_url() -> None:
    url = "https://example.com/a"
    assert tweet_weighted_length(f"({url})") == 1 + 23 + 1  # X sees a URL there
    # Post 1 fills up in the middle of the URL: 261 + "https://exampl" weighs 275.
    word = "x" * 260 + f"({url})" + "y" * 250

    parts = bodies(split_thread(word))

    assert "".join(parts) == word
    assert sum(url in part for part in parts) == 1


def test_cjk_characters_weigh_two() -> None:
    sentence = "電力の供給が停止しています。"  # 14 characters, weight 28
    text = sentence * 30

    posts = split_thread(text)

    assert_fits(posts)
    parts = bodies(posts)
    assert "".join(parts) == text
    assert all(len(p) <= 138 for p in parts)  # (280 - 4) / 2
    assert all(p.endswith("。") for p in parts)  # cut at the ideographic full stop


def test_emoji_weigh_two_and_are_never_split() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji, weight 2
    flag = "\U0001f1eb\U0001f1f7"
    text = (family + flag + "⚠️") * 100  # one enormous word

    posts = split_thread(text)

    assert_fits(posts)
    parts = bodies(posts)
    assert "".join(parts) == text
    for part in parts:
        assert part.startswith(family)
        assert part.count(family) == part.count(flag)
        assert not part.endswith("\u200d")
    assert len(posts) == 3  # 600 weighted in posts of 276


def test_a_combining_accent_stays_with_its_letter() -> None:
    # "x" plus U+0308 has no precomposed form: each weighs 1, and post 1 has room for one
    # more after 137 pairs, which must not be a bare "x".
    text = "a" + "x\u0308" * 200

    parts = bodies(split_thread(text))

    assert "".join(parts) == text
    assert not [part for part in parts if part.startswith("\u0308")]


def test_ten_posts_or_more_get_two_digit_numbers_and_still_fit() -> None:
    text = " ".join(["Une phrase pour remplir le fil."] * 120)

    posts = split_thread(text)

    assert len(posts) >= 10
    assert_fits(posts)
    assert posts[0].endswith(f" 1/{len(posts)}")
    assert " ".join(bodies(posts)).split() == text.split()


def test_a_smaller_limit_is_respected() -> None:
    posts = split_thread(FRENCH, limit=100)

    assert_fits(posts, limit=100)
    assert " ".join(bodies(posts)).split() == FRENCH.split()


def test_a_limit_too_small_for_any_character_is_an_error() -> None:
    with pytest.raises(ValueError, match="cannot hold"):
        split_thread("🚨" * 10, limit=5)


def characters_measured(text: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """Characters the splitter hands to the real measure while splitting ``text``."""
    measured: list[int] = []

    def counting(piece: str) -> int:
        measured.append(len(piece))
        return tweet_weighted_length(piece)

    with monkeypatch.context() as patch:
        patch.setattr(thread, "tweet_weighted_length", counting)
        split_thread(text)
    return sum(measured)


@pytest.mark.parametrize(
    "unit",
    [
        FRENCH + "\n\n",
        "abcdefghij",  # one enormous word
        "電力の供給が停止しています。",  # no spaces at all
        "Voir https://status.example.com/panne-nord et https://example.fr/a ",
    ],
    ids=["prose", "one-word", "cjk", "urls"],
)
def test_ten_times_the_text_costs_about_ten_times_the_measuring(
    unit: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Counted, not timed: measuring each remainder again made this grow a hundredfold.
    small = characters_measured((unit * 3_000)[:3_000], monkeypatch)
    large = characters_measured((unit * 30_000)[:30_000], monkeypatch)
    assert large < 13 * small, (small, large)


@pytest.mark.slow
def test_a_long_text_is_split_in_seconds_not_a_quarter_of_an_hour() -> None:
    text = (FRENCH + "\n\n") * (250_000 // len(FRENCH))
    started = time.monotonic()
    posts = split_thread(text)
    elapsed = time.monotonic() - started
    # A hang guard, not a speed test: a few seconds even on a busy machine; splitting quadratically
    # took 216 s for 100 kB and would take about 20 minutes here.
    assert elapsed < 60, elapsed
    assert_fits(posts[::97])
    assert " ".join(bodies(posts)).split() == text.split()
