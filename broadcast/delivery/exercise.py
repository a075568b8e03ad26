"""Exercises: a drill nobody can take for the real thing, sent only to those who drill.

An exercise (``--exercise``, or ``exercise: true`` in the incident) changes three things:

- every text of every channel starts with a marker ("EXERCICE", "EXERCISE" and an en dash),
  the email subject and the spoken call included; an HTML page gets it as its first paragraph;
- every channel type names its destination (``DESTINATION``): a personal channel's
  ``recipients``, a team channel's Apprise ``urls``, a public channel's account, page or
  ``output_dir`` (``PUBLIC``: X, Facebook, the web banner, CAP). A channel takes part only
  with a drill destination of its own: ``exercise_recipients`` (another CSV, of the people who
  drill) or an ``exercise:`` block naming another account, page, folder or URLs. A
  destination missing, or that is a real one (the same value, the same folder after links, the
  same file or the same content, a list whose addresses are mostly real ones) leaves the
  channel out, and preview, the dry run and send say why.

The ledger keeps an exercise apart under its own id (``input.incident.EXERCISE_SUFFIX``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcast.input.config import Config, expand_references
from broadcast.input.model_errors import problems_from_validation
from broadcast.input.schema import ValidationError
from broadcast.problems import InputError, Problem

if TYPE_CHECKING:
    from broadcast.channels.model import ChannelConfig

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
# Where a template wants the notice (the emails' _email.html.j2: inside the 600 px card, in its
# font); a page without it gets the notice first in its body.
NOTICE_SLOT = "<!--broadcast:notice-->"
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
            slotted = NOTICE_SLOT in text
            style = ""
            if inline_style:
                # In the card, the card's padding and font; alone, its own padding.
                padding = "12px 24px;margin:0" if slotted else ".5em"
                style = (
                    f' style="font-weight:bold;background:#fde68a;color:#1a1a1a;padding:{padding}"'
                )
            notice = (
                f'<p class="exercise"{style}>'
                f"{escape(HTML_NOTICES.get(language, HTML_NOTICES['en']))}</p>"
            )
            text = _TITLE.sub(lambda m: m.group(0) + escape(sign) + " ", text, count=1)
            body = _BODY.search(text)
            if slotted:
                marked[part] = text.replace(NOTICE_SLOT, notice, 1)
            elif body:
                marked[part] = text[: body.end()] + notice + text[body.end() :]
            else:
                marked[part] = notice + text
        elif part in UNMARKED_PARTS or text.startswith(sign):
            marked[part] = text  # a place, or a template that says it already
        else:
            marked[part] = f"{sign} {text}"
    return marked


def exercise_config(
    config: Config, environ: Mapping[str, str] | None = None
) -> tuple[Config, dict[str, str], list[Problem]]:
    """The configuration a drill uses, the channels it skips (with why), and problems with the
    ``exercise:`` blocks and lists.

    Every channel type names its destination (``DESTINATION``): the account, page or folder
    of a public channel, the team channels' ``urls``, a personal channel's ``recipients``
    (whose drill value is ``exercise_recipients``). A channel takes part only when its drill
    gives one of them a value of its own that is none of the real ones: another folder
    (compared after following links, and not inside or around a real one), another account,
    page or URL, another recipients file that is neither a real list (the same file after
    links, or the same content) nor mostly its people (``MOSTLY_REAL``). Any other block (a
    rate, a timeout, a contact) leaves it out. A channel with no recipients of its own (only
    another's fallback) reaches, in a drill, only the drill list's rows of the one it backs.
    """
    environ = os.environ if environ is None else environ
    channels: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    problems: list[Problem] = []
    for name, channel in config.channels.items():
        block = dict(channel.exercise or {})
        own = channel.model_dump(by_alias=True, exclude_none=True)
        personal = "recipients" in type(channel).DESTINATION
        if personal and channel.exercise_recipients:
            block["recipients"] = channel.exercise_recipients
        fallback_only = (
            personal
            and getattr(channel, "recipients", None) is None
            and not block.get("recipients")
        )
        if not fallback_only:
            why = _not_elsewhere(config, name, block, environ, problems)
            if why is not None:
                skipped[name] = why
                continue
        # Never the subscribers in a drill: they are the public.
        data = {**own, **block, "exercise": None, "exercise_recipients": None}
        data["subscribers"] = False
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
# A drill list of which more than this share of addresses are on a real list is a copy of
# it, however renamed or edited: it stays out. Fewer shared addresses (a staff member who is
# also a customer) are a warning naming how many.
MOSTLY_REAL = 0.5


def _rule(kind: type[ChannelConfig], fields: tuple[str, ...]) -> str:
    """The rule a channel of type ``kind`` breaks when it stays out of a drill."""
    if "recipients" in fields:
        return (
            "a channel takes part in a drill only with exercise_recipients (the people who "
            "drill), another list than the real one"
        )
    who = "a public channel" if kind.PUBLIC else "a channel"
    rule = f"{who} takes part in a drill only with a destination of its own"
    if not fields:
        return f"{rule}, and this type of channel names none"
    example = ", ".join(
        f"{field}: [...]" if field == "urls" else f"{field}: ..." for field in fields
    )
    return f"{rule}, different from the real one (exercise: {{{example}}})"


def _not_elsewhere(
    config: Config,
    name: str,
    block: dict[str, Any],
    environ: Mapping[str, str],
    problems: list[Problem],
) -> str | None:
    """Why channel ``name`` stays out of the drill, or None when its drill gives it a
    destination of its own (a warning about a drill list partly real goes to ``problems``)."""
    kind = type(config.channels[name])
    fields = kind.DESTINATION
    rule = _rule(kind, fields)
    if not fields:
        return rule
    given = [field for field in fields if block.get(field) not in (None, "", [])]
    if not given:
        if "recipients" in fields:
            return "it has no exercise_recipients (the people who drill)"
        if not block:
            return f"{rule}; it has no exercise: block"
        return (
            f"{rule}; its exercise: block sets only {', '.join(sorted(block))}, "
            f"not {' or '.join(fields)}"
        )
    seen: set[tuple[str, str, str]] = set()
    for field in given:
        written = block[field]
        values = [str(v) for v in written] if isinstance(written, list) else [str(written)]
        for other, channel in config.channels.items():
            real = getattr(channel, field, None)
            if field not in type(channel).DESTINATION or not real:
                continue
            whose = "its own real" if other == name else f"channel {other}'s real"
            reals = [str(v) for v in real] if isinstance(real, list) else [str(real)]
            for value in values:
                for public in reals:
                    # The same list named by two channels (SMS and email) is compared once.
                    same = str(config.resolve_path(public)) if field == "recipients" else public
                    if (field, value, same) in seen:
                        continue
                    seen.add((field, value, same))
                    why = _same_destination(
                        config, name, field, value, public, whose, environ, problems
                    )
                    if why is not None:
                        return f"{rule}; {why}"
    return None


def _same_destination(
    config: Config,
    name: str,
    field: str,
    value: str,
    real: str,
    whose: str,
    environ: Mapping[str, str],
    problems: list[Problem],
) -> str | None:
    """Why the drill's ``value`` for ``field`` is (or holds) the ``real`` destination."""
    if field in _FOLDER_FIELDS:
        drill = Path(os.path.realpath(config.resolve_path(value)))
        public = Path(os.path.realpath(config.resolve_path(real)))
        if drill == public or public in drill.parents or drill in public.parents:
            how = "is" if drill == public else "lies inside" if public in drill.parents else "holds"
            return (
                f"its exercise: {field} {value} {how} {whose} {field} "
                f"({public}, after following links), where the drill would be "
                "published: give it a folder the public website does not serve"
            )
        return None
    if field == "recipients":
        return _same_people(config, name, value, real, whose, problems)
    if _same_value(value, real, environ):
        if field == "urls":
            return (
                f"its exercise: urls hold one of {whose} urls, where the drill would be "
                "posted: give it the URLs of channels kept for drills"
            )
        return (
            f"its exercise: {field} is {whose} one, where the drill would be "
            f"published: give it the {field} of one kept for drills"
        )
    return None


def _same_people(
    config: Config, name: str, value: str, real: str, whose: str, problems: list[Problem]
) -> str | None:
    """Why the drill list ``value`` reaches the people of the real list ``real``: the same
    file after links, the same content, or mostly the same addresses (``MOSTLY_REAL``)."""
    from broadcast.input.recipients import shared_addresses

    drill = Path(os.path.realpath(config.resolve_path(value)))
    public = Path(os.path.realpath(config.resolve_path(real)))
    said = f"exercise_recipients {value}"
    if drill == public:
        return (
            f"its {said} is {whose} recipients list ({public}, after following links): the "
            "drill would reach the real recipients; give it a list of the people who drill"
        )
    try:
        if drill.stat().st_size == public.stat().st_size and _digest(drill) == _digest(public):
            return (
                f"its {said} holds the same lines as {whose} recipients list ({real}): the "
                "drill would reach the real recipients; give it a list of the people who drill"
            )
        channel = config.channels[name]
        kind = type(channel).CONTACT or "email"
        region = getattr(channel, "default_region", None)
        key = (str(drill), str(public), kind, region, _stamp(drill), _stamp(public))
        if key not in _SHARED:
            _SHARED[key] = shared_addresses(drill, public, kind, region, name)
        shared, total = _SHARED[key]
    except (OSError, InputError):
        # A list that cannot be read is reported where the plan reads it, and stops the send.
        return None
    if not shared:
        return None
    counted = f"{shared} of its {total} {'phone numbers' if kind == 'phone' else 'email addresses'}"
    if shared > total * MOSTLY_REAL:
        return (
            f"{counted} are on {whose} recipients list ({real}): the drill list is mostly "
            "real recipients, who would get the drill; give it a list of the people who drill"
        )
    problems.append(
        Problem(
            f"{counted} {'is' if shared == 1 else 'are'} also on {whose} recipients list "
            f"({real}): {'this person gets' if shared == 1 else 'these people get'} the drill "
            "too; make sure they drill",
            config.path,
            config.line_of("channels", name, "exercise_recipients"),
            "exercise_recipients",
            channel=name,
            severity="warning",
        )
    )
    return None


# A send plans the drill more than once (the plan, the run, the reminders): two unchanged
# lists are compared once per process.
_SHARED: dict[tuple[object, ...], tuple[int, int]] = {}


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


def _digest(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _same_value(drill: str, real: str, environ: Mapping[str, str]) -> bool:
    """Whether two values name the same thing: as written, or once their ``${VAR}``
    references are read from the environment (never shown)."""
    if drill.strip() == real.strip():
        return True
    drill_value, real_value = expand_references(drill, environ), expand_references(real, environ)
    return drill_value is not None and drill_value.strip() == (real_value or "").strip()
