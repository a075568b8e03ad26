"""Rendering an incident through a channel's templates, in Jinja's sandbox.

Templates are looked up in the ``templates/`` folder next to channels.yaml first (a user's
override), then in the shipped defaults; inside each, ``<language>/<name>`` before ``<name>``.
Undefined variables are errors, and HTML/XML templates autoescape, so incident text can never
become markup.

A text template may mark pieces a short channel can do without (``{% filter droppable(2) %}``):
when the channel has a limit (``max_segments`` for SMS), the pieces are dropped, lowest rank
first, until the text fits (``fitting``); elsewhere they are kept. ``render_fitted`` says which
went (the preview shows it). Templates run in Jinja's sandbox within a budget
(``template_sandbox``), with the date and time filters of ``time_words``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from broadcast.content.fitting import Fitted, droppable, fit_pieces, short_apology
from broadcast.content.greeting import mark_greeting
from broadcast.content.template_sandbox import (
    RenderBudgetExceeded,
    make_environment,
    render_within_budget,
)
from broadcast.content.text_cleaning import (
    markdown_text,
    tidy_text,
    without_controls,
    without_raw_html,
)
from broadcast.content.time_words import TimeWords
from broadcast.input.affected import impact_word
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


# The full locale a channel pinned to a bare language writes its dates and times in, when
# neither the incident nor the readers say (en_GB: 24-hour clock, day before month).
DEFAULT_FULL_LOCALE = {"en": "en_GB", "fr": "fr_FR"}


def is_markup(name: str) -> bool:
    """``status.html.j2`` renders HTML (escaped); ``sms.txt.j2`` renders text."""
    return name.removesuffix(".j2").endswith(_MARKUP_SUFFIXES)


class RenderFailure(NamedTuple):
    """Why a template did not render, located in the template file."""

    template: str
    line: int | None
    message: str
    file: Path | None


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
        filters = TimeWords(self.locale, incident.zone, self.now).filters()
        # Markdown files (the agent script) are read in viewers that render raw HTML.
        filters["md"] = markdown_text
        filters["droppable"] = droppable
        filters["greeting"] = mark_greeting
        self.folders = [d for d in (override_dir, SHIPPED_TEMPLATES) if d and d.is_dir()]
        self.text_env = make_environment(self.folders, markup=False)
        self.markup_env = make_environment(self.folders, markup=True)
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
            # The services or areas with their impact, when affected was written as a list
            # (input.affected); the text above holds them worded.
            "affected_items": [
                {**item.model_dump(), "impact_word": impact_word(item.impact, self.language)}
                for item in incident.affected_items
            ],
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
            # The area in words, for the public channels (its shapes pick the personal ones'
            # recipients: delivery.area_reach).
            "area_description": incident.area.description if incident.area else None,
            # Said to everyone in the area and to those an earlier version reached who are now
            # outside it (delivery.area_reach): "this street is no longer concerned".
            "left_area": incident.area.left_area if incident.area else None,
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
            text = render_within_budget(template, context)
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
