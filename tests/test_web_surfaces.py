"""The web surfaces on a real site, in Chromium: banner, status pages, under a strict CSP.

A realistic host page (its own stylesheet, a header, navigation, an image, a long article)
serves the banner from ``/status/``, as the snippet of docs/channels/web-banner.md says.
Every page is served with ``Content-Security-Policy: default-src 'self'`` and checked for
layout shift (a ``PerformanceObserver`` of ``layout-shift``), CSP violations, axe-core's serious
and critical violations (and any colour-contrast failure), and horizontal overflow on a phone.

Set ``BROADCAST_SCREENSHOTS`` to a folder to keep the screenshots (the status pages' in docs/
come from here; the banner's states from ``python -m tests.screenshots``).
"""

from __future__ import annotations

import os
import shutil
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from broadcast.channels.base import DeliveryContext, Target
from broadcast.channels.web_banner import WebBannerAdapter
from broadcast.input.config import WebBannerChannel
from tests.browser import TIMEOUT_MS, StaticServer
from tests.conftest import NOW
from tests.host_site import (  # axe_available: a fixture, shared with the modules importing it
    CSP,
    DESKTOP,
    GOOD_CLS,
    OBSERVERS,
    PHONE,
    axe,
    axe_available,  # noqa: F401
    banners,
    host_page,
    overflow,
    write_host,
)
from tests.test_channel_web_banner import T0, message
from tests.world import World, edit

REPO = Path(__file__).resolve().parent.parent
ATOM = "{http://www.w3.org/2005/Atom}"
XML = "{http://www.w3.org/XML/1998/namespace}"
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


class Checked:
    """A page with its console and what the observers saw."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        page.on("console", lambda m: m.type in ("error", "warning") and self.console.append(m.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.add_init_script(OBSERVERS)

    def cls(self) -> float:
        return float(self.page.evaluate("window.__shifts.reduce((a, b) => a + b, 0)"))

    def violations(self) -> list[str]:
        found = list(self.page.evaluate("window.__csp"))
        return found + [m for m in self.console if "Content Security Policy" in m]

    def overflow(self) -> int:
        """How many pixels the page is wider than the window (0: no horizontal scroll)."""
        return overflow(self.page)

    def axe(self) -> list[str]:
        """axe-core's serious and critical violations, and any colour-contrast one."""
        return axe(self.page)

    def shot(self, tmp_path: Path, name: str, full_page: bool = False) -> None:
        self.page.screenshot(path=tmp_path / f"{name}.png", full_page=full_page)
        kept = os.environ.get("BROADCAST_SCREENSHOTS")
        if kept:
            Path(kept).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=Path(kept) / f"{name}.png", full_page=full_page)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[StaticServer]:
    """The company's site, served under the strict CSP, its status folder in /status/."""
    root = tmp_path / "www"
    (root / "status").mkdir(parents=True)
    write_host(root)
    with StaticServer(root, headers={"Content-Security-Policy": CSP}) as server:
        yield server


def open_page(browser: Browser, viewport: dict[str, int], **options: Any) -> Checked:
    context = browser.new_context(viewport=viewport, **options)
    context.set_default_timeout(TIMEOUT_MS)  # a loaded machine is slow, never wrong
    return Checked(context.new_page())


def publish(site: StaticServer, outgoing: Any, **config: Any) -> None:
    folder = site.root / "status"
    channel = WebBannerChannel(type="web_banner", output_dir=str(folder), **config)
    adapter = WebBannerAdapter("site", channel, {}, DeliveryContext(folder, T0))
    adapter.deliver(outgoing, Target(address=str(folder)))


def two_incidents(site: StaticServer) -> None:
    """A major outage, then a critical one: the critical one must come first."""
    publish(
        site,
        message(
            T0,
            "Coupure de courant à Lille.",
            text="Coupure de courant à Lille et Roubaix. Prochaine mise à jour : 11:40.",
            id="panne-nord",
            locale="fr",
        ),
    )
    publish(
        site,
        message(
            T0 + timedelta(minutes=20),
            "Numéro d'urgence indisponible.",
            text="Notre numéro d'urgence ne répond plus. Appelez le 03 20 00 00 00.",
            id="urgence",
            severity="critical",
            title="Numéro d'urgence",
            locale="fr",
        ),
    )


def wait_until(page: Page, expression: str, timeout: float = TIMEOUT_MS / 1000) -> None:
    """Poll ``expression`` in the page until it is true.

    Not ``page.wait_for_function``: Playwright evaluates its predicate with ``eval`` inside the
    page, which the strict CSP these pages are served with refuses. ``page.evaluate`` goes
    through the DevTools protocol, which the CSP does not govern.
    """
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(50)


def hold_until_painted(page: Page, url: str) -> list[Route]:
    """Open ``url``, answering ``banner.json`` only once the page has been painted.

    As on a real network, where the banner's fetch answers after the first paint: a banner
    drawn before it would move nothing, and prove nothing.
    """
    held: list[Route] = []
    page.route("**/banner.json", lambda route: held.append(route))
    page.goto(url, wait_until="load")
    wait_until(
        page,
        "performance.getEntriesByType('paint').some(p => p.name === 'first-contentful-paint')",
    )
    wait_until(page, "document.fonts.status === 'loaded'")
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    for route in held:
        route.continue_()
    page.unroute("**/banner.json")
    return held


# The banner.


@pytest.mark.parametrize("screen", VIEWPORTS)
@pytest.mark.usefixtures("axe_available")
def test_banner_does_not_move_the_page(
    browser: Browser, site: StaticServer, tmp_path: Path, screen: str
) -> None:
    two_incidents(site)
    checked = open_page(browser, VIEWPORTS[screen])
    page = checked.page
    held = hold_until_painted(page, site.url)
    # Two incidents: one strip, the critical one first, that opens on the other.
    expect(banners(page)).to_have_count(1)
    assert held, "banner.json was answered only after the page was painted"

    assert checked.cls() < GOOD_CLS, checked.page.evaluate("window.__shifts")
    strip = banners(page)
    summary = strip.locator("summary")
    expect(summary).to_contain_text("Perturbation grave")
    expect(summary).to_contain_text("Notre numéro d'urgence ne répond plus.")
    expect(summary).to_contain_text("2 messages")
    expect(strip).to_have_attribute("role", "alert")
    items = strip.locator("li")
    assert items.evaluate_all("es => es.map(e => e.className)") == [
        "broadcast-banner__item broadcast-banner--critical",
        "broadcast-banner__item broadcast-banner--major",
    ]
    assert strip.locator("svg").count() == 3  # the strip's, and each message's
    assert checked.overflow() == 0
    assert not checked.violations() and not checked.errors
    assert checked.axe() == []
    checked.shot(tmp_path, f"banner-{screen}")
    if screen == "desktop":
        # One line where the text allows it.
        lines = summary.locator("p").evaluate(
            "p => p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight)"
        )
        assert round(lines) == 1
    page.context.close()


# The status site, made by the real CLI: a French incident through its life, then an English one.

STORM_AT = "2026-12-05T07:00:00+00:00"


def send_banner(world: World, incident: str, minutes: int | None = None, at: str = "") -> str:
    when = at or (NOW + timedelta(minutes=minutes or 0)).isoformat()
    code, doc = world.run_json(
        "send", incident, "--yes", "--channel", "banner", env={"BROADCAST_NOW": when}
    )
    assert code == 0, doc
    return str(doc["action"])


@pytest.fixture
def status_site(world: World) -> Iterator[StaticServer]:
    assert send_banner(world, "incident.yaml") == "new"
    edit(world, "status: investigating", "status: identified")
    assert send_banner(world, "incident.yaml", 30) == "new"
    assert send_banner(world, "incident.yaml", 151) == "reminder"
    edit(world, "status: identified", "status: resolved")
    # Resolved says so in a new headline (an unchanged one is refused).
    edit(world, "Rétablissement prévu vers 14h.", "Le courant est revenu partout.")
    edit(world, "We are restoring it; back around 14:00.", "Power is back everywhere.")
    assert send_banner(world, "incident.yaml", 200) == "new"
    shutil.copyfile(REPO / "examples" / "storm-en.yaml", world.folder / "storm.yaml")
    assert send_banner(world, "storm.yaml", at=STORM_AT) == "new"

    root = world.folder / "public"
    write_host(root)
    with StaticServer(root, headers={"Content-Security-Policy": CSP}) as server:
        yield server


PANNE = "panne-nord-2026-11-22"
STORM = "storm-ada-water-2026-12-05"
BAR = {"resolved": "rgb(22, 101, 52)", "critical": "rgb(164, 22, 26)"}


@pytest.mark.usefixtures("axe_available")
def test_the_status_site(browser: Browser, status_site: StaticServer, tmp_path: Path) -> None:
    url = f"{status_site.url}/status"
    checked = open_page(browser, PHONE)
    page = checked.page

    # The index: the English storm in progress, the French outage among the recent ones.
    page.goto(f"{url}/index.html")
    sections = page.locator("main")
    expect(sections.locator("ul.incidents").nth(0)).to_contain_text("Storm Ada")
    assert page.locator(".exercise, .exercise-tag").count() == 0  # real incidents only
    expect(sections.locator("ul.incidents").nth(1)).to_contain_text("Coupure de courant")
    assert page.locator("ul.incidents li[lang=fr]").count() == 1
    assert page.locator("link[rel=alternate][type='application/atom+xml']").count() == 1

    # The French page of a resolved incident: end, duration, its timeline, ways to follow.
    page.goto(f"{url}/{PANNE}.html")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Fin de l'incident")
    expect(facts).to_contain_text("22 novembre 2026 à 13")
    expect(facts).to_contain_text("Durée")
    expect(facts).to_contain_text("4 heures 50 minutes")  # 8h10 to 13h, not rounded
    entries = page.locator("ol.timeline > li")
    expect(entries).to_have_count(4)
    expect(entries.nth(0)).to_contain_text("Résolu")
    expect(entries.nth(1)).to_have_class("reminder")
    expect(entries.nth(1)).to_contain_text("Rappel")
    expect(entries.nth(2)).to_contain_text("Cause identifiée")
    assert (
        entries.nth(1).locator("strong").inner_text()
        != entries.nth(2).locator("strong").inner_text()
    )
    expect(page.get_by_role("link", name="Flux des mises à jour (Atom)")).to_have_attribute(
        "href", "feed.xml"
    )
    expect(page.get_by_role("link", name="Tous les incidents")).to_have_attribute(
        "href", "index.html"
    )
    assert page.locator("link[rel=alternate][href='feed.xml']").count() == 1

    # Styled by status.css under the strict CSP: nothing inline was needed.
    bar = page.locator("header.bar").evaluate("e => getComputedStyle(e).backgroundColor")
    assert bar == BAR["resolved"]
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(242, 242, 242)"

    # The English page: its own language.
    page.goto(f"{url}/{STORM}.html")
    expect(page.locator("html")).to_have_attribute("lang", "en-GB")
    assert (
        page.locator("header.bar").evaluate("e => getComputedStyle(e).backgroundColor")
        == (BAR["critical"])
    )

    # Print: no navigation or subscription links on paper, and the FAQ's answers shown.
    answer = page.locator("details p").first
    expect(answer).to_be_hidden()
    page.emulate_media(media="print")
    expect(page.locator("ul.subscribe")).to_be_hidden()
    expect(answer).to_be_visible()
    page.emulate_media(media="screen")
    page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("screen", VIEWPORTS)
@pytest.mark.usefixtures("axe_available")
def test_every_status_page_is_clean_under_the_strict_csp(
    browser: Browser,
    status_site: StaticServer,
    tmp_path: Path,
    screen: str,
    scheme: str,
) -> None:
    checked = open_page(browser, VIEWPORTS[screen], color_scheme=scheme)
    page = checked.page
    for name in ("index", PANNE, STORM):
        page.goto(f"{status_site.url}/status/{name}.html", wait_until="networkidle")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == ("rgb(18, 18, 18)" if scheme == "dark" else "rgb(242, 242, 242)")
        assert checked.overflow() == 0, name
        assert checked.axe() == [], name
        if name != "index" and scheme == "light":
            checked.shot(tmp_path, f"status-{name.split('-')[0]}-{screen}", full_page=True)
    assert not checked.violations() and not checked.errors
    page.context.close()


def test_feed_of_the_status_site(status_site: StaticServer) -> None:
    feed = ET.parse(status_site.root / "status" / "feed.xml").getroot()
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 5
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert titles[0] == "Cause found · No tap water in Millbrook and Eastfield after Storm Ada"
    assert titles[1].startswith("Résolu · ") and titles[2].startswith("Rappel · Cause identifiée")
    # Each entry's content is its update's full text (XHTML), each its own.
    contents = [" ".join("".join(e.find(f"{ATOM}content").itertext()).split()) for e in entries]  # type: ignore[union-attr]
    assert len(set(contents)) == 5 and all(contents), "each update has its own text"
    # The feed speaks the site's language (here the oldest incident's: no site_locale), not
    # the newest update's; an entry in another language says its own.
    assert feed.get(f"{XML}lang") == "fr"
    assert [e.get(f"{XML}lang") for e in entries] == ["en", None, None, None, None]
    assert all(e.findtext(f"{ATOM}published") for e in entries)
    assert feed.find(f"{ATOM}link[@rel='self']") is not None


@pytest.mark.usefixtures("axe_available")
def test_host_page_shows_the_banner_of_the_storm(
    browser: Browser, status_site: StaticServer, tmp_path: Path
) -> None:
    for screen, viewport in VIEWPORTS.items():
        checked = open_page(browser, viewport)
        hold_until_painted(checked.page, status_site.url)
        expect(banners(checked.page)).to_have_count(1)
        expect(banners(checked.page)).to_contain_text("Serious disruption: ")
        expect(banners(checked.page)).to_contain_text("Storm Ada")
        assert checked.cls() < GOOD_CLS
        assert not checked.violations() and checked.axe() == []
        checked.shot(tmp_path, f"host-{screen}")
        checked.page.context.close()


def test_keyboard_focus_and_dismiss(browser: Browser, site: StaticServer) -> None:
    two_incidents(site)
    checked = open_page(browser, DESKTOP)
    page = checked.page
    page.goto(site.url)
    expect(banners(page)).to_have_count(1)

    page.keyboard.press("Tab")  # the strip's summary, which opens it
    expect(banners(page).locator("summary")).to_be_focused()
    page.keyboard.press("Tab")  # its dismiss button
    button = banners(page).locator("button")
    expect(button).to_be_focused()
    ring = button.evaluate(
        "b => { const s = getComputedStyle(b);"
        " return [s.outlineStyle, s.outlineWidth, s.boxShadow] }"
    )
    assert ring[0] == "solid" and ring[1] == "3px" and ring[2] != "none"

    page.keyboard.press("Enter")
    expect(banners(page)).to_have_count(0)
    # Focus goes to where the banner was, not back to the top of the page.
    assert page.evaluate("document.activeElement.id") == "broadcast-banner"
    # Both stay dismissed on the next page, which keeps no room for them.
    page.reload(wait_until="networkidle")
    expect(banners(page)).to_have_count(0)
    assert page.locator("#broadcast-banner").evaluate("e => e.offsetHeight") == 0
    assert not checked.errors
    page.context.close()


@pytest.mark.parametrize("motion", ["reduce", "no-preference"])
def test_reduced_motion_is_respected(browser: Browser, site: StaticServer, motion: str) -> None:
    two_incidents(site)
    checked = open_page(browser, PHONE, reduced_motion=motion)
    checked.page.goto(site.url)
    expect(banners(checked.page)).to_have_count(1)
    animation = (
        banners(checked.page)
        .locator("summary p")
        .evaluate("p => getComputedStyle(p).animationName")
    )
    assert (animation == "none") == (motion == "reduce")
    checked.page.context.close()


def test_restored_state_then_nothing(browser: Browser, site: StaticServer) -> None:
    publish(site, message(T0, "Power cut in Lille.", locale="fr"))
    resolved = T0 + timedelta(hours=3)
    publish(
        site,
        message(
            resolved,
            "Power is back.",
            text="Le courant est revenu. Merci.",
            status="resolved",
            resolved=True,
            locale="fr",
        ),
        restored_minutes=30,
    )
    for minutes, shown in ((10, 1), (31, 0)):
        checked = open_page(browser, PHONE)
        checked.page.clock.set_fixed_time(resolved + timedelta(minutes=minutes))
        checked.page.goto(site.url, wait_until="networkidle")
        expect(banners(checked.page)).to_have_count(shown)
        if shown:
            banner = banners(checked.page)
            expect(banner).to_contain_text("Service rétabli\u00a0: Le courant est revenu.")
            colour = banner.evaluate("e => getComputedStyle(e).backgroundColor")
            assert colour == "rgb(22, 101, 52)"
        else:
            height = checked.page.locator("#broadcast-banner").evaluate("e => e.offsetHeight")
            assert height == 0
        checked.page.context.close()


# The email, as the SMTP server received it, opened in Chromium.


@pytest.mark.usefixtures("axe_available")
def test_email_greets_by_name_with_a_footer_and_reads_on_a_phone(
    browser: Browser, world: World, tmp_path: Path
) -> None:
    config = world.folder / "channels.yaml"
    text = config.read_text(encoding="utf-8")
    text = text.replace(
        "organisation: Énergie Nord\n", "organisation: Énergie Nord\ncontact: 09 69 32 15 15\n"
    )
    text = text.replace(
        "    reply_to: service.client@example.com\n",
        "    reply_to: service.client@example.com\n"
        "    list_unsubscribe: https://www.example.com/alertes/desabonnement\n",
    )
    config.write_text(text, encoding="utf-8")
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "email")
    assert code == 0, doc
    received = {r.recipients[0]: r.message for r in world.smtp.received}

    def part(address: str, kind: str) -> str:
        body = received[address].get_body((kind,))
        return body.get_content().replace("\r\n", "\n")

    assert "\nBonjour Camille,\n" in part("camille.martin@example.com", "plain")
    assert ">Bonjour Camille,</p>" in part("camille.martin@example.com", "html")
    assert ">Bonjour Karim,</p>" in part("karim.benali@example.org", "html")
    assert "\nHello Emma,\n" in part("emma.wilson@example.co.uk", "plain")
    plain = part("camille.martin@example.com", "plain")
    assert "Pour nous joindre\u00a0: 09 69 32 15 15" in plain  # French typography
    assert "https://www.example.com/alertes/desabonnement" in plain

    page_file = tmp_path / "email.html"
    page_file.write_text(part("camille.martin@example.com", "html"), encoding="utf-8")
    for width, scheme in ((600, "light"), (375, "light"), (375, "dark")):
        checked = open_page(browser, {"width": width, "height": 800}, color_scheme=scheme)
        page = checked.page
        page.goto(page_file.as_uri())
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        # The preheader: the first text of the body, for the inbox, not shown in the message.
        preheader = page.locator("body > div").first
        expect(preheader).to_be_hidden()
        assert page.evaluate("document.body.firstElementChild.textContent").startswith(
            "Coupure de courant"
        )
        footer = page.locator(".em-foot")
        expect(footer).to_contain_text("Vous recevez ce message parce que")
        expect(footer.get_by_role("link", name="se désabonner")).to_have_attribute(
            "href", "https://www.example.com/alertes/desabonnement"
        )
        card = page.locator(".em-card").evaluate("e => getComputedStyle(e).backgroundColor")
        assert card == ("rgb(28, 28, 28)" if scheme == "dark" else "rgb(255, 255, 255)")
        assert checked.overflow() == 0
        assert checked.axe() == []
        if scheme == "light":
            checked.shot(tmp_path, f"email-{width}", full_page=True)
        page.context.close()


def test_status_page_links_the_cap_feed_only_when_a_cap_channel_exists(world: World) -> None:
    page = world.folder / "public" / "status" / f"{PANNE}.html"
    assert send_banner(world, "incident.yaml") == "new"
    assert "alerts.atom" not in page.read_text(encoding="utf-8")

    config = world.folder / "channels.yaml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + "  cap:\n    type: cap\n    output_dir: public/cap\n    sender: alertes@example.com\n",
        encoding="utf-8",
    )
    edit(world, "status: investigating", "status: identified")
    assert send_banner(world, "incident.yaml", 30) == "new"
    html = page.read_text(encoding="utf-8")
    assert '<a href="../cap/alerts.atom" type="application/atom+xml">' in html


@pytest.mark.usefixtures("axe_available")
def test_the_static_fragment_included_server_side_is_styled_under_the_csp(
    browser: Browser, site: StaticServer
) -> None:
    two_incidents(site)
    fragment = (site.root / "status" / "banner.html").read_text(encoding="utf-8")
    # A site without JavaScript: the fragment pasted into the slot, no banner.js.
    (site.root / "static.html").write_text(host_page(fragment, script=False), encoding="utf-8")
    checked = open_page(browser, PHONE)
    checked.page.goto(f"{site.url}/static.html", wait_until="networkidle")
    expect(checked.page.locator(".broadcast-banner")).to_have_count(1)
    items = checked.page.locator(".broadcast-banner__item")
    expect(items).to_have_count(2)
    colours = items.evaluate_all("es => es.map(e => getComputedStyle(e).backgroundColor)")
    assert colours == ["rgb(164, 22, 26)", "rgb(161, 74, 0)"]
    assert checked.overflow() == 0 and checked.cls() < GOOD_CLS
    assert not checked.violations() and checked.axe() == []
    checked.page.context.close()


# An exercise on the status site: a drill nobody can take for the real thing, in words.


@pytest.mark.usefixtures("axe_available")
def test_an_exercise_is_marked_in_words_on_the_index_its_page_and_the_banner(
    browser: Browser, world: World, tmp_path: Path
) -> None:
    config = world.folder / "channels.yaml"
    text = config.read_text(encoding="utf-8")
    assert "    output_dir: public/status\n" in text
    config.write_text(
        text.replace(
            "    output_dir: public/status\n",
            "    output_dir: public/status\n    exercise: {output_dir: drill/status}\n",
        ),
        encoding="utf-8",
    )
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--exercise", "--channel", "banner"
    )
    assert code == 0, doc
    root = world.folder / "drill"
    write_host(root)
    feed = ET.parse(root / "status" / "feed.xml").getroot()
    assert feed.findtext(f"{ATOM}entry/{ATOM}title").startswith("EXERCICE \u2013 Incident en cours")

    with StaticServer(root, headers={"Content-Security-Policy": CSP}) as server:
        checked = open_page(browser, PHONE)
        page = checked.page
        # The index: a notice first, and the incident tagged, both in words.
        page.goto(f"{server.url}/status/index.html", wait_until="networkidle")
        assert page.title().startswith("EXERCICE \u2013 ")
        notice = page.locator("body > p.exercise")
        expect(notice).to_have_text(
            "EXERCICE \u2013 les incidents marqués EXERCICE sont des exercices, "
            "pas des incidents réels."
        )
        item = page.locator("ul.incidents li.incident-exercise")
        expect(item).to_have_count(1)
        expect(item.locator(".exercise-tag")).to_have_text("EXERCICE")
        assert notice.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 230, 138)"
        assert item.locator(".exercise-tag").evaluate(
            "e => getComputedStyle(e).borderTopStyle"
        ) == ("dashed")
        assert checked.overflow() == 0 and checked.axe() == []
        checked.shot(tmp_path, "status-exercise-phone", full_page=True)

        # The drill's own page opens with the notice, styled by status.css, nothing inline.
        page.goto(f"{server.url}/status/{PANNE}--exercise.html", wait_until="networkidle")
        assert page.title().startswith("EXERCICE \u2013 ")
        first = page.locator("body > *").first
        expect(first).to_have_class("exercise")
        expect(first).to_contain_text("EXERCICE \u2013 ce message est un exercice")
        assert first.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 230, 138)"
        assert first.get_attribute("style") is None
        assert checked.overflow() == 0 and checked.axe() == []
        assert not checked.violations() and not checked.errors
        page.context.close()

        # The banner on the host page says it first.
        checked = open_page(browser, DESKTOP)
        hold_until_painted(checked.page, server.url)
        expect(banners(checked.page)).to_have_count(1)
        said = banners(checked.page).locator("p").inner_text()
        assert said.startswith("EXERCICE \u2013 Perturbation importante\u00a0: Coupure"), said
        assert said.count("EXERCICE") == 1
        assert checked.cls() < GOOD_CLS
        assert not checked.violations() and checked.axe() == []
        checked.page.context.close()
    fragment = (root / "status" / "banner.html").read_text(encoding="utf-8")
    assert (
        '<span class="broadcast-banner__drill">EXERCICE</span>'
        '<span class="broadcast-banner__severity"> \u2013 Perturbation importante\u00a0: </span>'
        "Coupure"
    ) in fragment
