"""Wording checks on plain language: long sentences, jargon (a default list per language, its
sector's terms, plus the organisation's own), acronyms never spelled out (``acronyms``),
exclamation marks and words in capitals.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from broadcast.content.wording.acronyms import KNOWN_ACRONYMS, acronyms_in, unexplained_acronyms
from broadcast.content.wording.sector_jargon import sector_terms
from broadcast.content.wording.texts import Says, Wording, plain_apostrophes
from broadcast.problems import Problem

DEFAULT_MAX_SENTENCE_WORDS = 25


# Words most readers would need explained, each with the plain wording to use instead. Matched as
# whole words or phrases, ignoring case. A term can be added (``jargon``) but not removed: if one
# of these is the plain word for your audience, say so to whoever maintains this list.
DEFAULT_JARGON: dict[str, dict[str, str]] = {
    "en": {
        "root cause": 'say what went wrong ("a cable was cut")',
        "rca": 'say "our review of what went wrong"',
        "post-mortem": 'say "our review of what went wrong"',
        "postmortem": 'say "our review of what went wrong"',
        "outage window": "say from when to when the service is off",
        "maintenance window": "say from when to when the service is off",
        "degraded performance": 'say what people notice ("slow", "some payments fail")',
        "degraded service": 'say what people notice ("slow", "some payments fail")',
        "service degradation": 'say what people notice ("slow", "some payments fail")',
        "latency": 'say "delays" or "slow"',
        "packet loss": 'say what people notice ("calls cut out")',
        "upstream provider": 'name the company, or say "our supplier"',
        "third-party provider": 'name the company, or say "our supplier"',
        "failover": 'say "we switched to a backup"',
        "rollback": 'say "we went back to the previous version"',
        "hotfix": 'say "a repair"',
        "mitigation": "say what you are doing",
        "remediation": "say what you are doing",
        "bgp": "say what people notice rather than the technology",
        "dns": "say what people notice rather than the technology",
        "api": "say what people notice rather than the technology",
        "backend": "say what people notice rather than the technology",
        "infrastructure": "say which equipment or place",
        "node": "say which equipment or place",
        "sla": "say what you promised your customers",
        "incident ticket": 'say "your report" or "your request"',
        "support ticket": 'say "your report" or "your request"',
        "eta": 'say "expected back by 2 pm"',
        "impacted": 'say "affected"',
    },
    "fr": {
        "incident réseau": (
            "dites ce que les gens constatent (« plus de courant », « plus d'internet »)"
        ),
        "incident d'exploitation": "dites ce qui s'est passé",
        "dégradation de service": "dites ce que les gens constatent (« lenteurs », « coupures »)",
        "service dégradé": "dites ce que les gens constatent (« lenteurs », « coupures »)",
        "mode dégradé": "dites ce que les gens constatent (« lenteurs », « coupures »)",
        "poste source": (
            "expliquez-le ou évitez-le (« le site qui alimente le quartier en électricité »)"
        ),
        "hta": "dites « ligne électrique », ou ce qui est coupé",
        "htb": "dites « ligne électrique », ou ce qui est coupé",
        "bt": "dites « ligne électrique », ou ce qui est coupé",
        "bascule": "dites « nous passons par une autre ligne » ou « par le secours »",
        "basculement": "dites « nous passons par une autre ligne » ou « par le secours »",
        "délestage": "expliquez-le (« des coupures organisées, quartier par quartier »)",
        "latence": "dites « lenteurs » ou « délais »",
        "ticket": "dites « votre demande » ou « votre signalement »",
        "sla": "dites ce que vous avez promis à vos clients",
        "gtr": "dites ce que vous avez promis à vos clients",
        "cause racine": "dites ce qui s'est passé (« un câble a été coupé »)",
        "correctif": "dites « une réparation »",
        "infrastructure": "dites quel équipement ou quel lieu",
        "impacté": "dites « touché »",
        "impactée": "dites « touchée »",
        "impactés": "dites « touchés »",
        "impactées": "dites « touchées »",
    },
}


# Words of 4+ capitals that are names or everyday acronyms, not shouting. Shorter words are never
# taken for shouting (SMS, EDF, ATM, URL are listed only to say they are fine). A word here that
# is also jargon (default or yours) is still reported as jargon.
ALLOWED_CAPITALS = frozenset(
    {
        # everyday acronyms
        "SMS", "ATM", "URL", "GPS", "COVID", "WIFI", "PDF", "TV",
        # organisations and services people know by their acronym
        "EDF", "GRDF", "SNCF", "RATP", "SAMU", "CAF", "EHPAD", "NHS", "BBC", "NATO", "OTAN",
        # laws and regulations often named in compensation text
        "RGPD", "GDPR",
    }
)  # fmt: skip


_USER_JARGON_HINT = {
    "en": "say it in plain words, as you would to a neighbour",
    "fr": "dites-le avec des mots simples, comme à un voisin",
}


_PROSE_FIELDS = ("headline", "summary", "actions", "apology", "compensation", "offline")


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


_LETTERS = re.compile(r"[^\W\d_]+")


def plain_language(
    says: Says,
    wording: Wording,
    user_jargon: list[str],
    max_words: int,
    sector: str | None = None,
    known_acronyms: frozenset[str] = KNOWN_ACRONYMS,
    alarm_supported: bool = False,
) -> Iterator[Problem]:
    """Each field and FAQ entry of ``wording``: sentences over ``max_words`` (in prose),
    jargon (of ``sector`` too: every sector's when None), acronyms never spelled out,
    exclamation marks, shouting. ``alarm_supported`` (a critical incident with a danger people
    must act on) lets an instruction be stressed with capitals or an exclamation mark."""
    at = wording.prefix
    texts: list[tuple[tuple[str | int, ...], str, bool]] = [
        ((*at, name), text, name in _PROSE_FIELDS) for name, text in wording.fields.items() if text
    ]
    for index, entry in enumerate(wording.faq):
        texts.append(((*at, "faq", index, "q"), entry.q, False))
        texts.append(((*at, "faq", index, "a"), entry.a, True))

    jargon = _jargon_terms(wording.language, tuple(user_jargon), sector)
    all_jargon: set[str] = set()
    for location, text, prose in texts:
        plain_text = plain_apostrophes(text)
        if prose:
            yield from _long_sentences(says, location, plain_text, max_words)
        found = _jargon_in(plain_text, jargon, wording.language, says.language, sector)
        all_jargon |= {term.lower() for term in found}
        for term, hint in found.items():
            yield says("jargon", location, term=term, hint=hint)
        if "!" in plain_text and not alarm_supported:
            yield says("exclamation", location)
        # An acronym is reported (or not) by the acronym rule, never also as shouting.
        acronyms = set(acronyms_in(plain_text, known_acronyms))
        not_shouting = {term.lower() for term in found} | acronyms | known_acronyms
        shouted = _shouted(plain_text, not_shouting)
        if shouted and not alarm_supported:
            quote = "« {} »" if says.language == "fr" else '"{}"'
            listed = ", ".join(quote.format(word) for word in shouted)
            yield says("capitals", location, words=listed)
    located = [(location, text) for location, text, _ in texts]
    yield from unexplained_acronyms(says, wording, located, all_jargon, known_acronyms)


def _long_sentences(
    says: Says, location: tuple[str | int, ...], text: str, max_words: int
) -> Iterator[Problem]:
    for sentence in _SENTENCE_END.split(text):
        count = _word_count(sentence)
        if count > max_words:
            start = " ".join(sentence.split()[:8])
            yield says("long", location, start=start, count=count, limit=max_words)


def _word_count(sentence: str) -> int:
    """Words with letters or digits; a run of numbers (0 800 000 000, 12 000) is one word."""
    count = 0
    in_number = False
    for token in sentence.split():
        if token.strip("()[],;:.").isdigit():
            count += not in_number
            in_number = True
        elif any(char.isalnum() for char in token):
            count += 1
            in_number = False
    return count


@lru_cache(maxsize=32)
def _jargon_terms(
    language: str, user: tuple[str, ...], sector: str | None = None
) -> tuple[str, ...] | None:
    """The jargon of ``language`` (its default list, the sector's, the team's), lower case
    with single spaces, longest first: a phrase that starts with another term ("node
    failure", "node") is reported whole, not as the shorter term."""
    terms = {
        *DEFAULT_JARGON.get(language, {}),
        *sector_terms(language, sector),
        *(term.lower() for term in user),
    }
    terms = {" ".join(term.split()) for term in terms if term.strip()}
    if not terms:
        return None
    return tuple(sorted(terms, key=len, reverse=True))


def _is_word(char: str) -> bool:
    """What a regular expression's ``\\w`` is, for one character."""
    return char.isalnum() or char == "_"


def _terms_in(terms: tuple[str, ...], text: str) -> Iterator[str]:
    """Each term of ``terms`` in ``text`` as whole words, whatever the case and the spaces
    between its words, as written there (spaces made single), left to right, the longest at
    one place. Found by substring search, not by a pattern: the list is words, not patterns,
    and compiling a few hundred of them as one regular expression cost a preview more than
    all the searching (see docs/measurements.md)."""
    written = " ".join(text.split())
    lowered = written.lower()
    if len(lowered) != len(written):  # a letter whose lower case is longer: no shortcut
        lowered = "".join(char.lower()[:1] or char for char in written)
    found: list[tuple[int, int]] = []
    for term in terms:
        at = lowered.find(term)
        while at >= 0:
            end = at + len(term)
            if (at == 0 or not _is_word(lowered[at - 1])) and (
                end == len(lowered) or not _is_word(lowered[end])
            ):
                found.append((at, -len(term)))
            at = lowered.find(term, at + 1)
    reached = 0
    for at, minus_length in sorted(found):
        if at >= reached:
            reached = at - minus_length
            yield written[at:reached]


def _jargon_in(
    text: str,
    terms: tuple[str, ...] | None,
    language: str,
    file_language: str,
    sector: str | None = None,
) -> dict[str, str]:
    """Each jargon term in ``text`` (as written there) → the plain wording to use instead."""
    if terms is None:
        return {}
    hints = {**sector_terms(language, sector), **DEFAULT_JARGON.get(language, {})}
    fallback = _USER_JARGON_HINT.get(file_language, _USER_JARGON_HINT["en"])
    found: dict[str, str] = {}
    for written in _terms_in(terms, text):
        key = written.lower()
        if all(f.lower() != key for f in found):
            found[written] = hints.get(key, fallback)
    return found


def _shouted(text: str, jargon: set[str]) -> list[str]:
    """Words of 4+ capitals that are not known acronyms; ``jargon`` (lower case) and acronyms
    (as written) are reported by their own checks."""
    words: list[str] = []
    for match in _LETTERS.finditer(text):
        word = match.group()
        if (
            len(word) >= 4
            and word.isupper()
            and word not in ALLOWED_CAPITALS
            and word.lower() not in jargon
            and word not in jargon
            and word not in words
        ):
            words.append(word)
    return words
