"""Every text of one language that the public reads, with where it sits in the file: the
fields the messages carry and each FAQ question and answer. What the checks on promises,
personal data and translations read, field by field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from broadcast.content.wording.texts import Wording, plain_apostrophes

Location = tuple[str | int, ...]


def public_texts(
    wording: Wording, fields: tuple[str, ...] | None = None
) -> Iterator[tuple[Location, str, str]]:
    """(location in the file, field name, text with straight apostrophes) for each text of
    ``wording`` that is written; ``fields`` limits which (FAQ entries are named ``faq``)."""
    for name, text in wording.fields.items():
        if text and (fields is None or name in fields):
            yield (*wording.prefix, name), name, plain_apostrophes(text)
    for name, text in wording.area.items():
        # Named area.description, area.left_area: the place in the file they are written.
        if text and (fields is None or f"area.{name}" in fields):
            yield (*wording.prefix, "area", name), f"area.{name}", plain_apostrophes(text)
    if fields is not None and "faq" not in fields:
        return
    for index, entry in enumerate(wording.faq):
        for part in ("q", "a"):
            text = getattr(entry, part, None)
            if text:
                yield (*wording.prefix, "faq", index, part), "faq", plain_apostrophes(text)


# A sentence ends at . ! ? or ; followed by a space (not "14.30", not "example.com").
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence of ``text`` that holds the span ``start``..``end``."""
    left = max(text.rfind(mark, 0, start) for mark in (". ", "! ", "? ", "; ", "\n"))
    rights = [i for i in (text.find(m, end) for m in (". ", "! ", "? ", "; ", "\n")) if i >= 0]
    return text[left + 1 : min(rights) + 1 if rights else len(text)].strip()
