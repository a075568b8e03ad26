"""The status site as people know status pages (Atlassian Statuspage, githubstatus.com).

One verdict for the whole site at the top of the index, said by the worst incident in progress;
every update's full text in the timeline, not only its headline; times with their zone and how
long ago, said when the page is written (``BROADCAST_NOW``) beside a ``<time datetime>``; past
incidents under a heading per day; the ways to follow listed (Atom, CAP, and the hook a server
fills); on paper, no address printed twice and no heading left without its content.

The site is made by the real CLI (``tests/test_web_surfaces.py``'s ``status_site``: the French
outage through its life, then the English storm) and read in Chromium under the strict CSP;
the index's rules are also checked on hand-made histories, for the states the CLI run does not
reach.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from broadcast.channels.base import DeliveryContext, Target
from broadcast.channels.status_site import index_page, subscribe_options, verdict_kind
from broadcast.channels.status_words import WORDS
from broadcast.channels.web_banner import WebBannerAdapter
from broadcast.input.config import WebBannerChannel
from tests.browser import StaticServer
from tests.conftest import at
from tests.test_channel_web_banner import message
from tests.test_correction import cancel
from tests.test_web_surfaces import (  # status_site, axe_available: fixtures this module uses
    DESKTOP,
    PANNE,
    PHONE,
    STORM,
    VIEWPORTS,
    Checked,
    axe_available,  # noqa: F401
    open_page,
    status_site,  # noqa: F401
)
from tests.world import World

pytest_plugins = ["tests.browser"]


def open_status(
    browser: Browser, site: StaticServer, viewport: dict[str, int], name: str, **options: Any
) -> Checked:
    """The status site's page ``name`` (``index``, an incident's id) in a fresh browser
    context, once the network is idle."""
    checked = open_page(browser, viewport, **options)
    checked.page.goto(f"{site.url}/status/{name}.html", wait_until="networkidle")
    return checked


@pytest.mark.usefixtures("axe_available")
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("screen", VIEWPORTS)
def test_the_index_opens_on_one_verdict(
    browser: Browser,
    status_site: StaticServer,  # noqa: F811 (the fixture imported above)
    screen: str,
    scheme: str,
) -> None:
    checked = open_status(browser, status_site, VIEWPORTS[screen], "index", color_scheme=scheme)
    page = checked.page
    verdict = page.locator("section.verdict")
    # The storm is critical and in progress: the site is in a major outage, said first.
    expect(verdict).to_have_class("verdict verdict-critical")
    expect(verdict.locator(".verdict-words")).to_have_text("Perturbation majeure")
    expect(verdict.locator(".verdict-facts")).to_contain_text("1 incident en cours")
    # As of the publication, with its zone; a machine-readable time beside it.
    as_of = verdict.locator("time")
    expect(as_of).to_have_attribute("datetime", "2026-12-05T07:00:00+00:00")
    expect(as_of).to_contain_text("GMT")
    assert page.evaluate(
        "document.querySelector('h1').nextElementSibling.classList.contains('verdict')"
    ), "the verdict comes first, under the page's title"
    assert verdict.locator("svg").count() == 1  # a shape, not only a colour
    colour = verdict.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(164, 22, 26)"
    assert checked.overflow() == 0
    assert checked.axe() == []
    assert not checked.violations() and not checked.errors
    page.context.close()


def test_every_update_is_in_the_timeline_whole_with_its_zone_and_how_long_ago(
    browser: Browser,
    status_site: StaticServer,  # noqa: F811 (the fixture imported above)
) -> None:
    page = open_status(browser, status_site, PHONE, PANNE).page
    entries = page.locator("ol.timeline > li")
    expect(entries).to_have_count(4)
    texts = entries.all_inner_texts()
    # Published at 13:00 Paris time (NOW + 200 min): each update says how long before.
    agos = entries.locator(".ago").all_inner_texts()
    assert agos == [
        "(à l'instant)",
        "(il y a 49 min)",
        "(il y a 2 h 50 min)",
        "(il y a 3 h 20 min)",
    ]
    for entry in range(4):
        time = entries.nth(entry).locator("time")
        assert re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+01:00", time.get_attribute("datetime")
        )
        expect(time).to_contain_text("CET")
    # The updates' own words, not only their headlines: what happens and what is done.
    assert "Depuis 8h10 ce matin" in texts[0] and "Nos techniciens sont sur place" in texts[0]
    assert "Depuis 8h10 ce matin" in texts[2] and "Nos techniciens sont sur place" in texts[3]
    # A reminder said nothing new: its headline only.
    assert "Rappel" in texts[1] and "Depuis 8h10" not in texts[1]
    page.context.close()


def test_past_incidents_are_grouped_by_day_on_the_site(
    browser: Browser,
    status_site: StaticServer,  # noqa: F811 (the fixture imported above)
) -> None:
    page = open_status(browser, status_site, DESKTOP, "index").page
    day = page.locator("main h3")
    expect(day).to_have_count(1)
    expect(day.locator("time")).to_have_attribute("datetime", "2026-11-22")
    expect(day).to_have_text("dimanche 22 novembre 2026")
    # The outage is listed under its day, with how long before the page it was last updated.
    listed = page.locator("main h3 + ul.incidents > li")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Coupure de courant")
    expect(listed.locator(".ago")).to_have_text("(il y a 12 j)")
    current = page.locator("main h2 + ul.incidents > li").first
    expect(current.locator(".ago")).to_have_text("(just now)")  # in the storm's own language
    page.context.close()


def test_the_ways_to_follow_are_listed_and_not_printed(
    browser: Browser,
    status_site: StaticServer,  # noqa: F811 (the fixture imported above)
) -> None:
    page = open_page(browser, DESKTOP).page
    for name in ("index", STORM):
        page.goto(f"{status_site.url}/status/{name}.html", wait_until="networkidle")
        follow = page.locator("section.follow")
        expect(follow.locator("h2")).to_be_visible()
        expect(follow.locator("a[href='feed.xml']")).to_have_attribute(
            "type", "application/atom+xml"
        )
        page.emulate_media(media="print")
        # On paper: the section goes with its heading; no heading is left empty.
        expect(follow).to_be_hidden()
        empty = page.evaluate(
            """() => [...document.querySelectorAll('h1, h2, h3')].filter(h => {
                if (!h.checkVisibility()) return false;
                let next = h.nextElementSibling;
                while (next && !next.checkVisibility()) next = next.nextElementSibling;
                // Empty: nothing after it, or a heading of its level or above (a day's h3
                // under "Incidents récents" is its content).
                return !next || (/^H[1-3]$/.test(next.tagName) && next.tagName <= h.tagName);
            }).map(h => h.textContent)"""
        )
        assert empty == [], name
        # A link whose text is its address is not followed by that address again.
        twice = page.evaluate(
            """() => [...document.querySelectorAll('a[href^="http"]')].filter(a => {
                const after = getComputedStyle(a, '::after').content;
                return after.includes(a.getAttribute('href')) && a.textContent.includes(
                    a.getAttribute('href'));
            }).length"""
        )
        assert twice == 0, name
        page.emulate_media(media="screen")
    # The storm's page links its address as its text: on paper it shows once.
    page.goto(f"{status_site.url}/status/{STORM}.html", wait_until="networkidle")
    assert page.locator("a.url[href^='https://status.example.com']").count() == 1
    page.context.close()


# The index's rules on hand-made histories (the states the CLI run does not reach).

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def newest_first(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``history`` as the adapter keeps it: the latest update first."""
    return sorted(history, key=lambda e: e["updated_at"], reverse=True)


def entry(incident: str, status: str, severity: str, minutes: int, **more: Any) -> dict[str, Any]:
    moment = (T0 + timedelta(minutes=minutes)).isoformat()
    return {
        "id": incident,
        "status": status,
        "severity": severity,
        "title": f"Title of {incident}",
        "headline": f"Headline of {incident}",
        "updated_at": moment,
        "started_at": T0.isoformat(),
        "ended_at": moment if status in ("resolved", "cancelled") else None,
        "language": "en",
        "locale": "en_GB",
        "timezone": "Europe/London",
        "organisation": "Dale Valley Water",
        **more,
    }


@pytest.mark.parametrize(
    ("states", "kind", "words"),
    [
        ([], "operational", "All systems operational"),
        ([("monitoring", "critical")], "monitoring", "Fix in place, under watch"),
        ([("monitoring", "critical"), ("investigating", "minor")], "minor", "Minor disruption"),
        ([("identified", "major"), ("investigating", "minor")], "major", "Partial outage"),
        ([("investigating", "critical"), ("identified", "major")], "critical", "Major outage"),
    ],
)
def test_the_verdict_is_the_worst_incident_in_progress(
    states: list[tuple[str, str]], kind: str, words: str
) -> None:
    history = newest_first(
        [entry(f"past-{n}", "resolved", "critical", n) for n in range(2)]
        + [
            entry(f"now-{n}", status, severity, 60 + n)
            for n, (status, severity) in enumerate(states)
        ]
    )
    active = [e for e in history if e["status"] not in ("resolved", "cancelled")]
    assert verdict_kind(active) == kind
    page = index_page(history, history, "en")
    assert f'<section class="verdict verdict-{kind}"' in page
    assert f"<strong>{words}</strong>" in page


def test_a_drill_verdict_says_it_is_one() -> None:
    history = [entry("drill", "investigating", "critical", 0, exercise=True)]
    page = index_page(history, history, "fr")
    assert "<strong>EXERCICE \u2013 Perturbation majeure</strong>" in page


def test_past_incidents_on_two_days_are_under_two_headings_newest_first() -> None:
    history = newest_first(
        [
            entry("late-evening", "resolved", "minor", 60 * 15 + 58),  # 22 Nov, 23:58 in London
            entry("next-day", "resolved", "major", 60 * 16 + 30),  # 23 Nov, 00:30
            entry("same-day", "cancelled", "minor", 30),  # 22 Nov
        ]
    )
    page = index_page(history, history, "en")
    days = re.findall(r'<h3><time datetime="([\d-]+)">([^<]+)</time></h3>', page)
    assert days == [
        ("2026-11-23", "Monday, 23 November 2026"),
        ("2026-11-22", "Sunday, 22 November 2026"),
    ]
    first, second = page.split("<h3>")[1:3]
    assert "next-day" in first and "late-evening" not in first
    assert "late-evening" in second and "same-day" in second


def test_the_ways_to_follow_take_cap_and_what_a_server_adds() -> None:
    words = WORDS["en"]
    plain = [entry("a", "investigating", "minor", 0)]
    assert [href for _, href, _ in subscribe_options(plain, words)] == ["feed.xml"]
    hooked = [
        entry(
            "a",
            "investigating",
            "minor",
            0,
            cap_feed="../cap/alerts.atom",
            subscribe=[{"label": "Get the updates by email", "href": "/subscribe"}],
        )
    ]
    options = subscribe_options(hooked, words)
    assert [href for _, href, _ in options] == ["feed.xml", "../cap/alerts.atom", "/subscribe"]
    page = index_page(hooked, hooked, "en")
    assert '<a href="../cap/alerts.atom" type="application/atom+xml">Alerts in CAP' in page
    assert '<a href="/subscribe">Get the updates by email</a>' in page


@pytest.fixture
def published(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "status"


def test_the_full_text_reaches_the_history_and_the_feed_still_parses(published: Path) -> None:
    """What the adapter keeps of each update: its full text, for every later page."""
    import json
    import xml.etree.ElementTree as ET

    channel = WebBannerChannel(type="web_banner", output_dir=str(published))
    adapter = WebBannerAdapter("site", channel, {}, DeliveryContext(published.parent, T0))
    outgoing = message(summary="Water is off in Millbrook.", actions="Tankers are on the way.")
    adapter.deliver(outgoing, Target(address=str(published)))
    [kept] = json.loads((published / "history.json").read_text(encoding="utf-8"))
    assert (kept["summary"], kept["actions"]) == (
        "Water is off in Millbrook.",
        "Tankers are on the way.",
    )
    ET.parse(published / "feed.xml")


def test_the_correction_page_says_how_long_ago_each_update_went_out(world: World) -> None:
    """The page that replaces a wrong message keeps the timeline's times, zones and ages; the
    wrong updates keep their headline alone (struck through), never their full wrong text."""
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "banner")
    assert code == 0, doc
    cancel(world)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "banner", env=at(20))
    assert code == 0, doc
    page = (world.folder / "public" / "status" / f"{PANNE}.html").read_text(encoding="utf-8")
    assert re.findall(r'<span class="ago">\(([^)]*)\)</span>', page) == [
        "à l&#39;instant",
        "il y a 20 min",
    ]
    assert page.count(" CET</time>") >= 2
    assert "Depuis 8h10 ce matin" not in page.split('<ol class="timeline">')[1]
