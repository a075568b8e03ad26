"""Passive evasion: an accountable act told in the passive voice, with nobody doing it.

"The valve was left open", « des erreurs ont pu être commises »: the reader asks *who*, and the
text will not say. The rule is grammatical, with the lexicon as data:

- a past passive: an auxiliary (was, were, has/have/had been, may/might/could have been; « a
  été », « ont été », « avait été », « a pu être », « fut ») and a past participle (English
  -ed/-en and the irregular ones, French -é, -i, -u, -is, -it, -ert, -eint...);
- of an act someone answers for: a decision ("it was decided", « il a été décidé »), a lapse
  (forgotten, omitted, overlooked, ignored, neglected, left open; oublié, omis, négligé, laissé
  ouvert), a duty not done ("residents were not informed", « la vanne n'a pas été vérifiée »), a
  mistake as the subject ("errors were made", « une erreur a été commise ») or an act done wrong
  ("wrongly sent", « envoyé par erreur », « mal réglé », anything "mis-");
- with no agent after it in the clause ("by our night team", « par notre équipe »).

A passive of a state or a repair ("power has been restored", "the road is closed", « l'eau est
revenue ») is not an evasion: nobody is hiding, so those verbs are not in the lexicon. Present
tenses are left alone too: evasion is about what was done.

A tagger would find passives more widely, but none small and offline fits the preview's start-up
budget; these rules cost a few regular expressions compiled on first use.
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

# -- English ---------------------------------------------------------------------------------

_EN_AUX = (
    r"(?:was|were|(?:has|have|had)(?:\s+\w+ly)?\s+been|"
    r"(?:may|might|could|must|will|would|should|ought to)\s+have\s+been|"
    r"(?:seems?|seemed|appears?|appeared) to have been|got|had got)"
)
# "had not been", "wasn't": a negated auxiliary, for a duty not done.
_EN_NEG_AUX = (
    r"(?:(?:was|were)\s+(?:not|never)|wasn't|weren't|(?:has|have|had)\s+(?:not|never)\s+been|"
    r"(?:hasn't|haven't|hadn't)\s+been|(?:may|might|could|must)\s+not\s+have\s+been)"
)
_EN_ADVERBS = r"(?:(?:then|also|already|unfortunately|regrettably|sadly|simply|\w+ly)\s+){0,2}"
_EN_IRREGULAR = words(
    "made",
    "done",
    "taken",
    "given",
    "left",
    "sent",
    "put",
    "set",
    "kept",
    "told",
    "forgotten",
    "forgot",
    "overlooked",
    "missed",
    "let",
    "run",
    "shut",
    "cut",
    "brought",
    "built",
    "held",
    "chosen",
    "read",
    "written",
    "thrown",
    "shown",
    "known",
    "seen",
    "begun",
    "paid",
    "sold",
    "lost",
    "meant",
    "spent",
    "dealt",
    "drawn",
    "undone",
    "overseen",
    "mistaken",
)
_EN_PARTICIPLE = r"(?:" + _EN_IRREGULAR + r"|[a-z]+(?:ed|en))"
# A decision or a judgement.
_EN_DECIDED = words(
    "decided",
    "agreed",
    "chosen",
    "judged",
    "deemed",
    "felt",
    "thought",
    "assumed",
    "considered",
    "concluded",
    "determined",
    "believed",
    "approved",
    "authori[sz]ed",
    "allowed",
    "permitted",
)
# A lapse: the act itself is a failure to act.
_EN_LAPSE = words(
    "forgotten",
    "forgot",
    "omitted",
    "overlooked",
    "neglected",
    "ignored",
    "disregarded",
    "missed",
    "skipped",
    "underestimated",
    "rushed",
    "botched",
    "bungled",
    "mishandled",
    "cut short",
    "hurried",
    "overestimated",
    "mis-?[a-z]{3,}",
)
# Left in a state somebody should not have left it in ("left without power" is a fact).
_EN_LEFT_IN = words(
    "open",
    "on",
    "running",
    "unattended",
    "unlocked",
    "unsecured",
    "unchecked",
    "switched on",
    "turned on",
    "in place",
    "behind",
    "exposed",
    "unguarded",
    "unsupervised",
    "untreated",
    "unrepaired",
    "unpatched",
    "out of date",
    "undone",
    "unfinished",
    "connected",
    "disconnected",
    "unplugged",
    "plugged in",
    "off",
)
# A duty: done, nobody needs naming; not done, somebody did not do it.
_EN_DUTY = words(
    "checked",
    "tested",
    "inspected",
    "informed",
    "notified",
    "warned",
    "told",
    "followed",
    "applied",
    "updated",
    "maintained",
    "serviced",
    "secured",
    "locked",
    "replaced",
    "carried out",
    "done",
    "respected",
    "flushed",
    "monitored",
    "reported",
    "passed on",
    "escalated",
    "communicated",
    "renewed",
    "verified",
    "signed off",
    "backed up",
    "patched",
    "acted on",
    "isolated",
    "briefed",
    "trained",
    "consulted",
    "evacuated",
    "shut (?:off|down)",
    "switched off",
    "turned off",
    "taken seriously",
    "heeded",
    "fixed",
    "cleaned",
    "read",
)
_EN_WRONGLY_WORDS = lexicon(
    "wrongly, mistakenly, incorrectly, accidentally, inadvertently, erroneously, "
    "unintentionally, improperly, carelessly, negligently, badly, poorly"
)
_EN_WRONGLY = _EN_WRONGLY_WORDS.source
_EN_AFTER_WRONGLY = words(
    "in error",
    "by mistake",
    "by accident",
    "wrongly",
    "incorrectly",
    "without (?:first |being |having )?(?:checking|checked|authori[sz]ation|approval|permission|"
    "testing|tested|telling|warning|consulting|informing|notifying)",
)
_EN_MISTAKE = words(
    "errors?",
    "mistakes?",
    "misjudge?ments?",
    "oversights?",
    "lapses?",
    "slips?",
    "blunders?",
    "miscalculations?",
    "(?:wrong|incorrect|erroneous|mistaken) [\\w-]+",
    "(?:bad|poor|faulty) (?:decisions?|choices?|calls?|judge?ments?|settings?|"
    "instructions?|information|figures?|advice|data)",
)

# Cues shared by several rules below (see clauses.Rule).
_EN_AUX_CUES = ("was", "were", "been", "got")
_FR_AUX_CUES = ("été", "être", "fut", "furent")


_EN = (
    Rule(
        "passive",
        (
            "it was",
            "it has",
            "it had",
            "it may",
            "it might",
            "it could",
            "it must",
            "it will",
            "it would",
            "it seem",
            "it appear",
            "it got",
        ),
        whole(
            r"it\s+"
            + _EN_AUX
            + r"\s+"
            + _EN_ADVERBS
            + _EN_DECIDED
            + r"(?=\s+(?:that|to|not|we|on))"
        ),
        also=_EN_AUX_CUES,
    ),
    Rule(
        "passive",
        (
            "forg",
            "omit",
            "overlook",
            "neglect",
            "ignor",
            "disregard",
            "missed",
            "skipped",
            "underestim",
            "overestim",
            "mis",
            "left",
            "rush",
            "botch",
            "bungl",
            "hurri",
            "cut short",
        ),
        whole(
            _EN_AUX
            + r"\s+"
            + _EN_ADVERBS
            + r"(?:"
            + _EN_LAPSE
            + r"|left\s+(?:\w+\s+)?"
            + _EN_LEFT_IN
            + r"(?!\w)"
            + r")"
        ),
        also=_EN_AUX_CUES,
    ),
    Rule(
        "passive",
        ("not", "never", "n't"),
        whole(
            r"(?:"
            + _EN_AUX
            + r"\s+(?:never|not)|"
            + _EN_NEG_AUX
            + r")\s+"
            + _EN_ADVERBS
            + r"(?:properly\s+|fully\s+)?"
            + _EN_DUTY
        ),
        also=_EN_AUX_CUES,
    ),
    Rule(
        "passive",
        _EN_WRONGLY_WORDS.cues,
        whole(_EN_AUX + r"\s+" + _EN_WRONGLY + r"\s+" + _EN_PARTICIPLE),
        also=_EN_AUX_CUES,
    ),
    Rule(
        "passive",
        ("in error", "by mistake", "by accident", "wrong", "incorrect", "without"),
        whole(
            _EN_AUX
            + r"\s+"
            + _EN_ADVERBS
            + _EN_PARTICIPLE
            + r"\s+(?:\w+\s+){0,3}?"
            + _EN_AFTER_WRONGLY
        ),
        also=_EN_AUX_CUES,
    ),
    Rule(
        "passive",
        ("decision", "choice", "the call"),
        whole(r"(?:decisions?|choices?|the call)\s+(?:\w+\s+)?" + _EN_AUX + r"\s+(?:made|taken)"),
        also=_EN_AUX_CUES,
    ),
    Rule(
        "passive",
        (
            "error",
            "mistake",
            "misjudg",
            "oversight",
            "lapse",
            "slip",
            "blunder",
            "erroneous",
            "miscalc",
            "wrong",
            "bad ",
            "poor ",
            "incorrect",
            "faulty",
        ),
        whole(
            _EN_MISTAKE
            + r"\s+(?:[\w'-]+\s+){0,4}?"
            + _EN_AUX
            + r"\s+"
            + _EN_ADVERBS
            + _EN_PARTICIPLE
        ),
        also=_EN_AUX_CUES,
    ),
    # Any act not done when it should have been: "was not isolated before digging began".
    Rule(
        "passive",
        ("not", "never", "n't"),
        whole(
            r"(?:"
            + _EN_AUX
            + r"\s+(?:never|not)|"
            + _EN_NEG_AUX
            + r")\s+"
            + _EN_PARTICIPLE
            + r"\s+(?:\w+\s+)?(?:before|until|in time|beforehand|first|as required|on time|"
            r"as planned|as it should)"
        ),
        also=_EN_AUX_CUES,
    ),
    # What should have been done and was not: "should have been replaced years ago".
    Rule(
        "passive",
        ("should have", "ought to have"),
        whole(r"(?:should|ought to)\s+have\s+been\s+" + _EN_ADVERBS + _EN_PARTICIPLE),
        also=_EN_AUX_CUES,
    ),
    # A passive, then what was not done after it: "was disabled ... and never reactivated".
    Rule(
        "passive",
        ("never", "not"),
        whole(
            _EN_AUX
            + r"\s+"
            + _EN_ADVERBS
            + _EN_PARTICIPLE
            + r"\s+(?:[\w'-]+\s+){0,5}?and\s+(?:then\s+)?(?:never|not)\s+"
            + _EN_PARTICIPLE
        ),
        also=_EN_AUX_CUES,
    ),
)
# "by our crews", "by Northgrid": the agent is named. "by mistake", "by 6 pm", "by phone" are not
# agents.
_EN_AGENT = (
    r"(?<!\w)by\s+(?!(?:mistake|error|accident|chance|default|hand|phone|email|e-mail|text|sms|"
    r"post|letter|the time|then|now|noon|midday|midnight|tonight|tomorrow|\d|about|around|up to|"
    r"far|a margin)\b)\w"
)

# -- French ----------------------------------------------------------------------------------

_FR_AUX = (
    r"(?:(?:a|ont|avait|avaient|aurait|auraient|avons|avions|aura|auront)\s+(?:\w+ment\s+)?"
    r"(?:pu\s+|dû\s+)?été|"
    r"(?:a|ont|avait|avaient|aurait|auraient)\s+(?:pu|dû)\s+être|fut|furent|"
    r"(?:a|ont|aurait|auraient)\s+(?:sans doute|peut-être|probablement)\s+été)"
)
_FR_NEG_AUX = (
    r"(?:n'(?:a|ont|avait|avaient|aurait|auraient)\s+(?:pas|jamais|pas toujours|pas assez)\s+été|"
    r"ne\s+(?:fut|furent)\s+pas)"
)
_FR_ADVERBS = (
    r"(?:(?:malheureusement|hélas|aussi|alors|déjà|ensuite|sans doute|peut-être|probablement)"
    r"\s+){0,2}"
)
_FR_PARTICIPLE = r"[a-zàâçéèêëîïôûùüÿœ'-]+(?:ée?s?|ie?s?|ue?s?|ise?s?|ite?s?|erte?s?|einte?s?)"
_FR_DECIDED = words(
    "décidée?s?",
    "convenue?s?",
    "jugée?s?",
    "estimée?s?",
    "choisie?s?",
    "retenue?s?",
    "considérée?s?",
    "actée?s?",
    "arbitrée?s?",
    "préférée?s?",
    "validée?s?",
    "autorisée?s?",
)
_FR_LAPSE = words(
    "oubliée?s?",
    "omise?s?",
    "négligée?s?",
    "ignorée?s?",
    "commise?s?",
    "sous-estimée?s?",
    "surestimée?s?",
    "sous-évaluée?s?",
    "mal [a-zàâçéèêëîïôûùüÿœ'-]+(?:ée?s?|ie?s?|ue?s?|ise?s?|ite?s?|erte?s?|einte?s?)",
)
_FR_LEFT_IN = words(
    "ouverte?s?",
    "allumée?s?",
    "branchée?s?",
    "débranchée?s?",
    "sans surveillance",
    "en place",
    "sans contrôle",
    "de côté",
    "en l'état",
    "en marche",
    "en service",
    "déverrouillée?s?",
    "sans protection",
)
_FR_DUTY = words(
    "vérifiée?s?",
    "contrôlée?s?",
    "testée?s?",
    "inspectée?s?",
    "informée?s?",
    "prévenue?s?",
    "avertie?s?",
    "alertée?s?",
    "suivie?s?",
    "appliquée?s?",
    "mise?s? à jour",
    "entretenue?s?",
    "respectée?s?",
    "signalée?s?",
    "transmise?s?",
    "effectuée?s?",
    "faite?s?",
    "relevée?s?",
    "surveillée?s?",
    "sécurisée?s?",
    "verrouillée?s?",
    "purgée?s?",
    "réalisée?s?",
    "remontée?s?",
    "prise?s? en compte",
    "prise?s? au sérieux",
    "isolée?s?",
    "consultée?s?",
    "formée?s?",
    "évacuée?s?",
    "coupée?s?",
    "lue?s?",
    "nettoyée?s?",
    "sauvegardée?s?",
)
_FR_WRONGLY_WORDS = lexicon(
    "par erreur, à tort, par mégarde, par inadvertance, malencontreusement, "
    "involontairement, accidentellement, maladroitement, "
    "sans (?:avoir )?(?:vérifi\\w+|contrôl\\w+|test\\w+|prévenir|prévenu|consulter|consulté), "
    "sans vérification, sans contrôle, sans autorisation"
)
_FR_WRONGLY = _FR_WRONGLY_WORDS.source
# What was done, when nothing was: « aucune mesure n'a été prise ».
_FR_ACT_DONE = words(
    "faite?s?",
    "effectuée?s?",
    "réalisée?s?",
    "prise?s?",
    "menée?s?",
    "donnée?s?",
    "envoyée?s?",
    "transmise?s?",
    "lancée?s?",
    "déclenchée?s?",
    "diffusée?s?",
    "programmée?s?",
    "prévue?s?",
)
_FR_MISTAKE = words(
    "erreurs?",
    "fautes?",
    "oublis?",
    "négligences?",
    "maladresses?",
    "imprudences?",
    "bévues?",
    "manquements?",
    "mauvaises? (?:décisions?|manœuvres?|manipulations?|appréciations?|informations?)",
    "mauvais (?:choix|réglages?|branchements?|chiffres?|calculs?|conseils?)",
    # « le mauvais fichier », « la mauvaise vanne »: the wrong one, whatever it is (not the
    # weather).
    "(?:le |la |les |un |une |des )(?:mauvaise?s?) (?!temps\\b|météo\\b)[\\w-]+",
    # « des données erronées »: the adjective after its noun.
    "[\\w-]+ (?:erronée?s?|fausses?|faux|incorrecte?s?|inexacte?s?)",
)
_FR = (
    Rule(
        "passive",
        ("il a été", "il avait été", "il aurait été", "il a pu", "il avait pu", "il aurait pu"),
        whole(
            r"il\s+"
            + r"(?:a|avait|aurait)\s+(?:pu\s+)?été\s+"
            + _FR_ADVERBS
            + _FR_DECIDED
            + r"(?:\s+\w+)?\s+(?:de|d'|que|qu')"
        ),
        also=_FR_AUX_CUES,
    ),
    Rule(
        "passive",
        ("oubli", "omis", "néglig", "ignor", "commis", "estim", "évalu", "mal ", "laiss"),
        whole(
            _FR_AUX
            + r"\s+"
            + _FR_ADVERBS
            + r"(?:"
            + _FR_LAPSE
            + r"|laissée?s?\s+(?:\w+\s+)?"
            + _FR_LEFT_IN
            + r")"
        ),
        also=_FR_AUX_CUES,
    ),
    Rule(
        "passive",
        ("pas été", "jamais été", "ne fut", "ne furent", "pas toujours été", "pas assez été"),
        whole(_FR_NEG_AUX + r"\s+(?:correctement\s+|bien\s+|suffisamment\s+)?" + _FR_DUTY),
        also=_FR_AUX_CUES,
    ),
    Rule(
        "passive",
        _FR_WRONGLY_WORDS.cues,
        whole(_FR_AUX + r"\s+" + _FR_WRONGLY + r"\s+" + _FR_PARTICIPLE),
        also=_FR_AUX_CUES,
    ),
    Rule(
        "passive",
        _FR_WRONGLY_WORDS.cues,
        whole(
            _FR_AUX + r"\s+" + _FR_ADVERBS + _FR_PARTICIPLE + r"\s+(?:\w+\s+){0,3}?" + _FR_WRONGLY
        ),
        also=_FR_AUX_CUES,
    ),
    Rule(
        "passive",
        ("décision", "choix"),
        whole(
            r"(?:décisions?|choix)\s+(?:\w+\s+)?" + _FR_AUX + r"\s+(?:prise?s?|faite?s?|arrêtée?s?)"
        ),
        also=_FR_AUX_CUES,
    ),
    Rule(
        "passive",
        (
            "erreur",
            "faute",
            "oubli",
            "négligence",
            "maladresse",
            "imprudence",
            "bévue",
            "manquement",
            "mauvais",
            "erroné",
            "fausse",
            "faux",
            "incorrect",
            "inexact",
        ),
        whole(
            _FR_MISTAKE
            + r"\s+(?:[\w'-]+\s+){0,4}?"
            + r"(?:"
            + _FR_AUX
            + r"|(?:est|sont)\s+(?:peut-être\s+)?)"
            + r"\s+"
            + _FR_ADVERBS
            + _FR_PARTICIPLE
        ),
        also=_FR_AUX_CUES,
    ),
    # « Aucune vérification n'a été faite »: nothing done, by nobody. The participle is an act
    # someone owed (done, sent, checked), not harm suffered (« aucun voyageur n'a été blessé »
    # is good news, not an evasion).
    Rule(
        "passive",
        ("aucun", "rien", "nul"),
        whole(
            r"(?:aucune?|rien|nulle?)\s+(?:[\w'-]+\s+){0,3}?n'(?:a|ont|avait|avaient|aurait)\s+"
            r"(?:pu\s+)?été\s+(?:" + _FR_DUTY + r"|" + _FR_ACT_DONE + r")"
        ),
        also=_FR_AUX_CUES,
    ),
    Rule(
        "passive",
        ("pas été", "jamais été", "ne fut", "ne furent"),
        whole(
            _FR_NEG_AUX
            + r"\s+"
            + _FR_PARTICIPLE
            + r"\s+(?:\w+\s+)?(?:avant|à temps|au préalable|comme prévu|correctement|"
            r"dans les temps)"
        ),
        also=_FR_AUX_CUES,
    ),
    # Ce qui aurait dû être fait : « aurait dû être remplacée ».
    Rule(
        "passive",
        ("dû être",),
        whole(r"(?:aurai(?:en)?t|avai(?:en)?t)\s+dû\s+être\s+" + _FR_PARTICIPLE),
        also=_FR_AUX_CUES,
    ),
)
_FR_AGENT = (
    r"(?<!\w)par\s+(?!(?:erreur|mégarde|inadvertance|accident|précaution|sécurité|prudence|"
    r"endroits|moments|sms|courrier|téléphone|mail|courriel|an|jour|heure|semaine|mois|ailleurs|"
    r"exemple|conséquent|contre|rapport|la suite|défaut|\d)\b)\w"
)

_SOURCES = {
    "en": (_EN, _EN_AGENT),
    "fr": (_FR, _FR_AGENT),
}


@cache
def _rules(language: str) -> tuple[Rules, str] | None:
    sources = _SOURCES.get(language)
    if sources is None:
        return None
    rules, agent = sources
    return Rules(rules), agent


def find_passives(language: str, text: str) -> Iterator[Finding]:
    """Each accountable act in ``text`` told in the passive with no one doing it."""
    found = _rules(language)
    if found is None:
        return
    rules, agent_source = found
    cued = rules.cued(text)
    if not cued:
        return
    agent = _agent(agent_source)
    for start, end in clauses(text):
        clause = text[start:end]
        for match in (match for _, pattern in cued for match in pattern.finditer(clause)):
            if agent.search(clause, match.end()):
                continue  # "the valve was left open by our night team": someone is named
            yield Finding("passive", start + match.start(), start + match.end(), "passive")


@cache
def _agent(source: str) -> re.Pattern[str]:
    return re.compile(source, re.IGNORECASE)
