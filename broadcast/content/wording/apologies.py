"""Non-apologies: an apology that takes itself back.

An apology is a non-apology when, in the same clause, it

- **hedges the harm**: a condition or a doubt on what happened ("sorry *if* anyone was
  affected", "*to the extent that*", "for any trouble this *may have* caused", « la gêne
  *éventuelle* », « *dans la mesure où* », « ceux qui *auraient* été gênés »);
- **apologises for feelings instead of facts**: the fault placed in how people feel ("sorry
  *you feel* frustrated", "for *your frustration*", « désolés *que vous ressentiez* », « de
  *votre mécontentement* »).

A real apology names what happened ("We are sorry: you have had no water since 6 am"); a
condition after it in another sentence ("We are sorry. If you have no water, call us") is an
instruction, not a hedge, so the apology and its hedge must share a clause. A few set phrases
hedge with no apology word ("any inconvenience this may have caused").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from broadcast.content.wording.clauses import (
    Finding,
    Rule,
    Rules,
    clauses,
    lexicon,
    whole,
    words,
)

_EN_APOLOGY = whole(r"sorry", r"apologi[sz]\w*", r"apolog(?:y|ies)", r"regret\w*")
# Words that may stand between an apology and its hedge without starting another statement
# ("and", "but" and "so" do: "sorry, and if you need water...").
# An intensifier before "if" widens the apology instead of doubting it ("sorry, especially if
# you were waiting for it"), so it ends the gap too.
_EN_GAP = (
    r"(?:(?!(?:and|but|so|then|especially|particularly|above|more|most|even)\b)[\w'-]+,?\s+)"
    r"{0,6}?"
)
_EN_FEELING = words(
    "upset",
    "frustrated",
    "angry",
    "annoyed",
    "disappointed",
    "offended",
    "unhappy",
    "let down",
    "dissatisfied",
    "irritated",
    "aggrieved",
    "distressed",
    "uncomfortable",
    "hurt",
    "cross",
    "this way",
    "that way",
)
_EN_FEELING_NOUN = lexicon(
    "frustrations?, upset, anger, annoyance, disappointment, feelings?, displeasure, "
    "dissatisfaction, irritation, unhappiness, distress, perception"
)
_EN_HEDGED = (
    # "sorry if", "apologise to anyone if"
    Rule("non_apology", ("if",), whole(_EN_APOLOGY + r",?\s+" + _EN_GAP + r"if")),
    Rule("non_apology", ("any",), whole(_EN_APOLOGY + r"\s+(?:\w+\s+){0,2}?(?:for|about)\s+any")),
    Rule(
        "non_apology",
        ("extent", "insofar", "in so far", "inasmuch"),
        whole(r"(?:to the extent|insofar as|in so far as|inasmuch as)(?: that)?"),
    ),
    Rule(
        "non_apology",
        ("may", "might", "could"),
        whole(
            r"(?:may|might|could) (?:possibly )?have (?:\w+ )?(?:caused|been|had|experienced|"
            r"suffered|created|resulted|affected|felt|faced|inconvenienced|disrupted)"
        ),
    ),
    Rule(
        "non_apology",
        ("potential", "possible", "perceived", "alleged", "apparent"),
        whole(
            r"(?:potential|possible|perceived|alleged|apparent)\s+(?:\w+\s+)?(?:inconvenience|"
            r"disruption|trouble|difficult(?:y|ies)|issues?|problems?|impact|harm|upset|"
            r"distress|delay|failings?|shortcomings?|errors?|mistakes?)"
        ),
    ),
    Rule(
        "non_apology",
        ("who", "that"),
        whole(
            r"(?:who|that)\s+(?:may have|might have|could have|feels?|felt|believes?|believed|"
            r"thinks?|thought)"
        ),
    ),
    Rule("non_apology", ("should",), whole(r"should (?:you|anyone|any customer) have")),
    Rule("non_apology", ("whatever",), whole(r"whatever (?:inconvenience|trouble|disruption)")),
)
_EN_FEELINGS = (
    Rule(
        "non_apology_feelings",
        ("you",),
        whole(
            r"(?:that\s+|if\s+)?you(?:'re|'ve been|'d been)?\s+(?:may\s+|might\s+|have\s+)?"
            r"(?:feel|felt|feeling|are|were|"
            r"have been|had been|became|got|get)\s+(?:\w+\s+)?" + _EN_FEELING
        ),
    ),
    Rule(
        "non_apology_feelings",
        ("feel", "felt"),
        whole(r"(?:that|if)\s+you\s+(?:may\s+|might\s+)?(?:feel|felt)"),
    ),
    Rule(
        "non_apology_feelings",
        _EN_FEELING_NOUN.cues,
        whole(r"(?:for|about|over)\s+(?:your|any|the)\s+(?:\w+\s+)?" + _EN_FEELING_NOUN.source),
    ),
    Rule("non_apology_feelings", ("feel", "felt"), whole(r"(?:how|the way)\s+you\s+(?:feel|felt)")),
    Rule(
        "non_apology_feelings",
        _EN_FEELING_NOUN.cues,
        whole(r"regret\w*\s+(?:your|any)\s+(?:\w+\s+)?" + _EN_FEELING_NOUN.source),
    ),
    Rule("non_apology_feelings", ("regret that you",), whole(r"we regret that you")),
)
# Set phrases that hedge without an apology word.
_EN_ALONE = (
    Rule(
        "non_apology",
        ("inconvenience",),
        whole(r"any inconvenience (?:this|that|it) (?:may|might) have caused"),
    ),
    Rule(
        "non_apology",
        ("any ",),
        whole(r"(?:regret|apologi[sz]e for|sorry for) any (?:inconvenience|disruption|trouble)"),
    ),
)

_FR_APOLOGY = whole(r"désolée?s?", r"navrée?s?", r"excus\w*", r"regrett\w*", r"pardon\w*")
_FR_GAP = (
    r"(?:(?!(?:et|mais|donc|puis|surtout|particulièrement|notamment|plus|encore|même)\b)"
    r"[\w'-]+,?\s+){0,6}?"
)
_FR_FEELING = words(
    "frustrée?s?",
    "mécontente?s?",
    "déçue?s?",
    "contrariée?s?",
    "agacée?s?",
    "fâchée?s?",
    "en colère",
    "énervée?s?",
    "irritée?s?",
    "blessée?s?",
    "exaspérée?s?",
    "offensée?s?",
    "choquée?s?",
    "lésée?s?",
    "mal à l'aise",
)
_FR_FEELING_NOUN = words(
    "frustrations?",
    "mécontentements?",
    "déceptions?",
    "ressentis?",
    "colères?",
    "agacements?",
    "irritations?",
    "sentiments?",
    "émotions?",
    "désarrois?",
    "exaspérations?",
    "contrariétés?",
    "impressions?",
    "perceptions?",
)
_FR_SUBJECT = (
    r"(?:vous|tu|il|ils|elle|elles|on|nous|cela|ça|c'|quelqu'un|quiconque|certaine?s|"
    r"des|un|une|le|la|les|l'|votre|vos|ce|cette|ces|notre|nos|leurs?|chacune?|personne|"
    r"jamais|toutefois|besoin|par)\b"
)
_FR_HEDGED = (
    # A condition has a subject after « si » (« si vous », « si certains », « s'il »); « si »
    # before an adverb or adjective only intensifies (« désolés de vous laisser sans eau si
    # longtemps »).
    Rule(
        "non_apology",
        ("si", "s'"),
        whole(_FR_APOLOGY + r",?\s+" + _FR_GAP + r"(?:si\s+" + _FR_SUBJECT + r"|s'ils?\b)"),
    ),
    Rule(
        "non_apology",
        ("éventuel", "potentiel", "possible", "occasionnel"),
        whole(
            r"(?:\w+\s+){0,2}?(?:gênes?|désagréments?|perturbations?|inconvénients?|dérangements?|"
            r"difficultés?|troubles?|préjudices?|nuisances?)\s+(?:\w+\s+)?"
            r"(?:éventuel(?:le)?s?|potentiel(?:le)?s?|possibles?|occasionnels?)"
        ),
    ),
    Rule(
        "non_apology",
        ("éventuel", "potentiel", "possible"),
        whole(
            r"(?:éventuel(?:le)?s?|potentiel(?:le)?s?|possibles?)\s+(?:\w+\s+)?(?:gênes?|"
            r"désagréments?|perturbations?|inconvénients?|dérangements?|difficultés?|troubles?|"
            r"préjudices?|nuisances?)"
        ),
    ),
    Rule(
        "non_apology",
        ("tout",),
        whole(
            r"(?:pour\s+)?(?:tout|toute|tous|toutes)\s+(?:les\s+)?(?:désagréments?|gênes?|"
            r"inconvénients?|dérangements?)"
        ),
    ),
    Rule(
        "non_apology", ("quelque",), whole(r"quelque (?:gêne|désagrément|inconvénient) que ce soit")
    ),
    Rule(
        "non_apology",
        ("mesure où", "cas échéant", "pour autant", "si tant"),
        whole(r"dans la mesure où", r"le cas échéant", r"pour autant que", r"si tant est"),
    ),
    Rule(
        "non_apology",
        ("aurai", "ait", "aient", "ayez", "aurions"),
        whole(r"(?:aurai(?:en)?t|ai(?:en)?t|ayez|aurions)\s+(?:pu|été|eu)"),
    ),
    Rule(
        "non_apology",
        ("pu ",),
        whole(
            r"(?:a|ont|aient|ait)\s+pu\s+(?:vous\s+)?(?:causer|occasionner|provoquer|entraîner|gêner|"
            r"engendrer|créer|ressentir|subir|vivre|rencontrer|constater|percevoir|éprouver)"
        ),
    ),
    Rule(
        "non_apology",
        ("qui",),
        whole(
            r"(?:ceux|celles|les personnes|ceux d'entre vous|les clients|les usagers)\s+qui\s+"
            r"(?:se\s+)?(?:seraient|serait|sentiraient|auraient|aurait|ont pu|pourraient)"
        ),
    ),
)
_FR_FEELINGS = (
    Rule(
        "non_apology_feelings",
        ("ressent",),
        whole(r"que vous (?:\w+\s+)?(?:ressentiez|ressentez|ayez ressenti|puissiez ressentir)"),
    ),
    Rule(
        "non_apology_feelings",
        ("sent", "impression"),
        whole(
            r"(?:vous|se|s')\s*(?:vous\s+)?(?:sentiez|sentez|sentent|sentaient|sentiraient|"
            r"(?:soyez|soient|soit|sont|est|seraient|serait)\s+sentie?s?|"
            r"sentie?s?|êtes\s+sentie?s?|"
            r"étiez\s+sentie?s?|ayez\s+eu\s+(?:le\s+sentiment|l'impression)|avez\s+eu\s+"
            r"(?:le\s+sentiment|l'impression)|ayez\s+l'impression|avez\s+l'impression)"
        ),
    ),
    Rule(
        "non_apology_feelings",
        ("vous",),
        whole(
            r"(?:que|si) vous (?:\w+\s+)?(?:soyez|êtes|étiez|ayez été|avez été|vous sentiez|"
            r"vous sentez|vous soyez sentie?s?|vous êtes sentie?s?)\s+(?:\w+\s+)?" + _FR_FEELING
        ),
    ),
    Rule(
        "non_apology_feelings",
        ("votre", "vos"),
        whole(r"(?:de|pour|sur)\s+(?:votre|vos)\s+(?:\w+\s+)?" + _FR_FEELING_NOUN),
    ),
    Rule(
        "non_apology_feelings",
        ("votre", "vos"),
        whole(r"regrett\w*\s+(?:votre|vos)\s+(?:\w+\s+)?" + _FR_FEELING_NOUN),
    ),
    Rule(
        "non_apology_feelings",
        ("ressent", "éprouv"),
        whole(r"ce que vous (?:ressentez|avez ressenti|éprouvez|avez éprouvé)"),
    ),
    Rule("non_apology_feelings", ("regrettons que vous",), whole(r"regrettons que vous")),
)
_FR_ALONE = (
    Rule(
        "non_apology",
        ("éventuel",),
        whole(
            r"(?:pour |de )?(?:la |cette )?(?:gêne|désagréments?|perturbations?) éventuel(?:le)?s?"
        ),
    ),
    Rule(
        "non_apology",
        ("éventuel",),
        whole(
            r"(?:d'|les |des |pour les )?éventuel(?:le)?s (?:gênes?|désagréments?|perturbations?)"
        ),
    ),
)

_SOURCES = {
    "en": (_EN_APOLOGY, _EN_HEDGED + _EN_FEELINGS, _EN_ALONE),
    "fr": (_FR_APOLOGY, _FR_HEDGED + _FR_FEELINGS, _FR_ALONE),
}


@cache
def _rules(language: str) -> tuple[str, Rules, Rules] | None:
    """The apology's words, the rules that need one (hedges, feelings), the set phrases."""
    sources = _SOURCES.get(language)
    if sources is None:
        return None
    apology, with_apology, alone = sources
    return apology, Rules(with_apology), Rules(alone)


@cache
def _apology(source: str) -> re.Pattern[str]:
    return re.compile(source, re.IGNORECASE)


# An apology word, cheaply: a clause without one of these skips the apology's regex.
_APOLOGY_CUES = ("sorry", "apolog", "regret", "désolé", "navré", "excus", "regrett", "pardon")


def find_non_apologies(language: str, text: str) -> Iterator[Finding]:
    """Each clause of ``text`` whose apology hedges the harm or apologises for feelings."""
    found_rules = _rules(language)
    if found_rules is None:
        return
    apology_source, with_apology, alone = found_rules
    for start, end in clauses(text):
        clause = text[start:end]
        lowered = clause.lower()
        found = None
        apology = None
        if any(cue in lowered for cue in _APOLOGY_CUES):
            apology = _apology(apology_source).search(clause)
        if apology is not None:
            for example, match in with_apology.finditer(clause):
                found = (
                    example,
                    min(match.start(), apology.start()),
                    max(match.end(), apology.end()),
                )
                break
        if found is None:
            for example, match in alone.finditer(clause):
                found = (example, match.start(), match.end())
                break
        if found is not None:
            example, a, b = found
            yield Finding("non_apology", start + a, start + b, example)
