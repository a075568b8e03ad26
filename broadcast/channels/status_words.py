"""The words the status site and the banner write in each language, and their colours.

Written outside any template (the banner's JSON, the index page, the feed), so kept here beside
templates/*/_phrases.j2, which says the same for the templates.
"""

from __future__ import annotations

from typing import Any

# The same colours as banner.css and status.css: white text keeps a contrast above 6:1.
COLOURS = {
    "critical": "#a4161a",
    "major": "#a14a00",
    "minor": "#1f5fa8",
    "resolved": "#166534",
    "corrected": "#1a1a1a",
}
SEVERITY_ORDER = {"critical": 0, "major": 1, "minor": 2}
# The words of templates/*/_phrases.j2 (status_word, severity_word): these files are written
# outside any template. A language without its words here gets the English ones.
WORDS: dict[str, dict[str, Any]] = {
    "fr": {
        "status": {
            "investigating": "Incident en cours",
            "identified": "Cause identifiée",
            "monitoring": "Réparation effectuée",
            "resolved": "Résolu",
            "cancelled": "Rectificatif",
        },
        "severity": {
            "critical": "Perturbation grave",
            "major": "Perturbation importante",
            "minor": "Perturbation mineure",
            "resolved": "Service rétabli",
            "corrected": "Rectificatif",
        },
        "colon": "\u00a0: ",
        "reminder": "Rappel",
        "more": "En savoir plus",
        "dismiss": "Masquer ce message",
        "page_title": "État des services",
        "current": "Incidents en cours",
        "recent": "Incidents récents",
        "none": "Aucun incident en cours.",
        "subscribe": "Suivre les mises à jour (flux Atom)",
        "subscribe_heading": "Suivre les mises à jour",
        "cap": "Alertes au format CAP (Atom)",
        # The verdict at the top of the index: the worst incident in progress says it.
        "verdict": {
            "operational": "Tous les services fonctionnent",
            "critical": "Perturbation majeure",
            "major": "Perturbation partielle",
            "minor": "Perturbation mineure",
            "monitoring": "Réparation effectuée, sous surveillance",
        },
        "in_progress": "{n} incident en cours|{n} incidents en cours",
        "as_of": "Situation au",
        "past": "Incidents passés",
        "started": "Début",
        "ended": "Fin",
        "updated": "Mise à jour",
        # As delivery.exercise marks a drill's texts (channels do not import delivery).
        "exercise": "EXERCICE",
        "exercise_marker": "EXERCICE \u2013",
        "exercise_notice": (
            "EXERCICE \u2013 les incidents marqués EXERCICE sont des exercices, "
            "pas des incidents réels."
        ),
        # A feed entry's full text: the headings of templates/fr/status.html.j2 (in progress,
        # then once over) and its sentence of the expected end (_phrases.j2's eta_sentence).
        "entry": {
            "summary": ("Ce qui se passe", "Ce qui s'est passé"),
            "affected": ("Qui est concerné", "Qui a été concerné"),
            "actions": ("Ce que nous faisons", "Ce que nous avons fait"),
            "started": ("Depuis quand", "Début de l'incident"),
            "eta": "Fin prévue",
            "next_update": "Prochaine mise à jour",
            "ended": "Fin de l'incident",
            "duration": "Durée",
            "compensation": "Dédommagement",
            "eta_known": "Nous prévoyons un retour à la normale le {when}. "
            "Nous vous préviendrons si cela change.",
            "eta_passed": "La réparation prend plus de temps que prévu. Nous vous donnerons une "
            "nouvelle heure dès que nous la connaîtrons.",
            "eta_unknown": "Nous ne savons pas encore quand la situation sera rétablie. Nous vous "
            "le dirons dès que nous le saurons.",
        },
    },
    "en": {
        "status": {
            "investigating": "Ongoing incident",
            "identified": "Cause found",
            "monitoring": "Fix in place",
            "resolved": "Resolved",
            "cancelled": "Correction",
        },
        "severity": {
            "critical": "Serious disruption",
            "major": "Major disruption",
            "minor": "Minor disruption",
            "resolved": "Service restored",
            "corrected": "Correction",
        },
        "colon": ": ",
        "reminder": "Reminder",
        "more": "Read more",
        "dismiss": "Dismiss this message",
        "page_title": "Service status",
        "current": "Current incidents",
        "recent": "Recent incidents",
        "none": "No incident in progress.",
        "subscribe": "Follow the updates (Atom feed)",
        "subscribe_heading": "Follow the updates",
        "cap": "Alerts in CAP format (Atom)",
        "verdict": {
            "operational": "All systems operational",
            "critical": "Major outage",
            "major": "Partial outage",
            "minor": "Minor disruption",
            "monitoring": "Fix in place, under watch",
        },
        "in_progress": "{n} incident in progress|{n} incidents in progress",
        "as_of": "As of",
        "past": "Past incidents",
        "started": "Started",
        "ended": "Ended",
        "updated": "Updated",
        "exercise": "EXERCISE",
        "exercise_marker": "EXERCISE \u2013",
        "exercise_notice": (
            "EXERCISE \u2013 the incidents marked EXERCISE are drills, not real incidents."
        ),
        "entry": {
            "summary": ("What is happening", "What happened"),
            "affected": ("Who is affected", "Who was affected"),
            "actions": ("What we are doing", "What we did"),
            "started": ("Since when", "When it started"),
            "eta": "Expected end",
            "next_update": "Next update",
            "ended": "Ended",
            "duration": "Duration",
            "compensation": "Compensation",
            "eta_known": "We expect everything to be back to normal by {when}. "
            "We will tell you if this changes.",
            "eta_passed": "The repair is taking longer than we said. We will give you a new "
            "time as soon as we know it.",
            "eta_unknown": "We do not know yet when everything will be back to normal. We will "
            "tell you as soon as we know.",
        },
    },
}
# Kept for callers of the first version of this module.
STATUS_WORDS = {language: words["status"] for language, words in WORDS.items()}
READ_MORE = {language: words["more"] for language, words in WORDS.items()}

# The shapes of templates/*/_html.html.j2's icons (severity said by a shape as well as by
# colour and words), for the index's verdict, which no template writes.
_PATHS = {
    "critical": "M7 1h6l6 6v6l-6 6H7l-6-6V7z M9 5h2v7H9z M9 14h2v2H9z",
    "major": "M10 1l9.5 17h-19z M9 7h2v6H9z M9 14h2v2H9z",
    "minor": "M10 1a9 9 0 1 0 0.01 0z M9 8h2v7H9z M9 4.5h2v2H9z",
    "resolved": "M10 1a9 9 0 1 0 0.01 0z M5 10.5l1.5-1.5 2.5 2.5 5-5 1.5 1.5-6.5 6.5z",
}
ICONS = {
    kind: '<svg viewBox="0 0 20 20" aria-hidden="true" focusable="false">'
    f'<path fill="currentColor" fill-rule="evenodd" d="{_PATHS[shape]}"/></svg>'
    for kind, shape in {
        "operational": "resolved",
        "monitoring": "minor",
        "critical": "critical",
        "major": "major",
        "minor": "minor",
    }.items()
}
