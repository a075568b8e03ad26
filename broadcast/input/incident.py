"""The incident: the one crisis message a user writes, as a validated model loaded from YAML."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from broadcast.input.model_errors import problems_from_validation
from broadcast.input.schema import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from broadcast.input.yamlfile import YamlDocument, dotted, load_yaml
from broadcast.problems import InputError, Problem

Status = Literal["investigating", "identified", "monitoring", "resolved", "cancelled"]
# The last word on an incident: no next update, no reminder after it. ``cancelled`` is the
# correction of a false alarm or a wrong message (its ``correction`` text says what was wrong).
CLOSED = ("resolved", "cancelled")
# An exercise is kept apart in the ledger under its own id: the real id and this suffix (the
# suffix cannot occur in a real id, whose hyphens are single).
EXERCISE_SUFFIX = "--exercise"
Severity = Literal["minor", "major", "critical"]

# How far ahead a promised update time that has already passed is renewed.
RENEWED_PROMISE = timedelta(hours=1)

# Fields that channels.yaml's ``defaults`` may supply when an incident leaves them out.
DEFAULTABLE = ("locale", "timezone", "link", "feedback_url", "sign_off")

# The most characters each text may hold, in the incident and in its translations: several
# times the longest we ship, and more than anyone reads on a phone in a crisis. Checked before
# anything else, so a text pasted by mistake is refused at once instead of being measured,
# rendered and split for minutes.
MAX_CHARACTERS = {
    "title": 200,  # an email subject and a page title: read at a glance
    "headline": 1_000,  # against pasted text; preflight asks for one post on X (280)
    "affected": 1_000,
    "summary": 4_000,
    "actions": 4_000,
    "apology": 1_000,
    "compensation": 1_000,
    "offline": 300,  # said in the SMS and the call: a number, a radio, a place
    "sign_off": 200,
    "signed_by": 200,
    "q": 300,  # a question of the FAQ
    "a": 2_000,  # its answer
    "link": 2_000,  # about the longest web address browsers and mail programs keep whole
    "feedback_url": 2_000,
    "correction": 1_000,  # what was wrong and what to do now
}
# Every other value (id, status, dates, durations, language, time zone) is a word or a date.
MAX_OTHER_CHARACTERS = 200

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
        raise ValueError(
            f"'{text}' has no unit: write {text}h for hours, {text}m for minutes, or a time "
            f"of day such as {int(text) % 24:02d}:00"
        )
    explicit = _IN.match(text)
    if explicit:
        duration = parse_duration(explicit["rest"])
        if duration is None:
            raise ValueError(f"'{text}': after 'in', write a duration such as 2h, 90m or 1h30")
        return timedelta(seconds=duration.total_seconds())
    at = _AT.match(text)
    clock = _CLOCK.match(at["rest"]) if at else _COLON_CLOCK.match(text)
    if clock:
        hour, minute = int(clock["h"]), int(clock["m"] or 0)
        if hour > 23 or minute > 59:
            raise ValueError(f"'{text}' is not a time of day (00:00 to 23:59)")
        return time(hour, minute)
    if at:
        raise ValueError(f"'{text}': after 'at', write a time of day such as 18:00")
    duration = parse_duration(text)
    if duration is None:
        return None
    bare = _CLOCK.fullmatch(text.replace(" ", ""))
    if bare and "h" in text.lower() and int(bare["h"]) < 24 and int(bare["m"] or 0) < 60:
        return HoursOrClock(duration, time(int(bare["h"]), int(bare["m"] or 0)), text)
    return duration


class FaqEntry(BaseModel):
    """A frequent question, answered once for every channel and the contact centre."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    q: str = Field(min_length=1)
    a: str = Field(min_length=1)


# Text fields a translation carries; the others (dates, status, link...) are shared.
TRANSLATED = (
    "title",
    "headline",
    "affected",
    "summary",
    "actions",
    "apology",
    "compensation",
    "correction",
    "offline",
    "sign_off",
    "signed_by",
)
# Translated when given, yet not required of a translation: often a name, the same in any language.
OPTIONAL_IN_TRANSLATION = ("sign_off",)


class Translation(BaseModel):
    """The incident's wording in another language (``translations: {en: {...}}``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    title: str | None = None
    headline: str | None = None
    affected: str | None = None
    summary: str | None = None
    actions: str | None = None
    apology: str | None = None
    compensation: str | None = None
    correction: str | None = None
    offline: str | None = None
    sign_off: str | None = None
    signed_by: str | None = None
    faq: list[FaqEntry] | None = None


_POINT = r"-?\d{1,2}(?:\.\d+)?,-?\d{1,3}(?:\.\d+)?"


class Area(BaseModel):
    """Where the incident is, for machine readers (CAP's ``<area>``); ``affected`` says it in
    words when ``description`` is left out."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    description: str | None = None
    # WGS 84 "lat,lon" pairs separated by spaces, the first repeated last (CAP 1.2, 3.2.4).
    polygons: list[str] = Field(default_factory=list)
    # "lat,lon radius" with the radius in kilometres.
    circles: list[str] = Field(default_factory=list)
    # valueName: value, e.g. {INSEE: "59350"} (a commune), {NUTS3: FRE11}.
    geocodes: dict[str, str] = Field(default_factory=dict)

    @field_validator("polygons")
    @classmethod
    def _closed_rings(cls, value: list[str]) -> list[str]:
        for polygon in value:
            points = polygon.split()
            if not all(re.fullmatch(_POINT, point) for point in points):
                raise ValueError(f"'{polygon[:80]}' is not a list of lat,lon pairs")
            if len(points) < 4 or points[0] != points[-1]:
                raise ValueError("a polygon has at least 4 lat,lon pairs and ends where it starts")
        return value

    @field_validator("circles")
    @classmethod
    def _circles(cls, value: list[str]) -> list[str]:
        for circle in value:
            if not re.fullmatch(_POINT + r" \d+(?:\.\d+)?", circle):
                raise ValueError(f"'{circle[:80]}' is not a circle: write it lat,lon radius_km")
        return value


class CapWords(BaseModel):
    """The CAP 1.2 values to use instead of those mapped from the status and severity."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    category: (
        list[
            Literal[
                "Geo",
                "Met",
                "Safety",
                "Security",
                "Rescue",
                "Fire",
                "Health",
                "Env",
                "Transport",
                "Infra",
                "CBRNE",
                "Other",
            ]
        ]
        | None
    ) = None
    event: str | None = None
    urgency: Literal["Immediate", "Expected", "Future", "Past", "Unknown"] | None = None
    severity: Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"] | None = None
    certainty: Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"] | None = None
    response_type: (
        list[
            Literal[
                "Shelter",
                "Evacuate",
                "Prepare",
                "Execute",
                "Avoid",
                "Monitor",
                "Assess",
                "AllClear",
                "None",
            ]
        ]
        | None
    ) = None


# Names Windows keeps for devices (CON.html is the console, not a file), in the id's case.
WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{name}{n}" for name in ("com", "lpt") for n in "0123456789"]
)


class Incident(BaseModel):
    """What the organisation says about the crisis, in one place."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=100)
    status: Status
    severity: Severity
    locale: str = Field(min_length=2)
    timezone: str
    title: str = Field(min_length=1)
    headline: str = Field(min_length=1)
    started_at: datetime
    affected: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    actions: str | None = None
    eta: datetime | None = None
    # A duration, a time of day (today, in the incident's timezone) or a date and time.
    next_update: timedelta | datetime | time | None = None
    apology: str | None = None
    compensation: str | None = None
    # The way in for people without internet: a free number, a radio, a place to go.
    offline: str | None = None
    # When a resolved or cancelled incident ended (absent: when the message goes out).
    ended_at: datetime | None = None
    # Who signs the email: the organisation's words, or a named person (critical incidents).
    sign_off: str | None = None
    signed_by: str | None = None
    link: str | None = None
    feedback_url: str | None = None
    faq: list[FaqEntry] = Field(default_factory=list)
    translations: dict[str, Translation] = Field(default_factory=dict)
    # With status: cancelled, what was wrong and what to do now (the correction procedure).
    correction: str | None = None
    # A drill: marked on every text, sent only to each channel's exercise_recipients.
    exercise: bool = False
    # For CAP alerts: where (else ``affected`` in words), and values overriding the mapping.
    area: Area | None = None
    cap: CapWords | None = None

    @field_validator("translations")
    @classmethod
    def _translation_languages(cls, value: dict[str, Translation]) -> dict[str, Translation]:
        out = {}
        for code, translation in value.items():
            language = code.replace("-", "_").split("_")[0].lower()
            if not re.fullmatch(r"[a-z]{2,3}", language):
                raise ValueError(f"'{code}' is not a language code (use en, fr, ...)")
            for field in ("title", "headline", "offline", "sign_off", "signed_by"):
                text = getattr(translation, field)
                if text is not None and "\n" in text:
                    raise ValueError(f"translations.{code}.{field} must be a single line")
                if text is not None and "\t" in text:
                    raise ValueError(
                        f"translations.{code}.{field} holds a tab (U+0009): write a space"
                    )
            out[language] = translation
        return out

    @field_validator("id")
    @classmethod
    def _not_a_device_name(cls, value: str) -> str:
        # The id names files (the status page's <id>.html, the lock, the exercise's ledger
        # rows); on Windows, and in a folder shared with it, these names are devices whatever
        # their extension. The id pattern has no dot, so the bare name is the only form.
        if value in WINDOWS_DEVICES:
            raise ValueError(
                f"'{value}' is a device name on Windows ({value}.html could not be a file "
                f"there): give the incident a longer id, e.g. {value}-2026-11-22"
            )
        return value

    @field_validator("locale")
    @classmethod
    def _locale_is_known(cls, value: str) -> str:
        from babel import Locale, UnknownLocaleError

        # A language tag's case means nothing (BCP 47): "FR", "fr-fr" and "fr_FR" are one
        # language, and the templates, the translations and the recipients' column are
        # looked up by its usual form (fr, fr_FR, zh_Hant_TW), never by the letters typed.
        parts = value.replace("-", "_").split("_")
        usual = "_".join(
            [parts[0].lower()]
            + [part.title() if len(part) == 4 else part.upper() for part in parts[1:]]
        )
        try:
            Locale.parse(usual)
        except (UnknownLocaleError, ValueError):
            raise ValueError(f"'{value}' is not a language code (use fr, en, ...)") from None
        return usual

    @field_validator("timezone")
    @classmethod
    def _timezone_is_known(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"'{value}' is not a time zone; use a name like Europe/Paris or America/Montreal"
            ) from None
        return value

    @field_validator("title", "headline", "offline", "sign_off", "signed_by")
    @classmethod
    def _single_line(cls, value: str | None) -> str | None:
        if value is not None and "\n" in value:
            raise ValueError("must be a single line (it is shown as is on every channel)")
        if value is not None and "\t" in value:
            # A control character: only a text of several lines may keep one (see characters).
            raise ValueError("holds a tab (U+0009): write a space; a line of text has no tab")
        return value

    @field_validator("link", "feedback_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^https?://[^\s/]+\.[^\s/]+(/\S*)?$", value):
            raise ValueError(f"'{value}' is not a web address starting with https://")
        # Characters a web address never holds as they are (RFC 3986): markup, not a link.
        wrong = sorted(set(value) & set('<>"`{}|\\^'))
        if wrong:
            raise ValueError(
                f"'{value}' is not a web address: it holds {' '.join(wrong)} (write them "
                "percent-encoded, e.g. %3C for <)"
            )
        return value

    @field_validator("next_update", mode="before")
    @classmethod
    def _duration_or_time(cls, value: Any) -> Any:
        if isinstance(value, str):
            promise = read_promise(value)
            if isinstance(promise, timedelta):
                if promise <= timedelta(0):
                    raise ValueError("the next update must come after some time, e.g. 2h")
                return promise
            if promise is not None:
                return promise
            if not re.match(r"^\d{4}-\d{2}-\d{2}", value.strip()):
                raise ValueError(
                    f"'{value}' is neither a duration (2h, 90m, 1h30, in 18h), a time of day "
                    "(18:00) nor a date and time (2026-11-22 14:00)"
                )
        return value

    @model_validator(mode="before")
    @classmethod
    def _dates_in_incident_timezone(cls, data: Any) -> Any:
        """A date written without an offset means local time in the incident's timezone."""
        if not isinstance(data, dict):
            return data
        try:
            zone: tzinfo = ZoneInfo(str(data.get("timezone")))
        except (ZoneInfoNotFoundError, ValueError):
            return data
        out = dict(data)
        for key in ("started_at", "eta", "next_update", "ended_at"):
            value = out.get(key)
            if isinstance(value, str):
                parsed = _parse_local(value, zone)
                if parsed is not None:
                    if parsed.tzinfo is zone:
                        _one_local_moment(key, value.strip(), parsed, zone)
                    out[key] = parsed
        return out

    @model_validator(mode="after")
    def _coherent(self) -> Incident:
        if self.status == "cancelled" and not self.correction:
            raise _FieldError(
                "correction",
                "a cancelled incident corrects what was said: write correction: what was wrong "
                "and what to do now",
            )
        if not self.ended:
            if self.next_update is None:
                raise _FieldError(
                    "next_update",
                    "say when the next update will come (e.g. next_update: 2h); people wait for it",
                )
            if not self.actions:
                raise _FieldError("actions", "say what is being done to fix it")
        if self.eta is not None and self.eta < self.started_at:
            raise _FieldError("eta", "the expected end is before started_at")
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise _FieldError("ended_at", "the end is before started_at")
        for language, translation in self.translations.items():
            missing = [
                name
                for name in TRANSLATED
                if name not in OPTIONAL_IN_TRANSLATION
                and getattr(self, name)
                and not getattr(translation, name)
            ]
            if missing:
                raise _FieldError(
                    f"translations.{language}",
                    f"the {language} translation lacks {', '.join(missing)}; a message must "
                    "not mix two languages",
                )
        return self

    def in_language(self, language: str) -> tuple[Incident, bool]:
        """The incident worded in ``language``, and whether it had to fall back.

        The incident's own language, or a translation; without one, the incident as written
        (the caller says so: the fallback must be visible).
        """
        if language == self.language:
            return self, False
        translation = self.translations.get(language)
        if translation is None:
            return self, True
        update: dict[str, Any] = {
            name: getattr(translation, name)
            for name in TRANSLATED
            if getattr(translation, name) is not None
        }
        if translation.faq is not None:
            update["faq"] = translation.faq
        # A sign-off is words in a language ("L'équipe d'Énergie Nord"): a translation without
        # its own signs with its language's default, never with another language's words.
        update.setdefault("sign_off", None)
        return self.model_copy(update=update), False

    @property
    def ended(self) -> bool:
        """Resolved or cancelled: over, with no further update promised."""
        return self.status in CLOSED

    def end_time(self, now: datetime) -> datetime | None:
        """When a resolved or cancelled incident ended, the one time every surface says:
        ``ended_at``, else ``now`` (when the version is written); None while it goes on. The
        time a version is published is another fact, never the end."""
        if not self.ended:
            return None
        return (self.ended_at or now).astimezone(self.zone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_time(self, moment: datetime) -> str:
        """``2026-11-22 11:40 CET``: a time as every message and summary shows it."""
        return f"{moment.astimezone(self.zone):%Y-%m-%d %H:%M %Z}"

    @property
    def language(self) -> str:
        """``fr`` for ``fr_CA``: the folder the templates are looked up in first."""
        return self.locale.split("_")[0]

    def next_update_at(self, now: datetime) -> datetime | None:
        """When the next update is promised, for a message written at ``now``.

        A promised time that has already passed is renewed an hour ahead: a message must never
        promise an update in the past (preflight warns so the file gets a new time).
        """
        if self.ended or self.next_update is None:
            return None
        if isinstance(self.next_update, timedelta):
            return (now + self.next_update).astimezone(self.zone)
        promised = self.written_moment(now)
        assert promised is not None  # a date and time, or a time of day
        return promised if promised > now else (now + RENEWED_PROMISE).astimezone(self.zone)

    def promise_said(self, now: datetime) -> str | None:
        """The next update a message written at ``now`` promises, in the incident's language
        and as its messages say it: ``Prochain point promis : aujourd'hui à 18h
        (2026-11-22 18:00 CET)``. None when there is no promise."""
        promised = self.next_update_at(now)
        if promised is None:
            return None
        said = said_time(promised, now, self.locale, self.zone)
        words = _PROMISE_WORDS.get(self.language, _PROMISE_WORDS["en"])
        return f"{words} {said} ({self.local_time(promised)})"

    def written_moment(self, now: datetime) -> datetime | None:
        """The moment ``next_update`` names when it is a date and time, or a time of day
        (today, in the incident's timezone, for a message written at ``now``); None for a
        duration or no promise."""
        if isinstance(self.next_update, datetime):
            return self.next_update.astimezone(self.zone)
        if isinstance(self.next_update, time):
            return _today_at(now, self.next_update, self.zone)
        return None


def _today_at(now: datetime, clock: time, zone: ZoneInfo) -> datetime:
    """``clock`` on the day of ``now`` in ``zone`` (a time a change of hour skips or repeats
    is read as the zone's rules say: fold 0)."""
    day = now.astimezone(zone).date()
    return datetime.combine(day, clock, tzinfo=zone)


# How far ahead a time of day written without its day may be meant for tomorrow: at 22:00,
# "8h" may well be tomorrow at 8:00 (ten hours on); at 09:40, nobody means by "2h" a promise
# for 2:00 tomorrow, sixteen hours on, without saying "tomorrow". Today's is always a reading.
CLOCK_HORIZON = timedelta(hours=12)


def _clock_reading(now: datetime, clock: time, zone: ZoneInfo) -> datetime | None:
    """The moment a ``18h`` or ``8h`` means read as a time of day, for a message written at
    ``now``: its next occurrence, today if still ahead, else tomorrow within
    ``CLOCK_HORIZON``; None when it cannot be a promise (passed, or too far off)."""
    today = _today_at(now, clock, zone)
    if today > now:
        return today
    day = now.astimezone(zone).date() + timedelta(days=1)
    tomorrow = datetime.combine(day, clock, tzinfo=zone)
    return tomorrow if tomorrow - now <= CLOCK_HORIZON else None


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
    if isinstance(promise, HoursOrClock):
        zone = incident.zone
        later = (now + promise).astimezone(zone)
        clock = _clock_reading(now, promise.clock, zone)
        if clock is not None and abs(later - clock) > AMBIGUITY:
            hours = promise.written.replace(" ", "")
            today = clock.date() == now.astimezone(zone).date()
            # A time of day is read today: tomorrow's needs its date to be one moment.
            second = f"{clock:%H:%M}" if today else f"{clock:%Y-%m-%d %H:%M}"
            return [
                Problem(
                    f"'{promise.written}' reads two ways: in {_spelled(promise)} "
                    f"({said_time(later, now, incident.locale, zone)}), or at "
                    f"{promise.clock:%H:%M} {'today' if today else 'tomorrow'} "
                    f"({said_time(clock, now, incident.locale, zone)})."
                    f' Write next_update: "in {hours}" for the first, or next_update: '
                    f'"{second}" for the second',
                    doc.path,
                    line,
                    "next_update",
                )
            ]
    if isinstance(promise, time):
        meant = _today_at(now, promise, incident.zone)
        # "02:30" on the night the clocks skip or repeat that hour: no single moment.
        wrong = _not_one_moment(f"{meant:%Y-%m-%d} {promise:%H:%M}", meant, incident.zone)
        if wrong:
            return [Problem(f"read today, {wrong}", doc.path, line, "next_update")]
        if meant <= now:
            return [
                Problem(
                    f"the promised next update time, {promise:%H:%M} today, has passed; the "
                    "messages now promise one an hour from now "
                    f"({incident.local_time(now + RENEWED_PROMISE)}): give a new time, or a "
                    "duration such as in 2h",
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
            f"the end, {incident.local_time(incident.ended_at)} "
            f"({said_time(incident.ended_at, now, incident.locale, incident.zone)}), has not "
            f"happened yet (it is now {incident.local_time(now)}): a {incident.status} message "
            "says the incident is over. Write the time it really ended, or remove ended_at "
            "to say it ends when the message goes out",
            doc.path,
            doc.line_of(("ended_at",)),
            "ended_at",
        )
    ]


# The fields that hold words people read (a "#Mareuil" cut from one is a lost word).
TEXT_FIELDS = frozenset({*TRANSLATED, "q", "a", "description"})


# The same in channels.yaml: the organisation's name and contact, the email's signature.
CONFIG_TEXT_FIELDS = frozenset({"organisation", "contact", "sign_off"})


def comment_problems(
    doc: YamlDocument | None, fields: frozenset[str] = TEXT_FIELDS
) -> list[Problem]:
    """A warning for each text written without quotes and followed by `` #...`` on its line:
    YAML reads that as a comment, so "Coupure à #Mareuil" arrives as "Coupure à"."""
    if doc is None:
        return []
    problems = []
    for loc, (line, comment) in sorted(doc.comments.items(), key=lambda item: item[1][0]):
        name = next((part for part in reversed(loc) if isinstance(part, str)), "")
        if name not in fields:
            continue
        shown = comment if len(comment) <= 40 else comment[:39] + "…"
        problems.append(
            Problem(
                f"the text stops before '{shown}': in YAML, a space then # starts a comment, "
                f"so what follows is not part of {name}. To keep it, put the whole text in "
                'double quotes ("..."); to mean a comment, move it to a line of its own',
                doc.path,
                line,
                dotted(loc),
                severity="warning",
            )
        )
    return problems


def _spelled(duration: timedelta) -> str:
    hours, rest = divmod(int(duration.total_seconds()) // 60, 60)
    said = f"{hours} hour{'s' * (hours != 1)}"
    return f"{said} {rest} minutes" if rest else said


# What leads a promise shown to the person who sends it (validate, preview, confirmation).
_PROMISE_WORDS = {"fr": "Prochain point promis :", "en": "Next update promised:"}
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


class _FieldError(ValueError):
    """A cross-field check that names the one field it is about."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def _one_local_moment(field: str, written: str, moment: datetime, zone: tzinfo) -> None:
    """A local date and time names one moment, or it is an error on ``field``."""
    wrong = _not_one_moment(written, moment, zone)
    if wrong:
        raise _FieldError(field, wrong)


def _not_one_moment(written: str, moment: datetime, zone: tzinfo) -> str | None:
    """Why the local ``moment`` (written ``written``) is not one moment, or None.

    When the clocks go forward, a local time is skipped (2026-03-29 02:30 in Paris never
    happens): Python would show it with the offset before the change, a time nobody's clock
    showed. When they go back, one is lived twice (2026-10-25 02:30, CEST then CET): taking
    either one silently may be an hour wrong. Only the person knows; an offset says which."""
    name = getattr(zone, "key", str(zone))
    back = moment.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != moment.replace(tzinfo=None):
        return (
            f"'{written}' does not exist in {name}: the clocks skip that hour (summer time "
            f"starts); write the time as the clocks show it, e.g. "
            f"{back:%Y-%m-%d %H:%M} ({back:%Z}), or with an offset"
        )
    first, second = moment.replace(fold=0), moment.replace(fold=1)
    if first.utcoffset() != second.utcoffset():
        return (
            f"'{written}' happens twice in {name} (the clocks go back an hour): once in "
            f"{first:%Z}, {first.isoformat(timespec='minutes')}, once in {second:%Z}, "
            f"{second.isoformat(timespec='minutes')}; write the one you mean, with its offset"
        )
    return None


def _parse_local(text: str, zone: tzinfo) -> datetime | None:
    candidate = text.strip().replace(" ", "T", 1)
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def load_incident(
    path: Path, defaults: dict[str, Any] | None = None, exercise: bool = False
) -> tuple[Incident, YamlDocument]:
    """Read and validate an incident file; ``InputError`` lists every problem with its line.

    An exercise (``exercise`` here, or ``exercise: true`` in the file) gets its own id, the
    real one with ``EXERCISE_SUFFIX``: it never counts as a version of the real incident.
    ``exercise`` (the command's ``--exercise``) against a file saying ``exercise: false`` is
    an error, never a silent drill.
    """
    doc = load_yaml(path, what="incident file")
    if not isinstance(doc.data, dict):
        raise InputError(
            [Problem("an incident file is a list of 'field: value' lines", path, doc.line_of(()))]
        )
    data = {k: v for k, v in (defaults or {}).items() if k in DEFAULTABLE and v is not None}
    data.update(doc.data)
    incident = validate_incident(data, doc)
    if exercise and "exercise" in doc.data and not incident.exercise:
        # Two orders that contradict each other: which one the person meant is a guess, and
        # guessing "drill" sends marked texts nobody expects while the file says it is real.
        raise InputError(
            [
                Problem(
                    "the file says exercise: false (a real alert) but the command asks for a "
                    "drill (--exercise): they contradict each other. For a drill, write "
                    "exercise: true (or remove the line) and keep --exercise; for the real "
                    "alert, run the command without --exercise",
                    path,
                    doc.line_of(("exercise",)),
                    "exercise",
                )
            ]
        )
    if exercise or incident.exercise:
        incident = incident.model_copy(
            update={"id": incident.id + EXERCISE_SUFFIX, "exercise": True}
        )
    return incident, doc


def validate_incident(data: dict[str, Any], doc: YamlDocument) -> Incident:
    too_long = _too_long(data, (), doc)
    if too_long:
        raise InputError(too_long)
    known: dict[tuple[str | int, ...], Iterable[str]] = {(): Incident.model_fields.keys()}
    for index, _ in enumerate(data.get("faq") or []):
        known[("faq", index)] = FaqEntry.model_fields.keys()
    translations = data.get("translations")
    for code in translations if isinstance(translations, dict) else ():
        known[("translations", code)] = Translation.model_fields.keys()
    try:
        return Incident.model_validate(data)
    except ValidationError as exc:
        problems = []
        for problem in problems_from_validation(exc, doc, known_fields=known):
            problems.append(_relocate_field_error(problem, exc, doc))
        raise InputError(problems) from None


def _relocate_field_error(problem: Problem, exc: ValidationError, doc: YamlDocument) -> Problem:
    """Point a whole-model check (no field in its location) at the field it names."""
    if problem.field is not None:
        return problem
    for item in exc.errors(include_url=False):
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, _FieldError) and str(cause) == problem.message:
            location = tuple(cause.field.split("."))
            return Problem(problem.message, doc.path, doc.line_of(location), cause.field)
    return problem


def _too_long(value: Any, loc: tuple[str | int, ...], doc: YamlDocument) -> list[Problem]:
    """A problem for each text longer than its field allows (``MAX_CHARACTERS``)."""
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _too_long(item, (*loc, key), doc)]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _too_long(item, (*loc, index), doc)]
    if not isinstance(value, str):
        return []
    name = next((part for part in reversed(loc) if isinstance(part, str)), "")
    limit = MAX_CHARACTERS.get(name, MAX_OTHER_CHARACTERS)
    if len(value) <= limit:
        return []
    if name in ("link", "feedback_url"):
        hint = "nobody can follow a web address this long"
    elif name in MAX_CHARACTERS:
        hint = "keep the essential here; the details belong on the page the link points to"
    else:
        hint = "this field holds a word, a date or a code, not a text"
    return [
        Problem(
            f"{len(value):,} characters, but this field holds at most {limit:,}; {hint}",
            doc.path,
            doc.line_of(loc),
            dotted(loc),
        )
    ]
