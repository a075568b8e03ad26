"""Every shipped incident, in every status and language, worded for a crisis.

The 16 shipped incidents (two examples, 14 sector starters, each with its sector's templates)
are rendered as a tired comms officer would send them: the same headline, only the status
flipped. Once resolved or cancelled, the end and its time come first on every channel, with the
compensation and the feedback link; while it lasts, the way in for people without internet
comes right after the headline; X carries the incident's own apology; once the expected end
has passed, reminders say the repair takes longer without repeating the time; and times are
written one way per language.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from broadcast.content.measure import sms_measure
from broadcast.content.render import Renderer, RenderFailure
from broadcast.content.typography import plain
from broadcast.input.incident import Incident, load_incident

REPO = Path(__file__).resolve().parent.parent
SECTORS = REPO / "broadcast" / "sectors"
SHIPPED = sorted((REPO / "examples").glob("*.yaml")) + sorted(SECTORS.glob("*/*-??.yaml"))
STATUSES = ("investigating", "identified", "monitoring", "resolved")
# A cancelled incident is a correction, with its own correction_* templates (their tests).
ENDED = ("resolved",)
FEEDBACK = "https://example.com/avis/survey"
MAX_SEGMENTS = 3
CHANNELS = {
    "sms": ("sms.txt.j2", "sms"),
    "tweet": ("tweet.txt.j2", "twitter"),
    "banner": ("banner.txt.j2", "web_banner"),
    "subject": ("email_subject.txt.j2", "email"),
    "email": ("email.txt.j2", "email"),
    "voice": ("voice.txt.j2", "voice"),
    "script": ("agent_script.md.j2", "web_banner"),
    "facebook": ("facebook.txt.j2", "facebook"),
    "apprise": ("apprise.txt.j2", "apprise"),
    "cap_headline": ("cap_headline.txt.j2", "cap"),
    "cap_description": ("cap_description.txt.j2", "cap"),
}
# A cancelled incident (a false alarm, a wrong message) is said by the correction_* templates;
# CAP has none: its Cancel says it with the usual cap_* ones.
CORRECTIONS = {
    "sms": ("correction_sms.txt.j2", "sms"),
    "tweet": ("correction_tweet.txt.j2", "twitter"),
    "banner": ("correction_banner.txt.j2", "web_banner"),
    "subject": ("correction_email_subject.txt.j2", "email"),
    "email": ("correction_email.txt.j2", "email"),
    "email_html": ("correction_email.html.j2", "email"),
    "status": ("correction_status.html.j2", "web_banner"),
    "voice": ("correction_voice.txt.j2", "voice"),
    "script": ("correction_agent_script.md.j2", "web_banner"),
    "facebook": ("correction_facebook.txt.j2", "facebook"),
    "apprise": ("correction_apprise.txt.j2", "apprise"),
    "cap_headline": ("cap_headline.txt.j2", "cap"),
    "cap_description": ("cap_description.txt.j2", "cap"),
}
CORRECTION = "Notre message était erroné : il n'y a pas de panne. Vous n'avez rien à faire."
REMINDERS = {
    "sms": ("reminder_sms.txt.j2", "sms"),
    "tweet": ("reminder_tweet.txt.j2", "twitter"),
    "banner": ("reminder_banner.txt.j2", "web_banner"),
    "email": ("reminder_email.txt.j2", "email"),
    "voice": ("reminder_voice.txt.j2", "voice"),
}


def organisation_of(path: Path) -> str:
    config = path.parent / "channels.yaml"
    if not config.is_file():
        config = REPO / "channels.yaml"
    return str(yaml.safe_load(config.read_text(encoding="utf-8"))["organisation"])


def templates_of(path: Path) -> Path | None:
    folder = path.parent / "templates"
    return folder if folder.is_dir() else None


def cases() -> list[Any]:
    out = []
    for path in SHIPPED:
        incident, _ = load_incident(path)
        for language in (incident.language, *incident.translations):
            out.append(pytest.param(path, language, id=f"{path.stem}-{language}"))
    return out


def render(
    path: Path,
    language: str,
    status: str,
    now: datetime | None = None,
    reminder: bool = False,
    limit: int | None = MAX_SEGMENTS,
) -> tuple[Renderer, Incident, dict[str, str]]:
    incident, _ = load_incident(path)
    changes: dict[str, Any] = {"status": status}
    if status in ENDED:
        changes["feedback_url"] = FEEDBACK
    if status == "cancelled":
        changes["correction"] = CORRECTION
    incident = incident.model_copy(update=changes)
    worded, fell_back = incident.in_language(language)
    assert not fell_back
    locale = (
        incident.locale
        if language == incident.language
        else f"{language}_" + ("GB" if language == "en" else "FR")
    )
    moment = now or incident.started_at + timedelta(minutes=90)
    renderer = Renderer(worded, moment, organisation_of(path), templates_of(path), locale)
    out = {}
    templates = CORRECTIONS if status == "cancelled" else REMINDERS if reminder else CHANNELS
    for name, (template, channel_type) in templates.items():
        context = renderer.context(f"test-{name}", channel_type)
        if reminder:
            context.update(reminder=True)
        if channel_type == "sms":
            context["max_segments"] = limit
        text = renderer.render(template, context)
        assert not isinstance(text, RenderFailure), text
        # French no-break spaces (content/typography.py) read as spaces: these are about words.
        out[name] = plain(text)
    return renderer, worded, out


@pytest.mark.parametrize("status", ENDED)
@pytest.mark.parametrize(("path", "language"), cases())
def test_the_end_is_said_first_with_its_time(path: Path, language: str, status: str) -> None:
    renderer, incident, out = render(path, language, status)
    ended_at = renderer.context("x", "sms")["ended_at"]
    said = renderer.text_env.filters["at"](ended_at)
    organisation = organisation_of(path)
    after_name = out["sms"].split(organisation, 1)[1]
    assert said in after_name[:40], out["sms"]
    for name in ("tweet", "banner", "subject", "email", "facebook", "apprise", "cap_headline"):
        assert said in out[name][:40], (name, out[name])
    assert said in out["cap_description"].split("\n", 1)[0], out["cap_description"]
    spoken = renderer.text_env.filters["spoken_time"](ended_at)
    assert out["voice"].index(spoken) < out["voice"].index(
        renderer.text_env.filters["spoken"](incident.headline)[:20]
    )
    # Nothing more is promised once it is over.
    for name in ("sms", "tweet", "banner"):
        assert not re.search(r"\bPoint (?:à|le)\b|More news (?:at|on)\b", out[name]), out[name]


@pytest.mark.parametrize(("path", "language"), cases())
def test_a_correction_says_it_is_cancelled_first_with_its_time(path: Path, language: str) -> None:
    renderer, incident, out = render(path, language, "cancelled")
    ended_at = renderer.context("x", "sms")["ended_at"]
    said = renderer.text_env.filters["at"](ended_at)
    organisation = organisation_of(path)
    assert said in out["sms"].split(organisation, 1)[1][:40], out["sms"]
    for name in ("tweet", "banner", "subject", "email", "facebook", "apprise", "cap_headline"):
        assert said in out[name][:40], (name, out[name])
        # Then what was wrong and what to do now.
        assert out[name].index(said) < out[name].find(CORRECTION) or name in (
            "subject",
            "email",
            "cap_headline",
        )
    assert said in out["cap_description"].split("\n", 1)[0], out["cap_description"]
    for name in ("email_html", "status"):
        # In the bar above the title.
        above_the_title = out[name].split("<body", 1)[1].split("<h1", 1)[0]
        assert said in above_the_title, (name, above_the_title)
    spoken = renderer.text_env.filters["spoken_time"](ended_at)
    spoken_correction = renderer.text_env.filters["spoken"](CORRECTION)
    assert out["voice"].index(spoken) < out["voice"].index(spoken_correction), out["voice"]
    first_section = out["script"].split("\n## ")[1]
    assert first_section.index(said) < first_section.index(incident.correction), first_section


@pytest.mark.parametrize("status", ENDED)
@pytest.mark.parametrize(("path", "language"), cases())
def test_compensation_and_feedback_reach_every_channel_with_a_link(
    path: Path, language: str, status: str
) -> None:
    _, incident, out = render(path, language, status)
    assert sms_measure(out["sms"]).segments <= MAX_SEGMENTS, out["sms"]
    for name in ("tweet", "banner", "email", "script"):
        assert FEEDBACK in out[name], name
        if incident.compensation:
            assert incident.compensation in out[name], name
    # The SMS drops pieces in the documented order only when it must.
    _, _, whole = render(path, language, status, limit=None)
    for piece in (FEEDBACK, incident.compensation):
        if piece and piece not in out["sms"]:
            assert sms_measure(whole["sms"]).segments > MAX_SEGMENTS, whole["sms"]
    assert FEEDBACK in out["sms"] or incident.compensation in out["sms"], out["sms"]


@pytest.mark.parametrize("status", STATUSES[:3])
@pytest.mark.parametrize(("path", "language"), cases())
def test_people_without_internet_hear_the_way_in_first(
    path: Path, language: str, status: str
) -> None:
    renderer, incident, out = render(path, language, status)
    offline = incident.offline
    assert offline, "every shipped incident says how to get news without internet"
    # Right after the headline: before the next update, the apology and the link.
    assert f"{incident.headline} {offline}" in out["sms"], out["sms"]
    assert f"{incident.headline} {offline}" in out["banner"], out["banner"]
    spoken = renderer.text_env.filters["spoken"]
    assert f"{spoken(incident.headline)}\n{spoken(offline)}" in out["voice"], out["voice"]
    # In the script's first section, "say this first", right after the headline.
    first_section = out["script"].split("\n## ")[1]
    assert offline in first_section, first_section
    assert sms_measure(out["sms"]).segments <= MAX_SEGMENTS, out["sms"]


@pytest.mark.parametrize(("path", "language"), cases())
def test_the_incidents_own_apology_on_x_and_a_short_one_by_sms(path: Path, language: str) -> None:
    renderer, incident, out = render(path, language, "identified")
    context = renderer.context("x", "twitter")
    assert incident.apology
    own = context["apology_short"] or incident.apology
    assert own in out["tweet"], out["tweet"]
    stock = (
        "Toutes nos excuses pour ces difficultés.",
        "We are sorry for the trouble this causes.",
    )
    assert not any(phrase in out["tweet"] for phrase in stock), out["tweet"]
    short = context["apology_short"]
    if incident.severity != "minor" and short and short not in out["sms"]:
        _, _, whole = render(path, language, "identified", limit=None)
        assert sms_measure(whole["sms"]).segments > MAX_SEGMENTS


@pytest.mark.parametrize(("path", "language"), cases())
def test_reminders_after_the_expected_end_do_not_repeat_it(path: Path, language: str) -> None:
    incident, _ = load_incident(path)
    eta = incident.eta or incident.started_at + timedelta(hours=3)
    incident_with_eta = incident.model_copy(update={"eta": eta})
    late = eta + timedelta(minutes=105)
    renderer, worded, _ = render(path, language, "identified", now=late, reminder=True)
    renderer = Renderer(
        incident_with_eta.in_language(language)[0],
        late,
        organisation_of(path),
        templates_of(path),
        renderer.locale,
    )
    eta_time = renderer.text_env.filters["time"](eta)
    for name, (template, channel_type) in REMINDERS.items():
        context = renderer.context(f"test-{name}", channel_type)
        context.update(reminder=True)
        text = renderer.render(template, context)
        assert not isinstance(text, RenderFailure), text
        assert context["eta_passed"]
        assert eta_time not in text, (name, text)
        assert worded.headline not in text, (name, text)
        assert worded.title in text, (name, text)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize(("path", "language"), cases())
def test_times_are_written_one_way_per_language(path: Path, language: str, status: str) -> None:
    _, _, out = render(path, language, status)
    for name, text in out.items():
        if name == "script":
            continue  # the script quotes the FAQ as written
        if language == "fr":
            # "11h40", never "11:40" (only a web address may hold a colon and digits).
            without_links = re.sub(r"https?://\S+", "", text)
            assert not re.search(r"\b\d{1,2}:\d{2}\b", without_links), (name, text)
        else:
            # en_GB: 24-hour, never "2 pm" beside "14:00".
            assert not re.search(r"\b\d{1,2}(?::\d{2})? ?(?:am|pm|AM|PM)\b", text), (name, text)


@pytest.mark.parametrize(("path", "language"), cases())
def test_the_status_phrase_never_says_au_courant(path: Path, language: str) -> None:
    """A power cut under investigation is not "au courant" (in the know, or with power)."""
    for status in STATUSES:
        _, _, out = render(path, language, status)
        for text in out.values():
            assert "au courant" not in text


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_flagship_sms_fits_one_segment_when_asked(language: str) -> None:
    """The essentials (the headline, the offline way, the next update) in 160 characters:
    with max_segments: 1 the apology and the link go, in the documented order."""
    path = REPO / "examples" / "panne-nord.yaml"
    _, incident, out = render(path, language, "investigating", limit=1)
    measure = sms_measure(out["sms"])
    assert measure.segments == 1, (measure, out["sms"])
    assert incident.headline in out["sms"] and incident.offline in out["sms"]
    assert re.search(r"Point à 11h40\.|More news at 11:40\.", out["sms"]), out["sms"]
