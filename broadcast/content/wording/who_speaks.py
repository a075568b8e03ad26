"""Who speaks: a critical incident signed by someone who answers for it.

In a critical incident people want to hear from the person accountable, not from the people who
write the messages: each sector's practice names that role (the mayor, the prefecture, the duty
manager, the chief executive), kept as data in ``broadcast/sectors/accountable.yaml`` (per sector).
``signed_by`` passes when it names one of those roles (the team's sector's, channels.yaml's
``content_checks: sector``; every sector's when it gives none), or, for a role the data does not
list, a role that heads something (director, chief, head of, president, mayor, prefect, "duty
manager", « directeur », « chef de », « maire »...) and is not the communication side ("Head of
Communications", « directrice de la communication »). It is flagged when it names a team or a
department ("The team", « Le service communication », "Management", « La direction ») or no role
at all (a bare name, the organisation's name).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from broadcast.content.wording.clauses import whole, words
from broadcast.content.wording.messages import EXAMPLES
from broadcast.content.wording.texts import Says, plain_apostrophes, yaml_key
from broadcast.problems import Problem

if TYPE_CHECKING:
    from broadcast.input.incident import Incident

SECTORS = Path(__file__).resolve().parent.parent.parent / "sectors"

# A role that heads something, for roles the sectors' data does not list.
_HEAD = whole(
    r"directors?",
    r"directeurs?",
    r"directrices?",
    r"chief",
    r"head of",
    r"heads of",
    r"presidents?",
    r"présidente?s?",
    r"chair(?:man|woman|person)?",
    r"mayor",
    r"maires?",
    r"prefects?",
    r"préfète?s?",
    r"préfectures?",
    r"governor",
    r"gouverneure?",
    r"ministers?",
    r"ministres?",
    r"commissioner",
    r"superintendent",
    r"commander",
    r"commandante?",
    r"leader",
    r"secretary[- ]general",
    r"secrétaire général(?:e)?",
    r"(?:duty|incident|general|operations|site|plant|station|network|managing|crisis|"
    r"emergency|shift) (?:manager|director|officer|controller)",
    # « chef d'exploitation », « cheffe de gare »: the lookahead keeps « d' » out of the match,
    # whose end must not sit inside a word.
    r"chef(?:fe)?(?=\s+(?:de|du|des)\b|\s+d')",
    r"cadre d'astreinte",
    r"responsable d'astreinte",
    r"d'astreinte",
    r"de permanence",
    r"ceo|coo|cto|cio|md|pdg|dg|dga|dgs",
    r"founder",
    r"fondat(?:eur|rice)",
    r"gérante?",
    r"owner",
)
# The communication side: it writes the messages, it does not answer for the incident.
_COMMUNICATION = whole(
    r"communications?",
    r"comms",
    r"press",
    r"presse",
    r"public relations",
    r"relations (?:presse|publiques|médias)",
    r"pr",
    r"marketing",
    r"customer (?:service|services|care|relations|support|experience team)",
    r"service clients?",
    r"relations? clients?",
    r"social media",
    r"réseaux sociaux",
    r"community manager",
    r"media (?:team|office|relations)",
    r"porte-parole",
    r"spokes(?:person|man|woman)",
)
_TEAM = whole(
    words(
        "services?",
        "teams?",
        "équipes?",
        "departments?",
        "départements?",
        "direction",
        "management",
        "office",
        "bureau",
        "cellule",
        "desk",
        "group",
        "groupe",
        "unit",
        "unité",
        "pôle",
        "staff",
        "personnel",
        "everyone at",
        "all of us",
        "tous",
        "toutes",
        "board",
        "conseil d'administration",
        "headquarters",
        "siège",
        "centre",
        "center",
        "helpdesk",
        "support",
    )
)


@cache
def _accountable() -> dict[str, dict[str, list[str]]]:
    """``accountable.yaml``: per sector, per language, the roles that answer for a crisis."""
    import yaml  # only a critical incident's signature pays for it

    sectors = yaml.safe_load((SECTORS / "accountable.yaml").read_text(encoding="utf-8")) or {}
    return {
        str(sector): {
            str(code): [str(name) for name in names or ()] for code, names in (data or {}).items()
        }
        for sector, data in sectors.items()
    }


@cache
def _sector_roles(language: str, sector: str | None = None) -> tuple[re.Pattern[str], str]:
    """The roles of ``sector`` (of every sector when None or not one the data knows) as one
    pattern; for the advice, the sector's first roles in ``language``, or the first role of
    each sector."""
    sectors = _accountable()
    own = sectors.get(sector) if sector else None
    every: list[str] = []
    first: list[str] = []
    if own is not None:
        for names in own.values():
            every.extend(names)
        # The sector's own roles, its three first (a role and its feminine, often).
        first = own.get(language, [])[:3]
    else:
        for data in sectors.values():
            for code, names in data.items():
                every.extend(names)
                if code == language and names and names[0] not in first:
                    first.append(names[0])
    pattern = re.compile(
        whole(*(re.escape(plain_apostrophes(name)) for name in every)), re.IGNORECASE
    )
    return pattern, ", ".join(first)


@cache
def _pattern(source: str) -> re.Pattern[str]:
    return re.compile(source, re.IGNORECASE)


_WHAT = {
    "en": {
        "communication": "the people who write the messages",
        "team": "a team or a department",
        "none": "no role",
    },
    "fr": {
        "communication": "ceux qui écrivent les messages",
        "team": "un service ou une équipe",
        "none": "aucune fonction",
    },
}


def unaccountable(signature: str, language: str = "en", sector: str | None = None) -> str | None:
    """What ``signature`` names instead of an accountable role (``communication``, ``team``,
    ``none``), or None when it names one: a role that heads something, or one of ``sector``'s
    roles (every sector's when None): « la mairie » speaks for a town, not for a bank."""
    plain = plain_apostrophes(signature)
    communication = _pattern(_COMMUNICATION).search(plain) is not None
    if not communication and _pattern(_HEAD).search(plain):
        return None  # a role that heads something: the sectors' lists need not be read
    roles, _ = _sector_roles(language, sector)
    if roles.search(plain):
        return None
    if communication:
        return "communication"
    if _pattern(_TEAM).search(plain):
        return "team"
    return "none"


def who_speaks(incident: Incident, says: Says, sector: str | None = None) -> Iterator[Problem]:
    """A critical incident whose ``signed_by`` (its own, or a translation's) names no one
    accountable in ``sector`` (channels.yaml's ``content_checks: sector``; any when None)."""
    if incident.severity != "critical":
        return
    signatures: list[tuple[tuple[str | int, ...], str | None]] = [
        (("signed_by",), incident.signed_by)
    ]
    for code, translation in (incident.translations or {}).items():
        if translation is not None:
            key = yaml_key(says.doc, code)
            signatures.append((("translations", key, "signed_by"), translation.signed_by))
    for where, signature in signatures:
        if not signature:
            continue
        what = unaccountable(signature, says.language, sector)
        if what is None:
            continue
        yield says(
            "who_speaks",
            where,
            found=signature,
            what=_WHAT[says.language][what],
            roles=_sector_roles(says.language, sector)[1],
            example=EXAMPLES[says.language]["who_speaks"],
        )
