"""Characters no text we read may hold: controls, and format characters that hide text.

A control character (C0, DEL, C1) in a text is an instruction, not a letter: ESC starts a
terminal sequence (colours, a hidden hyperlink on the approver's screen), a backspace erases
what the approver read, and XML 1.0 cannot carry most of them, so a feed or a CAP alert holding
one is malformed. A bidirectional override or isolate (U+202A-U+202E, U+2066-U+2069) makes a
text read differently from what it is; other invisible format characters (U+200B, U+2060,
U+FEFF, tag characters...) hide text from the eye and from the wording checks. YAML writes them
all easily (``"\\e"``, ``"\\x08"``, ``"\\u202e"``) or carries them pasted: they are refused
wherever they are, with the file, line and field.

Invisible characters hide text too, even where Unicode files them as letters or marks: the
Hangul fillers (U+3164, U+115F, U+1160, U+FFA0) look like nothing, a private-use character
(U+E000-U+F8FF and planes 15-16) is whatever the reader's font makes of it, often nothing, the
combining grapheme joiner and the other Default_Ignorable_Code_Points are not drawn. A run of
variation selectors carries a hidden message after one emoji. All refused.

What stays, each where it does its work and nowhere else:
- a line break and a tab where a text may have several lines (the models refuse a line break
  in single-line fields);
- the zero-width joiner and non-joiner (Persian, Indic scripts, emoji sequences) between two
  visible characters: at an edge, beside a space or another invisible one, they join nothing;
- one variation selector (text or emoji presentation, U+FE0E/U+FE0F; the Mongolian ones)
  right after a visible character;
- the left-to-right and right-to-left marks and the Arabic letter mark, in a text that holds
  right-to-left letters (Arabic, Hebrew...): they set the direction of the numbers and
  punctuation beside those letters without overriding anything. In a text without such
  letters they have nothing to order and can only move a number or a dash ("10-20" shown
  as "20-10" around an RTL mark): refused there;
- the tag characters of a subdivision flag (England's) right after its black flag.
"""

from __future__ import annotations

import unicodedata

from broadcast.input.error_words import say

# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties.txt): drawn as nothing.
_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)  # fmt: skip
_JOINERS = frozenset("\u200c\u200d")
_DIRECTION_MARKS = frozenset("\u200e\u200f\u061c")
_SELECTORS = frozenset(
    [
        *map(chr, range(0xFE00, 0xFE10)),
        *map(chr, range(0xE0100, 0xE01F0)),
        *"\u180b\u180c\u180d\u180f",
    ]
)
# Kept for callers that name what a text may keep.
NEEDED_FORMAT = _JOINERS | _DIRECTION_MARKS
_BLACK_FLAG = "\U0001f3f4"
_TAGS = range(0xE0020, 0xE0080)
# What a multi-line text may hold among the control characters.
_LINES = frozenset("\n\t")


def _ignorable(character: str) -> bool:
    code = ord(character)
    return any(low <= code <= high for low, high in _IGNORABLE)


def _visible(character: str) -> bool:
    """Drawn as something: not a space, a control, a format character or an ignorable."""
    return (
        not character.isspace()
        and unicodedata.category(character) not in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp")
        and not _ignorable(character)
    )


def _right_to_left(text: str) -> bool:
    # The marks themselves are R and AL: only letters count.
    return any(
        unicodedata.bidirectional(character) in ("R", "AL")
        for character in text
        if character not in _DIRECTION_MARKS
    )


def _hides(text: str, index: int) -> bool:
    character = text[index]
    category = unicodedata.category(character)
    if category in ("Cc", "Zl", "Zp", "Co", "Cs"):
        return True
    if character in _JOINERS:
        before = index - 1
        if before >= 0 and text[before] in _SELECTORS:
            before -= 1  # an emoji in its emoji form, then the joiner
        after = index + 1
        return not (
            before >= 0 and after < len(text) and _visible(text[before]) and _visible(text[after])
        )
    if character in _DIRECTION_MARKS:
        return not _right_to_left(text)
    if character in _SELECTORS:
        return index == 0 or not _visible(text[index - 1])
    if ord(character) in _TAGS:
        # A flag's tags follow the black flag, one after the other.
        before = index - 1
        while before >= 0 and ord(text[before]) in _TAGS:
            before -= 1
        return before < 0 or text[before] != _BLACK_FLAG
    return category == "Cf" or _ignorable(character)


def hidden_characters(text: str, multiline: bool = True) -> list[str]:
    """The characters of ``text`` that no text may hold, in order, each once, named
    ``U+001B (ESCAPE)``; a line break and a tab only count when not ``multiline``."""
    if text.isprintable() and text.isascii():
        return []  # the common case, at C speed
    found: dict[str, None] = {}
    for index, character in enumerate(text):
        if multiline and character in _LINES:
            continue
        if character.isprintable() and not _ignorable(character):
            continue  # no control, format, separator or invisible character
        if _hides(text, index):
            found.setdefault(describe(character), None)
    return list(found)


def describe(character: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``; a control character by its old name."""
    name = unicodedata.name(character, "") or _CONTROL_NAMES.get(ord(character), "")
    if not name and unicodedata.category(character) == "Co":
        name = "PRIVATE USE"
    return f"U+{ord(character):04X} ({name})" if name else f"U+{ord(character):04X}"


def why_refused(found: list[str], language: str = "en") -> str:
    """The sentence a problem says about ``found`` (from ``hidden_characters``), in
    ``language`` (an incident file's own; English for channels.yaml)."""
    shown = ", ".join(found[:4])
    if len(found) > 4:
        shown = say(language, "and_more", shown=shown, count=len(found) - 4)
    return say(language, "hidden_characters", shown=shown)


# unicodedata has no names for C0 and C1 controls; these are the ones people meet.
_CONTROL_NAMES = {
    0x00: "NULL",
    0x07: "BELL",
    0x08: "BACKSPACE",
    0x09: "TAB",
    0x0A: "LINE FEED",
    0x0B: "VERTICAL TAB",
    0x0C: "FORM FEED",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
    0x85: "NEXT LINE",
    0x9B: "CONTROL SEQUENCE INTRODUCER",
    0x9D: "OPERATING SYSTEM COMMAND",
}
