"""What an inbound SMS asks for: STOP (no more messages), START (messages again), HELP (what is
going on), or nothing of the kind: a reply for the team, classified by its words.

A keyword is the whole message, whatever its case, accents, surrounding spaces and punctuation
("Stop.", " arrêt ", "STOP!!"), as carriers and Twilio read it; "stop the water" is a reply.
The classification is a first sort for the team reading the replies (question, medical,
location, complaint, thanks, other), from French and English keywords: never a decision.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Keyword = Literal["stop", "start", "help"]

KEYWORDS: dict[str, Keyword] = {
    **dict.fromkeys(("STOP", "ARRET", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"), "stop"),
    **dict.fromkeys(("START", "UNSTOP", "YES"), "start"),
    **dict.fromkeys(("HELP", "AIDE", "INFO"), "help"),
}
# The language a HELP keyword is written in, for the answer that names no incident (the same
# for a number broadcast knows and one it does not: no answer tells them apart).
KEYWORD_LANGUAGE = {"AIDE": "fr", "HELP": "en"}

# What surrounds a keyword and is not part of it: spaces and punctuation of any script.
_AROUND = re.compile(r"^[\W_]+|[\W_]+$")


def folded(text: str) -> str:
    """Upper case, accents off: ``Arrêt`` → ``ARRET``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def keyword_of(text: str) -> tuple[Keyword | None, str]:
    """The keyword the whole message is, and the word as read (``ARRET``), or (None, "")."""
    if len(text) > 60:
        return None, ""
    # One word once what surrounds it is gone: "S T O P" or "stop now" are not a keyword.
    bare = _AROUND.sub("", folded(text))
    kind = KEYWORDS.get(bare) if bare.isalpha() else None
    return (kind, bare) if kind else (None, "")


# A sign-up by SMS: the keyword, then a postcode ("INSCRIRE 59000", "join 59000"); the language
# the keyword is written in is the subscriber's.
SIGNUP_KEYWORDS = {"INSCRIRE": "fr", "INSCRIPTION": "fr", "JOIN": "en", "SUBSCRIBE": "en"}
_SIGNUP = re.compile(r"^([A-Z]+)(?:[\s:,.-]+([0-9A-Z][0-9A-Z -]{1,9}))?$")


def signup_of(text: str) -> tuple[str, str] | None:
    """(language, postcode) of a sign-up message (the postcode "" when none follows it), or
    None when the message is not one."""
    if len(text) > 60:
        return None
    found = _SIGNUP.match(_AROUND.sub("", folded(text)))
    if found is None or found.group(1) not in SIGNUP_KEYWORDS:
        return None
    postcode = " ".join((found.group(2) or "").split())
    return SIGNUP_KEYWORDS[found.group(1)], postcode


# Reply categories, each with the stems of its words (folded: upper case, no accents), French
# and English. The first category whose word the reply holds wins, in this order: a medical
# need first, as the team answers it first.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "medical": (
        "OXYGEN",
        "OXYGENE",
        "MEDICAL",
        "MEDECIN",
        "DOCTOR",
        "HOPITAL",
        "HOSPITAL",
        "MALADE",
        "SICK",
        "DIALYS",
        "RESPIRAT",
        "VENTILAT",
        "INSULIN",
        "FRIGO MEDIC",
        "SANTE",
        "HEALTH",
        "HANDICAP",
        "DISABLED",
        "BLESSE",
        "INJURED",
        "URGENCE",
        "EMERGENCY",
        "ENCEINTE",
        "PREGNANT",
        "BEBE",
        "BABY",
        "AMBULANCE",
        "TRAITEMENT",
        "MEDICATION",
        "MEDICAMENT",
    ),
    "location": (
        "RUE",
        "STREET",
        "AVENUE",
        "BOULEVARD",
        "ROAD",
        "QUARTIER",
        "AREA",
        "ZONE",
        "ADRESSE",
        "ADDRESS",
        "CODE POSTAL",
        "POSTCODE",
        "ZIP",
        "VILLAGE",
        "COMMUNE",
        "IMMEUBLE",
        "BUILDING",
        "CHEZ MOI",
        "MY HOUSE",
        "MY STREET",
        "SECTEUR",
        "NEIGHBOURHOOD",
        "NEIGHBORHOOD",
    ),
    "complaint": (
        "INADMISSIBLE",
        "SCANDAL",
        "HONTE",
        "SHAME",
        "INACCEPTABLE",
        "UNACCEPTABLE",
        "PLAINTE",
        "COMPLAIN",
        "RIDICULE",
        "RIDICULOUS",
        "ENCORE UNE FOIS",
        "AGAIN",
        "NUL ",
        "USELESS",
        "TERRIBLE",
        "REMBOURSE",
        "REFUND",
        "COMPENSATION",
        "INDEMNI",
        "FURIEUX",
        "ANGRY",
    ),
    "thanks": ("MERCI", "THANK", "THX", "BRAVO", "GREAT", "SUPER", "PARFAIT", "PERFECT"),
    "question": (
        "?",
        "QUAND",
        "WHEN",
        "COMBIEN",
        "HOW LONG",
        "HOW MANY",
        "POURQUOI",
        "WHY",
        "EST-CE",
        "EST CE",
        "IS IT",
        "ARE YOU",
        "WILL ",
        "CAN I",
        "PUIS-JE",
        "PUIS JE",
        "QUEL",
        "WHAT",
        "WHERE",
        "OU EN EST",
        "SAVOIR",
        "KNOW",
    ),
}


def classify(text: str) -> str:
    """The first category (see ``CATEGORIES``) whose words the reply holds, else ``other``."""
    words = f" {folded(text)} "
    for category, stems in CATEGORIES.items():
        if any(stem in words for stem in stems):
            return category
    return "other"
