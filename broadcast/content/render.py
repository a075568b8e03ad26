"""Rendering an incident through a channel's templates, in Jinja's sandbox.

Templates are looked up in the ``templates/`` folder next to channels.yaml first (a user's
override), then in the shipped defaults; inside each, ``<language>/<name>`` before ``<name>``.
Undefined variables are errors, and HTML/XML templates autoescape, so incident text can never
become markup.

A text template may mark pieces a short channel can do without (``{% filter droppable(2) %}``):
when the channel has a limit (``max_segments`` for SMS), the pieces are dropped, lowest rank
first, until the text fits; elsewhere they are kept. The shipped SMS templates use the ranks
``DROP_ORDER`` names; ``render_fitted`` says which went (the preview shows it).
"""

from __future__ import annotations

import functools
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

from broadcast import __version__
from broadcast.content.greeting import mark_greeting, without_greeting
from broadcast.input.files import what_it_is
from broadcast.input.incident import Incident

SHIPPED_TEMPLATES = next(
    (
        candidate
        for candidate in (
            Path(__file__).parent.parent / "templates",  # installed wheel
            Path(__file__).parent.parent.parent / "templates",  # source checkout
        )
        if candidate.is_dir()
    ),
    Path(__file__).parent.parent / "templates",
)

_MARKUP_SUFFIXES = (".html", ".htm", ".xml")
# Channels whose French is not given no-break spaces (content/typography.py): an SMS is
# GSM-7, where they would become plain spaces anyway, and a call is heard.
PLAIN_SPACED = frozenset({"sms", "voice"})

# What the shipped SMS templates drop to stay within max_segments, first to last. Never dropped:
# the organisation, the end said first, the headline, the offline way, the next update. Before
# them all goes a greeting by name (greeting.py), per recipient: the pieces fit without it.
DROP_ORDER = {
    1: "thanks",
    2: "the status page link",
    3: "the short apology",
    4: "the feedback link",
    5: "the compensation",
}
# Left out only with a warning that says so and how to keep them (the preview, the send's
# confirmation and its summary show it): words owed to the people affected.
NEVER_SILENTLY = ("the short apology", "the compensation")
_DROPPABLE = re.compile(r"\x1e(\d)\x1f(.*?)\x1e", re.DOTALL)
# The first sentence of an apology, short enough for an SMS.
SHORT_APOLOGY_CHARACTERS = 100

# The full locale a channel pinned to a bare language writes its dates and times in, when
# neither the incident nor the readers say (en_GB: 24-hour clock, day before month).
DEFAULT_FULL_LOCALE = {"en": "en_GB", "fr": "fr_FR"}

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


def is_markup(name: str) -> bool:
    """``status.html.j2`` renders HTML (escaped); ``sms.txt.j2`` renders text."""
    return name.removesuffix(".j2").endswith(_MARKUP_SUFFIXES)


class Fitted(NamedTuple):
    """A text rendered to fit its channel's limit, and what was left out to fit."""

    text: str
    # The pieces dropped, in ``DROP_ORDER``'s words, in the order they were dropped.
    dropped: tuple[str, ...] = ()
    # The text with every piece kept, when some were dropped: what it would take to keep them.
    whole: str = ""


class RenderFailure(NamedTuple):
    """Why a template did not render, located in the template file."""

    template: str
    line: int | None
    message: str
    file: Path | None


# The rendering budget of one template: what it may write and how long it may take. The
# shipped templates write a few kB in milliseconds; a status page with a long history, a few
# hundred kB. A custom template past either bound (``'x' * 10**9``, a loop that never ends) is
# stopped with an error naming it, instead of running for minutes or filling the memory.
MAX_RENDER_CHARACTERS = 4_000_000
RENDER_SECONDS = 5.0
# A range in a template: Jinja's sandbox allows 100,000 items; so do we, checked as it runs.
MAX_RANGE_ITEMS = 100_000


class RenderBudgetExceeded(Exception):
    """A template went past its budget (``MAX_RENDER_CHARACTERS``, ``RENDER_SECONDS``)."""


class _Budget(threading.local):
    """The deadline of the render under way in this thread (None: none under way)."""

    deadline: float | None = None


_budget = _Budget()


def _check_deadline() -> None:
    deadline = _budget.deadline
    if deadline is not None and time.monotonic() > deadline:
        raise RenderBudgetExceeded(
            f"it ran for more than {RENDER_SECONDS:g} s without finishing (a loop that runs too "
            "long?); the shipped templates take milliseconds"
        )


def _check_size(size: int) -> None:
    if size > MAX_RENDER_CHARACTERS:
        raise RenderBudgetExceeded(
            f"it would make a text or a list of {size:,} characters or items, more than the "
            f"{MAX_RENDER_CHARACTERS:,} a template may write"
        )


def _sized(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else 0


class _BudgetRange:
    """``range()`` in a template: at most ``MAX_RANGE_ITEMS``, the deadline checked as the
    loop runs (a loop without output calls nothing else the budget could see)."""

    __slots__ = ("items",)

    def __init__(self, *args: int) -> None:
        self.items = range(*args)
        if len(self.items) > MAX_RANGE_ITEMS:
            raise RenderBudgetExceeded(
                f"range() of {len(self.items):,} numbers; a template may count to "
                f"{MAX_RANGE_ITEMS:,}"
            )

    def __iter__(self) -> Iterator[int]:
        for index, number in enumerate(self.items):
            if not index % 1000:
                _check_deadline()
            yield number

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: Any) -> Any:
        return self.items[index]

    def __contains__(self, number: object) -> bool:
        return number in self.items

    def __reversed__(self) -> Iterator[int]:
        for index, number in enumerate(reversed(self.items)):
            if not index % 1000:
                _check_deadline()
            yield number


def _budget_loop(items: Any) -> Any:
    """A loop's items, the deadline checked every hundred."""
    if isinstance(items, jinja2.Undefined):
        return items  # said by StrictUndefined as it is iterated
    return _deadline_checked(items)


def _deadline_checked(items: Any) -> Iterator[Any]:
    for index, item in enumerate(items):
        if not index % 100:
            _check_deadline()
        yield item


def _str_join(parts: Any) -> str:
    """``a ~ b`` within the budget."""
    parts = [str(part) for part in parts]
    _check_size(sum(map(len, parts)))
    return "".join(parts)


def _markup_join(parts: Any) -> str:
    parts = list(parts)
    _check_size(sum(len(str(part)) for part in parts))
    return jinja2.runtime.markup_join(parts)


class _BudgetTemplate(jinja2.Template):
    """A template whose ``~`` (compiled to ``str_join``/``markup_join``) counts its size."""

    @classmethod
    def _from_namespace(cls, environment: Any, namespace: Any, globals: Any) -> Any:
        namespace["str_join"] = _str_join
        namespace["markup_join"] = _markup_join
        return super()._from_namespace(environment, namespace, globals)


# String methods and filters whose numbers are a width or a count of what they make
# (``center(10**9)``).
_WIDTHS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_FILTER_WIDTHS = frozenset({"center", "indent", "wordwrap", "truncate", "batch", "slice"})
# A width in a %-format (``%999999999d``) or a format spec (``{:>999999999}``).
_PERCENT_WIDTH = re.compile(r"%[-#0 +]*(\d+)")
_FORMAT_WIDTH = re.compile(r"\{[^{}]*:[^{}\d]*(\d+)")


def _widest(pattern: re.Pattern[str], text: str) -> int:
    return max((int(width) for width in pattern.findall(text)), default=0)


def _budgeted_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that checks the deadline, refuses a huge width or count (``center(10**9)``)
    before working, and the size of what it made after."""

    @functools.wraps(function)
    def budgeted(*args: Any, **kwargs: Any) -> Any:
        _check_deadline()
        if name in _FILTER_WIDTHS:
            for number in (*args, *kwargs.values()):
                if isinstance(number, int) and not isinstance(number, bool):
                    _check_size(abs(number))
        elif name == "format":
            for value in args:
                if isinstance(value, str):
                    _check_size(_widest(_PERCENT_WIDTH, value) + _widest(_FORMAT_WIDTH, value))
        result = function(*args, **kwargs)
        _check_size(_sized(result))
        return result

    return budgeted


class _BudgetEnvironment(SandboxedEnvironment):
    """Jinja's sandbox, within the rendering budget: the deadline is checked at each call,
    attribute and item a template reaches, at each filter, every hundred turns of a loop and
    every hundred pieces of output; ``*``, ``+``, ``%``, ``**``, ``~``, a width given to a
    string method or a filter, refuse a result past the size before making it, and what a
    call or a filter made is measured after."""

    template_class = _BudgetTemplate
    intercepted_binops = frozenset(["*", "+", "%", "**"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_deadline()
        if operator == "*":
            for text, times in ((left, right), (right, left)):
                if _sized(text) and isinstance(times, int):
                    _check_size(_sized(text) * max(times, 0))
            if isinstance(left, int) and isinstance(right, int):
                _check_size((abs(left).bit_length() + abs(right).bit_length()) // 3)
        elif operator == "+":
            _check_size(_sized(left) + _sized(right))
        elif operator == "%" and isinstance(left, str):
            _check_size(len(left) + _widest(_PERCENT_WIDTH, left))
        elif operator == "**" and isinstance(right, (int, float)) and isinstance(left, int):
            # The digits of the result, roughly: 10 ** 10 ** 9 would compute for hours.
            _check_size(int(abs(right) * max(abs(left), 2).bit_length() / 3.3))
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _check_deadline()
        # A string's method, or the sandbox's wrapper of its format().
        method = getattr(__obj, "__wrapped__", __obj)
        text = getattr(method, "__self__", None)
        if isinstance(text, str):
            if method.__name__ in _WIDTHS:
                for number in (*args, *kwargs.values()):
                    if isinstance(number, int):
                        _check_size(abs(number))
            elif method.__name__ in ("format", "format_map"):
                _check_size(_widest(_FORMAT_WIDTH, text))
        result = super().call(__context, __obj, *args, **kwargs)
        _check_size(_sized(result))
        return result

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Every ``{% for %}`` loop's items pass through ``_budget_loop``, which checks the
        deadline as they go: nested loops over a long text call nothing else."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(
                loop.iter, "_budget_loop", [], [], None, None, lineno=loop.iter.lineno
            )
        return tree

    def getattr(self, obj: Any, attribute: str) -> Any:
        _check_deadline()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _check_deadline()
        return super().getitem(obj, argument)


def make_environment(override_dir: Path | None, markup: bool) -> SandboxedEnvironment:
    """One environment per kind of output, within the rendering budget.

    Autoescape is decided for the whole render, not per file: a macro imported from a text
    partial into an HTML template would otherwise return its output unescaped, as safe markup.
    """
    search = [str(d) for d in (override_dir, SHIPPED_TEMPLATES) if d is not None and d.is_dir()]
    environment = _BudgetEnvironment(
        loader=jinja2.FileSystemLoader(search),
        undefined=jinja2.StrictUndefined,
        autoescape=markup,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        bytecode_cache=_bytecode_cache("markup" if markup else "text"),
    )
    environment.globals["range"] = _BudgetRange
    environment.filters = {
        name: _budgeted_filter(name, function) for name, function in environment.filters.items()
    }
    environment.filters["_budget_loop"] = _budget_loop
    return environment


def _bytecode_cache(kind: str) -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs: compiling them is most of a preview's time.

    Jinja keys a cached template by name and checks its source, not the environment's
    options, so each kind of environment (and each version of ours and of Jinja) gets its own
    folder: a template compiled without escaping must never be loaded by the HTML one.
    """
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    # "budget1": compiled with the rendering budget's loops (see ``_BudgetEnvironment``).
    folder = Path(base) / "broadcast" / f"jinja-{__version__}-budget1-{jinja2.__version__}-{kind}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


class Renderer:
    """Renders templates for one incident at one moment, in the incident's locale and timezone."""

    def __init__(
        self,
        incident: Incident,
        now: datetime,
        organisation: str,
        override_dir: Path | None = None,
        locale: str | None = None,
    ) -> None:
        self.incident = incident
        self.locale = (locale or incident.locale).replace("-", "_")
        self.language = self.locale.split("_")[0]
        self.now = now.astimezone(incident.zone)
        self.organisation = organisation
        filters = {
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
        # Markdown files (the agent script) are read in viewers that render raw HTML.
        filters["md"] = _markdown_text
        filters["droppable"] = _droppable
        filters["greeting"] = mark_greeting
        filters["is_today"] = self._is_today
        filters["promises_update"] = self._promises_update
        self.folders = [d for d in (override_dir, SHIPPED_TEMPLATES) if d and d.is_dir()]
        self.text_env = make_environment(override_dir, markup=False)
        self.markup_env = make_environment(override_dir, markup=True)
        for env in (self.text_env, self.markup_env):
            env.filters.update(filters)

    def environment(self, name: str) -> SandboxedEnvironment:
        """The markup environment for HTML/XML outputs, the text one for the rest."""
        return self.markup_env if is_markup(name) else self.text_env

    def context(
        self, channel: str, channel_type: str, updates: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Everything a template may use. Dates are aware datetimes in the incident's zone.

        ``updates`` is the incident's timeline, newest first, this update included; empty
        until there has been more than one update.
        """
        incident = self.incident
        zone = incident.zone
        next_update_at = incident.next_update_at(self.now)
        ended_at = incident.end_time(self.now)
        eta_passed = bool(not incident.ended and incident.eta and incident.eta < self.now)
        return {
            "organisation": self.organisation,
            "id": incident.id,
            "status": incident.status,
            "severity": incident.severity,
            "locale": self.locale,
            "title": incident.title,
            "headline": incident.headline,
            "affected": incident.affected,
            "summary": incident.summary,
            "actions": incident.actions,
            "apology": incident.apology,
            "compensation": incident.compensation,
            "link": incident.link,
            "feedback_url": incident.feedback_url,
            "faq": [{"q": entry.q, "a": entry.a} for entry in incident.faq],
            "started_at": incident.started_at.astimezone(zone),
            "eta": incident.eta.astimezone(zone) if incident.eta else None,
            "next_update_at": next_update_at,
            "updated_at": self.now,
            "resolved": incident.status == "resolved",
            # A false alarm or a wrong message (its own correction_* templates say so).
            "cancelled": incident.status == "cancelled",
            # When a resolved or cancelled incident ended: said first, with the end.
            "ended_at": ended_at,
            # The expected end has passed and the incident goes on: say it takes longer.
            "eta_passed": eta_passed,
            "offline": incident.offline,
            "apology_short": short_apology(incident.apology),
            "sign_off": incident.sign_off,
            "signed_by": incident.signed_by,
            # Who signs: a named person, else the organisation's own words (else the team).
            "signature": incident.signed_by or incident.sign_off,
            "max_segments": None,
            "channel": channel,
            "channel_type": channel_type,
            "updates": updates or [],
            "reminder": False,
            "previous_update_at": None,
            # A false alarm or a wrong message: what was wrong and what to do now.
            "correction": incident.correction,
            # What the corrected message said and when it went out, as the ledger recorded
            # it (the send fills them in): never the current headline, rewritten since.
            "wrong_headline": None,
            "wrong_sent_at": None,
            # The email's greeting and footer (see content/greeting.py and preflight).
            "recipient_name": "",
            "contact": None,
            "unsubscribe_url": None,
        }

    def template_exists(self, name: str) -> str | None:
        """The name the loader will use for ``name``, or None when no such template exists.

        Folder by folder: a user's ``templates/sms.txt.j2`` (every language) wins over the
        shipped ``fr/sms.txt.j2``; within one folder, the language's own file comes first.
        """
        for folder in self.folders:
            for candidate in (f"{self.language}/{name}", name):
                if (folder / candidate).is_file():
                    return candidate
        return None

    def _not_a_file(self, name: str) -> RenderFailure | None:
        """A failure when the first path the loader would try for ``name`` is there but is
        not a regular file (a folder, a pipe, a device, a broken link): the loader would
        skip it and use the shipped template, silently, instead of the user's."""
        for folder in self.folders:
            for candidate in (f"{self.language}/{name}", name):
                path = folder / candidate
                try:
                    mode = path.stat().st_mode
                except FileNotFoundError:
                    if path.is_symlink():
                        kind = "a link to nothing"
                    else:
                        continue
                except OSError as exc:
                    kind = f"unreadable ({exc.strerror})"
                else:
                    kind = what_it_is(mode)
                    if kind is None:
                        return None
                return RenderFailure(
                    candidate,
                    None,
                    f"this template is {kind}, not a file: only a regular file is read (a "
                    "device or a pipe could hang or never end); name the file itself",
                    path,
                )
        return None

    def render(self, name: str, context: dict[str, Any]) -> str | RenderFailure:
        fitted = self.render_fitted(name, context)
        return fitted if isinstance(fitted, RenderFailure) else fitted.text

    def render_fitted(self, name: str, context: dict[str, Any]) -> Fitted | RenderFailure:
        """``render``, saying which droppable pieces went to fit ``max_segments``."""
        odd = self._not_a_file(name)
        if odd is not None:
            return odd
        found = self.template_exists(name)
        if found is None:
            return RenderFailure(
                name,
                None,
                f"no template '{name}' for language '{self.language}' "
                f"(looked in {self.language}/{name} and {name})",
                None,
            )
        try:
            template = self.environment(found).get_template(found)
            over = _over_budget.get(_budget_key(template))
            if over is not None:  # the same file went past its budget earlier in this run
                raise RenderBudgetExceeded(over)
            text = _render_within_budget(template, context)
        except jinja2.TemplateSyntaxError as exc:
            return RenderFailure(
                found, exc.lineno, f"template syntax error: {exc.message}", _p(exc.filename)
            )
        except jinja2.UndefinedError as exc:
            line, file = _template_position(exc, found)
            return RenderFailure(
                found, line, f"{exc.message} (the incident has no such field)", file
            )
        except jinja2.exceptions.SecurityError as exc:
            line, file = _template_position(exc, found)
            return RenderFailure(found, line, f"not allowed in a template: {exc}", file)
        except jinja2.TemplateError as exc:
            line, file = _template_position(exc, found)
            return RenderFailure(found, line, f"template error: {exc}", file)
        except RenderBudgetExceeded as exc:
            _over_budget.setdefault(_budget_key(template), str(exc))
            line, file = _template_position(exc, found)
            return RenderFailure(found, line, f"stopped: {exc}", file)
        except (OverflowError, MemoryError, RecursionError) as exc:
            line, file = _template_position(exc, found)
            said = {
                MemoryError: "it needs more memory than there is",
                RecursionError: "it calls itself too deeply (a macro or an include in a loop?)",
            }.get(type(exc), str(exc))
            return RenderFailure(found, line, f"stopped: {said}", file)
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            line, file = _template_position(exc, found)
            return RenderFailure(found, line, f"template error: {exc}", file)
        if self.language == "fr" and context.get("channel_type") not in PLAIN_SPACED:
            # French spacing and elision, once over the whole text (content/typography.py).
            from broadcast.content.typography import french

            text = french(text, markup=is_markup(found))
        if is_markup(found):
            fitted = Fitted(text)
        else:
            fitted = fit_pieces(
                text,
                context.get("max_segments"),
                smart=context.get("smart_encoding", True),
                transliterate=context.get("transliterate", False),
            )
            text = tidy_text(fitted.text)
            if found.endswith(".md.j2"):
                text = without_raw_html(text)
            # On what the channel carries: the droppable pieces' own markers are gone by now.
            return Fitted(without_controls(text), fitted.dropped, tidy_text(fitted.whole))
        return Fitted(without_controls(text), fitted.dropped)

    # Filters: dates in the incident's locale and timezone.
    def _local(self, value: datetime) -> datetime:
        return value.astimezone(self.incident.zone)

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
        return format_time(
            self._local(value), "short", tzinfo=self.incident.zone, locale=self.locale
        )

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


def _droppable(text: Any, rank: int) -> str:
    """Mark ``text`` as a piece a limited channel may drop (rank 1 goes first)."""
    return f"\x1e{int(rank)}\x1f{text}\x1e" if str(text).strip() else ""


def fit_droppable(text: str, max_segments: int | None) -> str:
    """``text`` fitted to ``max_segments`` (see ``fit_pieces``)."""
    return fit_pieces(text, max_segments).text


def fit_pieces(
    text: str, max_segments: int | None, *, smart: bool = True, transliterate: bool = False
) -> Fitted:
    """Drop marked pieces, lowest rank first, until the SMS fits ``max_segments``, then put
    back, most important first, any dropped piece that fits again (dropping an apology with
    an accent may leave room for the link dropped before it). Every piece is kept when there
    is no limit. A line that held only a dropped piece goes too.

    What is measured is what is sent: the text after the channel's typography (``smart``
    look-alikes, ``transliterate``d accents; measure.gsm_typography), so a curly apostrophe
    pasted from a word processor costs what its GSM-7 replacement costs, not a UCS-2 text."""
    if "\x1e" not in text:
        return Fitted(text)
    if max_segments is None:
        return Fitted(_DROPPABLE.sub(r"\2", text))
    from broadcast.content.measure import gsm_typography, sms_measure

    def without(dropped: set[int]) -> str:
        marked = _DROPPABLE.sub(
            lambda match: "\x00" if int(match.group(1)) in dropped else match.group(2), text
        )
        # A line that was only a dropped piece goes, line break and all.
        return re.sub(r"^\x00\n?", "", marked, flags=re.MULTILINE).replace("\x00", "")

    def fits(dropped: set[int]) -> bool:
        # Without the greeting: it goes first, per recipient, when their name does not fit.
        sent = gsm_typography(
            tidy_text(without_greeting(without(dropped))),
            smart=smart,
            transliterate=transliterate,
        ).text
        return sms_measure(sent).segments <= max_segments

    dropped: set[int] = set()
    for rank in sorted({int(match.group(1)) for match in _DROPPABLE.finditer(text)}):
        if fits(dropped):
            break
        dropped.add(rank)
    for rank in sorted(dropped, reverse=True):
        if fits(dropped - {rank}):
            dropped.discard(rank)
    names = tuple(DROP_ORDER.get(rank, f"the pieces of rank {rank}") for rank in sorted(dropped))
    return Fitted(without(dropped), names, without(set()) if dropped else "")


def short_apology(apology: str | None) -> str | None:
    """The apology's first sentence when it is short enough for an SMS, else None."""
    if not apology:
        return None
    first = re.split(r"(?<=[.!?…])\s+", " ".join(apology.split()), maxsplit=1)[0]
    return first if len(first) <= SHORT_APOLOGY_CHARACTERS else None


def _markdown_text(value: Any) -> str:
    """Incident text inside Markdown: no HTML a viewer would render, no accidental heading."""
    import html

    text = html.escape(str(value), quote=False)
    return re.sub(r"^([#>*+-])", r"\\\1", text, flags=re.MULTILINE)


def without_raw_html(markdown: str) -> str:
    """A Markdown output with no raw HTML a viewer would run or render: every ``<`` left is
    written ``&lt;``. Whatever put it there (a field a template forgot to pass through
    ``md``, a link, a user's own template), ``agent-script.md`` in a public folder carries
    no ``<script>``; the shipped templates write no HTML of their own."""
    return markdown.replace("<", "&lt;")


# What no rendered text may hold: C0 controls but newline and tab, DEL, C1 controls, and the
# bidi embeddings and overrides (U+202A-U+202E) that make a line read otherwise than written.
_ACTING = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")


def without_controls(text: str) -> str:
    """``text`` without the characters no channel may carry.

    Every text a provider, a feed or a page carries is rendered here, so this one guard
    covers them all (SMS, calls, X, Facebook, email, CAP, the status site, Apprise), whatever
    put the character there: a template's own output, a language file, or what the ledger
    and the published history recorded from an older version (a correction quotes the wrong
    message's headline as it went out). A control character would reach phones and feeds as
    garbage, act on the terminals that show it (ESC starts colours and hidden links) and make
    XML malformed. Removed, not refused: the input already refuses these characters in the
    incident, with its line, so what is left comes from where the author cannot fix it in a
    crisis (an older version's records), and a refusal there would block the very correction
    of the message that carried them. The preview, the approval and the send all see the
    text without them, so what is approved is what goes.
    """
    return _ACTING.sub("", text) if _ACTING.search(text) else text


def tidy_text(text: str) -> str:
    """Trailing spaces off every line, at most one blank line in a row, no blank ends, one
    space between words (a phrase said once may leave its place empty: next_update_short)."""
    lines = [
        re.sub(r"(?<=\S) {2,}(?=\S)", " ", line.rstrip()) for line in text.strip().splitlines()
    ]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


# The templates that went past their budget in this run, by file and version: rendering one
# again (another language, a reminder) would take its whole time again to fail the same way.
_over_budget: dict[tuple[str | None, float], str] = {}


def _budget_key(template: jinja2.Template) -> tuple[str | None, float]:
    try:
        changed = os.stat(template.filename).st_mtime if template.filename else 0.0
    except OSError:
        changed = 0.0
    return template.filename, changed


def _render_within_budget(template: jinja2.Template, context: dict[str, Any]) -> str:
    """``template.render(context)`` within the budget: the deadline set for this template
    (unless an outer render set one), what it writes counted as it writes it."""
    outer = _budget.deadline
    if outer is None:
        _budget.deadline = time.monotonic() + RENDER_SECONDS
    try:
        parts: list[str] = []
        size = 0
        try:
            for index, part in enumerate(template.root_render_func(template.new_context(context))):
                size += len(part)
                _check_size(size)
                if not index % 100:
                    _check_deadline()
                parts.append(part)
        except Exception:
            # Jinja's own rewriting of the traceback: its frames say the template's lines.
            template.environment.handle_exception()
        return template.environment.concat(parts)  # type: ignore[no-any-return]
    finally:
        _budget.deadline = outer


def _p(name: str | None) -> Path | None:
    return Path(name) if name else None


def _template_position(exc: BaseException, name: str) -> tuple[int | None, Path | None]:
    """Jinja rewrites tracebacks so template frames carry the template's file and line."""
    tb = exc.__traceback__
    line: int | None = None
    file: Path | None = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(name) or filename.endswith(".j2"):
            line, file = tb.tb_lineno, Path(filename)
        tb = tb.tb_next
    return line, file
