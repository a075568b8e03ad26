"""Blame, however it is phrased: the fault put on someone other than the organisation speaking.

People hold the organisation responsible whoever caused the fault; a text that puts it on others
reads as an excuse. Blame is a *construction*, not a word, and has three targets:

- **a party** (a supplier, a contractor, a partner, "a third party", a company): named as the
  cause through a causal or fault frame ("caused by", "due to", "because of", "the fault of",
  "X is to blame", « à cause de », « en raison de », « imputable à », « la faute de »,
  « X est responsable »), directly or through its error ("due to an error by our supplier");
- **the people affected**: a clause that puts the failure on them ("residents who ignored the
  warning", « les usagers qui n'avaient pas suivi nos consignes », "despite our warnings",
  "had you followed", « vous auriez dû »);
- **the weather or "exceptional circumstances" as an excuse**: a cause qualified as something
  nobody could help ("due to exceptional weather", « en raison d'intempéries exceptionnelles »,
  "circumstances beyond our control", « force majeure »).

Denials are blame too ("not our fault", « indépendante de notre volonté »).

What is not blame: a party or the weather named *as a fact*, with a concrete verb ("a storm
brought down lines; our crews are repairing them", "a contractor's digger cut the cable"), and
any fault the organisation takes on itself ("because of our error", « à cause de nous »).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from broadcast.content.wording.clauses import Finding, Rule, Rules, clauses, lexicon, whole

# Each rule below carries its cues (see clauses.Rule): what a text must hold for the rule to be
# tried. Where a rule needs a word of a lexicon, the lexicon's own entries are its cues, so a
# word added to a list is cued with it.

# -- English ---------------------------------------------------------------------------------

# Another organisation, by what it is to us (with "s" for plurals, "'s" for the possessive).
_EN_PARTIES = lexicon(
    "supplier, provider, vendor, contractor, sub-?contractor, partner, third[- ]part(?:y|ies), "
    "operator, manufacturer, installer, outsourcer, wholesaler, carrier, landlord, developer, "
    "builder, firm, compan(?:y|ies), agency, host, distributor, consultant"
)
# The people the incident falls on.
_EN_PEOPLE = lexicon(
    "(?:several|some|many|most|a few|a number of|certain|too many|dozens of|hundreds of) [a-z]+s, "
    "customers?, residents?, users?, people, households?, passengers?, travell?ers?, commuters?, "
    "motorists?, drivers?, clients?, patients?, members?, tenants?, consumers?, subscribers?, "
    "account holders?, homeowners?, occupants?, visitors?, guests?, shoppers?, parents?, "
    "students?, policyholders?, those, anyone, everyone, some, many, a few, some of you, "
    "the public"
)
# A duty the people affected are said to have failed.
_EN_DUTY = lexicon(
    "follow, heed, read, respect, comply, obey, listen, observe, apply, take, boil, evacuate, "
    "register, update, check, prepare, act on, pay attention, keep, stay, report"
).source
_EN_DISREGARD = lexicon(
    "ignored, ignoring, ignore, disregarded, disregarding, flouted, defied, overlooked, "
    "brushed off, chose to ignore, skipped, bypassed"
).source
_EN_NOT = lexicon(
    "did not, didn't, do not, don't, had not, hadn't, have not, haven't, failed to, "
    "neglected to, chose not to, decided not to, refused to, forgot to, never, did not bother to, "
    "could not be bothered to"
).source
_EN_CAUSAL = lexicon(
    "caused by, due to, because of, owing to, down to, as a result of, the result of, "
    "the (?:direct )?consequence of, (?:a|the) (?:direct )?effect of, resulting from, "
    "attributable to, triggered by, the fault of, stem(?:s|med)? from, result(?:s|ed)? from, "
    "arose from, arises from, originated (?:with|at|from), "
    "(?:lies|lay|rests|rested|sits|sat) (?:solely |entirely |squarely |firmly )?with, "
    "(?:is|was|are|were) on"
).source
# Nouns that make the party culpable, not just involved.
_EN_CULPABLE = lexicon(
    "errors?, mistakes?, failures?, faults?, negligence, oversights?, lapses?, breach(?:es)?, "
    "defaults?, incompetence, carelessness, shortcomings?, problems?, issues?"
).source
_EN_PREPOSITION = r"(?:of|on|at|in|by|for|to|with|from|during|after|near|under|over)"
_EN_PARTY_PHRASE = (
    r"(?:(?:the|a|an|our|one of our|their|its|another|an? external|an? outside|external|outside)"
    r"\s+)?(?:(?!"
    + _EN_PREPOSITION
    + r"\b)[\w'-]+\s+){0,2}?"
    + _EN_PARTIES.source
    + r"s?(?:'s?)?(?!\w)"
    # A company by its legal suffix: "Acme Ltd", "Northgrid plc".
    r"|(?-i:[A-Z][\w&-]*(?:\s+[A-Z][\w&-]*)*\s+(?:Ltd|Limited|Inc|plc|PLC|LLC|GmbH|SA|SAS|Corp))"
    r"(?!\w)"
)
_EN_PARTY_FAILED = lexicon(
    "let (?:us|you|everyone|our customers) down, failed (?:us|you|to), "
    "did not (?:deliver|honou?r|meet|keep|respect|supply|fix|warn|tell), "
    "didn't (?:deliver|honou?r|meet|keep|respect|supply|fix|warn|tell), "
    "broke (?:its|their) (?:promise|commitment|contract|word), dropped the ball, fell short, "
    "defaulted, got it wrong, made (?:an? )?(?:error|mistake)s?, messed up"
).source
_EN_EXCUSE_ADJ = lexicon(
    "exceptional(?:ly)?, unprecedented, unforeseeable, unforeseen, unpredictable, extraordinary, "
    "freak, extreme, abnormal, once-in-a-[\\w-]+, record(?:-breaking)?, (?:highly |very )?unusual, "
    "severe, exceptionally \\w+"
)

# A party's name, in words or by a company's legal suffix.
_EN_PARTY_CUES = (*_EN_PARTIES.cues, "ltd", "limited", " inc", "plc", "llc", "gmbh", " sa", " corp")
_EN_PEOPLE_CUES = _EN_PEOPLE.cues
_EN_LAPSE_CUES = (
    *("ignor", "disregard", "flout", "defied", "overlook", "brushed", "not", "n't", "fail"),
    *("neglect", "refus", "forgot", "never", "bother", "skip", "bypass"),
)
_EN_CAUSAL_CUES = (
    *("caused", "due", "because", "owing", "down to", "result", "attributable", "triggered"),
    *("fault", "stem", "originat", "lies", "lay", "rest", "sits", "sat", "is on", "was on"),
    *("are on", "were on", "consequence", "effect", "arose", "arises"),
)

_EN = (
    # A party named as the cause, or its culpable failure: "caused by our supplier", "due to a
    # third party", "because of an error by the contractor", "the fault of our partner".
    Rule(
        "blame",
        _EN_PARTY_CUES,
        whole(
            _EN_CAUSAL + r"\s+(?:(?:an?|the)\s+)?(?:\w+\s+)?(?:" + _EN_CULPABLE + r"\s+"
            r"(?:of|by|at|from|on the part of)\s+)?(?:" + _EN_PARTY_PHRASE + ")"
        ),
        also=_EN_CAUSAL_CUES,
    ),
    # The party as the subject of a fault: "our supplier is to blame", "the contractor was
    # responsible for the outage", "a partner's error".
    Rule(
        "blame",
        _EN_PARTY_CUES,
        whole(
            r"(?:"
            + _EN_PARTY_PHRASE
            + r")\s+(?:\w+\s+){0,3}?(?:is|are|was|were|has been|have been)"
            r"\s+(?:solely\s+|entirely\s+|fully\s+|wholly\s+|squarely\s+)?"
            r"(?:to blame|at fault|responsible|liable|the cause|the source|the reason)"
        ),
        also=("blame", "fault", "responsib", "liable", "cause", "source", "reason"),
    ),
    # The party as the subject of a failure: "our roaming partner let us down", "the contractor
    # failed to", "our supplier did not deliver".
    Rule(
        "blame",
        _EN_PARTY_CUES,
        whole(
            r"(?:"
            + _EN_PARTY_PHRASE
            + r")\s+(?:\w+ly\s+|also\s+|then\s+|simply\s+)?(?:"
            + _EN_PARTY_FAILED
            + r")"
        ),
        also=(
            *("let", "fail", "did not", "didn't", "broke", "dropped", "fell short", "default"),
            *("wrong", "made", "messed"),
        ),
    ),
    Rule(
        "blame",
        _EN_PARTIES.cues,
        whole(
            _EN_PARTIES.source + r"s?'s?\s+(?:own\s+)?(?:error|mistake|negligence|fault|"
            r"carelessness|incompetence|failure to|oversight)s?"
        ),
        also=(
            "error",
            "mistake",
            "negligen",
            "fault",
            "careless",
            "incompet",
            "failure",
            "oversight",
        ),
    ),
    # The failure put on the people affected.
    Rule(
        "blame_people",
        _EN_LAPSE_CUES,
        whole(
            _EN_PEOPLE.source + r"\s+(?:who\s+|that\s+)?(?:(?:had|have|has|also|still|then|simply|"
            r"repeatedly)\s+)?(?:"
            + _EN_DISREGARD
            + r"|"
            + _EN_NOT
            # "have not been read" is a passive (ours to own), not the reader's lapse.
            + r"\s+(?:(?!been\b|be\b)\w+\s+){0,2}?"
            + _EN_DUTY
            + r")"
        ),
        also=_EN_PEOPLE_CUES,
    ),
    Rule(
        "blame_people",
        ("spite", "contrary", "against", "regardless"),
        whole(
            r"(?:in spite of|despite|contrary to|against|regardless of)\s+(?:our|the|all|repeated|"
            r"clear|several|many)\s+(?:\w+\s+)?(?:warnings?|advice|instructions?|guidance|"
            r"requests?|appeals?|alerts?|recommendations?|reminders?|bans?|restrictions?|rules?|"
            r"prohibitions?|notices?|orders?)"
        ),
    ),
    Rule(
        "blame_people",
        ("if you", "had you"),
        whole(
            r"(?:if|had)\s+you\s+(?:had\s+|only\s+)*(?:followed|read|heeded|listened|respected|"
            r"complied|checked|acted)"
        ),
    ),
    Rule(
        "blame_people",
        ("you should", "you ought", "you could", *_EN_LAPSE_CUES),
        whole(
            r"you\s+(?:should|ought to|could)\s+have",
            r"you\s+(?:" + _EN_DISREGARD + r"|" + _EN_NOT + r"\s+" + _EN_DUTY + r")",
        ),
    ),
    # The weather or circumstances as an excuse.
    Rule(
        "blame_weather",
        _EN_EXCUSE_ADJ.cues,
        whole(
            r"(?:" + _EN_CAUSAL + r"|following|in the face of|given|faced with)\s+(?:(?:an?|the|"
            r"these|this|some)\s+)?(?:(?:truly|really|very|most|so|quite|wholly|totally|utterly|"
            r"absolutely|genuinely|particularly|entirely)\s+)?(?:"
            + _EN_EXCUSE_ADJ.source
            + r")\s+(?:\w+\s+){0,2}?"
            r"(?:circumstances|conditions|weather|events?|storms?|rain(?:fall)?|winds?|gusts|snow"
            r"(?:fall)?|ice|heat|cold|temperatures|demand|situation|flood(?:ing|s)?|volumes?|"
            r"load|frost|lightning|drought|weather event)"
        ),
    ),
    Rule(
        "blame_weather",
        (
            *("circumstances", "control", "majeure", "act of god", "acts of god"),
            *("mother nature", "vagaries", "nothing", "could have", "could not", "could ever"),
            *("impossible", "choice", "option", "alternative"),
        ),
        whole(
            r"(?:exceptional|unforeseeable|unforeseen|extraordinary|unusual) circumstances",
            r"circumstances (?:beyond|outside)",
            r"(?:beyond|outside)\s+(?:our|anyone's|anybody's|our own|all)\s+control",
            r"force majeure",
            r"acts? of god",
            r"mother nature",
            r"vagaries of the weather",
            r"nothing (?:we|anyone|anybody|one) could (?:have )?(?:do|done)",
            r"no (?:\w+ )?(?:\w+ )?could (?:ever )?have (?:foreseen|predicted|planned for|"
            r"prepared for|anticipated|expected|prevented)",
            r"(?:no one|nobody|no-one) could (?:ever )?have "
            r"(?:foreseen|predicted|prevented|anticipated|known|seen|imagined|guessed|expected)",
            r"could not (?:have )?(?:been )?(?:foreseen|predicted|anticipated|prevented|avoided)",
            # Looking back, nothing could have gone otherwise: the excuse without its cause.
            r"(?:none|nothing|not one)\s+(?:of\s+(?:[\w'-]+\s+){1,3}?)?could (?:ever )?have "
            r"been (?:avoided|prevented|foreseen|anticipated)",
            r"impossible to (?:foresee|predict|anticipate|prevent)",
            r"(?:left|gave|leaves|gives) us (?:no|little) (?:choice|option|alternative)",
            r"we (?:had|have) (?:no|little) (?:choice|option|alternative)",
        ),
    ),
    # Denials.
    Rule(
        "blame",
        (
            *("our fault", "my fault", "fault of our", "not resp", "n't resp", "no way"),
            *("not at fault", "not liable", "blame", "lies", "lay ", "rests", "rested"),
            *("with us", "to us", "by us", "on us", "from us", "let down", "been failed"),
            *("were failed", "victim", "t help", "helped", "against us"),
        ),
        whole(
            r"not (?:our|my) (?:own )?fault",
            r"no fault of (?:our|my) own",
            r"(?:we are|we're|we were) (?:not|in no way) (?:to blame|responsible|at fault|liable)",
            r"not (?:down to|caused by|on|with|from) us",
            r"(?:we|we've|we have)\s+(?:were|have been|had been|been)\s+(?:\w+ly\s+)?"
            r"(?:let down|failed|victims?)\b",
            r"(?:we are|we're|we were) (?:the )?(?:real )?victims?",
            r"the weather (?:did not|didn't|has not|hasn't) help(?:ed)?",
            r"the (?:weather|elements) (?:was|were|conspired) against us",
            r"nothing to do with us",
            r"(?:is|are|was|were) to blame",
            r"(?:blame|blamed|blaming) (?:on|the|our|a|an|it|this)",
            r"(?:the )?(?:fault|blame|responsibility) (?:lies|lay|rests|rested) "
            r"(?:solely |entirely )?(?:with (?!us\b|me\b|ourselves\b)|elsewhere)",
        ),
    ),
    # A duty left undone "as advised": the failure put on the reader.
    Rule(
        "blame_people",
        (
            *("as advised", "as we", "as instructed", "as asked", "as recommended"),
            *("as requested", "as told", "as directed"),
        ),
        whole(
            r"(?:not|n't|never|failed to|neglected to)\s+(?:[\w'-]+\s+){1,3}?as\s+(?:we\s+)?"
            r"(?:had\s+|have\s+)?(?:advised|instructed|asked|recommended|requested|told|directed)"
        ),
    ),
    # An excuse adjective on what "explains" the failure: "the exceptional snow explains".
    Rule(
        "blame_weather",
        (
            *("explain", "behind", "accounts for", "accounted for", "justif", "reason"),
            *("caused", "led to", "brought", "triggered", "to blame"),
        ),
        whole(
            _EN_EXCUSE_ADJ.source
            + r"\s+(?:[\w'-]+\s+){0,3}?(?:explains|explained|is behind|was behind|are behind|"
            r"were behind|accounts for|accounted for|justif\w+|is the reason|was the reason|caused|"
            r"led to|brought|triggered|(?:is|was|are|were) to blame)"
        ),
        also=_EN_EXCUSE_ADJ.cues,
    ),
    # Going on against a warning: "tenants who kept using the lifts after the alarm".
    Rule(
        "blame_people",
        ("kept", "continued", "carried on", "went on", "persist", "insist"),
        whole(
            _EN_PEOPLE.source
            + r"\s+(?:who|that)\s+(?:kept|continued|carried on|went on|persisted|insisted)"
            r"\s+(?:[\w'-]+\s+){0,6}?(?:after|despite|in spite of|against|through)\s+"
            r"(?:the|our|an?|every|all|repeated)\s+(?:\w+\s+)?(?:alarms?|warnings?|alerts?|"
            r"orders?|closures?|advice|instructions?|signs?|sirens?|bans?|restrictions?|rules?|"
            r"prohibitions?|notices?)"
        ),
        also=_EN_PEOPLE_CUES,
    ),
    # A party that disregarded or skipped its duty: "the contractor we hired ignored the plans".
    Rule(
        "blame",
        (
            *("ignor", "disregard", "flout", "defied", "overlook", "brushed", "skipped"),
            *("bypass", "not", "n't", "fail", "never"),
        ),
        whole(
            r"(?:"
            + _EN_PARTY_PHRASE
            + r")\s+(?:[\w'-]+\s+){0,3}?(?:"
            + _EN_DISREGARD
            + r"|"
            + _EN_NOT
            # "have not been read" is a passive (ours to own), not the reader's lapse.
            + r"\s+(?:(?!been\b|be\b)\w+\s+){0,2}?"
            + _EN_DUTY
            + r")"
        ),
        also=_EN_PARTY_CUES,
    ),
    # A cleft that points at the party: "it was our supplier that...".
    Rule(
        "blame",
        ("it was", "it is", "it has"),
        whole(r"it (?:was|is|has been) (?:" + _EN_PARTY_PHRASE + r")\s+(?:that|who|which)"),
        also=_EN_PARTY_CUES,
    ),
    # Out of our hands, beyond what anyone builds for.
    Rule(
        "blame_weather",
        ("hands", "beyond what", "beyond anything", "coming"),
        whole(
            r"(?:not|nothing\s+(?:\w+\s+){0,3}?(?:was|is))\s+in\s+(?:our|my)\s+(?:own\s+)?hands",
            r"out of (?:our|my) hands",
            r"beyond (?:what|anything) (?:any|a|most|our|the)\s+(?:\w+\s+){0,3}?(?:is|are|was|were|"
            r"could be)\s+(?:built|designed|planned|made|prepared)",
            r"(?:no one|nobody|no-one) (?:saw|could see|could have seen) (?:it|this|that)\s+coming",
        ),
    ),
)

# -- French ----------------------------------------------------------------------------------

_FR_PARTIES = lexicon(
    "prestataires?, fournisseurs?, sous-traitants?, sous-traitance, partenaires?, tiers, "
    "opérateurs?, entreprises?, sociétés?, constructeurs?, fabricants?, installateurs?, "
    "hébergeurs?, gestionnaires?, concessionnaires?, transporteurs?, délégataires?, éditeurs?, "
    "intervenants? extérieurs?, filiales?, bureaux? d'études?"
)
_FR_PEOPLE = lexicon(
    "usagers, usager, clients?, clientes?, habitants?, riverains?, abonnés?, personnes?, "
    "consommateurs?, voyageurs?, passagers?, automobilistes?, conducteurs?, locataires?, "
    "administrés?, particuliers?, utilisateurs?, assurés?, sociétaires?, adhérents?, patients?, "
    "parents?, familles?, foyers?, gens, ceux, celles, certains, certaines, beaucoup, quelques-uns"
)
_FR_DUTY = lexicon(
    "suivi, suivre, respecté, respecter, lu, lire, écouté, écouter, tenu compte, tenir compte, "
    "appliqué, appliquer, observé, pris, prendre, fait bouillir, évacué, évacuer, obéi, vérifié, "
    "mis à jour, prévenu, signalé, déclaré"
).source
_FR_DISREGARD = lexicon(
    "ignoré, ignorés, négligé, bravé, passé outre, fait fi, enfreint, méprisé, contourné, "
    "omis de, refusé de, oublié de"
).source
_FR_CAUSAL = lexicon(
    "à cause d(?:e|u|es|'), en raison d(?:e|u|es|'), du fait d(?:e|u|es|'), "
    "par la faute d(?:e|u|es|'), la faute (?:en )?(?:revient|incombe) (?:à|au|aux), "
    "(?:c'est |est |était )?la faute (?:de|du|des|d'|à|au|aux), "
    "la responsabilité (?:en )?(?:revient|incombe) (?:à|au|aux), imputables? (?:à|au|aux), "
    "due?s? (?:à|au|aux), dûe?s? (?:à|au|aux), provoquée?s? par, causée?s? par, "
    "déclenchée?s? par, suite (?:à|au|aux), à la suite d(?:e|u|es|'), par suite d(?:e|u|es|'), "
    "liée?s? (?:à|au|aux), vient d(?:e|u|es|'), trouve son origine (?:chez|dans), "
    "résult\\w* d(?:e|u|es|'), découle d(?:e|u|es|'), provien\\w* d(?:e|u|es|'), "
    "incombe (?:à|au|aux), "
    "(?:de |sous )?la (?:seule |pleine |entière )?responsabilité d(?:e|u|es|'), "
    "(?:la |les )?conséquences? d(?:e|u|es|'), (?:le )?résultat d(?:e|u|es|'), "
    "(?:l')?effet d(?:e|u|es|')"
).source
_FR_CULPABLE = lexicon(
    "erreurs?, fautes?, négligences?, défaillances?, manquements?, défauts?, carences?, oublis?, "
    "retards?, problèmes?, incompétence, imprudences?"
).source
_FR_DET = (
    r"(?:(?:un|une|le|la|les|des|du|au|aux|notre|nos|leur|leurs|son|sa|ses|ce|cet|cette|"
    r"certains|certaines)\s+|l'|d'|de\s+(?:notre|nos|la|l')\s*|de\s+)?"
)
_FR_PARTY_PHRASE = _FR_DET + _FR_PARTIES.source
_FR_EXCUSE_ADJ = lexicon(
    "exceptionnel(?:le)?s?, exceptionnellement, inédite?s?, imprévisibles?, imprévue?s?, "
    "hors normes?, sans précédent, extraordinaires?, extrêmes?, inhabituel(?:le)?s?, inouïe?s?, "
    "historiques?, d'une (?:rare |extrême |exceptionnelle )?(?:violence|intensité|ampleur)"
).source

_FR_PARTY_CUES = _FR_PARTIES.cues
_FR_PEOPLE_CUES = _FR_PEOPLE.cues
_FR_EXCUSE_CUES = (
    *("exception", "inédit", "imprévi", "imprévu", "hors norme", "sans précédent"),
    *("extraordinaire", "extrême", "inhabituel", "inouï", "historique", "violence"),
    *("intensité", "ampleur"),
)
_FR_LAPSE_CUES = (
    *("ignor", "néglig", "bravé", "outre", "fait fi", "enfreint", "mépris", "contourn"),
    *("omis", "refusé", "oublié"),
)

_FR = (
    Rule(
        "blame",
        _FR_PARTY_CUES,
        whole(
            _FR_CAUSAL
            + r"\s*"
            + r"(?:(?:un|une|la|l'|les|des|d')\s*)?(?:"
            + _FR_CULPABLE
            + r"\s+(?:\w+\s+)?(?:de|du|des|d'|chez|côté)\s*)?"
            + _FR_PARTY_PHRASE
        ),
        also=(
            *("cause", "raison", "fait d", "faute", "responsab", "imputable", "dû", "due"),
            *("dus", "provoqu", "déclench", "suite", "lié", "vient", "origine", "conséquence"),
            *("résultat", "effet", "incombe", "résult", "découle", "provien"),
        ),
    ),
    Rule(
        "blame",
        _FR_PARTY_CUES,
        whole(
            _FR_PARTY_PHRASE + r"\s+(?:[\w'-]+\s+){0,4}?(?:est|sont|était|étaient|serait|seraient|"
            r"a été|ont été)\s+(?:seule?s?\s+|entièrement\s+|pleinement\s+|directement\s+)?"
            r"(?:responsables?|en cause|fautifs?|fautives?|à l'origine|la cause|coupables?)"
        ),
        also=("responsable", "en cause", "fautif", "fautive", "origine", "cause", "coupable"),
    ),
    Rule(
        "blame",
        ("erreur", "faute", "négligence", "incompétence", "imprudence"),
        whole(
            r"(?:erreur|faute|négligence|incompétence|imprudence)s?\s+(?:\w+\s+)?(?:de|du|des|d'|chez)"
            r"\s*" + _FR_PARTY_PHRASE
        ),
        also=_FR_PARTY_CUES,
    ),
    # L'échec mis sur un tiers.
    Rule(
        "blame",
        _FR_PARTY_CUES,
        whole(
            _FR_PARTY_PHRASE + r"\s+(?:\w+\s+){0,3}?(?:nous\s+a\s+fait\s+défaut|nous\s+a\s+lâchés|"
            r"a\s+failli|ont\s+failli|a\s+manqué\s+à|ont\s+manqué\s+à|"
            r"n'(?:a|ont)\s+pas\s+(?:respecté|tenu|livré|honoré|prévenu|réparé)|"
            r"(?:a|ont)\s+commis\s+(?:une|des)\s+erreurs?|s'(?:est|sont)\s+trompée?s?)"
        ),
        also=(
            *("défaut", "lâché", "failli", "manqué", "pas respecté", "pas tenu", "pas livré"),
            *("pas honoré", "pas prévenu", "pas réparé", "commis", "trompé"),
        ),
    ),
    # L'échec mis sur les gens.
    Rule(
        "blame_people",
        ("pas", "jamais", "guère", *_FR_LAPSE_CUES),
        whole(
            _FR_PEOPLE.source + r"\s+(?:qui\s+|ayant\s+)?(?:(?:n'|ne\s+)(?:ont|avaient|a|avait|"
            r"auraient|aurait|sont|étaient)?\s*(?:pas|jamais|guère)\s+(?:\w+\s+)?"
            + _FR_DUTY
            + r"|(?:ont|avaient|a|avait|ayant)\s+(?:\w+\s+)?"
            + _FR_DISREGARD
            + r"|ne\s+\w+\s+pas)"
        ),
        also=_FR_PEOPLE_CUES,
    ),
    Rule(
        "blame_people",
        ("malgré", "dépit", "contrairement", "mépris"),
        whole(
            r"(?:malgré|en dépit d(?:e|es|')|contrairement (?:à|aux)|au mépris d(?:e|es|'))\s*"
            r"(?:nos|les|des|notre|la|l'|nombreux|nombreuses|plusieurs|de\s+nombreux)?\s*(?:\w+\s+)?"
            r"(?:consignes?|avertissements?|recommandations?|alertes?|appels?|conseils?|"
            r"instructions?|messages?|rappels?|mises en garde|interdictions?|arrêtés?|"
            r"restrictions?|règles?|interdits?)"
        ),
    ),
    Rule(
        "blame_people",
        ("vous aviez", "vous auriez", "vous n'avez", "vous avez ignoré"),
        whole(
            r"si vous aviez (?:bien\s+)?(?:suivi|respecté|lu|écouté|tenu compte|appliqué)",
            r"vous auriez dû",
            r"vous n'avez pas (?:\w+\s+)?(?:suivi|respecté|lu|écouté|tenu compte)",
            r"vous avez ignoré",
        ),
    ),
    # La météo ou les circonstances comme excuse.
    Rule(
        "blame_weather",
        _FR_EXCUSE_CUES,
        whole(
            r"(?:" + _FR_CAUSAL + r"|face (?:à|aux)|compte tenu d(?:e|es|u|'))\s*(?:\w+\s+|l'|d')"
            r"{0,4}?(?:" + _FR_EXCUSE_ADJ + r")"
        ),
    ),
    Rule(
        "blame_weather",
        (
            *("circonstances", "majeure", "aléa", "caprice", "pouvait", "pourrait", "aurait pu"),
            *("n'avait", "impossible", "n'y pouv", "rien pu", "choix", "victime", "météo ne"),
            *("météo n'", "temps ne", "temps n'", "éléments ne", "éléments n'", "nature ne"),
            "nature n'",
        ),
        whole(
            r"circonstances (?:exceptionnelles|imprévisibles|extraordinaires|indépendantes)",
            r"(?:cas de )?force majeure",
            r"aléas? (?:climatiques?|météorologiques?|météo)",
            r"caprices? de (?:la météo|dame nature|mère nature)",
            r"(?:personne|nul) ne (?:pouvait|pourrait|aurait pu) "
            r"(?:le )?(?:prévoir|anticiper|éviter)",
            r"impossibles? à (?:prévoir|anticiper|éviter)",
            r"(?:personne|nul|aucune? \w+) (?:ne |n')(?:pouvait|pourrait|aurait pu|avait)\s+"
            r"(?:pu\s+)?(?:le |les |l')?(?:prévoir|anticiper|éviter|prévue?s?|annoncée?s?|"
            r"anticipée?s?)",
            r"nous n'y (?:pouvions|pouvons|pouvions) rien",
            r"(?:nous n'avions|nous n'avons eu) (?:pas|guère) (?:le )?(?:choix|d'autre choix)",
            r"ne nous (?:a|ont) (?:laissé|donné) (?:aucun|pas le|guère de) choix",
            r"nous n'aurions rien pu (?:faire|prévoir)",
            r"nous (?:avons été|sommes|étions) (?:les |nous-mêmes |aussi |également )?victimes?",
            r"(?:la météo|le temps|les éléments|la nature) (?:ne nous a|ne nous ont|n'a|n'ont) "
            r"pas (?:aidée?s?|épargnée?s?|facilité)",
        ),
    ),
    # Les dénégations.
    Rule(
        "blame",
        (
            *("faute", "fait", "volonté", "contrôle", "portée", "maîtrise", "responsab"),
            *("n'y sommes", "imputable", "dû", "due", "lié"),
        ),
        whole(
            r"(?:ce n'est |c'est )?pas (?:de )?notre faute",
            r"n'est (?:pas|en rien|aucunement|nullement) de notre (?:fait|faute|ressort)",
            r"indépendante?s? de notre volonté",
            r"(?:hors de|échappe à|échappent à|au-delà de) notre "
            r"(?:contrôle|portée|maîtrise|volonté)",
            r"nous ne sommes (?:pas|en rien|aucunement|nullement) "
            r"(?:responsables|en cause|fautifs)",
            r"nous n'y sommes pour rien",
            r"ne relève (?:pas|en rien) de notre responsabilité",
            r"n'(?:est|était|sont|étaient) (?:pas|en rien|aucunement|nullement) "
            r"(?:imputables?|dûe?s?|due?s?|liée?s?) (?:à|au|aux) (?:nos|notre|nous)",
        ),
    ),
    Rule(
        "blame_people",
        (
            *("comme nous", "comme demandé", "comme conseillé", "comme recommandé"),
            *("comme indiqué", "comme préconisé"),
        ),
        whole(
            r"(?:pas|jamais)\s+(?:[\w'-]+\s+){1,4}?comme\s+(?:nous\s+)?(?:l'|les\s+)?"
            r"(?:avions\s+|avons\s+)?(?:demandé|conseillé|recommandé|indiqué|préconisé)"
        ),
    ),
    Rule(
        "blame_weather",
        (
            "expli",
            "justifi",
            "cause",
            "raison",
            "origine",
            "provoqu",
            "caus",
            "entraîn",
            "déclench",
        ),
        whole(
            _FR_EXCUSE_ADJ + r"\s+(?:[\w'-]+\s+){0,4}?(?:expliquent|explique|justifient|justifie|"
            r"(?:est|sont|était|étaient) (?:la )?(?:cause|raison|à l'origine)|"
            r"(?:qui )?(?:a|ont|avait|avaient) (?:provoqué|causé|entraîné|déclenché))"
        ),
        also=_FR_EXCUSE_CUES,
    ),
    Rule(
        "blame",
        (*_FR_LAPSE_CUES, "pas", "sans"),
        whole(
            _FR_PARTY_PHRASE
            + r"\s+(?:[\w'-]+\s+){0,4}?(?:(?:a|ont|avait|avaient|ayant)\s+(?:\w+\s+)?"
            + _FR_DISREGARD
            + r"|n'(?:a|ont|avait|avaient)\s+pas\s+(?:\w+\s+)?"
            + _FR_DUTY
            + r"|sans\s+(?:nous\s+)?(?:prévenir|avertir|consulter|vérifier|respecter))"
        ),
        also=_FR_PARTY_CUES,
    ),
    Rule(
        "blame",
        ("c'est", "c'était", "ce sont", "autre que"),
        whole(
            r"(?:c'est|c'était|ce sont|ce n'est autre que)\s+"
            + _FR_PARTY_PHRASE
            + r"\s+(?:\w+\s+){0,3}?qui"
        ),
        also=_FR_PARTY_CUES,
    ),
    Rule(
        "blame_weather",
        (
            *("mains", "rien contre", "rien faire", "rien y faire", "vu venir", "imaginé"),
            *("envisagé", "prévu", "anticipé"),
        ),
        whole(
            r"(?:pas|rien)\s+(?:\w+\s+)?entre nos mains",
            r"nous ne (?:pouvions|pouvons|pourrions|pouvions) rien (?:contre|faire|y faire)",
            r"(?:personne|nul) (?:ne l'|n')(?:avait|aurait|a)\s+(?:pu\s+)?(?:vu venir|imaginé|"
            r"envisagé|prévu|anticipé)",
        ),
    ),
)

RULES = {"en": _EN, "fr": _FR}


@cache
def _rules(language: str) -> Rules:
    return Rules(RULES.get(language, ()))


def find_blame(language: str, text: str) -> Iterator[Finding]:
    """Each place ``text`` (in ``language``) puts the fault on someone else."""
    cued = _rules(language).cued(text)
    if not cued:
        return
    for start, end in clauses(text):
        clause = text[start:end]
        taken: list[tuple[int, int]] = []
        matches = ((kind, match) for kind, pattern in cued for match in pattern.finditer(clause))
        for kind, match in matches:
            if _taken_on(clause[: match.start()], match.group()):
                continue
            if any(match.start() < b and a < match.end() for a, b in taken):
                continue
            taken.append(match.span())
            yield Finding("blame", start + match.start(), start + match.end(), kind)


# "We are to blame", "we were at fault": the fault owned, said by its subject before the verb.
_VERB_FIRST = re.compile(r"(?:is|are|was|were|est|sont|était|étaient)\b", re.IGNORECASE)
_WE_BEFORE = re.compile(r"(?<!\w)(?:we|I|nous)\s+(?:\w+\s+)?$", re.IGNORECASE)


def _taken_on(before: str, found: str) -> bool:
    """Whether the organisation itself is the subject the fault is put on."""
    return _VERB_FIRST.match(found) is not None and _WE_BEFORE.search(before) is not None
