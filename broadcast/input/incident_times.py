"""The incident's times as written and what they promise.

``next_update`` is read as a duration, a time of day, or both (``HoursOrClock``: French "18h"
is 18 hours or 6 pm); ``said_time`` says how a person reads a promised moment (what is wrong
with an incident's promise or end is in ``promise_checks``). A local date and time must name
one moment (``not_one_moment``: not skipped or repeated by a change of hour).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from broadcast.input.error_words import Worded, say

# How far ahead a promised update time that has already passed is renewed.
RENEWED_PROMISE = timedelta(hours=1)


_DURATION = re.compile(
    r"^\s*(?:(?P<d>\d+)\s*(?:d|j|days?|jours?)\s*)?"
    r"(?:(?P<h>\d+)\s*(?:h|hours?|heures?)\s*)?"
    r"(?:(?P<m>\d+)\s*(?:m|min|mins|minutes?)?\s*)?$",
    re.IGNORECASE,
)


_ISO_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?)?$")


def parse_duration(text: str) -> timedelta | None:
    """``2h``, ``90m``, ``1h30``, ``45 min``, ``1d``, ``PT2H`` → timedelta, else None.

    A number without a unit is None: ``2`` could be minutes, hours or a time of day.
    """
    text = text.strip()
    if text.isdigit():
        return None
    match = _ISO_DURATION.match(text.upper()) or _DURATION.match(text)
    if not match or not any(match.groupdict().values()):
        return None
    parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
    return timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"])


# How a promise says it is a duration or a time of day, whatever the form after it.
_IN = re.compile(r"^(?:in|dans)\s+(?P<rest>.+)$", re.IGNORECASE)


_AT = re.compile(r"^(?:at|à|a)\s+(?P<rest>.+)$", re.IGNORECASE)


_CLOCK = re.compile(r"^(?P<h>\d{1,2})\s*(?::|h)\s*(?P<m>\d{2})?$", re.IGNORECASE)


_COLON_CLOCK = re.compile(r"^(?P<h>\d{1,2}):(?P<m>\d{2})$")


# Two readings of a promise closer than this are the same promise, near enough.
AMBIGUITY = timedelta(hours=1)


class HoursOrClock(timedelta):
    """A duration written ``18h`` or ``1h30``, which French also reads as a time of day
    ("18h", 6 pm): ``clock`` is that other reading. Whether it is ambiguous depends on the
    moment the message goes out (``promise_problems``)."""

    clock: time
    written: str

    def __new__(cls, duration: timedelta, clock: time, written: str) -> HoursOrClock:
        made = super().__new__(cls, seconds=duration.total_seconds())
        made.clock = clock
        made.written = written
        return made

    def __reduce__(self) -> Any:
        return (HoursOrClock, (timedelta(seconds=self.total_seconds()), self.clock, self.written))


def read_promise(text: str) -> timedelta | time | None:
    """``next_update`` as written: a duration (``2h``, ``90m``, ``in 18h``, ``dans 2h``), a
    time of day (``18:00``, ``at 18h``, ``à 18h30``), or None when it is neither (a date is
    read by the model). ``18h`` and ``1h30`` are durations that remember their other reading
    (``HoursOrClock``). ``ValueError`` for a number without a unit or an impossible time."""
    text = " ".join(text.split())
    if text.isdigit():
        raise Worded("promise_no_unit", text=text, clock=f"{int(text) % 24:02d}:00")
    explicit = _IN.match(text)
    if explicit:
        duration = parse_duration(explicit["rest"])
        if duration is None:
            raise Worded("promise_after_in", text=text)
        return timedelta(seconds=duration.total_seconds())
    at = _AT.match(text)
    clock = _CLOCK.match(at["rest"]) if at else _COLON_CLOCK.match(text)
    if clock:
        hour, minute = int(clock["h"]), int(clock["m"] or 0)
        if hour > 23 or minute > 59:
            raise Worded("promise_not_a_clock", text=text)
        return time(hour, minute)
    if at:
        raise Worded("promise_after_at", text=text)
    duration = parse_duration(text)
    if duration is None:
        return None
    bare = _CLOCK.fullmatch(text.replace(" ", ""))
    if bare and "h" in text.lower() and int(bare["h"]) < 24 and int(bare["m"] or 0) < 60:
        return HoursOrClock(duration, time(int(bare["h"]), int(bare["m"] or 0)), text)
    return duration


def today_at(now: datetime, clock: time, zone: ZoneInfo) -> datetime:
    """``clock`` on the day of ``now`` in ``zone`` (a time a change of hour skips or repeats
    is read as the zone's rules say: fold 0)."""
    day = now.astimezone(zone).date()
    return datetime.combine(day, clock, tzinfo=zone)


# How far ahead a time of day written without its day may be meant for tomorrow: at 22:00,
# "8h" may well be tomorrow at 8:00 (ten hours on); at 09:40, nobody means by "2h" a promise
# for 2:00 tomorrow, sixteen hours on, without saying "tomorrow". Today's is always a reading.
CLOCK_HORIZON = timedelta(hours=12)


def clock_reading(now: datetime, clock: time, zone: ZoneInfo) -> datetime | None:
    """The moment a ``18h`` or ``8h`` means read as a time of day, for a message written at
    ``now``: its next occurrence, today if still ahead, else tomorrow within
    ``CLOCK_HORIZON``; None when it cannot be a promise (passed, or too far off)."""
    today = today_at(now, clock, zone)
    if today > now:
        return today
    day = now.astimezone(zone).date() + timedelta(days=1)
    tomorrow = datetime.combine(day, clock, tzinfo=zone)
    return tomorrow if tomorrow - now <= CLOCK_HORIZON else None


def spelled_duration(duration: timedelta, language: str = "en") -> str:
    """``18 hours``, ``1 hour 30 minutes`` (``18 heures`` in French)."""
    hours, rest = divmod(int(duration.total_seconds()) // 60, 60)
    kind = "hours_minutes" if rest else "hours"
    return say(language, kind, hours=hours, plural="s" * (hours != 1), minutes=rest)


# What leads a promise shown to the person who sends it (validate, preview, confirmation).
PROMISE_WORDS = {"fr": "Prochain point promis :", "en": "Next update promised:"}


# "today", "tomorrow" and the day's name, in the languages the templates ship.
_DAYS = {
    "fr": ("aujourd'hui à {time}", "demain à {time}", "le {date} à {time}"),
    "en": ("today at {time}", "tomorrow at {time}", "on {date} at {time}"),
}


def said_time(moment: datetime, now: datetime, locale: str, zone: tzinfo) -> str:
    """A promised moment as a person of ``locale`` reads it: ``aujourd'hui à 18h``,
    ``demain à 7h30``, ``tomorrow at 07:30``, ``le lundi 23 novembre à 9h``."""
    from babel.dates import format_date, format_time

    local = moment.astimezone(zone)
    language = locale.split("_")[0]
    if language == "fr":
        clock = f"{local.hour}h{local.minute:02d}" if local.minute else f"{local.hour}h"
    else:
        clock = format_time(local, "short", locale=locale).replace("\u202f", " ")
    days = (local.date() - now.astimezone(zone).date()).days
    today, tomorrow, other = _DAYS.get(language, _DAYS["en"])
    pattern = today if days == 0 else tomorrow if days == 1 else other
    date = format_date(local, "EEEE d MMMM", locale=locale) if days not in (0, 1) else ""
    return pattern.format(time=clock, date=date)


def not_one_moment(
    written: str, moment: datetime, zone: tzinfo, language: str = "en"
) -> str | None:
    """Why the local ``moment`` (written ``written``) is not one moment, in ``language``
    (the incident file's), or None (``moment_problem`` said)."""
    found = moment_problem(written, moment, zone)
    return None if found is None else say(language, found[0], **found[1])


def moment_problem(
    written: str, moment: datetime, zone: tzinfo
) -> tuple[str, dict[str, str]] | None:
    """Why the local ``moment`` (written ``written``) is not one moment, as the kind of
    message (``error_words``) and its values, or None.

    When the clocks go forward, a local time is skipped (2026-03-29 02:30 in Paris never
    happens): Python would show it with the offset before the change, a time nobody's clock
    showed. When they go back, one is lived twice (2026-10-25 02:30, CEST then CET): taking
    either one silently may be an hour wrong. Only the person knows; an offset says which."""
    name = getattr(zone, "key", str(zone))
    back = moment.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != moment.replace(tzinfo=None):
        return "clocks_skip", {
            "written": written,
            "zone": name,
            "shown": f"{back:%Y-%m-%d %H:%M} ({back:%Z})",
        }
    first, second = moment.replace(fold=0), moment.replace(fold=1)
    if first.utcoffset() != second.utcoffset():
        return "clocks_repeat", {
            "written": written,
            "zone": name,
            "first": f"{first:%Z}, {first.isoformat(timespec='minutes')}",
            "second": f"{second:%Z}, {second.isoformat(timespec='minutes')}",
        }
    return None


def parse_local(text: str, zone: tzinfo) -> datetime | None:
    candidate = text.strip().replace(" ", "T", 1)
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
