"""What each wording check says, in the language the incident file is written in, and how much
it weighs.

Each check says why it matters and how to say it better (``MESSAGES``), with a better wording in
the language of the text it found fault with (``EXAMPLES``), at its level (``LEVEL``: an error
blocks a send unless overridden with ``--accept-wording``; a warning is shown). ``which_check``
reads a warning back to the check that wrote it.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

# -- Levels --------------------------------------------------------------------------------
#
# The one place a wording check's weight is declared. A check not listed is a warning: a
# heuristic on words shown to the sender, who decides. An error is what an expert would refuse
# to let out: people would act on a wrong or incomplete message. It blocks ``send`` (exit 2,
# nothing sent) unless the sender overrides it with ``--accept-wording "reason"``, recorded in
# the ledger; ``--strict`` makes every warning an error too.
LEVEL: dict[str, Literal["error", "warning"]] = {
    # A resolved or monitoring headline left word for word as sent: people read the old news.
    "unchanged": "error",
    # A hazard (declared or inferred) without the standard action that keeps people safe
    # (content.wording.safety_actions).
    "safety_action": "error",
    # A promise nobody can keep, a time moved unsaid, a fault said to persist once resolved, a
    # fact that differs between languages, a person's data in public text.
    "absolute_promise": "error",
    "moved_eta": "error",
    "moved_update": "error",
    "still_broken": "error",
    "translation_fact": "error",
    "personal_data": "error",
    # A critical incident whose texts never say what people must do (content.wording.completeness),
    # and a channel's text that lost it though the fields say it: people would not know.
    "complete_action": "error",
    "complete_text_action": "error",
}


def level_of(check: str) -> Literal["error", "warning"]:
    """The level of the check named ``check`` (a key of ``MESSAGES``): ``LEVEL``'s, else a
    warning."""
    return LEVEL.get(check, "warning")


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
            "blaming someone or something else sounds like an excuse. Say what happened and "
            "what you do about it, e.g. {example}"
        ),
        "non_apology": (
            '"{found}" is not an apology: it doubts the harm ("any", "if", "may have"), hides '
            "who did it, or is sorry for how people feel rather than for what happened. Say "
            "plainly that you are sorry for what happened, e.g. {example}"
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
        "complete_action": (
            "the incident is critical and goes on, but no text tells people what to do (not "
            "the headline, summary, affected, offline nor the FAQ's answers): say the action "
            "that keeps them safe or helps them, in plain words, e.g. {example}"
        ),
        "complete_text": (
            "what this channel carries ({template}) leaves out {missing}: its readers get "
            "this text and nothing more. Put it back in the template, or shorten what crowds "
            "it out"
        ),
        "complete_text_action": (
            "what this channel carries ({template}) does not tell people what to do, though "
            "the incident is critical and its fields say it: its readers get this text and "
            "nothing more. Say it in the headline or the offline line, which every channel "
            "carries, or put it back in the template"
        ),
        "signed": (
            "the incident is critical and the email is not signed by a person: add signed_by "
            "with a name and role people can hold to account, e.g. {example}"
        ),
        # -- tone: register and who speaks (issue 25) --
        "register": (
            '"{found}" is too light for a {level} incident: jokes, emoji, slang and breezy '
            "words read as not taking people's trouble seriously. Say it plainly, e.g. "
            "{example}"
        ),
        "who_speaks": (
            'the incident is critical and signed_by "{found}" names {what}, not someone who '
            "answers for what happens: people want to hear from the person accountable, as "
            "your sector names them ({roles}). Sign with that person's name and role, e.g. "
            "{example}"
        ),
        # -- facts: wording out of scale, acronyms, the action that keeps people safe (#25)
        "minimising": (
            '"{found}" makes light of it, but {facts}: people who read it as small take no '
            "precautions and feel misled later. Say plainly what happens, for how many and "
            "for how long, e.g. {example}"
        ),
        "alarmist": (
            '"{found}" sounds the alarm beyond what the facts say ({facts}): it frightens '
            "without telling anyone what to do. Say calmly what happens and what to do, "
            "e.g. {example}"
        ),
        "acronym": (
            '"{term}" is an acronym most readers do not know, and the text never spells it '
            'out: say what it is in plain words, or spell it out once ("Network Operations '
            'Centre (NOC)"). An acronym your public knows goes in content_checks: '
            "known_acronyms in channels.yaml"
        ),
        "safety_action": (
            "the incident carries a danger ({hazard}: {why}) but neither actions nor the "
            "headline says what keeps people safe from it. Write the standard protective "
            "action there (the headline reaches every channel, the SMS too), e.g. {missing}"
        ),
        # -- Promises, translations and personal data (promises, moved_times, still_broken,
        # translation_facts, personal_data) --
        "absolute_promise": (
            '"{found}" is an absolute promise: nobody in a crisis knows enough to guarantee '
            'it, and one broken guarantee costs more trust than any honest "we expect". Say '
            "what you know and what you are doing, e.g. {example}"
        ),
        "moved_eta": (
            "eta moved from {before} to {after} since the last version sent, but the text "
            "does not say that it moved, nor why: people who planned around {before} feel "
            "misled. Say it, with the reason, e.g. {example}"
        ),
        "moved_update": (
            "the next update was promised for {before} and is now {after}, but the text does "
            "not say that it moved, nor why: people waiting for news at {before} hear nothing. "
            "Say it, with the reason, e.g. {example}"
        ),
        "still_broken": (
            'the incident is {status} but {field} says "{found}": that the fault is still '
            "there. People would not know which to believe. Say where things stand now, "
            "e.g. {example}, or keep the status where it was"
        ),
        "translation_fact": (
            "the {language} translation of {field} says {theirs} where the original says "
            "{ours} ({kind}): one of them is wrong, and each reader would act on another "
            "fact. Make them say the same"
        ),
        "translation_gap": (
            "{field}: {has} says {facts} ({kind}) and {lacks} does not: its readers miss it. "
            "Say it in both"
        ),
        "translation_sentence": (
            "the {language} translation of {field} has {theirs} sentences where the original "
            "has {ours}, and is much {size}: a sentence seems to be missing. Translate all of it"
        ),
        "personal_data": (
            '{field} shows "{found}" ({kind}): personal data has no place in a public '
            "message, which anyone can read and forward. Take it out and give the "
            "organisation's own number or address instead, e.g. {example}"
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
            "soit la cause, et accuser un autre ou les circonstances sonne comme une excuse. "
            "Dites ce qui s'est passé et ce que vous faites, par exemple {example}"
        ),
        "non_apology": (
            "« {found} » n'est pas une excuse : cela met la gêne en doute (« éventuelle », "
            "« si », « aurait pu »), cache qui est en cause, ou s'excuse de ce que les gens "
            "ressentent plutôt que de ce qui s'est passé. Dites simplement que vous êtes "
            "désolés de ce qui arrive, par exemple {example}"
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
        "complete_action": (
            "l'incident est critical et dure encore, mais aucun texte ne dit aux gens quoi "
            "faire (ni la phrase essentielle, ni summary, affected, offline, ni les réponses de "
            "la FAQ) : dites le geste qui les protège ou les aide, avec des mots simples, par "
            "exemple {example}"
        ),
        "complete_text": (
            "ce que porte ce canal ({template}) laisse de côté {missing} : ses lecteurs "
            "reçoivent ce texte et rien d'autre. Remettez-le dans le modèle, ou raccourcissez "
            "ce qui le chasse"
        ),
        "complete_text_action": (
            "ce que porte ce canal ({template}) ne dit pas aux gens quoi faire, alors que "
            "l'incident est critical et que ses champs le disent : ses lecteurs reçoivent ce "
            "texte et rien d'autre. Dites-le dans la phrase essentielle ou la ligne offline, "
            "que tous les canaux portent, ou remettez-le dans le modèle"
        ),
        "signed": (
            "l'incident est critical et le courriel n'est pas signé d'un nom : ajoutez "
            "signed_by avec le nom et la fonction d'une personne qui en répond, par exemple "
            "{example}"
        ),
        # -- ton : registre et qui parle (issue 25) --
        "register": (
            "« {found} » est trop léger pour un incident {level} : plaisanteries, emoji, "
            "argot et mots désinvoltes donnent l'impression de ne pas prendre la gêne des gens "
            "au sérieux. Dites-le simplement, par exemple {example}"
        ),
        "who_speaks": (
            "l'incident est critical et signed_by « {found} » désigne {what}, pas quelqu'un "
            "qui répond de ce qui arrive : on veut entendre la personne responsable, celle que "
            "votre secteur désigne ({roles}). Signez de son nom et de sa fonction, par "
            "exemple {example}"
        ),
        # -- faits : mots hors de proportion, sigles, le geste qui protège (#25)
        "minimising": (
            "« {found} » minimise, alors que {facts} : qui le lit comme une broutille ne se "
            "protège pas et se sentira trompé ensuite. Dites simplement ce qui se passe, pour "
            "combien de personnes et pour combien de temps, par exemple {example}"
        ),
        "alarmist": (
            "« {found} » dramatise au-delà de ce que disent les faits ({facts}) : cela fait "
            "peur sans dire quoi faire. Dites calmement ce qui se passe et ce qu'il faut "
            "faire, par exemple {example}"
        ),
        "acronym": (
            "« {term} » est un sigle que la plupart des gens ne connaissent pas, et le texte "
            "ne l'explique nulle part : dites ce que c'est avec des mots simples, ou écrivez-le "
            "en toutes lettres une fois (« nœud de raccordement optique (NRO) »). Un sigle que "
            "votre public connaît va dans content_checks: known_acronyms de channels.yaml"
        ),
        "safety_action": (
            "l'incident comporte un danger ({hazard} : {why}) mais ni actions ni la phrase "
            "essentielle ne disent ce qui en protège les gens. Écrivez-y le geste de "
            "protection (la phrase essentielle va sur tous les canaux, SMS compris), par "
            "exemple {missing}"
        ),
        # -- Promesses, traductions et données personnelles (promises, moved_times,
        # still_broken, translation_facts, personal_data) --
        "absolute_promise": (
            "« {found} » est une promesse absolue : en pleine crise personne n'en sait assez "
            "pour la garantir, et une garantie non tenue coûte plus de confiance que tout "
            "« nous prévoyons » honnête. Dites ce que vous savez et ce que vous faites, par "
            "exemple {example}"
        ),
        "moved_eta": (
            "eta est passée de {before} à {after} depuis la dernière version envoyée, mais le "
            "texte ne dit pas qu'elle a changé, ni pourquoi : ceux qui s'étaient organisés "
            "pour {before} se sentent trompés. Dites-le, avec la raison, par exemple {example}"
        ),
        "moved_update": (
            "le prochain point était promis pour {before} et l'est maintenant pour {after}, "
            "mais le texte ne dit pas qu'il a changé, ni pourquoi : ceux qui attendent des "
            "nouvelles à {before} n'auront rien. Dites-le, avec la raison, par exemple {example}"
        ),
        "still_broken": (
            "l'incident est {status} mais {field} dit « {found} » : que la panne est toujours "
            "là. On ne saurait plus quoi croire. Dites où l'on en est, par exemple {example}, "
            "ou gardez le statut d'avant"
        ),
        "translation_fact": (
            "la traduction {language} de {field} dit {theirs} là où l'original dit {ours} "
            "({kind}) : l'une des deux se trompe, et chaque lecteur agirait sur un autre fait. "
            "Faites-leur dire la même chose"
        ),
        "translation_gap": (
            "{field} : {has} dit {facts} ({kind}) et {lacks} ne le dit pas : ses lecteurs "
            "ne le sauront pas. Dites-le dans les deux"
        ),
        "translation_sentence": (
            "la traduction {language} de {field} a {theirs} phrases là où l'original en a "
            "{ours}, et elle est bien plus {size} : une phrase semble manquer. Traduisez tout"
        ),
        "personal_data": (
            "{field} montre « {found} » ({kind}) : une donnée personnelle n'a pas sa place "
            "dans un message public, que chacun peut lire et faire suivre. Retirez-la et "
            "donnez le numéro ou l'adresse de l'organisation, par exemple {example}"
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
        # -- tone (issue 25) --
        "blame_people": '"Many homes lost water at 6 am. Our engineers are repairing the main."',
        "blame_weather": (
            '"Storm Ciara brought down 40 lines overnight; our crews are repairing them."'
        ),
        "non_apology_feelings": (
            '"We are sorry: you have had no water since 6 am, and that is on us."'
        ),
        "register": '"Engineers are repairing the main; water is expected back by 18:00."',
        "who_speaks": '"Sarah Okafor, Chief Executive"',
        "complete_action": '"Do not drink tap water; bottled water at the town hall from 14:00."',
        "contradiction_investigating": '"We are looking for the cause; more news at 11:30."',
        "contradiction_identified": '"We know the cause and are repairing it; back by 14:00."',
        "contradiction_monitoring": '"Power is back; we are checking it holds. News at 15:00."',
        "contradiction_resolved": '"Power is back in Lille and Roubaix since 13:20."',
        # -- facts (#25)
        "minimising": '"About 12,000 homes have no water; we expect it back by 20:00."',
        "alarmist": (
            '"The main road is closed after a landslide. Use the A61; buses run every 15 minutes."'
        ),
        # -- Promises, translations and personal data --
        "absolute_promise": '"We expect water back by 18:00 and will tell you if that changes."',
        "moved_eta": (
            '"Power is now expected back at 18:00, not 14:00 as we said this morning: the '
            'damaged cable is longer than we first thought."'
        ),
        "moved_update": (
            '"Our next update will be at 17:00 instead of 15:00, because the crews need '
            'daylight to inspect the line."'
        ),
        "still_broken": '"Power is back in every street since 13:20."',
        "personal_data": '"Call us free on 0800 000 0000."',
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
        # -- ton (issue 25) --
        "blame_people": "« Des foyers sont privés d'eau depuis 6h. Nos techniciens réparent. »",
        "blame_weather": "« La tempête a abattu 40 lignes cette nuit ; nos équipes les réparent. »",
        "non_apology_feelings": (
            "« Nous sommes désolés : vous êtes sans eau depuis 6h par notre faute. »"
        ),
        "register": "« Nos techniciens réparent la conduite ; retour de l'eau prévu vers 18h. »",
        "who_speaks": "« Claire Martin, directrice d'Énergie Nord »",
        "complete_action": (
            "« Ne buvez pas l'eau du robinet ; eau en bouteille à la mairie dès 14h. »"
        ),
        "contradiction_investigating": "« Nous cherchons la cause ; point à 11h30. »",
        "contradiction_identified": (
            "« La cause est trouvée, nos équipes réparent ; retour vers 14h. »"
        ),
        "contradiction_monitoring": (
            "« Le courant est revenu ; nous vérifions qu'il tient. Point à 15h. »"
        ),
        "contradiction_resolved": "« Le courant est revenu à Lille et Roubaix depuis 13h20. »",
        # -- faits (#25)
        "minimising": "« Environ 12 000 foyers sont sans eau ; retour prévu vers 20h. »",
        "alarmist": (
            "« La route est fermée après un éboulement. Passez par la D61 ; un bus part tous les "
            "quarts d'heure. »"
        ),
        # -- Promesses, traductions et données personnelles --
        "absolute_promise": (
            "« Nous prévoyons le retour de l'eau vers 18h et vous dirons si cela change. »"
        ),
        "moved_eta": (
            "« Le courant devrait revenir vers 18h et non 14h comme annoncé ce matin : le "
            "câble abîmé est plus long que prévu. »"
        ),
        "moved_update": (
            "« Prochain point à 17h au lieu de 15h, car les équipes doivent attendre le jour "
            "pour inspecter la ligne. »"
        ),
        "still_broken": "« Le courant est revenu dans toutes les rues depuis 13h20. »",
        "personal_data": "« Appelez-nous au 0 800 000 000 (gratuit). »",
    },
}


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
