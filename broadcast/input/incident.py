"""The incident: the one crisis message a user writes, as a validated model loaded from YAML."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from broadcast.input.affected import AffectedItem, read_affected
from broadcast.input.cap_area import Area, CapWords
from broadcast.input.error_words import Worded, file_language, say
from broadcast.input.hazards import known_hazards, unknown_hazard
from broadcast.input.incident_texts import (
    AREA_TRANSLATED,
    OPTIONAL_IN_TRANSLATION,
    TRANSLATED,
    FaqEntry,
    TranslatedArea,
    Translation,
    texts_too_long,
)
from broadcast.input.incident_times import (
    PROMISE_WORDS,
    RENEWED_PROMISE,
    moment_problem,
    parse_local,
    read_promise,
    said_time,
    today_at,
)
from broadcast.input.model_errors import problems_from_validation
from broadcast.input.schema import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from broadcast.input.yamlfile import YamlDocument, load_yaml
from broadcast.problems import InputError, Problem, in_language

Status = Literal["investigating", "identified", "monitoring", "resolved", "cancelled"]


# The last word on an incident: no next update, no reminder after it. ``cancelled`` is the
# correction of a false alarm or a wrong message (its ``correction`` text says what was wrong).
CLOSED = ("resolved", "cancelled")


# An exercise is kept apart in the ledger under its own id: the real id and this suffix (the
# suffix cannot occur in a real id, whose hyphens are single).
EXERCISE_SUFFIX = "--exercise"


Severity = Literal["minor", "major", "critical"]


# Fields that channels.yaml's ``defaults`` may supply when an incident leaves them out.
DEFAULTABLE = ("locale", "timezone", "link", "feedback_url", "sign_off")


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
    # When affected was written as a list: its services or areas with their impact (affected
    # holds them worded). Not hashed: the text they make is.
    affected_items: list[AffectedItem] = Field(default_factory=list, exclude=True)
    summary: str = Field(min_length=1)
    actions: str | None = None
    eta: datetime | None = None
    # A duration, a time of day (today, in the incident's timezone) or a date and time.
    next_update: timedelta | datetime | time | None = None
    apology: str | None = None
    compensation: str | None = None
    # The way in for people without internet: a free number, a radio, a place to go.
    offline: str | None = None
    # What ``broadcast serve`` answers by SMS to a reply that is no keyword (once per number
    # and version): approved with the version's texts, as the SMS channel's ``reply`` part.
    reply: str | None = None
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
    # The dangers people must protect themselves from (gas_leak, water_unsafe...: see
    # broadcast/sectors/hazards.yaml): the wording checks then ask for the protective action.
    hazard: list[str] = Field(default_factory=list)

    @field_validator("translations")
    @classmethod
    def _translation_languages(cls, value: dict[str, Translation]) -> dict[str, Translation]:
        out = {}
        for code, translation in value.items():
            language = code.replace("-", "_").split("_")[0].lower()
            if not re.fullmatch(r"[a-z]{2,3}", language):
                raise Worded("not_a_language_code", code=code)
            for field in ("title", "headline", "offline", "sign_off", "signed_by"):
                text = getattr(translation, field)
                if text is not None and "\n" in text:
                    raise Worded("translation_single_line", code=code, field=field)
                if text is not None and "\t" in text:
                    raise Worded("translation_tab", code=code, field=field)
            out[language] = translation
        return out

    @field_validator("hazard", mode="before")
    @classmethod
    def _known_hazards(cls, value: Any) -> Any:
        # One hazard or a list of them; each one the package knows (a typo must not silently
        # turn the check off).
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list):
            return value
        for name in names:
            if isinstance(name, str):
                wrong = unknown_hazard(name.strip())
                if wrong:
                    # Said again in the file's language by model_errors.
                    raise Worded(
                        "unknown_hazard", name=name.strip(), known=", ".join(known_hazards())
                    )
        return [name.strip() if isinstance(name, str) else name for name in names]

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
            raise Worded("not_a_timezone", value=value) from None
        return value

    @field_validator("title", "headline", "offline", "sign_off", "signed_by")
    @classmethod
    def _single_line(cls, value: str | None) -> str | None:
        if value is not None and "\n" in value:
            raise Worded("single_line")
        if value is not None and "\t" in value:
            # A control character: only a text of several lines may keep one (see characters).
            raise Worded("holds_tab")
        return value

    @field_validator("link", "feedback_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^https?://[^\s/]+\.[^\s/]+(/\S*)?$", value):
            raise Worded("not_a_web_address", value=value)
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
                    raise Worded("promise_not_after")
                return promise
            if promise is not None:
                return promise
            if not re.match(r"^\d{4}-\d{2}-\d{2}", value.strip()):
                raise Worded("promise_neither", value=value)
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
                parsed = parse_local(value, zone)
                if parsed is not None:
                    if parsed.tzinfo is zone:
                        _one_local_moment(key, value.strip(), parsed, zone)
                    out[key] = parsed
        return out

    @model_validator(mode="after")
    def _coherent(self) -> Incident:
        if self.status == "cancelled" and not self.correction:
            raise _FieldError("correction", "correction_needed")
        if not self.ended:
            if self.next_update is None:
                raise _FieldError("next_update", "next_update_needed")
            if not self.actions:
                raise _FieldError("actions", "actions_needed")
        if self.eta is not None and self.eta < self.started_at:
            raise _FieldError("eta", "eta_before_start")
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise _FieldError("ended_at", "end_before_start")
        for language, translation in self.translations.items():
            missing = [
                name
                for name in TRANSLATED
                if name not in OPTIONAL_IN_TRANSLATION
                and getattr(self, name)
                and not getattr(translation, name)
            ]
            # The area's words, like the other texts: an area described in the incident's
            # language is described in each translation.
            words = translation.area
            if words is not None and self.area is None:
                # Words for an area the incident does not give would be dropped unsaid.
                raise _FieldError(
                    f"translations.{language}.area",
                    "translation_area_alone",
                    language=language,
                    original=self.language,
                )
            missing += [
                f"area.{name}"
                for name in AREA_TRANSLATED
                if self.area is not None
                and getattr(self.area, name)
                and not (words is not None and getattr(words, name))
            ]
            if missing:
                raise _FieldError(
                    f"translations.{language}",
                    "translation_lacks",
                    language=language,
                    missing=", ".join(missing),
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
        if translation.affected is not None:
            # The items of the translation's own list, or none: never the other language's.
            update["affected_items"] = translation.affected_items
        # A sign-off is words in a language ("L'équipe d'Énergie Nord"): a translation without
        # its own signs with its language's default, never with another language's words.
        update.setdefault("sign_off", None)
        if self.area is not None and translation.area is not None:
            # The shapes and codes are the incident's; the words are the translation's.
            said = {
                name: getattr(translation.area, name)
                for name in AREA_TRANSLATED
                if getattr(translation.area, name) is not None
            }
            update["area"] = self.area.model_copy(update=said)
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
        words = PROMISE_WORDS.get(self.language, PROMISE_WORDS["en"])
        return f"{words} {said} ({self.local_time(promised)})"

    def written_moment(self, now: datetime) -> datetime | None:
        """The moment ``next_update`` names when it is a date and time, or a time of day
        (today, in the incident's timezone, for a message written at ``now``); None for a
        duration or no promise."""
        if isinstance(self.next_update, datetime):
            return self.next_update.astimezone(self.zone)
        if isinstance(self.next_update, time):
            return today_at(now, self.next_update, self.zone)
        return None


class _FieldError(Worded):
    """A cross-field check that names the one field it is about (said by its kind, in the
    file's language: ``error_words``)."""

    def __init__(self, field: str, kind: str, /, **values: Any) -> None:
        self.field = field
        super().__init__(kind, **values)


def _one_local_moment(field: str, written: str, moment: datetime, zone: tzinfo) -> None:
    """A local date and time names one moment, or it is an error on ``field``."""
    wrong = moment_problem(written, moment, zone)
    if wrong:
        raise _FieldError(field, wrong[0], **wrong[1])


def load_incident(
    path: Path, defaults: dict[str, Any] | None = None, exercise: bool = False
) -> tuple[Incident, YamlDocument]:
    """Read and validate an incident file; ``InputError`` lists every problem with its line.

    An exercise (``exercise`` here, or ``exercise: true`` in the file) gets its own id, the
    real one with ``EXERCISE_SUFFIX``: it never counts as a version of the real incident.
    ``exercise`` (the command's ``--exercise``) against a file saying ``exercise: false`` is
    an error, never a silent drill.
    """
    # The language its errors are said in, read before anything is validated: from the raw
    # text while YAML reads it (else channels.yaml's default, for a file that cannot be
    # read), then from the data; every problem of the file is then said in it, its place
    # and kind too (``problems.in_language``).
    said = [file_language(None, defaults)]
    try:
        return _load_incident(path, defaults, exercise, said)
    except InputError as exc:
        raise InputError(in_language(exc.problems, said[0], path)) from None


def _load_incident(
    path: Path, defaults: dict[str, Any] | None, exercise: bool, said: list[str]
) -> tuple[Incident, YamlDocument]:
    """``load_incident``, keeping in ``said`` the language its problems are said in."""

    def language_of_text(text: str) -> str:
        said[0] = file_language(None, defaults, text)
        return said[0]

    doc = load_yaml(path, "incident file", language_of_text)
    language = said[0] = file_language(doc.data, defaults)
    if not isinstance(doc.data, dict):
        raise InputError([Problem(say(language, "not_a_list_of_fields"), path, doc.line_of(()))])
    data = {k: v for k, v in (defaults or {}).items() if k in DEFAULTABLE and v is not None}
    data.update(doc.data)
    incident = validate_incident(data, doc, language)
    if exercise and "exercise" in doc.data and not incident.exercise:
        # Two orders that contradict each other: which one the person meant is a guess, and
        # guessing "drill" sends marked texts nobody expects while the file says it is real.
        raise InputError(
            [
                Problem(
                    say(language, "exercise_contradiction"),
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


def validate_incident(data: dict[str, Any], doc: YamlDocument, language: str = "en") -> Incident:
    data, listed = read_affected(data, doc, language)
    if any(problem.is_error for problem in listed):
        raise InputError(listed)
    too_long = texts_too_long(data, (), doc, language)
    if too_long:
        raise InputError(too_long)
    known: dict[tuple[str | int, ...], Iterable[str]] = {(): Incident.model_fields.keys()}
    for index, _ in enumerate(data.get("faq") or []):
        known[("faq", index)] = FaqEntry.model_fields.keys()
    translations = data.get("translations")
    for code in translations if isinstance(translations, dict) else ():
        known[("translations", code)] = Translation.model_fields.keys()
        known[("translations", code, "area")] = TranslatedArea.model_fields.keys()
    try:
        return Incident.model_validate(data)
    except ValidationError as exc:
        problems = []
        for problem in problems_from_validation(exc, doc, known_fields=known, language=language):
            problems.append(_relocate_field_error(problem, exc, doc, language))
        raise InputError(problems) from None


def _relocate_field_error(
    problem: Problem, exc: ValidationError, doc: YamlDocument, language: str = "en"
) -> Problem:
    """Point a whole-model check (no field in its location) at the field it names."""
    if problem.field is not None:
        return problem
    for item in exc.errors(include_url=False):
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, _FieldError) and cause.said_in(language) == problem.message:
            location = tuple(cause.field.split("."))
            return Problem(problem.message, doc.path, doc.line_of(location), cause.field)
    return problem
