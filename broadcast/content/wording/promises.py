"""Wording check on absolute promises: "guaranteed", "zero risk", "never again", « nous
garantissons », « plus jamais », "100 % safe", at any status and in any field.

Nobody in a crisis knows enough to promise an absolute: a guarantee broken (a second burst,
a repair that does not hold, a risk that was not zero after all) costs more trust than the
honest "we expect" ever would, whether the incident is under way, watched or over, and with an
eta or without. (A promise of a *time* without an eta is ``over_promise``, in ``tone``.) What
is kept honest is not flagged: "we cannot guarantee", « sans garantie », « nous ne pouvons pas
promettre ».
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from broadcast.content.wording.messages import EXAMPLES, LEVEL
from broadcast.content.wording.public_texts import public_texts, sentence_around
from broadcast.content.wording.texts import Says, Wording
from broadcast.content.wording.vocabulary import whole_words
from broadcast.problems import Problem

_SAFE_EN = (
    r"(?:safe|sure|certain|reliable|secure|risk[- ]free|guaranteed|fixed|resolved|clean|"
    r"drinkable|perfect|watertight|effective|flawless)"
)
_SAFE_FR = (
    r"(?:sûre?s?|sure?s?|certaine?s?|fiables?|sécurisée?s?|garantie?s?|sans risque|réglée?s?|"
    r"irréprochables?|parfaite?s?|potables?|saine?s?|propres?|efficaces?|étanches?)"
)

# What an absolute promise looks like, per language: a guarantee, a risk said to be none,
# a fault said never to come back, a certainty no one has.
_ABSOLUTE = {
    "en": whole_words(
        r"guarantee\w*",
        r"(?:we|i) (?:can )?promise",
        r"(?:zero|no) risk(?: at all| whatsoever)?",
        r"risk[- ]free",
        r"there is no (?:longer )?(?:any )?(?:risk|danger)",
        r"(?:absolutely|completely|simply) no (?:risk|danger)",
        r"(?:absolutely )?nothing (?:at all )?to (?:fear|worry about)",
        r"(?:completely|totally|perfectly|entirely|absolutely|fully) (?:safe|secure|risk[- ]free)",
        r"never (?:again|happen again|recur|be repeated)",
        r"(?:will|shall|can) never (?:\w+ )?(?:happen|occur|recur|fail|break)",
        r"(?:won't|will not|cannot|can't|can not) (?:ever )?happen again",
        r"(?:fixed|solved|gone|over|secure|safe|sorted|back) for good",
        r"(?:you have|we give you|on) our word",
        r"once and for all",
        r"permanently (?:fixed|solved|resolved|safe)",
        r"100 ?% " + _SAFE_EN,
        _SAFE_EN + r" (?:to )?100 ?%",
        r"with (?:absolute|total|complete) (?:certainty|confidence)",
        r"without (?:any )?doubt",
    ),
    "fr": whole_words(
        r"garanti\w*",
        r"nous (?:vous )?promettons",
        r"je vous (?:le )?promets",
        r"(?:vous avez|nous vous donnons) notre parole",
        r"(?:nous )?vous (?:l')?assurons",
        r"(?:risque|danger) zéro",
        r"zéro (?:risque|danger)",
        r"(?:plus )?aucun (?:risque|danger)",
        r"(?:ne )?risque(?:z|nt)? (?:absolument |plus |absolument plus |strictement )?rien",
        r"(?:absolument )?rien à craindre",
        r"plus jamais",
        r"ne (?:se )?(?:reproduira|produira|recommencera|arrivera) (?:plus|jamais)",
        r"(?:totalement|parfaitement|absolument|entièrement|complètement|100 ?%) " + _SAFE_FR,
        _SAFE_FR + r" à 100 ?%",
        r"définitivement (?:réglée?|résolue?|réparée?|corrigée?|sûre?)",
        r"une (?:bonne )?fois pour toutes",
        r"sans (?:aucun )?doute possible",
    ),
}


# Words just before that make it honest: "we cannot guarantee", « ne pouvons pas garantir ».
_DENIED = re.compile(
    r"(?<!\w)(?:not|n't|cannot|no one|nobody|unable to|impossible to|pas|ni|sans|personne ne|"
    r"impossible de|never)(?:\s+\S+){0,3}\s*$",
    re.IGNORECASE,
)


@cache
def _pattern(language: str) -> re.Pattern[str] | None:
    source = _ABSOLUTE.get(language)
    return re.compile(source, re.IGNORECASE) if source else None


def absolute_promises(says: Says, wording: Wording) -> Iterator[Problem]:
    """An absolute promise in any public text of one language, at any status: an error."""
    pattern = _pattern(wording.language)
    if pattern is None:
        return
    examples = EXAMPLES.get(wording.language, EXAMPLES["en"])
    for location, _, text in public_texts(wording):
        for match in pattern.finditer(text):
            before = text[max(0, match.start() - 40) : match.start()]
            if _DENIED.search(before):
                continue
            # A question ("Is it guaranteed...?") is what people ask, not what we promise.
            if sentence_around(text, match.start(), match.end()).endswith("?"):
                continue
            yield says(
                "absolute_promise",
                location,
                severity=LEVEL["absolute_promise"],
                found=" ".join(match.group().split()),
                example=examples["absolute_promise"],
            )
            break
