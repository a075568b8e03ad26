"""How long ago a moment was, as status pages say it: "il y a 12 min", "1 h 30 min ago".

Said at publication (``now`` is the clock of the run, ``BROADCAST_NOW`` in tests): the page is
static, so beside it stands the ``<time datetime>`` a page's own script may refresh. Never
rounded up ("il y a 2 h" for 1 h 30 would be a time that has not passed yet).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

Unit = Literal["day", "hour", "minute"]

# The sentence around the duration, by language; another language gets Babel's own words for
# the largest unit only.
_AROUND = {"fr": "il y a {}", "en": "{} ago"}
_JUST_NOW = {"fr": "à l'instant", "en": "just now"}


def relative_time(moment: datetime, now: datetime, locale: str) -> str:
    """``moment`` as seen from ``now``: "à l'instant", "il y a 12 min", "il y a 1 h 30 min",
    "il y a 3 j"; for a moment after ``now`` (a clock that went back), "à l'instant"."""
    from babel.dates import format_timedelta

    tag = (locale or "en").replace("-", "_")
    language = tag.split("_")[0]
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return _JUST_NOW.get(language, _JUST_NOW["en"])
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    # Two units at most under a day ("1 h 30 min"), whole days beyond.
    units: list[tuple[int, Unit]] = (
        [(days, "day")] if days else [(hours, "hour"), (minutes, "minute")]
    )

    def unit(n: int, name: Unit) -> str:
        if language == "en":  # "12 min ago", as status pages write it (CLDR: "12 mins")
            return {"day": f"{n} day{'s' * (n != 1)}", "hour": f"{n} h", "minute": f"{n} min"}[name]
        return format_timedelta(
            timedelta(**{f"{name}s": n}), granularity=name, threshold=1e9, format="short",
            locale=tag,
        )  # fmt: skip

    said = " ".join(unit(n, name) for n, name in units if n)
    if language in _AROUND:
        text = _AROUND[language].format(said)
    else:
        largest = next((n, name) for n, name in units if n)
        text = format_timedelta(
            -timedelta(**{f"{largest[1]}s": largest[0]}), granularity=largest[1],
            threshold=1e9, add_direction=True, format="short", locale=tag,
        )  # fmt: skip
    return text.replace("\u202f", " ").replace("\u00a0", " ")
