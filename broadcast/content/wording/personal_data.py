"""Wording check on personal data in public text: a private phone number (a mobile: 06/07 or
+33 6/7 in France, 07 or +44 7 in the UK), a personal email address, a customer, contract or
account number, or a person's name beside a home address, in any text the public reads.

A public message is read, screenshotted and forwarded by anyone: an engineer's mobile or a
customer's contract number in it cannot be called back. What an organisation publishes for
everyone is not personal: a free or service number (0800, 08xx, a 3xxx short number, 112, 15),
a number written in ``offline`` (the published way in for people without internet), a generic
address (contact@, info@, noreply@, service-client@...).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from broadcast.content.wording.messages import EXAMPLES, LEVEL
from broadcast.content.wording.public_texts import public_texts
from broadcast.content.wording.texts import Says, Wording
from broadcast.problems import Problem

# A mobile number: French (06/07, +33 6/7, 0033 6/7) or British (07, +44 7), however spaced.
_MOBILE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)33[\s.-]?(?:\(0\)\s?)?[67]|0[67])(?:[\s.-]?\d{2}){4}(?!\d)"
    r"|(?<![\d+])(?:(?:\+|00)44[\s.-]?(?:\(0\)\s?)?7|07)\d{2,3}[\s.-]?\d{3}[\s.-]?\d{3,4}(?!\d)"
)

_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)", re.IGNORECASE)

# The local part of an address a team reads, not a person's own.
_GENERIC = frozenset(
    [
        "contact",
        "contacts",
        "info",
        "infos",
        "information",
        "noreply",
        "no-reply",
        "nepasrepondre",
        "ne-pas-repondre",
        "support",
        "service",
        "services",
        "client",
        "clients",
        "clientele",
        "customer",
        "customers",
        "care",
        "help",
        "helpdesk",
        "aide",
        "assistance",
        "accueil",
        "hello",
        "bonjour",
        "press",
        "presse",
        "media",
        "medias",
        "communication",
        "comms",
        "incident",
        "incidents",
        "status",
        "statut",
        "alerte",
        "alertes",
        "alert",
        "alerts",
        "urgence",
        "urgences",
        "emergency",
        "crise",
        "crisis",
        "reclamation",
        "reclamations",
        "complaints",
        "feedback",
        "avis",
        "mairie",
        "secretariat",
        "office",
        "admin",
        "sav",
        "webmaster",
        "team",
        "equipe",
        "sinistre",
        "sinistres",
        "claims",
        "relation",
        "relations",
        "usagers",
        "abonnes",
        "voyageurs",
    ]
)

# Webmail domains: an address there is a person's, whatever its local part.
_WEBMAIL = re.compile(
    r"^(?:gmail|googlemail|yahoo|hotmail|outlook|live|msn|icloud|me|aol|gmx|proton|protonmail|"
    r"orange|wanadoo|free|sfr|laposte|bbox|neuf|btinternet|sky|virginmedia|talktalk)\.",
    re.IGNORECASE,
)

# A number that identifies one customer: the words that name it, then the number itself.
_ACCOUNT = re.compile(
    r"(?<!\w)(?:(?:customer|client|account|contract|policy|membership|meter|subscriber|"
    r"reference|ref\.?|booking)\s+(?:number|no\.?|n°|#|ref(?:erence)?)?"
    r"|(?:numéro|n°|no\.?)\s+(?:de\s+)?(?:client|contrat|compte|police|abonné|dossier|"
    r"compteur|sinistre|référence|adhérent)|(?:contrat|compte|dossier|police|référence|"
    r"sinistre|abonné)\s+(?:n°|no\.?|numéro)|iban|pdl|pce|rib)"
    r"\s*(?:is|est|:|=|#)?\s*(?P<number>[A-Z]{0,4}[\s-]?\d[\d\s-]{4,}\d|[A-Z]{2}\d{2}[\dA-Z\s]{10,})",
    re.IGNORECASE,
)

# A home address: a house number, then the kind of street (« 12 rue des Lilas ») or the street's
# name and its kind ("14 Elm Road").
_ADDRESS = (
    r"\d{1,4}\s?(?:bis|ter|[a-c])?,?\s+(?:(?i:rue|avenue|boulevard|bd|chemin|allée|impasse|place|"
    r"route|quai|cours|square|résidence|lotissement)\s|(?:[A-Z][a-z]+\s){1,2}(?:Street|St|Road|"
    r"Rd|Lane|Avenue|Close|Drive|Way|Crescent|Court|Gardens|Terrace|Place|Grove|Row|Mews)\b)"
)
_TITLE = r"(?:M\.|Mme|Mlle|Monsieur|Madame|Mr\.?|Mrs\.?|Ms\.?|Miss|Dr\.?|famille)"
_NAME = r"[A-ZÀ-Ý][a-zà-ÿ'-]+(?:\s[A-ZÀ-Ý][a-zà-ÿ'-]+)?"
_PERSON = rf"(?:{_TITLE}\s+{_NAME}|the\s+[A-Z][a-z'-]+\s+family)"
# A person, by a title and a name ("Mme Martin", "Mr Jones", "the Patel family"), within a few
# words of a home address, before or after it. (A first and last name alone is not enough: a
# gymnasium or a school is often named after someone, « gymnase Jean Moulin, 4 rue ... ».)
_PERSON_AT = re.compile(
    rf"(?<!\w){_PERSON}(?:\W+\w+){{0,8}}?\W+{_ADDRESS}"
    rf"|{_ADDRESS}\W*(?:\w+\W+){{0,8}}?{_PERSON}"
)


_KIND = {
    "en": {
        "mobile": "a private phone number",
        "email": "a personal email address",
        "account": "a customer's own number",
        "address": "a person's name and home address",
    },
    "fr": {
        "mobile": "un numéro de téléphone privé",
        "email": "une adresse électronique personnelle",
        "account": "le numéro propre à un client",
        "address": "le nom et l'adresse d'une personne",
    },
}


def _digits(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    for country in ("0033", "33", "0044", "44"):
        if digits.startswith(country) and len(digits) > 10:
            return "0" + digits[len(country) :].removeprefix("0")
    return digits


def _personal_email(local: str, domain: str) -> bool:
    parts = [p for p in re.split(r"[._+-]", local.lower()) if p]
    if any(part in _GENERIC for part in parts) or local.lower() in _GENERIC:
        return False
    if _WEBMAIL.match(domain):
        return True
    # first.last, j.dupont, jean-dupont: a person's own address
    return len(parts) >= 2 and all(part.isalpha() for part in parts)


def _found(text: str, published: set[str]) -> Iterator[tuple[str, str]]:
    for match in _MOBILE.finditer(text):
        if _digits(match.group()) not in published:
            yield "mobile", match.group()
    for match in _EMAIL.finditer(text):
        if _personal_email(match.group(1), match.group(2)):
            yield "email", match.group()
    for match in _ACCOUNT.finditer(text):
        yield "account", match.group()
    for match in _PERSON_AT.finditer(text):
        yield "address", match.group()


def personal_data(says: Says, wording: Wording) -> Iterator[Problem]:
    """Personal data in any public text of one language: an error, once per field."""
    offline = wording.fields.get("offline") or ""
    published = {_digits(m.group()) for m in _MOBILE.finditer(offline)}
    kinds = _KIND.get(says.language, _KIND["en"])
    examples = EXAMPLES.get(wording.language, EXAMPLES["en"])
    for location, _, text in public_texts(wording):
        for kind, found in _found(text, published):
            yield says(
                "personal_data",
                location,
                severity=LEVEL["personal_data"],
                field=".".join(str(part) for part in location),
                found=" ".join(found.split()),
                kind=kinds[kind],
                example=examples["personal_data"],
            )
            break
