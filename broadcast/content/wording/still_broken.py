"""Wording check on a fault said to persist once the incident is resolved or watched: any text
(summary, actions, affected, the FAQ, the headline, but not the title, which names the
incident), not only the headline, that says people
are still without the service, that it is not back yet, that the outage goes on.

The status phrases every channel adds say "resolved" or "fixed, we are watching"; a summary or
an FAQ answer left from an earlier version that says "taps are still dry" contradicts them,
and people would not know which to believe. What people are told to do *if* it persists for
them ("if you still have no water, call us") is the right advice once a fault is fixed, and is
not flagged: the check reads what a sentence asserts, not a condition. Nor is the story of
the repair ("we are restoring power area by area" left in ``actions``): once resolved the
messages show it under "What we did"; what is flagged is the fault itself said to go on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING

from broadcast.content.wording.messages import EXAMPLES, LEVEL
from broadcast.content.wording.public_texts import public_texts, sentence_around
from broadcast.content.wording.texts import Says, Wording
from broadcast.content.wording.vocabulary import whole_words
from broadcast.input.yamlfile import dotted
from broadcast.problems import Problem

if TYPE_CHECKING:
    from broadcast.input.incident import Incident

# Once fixed and watched, or over, nothing should say the fault is still felt.
_FIXED = ("monitoring", "resolved")

_SERVICE_EN = (
    r"(?:power|electricity|water|gas|heating|service|network|line|lines|trains?|buses|"
    r"the \w+|signal|internet|broadband|phones?|app|website|site|cards?|payments?|road|"
    r"station|system|supply|supplies|connection)"
)
_OFF_EN = (
    r"(?:off|down|out|cut|unavailable|disrupted|interrupted|closed|suspended|offline|"
    r"not working|failing|dry|broken|cut off)"
)
_SERVICE_FR = (
    r"(?:le courant|l'électricité|l'eau|le gaz|le chauffage|le service|le réseau|la ligne|"
    r"les lignes|les trains|le trafic|le signal|internet|la connexion|l'appli\w*|le site|"
    r"les cartes|les paiements|la route|la gare|le système|la distribution|l'alimentation)"
)
_OFF_FR = (
    r"(?:coupée?s?|en panne|indisponibles?|interrompue?s?|perturbée?s?|fermée?s?|"
    r"suspendue?s?|hors service|à l'arrêt|hors ligne|privée?s?|à sec|vides?|dans le noir)"
)

# What a sentence says when the fault is still felt, per language.
_PERSISTS = {
    "en": whole_words(
        rf"(?:still|remains?|remaining|continues? to be) (?:\w+ ){{0,2}}{_OFF_EN}",
        rf"{_SERVICE_EN} (?:is|are|remains?) still {_OFF_EN}",
        r"(?:still|remain|remains|continue to be|continues to be) without",
        r"still (?:no|not|cannot|can't|unable|have no|has no|without|waiting for)",
        r"(?:is|are|has|have)(?: still)? not (?:yet )?(?:been )?(?:yet )?(?:back|restored|fixed|"
        r"repaired|working|switched back on|re(?:connect|stor|open|suppl|energi[sz]|fill|"
        r"pressuri[sz]|start|sum|connect)\w*ed)",
        r"(?:continues?|continuing) to (?:have|be|get|see|experience|suffer|report) (?:\w+ )?"
        r"(?:no|without|problems|outages|cuts|disruption|delays|faults)",
        r"not (?:yet )?(?:back|restored|fixed|repaired|reconnected) (?:yet|so far)",
        r"(?:outage|fault|cut|disruption|leak|failure|breakdown)s? (?:is |are )?"
        r"(?:still |)(?:ongoing|continu\w+|persist\w*|in progress|going on|under way)",
        r"(?:we are|we're|engineers are|crews are|teams are) still (?:repairing|restoring|"
        r"fixing|looking for the fault|searching)",
        r"(?:no|without) (?:\w+ ){0,2}(?:power|water|gas|heating|service|signal) (?:yet|for now|"
        r"at the moment|until)",
        r"(?:is|are) (?:currently |now )?without (?:\w+ )?(?:power|water|gas|heating|service|"
        r"signal|electricity|internet|trains?)",
    ),
    "fr": whole_words(
        rf"(?:toujours|encore|reste(?:nt)?|demeure(?:nt)?) (?:\w+ ){{0,2}}{_OFF_FR}",
        r"(?:toujours|encore|restent|reste) (?:sans|privée?s? d)",
        r"(?:toujours|encore) pas (?:de |d')",
        r"(?:toujours pas|encore pas|pas encore) (?:été )?(?:rétabli|revenu|réparé|réglé|remis|"
        r"rouvert|r[eé](?:connect|branch|alim|lanc|démarr|mis en service)\w*é)e?s?(?!\w)",
        r"(?:continuent|continue) (?:d'être|à être|à subir|de subir|à manquer|de manquer) (?:\w+ )?"
        r"(?:sans|privée?s?|coupée?s?|des coupures|des pannes|d'eau|de courant)",
        r"(?:la |les )?(?:panne|coupure|fuite|perturbation|interruption)s? (?:est |sont )?"
        r"(?:toujours |encore )?(?:en cours|se poursui\w+|continu\w+|persist\w+|dure\w*)",
        r"(?:nous|nos \w+) (?:cherchons|réparons|rétablissons|cherchent|réparent|rétablissent) "
        r"(?:encore|toujours)",
        r"(?:nous|nos \w+) (?:continuons|continuent) (?:à|de) (?:chercher|réparer|rétablir)",
        r"(?:sont|est) (?:actuellement |encore )?(?:privée?s? d'|privée?s? de |sans )"
        r"(?:eau|courant|électricité|gaz|chauffage|réseau|internet|train)",
    ),
}


# A condition, not a statement: "if you still have no water", « si vous êtes encore sans
# eau », "anyone still without power", « ceux qui sont encore privés ».
_CONDITION = re.compile(
    r"(?<!\w)(?:if|in case|should|whether|unless|anyone|anybody|those who|whoever|"
    r"si|s'il|s'ils|au cas où|en cas|lorsque|quiconque|ceux qui|celles qui|toute personne qui)"
    r"(?!\w)",
    re.IGNORECASE,
)


@cache
def _pattern(language: str) -> re.Pattern[str] | None:
    source = _PERSISTS.get(language)
    return re.compile(source, re.IGNORECASE) if source else None


def still_broken(incident: Incident, says: Says, wording: Wording) -> Iterator[Problem]:
    """Any public text of a monitoring or resolved incident that says the fault persists: an
    error, reported once per field."""
    if incident.status not in _FIXED:
        return
    pattern = _pattern(wording.language)
    if pattern is None:
        return
    examples = EXAMPLES.get(wording.language, EXAMPLES["en"])
    for location, name, text in public_texts(wording):
        if name == "title":
            continue  # the incident's name ("No tap water in Millbrook"), not its news
        for match in pattern.finditer(text):
            sentence = sentence_around(text, match.start(), match.end())
            before = sentence[: sentence.find(match.group())]
            # A question ("Still no water?") or a condition ("if you still have no water")
            # is what to do if the fault persists for someone, not a claim that it does.
            if sentence.rstrip().endswith("?") or _CONDITION.search(before):
                continue
            yield says(
                "still_broken",
                location,
                severity=LEVEL["still_broken"],
                status=incident.status,
                field=dotted(location),
                found=" ".join(match.group().split()),
                example=examples["still_broken"],
            )
            break
