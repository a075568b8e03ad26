"""The shipped templates: every channel, status and language tells the same facts, safely."""

from __future__ import annotations

import importlib.util
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from broadcast.content.render import SHIPPED_TEMPLATES, Renderer, RenderFailure
from broadcast.content.typography import plain
from broadcast.input.config import EmailChannel, SmsChannel, TwitterChannel, WebBannerChannel
from broadcast.input.incident import Incident, load_incident
from broadcast.input.incident_texts import FaqEntry

REPO = Path(__file__).resolve().parent.parent
LANGUAGES = ("fr", "en")
STATUSES = ("investigating", "identified", "monitoring", "resolved")
OPEN_STATUSES = STATUSES[:3]
ENDED_STATUSES = STATUSES[3:]

EXAMPLES = {
    "fr": (REPO / "examples" / "panne-nord.yaml", "Énergie Nord"),
    "en": (REPO / "examples" / "storm-en.yaml", "Dale Valley Water"),
}

# Every shipped template, with the channel type that renders it.
TEMPLATES = {
    "sms.txt.j2": "sms",
    "tweet.txt.j2": "twitter",
    "email_subject.txt.j2": "email",
    "email.txt.j2": "email",
    "email.html.j2": "email",
    "banner.txt.j2": "web_banner",
    "status.html.j2": "web_banner",
    "agent_script.md.j2": "web_banner",
}
SUBJECT = "email_subject.txt.j2"
BODIES = tuple(name for name in TEMPLATES if name != SUBJECT)
HTML = ("email.html.j2", "status.html.j2")
MARKDOWN = "agent_script.md.j2"
# The long forms, which carry every fact of the incident.
FULL = ("email.txt.j2", "email.html.j2", "status.html.j2")

WORDING = {
    "fr": {
        # The long forms say "prochaine mise à jour", the short ones "Point à 11h40."
        "next_update": re.compile(r"prochaine mise à jour|\bpoint (?:à|le)\b"),
        "ended": {"resolved": "Résolu", "cancelled": "Annulé"},
        "unknown_end": "ne savons pas encore",
        "default_apology": "Nous sommes sincèrement désolés",
    },
    "en": {
        "next_update": re.compile(r"next update|more news (?:at|on)\b"),
        "ended": {"resolved": "Resolved", "cancelled": "Cancelled"},
        "unknown_end": "do not know yet",
        "default_apology": "We are truly sorry",
    },
}

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HOSTILE = f"{SCRIPT} & {IMG} \"quoted\" 'single'"

measure_available = importlib.util.find_spec("broadcast.content.measure") is not None
needs_measure = pytest.mark.skipif(
    not measure_available, reason="broadcast.content.measure not there yet"
)


# Helpers


def example(language: str) -> Incident:
    incident, _ = load_incident(EXAMPLES[language][0])
    return incident


def now_for(incident: Incident) -> datetime:
    """Ninety minutes into the incident: the next update falls on the same day."""
    return incident.started_at + timedelta(minutes=90)


def incident_for(language: str, status: str, **changes: object) -> Incident:
    update: dict[str, object] = {"status": status}
    if status in ENDED_STATUSES:
        update.update(
            compensation="Un avoir de 10 euros sur votre prochaine facture."
            if language == "fr"
            else "A credit of 30 pounds on your next bill.",
            feedback_url="https://example.com/feedback/survey-1",
        )
    update.update(changes)
    return example(language).model_copy(update=update)


def render_all(
    language: str, incident: Incident, organisation: str | None = None
) -> tuple[Renderer, dict[str, str]]:
    r = Renderer(incident, now_for(incident), organisation or EXAMPLES[language][1])
    out = {}
    for name, channel_type in TEMPLATES.items():
        rendered = r.render(name, r.context(f"test-{channel_type}", channel_type))
        assert not isinstance(rendered, RenderFailure), f"{language}/{name}: {rendered}"
        out[name] = rendered
    return r, out


class _Page(HTMLParser):
    """Tags, attributes and visible text of an HTML document; unbalanced tags are recorded."""

    VOID = frozenset({"meta", "br", "img", "hr", "link", "input", "wbr", "source"})

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.chunks: list[str] = []
        self.styles: list[str] = []
        self.feed(markup)
        self.close()
        self.errors += [f"<{tag}> never closed" for tag in self.stack]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        else:
            self.errors.append(f"</{tag}> does not close {self.stack[-1:] or 'anything'}")

    def handle_data(self, data: str) -> None:
        if self.stack[-1:] == ["style"]:
            self.styles.append(data)  # CSS, not text anyone reads
        else:
            self.chunks.append(data)

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def names(self) -> list[str]:
        return [tag for tag, _ in self.tags]


def assert_only_dark_mode_styles(page: _Page) -> None:
    """An email styles inline (clients drop <style>); one <style> adds only the dark mode."""
    names = page.names()
    assert names.count("style") == 1
    css = "".join(page.styles).strip()
    assert css.startswith("@media (prefers-color-scheme: dark) {") and css.count("@media") == 1
    assert ("meta", {"name": "color-scheme", "content": "light dark"}) in page.tags


def visible(name: str, output: str) -> str:
    """What a reader sees: HTML entities decoded, tags left out; French no-break spaces
    (content/typography.py) read as spaces."""
    return plain(_Page(output).text if name in HTML else output)


def time_of(r: Renderer, value: datetime) -> str:
    return r.text_env.filters["time"](value)


# Every template is shipped in every language, under the names the channels ask for.


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_channel_template_is_shipped(language: str) -> None:
    wanted = {
        name
        for channel in (SmsChannel, EmailChannel, TwitterChannel, WebBannerChannel)
        for name in channel.TEMPLATES.values()
    }
    assert wanted <= set(TEMPLATES)
    for name in TEMPLATES:
        assert (SHIPPED_TEMPLATES / language / name).is_file(), f"{language}/{name}"


def test_html_partials_are_the_same_in_every_language() -> None:
    """_html.html.j2 holds no wording: one copy per folder, kept identical."""
    copies = {(SHIPPED_TEMPLATES / lang / "_html.html.j2").read_text() for lang in LANGUAGES}
    assert len(copies) == 1


# Facts and wording, per language and status.


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_renders_with_no_leftovers(language: str, status: str) -> None:
    _, out = render_all(language, incident_for(language, status))
    for name, text in out.items():
        assert text.strip(), name
        for leftover in ("None", "{{", "}}", "{%", "%}", "{#", "Undefined"):
            assert leftover not in text, f"{name} has {leftover!r}"


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_headline_verbatim_on_every_channel(language: str, status: str) -> None:
    incident = incident_for(language, status)
    _, out = render_all(language, incident)
    for name in BODIES:
        assert incident.headline in visible(name, out[name]), name
    if status in ENDED_STATUSES:
        # The end first, with its time: "Résolu à 9h40 : Coupure d'électricité..."
        assert out[SUBJECT].startswith(WORDING[language]["ended"][status]), out[SUBJECT]
        # French sets no capital after a colon: the title follows a dash there.
        assert out[SUBJECT].endswith((f": {incident.title}", f" – {incident.title}"))  # noqa: RUF001
    else:
        assert out[SUBJECT].startswith(f"{incident.title}:") or out[SUBJECT].startswith(
            f"{incident.title}\u00a0:"
        )


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_sms_starts_with_the_organisation(language: str, status: str) -> None:
    _, out = render_all(language, incident_for(language, status))
    assert out["sms.txt.j2"].startswith(EXAMPLES[language][1])
    assert example(language).link in out["sms.txt.j2"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_subject_is_one_line_and_says_the_status(language: str) -> None:
    subjects = set()
    for status in STATUSES:
        _, out = render_all(language, incident_for(language, status))
        subject = out[SUBJECT]
        assert "\n" not in subject and "\r" not in subject
        subjects.add(subject)
    assert len(subjects) == len(STATUSES), "each status has its own word in the subject"


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_sober_tone(language: str, status: str) -> None:
    """No exclamation marks, no words in capitals: the wording stays calm on every channel."""
    _, out = render_all(language, incident_for(language, status, apology=None))
    for name, text in out.items():
        seen = visible(name, text)
        assert "!" not in seen, name
        assert not re.findall(r"\b[A-ZÀ-Ý]{4,}\b", seen), name


@pytest.mark.parametrize("status", OPEN_STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_next_update_with_its_time_unless_resolved(language: str, status: str) -> None:
    incident = incident_for(language, status)
    r, out = render_all(language, incident)
    next_update_at = incident.next_update_at(r.now)
    assert next_update_at is not None
    expected_time = time_of(r, next_update_at)
    for name in BODIES:
        text = visible(name, out[name])
        assert WORDING[language]["next_update"].search(text.lower()), name
        assert expected_time in text, f"{name} lacks {expected_time!r}"
    for name in FULL:
        assert r.text_env.filters["date"](next_update_at) in visible(name, out[name]), name


@pytest.mark.parametrize("language", LANGUAGES)
def test_next_update_on_another_day_names_the_day(language: str) -> None:
    incident = incident_for(language, "identified", next_update=timedelta(hours=20))
    r, out = render_all(language, incident)
    next_update_at = incident.next_update_at(r.now)
    assert next_update_at is not None and next_update_at.date() != r.now.date()
    when = r.text_env.filters["when"](next_update_at)
    assert when != time_of(r, next_update_at)
    for name in ("sms.txt.j2", "tweet.txt.j2", "banner.txt.j2"):
        assert when in out[name], name


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("status", ENDED_STATUSES)
def test_resolved_promises_no_next_update(language: str, status: str) -> None:
    _, out = render_all(language, incident_for(language, status))
    for name, text in out.items():
        assert not WORDING[language]["next_update"].search(visible(name, text).lower()), name


@pytest.mark.parametrize("status", OPEN_STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_unknown_end_is_said_plainly(language: str, status: str) -> None:
    _, out = render_all(language, incident_for(language, status, eta=None))
    for name in FULL:
        assert WORDING[language]["unknown_end"] in visible(name, out[name]), name


@pytest.mark.parametrize("status", OPEN_STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_known_end_is_given_with_date_and_time(language: str, status: str) -> None:
    incident = example(language)
    eta = incident.started_at + timedelta(hours=6)
    r, out = render_all(language, incident_for(language, status, eta=eta))
    for name in FULL:
        text = visible(name, out[name])
        assert r.text_env.filters["datetime"](eta) in text, name
        assert WORDING[language]["unknown_end"] not in text, name


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_fact_in_the_long_forms(language: str, status: str) -> None:
    incident = incident_for(language, status)
    r, out = render_all(language, incident)
    for name in FULL:
        text = visible(name, out[name])
        for fact in (incident.affected, r.text_env.filters["datetime"](incident.started_at)):
            assert fact in text, f"{name} lacks {fact!r}"
        # Multi-line YAML text may be split into paragraphs: compare its lines.
        for field in (incident.summary, incident.actions):
            for line in (field or "").splitlines():
                assert line.strip() in text, f"{name} lacks {line!r}"
        for entry in incident.faq:
            assert entry.q in text and entry.a.splitlines()[0] in text, name
        assert incident.link and incident.link in text, name
        assert EXAMPLES[language][1] in text, name


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_given_apology_is_used(language: str, status: str) -> None:
    apology = "Nous regrettons vivement." if language == "fr" else "We deeply regret this."
    _, out = render_all(language, incident_for(language, status, apology=apology))
    for name in FULL:
        text = visible(name, out[name])
        assert apology in text, name
        assert WORDING[language]["default_apology"] not in text, name


@pytest.mark.parametrize("severity", ["minor", "major", "critical"])
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_default_apology_for_major_and_critical(language: str, status: str, severity: str) -> None:
    incident = incident_for(language, status, apology=None, severity=severity)
    _, out = render_all(language, incident)
    for name in FULL:
        said = WORDING[language]["default_apology"] in visible(name, out[name])
        assert said == (severity != "minor"), name


@pytest.mark.parametrize("language", LANGUAGES)
def test_resolved_gives_compensation_and_feedback_link(language: str) -> None:
    incident = incident_for(language, "resolved", actions=None)
    _, out = render_all(language, incident)
    assert incident.compensation and incident.feedback_url
    for name in FULL:
        text = visible(name, out[name])
        assert incident.compensation in text, name
        assert incident.feedback_url in text, name
    for name in HTML:
        links = [attrs.get("href") for tag, attrs in _Page(out[name]).tags if tag == "a"]
        assert incident.feedback_url in links, name


@pytest.mark.parametrize("status", OPEN_STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_feedback_is_asked_only_once_resolved(language: str, status: str) -> None:
    feedback_url = "https://example.com/feedback/survey-1"
    _, out = render_all(language, incident_for(language, status, feedback_url=feedback_url))
    for name, text in out.items():
        assert feedback_url not in text, name


@pytest.mark.parametrize("language", LANGUAGES)
def test_optional_fields_left_out(language: str) -> None:
    incident = incident_for(
        language,
        "resolved",
        actions=None,
        apology=None,
        compensation=None,
        link=None,
        feedback_url=None,
        faq=[],
        eta=None,
    )
    _, out = render_all(language, incident)
    for name, text in out.items():
        assert "None" not in text and "https://" not in text, name
    for name in HTML:
        assert "details" not in _Page(out[name]).names(), name


# Safety: incident text never becomes markup.


def hostile_incident(language: str, status: str, **changes: object) -> Incident:
    hostile = dict(
        title=f"Title {HOSTILE}",
        headline=f"Headline {HOSTILE}",
        affected=f"Affected {HOSTILE}",
        summary=f"Summary {HOSTILE}\nSecond line {SCRIPT}",
        actions=f"Actions {HOSTILE}",
        apology=f"Apology {HOSTILE}",
        compensation=f"Compensation {HOSTILE}",
        faq=[FaqEntry(q=f"Q {HOSTILE}", a=f"A {HOSTILE}")],
    )
    return incident_for(language, status, **{**hostile, **changes})


@pytest.mark.parametrize("own_apology", [True, False], ids=["apology", "default-apology"])
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_incident_text_is_escaped_in_html(language: str, status: str, own_apology: bool) -> None:
    """Every path through the shared phrases too: a macro from a .j2 partial is not escaped."""
    changes = {} if own_apology else {"apology": None, "eta": None}
    incident = hostile_incident(language, status, **changes)
    _, out = render_all(language, incident, organisation="A & B <i>")
    for name in HTML:
        page = _Page(out[name])
        assert not page.errors, f"{name}: {page.errors}"
        assert "script" not in page.names() and "img" not in page.names(), name
        assert "i" not in page.names(), f"{name}: the organisation became markup"
        assert not [a for _, attrs in page.tags for a in attrs if a.startswith("on")], name
        assert "<script" not in out[name].lower() and "<img" not in out[name].lower(), name
        assert "&lt;script&gt;" in out[name], name
        assert "&amp;lt;" not in out[name] and "&amp;amp;" not in out[name], "escaped twice"
        # What the reader sees is the text as written.
        assert f"Headline {HOSTILE}" in page.text, name
        assert f"A {HOSTILE}" in page.text, name
        assert (f"Apology {HOSTILE}" in page.text) == own_apology, name


@pytest.mark.parametrize("language", LANGUAGES)
def test_text_channels_keep_incident_text_as_written(language: str) -> None:
    """Plain text is not HTML: no entities in an SMS or a text email."""
    _, out = render_all(language, hostile_incident(language, "investigating"))
    for name in TEMPLATES:
        if name in HTML or name == MARKDOWN:
            continue
        assert "&lt;" not in out[name] and "&#39;" not in out[name] and "&amp;" not in out[name]
    assert f"Headline {HOSTILE}" in out["sms.txt.j2"]
    assert f"Apology {HOSTILE}" in out["email.txt.j2"]
    # Markdown viewers render raw HTML: the contact centre's script escapes it.
    assert "<script" not in out[MARKDOWN] and "<img" not in out[MARKDOWN]
    assert "&lt;script&gt;" in out[MARKDOWN]


# HTML documents: complete, accessible, coloured by severity.


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", HTML)
def test_html_is_a_complete_accessible_document(language: str, status: str, name: str) -> None:
    incident = incident_for(language, status)
    _, out = render_all(language, incident)
    html = out[name]
    page = _Page(html)
    assert html.startswith("<!DOCTYPE html>")
    assert not page.errors, page.errors
    names = page.names()
    assert dict(page.tags)["html"].get("lang") == incident.locale.replace("_", "-")
    assert ("meta", {"charset": "utf-8"}) in page.tags
    assert any(tag == "meta" and attrs.get("name") == "viewport" for tag, attrs in page.tags)
    assert names.count("h1") == 1 and "h2" in names
    assert "title" in names
    assert not {"script", "img", "iframe"} & set(names)
    if name == "status.html.j2":
        assert names.count("details") == len(incident.faq)
        # Under a strict CSP (default-src 'self'): no inline style; its stylesheet and feed
        # are files beside it, nothing is fetched from elsewhere.
        assert "style" not in names and "style=" not in html
        links = {attrs.get("rel"): attrs.get("href") for tag, attrs in page.tags if tag == "link"}
        assert links == {"stylesheet": "status.css", "alternate": "feed.xml"}
    else:
        # Self-contained: no scripts, stylesheets, images or fonts fetched from elsewhere.
        assert "link" not in names
        assert_only_dark_mode_styles(page)


NEUTRAL_BACKGROUNDS = {"#ffffff", "#f2f2f2", "#f5f5f5", "#121212", "#1c1c1c"}


def status_colours(html: str) -> set[str]:
    """Inline colours (email), or the status page's bar class (status.css colours it)."""
    found = re.findall(r"background-color:\s*(#[0-9a-fA-F]{6})", html)
    found += re.findall(r'class="bar (bar-[a-z]+)"', html)
    return {colour.lower() for colour in found} - NEUTRAL_BACKGROUNDS


@pytest.mark.parametrize("name", HTML)
@pytest.mark.parametrize("language", LANGUAGES)
def test_status_colour_follows_severity(language: str, name: str) -> None:
    colours = []
    for severity in ("minor", "major", "critical"):
        _, out = render_all(language, incident_for(language, "identified", severity=severity))
        colours.append(status_colours(out[name]))
    _, out = render_all(language, incident_for(language, "resolved"))
    colours.append(status_colours(out[name]))
    assert all(len(found) == 1 for found in colours), colours
    assert len(set.union(*colours)) == 4, "one colour per severity, another once resolved"


# Lengths: the shipped examples fit their channels.


@needs_measure
@pytest.mark.parametrize("next_update", [None, timedelta(hours=20)], ids=["today", "tomorrow"])
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_example_sms_fits_three_segments(
    language: str, status: str, next_update: timedelta | None
) -> None:
    from broadcast.content.measure import sms_measure

    changes = {"next_update": next_update} if next_update else {}
    _, out = render_all(language, incident_for(language, status, **changes))
    measure = sms_measure(out["sms.txt.j2"])
    assert measure.segments <= 3, (measure, out["sms.txt.j2"])


@needs_measure
@pytest.mark.parametrize("next_update", [None, timedelta(hours=20)], ids=["today", "tomorrow"])
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_example_tweet_fits_280(language: str, status: str, next_update: timedelta | None) -> None:
    from broadcast.content.measure import tweet_weighted_length

    changes = {"next_update": next_update} if next_update else {}
    _, out = render_all(language, incident_for(language, status, **changes))
    if status in OPEN_STATUSES:
        assert tweet_weighted_length(out["tweet.txt.j2"]) <= 280, out["tweet.txt.j2"]
        return
    from broadcast.content.thread import split_thread

    # Once over, the post adds the compensation and the feedback link to a headline still
    # written for the crisis: at most a thread of two, the end said in the first.
    thread = split_thread(out["tweet.txt.j2"], 280)
    assert len(thread) <= 2, thread
    assert thread[0].startswith(WORDING[language]["ended"][status]), thread


@needs_measure
@pytest.mark.parametrize("language", LANGUAGES)
def test_sms_wording_stays_in_the_gsm_alphabet(language: str) -> None:
    """The template's own words never force UCS-2 (which cuts a segment from 153 to 67)."""
    from broadcast.content.measure import sms_measure

    for status in STATUSES:
        incident = incident_for(language, status, headline="Panne", title="Panne")
        _, out = render_all(language, incident, organisation="Org")
        assert sms_measure(out["sms.txt.j2"]).non_gsm == (), out["sms.txt.j2"]
