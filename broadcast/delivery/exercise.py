"""Exercises: a drill nobody can take for the real thing, sent only to those who drill.

An exercise (``--exercise``, or ``exercise: true`` in the incident) changes three things:

- every text of every channel starts with a marker ("EXERCICE", "EXERCISE" and an en dash),
  the email subject and the spoken call included; an HTML page gets it as its first paragraph;
- recipients come only from each channel's ``exercise_recipients`` CSV: a channel without one
  is skipped;
- a public channel (its type says ``PUBLIC``: X, Facebook, the web banner, CAP, and any
  channel type that declares it) takes part only with an ``exercise:`` block that gives it a
  destination of its own (a field its type names in ``DESTINATION``: another account, page or
  ``output_dir``), checked against every real one; otherwise it is skipped, and the preview
  says why.

The ledger keeps an exercise apart under its own id (``input.incident.EXERCISE_SUFFIX``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from broadcast.input.config import Config, expand_references
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


def exercise_config(
    config: Config, environ: Mapping[str, str] | None = None
) -> tuple[Config, dict[str, str], list[Problem]]:
    """The configuration a drill uses, the channels it skips (with why), and problems with the
    ``exercise:`` blocks.

    A public channel takes part only when its ``exercise:`` block gives it a destination of
    its own (a field its type lists in ``DESTINATION``) that is none of the real ones: another
    folder (compared after following links, and not inside or around a real one), another
    account or page. Any other block (a rate, a timeout, a contact) leaves it out.
    """
    environ = os.environ if environ is None else environ
    channels: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    problems: list[Problem] = []
    for name, channel in config.channels.items():
        block = dict(channel.exercise or {})
        own = channel.model_dump(by_alias=True, exclude_none=True)
        if type(channel).PUBLIC:
            why = _not_elsewhere(config, name, block, environ)
            if why is not None:
                skipped[name] = why
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


_FOLDER_FIELDS = frozenset({"output_dir"})


def _not_elsewhere(
    config: Config, name: str, block: dict[str, Any], environ: Mapping[str, str]
) -> str | None:
    """Why public channel ``name`` stays out of the drill, or None when its ``exercise:``
    block gives it a destination of its own."""
    kind = type(config.channels[name])
    fields = kind.DESTINATION
    rule = "a public channel takes part in a drill only with a destination of its own"
    if not fields:
        return f"{rule}, and this type of channel names none"
    example = ", ".join(f"{field}: ..." for field in fields)
    rule += f", different from the real one (exercise: {{{example}}})"
    given = [field for field in fields if block.get(field) not in (None, "")]
    if not given:
        if not block:
            return f"{rule}; it has no exercise: block"
        return (
            f"{rule}; its exercise: block sets only {', '.join(sorted(block))}, "
            f"not {' or '.join(fields)}"
        )
    for field in given:
        value = str(block[field])
        for other, channel in config.channels.items():
            real = getattr(channel, field, None)
            if not type(channel).PUBLIC or field not in type(channel).DESTINATION or not real:
                continue
            whose = "its own real" if other == name else f"channel {other}'s real"
            if field in _FOLDER_FIELDS:
                drill = Path(os.path.realpath(config.resolve_path(value)))
                public = Path(os.path.realpath(config.resolve_path(str(real))))
                if drill == public or public in drill.parents or drill in public.parents:
                    how = (
                        "is"
                        if drill == public
                        else "lies inside"
                        if public in drill.parents
                        else "holds"
                    )
                    return (
                        f"{rule}; its exercise: {field} {value} {how} {whose} {field} "
                        f"({public}, after following links), where the drill would be "
                        "published: give it a folder the public website does not serve"
                    )
            elif _same_value(value, str(real), environ):
                return (
                    f"{rule}; its exercise: {field} is {whose} one, where the drill would be "
                    f"published: give it the {field} of one kept for drills"
                )
    return None


def _same_value(drill: str, real: str, environ: Mapping[str, str]) -> bool:
    """Whether two values name the same thing: as written, or once their ``${VAR}``
    references are read from the environment (never shown)."""
    if drill.strip() == real.strip():
        return True
    drill_value, real_value = expand_references(drill, environ), expand_references(real, environ)
    return drill_value is not None and drill_value.strip() == (real_value or "").strip()
