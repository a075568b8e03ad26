"""The word lists of the wording checks: what a headline, an apology and promises look like in
French and in English, as patterns compiled when first used. (Blame, non-apologies and passive
evasion are constructions, judged by ``blame``, ``apologies`` and ``passives``.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache


class Language:
    """What a headline, an apology and promises look like in one language.

    Each pattern is compiled when a check first uses it: which ones a text needs depends on its
    status, severity and eta, and compiling them is most of this module's cost.
    """

    def __init__(self, **sources: str) -> None:
        self._sources = sources

    def __getattr__(self, name: str) -> re.Pattern[str]:
        try:
            source = self.__dict__["_sources"][name]
        except KeyError:
            raise AttributeError(name) from None
        pattern = re.compile(source, re.IGNORECASE)
        setattr(self, name, pattern)
        return pattern

    action: re.Pattern[str]
    when: re.Pattern[str]
    # A time the incident started ("since 8:10") says nothing about what comes next.
    since: re.Pattern[str]
    apology: re.Pattern[str]
    over_promise: re.Pattern[str]
    # What comes just before a time in the headline: news at that time, or the end by then.
    update_cue: re.Pattern[str]
    eta_cue: re.Pattern[str]
    # What a headline says at each stage, to tell one that says another stage than its status.
    cause_found: re.Pattern[str]
    repaired: re.Pattern[str]
    searching: re.Pattern[str]
    ongoing: re.Pattern[str]


def whole_words(*patterns: str) -> str:
    return r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)"


def _ending(*patterns: str) -> str:
    """Cue words that must end the text before a time (``...prévu vers`` + ``14h``)."""
    return r"(?<!\w)(?:" + "|".join(patterns) + r")\W*$"


# "back by 14:00", "rétabli vers 14h": an expected end, not a repair already done ("back in
# Lille", "revenue à Lens" are).
_EN_NOT_A_TIME = (
    r"(?!\s+(?:(?:by|around|at|from|before|within|in|on|after)\s+(?:about\s+|around\s+)?"
    r"(?:\d|noon|midday|midnight|tomorrow|tonight|the end|a few|[a-z]+day)"
    r"|soon|tomorrow|later|tonight|expected))"
)


_FR_NOT_A_TIME = (
    r"(?!\s+(?:(?:vers|à|avant|d'ici|pour|dans|dès)\s+(?:environ\s+)?"
    r"(?:\d|midi|minuit|demain|ce soir|cette nuit|la fin|quelques|[a-z]+di\b)"
    r"|demain|ce soir|cette nuit|en fin|prévue?s?|attendue?s?))"
)


def _not_before_a_time(not_a_time: str, *patterns: str) -> str:
    """Any of ``patterns`` not followed by a time: the long lookahead is compiled once, not once
    per pattern. (``whole_words`` tries alternatives in order; these start with other words than the
    rest of their list, so no two can match at one place and the order changes nothing.)"""
    return "(?:" + "|".join(patterns) + ")" + not_a_time


# Each language's patterns, compiled when a check on a text in that language first uses them:
# an incident in one language does not pay for the others'.
LANGUAGE_PATTERNS: dict[str, Callable[[], Language]] = {
    "en": lambda: Language(
        action=whole_words(
            r"we(?:'ve|'ll| have| will)",
            r"we(?:'re| are)(?!\s+(?:sorry|aware))",
            # "Our scientists are testing", "our staff is checking": whoever they are, ours at work.
            r"our [a-z]+ (?:are|is) (?:now |still |already )?[a-z]+ing",
            r"engineers?",
            r"crews?",
            r"teams?",
            r"technicians?",
            r"staff",
            r"(?<!not )(?<!n't )working",
            r"repair\w*",
            r"restor\w*",
            r"fix\w*",
            r"replac\w*",
            r"investigat\w*",
            r"monitor\w*",
            r"deliver\w*",
            r"distribut\w*",
            r"handing out",
            r"on site",
            r"on (?:the|their) way",
            r"under ?way",
            r"in progress",
        ),
        when=whole_words(
            r"\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)",
            r"\d{1,2}:\d{2}",
            r"\d+\s?(?:hours?|hrs?|minutes?|mins?|days?)",
            r"noon|midday|midnight|tonight|tomorrow|later today|end of (?:the )?day",
            r"expect\w*|estimated|within|until(?!\s+further\s+notice)",
            r"(?:next|further) update|more news|updates? every",
        ),
        since=whole_words(r"since\s+(?:about\s+|around\s+)?\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm)?"),
        apology=whole_words(r"sorry", r"apologi[sz]\w*", r"apolog(?:y|ies)", r"regret\w*"),
        # (A guarantee, "100 %", is an absolute promise at any status: ``promises``.)
        over_promise=whole_words(
            r"(?:fixed|back|restored|solved|sorted|working|repaired|resolved)\s+(?:\w+\s+){0,2}"
            r"(?:with)?in\s+(?:a few |just a few )?(?:minutes|moments)",
            r"in no time",
            r"(?:very )?shortly",
            r"imminent(?:ly)?",
            r"definitely",
            r"for sure",
        ),
        update_cue=_ending(
            r"(?:more )?news (?:by|at|before|around)",
            r"(?:next )?update (?:by|at|before|around)",
            r"update you (?:by|at|before|around)",
        ),
        eta_cue=_ending(
            r"back (?:by|around|at|from|before)",
            r"(?:restored|fixed|repaired|working|normal|open|running)(?: again)? "
            r"(?:by|around|at|from|before)",
            r"expect\w* (?:\w+ ){0,3}(?:by|around|at|from)",
            r"expected (?:back )?(?:by|around|at)",
            r"normal service (?:by|from|at)",
        ),
        cause_found=whole_words(
            r"(?:the )?cause (?:is |has been |was )?(?:now )?(?:found|identified|known)",
            r"(?:we|engineers?|crews?|teams?) (?:have |has )?(?:found|identified) (?:the|what)",
        ),
        repaired=whole_words(
            _not_before_a_time(
                _EN_NOT_A_TIME,
                r"(?:is|are|has been|have been|was|were) (?:now |fully )?"
                r"(?:fixed|restored|repaired|resolved|back)",
                r"back to normal",
                r"working (?:again|normally)",
            ),
            r"(?:we have|we've) (?:fixed|restored|repaired|resolved)",
            r"all clear",
        ),
        searching=whole_words(
            r"(?:we are|we're|engineers are|crews are|teams are) (?:still )?"
            r"(?:investigating|looking for)",
            r"cause (?:is )?(?:still )?(?:unknown|not (?:yet )?known)",
        ),
        ongoing=whole_words(
            r"still",
            r"ongoing",
            r"in progress",
            r"under ?way",
            r"currently",
            r"(?:we are|we're|engineers are|crews are|teams are) (?:still )?"
            r"(?:investigating|working|repairing|restoring|looking|fixing)",
            r"not (?:yet )?(?:fixed|restored|repaired|resolved)",
        ),
    ),
    "fr": lambda: Language(
        action=whole_words(
            r"nos (?:équipes|techniciens|agents|services|pompiers|intervenants)",
            # « Nos chimistes analysent » : les nôtres au travail, quel que soit leur métier.
            r"nos [a-zàâçéèêëîïôûùüÿœ]+ [a-zàâçéèêëîïôûùüÿœ]+ent",
            r"nous [a-zàâçéèêëîïôûùüÿœ]+ons",
            r"équipes?",
            r"techniciens?",
            r"répar\w*",
            r"rétabli\w*",
            r"interv(?:en|ien)\w*",
            r"remplac\w*",
            r"surveill\w*",
            r"distribu\w*",
            r"recherch\w*",
            r"travaill\w*",
            r"mobilisé\w*",
            r"remise en service",
            r"sur place",
        ),
        when=whole_words(
            r"\d{1,2}\s?h(?:\s?\d{2})?",
            r"\d{1,2}:\d{2}",
            r"\d+\s?(?:heures?|minutes?|min|jours?)",
            r"midi|minuit|ce soir|cette nuit|demain|cet après-midi|dans la (?:journée|soirée)",
            r"fin de (?:la )?journée|d'ici",
            r"prévu\w*|attendu\w*|estimé\w*",
            r"prochaine?",
            r"point toutes les",
        ),
        since=whole_words(
            r"depuis\s+(?:environ\s+)?\d{1,2}\s?h(?:\s?\d{2})?",
            r"depuis\s+\d{1,2}:\d{2}",
            r"24\s?h\s?/\s?24",
        ),
        apology=whole_words(r"désolée?s?", r"excus\w*", r"regrett\w*", r"pardon"),
        over_promise=whole_words(
            r"(?:rétabli|répar|résolu|revenu|retour|remis|réglé)\w*\s+(?:\w+\s+){0,2}"
            r"(?:en|d'ici|dans)\s+quelques\s+(?:minutes|instants)",
            r"sous peu",
            r"imminent\w*",
            r"à coup sûr",
            r"sans faute",
            r"très vite",
        ),
        update_cue=_ending(
            r"point (?:à|vers|avant)",
            r"prochain point (?:à|vers|avant|d'ici)",
            r"nouvelles (?:à|vers|avant|d'ici)",
            r"mise à jour (?:à|vers|avant|d'ici)",
        ),
        eta_cue=_ending(
            r"prévue? (?:vers|à|pour|avant|d'ici)",
            r"retour (?:\w+ ){0,3}(?:vers|à|avant|d'ici|pour)",
            r"rétabli\w* (?:\w+ ){0,2}(?:vers|à|avant|d'ici|pour)",
            r"réparée? (?:vers|à|avant|d'ici|pour)",
            r"de retour (?:vers|à|avant|d'ici)",
        ),
        cause_found=whole_words(
            r"(?:la )?cause (?:est |a été )?(?:maintenant )?(?:identifiée|trouvée|connue)",
            r"(?:nous avons|nos \w+ ont) (?:trouvé|identifié) (?:la cause|l'origine|ce qui)",
        ),
        repaired=whole_words(
            _not_before_a_time(
                _FR_NOT_A_TIME,
                r"(?:est|sont|a été|ont été) (?:de nouveau |enfin |bien )?"
                r"(?:rétablie?s?|réparée?s?|résolue?s?|revenue?s?|réglée?s?)",
                r"(?:est|sont) de retour",
                r"retour à la normale",
                r"(?:le )?(?:courant|service|réseau|trafic|gaz) (?:est )?revenu",
                r"(?:l')?eau (?:est )?revenue",
            ),
            r"c'est (?:terminé|fini|réglé|réparé)",
            r"fin de l'alerte",
        ),
        searching=whole_words(
            r"(?:nous |nos \w+ )?(?:cherchons|recherchons|cherchent|recherchent) "
            r"(?:encore |toujours )?(?:la cause|l'origine|la panne)",
            r"cause (?:est )?(?:encore |toujours )?(?:inconnue|pas encore connue|indéterminée)",
            r"nous enquêtons",
        ),
        ongoing=whole_words(
            r"en cours",
            r"toujours",
            r"actuellement",
            r"nous (?:cherchons|réparons|rétablissons|travaillons|intervenons)",
            r"nos \w+ (?:cherchent|réparent|rétablissent|travaillent|interviennent)",
            r"pas encore (?:rétabli|réparé|résolu|revenu)\w*",
        ),
    ),
}


@cache
def language_patterns(code: str) -> Language | None:
    """The patterns of ``code`` (``fr``, ``en``), or None for a language without them."""
    patterns = LANGUAGE_PATTERNS.get(code)
    return patterns() if patterns is not None else None
