"""Wording checks on times: a time in the headline that says otherwise than ``next_update`` or
``eta``, and English times on two clocks (12- and 24-hour) or on the other clock than the
messages'.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from broadcast.content.time_words import twelve_hour_clock
from broadcast.content.wording.texts import Says, Wording, plain_apostrophes
from broadcast.content.wording.vocabulary import LANGUAGE_PATTERNS, language_patterns
from broadcast.input.yamlfile import dotted
from broadcast.problems import Problem

if TYPE_CHECKING:
    from broadcast.input.incident import Incident

# An English clock time: "2pm", "2:30 p.m.", "14:30", "08:10" (not "2.5 hours", not a phone).
_ENGLISH_CLOCK = re.compile(
    r"(?<![\w:/.])(?P<hour>[01]?\d|2[0-3])(?::(?P<minute>[0-5]\d))?"
    r"(?:\s?(?P<ampm>am|pm|a\.m\.|p\.m\.))?(?![\w:])",
    re.IGNORECASE,
)


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


def clock_styles(says: Says, wording: Wording) -> Iterator[Problem]:
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


def headline_times(
    incident: Incident, says: Says, wording: Wording, now: datetime | None
) -> Iterator[Problem]:
    """A time in the headline that says otherwise than ``next_update`` or ``eta``."""
    headline = plain_apostrophes(wording.fields["headline"] or "")
    language = language_patterns(wording.language)
    location = (*wording.prefix, "headline")
    zone = incident.zone
    for match in _CLOCK.finditer(headline):
        said = _clock_of(match)
        if said is None:
            continue
        before = headline[max(0, match.start() - 40) : match.start()]
        cues = (
            [language]
            if language is not None
            else [language_patterns(c) for c in LANGUAGE_PATTERNS]
        )
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
