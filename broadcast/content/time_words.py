"""Dates, times and durations in the incident's locale and timezone, written ("22 novembre 2026
à 14h", "2:00 PM") and said ("14 heures 30"): the filters of the templates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any

# CLDR's "atTime" date-time patterns, which Babel does not ship ("22 novembre 2026 à 14:00").
_AT_TIME = {"fr": "{1} à {0}", "en": "{1} at {0}", "de": "{1} um {0}", "es": "{1}, {0}"}


@lru_cache(maxsize=16)
def twelve_hour_clock(locale: str) -> bool:
    """Whether the locale's own short time is on the 12-hour clock (en_US "2:00 PM")."""
    from babel import Locale, UnknownLocaleError

    try:
        return "a" in str(Locale.parse(locale).time_formats["short"].pattern)
    except (ValueError, UnknownLocaleError):
        return False


class TimeWords:
    """Dates, times and durations as the messages write and say them, in one locale and zone,
    with ``now`` for what is today: the templates' filters (``filters``)."""

    def __init__(self, locale: str, zone: tzinfo, now: datetime) -> None:
        self.locale = locale
        self.language = locale.split("_")[0]
        self.zone = zone
        self.now = now

    def filters(self) -> dict[str, Callable[..., Any]]:
        """The filters by their names in the templates."""
        filters: dict[str, Callable[..., Any]] = {
            name: _plain_spaces(method)
            for name, method in (
                ("datetime", self._datetime),
                ("zoned", self._zoned),
                ("date", self._date),
                ("time", self._time),
                ("when", self._when),
                ("duration", self._duration),
                ("at", self._at),
                ("spoken_time", self._spoken_time),
                ("spoken", self._spoken),
            )
        }
        filters["is_today"] = self._is_today
        # "il y a 12 min": how long before this publication (content.relative_time).
        filters["ago"] = self._ago
        filters["promises_update"] = self._promises_update
        return filters

    def _local(self, value: datetime) -> datetime:
        return value.astimezone(self.zone)

    def _ago(self, value: datetime) -> str:
        from broadcast.content.relative_time import relative_time

        return relative_time(value, self.now, self.locale)

    def _date(self, value: datetime) -> str:
        from babel.dates import format_date

        return format_date(self._local(value), "long", locale=self.locale)

    def _time(self, value: datetime) -> str:
        """``11h40``, ``14h`` in French (as people write it); the locale's own elsewhere
        (``14:00`` for en_GB, ``2:00 PM`` for en_US)."""
        from babel.dates import format_time

        if self.language == "fr":
            local = self._local(value)
            return f"{local.hour}h{local.minute:02d}" if local.minute else f"{local.hour}h"
        return format_time(self._local(value), "short", tzinfo=self.zone, locale=self.locale)

    def _datetime(self, value: datetime) -> str:
        """``22 novembre 2026 à 14:00`` / ``November 22, 2026 at 2:00 PM``."""
        return self._join(self._date(value), self._time(value))

    def _zoned(self, value: datetime) -> str:
        """``22 novembre 2026 à 14h CET``: a page read from anywhere names its zone."""
        local = self._local(value)
        return f"{self._datetime(local)} {local.tzname() or local.strftime('%z')}"

    def _when(self, value: datetime) -> str:
        """The time alone when it is today, else day and time: short enough for an SMS.

        The day is numeric ("23/08"): a month name such as "août" would make a French SMS UCS-2.
        """
        from babel.dates import format_skeleton

        local = self._local(value)
        if local.date() == self.now.date():
            return self._time(local)
        return self._join(format_skeleton("ddMM", local, locale=self.locale), self._time(local))

    def _is_today(self, value: datetime) -> bool:
        return self._local(value).date() == self.now.date()

    def _promises_update(self, text: Any, moment: datetime | None) -> bool:
        """Whether ``text`` (a headline) already says when the next news comes, at ``moment``
        as the messages write it: a composed short text does not then say it a second time
        ("…point à 18h. Sans internet… Point à 18h."). A cadence ("every 3 hours") does not
        count: the time it is kept at is news."""
        if moment is None:
            return False
        time = self._time(moment)
        for sentence in re.split(r"(?<=[.!?])\s+", str(text or "")):
            found = _UPDATE_WORD.search(sentence)
            if found and re.search(rf"(?<![\d:]){re.escape(time)}(?![\d:])", sentence):
                return True
        return False

    def _at(self, value: datetime) -> str:
        """``à 11h40`` today, ``le 23/11 à 11h40`` another day (``at 11:40``,
        ``on 23/11 at 11:40``): a time to put after a verb, short enough for an SMS."""
        from babel.dates import format_skeleton

        local = self._local(value)
        time = self._time(local)
        word = {"fr": ("à", "le"), "en": ("at", "on")}.get(self.language, ("", ""))
        if local.date() == self.now.date():
            return f"{word[0]} {time}".strip()
        day = format_skeleton("ddMM", local, locale=self.locale)
        return f"{word[1]} {self._join(day, time)}".strip()

    def _join(self, day: str, time: str) -> str:
        pattern = _AT_TIME.get(self.language)
        if pattern is None:
            from babel import Locale

            pattern = str(Locale.parse(self.locale).datetime_formats["long"]).replace("'", "")
        return pattern.replace("{1}", day).replace("{0}", time)

    def _spoken_time(self, value: datetime) -> str:
        """A time as a person says it on the phone: "14 heures 30", "2:30 pm" (en_US),
        "14:30" (en_GB, as its messages write it); the day too
        when it is not today ("demain à 8 heures", "tomorrow at 8 am")."""
        local = self._local(value)
        hour, minute = local.hour, local.minute
        if self.language == "fr":
            said = f"{hour} heure{'s' * (hour > 1)}" + (f" {minute}" if minute else "")
            if hour == 12 and not minute:
                said = "midi"
            elif hour == 0 and not minute:
                said = "minuit"
            today, tomorrow, at = "", "demain à ", "le {day} à "
        elif not twelve_hour_clock(self.locale):
            # A 24-hour locale (en_GB) says the time as its messages write it ("14:30"): one
            # clock in the whole call, the headline's "08:10" included.
            said = self._time(local)
            today, tomorrow, at = "", "tomorrow at ", "on {day} at "
        else:
            twelve = hour % 12 or 12
            said = f"{twelve}{f':{minute:02d}' if minute else ''} {'am' if hour < 12 else 'pm'}"
            if hour == 12 and not minute:
                said = "noon"
            today, tomorrow, at = "", "tomorrow at ", "on {day} at "
        days = (local.date() - self.now.date()).days
        if days == 0:
            return today + said
        if days == 1:
            return tomorrow + said
        return at.format(day=self._date(local)) + said

    def _spoken(self, value: Any) -> str:
        """Incident text for the ear: no web address (nobody can click a call), French times
        written "8h10" said "8 heures 10"."""
        text = _URL.sub("", str(value))
        if self.language == "fr":
            text = _FRENCH_TIME.sub(_say_french_time, text)
        return re.sub(r"\s{2,}", " ", text).strip()

    def _duration(self, value: timedelta) -> str:
        """``5 heures 10 minutes``: the two largest units, not rounded to one ("6 heures" for
        5 h 40 would say another end than the one beside it)."""
        from babel.dates import format_timedelta

        minutes = max(int(value.total_seconds() // 60), 0)
        units = [
            (minutes // (24 * 60), "day"),
            (minutes // 60 % 24, "hour"),
            (minutes % 60, "minute"),
        ]
        said = [
            format_timedelta(
                timedelta(**{f"{unit}s": n}), granularity=unit, threshold=1e9, locale=self.locale
            )
            for n, unit in units
            if n
        ][:2]
        return " ".join(said) or format_timedelta(value, threshold=1.5, locale=self.locale)


_URL = re.compile(r"(?:https?://|www\.)\S+")


# "8h10", "18 h 30", "14h": the space after the "h" belongs to the next word ("avant 18h les
# rues"), so it is taken only with the minutes that follow it.
_FRENCH_TIME = re.compile(r"\b([01]?\d|2[0-3]) ?h(?: ?([0-5]\d))?\b")


def _say_french_time(match: re.Match[str]) -> str:
    hour = int(match.group(1))
    minutes = f" {int(match.group(2))}" if match.group(2) and int(match.group(2)) else ""
    return f"{hour} heure{'s' * (hour > 1)}{minutes}"


# A word for the next news: with the promised time in the same sentence, the headline
# already says it ("Point à 18h", "Next update at 18:00").
_UPDATE_WORD = re.compile(
    r"\b(?:point|nouvelles|mise à jour|mises à jour|prochain message|informerons|"
    r"update|updates|news|keep you posted)\b",
    re.IGNORECASE,
)


def _plain_spaces(format_value: Callable[[Any], str]) -> Callable[[Any], str]:
    """CLDR puts narrow no-break spaces in times ("2:00\u202fPM"): one would make an SMS UCS-2."""

    def formatted(value: Any) -> str:
        return format_value(value).replace("\u202f", " ").replace("\u00a0", " ")

    return formatted
