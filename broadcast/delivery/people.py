"""Who acts in an approval, by name: ``--as``, ``BROADCAST_USER`` or the login; and when two
spellings are one person (NFKC, casefolded, look-alike letters of other scripts made Latin),
so that "bob" with a Greek omicron is not someone else than "bob".
"""

from __future__ import annotations

import getpass
import os
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from broadcast.problems import InputError, Problem

USER_ENV = "BROADCAST_USER"
# Scripts that one person's name may mix (Japanese writes kanji, hiragana and katakana).
_SCRIPT_GROUPS = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "CJK": "CJK", "HALFWIDTH": "CJK"}
# Letters of other scripts that look like Latin ones: two names that differ only by them are
# one person.
_CONFUSABLES = str.maketrans(
    # Greek, Cyrillic, then Latin letters that pass for others (escaped: they look alike).
    "\u03b1\u03b2\u03b3\u03b5\u03b7\u03b9\u03ba\u03bd\u03bf\u03c1\u03c4\u03c5\u03c7\u03c9\u03f2\u03f3"
    "\u0430\u0432\u0433\u0434\u0435\u0451\u0437\u0438\u0456\u0457\u0458\u043a\u043b\u043c\u043d\u043e\u043f\u0440\u0441\u0442\u0443\u0445\u0455\u0501\u051b\u051d\u04bb\u044c"
    "\u0131\u0142\u017f",
    "abyenikvoptuxwcjabrdee3uiijknmhonpctyxsdqwhbils",
)


def person(explicit: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """Who is acting: ``--as``, else ``BROADCAST_USER``, else the login name."""
    for candidate in (explicit, environ.get(USER_ENV)):
        if candidate and candidate.strip():
            return candidate.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a person in an approval, if it cannot.

    A name with invisible or control characters, or whose letters mix scripts (Latin and
    Greek, Latin and Cyrillic), is refused: it would pass for another person's name.
    """
    text = unicodedata.normalize("NFKC", name)
    for char in text:
        category = unicodedata.category(char)
        if category[0] in "CZ" and char != " ":
            return (
                f"the name {name!r} holds an invisible or control character "
                f"(U+{ord(char):04X}), so it could pass for another person's"
            )
    scripts: dict[str, str] = {}
    for char in text:
        if not char.isalpha():
            continue
        word = unicodedata.name(char, "UNKNOWN").split()[0]
        scripts.setdefault(_SCRIPT_GROUPS.get(word, word), char)
    if len(scripts) > 1:
        mixed = ", ".join(
            f"{script.title()} ({char!r} is {unicodedata.name(char, '?')})"
            for script, char in scripts.items()
        )
        return (
            f"the name {name!r} mixes the letters of several scripts: {mixed}; a name that "
            "looks like another person's is refused (write it in one script)"
        )
    return None


def canonical_name(name: str) -> str:
    """The name two spellings of one person share: NFKC, casefolded, look-alikes made Latin."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.translate(_CONFUSABLES).split())


def same_person(one: str, other: str) -> bool:
    return canonical_name(one) == canonical_name(other)


def check_name(name: str, where: Path, option: str = "--as") -> str:
    """``name``, or ``InputError`` (exit 2) when it could pass for someone else's."""
    why = name_problem(name)
    if why is not None:
        raise InputError([Problem(f"{why}; nothing was done", where, field=option)])
    return name
