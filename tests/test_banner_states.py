"""The banner in every state, in Chromium: the host page never moves, on a phone it stays small.

Each state of ``tests.web_states`` (one incident, three, restored, correction, exercise, the
time windows ended, ``banner.json`` missing or unreadable, a visitor who dismissed everything,
the fragment included alongside the script) is opened on a realistic host page under
``Content-Security-Policy: default-src 'self'``, ``banner.json`` answered 0.5 s late, at 1280
and 390 px. Over the first 3 s the layout shifts (a buffered ``layout-shift`` observer) add up
to less than 0.05, and so on the visitor's next page once they dismissed it; no CSP violation,
no script error, no serious axe finding, no sideways scroll. The rule behind it: the room kept
for the banner follows what the published files say (banner.css, written with banner.json) and
the visitor's clock and dismissals, read before the first paint; afterwards only the visitor's
own action changes the banner's height.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from broadcast.channels.banner_layout import banner_reservation, text_lines
from tests.banner_visit import open_state, return_view, served
from tests.host_site import (  # axe_available: a fixture this module uses
    DESKTOP,
    GOOD_CLS,
    PHONE,
    axe_available,  # noqa: F401
)
from tests.test_channel_web_banner import T0, message
from tests.web_states import (
    BY_NAME,
    DARK_HEADER,
    FEEDBACK,
    STATES,
    SiteServer,
    State,
    make_site,
    publish,
    publish_fr,
    three_incidents,
)

PHONE_MOST = 100  # px: one banner, or several collapsed, at 390 px wide
SCREENS = {"phone": PHONE, "desktop": DESKTOP}


def relative_luminance(rgb: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(x) for x in re.findall(r"\d+", rgb)[:3])
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(one: str, other: str) -> float:
    lighter, darker = sorted(map(relative_luminance, (one, other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


# Every state, both screens: the page does not move, the banner says what it must.


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("state", STATES, ids=lambda s: s.name)
@pytest.mark.usefixtures("axe_available")
def test_every_state_keeps_the_host_page_still(browser: Browser, state: State, screen: str) -> None:
    with served(state) as server:
        visit = open_state(browser, server, state, SCREENS[screen], "light")
        page = visit.page
        assert visit.cls < GOOD_CLS, (state.name, visit.shifts)
        banners = visit.banners()
        if state.messages:
            expect(banners).to_have_count(1)  # one banner: several messages share one strip
            keys = (banners.get_attribute("data-keys") or "").split()
            assert len(keys) == state.messages
            said = banners.inner_text()
            for words in state.says:
                assert words in said, (words, said)
            height = visit.slot_height()
            assert height > 0
            if screen == "phone":
                assert height <= PHONE_MOST, height
            # What was kept is what the banner takes: nothing stretches, nothing overflows.
            assert banners.evaluate("e => e.getBoundingClientRect().height") == height
            assert page.locator(".broadcast-banner__dismiss").count() == 1
        else:
            expect(banners).to_have_count(0)
            assert visit.slot_height() == 0
            # Nothing shown: the site's header is at the very top, no empty coloured block.
            assert page.locator(".site-header").evaluate("e => e.getBoundingClientRect().top") == 0
        assert visit.overflow() == 0
        assert not visit.csp and not visit.errors, (visit.csp, visit.errors)
        assert visit.axe() == []
        if state.messages:
            # The visitor dismisses it; on their next page nothing shows, no room is kept.
            page.locator(".broadcast-banner__dismiss").click()
            expect(banners).to_have_count(0)
            again = return_view(visit, f"{server.url}/{state.page}")
            assert again.cls < GOOD_CLS, (state.name, again.shifts)
            expect(banners).to_have_count(0)
            assert again.slot_height() == 0 and not again.errors and not again.csp
        page.context.close()


def test_a_slow_banner_json_fills_the_room_kept_from_the_first_paint(browser: Browser) -> None:
    """Before banner.json answers, the room is there in the banner's colour; then it fills it."""
    state = BY_NAME["three"]
    with served(state) as server:
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        page.clock.set_fixed_time(state.clock)
        page.goto(server.url, wait_until="load")
        kept = page.evaluate(
            "(() => { const s = document.getElementById('broadcast-banner');"
            " return [s.getBoundingClientRect().height, getComputedStyle(s).backgroundColor,"
            " s.querySelectorAll('[data-broadcast-banner]').length] })()"
        )
        # The fetch is still waiting (0.5 s): the room is kept, red for the critical incident.
        assert kept[0] > 0 and kept[1] == "rgb(164, 22, 26)" and kept[2] == 0
        expect(page.locator("[data-broadcast-banner]")).to_have_count(1)
        assert page.locator("#broadcast-banner").evaluate(
            "e => e.getBoundingClientRect().height"
        ) == pytest.approx(kept[0])
        context.close()


@pytest.mark.parametrize("name", ["missing-json", "invalid-json"])
def test_an_unreadable_banner_json_fills_the_room_with_the_way_to_the_status_site(
    browser: Browser, name: str
) -> None:
    """banner.css kept room for a message banner.json cannot give: the room is not left empty,
    nor taken back (the page would jump); it leads to the status site, which has the facts."""
    state = BY_NAME[name]
    with served(state) as server:
        visit = open_state(browser, server, state, PHONE, "light")
        banner = visit.banners()
        expect(banner.locator("p")).to_have_text("Informations sur nos services")
        expect(banner.get_by_role("link", name="En savoir plus")).to_have_attribute(
            "href", f"{server.url}/status/index.html"
        )
        banner.get_by_role("button", name="Masquer ce message").click()
        expect(banner).to_have_count(0)
        assert visit.slot_height() == 0
        visit.page.context.close()


# Several incidents: one strip that opens; a dismissal gives the room back to the page.


def test_several_incidents_are_one_strip_that_opens_and_a_dismissal_gives_the_room_back(
    browser: Browser,
) -> None:
    state = BY_NAME["three"]
    with served(state) as server:
        visit = open_state(browser, server, state, PHONE, "light")
        page = visit.page
        strip = visit.banners()
        summary = strip.locator("summary")
        expect(summary).to_contain_text("3 messages")
        items = strip.locator("li.broadcast-banner__item")
        expect(items.first).to_be_hidden()
        closed = visit.slot_height()

        summary.click()  # the visitor opens it: the only way it grows
        expect(items).to_have_count(3)
        expect(items.nth(0)).to_be_visible()
        assert [items.nth(i).get_attribute("class") for i in range(3)] == [
            "broadcast-banner__item broadcast-banner--critical",
            "broadcast-banner__item broadcast-banner--major",
            "broadcast-banner__item broadcast-banner--minor",
        ]
        # Each message in full, with its own link.
        expect(items.nth(1)).to_contain_text("Prochaine mise à jour : 11:40.")
        assert items.locator("a.broadcast-banner__more").count() == 3
        assert visit.slot_height() > closed
        summary.click()
        assert visit.slot_height() == closed

        page.get_by_role("button", name="Masquer ces messages").click()
        expect(strip).to_have_count(0)
        assert visit.slot_height() == 0
        assert page.evaluate("document.activeElement.id") == "broadcast-banner"
        header_top = page.locator(".site-header").evaluate("e => e.getBoundingClientRect().top")
        assert header_top == 0
        # The shifts the visitor caused are theirs (hadRecentInput); none other happened.
        assert sum(page.evaluate("window.__shifts")) < GOOD_CLS
        page.context.close()


def test_a_return_view_after_a_new_incident_keeps_room_for_the_new_one_only(
    browser: Browser, tmp_path: Path
) -> None:
    """Dismissed before, a new incident since: banner.css lists both, the visitor's dismissal
    hides one before the first paint; the room kept is the new one's, nothing moves."""
    state = BY_NAME["one"]
    folder = make_site(tmp_path / "www")
    state.setup(folder)
    with SiteServer(folder.parent) as server:
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        page.clock.set_fixed_time(state.clock)
        page.goto(server.url, wait_until="load")
        page.get_by_role("button", name="Masquer ce message").click()
        publish_fr(
            folder,
            T0 + timedelta(minutes=20),
            "Numéro d'urgence indisponible.",
            text="Notre numéro d'urgence ne répond plus.",
            id="urgence",
            severity="critical",
        )
        kept = context.storage_state()  # the visitor's localStorage: what they dismissed
        context.close()
        visit = open_state(browser, server, state, PHONE, "light", storage=kept)
        banner = visit.banners()
        expect(banner).to_have_count(1)
        assert (banner.get_attribute("data-keys") or "").startswith("urgence@")
        assert len((banner.get_attribute("data-keys") or "").split()) == 1
        assert visit.cls < GOOD_CLS, visit.shifts
        visit.page.context.close()


# Fragment and script together: one banner, the fragment's place taken over.


def test_the_fragment_and_the_script_together_show_one_banner(browser: Browser) -> None:
    state = BY_NAME["fragment"]
    with served(state) as server:
        fragment = (server.root / "status" / "banner.html").read_text(encoding="utf-8")
        assert fragment.count("data-broadcast-banner") == 1
        assert fragment.count("<li ") == 3 and fragment.count("<svg") == 4
        visit = open_state(browser, server, state, PHONE, "light")
        page = visit.page
        expect(page.locator(".broadcast-banner")).to_have_count(1)
        expect(page.locator("summary")).to_have_count(1)
        expect(page.locator("li.broadcast-banner__item")).to_have_count(3)
        assert (
            page.get_by_text("Notre numéro d'urgence ne répond plus.").count() == 2
        )  # strip, list
        assert visit.cls < GOOD_CLS
        # The script took the fragment over: its dismiss works, and is remembered.
        page.get_by_role("button", name="Masquer ces messages").click()
        expect(page.locator("[data-broadcast-banner]")).to_have_count(0)
        page.reload(wait_until="load")
        page.wait_for_timeout(800)
        expect(page.locator("[data-broadcast-banner]")).to_be_hidden()
        assert visit.slot_height() == 0
        page.context.close()


def test_the_fragment_alone_has_icon_and_correction_and_no_dead_button(
    browser: Browser, tmp_path: Path
) -> None:
    """A site without JavaScript: the fragment is the banner, the correction in it."""
    state = BY_NAME["fragment-correction"]
    with served(state) as server:
        included = server.root / "included.html"
        html = included.read_text(encoding="utf-8")
        (server.root / "static.html").write_text(
            html.replace('<script src="/status/banner.js"></script>', ""), encoding="utf-8"
        )
        context = browser.new_context(viewport=PHONE, java_script_enabled=False)
        page = context.new_page()
        page.goto(f"{server.url}/static.html", wait_until="load")
        banner = page.locator("[data-broadcast-banner]")
        expect(banner).to_have_count(1)
        expect(banner).to_contain_text("RECTIFICATIF")
        assert "broadcast-banner--corrected" in (banner.get_attribute("class") or "")
        assert banner.locator("svg.broadcast-banner__icon").count() == 1
        # A button that would do nothing without the script is not shown (its place kept).
        expect(banner.locator("button")).to_be_hidden()
        assert 0 < banner.evaluate("e => e.getBoundingClientRect().height") <= PHONE_MOST
        context.close()


# Cues beyond colour and words.


def test_an_exercise_has_a_look_of_its_own(browser: Browser) -> None:
    looks = {}
    for name in ("exercise", "one"):
        state = BY_NAME[name]
        with served(state) as server:
            visit = open_state(browser, server, state, PHONE, "light")
            banner = visit.banners()
            looks[name] = banner.evaluate(
                "e => [getComputedStyle(e).backgroundImage, getComputedStyle(e).backgroundColor]"
            )
            if name == "exercise":
                drill = banner.locator(".broadcast-banner__drill")
                expect(drill).to_have_text("EXERCICE")
                style = drill.evaluate(
                    "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]"
                )
                assert style == ["rgb(253, 230, 138)", "rgb(17, 17, 17)"]
                said = banner.locator("p").inner_text()
                assert said.startswith("EXERCICE") and said.count("EXERCICE") == 1
            visit.page.context.close()
    assert "repeating-linear-gradient" in looks["exercise"][0]
    assert looks["one"][0] == "none"
    assert looks["exercise"][1] != looks["one"][1]


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("name", ["correction", "exercise", "three", "restored"])
@pytest.mark.usefixtures("axe_available")
def test_dark_mode_on_a_dark_site(browser: Browser, name: str, screen: str) -> None:
    state = BY_NAME[name]
    with served(state) as server:
        visit = open_state(browser, server, state, SCREENS[screen], "dark")
        page = visit.page
        header = page.locator(".site-header").evaluate("e => getComputedStyle(e).backgroundColor")
        assert header == DARK_HEADER
        assert visit.cls < GOOD_CLS and visit.overflow() == 0
        assert not visit.csp and not visit.errors
        assert visit.axe() == []
        if name == "correction":
            # Rules drawn inside the banner set it apart from the dark header below it.
            shadow = visit.banners().evaluate("e => getComputedStyle(e).boxShadow")
            rules = re.findall(r"rgb\(\d+, \d+, \d+\)", shadow)
            assert rules and all(contrast(rule, header) >= 3 for rule in rules), shadow
        page.context.close()


def test_the_feedback_address_is_a_link_that_breaks_after_a_slash(browser: Browser) -> None:
    state = BY_NAME["restored"]
    with served(state) as server:
        visit = open_state(browser, server, state, PHONE, "light")
        link = visit.banners().locator("a.broadcast-banner__url")
        expect(link).to_have_attribute("href", FEEDBACK)
        expect(link).to_have_text("energie-nord.fr/avis/\u2026")
        assert link.locator("wbr").count() >= 2
        assert link.evaluate("e => getComputedStyle(e).overflowWrap") == "normal"
        # Each line of the link ends where a break is allowed: after "." or "/".
        lines = link.evaluate(
            "e => { const r = document.createRange(); const out = []; let top = null;"
            " for (const node of e.childNodes) { if (node.nodeType !== 3) continue;"
            "  r.selectNodeContents(node); const rects = r.getClientRects();"
            "  if (rects.length !== 1) return ['split: ' + node.data];"
            "  out.push([Math.round(rects[0].top), node.data]); } return out; }"
        )
        assert all(isinstance(line, list) for line in lines), lines
        assert visit.overflow() == 0
        visit.page.context.close()


# The files: what banner.css says, before any script runs.


def facts_of(folder: Path) -> str:
    css = (folder / "banner.css").read_text(encoding="utf-8").split("Written at publication")[1]
    found = re.search(r'--broadcast-banner-items: "([^"]*)"', css)
    assert found, css
    return found.group(1)


def test_banner_css_says_what_banner_json_holds(tmp_path: Path) -> None:
    folder = make_site(tmp_path)
    three_incidents(folder)
    banner = json.loads((folder / "banner.json").read_text(encoding="utf-8"))
    facts = [fact.split(" ") for fact in facts_of(folder).split(";")]
    assert [f[0] for f in facts] == [
        f"{i['id']}@{i['updated_at']}@{i['state']}" for i in banner["incidents"]
    ]
    assert [f[1:] for f in facts] == [["-", "critical"], ["-", "major"], ["-", "minor"]]

    # Resolved, then past its window on the publisher's clock: nothing said, nothing kept.
    publish(folder, message(T0 + timedelta(days=1), "Done.", status="resolved", resolved=True))
    for incident in ("urgence", "espace-client"):
        publish(
            folder,
            message(T0 + timedelta(days=2), "Done.", id=incident, status="resolved", resolved=True),
            restored_minutes=0,
        )
    assert json.loads((folder / "banner.json").read_text())["incidents"] == []
    assert facts_of(folder) == ""


def test_a_time_limited_message_says_until_when(tmp_path: Path) -> None:
    folder = make_site(tmp_path)
    BY_NAME["correction"].setup(folder)
    ((key, until, kind),) = [fact.split(" ") for fact in facts_of(folder).split(";")]
    assert key.endswith("@corrected") and kind == "corrected"
    assert until == (T0 + timedelta(hours=25)).isoformat()


def test_lines_are_capped_so_that_a_phone_keeps_its_page() -> None:
    long = {
        "id": "x",
        "updated_at": T0.isoformat(),
        "state": "active",
        "severity": "major",
        "label": "Perturbation importante\u00a0: ",
        "headline": "mot " * 200,
        "words": {"more": "En savoir plus", "several": "{n} messages"},
    }
    css = banner_reservation({"incidents": [long]})
    lines = [int(n) for n in re.findall(r"--broadcast-banner-lines: (\d+)", css)]
    assert lines == [3, 3, 3, 3, 2, 2, 2]
    assert text_lines({**long, "headline": "Court."}, 24) == 2  # the label, then the text
    assert text_lines({**long, "label": "", "headline": "Court."}, 24) == 1


def test_a_hostile_text_in_banner_css_stays_a_string(tmp_path: Path) -> None:
    evil = 'x"; } body { display: none } :root { --y: "'
    css = banner_reservation(
        {
            "incidents": [
                {
                    "id": evil,
                    "updated_at": T0.isoformat(),
                    "state": "active",
                    "severity": "major",
                    "label": "",
                    "headline": "h",
                    "language": "fr",
                    "words": {"more": "m", "several": "{n}"},
                }
            ]
        }
    )
    # One string, from its opening quote to its closing one: the quote inside is escaped.
    found = re.search(r'--broadcast-banner-items: "((?:[^"\\]|\\[0-9a-f]+ )*)";', css)
    assert found and "body { display: none }" in found.group(1)
    assert "\\22 " in found.group(1)


def test_the_fragment_carries_corrections_not_the_short_restored_state(tmp_path: Path) -> None:
    folder = make_site(tmp_path / "corrected")
    BY_NAME["correction"].setup(folder)
    fragment = (folder / "banner.html").read_text(encoding="utf-8")
    assert fragment.count("data-broadcast-banner") == 1
    assert "broadcast-banner--corrected" in fragment and "RECTIFICATIF" in fragment
    assert '<svg class="broadcast-banner__icon"' in fragment
    assert 'aria-label="Masquer ce message"' in fragment and "style=" not in fragment

    folder = make_site(tmp_path / "restored")
    BY_NAME["restored"].setup(folder)
    # Nothing would end "restored" on a page without banner.js: not in the fragment.
    assert "<div" not in (folder / "banner.html").read_text(encoding="utf-8")
    # The feedback address is a link there too, breaking after its slashes and dots.
    folder = make_site(tmp_path / "link")
    publish_fr(folder, T0, "Coupure.", text=f"Coupure. Votre avis : {FEEDBACK}")
    fragment = (folder / "banner.html").read_text(encoding="utf-8")
    assert f'<a class="broadcast-banner__url" href="{FEEDBACK.replace("&", "&amp;")}">' in fragment
    assert "energie-nord.<wbr>fr/<wbr>avis/<wbr>\u2026</a>" in fragment


def test_every_picture_of_the_banner_in_the_docs_is_made_by_the_screenshot_script() -> None:
    from tests.screenshots import OUT, SHOTS

    docs = (Path(__file__).resolve().parent.parent / "docs").rglob("*.md")
    shown = {
        name for page in docs for name in re.findall(r"img/(banner-[\w-]+\.png)", page.read_text())
    }
    made = {shot.file for shot in SHOTS}
    assert shown and shown <= made, shown - made
    assert all(BY_NAME.get(shot.state) for shot in SHOTS)
    assert {p.name for p in OUT.glob("banner-*.png")} == made  # none kept by hand
