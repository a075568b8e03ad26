"""Exercises: a drill nobody can take for the real thing, sent only to those who drill.

An exercise (``--exercise``, or ``exercise: true`` in the incident) changes three things:

- every text of every channel starts with a marker ("EXERCICE", "EXERCISE" and an en dash),
  the email subject and the spoken call included; an HTML page gets it as its first paragraph;
- recipients come only from each channel's ``exercise_recipients`` CSV: a channel without one
  is skipped;
- a public channel (its type says ``PUBLIC``: X, the web banner, and any channel type that
  declares it) takes part only with an ``exercise:`` block that points it elsewhere (another
  account, another ``output_dir``); otherwise it is skipped, and the preview says so.

The ledger keeps an exercise apart under its own id (``input.incident.EXERCISE_SUFFIX``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from broadcast.input.config import Config
from broadcast.input.model_errors import problems_from_validation
from broadcast.input.schema import ValidationError
from broadcast.problems import Problem

# The en dash of the markers (an SMS carries a hyphen: see content.measure's look-alikes).
DASH = "\u2013"
# What starts every text of a drill, by language; English for the others.
MARKERS = {"fr": f"EXERCICE {DASH}", "en": f"EXERCISE {DASH}"}
# The sentence an HTML page starts with.
HTML_NOTICES = {
    "fr": f"EXERCICE {DASH} ce message est un exercice, pas une alerte réelle.",
    "en": f"EXERCISE {DASH} this message is an exercise, not a real alert.",
}
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_TITLE = re.compile(r"<title\b[^>]*>", re.IGNORECASE)
# Parts that name a place or a code rather than say something (CAP's area): left as they are.
UNMARKED_PARTS = frozenset({"area"})


def marker(language: str) -> str:
    return MARKERS.get(language, MARKERS["en"])


def mark_parts(
    parts: Mapping[str, str], language: str, inline_style: bool = True
) -> dict[str, str]:
    """Every text with the drill's marker first; an HTML part with a first paragraph saying so,
    and its ``<title>`` too.

    The paragraph carries its style inline for an email (mail programs drop stylesheets), and
    only its class for a web page with a stylesheet (``inline_style=False``: the status page,
    whose ``status.css`` styles ``.exercise``), which a strict Content-Security-Policy serves.
    """
    from html import escape

    sign = marker(language)
    marked = {}
    for part, text in parts.items():
        if part == "html":
            style = (
                ' style="font-weight:bold;background:#fde68a;color:#1a1a1a;padding:.5em"'
                if inline_style
                else ""
            )
            notice = (
                f'<p class="exercise"{style}>'
                f"{escape(HTML_NOTICES.get(language, HTML_NOTICES['en']))}</p>"
            )
            text = _TITLE.sub(lambda m: m.group(0) + escape(sign) + " ", text, count=1)
            body = _BODY.search(text)
            marked[part] = (
                text[: body.end()] + notice + text[body.end() :] if body else notice + text
            )
        elif part in UNMARKED_PARTS or text.startswith(sign):
            marked[part] = text  # a place, or a template that says it already
        else:
            marked[part] = f"{sign} {text}"
    return marked


def exercise_config(config: Config) -> tuple[Config, dict[str, str], list[Problem]]:
    """The configuration a drill uses, the channels it skips (with why), and problems with the
    ``exercise:`` blocks."""
    channels: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    problems: list[Problem] = []
    for name, channel in config.channels.items():
        block = dict(channel.exercise or {})
        own = channel.model_dump(by_alias=True, exclude_none=True)
        if type(channel).PUBLIC:
            if not any(own.get(key) != value for key, value in block.items()):
                skipped[name] = (
                    "a public channel takes part in an exercise only with an exercise: block "
                    "pointing it elsewhere (another account, another output_dir)"
                )
                continue
        elif getattr(channel, "recipients", None) is not None:
            if not channel.exercise_recipients:
                skipped[name] = "it has no exercise_recipients (the people who drill)"
                continue
            block["recipients"] = channel.exercise_recipients
        data = {**own, **block, "exercise": None, "exercise_recipients": None}
        try:
            channels[name] = type(channel).model_validate(data)
        except ValidationError as exc:
            for problem in problems_from_validation(exc, config.doc):
                problems.append(
                    Problem(
                        f"in its exercise: block: {problem.message}",
                        config.path,
                        config.line_of("channels", name, "exercise"),
                        f"exercise.{problem.field}" if problem.field else "exercise",
                        channel=name,
                    )
                )
    for name, channel in channels.items():
        fallback = getattr(channel, "fallback", None)
        if fallback is not None and fallback not in channels:
            channels[name] = channel.model_copy(update={"fallback": None})
    return config.model_copy(update={"channels": channels}), skipped, problems
