"""What is wrong with an incident's times for a message written at a given moment.

``promise_problems``: a ``next_update`` that reads two ways ("18h": in 18 hours, or at 18:00)
or a time of day that has passed; ``end_problems``: an end still to come. They read the
incident, so they sit above it (``incident_times`` holds what the incident itself is read with).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from broadcast.input.error_words import language_of, say
from broadcast.input.incident import Incident
from broadcast.input.incident_times import (
    AMBIGUITY,
    RENEWED_PROMISE,
    HoursOrClock,
    clock_reading,
    not_one_moment,
    said_time,
    spelled_duration,
    today_at,
)
from broadcast.input.yamlfile import YamlDocument
from broadcast.problems import Problem


def promise_problems(incident: Incident, doc: YamlDocument, now: datetime) -> list[Problem]:
    """What is wrong with ``next_update`` for a message written at ``now``: a ``18h`` that
    reads two ways ("in 18 hours", "at 18:00 today", or at 22:00 "8h": "in 8 hours" or
    "tomorrow at 8:00") which differ by more than ``AMBIGUITY`` is refused, naming both
    times and how to write each; a time of day that has passed is a warning (the messages
    promise one an hour from now)."""
    promise = incident.next_update
    if incident.ended or promise is None:
        return []
    line = doc.line_of(("next_update",))
    language = language_of(incident.locale)  # the file's: its errors are said in it
    if isinstance(promise, HoursOrClock):
        zone = incident.zone
        later = (now + promise).astimezone(zone)
        clock = clock_reading(now, promise.clock, zone)
        if clock is not None and abs(later - clock) > AMBIGUITY:
            hours = promise.written.replace(" ", "")
            today = clock.date() == now.astimezone(zone).date()
            # A time of day is read today: tomorrow's needs its date to be one moment.
            second = f"{clock:%H:%M}" if today else f"{clock:%Y-%m-%d %H:%M}"
            return [
                Problem(
                    say(
                        language,
                        "reads_two_ways",
                        written=promise.written,
                        duration=spelled_duration(promise, language),
                        later=said_time(later, now, incident.locale, zone),
                        clock=f"{promise.clock:%H:%M}",
                        day=say(language, "today" if today else "tomorrow"),
                        clock_said=said_time(clock, now, incident.locale, zone),
                        hours=hours,
                        second=second,
                    ),
                    doc.path,
                    line,
                    "next_update",
                )
            ]
    if isinstance(promise, time):
        meant = today_at(now, promise, incident.zone)
        # "02:30" on the night the clocks skip or repeat that hour: no single moment.
        written = f"{meant:%Y-%m-%d} {promise:%H:%M}"
        wrong = not_one_moment(written, meant, incident.zone, language)
        if wrong:
            said = say(language, "read_today", text=wrong)
            return [Problem(said, doc.path, line, "next_update")]
        if meant <= now:
            return [
                Problem(
                    say(
                        language,
                        "promise_passed",
                        clock=f"{promise:%H:%M}",
                        renewed=incident.local_time(now + RENEWED_PROMISE),
                    ),
                    doc.path,
                    line,
                    "next_update",
                    severity="warning",
                )
            ]
    return []


# How far ahead of our clock an end may be written: two clocks a few minutes apart.
CLOCK_TOLERANCE = timedelta(minutes=5)


def end_problems(incident: Incident, doc: YamlDocument, now: datetime) -> list[Problem]:
    """An ``ended_at`` still to come is an error: a resolved or cancelled message says it is
    over ("Résolu à 13h20") and people act on it; an end that has not happened is a guess,
    not a fact. A few minutes ahead (``CLOCK_TOLERANCE``) is two clocks that differ."""
    if not incident.ended or incident.ended_at is None:
        return []
    if incident.ended_at <= now + CLOCK_TOLERANCE:
        return []
    return [
        Problem(
            say(
                language_of(incident.locale),
                "end_not_yet",
                end=incident.local_time(incident.ended_at),
                end_said=said_time(incident.ended_at, now, incident.locale, incident.zone),
                now=incident.local_time(now),
                status=incident.status,
            ),
            doc.path,
            doc.line_of(("ended_at",)),
            "ended_at",
        )
    ]
