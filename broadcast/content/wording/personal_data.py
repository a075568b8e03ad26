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
from broadcast.input.yamlfile import dotted
from broadcast.problems import Problem


class _Pattern:
    """A pattern compiled at its first search: most texts hold no address, email or customer
    number, and compiling the person-at-an-address pattern alone (first names and all) costs
    more than running every other one of this check (see ``_found``'s gates)."""

    def __init__(self, source: str, flags: int = 0) -> None:
        self.source, self.flags = source, flags

    @property
    def compiled(self) -> re.Pattern[str]:
        return _compile(self.source, self.flags)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(text)

    def search(self, text: str) -> re.Match[str] | None:
        return self.compiled.search(text)

    def match(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.compiled.match(text, pos)


# Each pattern compiled, by its source and flags.
_COMPILED: dict[tuple[str, int], re.Pattern[str]] = {}


def _compile(source: str, flags: int) -> re.Pattern[str]:
    pattern = _COMPILED.get((source, flags))
    if pattern is None:
        pattern = _COMPILED[source, flags] = re.compile(source, flags)
    return pattern


# A mobile number: French (06/07, +33 6/7, 0033 6/7) or British (07, +44 7), however spaced.
_MOBILE = _Pattern(
    r"(?<![\d+])(?:(?:\+|00)33[\s.-]?(?:\(0\)\s?)?[67]|0[67])(?:[\s.-]?\d{2}){4}(?!\d)"
    r"|(?<![\d+])(?:(?:\+|00)44[\s.-]?(?:\(0\)\s?)?7|07)\d{2,3}[\s.-]?\d{3}[\s.-]?\d{3,4}(?!\d)"
)

_EMAIL = _Pattern(r"(?<![\w.+-])([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)", re.IGNORECASE)

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
_WEBMAIL = _Pattern(
    r"^(?:gmail|googlemail|yahoo|hotmail|outlook|live|msn|icloud|me|aol|gmx|proton|protonmail|"
    r"orange|wanadoo|free|sfr|laposte|bbox|neuf|btinternet|sky|virginmedia|talktalk)\.",
    re.IGNORECASE,
)

# A number that identifies one customer: the words that name it, then the number itself.
_ACCOUNT = _Pattern(
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
# Common first names, French and English: "Jean Dupont" beside a home address is a person.
_FIRST_NAMES = (
    "Jean|Marie|Pierre|Michel|Claude|Nathalie|Isabelle|Sylvie|Catherine|Philippe|Alain|Nicolas|"
    "Christophe|Julie|Sophie|Sandrine|Stéphane|David|Thomas|Laurent|Patrick|Christine|Martine|"
    "Françoise|Monique|Anne|Paul|Jacques|Daniel|Bernard|Éric|Eric|Olivier|Julien|Camille|Léa|"
    "Manon|Emma|Lucas|Hugo|Louis|Chloé|Sarah|Laura|Karim|Mohamed|Mohammed|Fatima|Nadia|Kevin|"
    "Céline|Valérie|Hélène|Émilie|Aurélie|Thierry|Pascal|Frédéric|Sébastien|Antoine|Marc|"
    "John|James|Michael|Robert|William|Richard|Joseph|Charles|Mary|Patricia|Jennifer|Linda|"
    "Elizabeth|Susan|Margaret|Karen|Lisa|Olivia|Jack|Harry|George|Oliver|Amelia|Emily|Jessica|"
    "Gary|Sue|Helen|Peter|Mark|Steve|Stephen|Andrew|Ian|Simon|Claire|Rachel|Rebecca|Anna|"
    "Priya|Ahmed|Aisha|Tom|Sam|Chris|Dave|Mike|Kate|Jane|Ben|Dan|Matt|Ali|Raj"
)
# What a place is named after someone by: « gymnase Jean Moulin », "Mary Seacole House".
_FACILITY = _Pattern(
    r"(?:gymnase|salle|école|collège|lycée|stade|hôpital|centre|parc|espace|maison|résidence|"
    r"square|place|rue|avenue|boulevard|allée|quai|cours|impasse|pont|gare|médiathèque|"
    r"piscine|crèche|school|centre|center|park|hospital|hall|house|road|street|bridge|"
    r"station|library|court|square|surgery|college|academy|church|église)\s*$",
    re.IGNORECASE,
)
_FACILITY_AFTER = _Pattern(
    r"\s*(?:[\w'-]+\s+)?(?:house|school|centre|center|hall|park|hospital|court|road|street|library|college|"
    r"academy|building|surgery|gym|stadium|bridge|station|church)(?!\w)",
    re.IGNORECASE,
)
_TITLED = rf"(?:{_TITLE}\s+{_NAME}|the\s+[A-Z][a-z'-]+\s+family)"
_FIRST_LAST = rf"(?:{_FIRST_NAMES})\s+[A-ZÀ-Ý][a-zà-ÿ'-]+(?:-[A-ZÀ-Ý][a-zà-ÿ'-]+)?"
_PERSON = rf"(?:{_TITLED}|{_FIRST_LAST})"
# A person (a title and a name, "Mme Martin", "the Patel family", or a first and last name,
# "Jean Dupont") within a few words of a home address, before or after it; a first and last
# name that names a place (« gymnase Jean Moulin », "Mary Seacole House") is not a person.
_PERSON_AT = _Pattern(
    rf"(?<!\w)(?P<before>{_PERSON})(?:\W+\w+){{0,8}}?\W+{_ADDRESS}"
    rf"|{_ADDRESS}\W*(?:\w+\W+){{0,8}}?(?P<after>{_PERSON})"
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


# A house number and the kind of street: what a home address cannot be without.
_HOUSE = _Pattern(_ADDRESS)


def _found(text: str, published: set[str]) -> Iterator[tuple[str, str]]:
    # Each kind is looked for only where it can be: numbers need a digit, an email an "@",
    # a person at a home address a house number and a street.
    digits = any(char.isdigit() for char in text)
    if digits:
        for match in _MOBILE.finditer(text):
            if _digits(match.group()) not in published:
                yield "mobile", match.group()
    if "@" in text:
        for match in _EMAIL.finditer(text):
            if _personal_email(match.group(1), match.group(2)):
                yield "email", match.group()
    if digits:
        for match in _ACCOUNT.finditer(text):
            yield "account", match.group()
    if not digits or _HOUSE.search(text) is None:
        return
    for match in _PERSON_AT.finditer(text):
        person = "before" if match.group("before") else "after"
        titled = re.match(_TITLED, match.group(person))
        if not titled and (
            _FACILITY.search(text[max(0, match.start(person) - 20) : match.start(person)])
            or _FACILITY_AFTER.match(text, match.end(person))
        ):
            continue
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
                field=dotted(location),
                found=" ".join(found.split()),
                kind=kinds[kind],
                example=examples["personal_data"],
            )
            break
