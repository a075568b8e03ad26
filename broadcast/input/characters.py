"""Characters no text we read may hold: controls, and format characters that hide text.

A control character (C0, DEL, C1) in a text is an instruction, not a letter: ESC starts a
terminal sequence (colours, a hidden hyperlink on the approver's screen), a backspace erases
what the approver read, and XML 1.0 cannot carry most of them, so a feed or a CAP alert holding
one is malformed. A bidirectional override or isolate (U+202A-U+202E, U+2066-U+2069) makes a
text read differently from what it is; other invisible format characters (U+200B, U+2060,
U+FEFF, tag characters...) hide text from the eye and from the wording checks. YAML writes them
all easily (``"\\e"``, ``"\\x08"``, ``"\\u202e"``) or carries them pasted: they are refused
wherever they are, with the file, line and field.

What stays: a line break and a tab where a text may have several lines (the models refuse a line
break in single-line fields), and the format characters writing needs: the zero-width joiner
and non-joiner (Persian, Indic scripts, emoji sequences), the left-to-right and right-to-left
marks and the Arabic letter mark (they set direction without overriding it), and the tag
characters of a subdivision flag (England's) right after its black flag.
"""

from __future__ import annotations

import unicodedata

# Format characters a text may keep (see above).
NEEDED_FORMAT = frozenset("\u200c\u200d\u200e\u200f\u061c")
_BLACK_FLAG = "\U0001f3f4"
_TAGS = range(0xE0020, 0xE0080)
# What a multi-line text may hold among the control characters.
_LINES = frozenset("\n\t")


def _hides(text: str, index: int) -> bool:
    character = text[index]
    category = unicodedata.category(character)
    if category in ("Cc", "Zl", "Zp"):
        return True
    if category != "Cf" or character in NEEDED_FORMAT:
        return False
    if ord(character) in _TAGS:
        # A flag's tags follow the black flag, one after the other.
        before = index - 1
        while before >= 0 and ord(text[before]) in _TAGS:
            before -= 1
        return before < 0 or text[before] != _BLACK_FLAG
    return True


def hidden_characters(text: str, multiline: bool = True) -> list[str]:
    """The characters of ``text`` that no text may hold, in order, each once, named
    ``U+001B (ESCAPE)``; a line break and a tab only count when not ``multiline``."""
    if text.isprintable() and text.isascii():
        return []  # the common case, at C speed
    found: dict[str, None] = {}
    for index, character in enumerate(text):
        if multiline and character in _LINES:
            continue
        if character.isprintable():
            continue  # no control, format or separator character
        if _hides(text, index):
            found.setdefault(describe(character), None)
    return list(found)


def describe(character: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``; a control character by its old name."""
    name = unicodedata.name(character, "") or _CONTROL_NAMES.get(ord(character), "")
    return f"U+{ord(character):04X} ({name})" if name else f"U+{ord(character):04X}"


def why_refused(found: list[str]) -> str:
    """The sentence a problem says about ``found`` (from ``hidden_characters``)."""
    shown = ", ".join(found[:4]) + (f" and {len(found) - 4} more" if len(found) > 4 else "")
    return (
        f"holds {shown}: control characters (YAML writes them with escapes such as \\e, \\x08) "
        "act on the screen that shows the text or break the XML of a feed, and format "
        "characters such as bidirectional overrides make a text read differently from what "
        "it is; remove them and write the text as it should read"
    )


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
