"""Wording out of scale with the facts: words that make light of a serious incident, or sound
the alarm beyond what it is.

The facts come from the incident's own fields, not its words: its severity, how many are
affected (the largest number ``affected`` gives: "25 000 foyers", "about 18,000 homes",
"thousands of customers"), and how long it lasts (started_at to eta, to ended_at, or to the
moment the message goes out). ``SERIOUS`` says from when each fact makes an incident serious.

Minimisers are a class, not a list of phrases: a diminutive (small, minor, slight, brief;
petit, léger, simple, passager) next to any word for an incident (hiccup, outage, delay;
contretemps, panne, désagrément), "just/only a …" (« juste un … », « qu'un … »), the words
that are small in themselves (blip, glitch; pépin, couac) and "nothing to worry about". Alarm
words (catastrophe, chaos, apocalypse, nightmare, meltdown...) are out of scale unless the
incident is critical and carries a danger people must act on (a hazard). Capitals and
exclamation marks are the capitals and exclamation checks' own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from broadcast.content.wording.texts import Says, Wording, plain_apostrophes
from broadcast.content.wording.vocabulary import whole_words
from broadcast.problems import Problem

if TYPE_CHECKING:
    from broadcast.input.incident import Incident


class Serious(NamedTuple):
    """From when each fact makes an incident serious; any one is enough for a minimiser to be
    out of scale."""

    severities: tuple[str, ...] = ("major", "critical")
    affected: int = 1000  # people or homes
    hours: float = 4  # from started_at to eta (or to ended_at, or so far)


SERIOUS = Serious()


# Where the words people read are: what the incident says, its FAQ answers too.
_READ_FIELDS = ("title", "headline", "affected", "summary", "actions", "apology", "compensation")

_NOUNS = {
    "en": (
        r"hiccups?|blips?|glitch(?:es)?|hitch(?:es)?|snags?|wobbles?|niggles?|bumps?|issues?|"
        r"problems?|disruptions?|inconveniences?|interruptions?|outages?|incidents?|faults?|"
        r"delays?|disturbances?|setbacks?|breakdowns?|cuts?|leaks?|errors?|bugs?|matters?|"
        r"difficult(?:y|ies)|troubles?|annoyances?|nuisances?|lapses?|downtime|irritations?|"
        r"hassles?"
    ),
    "fr": (
        r"contretemps|désagréments?|soucis?|problèmes?|incidents?|perturbations?|pannes?|"
        r"coupures?|dysfonctionnements?|interruptions?|gênes?|retards?|aléas?|bugs?|bogues?|"
        r"couacs?|pépins?|hoquets?|ralentissements?|difficultés?|défaillances?|accrocs?|"
        r"fuites?|anomalies?|caprices?"
    ),
}

_MINIMISERS = {
    "en": lambda nouns: whole_words(
        rf"(?:small|little|minor|slight|tiny|teeny|brief|short|momentary|mild|trivial|"
        rf"negligible|wee|quick|passing|mere)(?:[- ](?:\w+))? (?:{nouns})",
        rf"(?:just|only|merely|simply|nothing but|nothing more than) (?:a |an |some )?"
        rf"(?:\w+ ){{0,2}}(?:{nouns})",
        r"(?:a )?bit of an? \w+",
        r"hiccups?|blips?|glitch(?:es)?|hitch(?:es)?|snags?|wobbles?|niggles?|teething \w+",
        r"nothing (?:serious|major|to worry about|to be concerned about)",
        r"no (?:big|real) deal|not a big deal|no cause for (?:alarm|concern)",
    ),
    "fr": lambda nouns: whole_words(
        rf"(?:petite?s?|légère?s?|léger|simples?|brèves?|bref|minimes?|mineure?s?|"
        rf"passagère?s?|momentanée?s?|anodine?s?|insignifiante?s?) (?:\w+ )?(?:{nouns})",
        rf"(?:{nouns}) (?:\w+ )?(?:mineure?s?|minimes?|passagère?s?|passager|momentanée?s?|"
        rf"anodine?s?|insignifiante?s?|bénigne?s?|bénin|sans gravité|sans conséquence)",
        # « qu'un » minimises only after a negation (« ce n'est qu'un… »), not as a
        # conjunction (« soyez certains qu'une telle panne… »).
        rf"(?:juste|seulement|simplement|(?:n'|ne )(?:[\w']+ ){{1,3}}(?:qu'une?|que d'une?)) "
        rf"(?:un |une |des )?(?:\w+ ){{0,2}}(?:{nouns})",
        r"pépins?|couacs?|accrocs?|hoquets?|broutilles?|bagatelles?|vétilles?",
        r"rien de (?:bien )?(?:grave|méchant|sérieux|inquiétant)",
        r"pas de quoi s'inquiéter|aucune inquiétude à avoir|pas grand-chose|sans gravité",
    ),
}

_ALARMS = {
    "en": whole_words(
        r"catastroph\w*",
        r"(?<!natural )disasters?|disastrous",
        r"chaos|chaotic|pandemonium|mayhem|havoc|carnage|armageddon|shambles|fiasco|horror",
        r"apocalyp\w*|nightmar\w*|meltdowns?|hellish|doom\w*",
        r"(?<!don't )(?<!do not )(?<!no need to )panic\w*",
        r"crippl\w*|(?:total|complete|utter) (?:collapse|breakdown|meltdown|shutdown)",
        r"end of the world|worst ever",
    ),
    "fr": whole_words(
        r"catastroph(?:e|es|ique|iques)(?! naturelles?)",
        r"désastr\w*|chaos|chaotiques?|apocalyp\w*|cauchemar\w*|hécatombes?|débâcles?|fiascos?",
        r"pagaille|horreur",
        r"(?<!pas de )(?<!sans )panique(?!z pas)|paniquer",
        r"fin du monde|enfer|dramatiques?|effondrement (?:total|complet)",
        r"(?:totalement|complètement) (?:paralysée?s?|dévastée?s?|sinistrée?s?)",
        r"paralysie (?:totale|complète)",
    ),
}

_NUMBER = re.compile(
    r"(?<![\d:])(\d{1,3}(?:[ \u00a0\u202f,.]\d{3})+|\d+)(?:[,.](\d+))?(?!\d)"
    r"(?!\s?(?:h\b|:|am\b|pm\b|%|heures?|hours?|minutes?))"
    r"(?:\s*(millions?|k\b|thousand|milliers?|mille))?",
    re.IGNORECASE,
)
_MANY_WORDS = (
    (re.compile(r"hundreds of thousands|centaines de milliers", re.IGNORECASE), 100_000),
    (re.compile(r"tens of thousands|dizaines de milliers", re.IGNORECASE), 10_000),
    (re.compile(r"\bmillions\b", re.IGNORECASE), 1_000_000),
    (re.compile(r"\bthousands\b|\bmilliers\b", re.IGNORECASE), 1_000),
)


@cache
def _pattern(kind: str, language: str) -> re.Pattern[str] | None:
    if kind == "minimisers":
        source = _MINIMISERS.get(language)
        return re.compile(source(_NOUNS[language]), re.IGNORECASE) if source else None
    alarm = _ALARMS.get(language)
    return re.compile(alarm, re.IGNORECASE) if alarm else None


def affected_count(text: str) -> int | None:
    """The largest number of people or homes ``text`` gives, or None when it gives none."""
    found: list[int] = [value for pattern, value in _MANY_WORDS if pattern.search(text)]
    for match in _NUMBER.finditer(text):
        whole, decimals, unit = match.groups()
        value = float(re.sub(r"\D", "", whole))
        if unit:
            # "1,2 million", "3k": a decimal counts only before a unit.
            value = float(f"{value:.0f}.{decimals}") if decimals else value
            value *= 1_000_000 if unit.lower().startswith("million") else 1_000
        found.append(int(value))
    return max(found) if found else None


def duration(incident: Incident, now: datetime | None) -> tuple[timedelta, str] | None:
    """How long the incident lasts by its fields, and which end that is measured to."""
    if incident.eta is not None and not incident.ended:
        return incident.eta - incident.started_at, "eta"
    if incident.ended and incident.ended_at is not None:
        return incident.ended_at - incident.started_at, "ended_at"
    if now is not None:
        return now - incident.started_at, "now"
    return None


def serious_facts(incident: Incident, now: datetime | None, language: str) -> list[str]:
    """The facts that make ``incident`` serious, said in ``language``; empty when none does."""
    french = language == "fr"
    facts: list[str] = []
    if incident.severity in SERIOUS.severities:
        facts.append(
            f"l'incident est {incident.severity}" if french else f"it is {incident.severity}"
        )
    count = affected_count(plain_apostrophes(incident.affected))
    if count is not None and count >= SERIOUS.affected:
        written = f"{count:,}".replace(",", "\u202f" if french else ",")
        facts.append(f"affected en compte {written}" if french else f"affected counts {written}")
    lasting = duration(incident, now)
    if lasting is not None:
        hours = lasting[0].total_seconds() / 3600
        if hours >= SERIOUS.hours:
            shown = round(hours)
            if lasting[1] == "now":
                said = "il dure déjà depuis {} heures" if french else "it has lasted {} hours"
                facts.append(said.format(shown))
            else:
                facts.append(
                    f"{shown} heures séparent started_at et {lasting[1]}"
                    if french
                    else f"{shown} hours lie between started_at and {lasting[1]}"
                )
    return facts


def _texts(wording: Wording) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for name in _READ_FIELDS:
        text = wording.fields.get(name)
        if text:
            yield (*wording.prefix, name), text
    for index, entry in enumerate(wording.faq):
        yield (*wording.prefix, "faq", index, "a"), entry.a


def out_of_scale(
    incident: Incident,
    says: Says,
    wording: Wording,
    examples: dict[str, str],
    now: datetime | None,
    has_hazard: bool,
) -> Iterator[Problem]:
    """Minimisers in a serious incident, alarm words in one that does not call for them."""
    minimisers = _pattern("minimisers", wording.language)
    alarms = _pattern("alarms", wording.language)
    facts = serious_facts(incident, now, says.language)
    # The same rule lets the capitals and exclamation checks pass a stressed instruction.
    alarm_supported = incident.severity == "critical" and has_hazard
    for location, text in _texts(wording):
        plain = plain_apostrophes(text)
        if minimisers is not None and facts:
            for match in minimisers.finditer(plain):
                yield says(
                    "minimising",
                    location,
                    found=" ".join(match.group().split()),
                    facts=", ".join(facts),
                    example=examples["minimising"],
                )
                break
        if alarms is not None and not alarm_supported:
            for match in alarms.finditer(plain):
                # A word in capitals is the capitals check's: one fault, one warning.
                if match.group().isupper():
                    continue
                yield says(
                    "alarmist",
                    location,
                    found=" ".join(match.group().split()),
                    facts=_calm_facts(incident, says.language, has_hazard),
                    example=examples["alarmist"],
                )
                break


def _calm_facts(incident: Incident, language: str, has_hazard: bool) -> str:
    if language == "fr":
        danger = "et signale un danger" if has_hazard else "sans danger contre lequel se protéger"
        return f"l'incident est {incident.severity}, {danger}"
    danger = "with a danger named" if has_hazard else "with no danger people must act on"
    return f"it is {incident.severity}, {danger}"
