"""Wording checks: warnings that help comms staff word a crisis message people understand.

Preflight proves a message *can* be sent; these checks say whether it is *well worded*: does the
headline say what is being done and when people will hear more, is there an apology (a real one,
not "any inconvenience"), is the blame put on someone else, is the voice passive to hide who did
what, does it promise more than anyone knows, do its times agree with ``eta`` and
``next_update``, does the headline say the stage its status says (not "cause found" while
investigating, not "still" once resolved), are English times on one clock (not "2pm" beside
"16:00", nor the other clock than the messages'), is there a way in for people without internet,
are the sentences short, is it free of jargon, shouting and exclamation marks, and will the
organisation ask how it did. With the last version sent (from the ledger), two more: a resolved
or monitoring headline left as it was (an error: people would read the old situation), and a
translation left unchanged when its original changed.

They are heuristics on words, so they warn (``--strict`` turns warnings into errors); each names
the incident file, the line and the field, says why, and gives a better wording, in the file's
own language (``MESSAGES``). French and English have word lists; text in another language gets
the checks that need no vocabulary (sentence length, exclamation marks, capitals, the user's own
jargon, times, the ledger's checks).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from broadcast.content.render import DEFAULT_FULL_LOCALE, twelve_hour_clock
from broadcast.input.yamlfile import YamlDocument, dotted
from broadcast.problems import Problem

if TYPE_CHECKING:
    from broadcast.input.incident import Incident

DEFAULT_MAX_SENTENCE_WORDS = 25

# Words most readers would need explained, each with the plain wording to use instead. Matched as
# whole words or phrases, ignoring case. A term can be added (``jargon``) but not removed: if one
# of these is the plain word for your audience, say so to whoever maintains this list.
DEFAULT_JARGON: dict[str, dict[str, str]] = {
    "en": {
        "root cause": 'say what went wrong ("a cable was cut")',
        "rca": 'say "our review of what went wrong"',
        "post-mortem": 'say "our review of what went wrong"',
        "postmortem": 'say "our review of what went wrong"',
        "outage window": "say from when to when the service is off",
        "maintenance window": "say from when to when the service is off",
        "degraded performance": 'say what people notice ("slow", "some payments fail")',
        "degraded service": 'say what people notice ("slow", "some payments fail")',
        "service degradation": 'say what people notice ("slow", "some payments fail")',
        "latency": 'say "delays" or "slow"',
        "packet loss": 'say what people notice ("calls cut out")',
        "upstream provider": 'name the company, or say "our supplier"',
        "third-party provider": 'name the company, or say "our supplier"',
        "failover": 'say "we switched to a backup"',
        "rollback": 'say "we went back to the previous version"',
        "hotfix": 'say "a repair"',
        "mitigation": "say what you are doing",
        "remediation": "say what you are doing",
        "bgp": "say what people notice rather than the technology",
        "dns": "say what people notice rather than the technology",
        "api": "say what people notice rather than the technology",
        "backend": "say what people notice rather than the technology",
        "infrastructure": "say which equipment or place",
        "node": "say which equipment or place",
        "sla": "say what you promised your customers",
        "incident ticket": 'say "your report" or "your request"',
        "support ticket": 'say "your report" or "your request"',
        "eta": 'say "expected back by 2 pm"',
        "impacted": 'say "affected"',
    },
    "fr": {
        "incident réseau": (
            "dites ce que les gens constatent (« plus de courant », « plus d'internet »)"
        ),
        "incident d'exploitation": "dites ce qui s'est passé",
        "dégradation de service": "dites ce que les gens constatent (« lenteurs », « coupures »)",
        "service dégradé": "dites ce que les gens constatent (« lenteurs », « coupures »)",
        "mode dégradé": "dites ce que les gens constatent (« lenteurs », « coupures »)",
        "poste source": (
            "expliquez-le ou évitez-le (« le site qui alimente le quartier en électricité »)"
        ),
        "hta": "dites « ligne électrique », ou ce qui est coupé",
        "htb": "dites « ligne électrique », ou ce qui est coupé",
        "bt": "dites « ligne électrique », ou ce qui est coupé",
        "bascule": "dites « nous passons par une autre ligne » ou « par le secours »",
        "basculement": "dites « nous passons par une autre ligne » ou « par le secours »",
        "délestage": "expliquez-le (« des coupures organisées, quartier par quartier »)",
        "latence": "dites « lenteurs » ou « délais »",
        "ticket": "dites « votre demande » ou « votre signalement »",
        "sla": "dites ce que vous avez promis à vos clients",
        "gtr": "dites ce que vous avez promis à vos clients",
        "cause racine": "dites ce qui s'est passé (« un câble a été coupé »)",
        "correctif": "dites « une réparation »",
        "infrastructure": "dites quel équipement ou quel lieu",
        "impacté": "dites « touché »",
        "impactée": "dites « touchée »",
        "impactés": "dites « touchés »",
        "impactées": "dites « touchées »",
    },
}

# Words of 4+ capitals that are names or everyday acronyms, not shouting. Shorter words are never
# taken for shouting (SMS, EDF, ATM, URL are listed only to say they are fine). A word here that
# is also jargon (default or yours) is still reported as jargon.
ALLOWED_CAPITALS = frozenset(
    {
        # everyday acronyms
        "SMS", "ATM", "URL", "GPS", "COVID", "WIFI", "PDF", "TV",
        # organisations and services people know by their acronym
        "EDF", "GRDF", "SNCF", "RATP", "SAMU", "CAF", "EHPAD", "NHS", "BBC", "NATO", "OTAN",
        # laws and regulations often named in compensation text
        "RGPD", "GDPR",
    }
)  # fmt: skip

_USER_JARGON_HINT = {
    "en": "say it in plain words, as you would to a neighbour",
    "fr": "dites-le avec des mots simples, comme à un voisin",
}


# -- Messages, in the file's language ------------------------------------------------------
#
# Each check says why it matters and how to say it better, in the language the incident file is
# written in (French for a French file, English otherwise). ``{...}`` are filled in per warning.
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "action": (
            "the headline does not say what is being done; people first want to know "
            "someone is on it: add it, e.g. {example}"
        ),
        "when": (
            "the headline does not say when the end or the next update comes: add a time, "
            "e.g. {example}"
        ),
        "apology": (
            "the incident is {severity} and the text does not apologise: write an apology in "
            "your own words, e.g. {example} (without one, the messages use a generic sentence)"
        ),
        "long": (
            'the sentence starting "{start}…" has {count} words (more than {limit}): split '
            "it; short sentences are understood at once, even under stress"
        ),
        "jargon": '"{term}" is jargon for most readers: {hint}',
        "exclamation": (
            "remove the exclamation marks: in a crisis they sound alarming or offhand; say "
            "plainly what matters"
        ),
        "capitals": (
            "write {words} in lower case: capitals read as shouting and are harder to read "
            "(acronyms people know, such as SMS or SNCF, are fine)"
        ),
        "feedback": (
            "the incident is over but gives no feedback_url: add a link to a short form so "
            "people can say how well you kept them informed, and the organisation can "
            "evaluate how it communicated"
        ),
        "blame": (
            '"{found}" shifts the blame: people hold you responsible whoever caused it, and '
            "blaming someone else sounds like an excuse. Say what happened and what you do "
            "about it, e.g. {example}"
        ),
        "non_apology": (
            '"{found}" is not an apology: it doubts the harm ("any", "if") or hides who did '
            "it. Say plainly that you are sorry for what happened, e.g. {example}"
        ),
        "passive": (
            '"{found}" hides who did what: people read it as evasion. Say who, in the active '
            "voice, e.g. {example}"
        ),
        "over_promise": (
            '"{found}" promises more than anyone knows, and the incident gives no eta: a '
            "promise broken in a crisis costs more trust than the delay. Give a time you "
            "can keep (eta), or say you will tell them as soon as you know, e.g. {example}"
        ),
        "time_update": (
            "the headline says news comes at {said}, but next_update promises {promised}: "
            "the messages would say two different times. Make them the same (next_update: "
            "{said_iso} for a fixed time), or take the time out of the headline"
        ),
        "time_eta": (
            "the headline says {said}, but eta is {promised}: the messages would say two "
            "different end times. Make them the same, or take the time out of the headline"
        ),
        "time_no_eta": (
            "the headline gives an end time ({said}) but the incident has no eta, so the "
            "other messages say the end is not known yet. Add eta: {said_iso}, or take the "
            "time out of the headline"
        ),
        "unchanged": (
            "the incident is now {status} but the headline is word for word the one sent "
            "as {previous}: people would read the old situation again. Say where things "
            "stand now, e.g. {example}"
        ),
        "stale": (
            "{field} changed since the last version sent, but its {language} translation did "
            "not: {language} readers would get the old words. Update the translation too"
        ),
        "clock_mix": (
            'times are written two ways, "{twelve}" ({twelve_field}) and "{twentyfour}" '
            "({twentyfour_field}): readers stop to work out which clock is meant, and one "
            "message would carry both. Write them one way: {style}"
        ),
        "clock_locale": (
            '"{found}" is on the {written} clock, but the messages for {locale} readers write '
            "their own times on the {theirs} clock ({example}): one message would mix both. "
            'Write "{better}"'
        ),
        "contradiction": (
            'the incident is {status} but the headline says "{found}", which is another '
            "stage: people would not know which to believe. Say where things stand now, "
            "e.g. {example}, or change status if the situation has moved on"
        ),
        "offline": (
            "the incident is {level} and says nothing for people without internet: add "
            "offline with a free number, a radio station or a place to go, e.g. {example}"
        ),
        "signed": (
            "the incident is critical and the email is not signed by a person: add signed_by "
            "with a name and role people can hold to account, e.g. {example}"
        ),
    },
    "fr": {
        "action": (
            "la phrase essentielle ne dit pas ce qui est fait ; on veut d'abord savoir que "
            "quelqu'un s'en occupe : ajoutez-le, par exemple {example}"
        ),
        "when": (
            "la phrase essentielle ne dit pas quand viendra la fin ou le prochain point : "
            "ajoutez une heure, par exemple {example}"
        ),
        "apology": (
            "l'incident est {severity} et le texte ne présente pas d'excuses : écrivez-les avec "
            "vos mots, par exemple {example} (sans elles, les messages prennent une phrase "
            "toute faite)"
        ),
        "long": (
            "la phrase qui commence par « {start}… » a {count} mots (plus de {limit}) : "
            "coupez-la ; une phrase courte se comprend tout de suite, même sous le stress"
        ),
        "jargon": "« {term} » est du jargon pour la plupart des gens : {hint}",
        "exclamation": (
            "retirez les points d'exclamation : en pleine crise ils inquiètent ou paraissent "
            "désinvoltes ; dites simplement ce qui compte"
        ),
        "capitals": (
            "écrivez {words} en minuscules : les majuscules se lisent comme des cris et se "
            "lisent moins bien (les sigles connus comme SMS ou SNCF vont bien)"
        ),
        "feedback": (
            "l'incident est terminé mais ne donne pas de feedback_url : ajoutez le lien d'un "
            "court questionnaire, pour que chacun dise si vous l'avez bien informé et que "
            "l'organisation puisse évaluer sa communication"
        ),
        "blame": (
            "« {found} » rejette la faute : pour les gens, vous êtes responsable quelle que "
            "soit la cause, et accuser un autre sonne comme une excuse. Dites ce qui s'est "
            "passé et ce que vous faites, par exemple {example}"
        ),
        "non_apology": (
            "« {found} » n'est pas une excuse : cela met la gêne en doute (« éventuelle », "
            "« si ») ou cache qui est en cause. Dites simplement que vous êtes désolés de ce "
            "qui arrive, par exemple {example}"
        ),
        "passive": (
            "« {found} » cache qui a fait quoi : on le lit comme une esquive. Dites qui, à la "
            "voix active, par exemple {example}"
        ),
        "over_promise": (
            "« {found} » promet plus que ce que l'on sait, et l'incident ne donne pas d'eta : "
            "une promesse non tenue en pleine crise coûte plus de confiance que le retard. "
            "Donnez une heure que vous pouvez tenir (eta), ou dites que vous la donnerez dès "
            "que vous la saurez, par exemple {example}"
        ),
        "time_update": (
            "la phrase essentielle annonce des nouvelles à {said}, mais next_update promet "
            "{promised} : les messages diraient deux heures différentes. Mettez la même "
            "(next_update: {said_iso} pour une heure fixe), ou retirez l'heure de la phrase"
        ),
        "time_eta": (
            "la phrase essentielle dit {said}, mais eta est {promised} : les messages "
            "diraient deux heures de fin différentes. Mettez la même, ou retirez l'heure de "
            "la phrase"
        ),
        "time_no_eta": (
            "la phrase essentielle donne une heure de fin ({said}) mais l'incident n'a pas "
            "d'eta, et les autres messages disent que la fin n'est pas encore connue. Ajoutez "
            "eta: {said_iso}, ou retirez l'heure de la phrase"
        ),
        "unchanged": (
            "l'incident est maintenant {status} mais la phrase essentielle est mot pour mot "
            "celle envoyée en {previous} : on lirait encore l'ancienne situation. Dites où "
            "l'on en est, par exemple {example}"
        ),
        "stale": (
            "{field} a changé depuis la dernière version envoyée, mais pas sa traduction "
            "{language} : ses lecteurs recevraient les anciens mots. Mettez aussi la "
            "traduction à jour"
        ),
        "clock_mix": (
            "les heures sont écrites de deux façons, « {twelve} » ({twelve_field}) et "
            "« {twentyfour} » ({twentyfour_field}) : le lecteur se demande quelle horloge est "
            "la bonne, et un même message porterait les deux. Écrivez-les d'une seule façon : "
            "{style}"
        ),
        "clock_locale": (
            "« {found} » est écrit au format {written}, mais les messages pour les lecteurs "
            "{locale} donnent leurs propres heures au format {theirs} ({example}) : un même "
            "message mélangerait les deux. Écrivez « {better} »"
        ),
        "contradiction": (
            "l'incident est {status} mais la phrase essentielle dit « {found} », ce qui est "
            "une autre étape : on ne saurait plus quoi croire. Dites où l'on en est vraiment, "
            "par exemple {example}, ou changez le statut si la situation a avancé"
        ),
        "offline": (
            "l'incident est {level} et ne dit rien aux personnes sans internet : ajoutez "
            "offline avec un numéro gratuit, une radio ou un lieu où aller, par exemple "
            "{example}"
        ),
        "signed": (
            "l'incident est critical et le courriel n'est pas signé d'un nom : ajoutez "
            "signed_by avec le nom et la fonction d'une personne qui en répond, par exemple "
            "{example}"
        ),
    },
}

# The better wording each check suggests, in the language of the text it found fault with.
EXAMPLES: dict[str, dict[str, str]] = {
    "en": {
        "action": '"Engineers are repairing the main pipe"',
        "when": '"expected back by 14:00" or "more news at 11:30"',
        "apology": '"We are sorry for the trouble this is causing you."',
        "blame": '"A cable was cut during roadworks. Our engineers are repairing it."',
        "non_apology": '"We are sorry: we know this leaves you without water today."',
        "passive": '"We made a mistake in last night\'s update, and we are putting it right."',
        "over_promise": '"We will give you a time as soon as we know it; more news at 11:30."',
        "unchanged": '"Power is back in Lille and Roubaix since 13:20."',
        "offline": '"No internet? Call 0800 000 0000 free, or listen to BBC Radio Dale."',
        "signed": '"Sarah Okafor, Chief Executive"',
        "contradiction_investigating": '"We are looking for the cause; more news at 11:30."',
        "contradiction_identified": '"We know the cause and are repairing it; back by 14:00."',
        "contradiction_monitoring": '"Power is back; we are checking it holds. News at 15:00."',
        "contradiction_resolved": '"Power is back in Lille and Roubaix since 13:20."',
    },
    "fr": {
        "action": "« Nos techniciens réparent le câble »",
        "when": "« rétablissement prévu vers 14h » ou « prochain point à 11h30 »",
        "apology": "« Nous sommes désolés pour les difficultés que cela vous cause. »",
        "blame": "« Un câble a été coupé pendant des travaux. Nos techniciens le réparent. »",
        "non_apology": "« Nous sommes désolés : vous êtes sans eau aujourd'hui à cause de nous. »",
        "passive": "« Nous nous sommes trompés dans le message d'hier soir, et nous corrigeons. »",
        "over_promise": (
            "« Nous vous donnerons une heure dès que nous la connaîtrons ; point à 11h30. »"
        ),
        "unchanged": "« Le courant est revenu à Lille et Roubaix depuis 13h20. »",
        "offline": "« Sans internet, appelez le 0 800 000 000 (gratuit, 24h/24). »",
        "signed": "« Claire Martin, directrice d'Énergie Nord »",
        "contradiction_investigating": "« Nous cherchons la cause ; point à 11h30. »",
        "contradiction_identified": (
            "« La cause est trouvée, nos équipes réparent ; retour vers 14h. »"
        ),
        "contradiction_monitoring": (
            "« Le courant est revenu ; nous vérifions qu'il tient. Point à 15h. »"
        ),
        "contradiction_resolved": "« Le courant est revenu à Lille et Roubaix depuis 13h20. »",
    },
}


class _Language:
    """What a headline, an apology, blame, evasion and promises look like in one language.

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
    blame: re.Pattern[str]
    non_apology: re.Pattern[str]
    passive: re.Pattern[str]
    over_promise: re.Pattern[str]
    # What comes just before a time in the headline: news at that time, or the end by then.
    update_cue: re.Pattern[str]
    eta_cue: re.Pattern[str]
    # What a headline says at each stage, to tell one that says another stage than its status.
    cause_found: re.Pattern[str]
    repaired: re.Pattern[str]
    searching: re.Pattern[str]
    ongoing: re.Pattern[str]


def _words(*patterns: str) -> str:
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
    per pattern. (``_words`` tries alternatives in order; these start with other words than the
    rest of their list, so no two can match at one place and the order changes nothing.)"""
    return "(?:" + "|".join(patterns) + ")" + not_a_time


# Each language's patterns, compiled when a check on a text in that language first uses them:
# an incident in one language does not pay for the others'.
_LANGUAGE_PATTERNS: dict[str, Callable[[], _Language]] = {
    "en": lambda: _Language(
        action=_words(
            r"we(?:'ve|'ll| have| will)",
            r"we(?:'re| are)(?!\s+(?:sorry|aware))",
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
        when=_words(
            r"\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)",
            r"\d{1,2}:\d{2}",
            r"\d+\s?(?:hours?|hrs?|minutes?|mins?|days?)",
            r"noon|midday|midnight|tonight|tomorrow|later today|end of (?:the )?day",
            r"expect\w*|estimated|within|until(?!\s+further\s+notice)",
            r"(?:next|further) update|more news|updates? every",
        ),
        since=_words(r"since\s+(?:about\s+|around\s+)?\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm)?"),
        apology=_words(r"sorry", r"apologi[sz]\w*", r"apolog(?:y|ies)", r"regret\w*"),
        blame=_words(
            r"not (?:our|my) fault",
            r"no fault of (?:our|my) own",
            r"(?:beyond|outside) (?:our|my) control",
            r"due to (?:a |an )?third[- ]part(?:y|ies)",
            r"caused by (?:a |an |our )?(?:third[- ]party|supplier|provider|vendor|contractor|"
            r"subcontractor|partner)\w*",
            r"(?:the |our )?(?:supplier|provider|vendor|contractor|subcontractor|partner)'s fault",
            r"we are not (?:to blame|responsible)",
            r"(?:is|are) to blame",
            r"blame\w*",
        ),
        non_apology=_words(
            r"(?:regret|apologi[sz]e for|sorry for) any (?:inconvenience|disruption|trouble)",
            r"any inconvenience (?:this|that) may have caused",
            r"(?:sorry|apologi[sz]e) if",
            r"sorry (?:that )?you feel",
            r"mistakes were made",
            r"we regret that you",
        ),
        passive=_words(
            r"mistakes were made",
            r"(?:an? )?(?:error|errors|mistake|mistakes) (?:was|were|has been|have been) made",
            r"it (?:was|has been) decided",
            r"(?:was|were|has been|have been) (?:caused|introduced|triggered|made)(?! by)",
        ),
        over_promise=_words(
            r"guarantee\w*",
            r"(?:fixed|back|restored|solved|sorted|working|repaired|resolved)\s+(?:\w+\s+){0,2}"
            r"(?:with)?in\s+(?:a few |just a few )?(?:minutes|moments)",
            r"in no time",
            r"(?:very )?shortly",
            r"imminent(?:ly)?",
            r"100 ?%",
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
        cause_found=_words(
            r"(?:the )?cause (?:is |has been |was )?(?:now )?(?:found|identified|known)",
            r"(?:we|engineers?|crews?|teams?) (?:have |has )?(?:found|identified) (?:the|what)",
        ),
        repaired=_words(
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
        searching=_words(
            r"(?:we are|we're|engineers are|crews are|teams are) (?:still )?"
            r"(?:investigating|looking for)",
            r"cause (?:is )?(?:still )?(?:unknown|not (?:yet )?known)",
        ),
        ongoing=_words(
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
    "fr": lambda: _Language(
        action=_words(
            r"nos (?:équipes|techniciens|agents|services|pompiers|intervenants)",
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
        when=_words(
            r"\d{1,2}\s?h(?:\s?\d{2})?",
            r"\d{1,2}:\d{2}",
            r"\d+\s?(?:heures?|minutes?|min|jours?)",
            r"midi|minuit|ce soir|cette nuit|demain|cet après-midi|dans la (?:journée|soirée)",
            r"fin de (?:la )?journée|d'ici",
            r"prévu\w*|attendu\w*|estimé\w*",
            r"prochaine?",
            r"point toutes les",
        ),
        since=_words(
            r"depuis\s+(?:environ\s+)?\d{1,2}\s?h(?:\s?\d{2})?",
            r"depuis\s+\d{1,2}:\d{2}",
            r"24\s?h\s?/\s?24",
        ),
        apology=_words(r"désolée?s?", r"excus\w*", r"regrett\w*", r"pardon"),
        blame=_words(
            r"(?:ce n'est |c'est )?pas (?:de )?notre faute",
            r"n'est pas de notre fait",
            r"indépendante? de notre volonté",
            r"hors de notre (?:contrôle|portée)",
            r"la faute (?:de|du|des|à|au|aux) (?:notre |nos |un |une )?"
            r"(?:prestataire|fournisseur|sous-traitant|partenaire|tiers)\w*",
            r"(?:due?s?|dûe?s?|imputables?) à (?:un |une |des )?(?:tiers|prestataire|fournisseur|"
            r"sous-traitant|partenaire)\w*",
            r"à cause (?:de notre|d'un|d'une|du|des) (?:prestataire|fournisseur|sous-traitant|"
            r"partenaire|tiers)\w*",
            r"nous ne sommes pas (?:responsables|en cause)",
            r"nous n'y sommes pour rien",
        ),
        non_apology=_words(
            r"(?:pour |de )?(?:la |cette )?(?:gêne|désagréments?|perturbations?) "
            r"éventuel(?:le)?s?",
            r"(?:d'|les |des |pour les )?éventuel(?:le)?s (?:gênes?|désagréments?|perturbations?)",
            r"(?:pour )?tout désagrément",
            r"(?:désolée?s?|excusons|excuse) si",
            r"si vous avez été (?:gênée?s?|dérangée?s?|incommodée?s?)",
            r"regrettons que vous",
            r"des erreurs ont été commises",
        ),
        passive=_words(
            r"(?:des |une )?erreurs? (?:a|ont) été commises?",
            r"il a été décidé",
            r"(?:a|ont) été (?:causée?s?|provoquée?s?|déclenchée?s?)(?! par)",
        ),
        over_promise=_words(
            r"garanti\w*",
            r"(?:rétabli|répar|résolu|revenu|retour|remis|réglé)\w*\s+(?:\w+\s+){0,2}"
            r"(?:en|d'ici|dans)\s+quelques\s+(?:minutes|instants)",
            r"sous peu",
            r"imminent\w*",
            r"à coup sûr",
            r"100 ?%",
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
        cause_found=_words(
            r"(?:la )?cause (?:est |a été )?(?:maintenant )?(?:identifiée|trouvée|connue)",
            r"(?:nous avons|nos \w+ ont) (?:trouvé|identifié) (?:la cause|l'origine|ce qui)",
        ),
        repaired=_words(
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
        searching=_words(
            r"(?:nous |nos \w+ )?(?:cherchons|recherchons|cherchent|recherchent) "
            r"(?:encore |toujours )?(?:la cause|l'origine|la panne)",
            r"cause (?:est )?(?:encore |toujours )?(?:inconnue|pas encore connue|indéterminée)",
            r"nous enquêtons",
        ),
        ongoing=_words(
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
def _language(code: str) -> _Language | None:
    """The patterns of ``code`` (``fr``, ``en``), or None for a language without them."""
    patterns = _LANGUAGE_PATTERNS.get(code)
    return patterns() if patterns is not None else None


# Which stage a headline must not describe, per status: an incident under investigation has
# not found its cause nor fixed anything; one being repaired is not fixed; once fixed and
# watched, nobody is still looking for the cause; once resolved, nothing is still going on.
_CONTRADICTED_BY: dict[str, tuple[str, ...]] = {
    "investigating": ("cause_found", "repaired"),
    "identified": ("repaired",),
    "monitoring": ("searching",),
    "resolved": ("ongoing", "searching"),
}

# Published text: every field is read, and sentence length is measured where people read prose.
_TEXT_FIELDS = (
    "title",
    "headline",
    "affected",
    "summary",
    "actions",
    "apology",
    "compensation",
    "offline",
)
_PROSE_FIELDS = ("headline", "summary", "actions", "apology", "compensation", "offline")
# Where an apology may already be written when the apology field is empty.
_APOLOGY_IN = ("headline", "summary")
# Read for blame, non-apologies, passive evasion and over-promises: what the public reads.
_TONE_FIELDS = ("headline", "summary", "actions", "apology", "compensation")
# A headline unchanged from the last version is an error once the incident reaches these. (Not
# cancelled: a correction says what was wrong in its own words, ``correction``.)
_MOVED_ON = ("monitoring", "resolved")
# How a stale FAQ entry is named in the warning, in the file's language.
_FAQ_PART = {
    "en": {"q": "FAQ question {number}", "a": "the answer to FAQ question {number}"},
    "fr": {"q": "la question {number} de la FAQ", "a": "la réponse {number} de la FAQ"},
}
# Fields whose translation must follow a change (the ones the ledger's snapshot keeps).
_SNAPSHOT_FIELDS = _TEXT_FIELDS

# An English clock time: "2pm", "2:30 p.m.", "14:30", "08:10" (not "2.5 hours", not a phone).
_ENGLISH_CLOCK = re.compile(
    r"(?<![\w:/.])(?P<hour>[01]?\d|2[0-3])(?::(?P<minute>[0-5]\d))?"
    r"(?:\s?(?P<ampm>am|pm|a\.m\.|p\.m\.))?(?![\w:])",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_LETTERS = re.compile(r"[^\W\d_]+")
# A clock time as written in a headline: 14h, 14h30, 14:30, 2pm, 2:30 pm, noon, midi.
_CLOCK = re.compile(
    r"(?<![\w:/])(?:(?P<h24>[01]?\d|2[0-3])\s?h\s?(?P<m24>[0-5]\d)?"
    r"|(?P<hc>[01]?\d|2[0-3]):(?P<mc>[0-5]\d)(?:\s?(?P<apc>am|pm|a\.m\.|p\.m\.))?"
    r"|(?P<h12>1[0-2]|0?[1-9])(?:[.:](?P<m12>[0-5]\d))?\s?(?P<ap>am|pm|a\.m\.|p\.m\.)"
    r"|(?P<noon>noon|midday|midi)|(?P<midnight>midnight|minuit))(?!\w)",
    re.IGNORECASE,
)
# Two times within this are the same time said twice (a headline rounds: "vers 14h").
_SAME_TIME = timedelta(minutes=5)


class _Wording(NamedTuple):
    """The incident's text in one language, and where each field sits in the file."""

    language: str
    prefix: tuple[str | int, ...]
    fields: dict[str, str | None]
    faq: Sequence[Any]
    # The full locale its times are written in (a bare ``en`` is en_GB, as when rendering).
    locale: str = ""


def which_check(message: str) -> str | None:
    """The name of the check (a key of ``MESSAGES``) that wrote ``message``, in any language:
    how the catch rate of each check is counted."""
    for patterns in _message_patterns().values():
        for key, pattern in patterns:
            if pattern.fullmatch(message):
                return key
    return None


def _message_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{\w+\}", template)
    return re.compile(".*?".join(re.escape(part) for part in parts), re.DOTALL)


@cache
def _message_patterns() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    # Compiled on first use: a preview or a send never asks which check wrote a message.
    return {
        code: [(key, _message_pattern(text)) for key, text in texts.items()]
        for code, texts in MESSAGES.items()
    }


def wording_snapshot(incident: Incident) -> dict[str, Any]:
    """What the next version's checks compare with: status and texts, per language.

    The ledger keeps it with each version sent, so a later ``send`` can tell a headline left
    unchanged, or a translation that did not follow its original.
    """
    texts = {incident.language: _snapshot_texts(incident)}
    for code, translation in incident.translations.items():
        texts[code] = _snapshot_texts(translation)
    return {"status": incident.status, "language": incident.language, "texts": texts}


def _snapshot_texts(wording: Any) -> dict[str, Any]:
    texts: dict[str, Any] = {f: getattr(wording, f, None) for f in _SNAPSHOT_FIELDS}
    texts["faq"] = [{"q": entry.q, "a": entry.a} for entry in getattr(wording, "faq", None) or ()]
    return texts


def check_content(
    incident: Incident,
    doc: YamlDocument,
    jargon: Iterable[str] = (),
    max_sentence_words: int = DEFAULT_MAX_SENTENCE_WORDS,
    now: datetime | None = None,
    previous: dict[str, Any] | None = None,
) -> list[Problem]:
    """Warnings about the wording of ``incident``, in its language and in each translation.

    ``jargon`` adds the organisation's own terms to the default list of its language
    (``DEFAULT_JARGON``). ``now`` is when the messages go out (for the times a headline gives
    against ``next_update``); ``previous`` is the ``wording_snapshot`` of the last version
    sent, from the ledger (None when nothing was sent yet).

    Headline heuristic: it says *what is being done* when it has an action word or phrase
    ("nos équipes", "nous rétablissons", "réparation", "we are", "engineers", "restoring"...),
    and *when* people will hear more when it has a clock time (14h, 14:00, 2 pm), a duration
    (2 hours) or a word that announces one ("prévu", "prochaine", "expected", "next update",
    "tomorrow"...); a start time ("depuis 8h10", "since 5:30am") does not count. The headline
    of an ended incident is not asked for either: it is over.
    """
    if isinstance(jargon, str):
        jargon = [jargon]
    user_jargon = [term.strip() for term in jargon if term and term.strip()]
    says = _Says(incident, doc)
    problems: list[Problem] = []
    for wording in _wordings(incident, doc):
        problems.extend(
            _check_wording(incident, says, wording, user_jargon, max_sentence_words, now)
        )
    if incident.ended and not incident.feedback_url:
        problems.append(says("feedback", ("feedback_url",), fallback=("status",)))
    if incident.severity in ("major", "critical") and not incident.ended and not incident.offline:
        problems.append(
            says(
                "offline",
                ("offline",),
                fallback=("severity",),
                level=incident.severity,
                example=EXAMPLES[says.language]["offline"],
            )
        )
    if incident.severity == "critical" and not incident.signed_by:
        problems.append(
            says(
                "signed",
                ("signed_by",),
                fallback=("severity",),
                example=EXAMPLES[says.language]["signed"],
            )
        )
    if previous:
        problems.extend(_against_previous(incident, doc, says, previous))
    return problems


class _Says:
    """Builds a warning in the file's language, on a field's line."""

    def __init__(self, incident: Incident, doc: YamlDocument) -> None:
        language = incident.locale.replace("-", "_").split("_")[0].lower()
        self.language = language if language in MESSAGES else "en"
        self.doc = doc

    def __call__(
        self,
        key: str,
        location: tuple[str | int, ...],
        fallback: tuple[str | int, ...] | None = None,
        severity: str = "warning",
        **values: Any,
    ) -> Problem:
        message = MESSAGES[self.language][key].format(**values)
        problem = _warning(self.doc, location, message, fallback)
        return problem._replace(severity=severity) if severity != "warning" else problem


def _wordings(incident: Incident, doc: YamlDocument) -> Iterator[_Wording]:
    yield _Wording(
        language=incident.locale.replace("-", "_").split("_")[0].lower(),
        prefix=(),
        fields={name: getattr(incident, name, None) for name in _TEXT_FIELDS},
        faq=incident.faq,
        locale=_full_locale(incident.locale),
    )
    translations = getattr(incident, "translations", None) or {}
    for code, translation in translations.items():
        if translation is None:
            continue
        yield _Wording(
            language=str(code).replace("-", "_").split("_")[0].lower(),
            prefix=("translations", _yaml_key(doc, code)),
            fields={name: getattr(translation, name, None) for name in _TEXT_FIELDS},
            faq=getattr(translation, "faq", None) or (),
            locale=_full_locale(_yaml_key(doc, code)),
        )


def _yaml_key(doc: YamlDocument, code: str) -> str:
    """The key as written in the file (``en-GB``), for a translation the model files as ``en``."""
    written = doc.data.get("translations") if isinstance(doc.data, dict) else None
    if isinstance(written, dict):
        for key in written:
            if key == code or str(key).replace("-", "_").split("_")[0].lower() == code:
                return str(key)
    return str(code)


def _check_wording(
    incident: Incident,
    says: _Says,
    wording: _Wording,
    user_jargon: list[str],
    max_words: int,
    now: datetime | None,
) -> list[Problem]:
    problems: list[Problem] = []
    language = _language(wording.language)
    examples = EXAMPLES.get(wording.language, EXAMPLES["en"])
    fields = wording.fields
    at = wording.prefix

    if language is not None and not incident.ended and fields["headline"]:
        headline = _plain(fields["headline"])
        if not language.action.search(headline):
            problems.append(says("action", (*at, "headline"), example=examples["action"]))
        if not language.when.search(language.since.sub(" ", headline)):
            problems.append(says("when", (*at, "headline"), example=examples["when"]))
    if language is not None and fields["headline"]:
        problems.extend(_contradiction(incident, says, wording, language, examples))
    if wording.language == "en":
        problems.extend(_clock_styles(says, wording))

    if (
        language is not None
        and incident.severity in ("major", "critical")
        and not fields["apology"]
        and not any(language.apology.search(_plain(fields[name] or "")) for name in _APOLOGY_IN)
    ):
        problems.append(
            _warning(
                says.doc,
                (*at, "apology"),
                MESSAGES[says.language]["apology"].format(
                    severity=incident.severity, example=examples["apology"]
                ),
                fallback=None if at else ("severity",),
            )
        )

    if language is not None:
        problems.extend(_tone(incident, says, wording, language, examples))
    if fields["headline"] and not incident.ended:
        problems.extend(_times(incident, says, wording, now))

    texts: list[tuple[tuple[str | int, ...], str, bool]] = [
        ((*at, name), text, name in _PROSE_FIELDS) for name, text in fields.items() if text
    ]
    for index, entry in enumerate(wording.faq):
        texts.append(((*at, "faq", index, "q"), entry.q, False))
        texts.append(((*at, "faq", index, "a"), entry.a, True))

    jargon = _jargon_pattern(wording.language, tuple(user_jargon))
    for location, text, prose in texts:
        plain = _plain(text)
        if prose:
            problems.extend(_long_sentences(says, location, plain, max_words))
        found = _jargon_in(plain, jargon, wording.language, says.language)
        for term, hint in found.items():
            problems.append(says("jargon", location, term=term, hint=hint))
        if "!" in plain:
            problems.append(says("exclamation", location))
        shouted = _shouted(plain, {term.lower() for term in found})
        if shouted:
            quote = "« {} »" if says.language == "fr" else '"{}"'
            listed = ", ".join(quote.format(word) for word in shouted)
            problems.append(says("capitals", location, words=listed))
    return problems


def _tone(
    incident: Incident,
    says: _Says,
    wording: _Wording,
    language: _Language,
    examples: dict[str, str],
) -> Iterator[Problem]:
    """Blame, non-apologies, passive evasion, and promises nobody can keep without an eta."""
    checks = [
        ("non_apology", language.non_apology),
        ("blame", language.blame),
        ("passive", language.passive),
    ]
    if incident.eta is None and not incident.ended:
        checks.append(("over_promise", language.over_promise))
    for name in _TONE_FIELDS:
        text = wording.fields.get(name)
        if not text:
            continue
        plain = _plain(text)
        reported: list[tuple[int, int]] = []
        for key, pattern in checks:
            for match in pattern.finditer(plain):
                # One fault, one warning: "mistakes were made" is a non-apology, not twice.
                if any(match.start() < end and start < match.end() for start, end in reported):
                    continue
                reported.append(match.span())
                yield says(
                    key,
                    (*wording.prefix, name),
                    found=" ".join(match.group().split()),
                    example=examples[key],
                )


def _full_locale(written: str) -> str:
    locale = written.replace("-", "_")
    return locale if "_" in locale else DEFAULT_FULL_LOCALE.get(locale.lower(), locale)


def _clock_styles(says: _Says, wording: _Wording) -> Iterator[Problem]:
    """English times on the 12- and the 24-hour clock in the user's own text ("at 2pm ... by
    16:00"), or on the other clock than the one the messages write for the locale: either way
    one message would carry both."""
    found: dict[str, tuple[tuple[str | int, ...], str, tuple[int, int]]] = {}
    texts = [((*wording.prefix, name), text) for name, text in wording.fields.items() if text]
    for index, entry in enumerate(wording.faq):
        texts.append(((*wording.prefix, "faq", index, "q"), entry.q))
        texts.append(((*wording.prefix, "faq", index, "a"), entry.a))
    for location, text in texts:
        for match in _ENGLISH_CLOCK.finditer(text):
            style = "12" if match.group("ampm") else "24"
            hour, minute = int(match.group("hour")), int(match.group("minute") or 0)
            if style == "12":
                hour = hour % 12 + (12 if match.group("ampm").lower().startswith("p") else 0)
            elif not match.group("minute"):
                continue
            found.setdefault(style, (location, " ".join(match.group().split()), (hour, minute)))
    if not found:
        return
    theirs = "12" if twelve_hour_clock(wording.locale) else "24"
    fr = says.language == "fr"
    clock = {"12": "12-hour", "24": "24-hour"}
    if fr:
        clock = {"12": "12 h", "24": "24 h"}
    if len(found) == 2:
        (twelve_at, twelve, _), (day_at, day, _) = found["12"], found["24"]
        example = '"2:00 PM"' if theirs == "12" else '"14:00"'
        if fr:
            style = (
                f"au format {clock[theirs]} (« {example[1:-1]} »), comme les messages pour "
                f"les lecteurs {wording.locale} écrivent les leurs"
            )
        else:
            style = (
                f"the {clock[theirs]} clock ({example}), as the messages for {wording.locale} "
                "readers write theirs"
            )
        yield says(
            "clock_mix",
            twelve_at if theirs == "24" else day_at,  # the one on the other clock
            twelve=twelve,
            twelve_field=dotted(twelve_at),
            twentyfour=day,
            twentyfour_field=dotted(day_at),
            style=style,
        )
        return
    [(written, (location, text, (hour, minute)))] = found.items()
    if written == theirs:
        return
    if theirs == "24":
        better, example = f"{hour:02d}:{minute:02d}", "11:40"
    else:
        better = f"{hour % 12 or 12}:{minute:02d} {'AM' if hour < 12 else 'PM'}"
        example = "11:40 AM"
    yield says(
        "clock_locale",
        location,
        found=text,
        written=clock[written],
        theirs=clock[theirs],
        locale=wording.locale,
        example=example,
        better=better,
    )


def _contradiction(
    incident: Incident,
    says: _Says,
    wording: _Wording,
    language: _Language,
    examples: dict[str, str],
) -> Iterator[Problem]:
    """A headline that says another stage than the status ("cause found" while
    investigating, "still" once resolved): the status phrases would contradict it."""
    headline = _plain(wording.fields["headline"] or "")
    for stage in _CONTRADICTED_BY.get(incident.status, ()):
        match = getattr(language, stage).search(headline)
        if match:
            yield says(
                "contradiction",
                (*wording.prefix, "headline"),
                status=incident.status,
                found=" ".join(match.group().split()),
                example=examples[f"contradiction_{incident.status}"],
            )
            return


def _times(
    incident: Incident, says: _Says, wording: _Wording, now: datetime | None
) -> Iterator[Problem]:
    """A time in the headline that says otherwise than ``next_update`` or ``eta``."""
    headline = _plain(wording.fields["headline"] or "")
    language = _language(wording.language)
    location = (*wording.prefix, "headline")
    zone = incident.zone
    for match in _CLOCK.finditer(headline):
        said = _clock_of(match)
        if said is None:
            continue
        before = headline[max(0, match.start() - 40) : match.start()]
        cues = [language] if language is not None else [_language(c) for c in _LANGUAGE_PATTERNS]
        if any(cue.update_cue.search(before) for cue in cues):
            promised = incident.next_update_at(now) if now is not None else None
            if promised is None:
                continue
            if not _same_clock(said, promised.astimezone(zone)):
                yield says(
                    "time_update",
                    location,
                    said=match.group().strip(),
                    promised=_clock_text(promised.astimezone(zone), says.language),
                    said_iso=_iso_for(said, promised.astimezone(zone)),
                )
        elif any(cue.eta_cue.search(before) for cue in cues):
            if incident.eta is None:
                day = (now or incident.started_at).astimezone(zone)
                yield says(
                    "time_no_eta",
                    location,
                    said=match.group().strip(),
                    said_iso=_iso_for(said, day),
                )
            elif not _same_clock(said, incident.eta.astimezone(zone)):
                yield says(
                    "time_eta",
                    location,
                    said=match.group().strip(),
                    promised=_clock_text(incident.eta.astimezone(zone), says.language),
                )


def _clock_of(match: re.Match[str]) -> tuple[int, int] | None:
    """(hour, minute) of a clock time as written."""
    groups = match.groupdict()
    if groups["noon"]:
        return 12, 0
    if groups["midnight"]:
        return 0, 0
    if groups["h24"] is not None:
        return int(groups["h24"]), int(groups["m24"] or 0)
    if groups["hc"] is not None:
        hour = int(groups["hc"])
        if groups["apc"]:
            hour = hour % 12 + (12 if groups["apc"].lower().startswith("p") else 0)
        return hour, int(groups["mc"])
    if groups["h12"] is not None:
        hour = int(groups["h12"]) % 12 + (12 if groups["ap"].lower().startswith("p") else 0)
        return hour, int(groups["m12"] or 0)
    return None


def _same_clock(said: tuple[int, int], moment: datetime) -> bool:
    minutes = said[0] * 60 + said[1]
    other = moment.hour * 60 + moment.minute
    gap = min(abs(minutes - other), 24 * 60 - abs(minutes - other))
    return gap <= _SAME_TIME.total_seconds() // 60


def _clock_text(moment: datetime, language: str) -> str:
    if language == "fr":
        return f"{moment.hour}h{moment.minute:02d}" if moment.minute else f"{moment.hour}h"
    return f"{moment:%H:%M}"


def _iso_for(said: tuple[int, int], day: datetime) -> str:
    return f"{day:%Y-%m-%d} {said[0]:02d}:{said[1]:02d}"


def _against_previous(
    incident: Incident, doc: YamlDocument, says: _Says, previous: dict[str, Any]
) -> Iterator[Problem]:
    """What only the last version sent can tell: a headline left as it was once the situation
    moved on (an error), and a translation that did not follow its original."""
    before = previous.get("texts") or {}
    before_status = previous.get("status")
    now_texts = wording_snapshot(incident)["texts"]
    if incident.status in _MOVED_ON and before_status != incident.status:
        for code, fields in now_texts.items():
            old = (before.get(code) or {}).get("headline")
            if old and fields.get("headline") == old:
                at = () if code == incident.language else ("translations", _yaml_key(doc, code))
                examples = EXAMPLES.get(code, EXAMPLES["en"])
                yield says(
                    "unchanged",
                    (*at, "headline"),
                    severity="error",
                    status=incident.status,
                    previous=before_status,
                    example=examples["unchanged"],
                )
    original_now = now_texts.get(incident.language, {})
    original_before = before.get(previous.get("language") or incident.language) or {}
    for code, fields in now_texts.items():
        if code == incident.language or code not in before:
            continue
        for name in _SNAPSHOT_FIELDS:
            if (
                original_now.get(name)
                and original_before.get(name)
                and original_now.get(name) != original_before.get(name)
                and fields.get(name)
                and fields.get(name) == before[code].get(name)
            ):
                yield says(
                    "stale",
                    ("translations", _yaml_key(doc, code), name),
                    field=name,
                    language=code,
                )
        # The FAQ, entry by entry (a snapshot from before FAQs were kept has none to compare).
        entries = zip(
            original_now.get("faq") or (),
            original_before.get("faq") or (),
            fields.get("faq") or (),
            before[code].get("faq") or (),
            strict=False,
        )
        for index, (original, original_was, translated, translated_was) in enumerate(entries):
            for part in ("q", "a"):
                if (
                    original[part] != original_was[part]
                    and translated[part] == translated_was[part]
                ):
                    yield says(
                        "stale",
                        ("translations", _yaml_key(doc, code), "faq", index, part),
                        field=_FAQ_PART[says.language][part].format(number=index + 1),
                        language=code,
                    )


def _plain(text: str) -> str:
    """Typographic apostrophes as straight ones, so word lists need only one spelling."""
    return text.replace("\u2019", "'").replace("\u02bc", "'")


def _long_sentences(
    says: _Says, location: tuple[str | int, ...], text: str, max_words: int
) -> Iterator[Problem]:
    for sentence in _SENTENCE_END.split(text):
        count = _word_count(sentence)
        if count > max_words:
            start = " ".join(sentence.split()[:8])
            yield says("long", location, start=start, count=count, limit=max_words)


def _word_count(sentence: str) -> int:
    """Words with letters or digits; a run of numbers (0 800 000 000, 12 000) is one word."""
    count = 0
    in_number = False
    for token in sentence.split():
        if token.strip("()[],;:.").isdigit():
            count += not in_number
            in_number = True
        elif any(char.isalnum() for char in token):
            count += 1
            in_number = False
    return count


@lru_cache(maxsize=32)
def _jargon_pattern(language: str, user: tuple[str, ...]) -> re.Pattern[str] | None:
    terms = {*DEFAULT_JARGON.get(language, {}), *(term.lower() for term in user)}
    if not terms:
        return None
    # Longest first: a phrase that starts with another term ("node failure", "node") is
    # reported whole, not as the shorter term.
    ordered = sorted(terms, key=len, reverse=True)
    words = _words(*(r"\s+".join(map(re.escape, term.split())) for term in ordered))
    return re.compile(words, re.IGNORECASE)


def _jargon_in(
    text: str, pattern: re.Pattern[str] | None, language: str, file_language: str
) -> dict[str, str]:
    """Each jargon term in ``text`` (as written there) → the plain wording to use instead."""
    if pattern is None:
        return {}
    hints = DEFAULT_JARGON.get(language, {})
    fallback = _USER_JARGON_HINT.get(file_language, _USER_JARGON_HINT["en"])
    found: dict[str, str] = {}
    for match in pattern.finditer(text):
        written = " ".join(match.group().split())
        key = written.lower()
        if all(f.lower() != key for f in found):
            found[written] = hints.get(key, fallback)
    return found


def _shouted(text: str, jargon: set[str]) -> list[str]:
    words: list[str] = []
    for match in _LETTERS.finditer(text):
        word = match.group()
        if (
            len(word) >= 4
            and word.isupper()
            and word not in ALLOWED_CAPITALS
            and word.lower() not in jargon
            and word not in words
        ):
            words.append(word)
    return words


def _warning(
    doc: YamlDocument,
    location: tuple[str | int, ...],
    message: str,
    fallback: tuple[str | int, ...] | None = None,
) -> Problem:
    """A warning on ``location``; a field absent from the file points at ``fallback``'s line."""
    line = doc.lines.get(location)
    if line is None and fallback is not None and fallback in doc.lines:
        line = doc.lines[fallback]
    if line is None:
        line = doc.line_of(location)
    return Problem(message, doc.path, line, dotted(location), severity="warning")
