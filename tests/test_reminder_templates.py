"""The shipped reminder templates: "nothing new, we are still on it", sent when a promise falls due.

A reminder is rendered with the same context as an update, plus ``reminder=True`` and
``previous_update_at`` (the last real update). Its status is never ``resolved``.
"""

from __future__ import annotations

import inspect
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from broadcast.content.measure import sms_measure, tweet_weighted_length
from broadcast.content.render import SHIPPED_TEMPLATES, Renderer, RenderFailure
from broadcast.input.config import EmailChannel, SmsChannel, TwitterChannel, WebBannerChannel
from broadcast.input.incident import Incident, load_incident

from .test_templates import _Page, assert_only_dark_mode_styles

REPO = Path(__file__).resolve().parent.parent
LANGUAGES = ("fr", "en")
STATUSES = ("investigating", "identified", "monitoring")

EXAMPLES = {
    "fr": (REPO / "examples" / "panne-nord.yaml", "Énergie Nord"),
    "en": (REPO / "examples" / "storm-en.yaml", "Dale Valley Water"),
}

# Each reminder template, with the update template it stands in for and its channel type.
REMINDERS = {
    "reminder_sms.txt.j2": ("sms.txt.j2", "sms"),
    "reminder_tweet.txt.j2": ("tweet.txt.j2", "twitter"),
    "reminder_email_subject.txt.j2": ("email_subject.txt.j2", "email"),
    "reminder_email.txt.j2": ("email.txt.j2", "email"),
    "reminder_email.html.j2": ("email.html.j2", "email"),
    "reminder_banner.txt.j2": ("banner.txt.j2", "web_banner"),
}
SMS = "reminder_sms.txt.j2"
TWEET = "reminder_tweet.txt.j2"
SUBJECT = "reminder_email_subject.txt.j2"
BANNER = "reminder_banner.txt.j2"
EMAIL_TEXT = "reminder_email.txt.j2"
EMAIL_HTML = "reminder_email.html.j2"
EMAILS = (EMAIL_TEXT, EMAIL_HTML)
BODIES = tuple(name for name in REMINDERS if name != SUBJECT)
SHORT = (SMS, TWEET, BANNER)

WORDING = {
    "fr": {
        "nothing_new": "rien de nouveau",
        # The long forms say "prochaine mise à jour", the short ones "Point à 11h40."
        "next_update": re.compile(r"prochaine mise à jour|\bpoint (?:à|le)\b"),
        "unknown_end": "ne savons pas encore",
        "default_apology": "Nous sommes sincèrement désolés",
        "subject": "[Point de situation] ",
        "still": "toujours",
    },
    "en": {
        "nothing_new": "nothing new",
        "next_update": re.compile(r"next update|more news (?:at|on)\b"),
        "unknown_end": "do not know yet",
        "default_apology": "We are truly sorry",
        "subject": "[Update] ",
        "still": "still",
    },
}

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HOSTILE = f"{SCRIPT} & {IMG} \"quoted\" 'single'"


# Helpers


def example(language: str) -> Incident:
    incident, _ = load_incident(EXAMPLES[language][0])
    return incident


def incident_for(language: str, status: str, **changes: object) -> Incident:
    return example(language).model_copy(update={"status": status, **changes})


def last_update(incident: Incident) -> datetime:
    """The last real update: half an hour into the incident."""
    return incident.started_at + timedelta(minutes=30)


def reminder_time(incident: Incident) -> datetime:
    """Two hours after the last real update: the promise falls due, nothing new to say."""
    return last_update(incident) + timedelta(hours=2)


class Rendered:
    """Every reminder template for one incident, and what it takes to check them."""

    def __init__(
        self,
        language: str,
        incident: Incident,
        organisation: str | None = None,
        previous_update_at: datetime | None = None,
        *,
        no_previous: bool = False,
    ) -> None:
        self.incident = incident
        self.renderer = Renderer(
            incident, reminder_time(incident), organisation or EXAMPLES[language][1]
        )
        # The last real update; None only when the code could not tell (no_previous).
        self.previous = None if no_previous else previous_update_at or last_update(incident)
        self.next_update_at = incident.next_update_at(self.renderer.now)
        self.out: dict[str, str] = {}
        self.update: dict[str, str] = {}
        for name, (update_name, channel_type) in REMINDERS.items():
            self.out[name] = self._render(name, self.context(channel_type, reminder=True))
            self.update[name] = self._render(update_name, self.context(channel_type))

    def context(self, channel_type: str, reminder: bool = False) -> dict[str, Any]:
        ctx = self.renderer.context(f"test-{channel_type}", channel_type)
        if reminder:
            ctx.update(reminder=True, previous_update_at=self.previous)
        return ctx

    def _render(self, name: str, context: dict[str, Any]) -> str:
        rendered = self.renderer.render(name, context)
        assert not isinstance(rendered, RenderFailure), f"{name}: {rendered}"
        return rendered

    def filter(self, name: str, value: datetime) -> str:
        return self.renderer.text_env.filters[name](value)

    def seen(self, name: str) -> str:
        """What a reader sees: HTML entities decoded, tags left out."""
        return _Page(self.out[name]).text if name.endswith(".html.j2") else self.out[name]


def render(language: str, status: str, **changes: object) -> Rendered:
    return Rendered(language, incident_for(language, status, **changes))


# Shipped under the names the channels ask for.


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reminder_template_is_shipped(language: str) -> None:
    for name in REMINDERS:
        assert (SHIPPED_TEMPLATES / language / name).is_file(), f"{language}/{name}"


def test_channels_ask_for_these_names() -> None:
    wanted: set[str] = set()
    for channel in (SmsChannel, EmailChannel, TwitterChannel, WebBannerChannel):
        if "reminder" not in inspect.signature(channel.template_names).parameters:
            pytest.skip("channels do not know about reminders yet")
        wanted |= set(channel.model_construct().template_names(reminder=True).values())
    # The status page and the contact centre's script are the same during a reminder: they
    # show when they were last updated.
    assert wanted - {"status.html.j2", "agent_script.md.j2"} == set(REMINDERS)


# Facts and wording, per language and status.

NEXT_UPDATE = pytest.mark.parametrize(
    "next_update", [None, timedelta(hours=20)], ids=["today", "tomorrow"]
)


@NEXT_UPDATE
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_renders_with_no_leftovers(
    language: str, status: str, next_update: timedelta | None
) -> None:
    changes = {"next_update": next_update} if next_update else {}
    rendered = render(language, status, **changes)
    for name, text in rendered.out.items():
        assert text.strip(), name
        for leftover in ("None", "{{", "}}", "{%", "%}", "{#", "Undefined"):
            assert leftover not in text, f"{name} has {leftover!r}"


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_headline_verbatim_and_subject(language: str, status: str) -> None:
    rendered = render(language, status)
    incident = rendered.incident
    for name in BODIES:
        assert incident.headline in rendered.seen(name), name
    subject = rendered.out[SUBJECT]
    assert subject == WORDING[language]["subject"] + incident.title
    assert "\n" not in subject and "\r" not in subject


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_one_line_banner(language: str, status: str) -> None:
    banner = render(language, status).out[BANNER]
    assert "\n" not in banner and "\r" not in banner


@NEXT_UPDATE
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_next_update_time_on_every_channel(
    language: str, status: str, next_update: timedelta | None
) -> None:
    changes = {"next_update": next_update} if next_update else {}
    rendered = render(language, status, **changes)
    next_update_at = rendered.next_update_at
    assert next_update_at is not None
    time = rendered.filter("time", next_update_at)
    for name in BODIES:
        text = rendered.seen(name)
        assert WORDING[language]["next_update"].search(text.lower()), name
        assert time in text, f"{name} lacks {time!r}"
    when = rendered.filter("when", next_update_at)
    assert (when == time) == (next_update is None)
    for name in SHORT:
        assert when in rendered.out[name], name
    for name in EMAILS:
        assert rendered.filter("date", next_update_at) in rendered.seen(name), name


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_email_says_nothing_new_since_the_last_update(language: str, status: str) -> None:
    rendered = render(language, status)
    assert rendered.previous is not None
    since = rendered.filter("when", rendered.previous)
    for name in EMAILS:
        text = rendered.seen(name)
        assert WORDING[language]["nothing_new"] in text, name
        assert f"({since})" in text, f"{name} lacks {since!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_last_update_on_another_day_names_the_day(language: str) -> None:
    incident = incident_for(language, "identified")
    previous = reminder_time(incident) - timedelta(hours=20)
    rendered = Rendered(language, incident, previous_update_at=previous)
    since = rendered.filter("when", previous)
    assert since != rendered.filter("time", previous)
    for name in EMAILS:
        assert f"({since})" in rendered.seen(name), name


@pytest.mark.parametrize("language", LANGUAGES)
def test_unknown_last_update_still_renders(language: str) -> None:
    """Should the code not know the last update, the email says so without a time."""
    rendered = Rendered(language, incident_for(language, "identified"), no_previous=True)
    for name in EMAILS:
        text = rendered.seen(name)
        assert WORDING[language]["nothing_new"] in text, name
        assert "None" not in text and "()" not in text, name


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_each_status_has_its_own_sentence(language: str, status: str) -> None:
    rendered = render(language, status)
    for name in BODIES:
        assert WORDING[language]["still"] in rendered.seen(name).lower(), name
    others = [render(language, other).out for other in STATUSES if other != status]
    for name in BODIES:
        assert all(out[name] != rendered.out[name] for out in others), name


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_reminder_wording_differs_from_an_update(language: str, status: str) -> None:
    """Readers must see at once that this is a reminder, not news."""
    rendered = render(language, status)
    for name in REMINDERS:
        assert rendered.out[name] != rendered.update[name], name
    # Not just the status sentence: the short forms keep the headline, and say "still".
    for name in SHORT:
        assert WORDING[language]["still"] not in rendered.update[name].lower(), name


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_expected_end_or_not_yet_known(language: str, status: str) -> None:
    incident = example(language)
    eta = incident.started_at + timedelta(hours=6)
    known = render(language, status, eta=eta)
    unknown = render(language, status, eta=None)
    for name in EMAILS:
        assert known.filter("datetime", eta) in known.seen(name), name
        assert WORDING[language]["unknown_end"] not in known.seen(name), name
        assert WORDING[language]["unknown_end"] in unknown.seen(name), name


@pytest.mark.parametrize("severity", ["minor", "major", "critical"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_apology_for_major_and_critical(language: str, severity: str) -> None:
    rendered = render(language, "identified", apology=None, severity=severity)
    for name in EMAILS:
        said = WORDING[language]["default_apology"] in rendered.seen(name)
        assert said == (severity != "minor"), name


@pytest.mark.parametrize("language", LANGUAGES)
def test_given_apology_is_used(language: str) -> None:
    apology = "Nous regrettons vivement." if language == "fr" else "We deeply regret this."
    rendered = render(language, "identified", apology=apology)
    for name in EMAILS:
        assert apology in rendered.seen(name), name
        assert WORDING[language]["default_apology"] not in rendered.seen(name), name


@pytest.mark.parametrize("language", LANGUAGES)
def test_link_given_when_there_is_one(language: str) -> None:
    rendered = render(language, "identified")
    link = rendered.incident.link
    assert link
    for name in (SMS, TWEET, *EMAILS):
        assert link in rendered.out[name], name
    links = [attrs.get("href") for tag, attrs in _Page(rendered.out[EMAIL_HTML]).tags if tag == "a"]
    assert link in links
    without = render(language, "identified", link=None)
    for name, text in without.out.items():
        assert "https://" not in text and "None" not in text, name


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_sober_tone(language: str, status: str) -> None:
    """No exclamation marks, no words in capitals."""
    rendered = render(language, status, apology=None)
    for name in REMINDERS:
        seen = rendered.seen(name)
        assert "!" not in seen, name
        assert not re.findall(r"\b[A-ZÀ-Ý]{4,}\b", seen), name


# Lengths: the shipped examples fit their channels.


@NEXT_UPDATE
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_sms_fits_two_segments(language: str, status: str, next_update: timedelta | None) -> None:
    changes = {"next_update": next_update} if next_update else {}
    sms = render(language, status, **changes).out[SMS]
    measure = sms_measure(sms)
    assert measure.segments <= 2, (measure, sms)
    assert sms.startswith(EXAMPLES[language][1])


@pytest.mark.parametrize("language", LANGUAGES)
def test_sms_wording_stays_in_the_gsm_alphabet(language: str) -> None:
    """The template's own words never force UCS-2 (which cuts a segment from 153 to 67)."""
    for status in STATUSES:
        for next_update in (timedelta(hours=2), timedelta(hours=20)):
            incident = incident_for(
                language, status, headline="Panne", title="Panne", next_update=next_update
            )
            sms = Rendered(language, incident, organisation="Org").out[SMS]
            assert sms_measure(sms).non_gsm == (), sms


@NEXT_UPDATE
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_tweet_fits_280(language: str, status: str, next_update: timedelta | None) -> None:
    changes = {"next_update": next_update} if next_update else {}
    tweet = render(language, status, **changes).out[TWEET]
    assert tweet_weighted_length(tweet) <= 280, tweet


# Safety: incident text never becomes markup, and stays as written in plain text.


def hostile(language: str, status: str, **changes: object) -> Rendered:
    text = {
        "title": f"Title {HOSTILE}",
        "headline": f"Headline {HOSTILE}",
        "apology": f"Apology {HOSTILE}",
    }
    incident = incident_for(language, status, **{**text, **changes})
    return Rendered(language, incident, organisation="A & B <i>")


@pytest.mark.parametrize("own_apology", [True, False], ids=["apology", "default-apology"])
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_incident_text_is_escaped_in_html(language: str, status: str, own_apology: bool) -> None:
    changes = {} if own_apology else {"apology": None, "eta": None}
    rendered = hostile(language, status, **changes)
    html = rendered.out[EMAIL_HTML]
    page = _Page(html)
    assert not page.errors, page.errors
    names = page.names()
    assert "script" not in names and "img" not in names and "i" not in names
    assert not [a for _, attrs in page.tags for a in attrs if a.startswith("on")]
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "&lt;script&gt;" in html
    assert "&amp;lt;" not in html and "&amp;amp;" not in html, "escaped twice"
    assert f"Headline {HOSTILE}" in page.text
    assert f"Title {HOSTILE}" in page.text
    assert (f"Apology {HOSTILE}" in page.text) == own_apology


@pytest.mark.parametrize("language", LANGUAGES)
def test_text_channels_keep_incident_text_as_written(language: str) -> None:
    rendered = hostile(language, "investigating")
    for name in REMINDERS:
        if name == EMAIL_HTML:
            continue
        text = rendered.out[name]
        assert "&lt;" not in text and "&#39;" not in text and "&amp;" not in text, name
    for name in (SMS, TWEET, BANNER, EMAIL_TEXT):
        assert f"Headline {HOSTILE}" in rendered.out[name], name


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_html_is_a_complete_accessible_document(language: str, status: str) -> None:
    rendered = render(language, status)
    html = rendered.out[EMAIL_HTML]
    page = _Page(html)
    assert html.startswith("<!DOCTYPE html>")
    assert not page.errors, page.errors
    names = page.names()
    assert dict(page.tags)["html"].get("lang") == rendered.incident.locale.replace("_", "-")
    assert ("meta", {"charset": "utf-8"}) in page.tags
    assert names.count("h1") == 1 and "title" in names
    assert not {"script", "link", "img", "iframe"} & set(names), "inline styles only"
    assert_only_dark_mode_styles(page)
    assert any("style" in attrs for _, attrs in page.tags)
