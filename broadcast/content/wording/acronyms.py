"""Acronyms nobody spelled out: a generic rule, not a list of the trade's acronyms.

A word of 2 to 6 capital letters (``TGBT``, ``NRO``, ``SCADA``) is an acronym unless it is one
the public knows (``KNOWN_ACRONYMS``, plus a team's ``content_checks: known_acronyms``), an
ordinary word written in capitals (a word of the text's shouting: ``URGENT``, ``NE BUVEZ PAS``;
the capitals check reports those), or a Roman numeral. It needs no warning when the same text
(every field and FAQ entry of one language) spells it out once: "Network Operations Centre
(NOC)" or "NOC (the centre that watches our network)". A term of the jargon lists is reported as
jargon, not twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from broadcast.content.wording.texts import Says, Wording, plain_apostrophes
from broadcast.problems import Problem

# Acronyms the public reads without thinking: everyday technology, organisations and services
# people know by their letters, time zones, laws. A team adds its own local ones
# (``content_checks: known_acronyms``: a city's transit operator, a regional radio).
KNOWN_ACRONYMS = frozenset(
    {
        # everyday technology and words
        "SMS", "MMS", "GPS", "USB", "TV", "PC", "ATM", "URL", "PDF", "COVID", "WIFI", "SIM",
        "PIN", "ID", "OK", "FAQ", "SOS", "QR", "DVD", "CD", "ADSL", "FM", "AM", "PM", "DAB",
        "CB", "RIB", "IBAN", "VAT", "TVA", "WC", "HLM", "SAV", "PDG", "CEO", "ASAP", "DIY",
        # places and institutions
        "UK", "USA", "US", "EU", "UE", "UN", "ONU", "NATO", "OTAN",
        # organisations and services people know by their acronym
        "EDF", "GDF", "GRDF", "SNCF", "SNCB", "RATP", "SAMU", "SMUR", "CAF", "CPAM", "EHPAD",
        "CHU", "TGV", "TER", "RER", "NHS", "GP", "BBC", "ITV", "RTL", "RTBF", "AFP", "SFR",
        "BT", "EE", "IRM", "URSSAF", "RSA", "APL", "RAC", "HMRC", "DHL", "UPS", "DPD",
        # addresses and roads
        "RN", "RD", "ZI", "ZA", "ZAC", "CEDEX", "RDC", "BP", "CCTV", "SDF", "PS", "NB", "MP",
        # time zones written after a time
        "GMT", "UTC", "BST", "CET", "CEST", "EST", "EDT", "PST", "PDT", "CST", "CDT", "MST",
        # laws and regulations often named in compensation text
        "RGPD", "GDPR",
    }
)  # fmt: skip

# Ordinary words people write in capitals to shout or stress: they are shouting (the capitals
# check), never acronyms. Longer than 6 letters, or with an accent, a capital word is taken for a
# word anyway.
SHOUTED_WORDS = frozenset(
    {
        # English
        "AN", "AS", "AT", "BE", "BY", "DO", "GO", "IF", "IN", "IS", "IT", "ME", "MY", "NO",
        "OF", "ON", "OR", "SO", "TO", "UP", "WE", "ALL", "AND", "ANY", "ARE", "BAD", "BIG",
        "BUT", "CAN", "DON", "FOR", "GET", "HAS", "HOT", "HOW", "NEW", "NOT", "NOW", "OFF",
        "OUR", "OUT", "THE", "WAS", "WHY", "YES", "YOU", "CALL", "DEAD", "FIRE", "FREE",
        "GAS", "HELP", "LIVE", "NOTE", "ONLY", "OPEN", "READ", "RISK", "SAFE", "SHUT", "STAY",
        "STOP", "VERY", "WAIT", "AVOID", "ALERT", "LEAVE", "NEVER", "PANIC", "CHAOS", "POWER",
        "WATER", "CLOSED", "DANGER", "NOTICE", "UPDATE", "URGENT", "WARNING", "ASAP",
        # French
        "LA", "LE", "LES", "DE", "DU", "DES", "UN", "UNE", "ET", "OU", "EN", "EST", "PAS", "NE",
        "SE", "SA", "SON", "NOS", "VOS", "IL", "ILS", "SUR", "AU", "AUX", "TOUT", "TOUS",
        "RIEN", "PLUS", "EAU", "GAZ", "FEU", "VITE", "AIDE", "ALERTE", "PANNE", "OUVERT",
        "NUL", "GRAVE", "MORT", "SORTEZ", "BUVEZ", "RESTEZ", "INFO", "AVIS", "JAMAIS",
        "SURTOUT", "ATTENTION",
    }
)  # fmt: skip

# A run of letters not touching a digit ("TF1", "4AB" in a postcode are codes, not words).
_LETTERS = re.compile(r"(?<!\w)[^\W\d_]{2,}(?!\w)")
_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")


def acronyms_in(text: str, known: frozenset[str] = KNOWN_ACRONYMS) -> list[str]:
    """The acronyms ``text`` uses (as written, each once, in order): capital words of 2 to 6
    letters that are neither known acronyms, nor ordinary words in capitals, nor numerals."""
    words = [
        (match.group(), match.start(), match.end())
        for match in _LETTERS.finditer(text)
        if match.group().isupper()
    ]
    found: list[str] = []
    for index, (word, start, end) in enumerate(words):
        if word in found or word in known or not _acronym_shaped(word):
            continue
        # Two capital words side by side are a shouted phrase ("NE BUVEZ PAS"), not acronyms.
        before = words[index - 1] if index else None
        after = words[index + 1] if index + 1 < len(words) else None
        if (before and _adjacent(text, before[2], start)) or (
            after and _adjacent(text, end, after[1])
        ):
            continue
        found.append(word)
    return found


def _acronym_shaped(word: str) -> bool:
    return (
        2 <= len(word) <= 6
        and word.isascii()
        and word not in SHOUTED_WORDS
        and not (_ROMAN.fullmatch(word) and set(word) <= set("IVX"))
    )


def _adjacent(text: str, end: int, start: int) -> bool:
    between = text[end:start]
    return bool(between) and not between.strip(" -'") and len(between) <= 3


def spelled_out(acronym: str, texts: Iterable[str]) -> bool:
    """Whether one of ``texts`` spells ``acronym`` out: "Network Operations Centre (NOC)", or
    "NOC (Network Operations Centre)"."""
    inside = re.compile(rf"\(\s*(?:the |le |la |les |l')?{re.escape(acronym)}\s*\)")
    after = re.compile(rf"(?<!\w){re.escape(acronym)}\s*\(\s*[^)\s][^)]*[a-zà-ÿ][^)]*\)")
    return any(inside.search(text) or after.search(text) for text in texts)


def unexplained_acronyms(
    says: Says,
    wording: Wording,
    texts: list[tuple[tuple[str | int, ...], str]],
    jargon: set[str],
    known: frozenset[str] = KNOWN_ACRONYMS,
) -> Iterator[Problem]:
    """Each acronym of each text (``location`` → text, of one language) that the language's
    texts never spell out, once per field; a jargon term (``jargon``, lower case) is left to
    the jargon check."""
    plain = [plain_apostrophes(text) for _, text in texts]
    explained: dict[str, bool] = {}
    for (location, _), text in zip(texts, plain, strict=True):
        for acronym in acronyms_in(text, known):
            if acronym.lower() in jargon:
                continue
            if acronym not in explained:
                explained[acronym] = spelled_out(acronym, plain)
            if not explained[acronym]:
                yield says("acronym", location, term=acronym)
