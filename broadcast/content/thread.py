"""Splitting a text too long for one post on X into a numbered thread.

The preview shows the thread exactly as it will be posted, so this module only uses the standard
library and ``broadcast.content.measure`` and stays cheap to import. Lengths are X's weighted
lengths (``tweet_weighted_length``: a URL counts 23, CJK and emoji 2).

Posts are slices of the original text: only the whitespace where a cut falls is dropped. A cut
prefers, in order, the end of a paragraph, the end of a sentence (or of a line), then any space
between words; it lands inside a word only when that word alone is longer than a post, and never
inside a URL or inside an emoji or accented character. The first post keeps the headline (the
first paragraph) whole whenever it fits.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import NamedTuple

from broadcast.content.measure import tweet_url_spans, tweet_weighted_length

__all__ = ["split_thread"]

_WORD, _SENTENCE, _PARAGRAPH = 1, 2, 3

# No-break spaces (U+00A0, U+2007, U+202F) glue what they join: they are never a cut.
_BREAKABLE_SPACE = re.compile(r"[^\S\u00a0\u2007\u202f]+")
# Full stops of scripts written without spaces: a sentence may end there without whitespace.
_UNSPACED_STOPS = re.compile("[\u3002\uff01\uff1f]")  # ideographic and fullwidth . ! ?
_SENTENCE_END = frozenset(".!?\u2026\u3002\uff01\uff1f")
_CLOSING = frozenset("\"'»)]\u201d\u2019")  # closing quotes and brackets
# French sets a space before these; cutting there would start a post with "?" or "»".
_GLUED_AFTER_SPACE = frozenset("?!:;»%")
_GLUED_BEFORE_SPACE = frozenset("«")
_MAX_DIGITS = 4
# Outside URLs every code point weighs at least 1/8: the longest emoji sequence weighing 2 has 15
# code points, and NFC folds at most a few into one. A slice with more than this many per unit of
# budget cannot fit and is not measured. (A flag's tag sequence can be longer; treating such a
# slice as too long only makes a post shorter, never too long: what is kept is always measured.)
_MOST_CODE_POINTS_PER_WEIGHT = 8


class _Cut(NamedTuple):
    end: int  # where the post before the cut ends
    resume: int  # where the next post starts (after the whitespace dropped at the cut)
    level: int


def split_thread(text: str, limit: int = 280) -> list[str]:
    """``text`` as posts of at most ``limit`` weighted characters, numbered " 1/3"... if needed.

    A text that fits is returned unchanged, as the only post.
    """
    body = text.strip()
    # Whitespace only adds weight, so the body is measured first: a long text is measured once.
    weight = tweet_weighted_length(body)
    if weight <= limit:
        return [text] if tweet_weighted_length(text) <= limit else [body]
    # Posts needed at the very least, to skip packing with a suffix too narrow for the count.
    least = -(-weight // limit)
    for digits in range(len(str(least)), _MAX_DIGITS + 1):
        # " 12/12": a space, the post's number, a slash and the count, all weighing 1.
        budget = limit - (2 + 2 * digits)
        pieces = _Packer(body, budget).pieces()
        if len(pieces) < 10**digits:
            count = len(pieces)
            return [f"{piece} {number}/{count}" for number, piece in enumerate(pieces, 1)]
    raise ValueError(f"text too long to post as a thread of fewer than {10**_MAX_DIGITS} posts")


class _Packer:
    """Greedy packing of one text into pieces of at most ``budget`` weighted characters.

    The cost stays linear in the text: each piece measures a few slices of about a post's
    length, and a slice too long to possibly fit is turned down without being measured.
    """

    def __init__(self, text: str, budget: int) -> None:
        self.text = text
        self.budget = budget
        self.cuts = _cut_points(text)
        self.cut_ends = [cut.end for cut in self.cuts]
        urls = list(tweet_url_spans(text))
        self.url_starts = [url_start for url_start, _ in urls]
        self.url_ends = [url_end for _, url_end in urls]
        # Characters in the URLs before each one, to count a slice's characters outside URLs.
        self.url_before = [0]
        for url_start, url_end in urls:
            self.url_before.append(self.url_before[-1] + url_end - url_start)
        self.headline_end = next(
            (cut.end for cut in self.cuts if cut.level == _PARAGRAPH), len(text)
        )

    def fits(self, start: int, end: int) -> bool:
        if (
            end - start - self._url_characters(start, end)
            > _MOST_CODE_POINTS_PER_WEIGHT * self.budget
        ):
            return False
        return tweet_weighted_length(self.text[start:end]) <= self.budget

    def _url_characters(self, start: int, end: int) -> int:
        """Characters of ``text[start:end]`` inside the URLs found in the whole text."""
        first = bisect_right(self.url_ends, start)
        last = bisect_left(self.url_starts, end)
        if first >= last:
            return 0
        inside = self.url_before[last] - self.url_before[first]
        inside -= max(0, start - self.url_starts[first])
        inside -= max(0, self.url_ends[last - 1] - end)
        return inside

    def pieces(self) -> list[str]:
        pieces: list[str] = []
        start = 0
        while not self.fits(start, len(self.text)):
            end, resume = self._next_cut(start)
            pieces.append(self.text[start:end])
            start = resume
        pieces.append(self.text[start:])
        return pieces

    def _next_cut(self, start: int) -> tuple[int, int]:
        first = bisect_right(self.cut_ends, start)
        # At whitespace the weight only grows with the slice (a URL or an emoji never spans a
        # space), so the furthest cut that fits can be searched for. A post holds about
        # ``budget`` characters of most scripts: the search starts there.
        guess = bisect_right(self.cut_ends, start + self.budget) - first
        candidates = _Tail(self.cut_ends, first)
        count = self._fitting_count(start, candidates, guess)
        if not count:
            word_end = self.cut_ends[first] if first < len(self.cuts) else len(self.text)
            cut = self._inside_word(start, word_end)
            return cut, cut
        chosen = self._choose(start, self.cuts[first : first + count])
        return chosen.end, chosen.resume

    def _fitting_count(self, start: int, ends: Sequence[int], guess: int) -> int:
        """How many of the increasing ``ends`` close a slice from ``start`` that fits.

        Gallops from ``guess`` (up while slices fit, down while they do not), then bisects: a
        few measures of about a post's length when the guess is near.
        """
        if not ends:
            return 0
        fit, unfit = 0, len(ends) + 1  # ends[fit - 1] fits (or fit is 0); ends[unfit - 1] not
        probe, step = min(max(guess, 1), len(ends)), 1
        if self.fits(start, ends[probe - 1]):
            fit = probe
            while fit + step <= len(ends):
                if not self.fits(start, ends[fit + step - 1]):
                    unfit = fit + step
                    break
                fit, step = fit + step, step * 2
        else:
            unfit = probe
            while unfit - step > 0:
                if self.fits(start, ends[unfit - step - 1]):
                    fit = unfit - step
                    break
                unfit, step = unfit - step, step * 2
        while unfit - fit > 1:
            middle = (fit + unfit) // 2
            if self.fits(start, ends[middle - 1]):
                fit = middle
            else:
                unfit = middle
        return fit

    def _choose(self, start: int, fitting: list[_Cut]) -> _Cut:
        """The best cut: paragraph, then sentence, in the second half of what fits; else a word."""
        threshold = start + (fitting[-1].end - start) / 2
        for level in (_PARAGRAPH, _SENTENCE):
            for cut in reversed(fitting):
                if cut.end < threshold:
                    break
                if cut.level >= level:
                    return cut
        if start == 0:
            # Rather the headline alone in the first post than a headline and half a sentence.
            headline = next((cut for cut in fitting if cut.end == self.headline_end), None)
            if headline is not None:
                return headline
        return fitting[-1]

    def _inside_word(self, start: int, word_end: int) -> int:
        """The furthest place inside a word too long for a post where a cut still fits."""
        # Inside a word the weight is not quite monotonic (a prefix may stop being a URL), so
        # the search may stop short of the optimum; every cut it returns does fit.
        cut = start + self._fitting_count(start, range(start + 1, word_end), self.budget)
        while cut > start and not (self._breakable(cut) and self.fits(start, cut)):
            cut -= 1
        if cut == start:
            raise ValueError(f"a post limit of {self.budget} cannot hold even one character")
        return cut

    def _breakable(self, position: int) -> bool:
        url = bisect_right(self.url_starts, position) - 1
        if url >= 0 and self.url_starts[url] < position < self.url_ends[url]:
            return False
        return _between_graphemes(self.text, position)


class _Tail(Sequence[int]):
    """``values[first:]`` without the copy: a search reads only a few of them."""

    def __init__(self, values: list[int], first: int) -> None:
        self.values = values
        self.first = first

    def __len__(self) -> int:
        return len(self.values) - self.first

    def __getitem__(self, index: int) -> int:  # type: ignore[override]
        return self.values[self.first + index]


def _cut_points(text: str) -> list[_Cut]:
    cuts: list[_Cut] = []
    for space in _BREAKABLE_SPACE.finditer(text):
        start, end = space.span()
        if start == 0 or end == len(text):
            continue
        if text[end] in _GLUED_AFTER_SPACE or text[start - 1] in _GLUED_BEFORE_SPACE:
            continue
        run = space.group()
        if run.count("\n") >= 2:
            level = _PARAGRAPH
        elif "\n" in run or _ends_sentence(text, start):
            level = _SENTENCE
        else:
            level = _WORD
        cuts.append(_Cut(start, end, level))
    for stop in _UNSPACED_STOPS.finditer(text):
        after = stop.end()
        if after < len(text) and not text[after].isspace() and text[after] not in _CLOSING:
            cuts.append(_Cut(after, after, _SENTENCE))
    cuts.sort(key=lambda cut: cut.end)
    return cuts


def _ends_sentence(text: str, end: int) -> bool:
    index = end - 1
    while index > 0 and text[index] in _CLOSING:
        index -= 1
    return text[index] in _SENTENCE_END


def _between_graphemes(text: str, position: int) -> bool:
    """Whether cutting at ``position`` leaves every visible character whole (approximately)."""
    char, before = text[position], text[position - 1]
    if before == "\u200d" or char == "\u200d":  # inside an emoji ZWJ sequence
        return False
    point = ord(char)
    if (
        unicodedata.category(char) in ("Mn", "Mc", "Me")  # accents, variation selectors
        or 0x1F3FB <= point <= 0x1F3FF  # skin tones
        or 0xE0020 <= point <= 0xE007F  # tag sequences (subdivision flags)
    ):
        return False
    if _regional_indicator(char) and _regional_indicator(before):
        run = 0
        while position - run - 1 >= 0 and _regional_indicator(text[position - run - 1]):
            run += 1
        return run % 2 == 0  # flags are pairs: cut only between two of them
    return True


def _regional_indicator(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF
