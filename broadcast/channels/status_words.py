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
        "started": "Started",
        "ended": "Ended",
        "updated": "Updated",
        "exercise": "EXERCISE",
        "exercise_marker": "EXERCISE \u2013",
        "exercise_notice": (
            "EXERCISE \u2013 the incidents marked EXERCISE are drills, not real incidents."
        ),
    },
}
# Kept for callers of the first version of this module.
STATUS_WORDS = {language: words["status"] for language, words in WORDS.items()}
READ_MORE = {language: words["more"] for language, words in WORDS.items()}
