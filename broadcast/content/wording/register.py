"""Register: jokes, puns, emoji, slang and breezy words in a major or critical incident.

People without water or power read a light tone as not taking their trouble seriously. What
marks the register is found by kind, so that words never listed are caught by what they are:

- **emoji and emoticons**, by their Unicode blocks and shapes (":)", ";-)", "xD", "^^"), save
  the few symbols a public warning uses for information (⚠, ⛔, 🚫, ☎, 📞, ➡, ✉); an emoji
  sequence people see as one picture (a family joined by zero-width joiners, a flag, a skin
  tone) is one finding;
- **laughter and interjections** by their shape ("haha", "hihihi", "lol", "mdr", "oups",
  "whoops", "ouf", "yay", "youpi");
- **the marks of a pun** ("pun intended", "so to speak", « sans jeu de mots », « c'est le cas de
  le dire »): whoever flags a joke has made one;
- **slang and breezy set phrases** ("no worries", "fingers crossed", "hang tight", "folks",
  « pas de souci », « on croise les doigts », « ça roule », « t'inquiète »), as data.

A minor incident may keep a lighter voice; a major or critical one may not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING

from broadcast.content.wording.clauses import whole
from broadcast.content.wording.texts import Says, Wording, plain_apostrophes
from broadcast.problems import Problem

if TYPE_CHECKING:
    from broadcast.input.incident import Incident

# Pictographs, emoticons, transport and map symbols, supplemental symbols, dingbats, flags.
_EMOJI_CHAR = (
    "[\U0001f300-\U0001f5ff\U0001f600-\U0001f64f\U0001f680-\U0001f6ff\U0001f900-\U0001f9ff"
    "\U0001fa70-\U0001faff\U0001f1e6-\U0001f1ff\u2600-\u26ff\u2700-\u27bf\u2b50\u2b55]"
)
# What an emoji's character carries after it and still shows as one picture (Unicode's emoji
# sequences, UTS #51, as its grapheme clusters group them, UAX #29 rules GB9, GB11, GB12):
# a skin tone, the emoji presentation selector, a keycap, a subdivision flag's tags.
_EMOJI_TAIL = "[\U0001f3fb-\U0001f3ff\ufe0f\u20e3\U000e0020-\U000e007f]*"
# One picture a reader sees: a flag (a pair of regional indicators), or an emoji with its tail,
# joined to the next by a zero-width joiner (a family, "rainbow flag", "woman firefighter"),
# so that one picture is one finding, not one per code point.
_EMOJI = (
    f"[\U0001f1e6-\U0001f1ff]{{2}}|{_EMOJI_CHAR}{_EMOJI_TAIL}(?:\u200d{_EMOJI_CHAR}{_EMOJI_TAIL})*"
)
# Symbols a public warning uses to inform, not to joke (with or without the emoji
# presentation selector: "⚠" and "⚠️" are one sign).
_INFORMATIVE = frozenset("\u26a0\u26d4\U0001f6ab\u260e\U0001f4de\u27a1\u2709")
_EMOTICON = r"(?<![\w/])(?:[:;=][-']?[)(DPpO3/\\|*]+|[xX][Dd]+|\^_?\^|<3)(?![\w/])"

_LAUGHTER = whole(
    r"(?:ha){2,}h?",
    r"(?:he){2,}h?",
    r"(?:hi){2,}h?",
    r"(?:hu){2,}",
    r"l+o+l+",
    r"lmf?ao+",
    r"rofl",
    r"md+r+",
    r"ptdr+",
    r"xpdr",
)
_INTERJECTIONS = (
    r"w?h?oops(?:ie|y)?(?:-daisy)?",
    r"oups",
    r"yikes",
    r"ouch",
    r"a[iï]e(?:,? a[iï]e)+",
    r"argh+",
    r"ugh+",
    r"meh",
    r"ya+y",
    r"woo+-?hoo+",
    r"youpi",
    r"zut(?: alors)?",
    r"mince alors",
    r"oh l[aà] l[aà]",
    r"uh-?oh",
    r"d'oh",
    r"ta-?da+",
    r"patatras",
    r"ouf",
    r"bingo",
    r"allez hop",
    r"et hop",
    r"whoa+",
)
_PUN_MARKS = (
    r"(?:no )?pun (?:intended|not intended)",
    r"so to speak",
    r"if you will",
    r"(?:sans|excusez le) jeu de mots",
    r"c'est le cas de le dire",
    r"si j'ose dire",
    r"sans mauvais jeu de mots",
)
_BREEZY = {
    "en": (
        "no worries",
        "no worry",
        "no biggie",
        "no big deal",
        "no sweat",
        "no probs?",
        "fingers crossed",
        "touch wood",
        "knock on wood",
        "hang tight",
        "hang in there",
        "sit tight",
        "chill(?:ax)?",
        "stay tuned",
        "heads up",
        "folks",
        "you guys",
        "hey (?:there|all|everyone|folks)",
        "hi all",
        "cheers",
        "awesome",
        "super sorry",
        "so+o+ sorry",
        "my bad",
        "our bad",
        "whoopsie",
        "gremlins?",
        "on the fritz",
        "kaput",
        "wonky",
        "borked",
        "glitchy",
        "playing up",
        "acting up",
        "gone belly up",
        "went belly up",
        "bit of a pickle",
        "in a pickle",
        "bummer",
        "sucks",
        "gutted",
        "keep calm and",
        "every cloud",
        "silver lining",
        "what a (?:day|night|morning)",
        "cuppa",
        "epic fail",
        "shocking news",
        "watch this space",
        "that escalated quickly",
        "houston,? we have a problem",
        "bit of a [a-z]+",
        "(?:apologies|sorry|thanks|hi|hello) all",
        "on it like a car bonnet",
        "(?:an? )?unplanned (?:coffee|tea|lunch) break",
        "(?:taking|take|took) a (?:nap|break|breather|day off)",
        # The frames a quip comes in: "talk about a bad hair day", "what a day", "just our luck".
        "talk about an? [a-z]+",
        "what an? (?:day|week|morning|night|start|mess|pickle)",
        "(?:just|typical|such is) (?:our|my) luck",
        "(?:you )?(?:couldn't|could not|can't) make (?:it|this) up",
        "bad hair day",
        "(?:it )?never rains but it pours",
        "murphy's law",
    ),
    "fr": (
        "pas de soucis?",
        "aucun soucis?",
        "pas de panique",
        "pas de stress",
        "t'inquiète",
        "tkt",
        "on croise les doigts",
        # Les tours d'une boutade : « quelle journée », « on n'est pas gâtés ».
        "quelle (?:journée|semaine|matinée|galère|histoire)",
        "on n'est pas gâtés",
        "c'est la totale",
        "la loi de murphy",
        "jamais deux sans trois",
        "croisons les doigts",
        "touchons du bois",
        "je touche du bois",
        "ça (?:devrait |va |doit )?(?:roule(?:r|ra)?|le faire|repart\\w*)",
        "(?:on est|nous sommes|ils sont|elles sont|équipes sont|techniciens sont|agents sont) "
        "(?:sur le coup|dessus)",
        "c'est (?:plié|reparti|dans la boîte)",
        "en mode",
        "ça gaze",
        "on gère",
        "nickel",
        "sympa",
        "trop bien",
        "c'est la galère",
        "quelle galère",
        "galère",
        "la cata",
        "de ouf",
        "les gars",
        "coucou",
        "salut (?:à tous|tout le monde)",
        "bisous",
        "kiffer",
        "au top",
        "restez zen",
        "keep calm",
        "petit bobo",
        "bug de ouf",
        "on s'en occupe, promis",
        "promis juré",
        "la loose",
        "hop hop hop",
        "bon ben",
        "allô houston",
        "houston,? on a un problème",
        "ben voilà",
        "voilà voilà",
        "font des siennes",
        "fait des siennes",
        "on vous tient au jus",
        "au jus",
        "(?:ont |a )?fait grève",
    ),
}

# Text a joke can sit in, beside the fields the tone checks read.
_FIELDS = (
    "title",
    "headline",
    "affected",
    "summary",
    "actions",
    "apology",
    "compensation",
    "offline",
)


_METACHARACTERS = frozenset("\\()[]|.^$+?*{}")


@cache
def _lexicon() -> tuple[tuple[str, ...], re.Pattern[str]]:
    """The plain phrases of the lexicon, found by a substring search, and one pattern for the
    rest (emoticons, laughter, the entries written as patterns): compiling 130 short entries
    as one regex costs ~4 ms, the 30 that need one ~1 ms."""
    # Slang of every language at once: English slang travels into any text, and one pattern
    # for all costs half of one per language on a preview with a translation.
    entries = [
        *_INTERJECTIONS,
        *_PUN_MARKS,
        *(entry for words in _BREEZY.values() for entry in words),
    ]
    plain = tuple(entry for entry in entries if not _METACHARACTERS & set(entry))
    patterns = [entry for entry in entries if _METACHARACTERS & set(entry)]
    return plain, re.compile("|".join((_EMOTICON, _LAUGHTER, whole(*patterns))), re.IGNORECASE)


def _plain_phrases(phrases: tuple[str, ...], text: str) -> Iterator[tuple[int, int]]:
    """Each phrase of ``phrases`` in ``text`` as whole words, case aside."""
    lowered = text.lower()
    for phrase in phrases:
        at = lowered.find(phrase)
        while at >= 0:
            end = at + len(phrase)
            if (at == 0 or not lowered[at - 1].isalnum()) and (
                end == len(lowered) or not lowered[end].isalnum()
            ):
                yield at, end
            at = lowered.find(phrase, at + 1)


@cache
def _emoji() -> re.Pattern[str]:
    return re.compile(_EMOJI)


def find_register(language: str, text: str) -> Iterator[tuple[int, int]]:
    """Where ``text`` is too light for a serious incident (the lexicon holds every language's
    slang: ``language`` is kept for the callers that name it)."""
    plain, pattern = _lexicon()
    spans = [match.span() for match in pattern.finditer(text)]
    spans += _plain_phrases(plain, text)
    # Emoji sit above U+2600: a text without such a character skips their pattern.
    if any(ord(char) >= 0x2600 for char in text):
        spans += [
            match.span()
            for match in _emoji().finditer(text)
            if match.group().replace("\ufe0f", "") not in _INFORMATIVE
        ]
    taken: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if not any(start < b and a < end for a, b in taken):
            taken.append((start, end))
            yield start, end


def register(
    incident: Incident, says: Says, wording: Wording, examples: dict[str, str]
) -> Iterator[Problem]:
    """A warning per light word in a major or critical incident's text, FAQ included."""
    if incident.severity not in ("major", "critical"):
        return
    places: list[tuple[tuple[str | int, ...], str | None]] = [
        ((name,), wording.fields.get(name)) for name in _FIELDS
    ]
    for index, entry in enumerate(wording.faq):
        places.append((("faq", index, "q"), getattr(entry, "q", None)))
        places.append((("faq", index, "a"), getattr(entry, "a", None)))
    for where, text in places:
        if not text:
            continue
        plain = plain_apostrophes(text)
        for start, end in find_register(wording.language, plain):
            yield says(
                "register",
                (*wording.prefix, *where),
                found=plain[start:end],
                level=incident.severity,
                example=examples["register"],
            )
