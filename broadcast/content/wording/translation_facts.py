"""Wording check on translations that disagree on facts: the times, dates, days, numbers, phone
numbers, web addresses, places and the key action of each field must be the same in the
incident's language and in each translation, and no sentence may be left out.

Each text's facts are read in its own language and written one way: « 14h30 », "14:30" and
"2:30 pm" are 14:30; « mardi 8 décembre » and "Tuesday 8 December" are a Tuesday and 8/12;
« 12 000 » and "12,000" are 12000; « 06 12 34 56 78 » and "+33 6 12 34 56 78" are one number;
a web address is its host. A place is a capitalised name that both languages write the same
(Lille, Roubaix, rue Victor Hugo): a name only one language has may be a translation (London,
Londres) and is left alone. The key action is what people are told to do or not to do (drink,
boil, touch, leave, stay in...): "do not drink" against « buvez » is the same action turned
around.

A fact one language says and the other says otherwise (Tuesday against « mercredi », "18:00"
against « 19h ») is an error: one of the two is false, and each reader would act on another
fact. A fact only one says is a warning (``translation_gap``), and so is a field whose
translation has fewer sentences and is much shorter (``translation_sentence``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache

from broadcast.content.wording.messages import LEVEL
from broadcast.content.wording.public_texts import public_texts, sentences
from broadcast.content.wording.texts import Says, Wording
from broadcast.input.yamlfile import dotted
from broadcast.problems import Problem

# -- What each fact looks like, per language -------------------------------------------------

_MONTHS = {
    "en": "january february march april may june july august september october november december",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
}
_WEEKDAYS = {
    "en": "monday tuesday wednesday thursday friday saturday sunday",
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche",
}
_NUMBER_WORDS = {
    "en": "two three four five six seven eight nine ten eleven twelve",
    "fr": "deux trois quatre cinq six sept huit neuf dix onze douze",
}
# "Always" said as numbers (« 24h/24 », "24/7", « 7j/7 ») is no number to compare.
_ALWAYS = re.compile(
    r"(?<!\w)(?:24\s?h?\s?/\s?24|24\s?/\s?7|7\s?j?\s?/\s?7|24 heures sur 24|7 jours sur 7|"
    r"24 hours a day|7 days a week|(?:24|twenty-four) hours|24 heures)(?!\w)",
    re.IGNORECASE,
)
# A measure each language may give in its own units (90 mph, 145 km/h): not compared.
_MEASURE = re.compile(
    r"(?<![\w.,])\d+(?:[.,]\d+)?\s?(?:miles?|mph|km/h|km|kilom\w+|°\s?[CF]?|degrees?|degrés?|"
    r"feet|ft|foot|inch\w*|yards?|metres?|meters?|mètres?|cm|mm|litres?|liters?|gallons?|pints?|"
    r"lbs?|kg|kilos?|stones?)(?!\w)",
    re.IGNORECASE,
)
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'()]+|(?<![\w@.])[\w-]+(?:\.[\w-]+)*\.(?:com|fr|org|net|uk|"
    r"gov|eu|io|info|be|ch|ca)(?:/[^\s<>\"'()]*)?(?!\w)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}))?(?!\d)")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{2,3}[\s.-]?(?:\(0\)\s?)?|0[\s.]?)\d(?:[\s.-]?\d){6,12}(?!\d)"
)
_NUMERIC_DATE = re.compile(r"(?<![\d/.])(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?(?![\d/])")
_EN_CLOCK = re.compile(
    r"(?<![\w:.])(?:(\d{1,2})(?:[:.](\d{2}))?\s?(am|pm|a\.m\.|p\.m\.)|(\d{1,2}):(\d{2}))(?![\w:])"
    r"|(?<!\w)(noon|midday|midnight)(?!\w)",
    re.IGNORECASE,
)
_FR_CLOCK = re.compile(
    r"(?<![\w:.])(?:(\d{1,2})\s?h\s?(\d{2})?(?![a-zé])|(\d{1,2}):(\d{2}))(?![\w:])"
    r"|(?<![\w-])(midi|minuit)(?![\w-])",
    re.IGNORECASE,
)
# A number of hours, not a time: « dans 2h », « pendant 3 h », "toutes les 2h".
_FR_DURATION_BEFORE = re.compile(
    r"(?:dans|pendant|durant|toutes les|plus de|moins de|sous|en)\s*$", re.IGNORECASE
)
_NUMBER = {
    "en": re.compile(r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.,])\d+(?:\.\d+)?"),
    "fr": re.compile(
        r"(?<![\w.,])\d{1,3}(?:[\s\u00a0\u202f.]\d{3})+(?:,\d+)?(?!\d)|(?<![\w.,])\d+(?:,\d+)?"
    ),
}
# Where a place's name begins: after a preposition or the word for a street.
_PLACE_CUE = {
    "en": r"(?:in|at|near|from|to|on|around|between|and|of|under|across|via|outside|towards|"
    r"street|road|rue|avenue|place)",
    "fr": r"(?:à|au|aux|de|du|des|d'|en|sur|sous|vers|dans|près de|entre|et|rue|avenue|"
    r"boulevard|place|quai|route|chemin|gare de|ville de|quartier)",
}
_CAPITALISED = r"[A-ZÀ-Ý][\w'-]*(?:[ -](?:[A-ZÀ-Ý][\w'-]*|de|du|des|la|le|sur|en))*[\w]"

# The key actions, each as its verb in both languages.
_ACTIONS = {
    "drink": {"en": r"drink", "fr": r"bo(?:ire|ivez)|buvez|consomm(?:ez|er)"},
    "boil": {"en": r"boil", "fr": r"(?:faites |faire )?bouillir"},
    "touch": {"en": r"touch", "fr": r"touch(?:ez|er)"},
    "approach": {"en": r"go near|approach", "fr": r"approch(?:ez|er)"},
    "eat": {"en": r"eat", "fr": r"mang(?:ez|er)"},
    "leave": {"en": r"leave|evacuate", "fr": r"quitt(?:ez|er)|évacu(?:ez|er)"},
    "stay": {"en": r"stay", "fr": r"rest(?:ez|er)"},
    "go_out": {"en": r"go out(?:side|doors)?", "fr": r"sort(?:ez|ir)"},
    "open": {"en": r"open", "fr": r"ouvr(?:ez|ir)"},
    "travel": {"en": r"travel|drive", "fr": r"roul(?:ez|er)|circul(?:ez|er)|déplacez-vous"},
    "use": {"en": r"use", "fr": r"utilis(?:ez|er)|serv(?:ez|ir)-vous"},
}
_NEGATION_BEFORE = {
    "en": re.compile(
        r"(?<!\w)(?:do not|don't|never|not|avoid|stop|cannot|can't|must not|mustn't|should "
        r"not|shouldn't|no longer|unsafe to|no need to|needn't)"
        r"(?:\s+(?!but\b|and\b)[\w']+){0,4}\s*$",
        re.IGNORECASE,
    ),
    "fr": re.compile(
        r"(?<!\w)(?:ne pas|ne jamais|ne plus|n'y|évitez de|évitez d'|interdit de|sans|"
        r"inutile de|inutile d'|besoin de|la peine de|pas|jamais)"
        r"(?:\s+(?!mais\b|et\b|puis\b|ou\b)\w+){0,2}\s*$",
        re.IGNORECASE,
    ),
}
_NEGATION_AFTER_FR = re.compile(r"^\s*(?:\w+\s+)?(?:pas|jamais|plus)(?!\w)", re.IGNORECASE)
_NE_BEFORE_FR = re.compile(r"(?<!\w)(?:ne|n')\s*(?:\w+\s+){0,2}$", re.IGNORECASE)


@dataclass
class Facts:
    """The facts of one text, by kind: normalised value → the words as written."""

    found: dict[str, dict[str, str]] = field(default_factory=dict)
    # Numbers said in words ("two", « deux »): a translation may well say them otherwise
    # ("both", « une paire »), so one left out is no gap; one said otherwise still differs.
    in_words: set[str] = field(default_factory=set)

    def add(self, kind: str, value: str, written: str) -> None:
        self.found.setdefault(kind, {}).setdefault(value, " ".join(written.split()))


# The kinds a translation may leave out with only a warning, and those compared only when both
# say one (a relative day, an action: one language may say it where the other implies it).
_COMPARED_ONLY_WHEN_BOTH = ("action",)


@cache
def _names(language: str, kind: str) -> dict[str, int]:
    source = {"month": _MONTHS, "weekday": _WEEKDAYS, "number": _NUMBER_WORDS}[kind]
    words = source.get(language, source["en"]).split()
    start = 2 if kind == "number" else 1 if kind == "month" else 0
    named = {word: index + start for index, word in enumerate(words)}
    if kind == "number" and language == "en":
        named["both"] = 2
    return named


def _blank(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]


def _phone_digits(written: str) -> str:
    digits = re.sub(r"\D", "", written)
    if written.strip().startswith("+") and digits[:2] in ("33", "44"):
        return "0" + digits[2:].removeprefix("0")
    return digits


def facts_of(text: str, language: str) -> Facts:
    """The facts ``text`` states, read in ``language`` (``en`` rules for another one)."""
    language = language if language in _MONTHS else "en"
    facts = Facts()
    text = _ALWAYS.sub(lambda m: " " * len(m.group()), text)
    text = _MEASURE.sub(lambda m: " " * len(m.group()), text)
    for pattern, kind in ((_EMAIL, "url"), (_URL, "url")):
        for match in pattern.finditer(text):
            written = match.group().rstrip(".,;:!?")
            host = re.sub(r"^(?:https?://)?(?:www\.)?", "", written.lower()).split("/")[0]
            facts.add(kind, written.lower() if "@" in written else host, written)
            text = _blank(text, match)
    for match in _ISO.finditer(text):
        facts.add("date", f"{int(match.group(3))}/{int(match.group(2))}", match.group())
        if match.group(4):
            facts.add("time", f"{int(match.group(4)):02d}:{match.group(5)}", match.group())
        text = _blank(text, match)
    for match in _PHONE.finditer(text):
        facts.add("phone", _phone_digits(match.group()), match.group())
        text = _blank(text, match)
    months = "|".join(_names(language, "month"))
    day_month = re.compile(
        rf"(?<!\w)(?:(\d{{1,2}})(?:er|st|nd|rd|th)?\s+({months})|({months})\s+(\d{{1,2}})"
        rf"(?:st|nd|rd|th)?)(?:,?\s+\d{{4}})?(?!\w)",
        re.IGNORECASE,
    )
    for match in day_month.finditer(text):
        day = match.group(1) or match.group(4)
        month = _names(language, "month")[(match.group(2) or match.group(3)).lower()]
        facts.add("date", f"{int(day)}/{month}", match.group())
        text = _blank(text, match)
    for match in _NUMERIC_DATE.finditer(text):
        day, month = int(match.group(1)), int(match.group(2))
        if 1 <= day <= 31 and 1 <= month <= 12:
            facts.add("date", f"{day}/{month}", match.group())
            text = _blank(text, match)
    weekdays = "|".join(_names(language, "weekday"))
    for match in re.finditer(rf"(?<!\w)({weekdays})s?(?!\w)", text, re.IGNORECASE):
        index = _names(language, "weekday")[match.group(1).lower()]
        facts.add("weekday", str(index), match.group())
    text = _times(text, language, facts)
    for match in _NUMBER[language].finditer(text):
        digits = match.group()
        if language == "fr":
            value = re.sub(r"[\s\u00a0\u202f.]", "", digits).replace(",", ".")
        else:
            value = digits.replace(",", "")
        number = float(value)
        if number != 1:
            facts.add("number", f"{number:g}", digits)
    words = _names(language, "number")
    # Not inside a name: « Trois-Ponts », "Seven Sisters" are places (a capital is a name's
    # unless it starts a sentence: "Both schools...").
    for match in re.finditer(rf"(?<![\w-])({'|'.join(words)})(?![\w-])", text, re.IGNORECASE):
        before = text[: match.start()].rstrip()
        if match.group()[0].isupper() and before and before[-1] not in ".!?:;":
            continue
        value = f"{words[match.group(1).lower()]:g}"
        if value not in facts.found.get("number", {}):
            facts.in_words.add(value)
        facts.add("number", value, match.group())
    for name, verbs in _ACTIONS.items():
        verb = verbs.get(language, verbs["en"])
        for match in re.finditer(
            rf"(?<![\w-])(?:{verb})(?:s|ing|ed)?(?![\w-])", text, re.IGNORECASE
        ):
            said = _negated(text, match, language)
            facts.add("action", f"not {name}" if said else name, said or match.group())
    return facts


def _times(text: str, language: str, facts: Facts) -> str:
    clock = _FR_CLOCK if language == "fr" else _EN_CLOCK
    for match in clock.finditer(text):
        groups = match.groups()
        if language == "fr":
            hour, minute, hc, mc, word = groups
            if word:
                value = "12:00" if word.lower() == "midi" else "00:00"
            elif hour is not None:
                if _FR_DURATION_BEFORE.search(text[: match.start()]):
                    continue  # a number of hours, read with the numbers
                value = f"{int(hour):02d}:{minute or '00'}"
            else:
                value = f"{int(hc):02d}:{mc}"
        else:
            hour, minute, ampm, hc, mc, word = groups
            if word:
                value = "00:00" if word.lower() == "midnight" else "12:00"
            elif ampm:
                h = int(hour) % 12 + (12 if ampm.lower().startswith("p") else 0)
                value = f"{h:02d}:{minute or '00'}"
            else:
                value = f"{int(hc):02d}:{mc}"
        if int(value[:2]) > 24:
            continue
        facts.add("time", value, match.group())
        text = _blank(text, match)
    return text


def _negated(text: str, match: re.Match[str], language: str) -> str | None:
    """The words that turn the action at ``match`` around ("do not drink", « ne buvez pas »),
    or None when it is said as something to do."""
    start = max(0, match.start() - 40)
    before = text[start : match.start()]
    found = _NEGATION_BEFORE.get(language, _NEGATION_BEFORE["en"]).search(before)
    if found:
        return text[start + found.start() : match.end()]
    if language == "fr":
        ne = _NE_BEFORE_FR.search(before)
        after = _NEGATION_AFTER_FR.search(text[match.end() : match.end() + 25])
        if ne and after:
            return text[start + ne.start() : match.end() + after.end()]
    return None


def _places(text: str, language: str) -> set[str]:
    cue = _PLACE_CUE.get(language, _PLACE_CUE["en"])
    found = re.finditer(rf"(?<!\w){cue}\s*({_CAPITALISED})", text)
    return {match.group(1) for match in found}


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None


# What every language writes alike.
_WRITTEN_ALIKE = ("phone", "url")

# -- The check -------------------------------------------------------------------------------

_KIND = {
    "en": {
        "time": "a time",
        "date": "a date",
        "weekday": "a day",
        "number": "a number",
        "phone": "a phone number",
        "url": "an address",
        "place": "a place",
        "action": "what people are told to do",
    },
    "fr": {
        "time": "une heure",
        "date": "une date",
        "weekday": "un jour",
        "number": "un nombre",
        "phone": "un numéro de téléphone",
        "url": "une adresse",
        "place": "un lieu",
        "action": "ce qu'on demande de faire",
    },
}
_SIDES = {
    "en": ("the original", "the {language} translation"),
    "fr": ("l'original", "la traduction {language}"),
}
_SIZE = {"en": ("shorter", "longer"), "fr": ("courte", "longue")}

# A translation's length against its original's, in words, within which a sentence more or
# less is a matter of style (French runs about a fifth longer than English).
_SHORTER, _LONGER = 0.6, 1.0 / 0.6


def translation_facts(original: Wording, translation: Wording, says: Says) -> Iterator[Problem]:
    """Each field of ``translation`` against the same field of ``original``."""
    texts = dict(_keyed(original))
    translated = dict(_keyed(translation))
    all_original = " ".join(texts.values())
    all_translated = " ".join(translated.values())
    # Both languages read with their own rules (French, English); with another one, only what
    # is written alike in every language: phone numbers and web addresses.
    known = original.language in _MONTHS and translation.language in _MONTHS
    # Names both languages write alike: places, streets, towns.
    shared = {
        name
        for name in _places(all_original, original.language)
        | _places(all_translated, translation.language)
        if known and _has_word(all_original, name) and _has_word(all_translated, name)
    }
    for key, text in texts.items():
        other = translated.get(key)
        if not other:
            continue
        location = (*translation.prefix, *key)
        ours = facts_of(text, original.language)
        theirs = facts_of(other, translation.language)
        if not known:
            for facts in (ours, theirs):
                facts.found = {k: v for k, v in facts.found.items() if k in _WRITTEN_ALIKE}
        for name in shared:
            if _has_word(text, name):
                ours.add("place", name, name)
            if _has_word(other, name):
                theirs.add("place", name, name)
        yield from _compare(says, location, key, translation.language, ours, theirs)
        yield from _sentences(says, location, key, translation.language, text, other)


def _keyed(wording: Wording) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for location, _, text in public_texts(wording):
        yield location[len(wording.prefix) :], text


def _compare(
    says: Says,
    location: tuple[str | int, ...],
    key: tuple[str | int, ...],
    language: str,
    ours: Facts,
    theirs: Facts,
) -> Iterator[Problem]:
    kinds = _KIND.get(says.language, _KIND["en"])
    original_side, translated_side = _SIDES.get(says.language, _SIDES["en"])
    translated_side = translated_side.format(language=language)
    for kind in kinds:
        mine = ours.found.get(kind, {})
        yours = theirs.found.get(kind, {})
        if kind == "action":
            # An action turned around: one says do, the other do not, and neither says both.
            mine, yours = _turned_around(mine, yours)
        only_mine = {v: w for v, w in mine.items() if v not in yours}
        only_yours = {v: w for v, w in yours.items() if v not in mine}
        if only_mine and only_yours:
            yield says(
                "translation_fact",
                location,
                severity=LEVEL["translation_fact"],
                language=language,
                field=dotted(key),
                theirs=_quoted(only_yours.values(), says.language),
                ours=_quoted(only_mine.values(), says.language),
                kind=kinds[kind],
            )
            continue
        if kind in _COMPARED_ONLY_WHEN_BOTH:
            continue
        only_mine = {v: w for v, w in only_mine.items() if v not in ours.in_words}
        only_yours = {v: w for v, w in only_yours.items() if v not in theirs.in_words}
        if only_mine or only_yours:
            has, lacks = (
                (original_side, translated_side) if only_mine else (translated_side, original_side)
            )
            yield says(
                "translation_gap",
                location,
                field=dotted(key),
                has=has,
                lacks=lacks,
                facts=_quoted((only_mine or only_yours).values(), says.language),
                kind=kinds[kind],
            )


def _turned_around(
    mine: dict[str, str], yours: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """The actions both texts name, kept only where one says do and the other do not."""
    left: dict[str, str] = {}
    right: dict[str, str] = {}
    for value, written in mine.items():
        action = value.removeprefix("not ")
        said_mine = {p for p in ("", "not ") if f"{p}{action}" in mine}
        said_yours = {p for p in ("", "not ") if f"{p}{action}" in yours}
        if said_yours and not said_mine & said_yours:
            left[value] = written
            for polarity in said_yours:
                right[f"{polarity}{action}"] = yours[f"{polarity}{action}"]
    return left, right


def _quoted(values: Iterable[str], language: str) -> str:
    if language == "fr":
        return ", ".join(f"« {item} »" for item in values)
    return ", ".join(f'"{item}"' for item in values)


def _sentences(
    says: Says,
    location: tuple[str | int, ...],
    key: tuple[str | int, ...],
    language: str,
    text: str,
    other: str,
) -> Iterator[Problem]:
    ours, theirs = len(sentences(text)), len(sentences(other))
    ratio = len(other.split()) / max(1, len(text.split()))
    if (theirs < ours and ratio < _SHORTER) or (theirs > ours and ratio > _LONGER):
        size = _SIZE.get(says.language, _SIZE["en"])
        yield says(
            "translation_sentence",
            location,
            language=language,
            field=dotted(key),
            theirs=theirs,
            ours=ours,
            size=size[0] if theirs < ours else size[1],
        )
