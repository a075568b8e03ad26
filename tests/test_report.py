"""The post-incident report, built from a real history: sends through the CLI to the local
Twilio, X and SMTP peers at pinned times, then the figures, the Markdown, the terminal view, the
HTML page and its SVG timeline, and what headless Chromium makes of that page.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, expect
from rich.console import Console

import broadcast.ledger.sqlite as ledger_module
from broadcast.content.typography import plain
from broadcast.input.incident import load_incident
from broadcast.ledger.sqlite import Ledger
from broadcast.report.evaluation import post_incident_report
from broadcast.report.html import STYLES, report_html
from broadcast.report.markdown import report_markdown
from broadcast.report.status import incident_status
from broadcast.report.svg import PROMISE_INK
from broadcast.terminal.report import show_report
from tests.browser import StaticServer
from tests.conftest import NOW
from tests.test_web_surfaces import (  # axe_available: a fixture this module uses
    CSP,
    REPO,
    STORM_AT,
    VIEWPORTS,
    Checked,
    axe_available,  # noqa: F401
    open_page,
)
from tests.world import PHONES, World

# The slow tier (tests/conftest.py): each test builds a history of sends first (a second or more).
pytestmark = pytest.mark.slow

SVG = "{http://www.w3.org/2000/svg}"
# Markup for a browser, for rich and for Markdown: every format must show it as text.
TITLE = (
    "Coupure <script>window.__pwned=2</script><img src=x onerror=window.__pwned=1>"
    " [bold]Nord[/bold] | *secteur*"
)
CHANNELS = ["banner", "sms", "email", "twitter"]


def minutes(n: float) -> datetime:
    return NOW + timedelta(minutes=n)


@dataclass
class LedgerClock:
    """The time the ledger stamps on deliveries.

    A run stamps them with its own clock (BROADCAST_NOW, moving with real time); this history
    has some runs deliver minutes after the moment they render for, so it sets the stamp.
    """

    moment: datetime = NOW


@pytest.fixture
def ledger_clock(monkeypatch: pytest.MonkeyPatch) -> LedgerClock:
    clock = LedgerClock()
    monkeypatch.setattr(
        ledger_module.Ledger, "_stamp", lambda self: ledger_module.now_text(clock.moment)
    )
    return clock


@dataclass
class History:
    world: World
    clock: LedgerClock

    def send(self, at: float, delivered: float | None = None, *channels: str) -> str:
        """``broadcast send`` run at NOW + ``at`` minutes, its messages taken at ``delivered``."""
        self.clock.moment = minutes(at if delivered is None else delivered)
        options = [arg for channel in channels for arg in ("--channel", channel)]
        code, doc = self.world.run_json(
            "send",
            "incident.yaml",
            "--yes",
            *options,
            env={"BROADCAST_NOW": minutes(at).isoformat()},
        )
        assert code in (0, 1), doc
        return str(doc["action"])

    def edit(self, old: str, new: str) -> None:
        path = self.world.folder / "incident.yaml"
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def report(self, at: float) -> dict[str, Any]:
        incident, _ = load_incident(self.world.folder / "incident.yaml")
        ledger = Ledger(self.world.folder / ".broadcast")
        try:
            return post_incident_report(ledger, incident, minutes(at))
        finally:
            ledger.close()

    def status(self, at: float) -> dict[str, Any]:
        incident, _ = load_incident(self.world.folder / "incident.yaml")
        ledger = Ledger(self.world.folder / ".broadcast")
        try:
            return incident_status(ledger, incident, minutes(at))
        finally:
            ledger.close()


@pytest.fixture
def history(world: World, ledger_clock: LedgerClock) -> History:
    return History(world, ledger_clock)


@pytest.fixture
def crisis(history: History) -> dict[str, Any]:
    """A whole crisis, reported at 19:40 Paris time (NOW is 09:40; the outage began at 08:10).

    #1 09:40 update: the banner goes out at 09:41, SMS, email and X at 09:44 (a second run);
       one phone number is invalid. Promises 11:40.
    #2 10:10 edit (identified), out at 10:11: promise kept. Promises 12:10.
    #3 12:10 reminder, nothing new, out at 12:10: kept. Promises 14:10.
    #4 14:35 late update (monitoring): 25 min late; one more number has unsubscribed.
    #5 16:20 resolved, before the 16:35 promise: kept, and no promise any more.
    """
    history.edit(
        "title: Coupure d'électricité dans le secteur Nord",
        "title: '" + TITLE.replace("'", "''") + "'",
    )
    history.world.twilio.mark_invalid(PHONES[2])
    assert history.send(0, 1, "banner") == "new"
    assert history.send(0, 4) == "continue"
    history.edit("status: investigating", "status: identified")
    assert history.send(30, 31) == "new"
    assert history.send(149) == "nothing"
    assert history.send(150) == "reminder"
    history.world.twilio.mark_unsubscribed(PHONES[3])
    history.edit("status: identified", "status: monitoring")
    history.edit("Rétablissement prévu vers 14h.", "Le courant revient, nous surveillons.")
    history.edit("We are restoring it; back around 14:00.", "Power is back; we are watching.")
    assert history.send(295) == "new"
    history.edit("status: monitoring", "status: resolved")
    history.edit("Le courant revient, nous surveillons.", "Le courant est revenu partout.")
    history.edit("Power is back; we are watching.", "Power is back everywhere.")
    assert history.send(400) == "new"
    return history.report(600)


# The figures.


def test_time_to_first_message_per_channel_and_overall(crisis: dict[str, Any]) -> None:
    assert crisis["started_at"] == "2026-11-22T08:10:00+01:00"
    speed = crisis["speed"]
    assert {c: d["after_seconds"] // 60 for c, d in speed["channels"].items()} == {
        "banner": 91,
        "sms": 94,
        "email": 94,
        "twitter": 94,
    }
    assert speed["channels"]["sms"] == {
        "first_sent_at": "2026-11-22T09:44:00+01:00",
        "after_seconds": 94 * 60,
        "version": 1,
    }
    assert speed["first_message"] == {
        "channel": "banner",
        "first_sent_at": "2026-11-22T09:41:00+01:00",
        "after_seconds": 91 * 60,
        "version": 1,
    }
    assert crisis["resolved_at"] == "2026-11-22T16:20:00+01:00"
    assert crisis["duration_seconds"] == (8 * 60 + 10) * 60


def test_every_version_with_its_time_kind_and_status(crisis: dict[str, Any]) -> None:
    versions = crisis["versions"]
    assert [(v["created_at"][11:16], v["kind"], v["status"]) for v in versions] == [
        ("09:40", "update", "investigating"),
        ("10:10", "update", "identified"),
        ("12:10", "reminder", "identified"),
        ("14:35", "update", "monitoring"),
        ("16:20", "update", "resolved"),
    ]
    first = versions[0]
    assert first["went_out_at"] == "2026-11-22T09:41:00+01:00"
    assert first["delivery"]["banner"]["at"] == "2026-11-22T09:41:00+01:00"
    assert first["delivery"]["sms"]["at"] == "2026-11-22T09:44:00+01:00"
    assert [v["next_update_at"] and v["next_update_at"][11:16] for v in versions] == [
        "11:40",
        "12:10",
        "14:10",
        "16:35",
        None,
    ]


def test_each_promise_is_kept_or_late_by_how_much(crisis: dict[str, Any]) -> None:
    promises = [
        (p["version"], p["outcome"], p["answered_by"], p["late_by_seconds"])
        for p in crisis["promises"]
    ]
    assert promises == [
        (1, "kept", 2, 0),
        (2, "kept", 3, 0),  # the reminder went out the minute the promise fell due
        (3, "late", 4, 25 * 60),
        (4, "kept", 5, 0),
        (5, "none", None, None),  # a resolved version promises nothing
    ]
    assert crisis["promises"][2]["answered_at"] == "2026-11-22T14:35:00+01:00"
    assert crisis["promises_summary"] == {
        "made": 4,
        "kept": 3,
        "late": 1,
        "pending": 0,
        "overdue": 0,
        "worst_late_seconds": 25 * 60,
    }


def test_delivery_per_channel_and_reason_over_all_versions_and_the_last(
    crisis: dict[str, Any],
) -> None:
    every = crisis["delivery"]["all_versions"]
    assert list(every) == CHANNELS
    assert {
        c: (n["sent"], n["failed"], n["uncertain"], n["pending"]) for c, n in every.items()
    } == {
        "banner": (5, 0, 0, 0),
        # The unsubscribed number fails once (#4); #5 does not ask it again.
        "sms": (3 + 3 + 3 + 2 + 2, 5 + 1, 0, 0),
        "email": (15, 0, 0, 0),
        "twitter": (5, 0, 0, 0),
    }
    assert every["sms"]["failed_by_reason"] == {"21211": 5, "21610": 1}
    assert every["sms"]["failed_permanent"] == 6
    assert every["sms"]["opted_out"] == 1
    last = crisis["delivery"]["last_version"]
    assert crisis["delivery"]["last_version_number"] == 5
    assert last["sms"]["failed_by_reason"] == {"21211": 1}
    assert last["sms"]["opted_out"] == 1
    assert {c: n["sent"] for c, n in last.items()} == {
        "banner": 1,
        "sms": 2,
        "email": 3,
        "twitter": 1,
    }


def test_reminders_and_their_share(crisis: dict[str, Any]) -> None:
    assert crisis["reminders"] == {"count": 1, "versions": 5, "share": 0.2}


def test_the_last_promise_is_pending_then_overdue_as_status_says(history: History) -> None:
    assert history.send(0) == "new"
    pending = history.report(60)["promises"]
    assert [(p["outcome"], p["late_by_seconds"]) for p in pending] == [("pending", 0)]
    overdue = history.report(150)
    assert [(p["outcome"], p["late_by_seconds"]) for p in overdue["promises"]] == [
        ("overdue", 30 * 60)
    ]
    assert overdue["promises_summary"]["overdue"] == 1
    assert history.status(150)["overdue_by_minutes"] == 30
    assert overdue["resolved_at"] is None
    assert "la dernière dépassée de 30 min" in report_markdown(overdue)


def test_a_report_before_anything_was_sent(history: History) -> None:
    empty = history.report(0)
    assert (empty["versions"], empty["channels"], empty["speed"]["first_message"]) == ([], [], None)
    assert empty["reminders"] == {"count": 0, "versions": 0, "share": 0.0}
    assert "Rien n'a encore été envoyé pour cet incident." in report_markdown(empty)
    assert "pas de chronologie" in report_html(empty)  # a French incident: a French page
    out = io.StringIO()
    show_report(empty, Console(file=out, width=100))
    assert "Rien n'a encore été envoyé" in out.getvalue()


# The formats.


def test_markdown_has_a_table_per_section_and_escapes_the_incident(
    crisis: dict[str, Any],
) -> None:
    text = report_markdown(crisis)
    # A French incident: a French report, in French typography (content/typography.py).
    assert text.startswith("# Bilan de l'incident\u00a0: ")
    text = plain(text)
    assert "\n`panne-nord-2026-11-22` · résolu · importante · bilan du " in text
    for heading in (
        "## Délai du premier message",
        "## Mises à jour",
        "## Mises à jour promises",
        "## Envois par canal, toutes versions",
        "## Envois par canal, dernière version (n°5)",
    ):
        assert f"\n{heading}\n\n| " in text
    assert "| **premier message (banner)** | **09:41** | **1 h 31 min** | **#1** |" in text
    assert "| 3 | 12:10 | 14:10 | n°4 à 14:35 | en retard de 25 min |" in text
    assert (
        "| sms | 13 | 6 | 21211 : 5, 21610 : 1, non envoyés, désinscrits auparavant : 1 | 0 | 0 |"
        in text
    )
    assert "- 1 rappel(s) sur 5 message(s) (20%)." in text
    assert "- 4 mise(s) à jour promise(s) : 3 tenue(s), 1 en retard (au pire de 25 min)." in text
    assert "Time to first message" not in text and "promised" not in text
    # The title is text: no HTML, no emphasis, and its "|" cannot break a table.
    heading = text.splitlines()[0]
    assert "<img" not in text and "<script" not in text
    assert "&lt;img src=x onerror=window.\\_\\_pwned=1&gt;" in heading
    assert "\\| \\*secteur\\*" in heading


def test_the_terminal_shows_the_same_tables_and_no_markup_from_the_incident(
    crisis: dict[str, Any],
) -> None:
    out = io.StringIO()
    show_report(crisis, Console(file=out, width=140, color_system=None))
    text = out.getvalue()
    assert TITLE in text  # rich markup in the title is shown, not applied
    assert text.startswith("Bilan de l'incident : ")
    for title in ("Délai du premier message", "Mises à jour promises", "dernière version (n°5)"):
        assert title in text
    assert "en retard de 25 min" in text
    assert "21211: 5, 21610: 1, non envoyés, désinscrits auparavant : 1" in text
    assert "1 rappel(s) sur 5 message(s) (20%)." in text
    assert "Time to first message" not in text and "late by" not in text


def test_the_terminal_view_imports_neither_pydantic_nor_babel() -> None:
    probe = (
        "import sys, broadcast.terminal.report\n"
        "print(sorted(m for m in ('pydantic', 'babel', 'jinja2', 'yaml') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


class PageOutline(HTMLParser):
    """What an HTML page holds: its lang, headings, tables and any way out of the file."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.headings: list[tuple[str, str]] = []
        self.tables = 0
        self.row_headers = 0
        self.scripts = 0
        self.links: list[str] = []
        self._heading: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag in ("h1", "h2", "h3"):
            self._heading, self._text = tag, ""
        self.tables += tag == "table"
        self.row_headers += tag == "th" and attributes.get("scope") == "row"
        self.scripts += tag == "script"
        self.links += [v or "" for k, v in attrs if k in ("src", "href") or k.startswith("on")]

    def handle_data(self, data: str) -> None:
        if self._heading:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == self._heading:
            self.headings.append((tag, self._text))
            self._heading = None


def timeline(page_html: str) -> ET.Element:
    start = page_html.index("<svg")
    return ET.fromstring(page_html[start : page_html.index("</svg>", start) + len("</svg>")])


def test_html_is_one_accessible_page_that_fetches_nothing(crisis: dict[str, Any]) -> None:
    page_html = plain(report_html(crisis))  # its French typography read as plain spaces
    outline = PageOutline()
    outline.feed(page_html)
    # In the incident's language.
    assert outline.lang == "fr"
    assert outline.headings[0] == ("h1", f"Bilan de l'incident : {TITLE}")
    assert [h for h in outline.headings if h[0] == "h2"] == [
        ("h2", "Constats"),
        ("h2", "Chronologie"),
        ("h2", "Délai du premier message"),
        ("h2", "Mises à jour"),
        ("h2", "Mises à jour promises"),
        ("h2", "Envois par canal, toutes versions"),
        ("h2", "Envois par canal, dernière version (n°5)"),
    ]
    assert outline.tables == 5
    assert outline.row_headers == 5 + 5 + 5 + 4 + 4
    # The hostile title is text everywhere: no script, no handler, nothing to load but the
    # stylesheet beside the page.
    assert (outline.scripts, outline.links) == (0, ["report.css"])
    assert "<style" not in page_html and " style=" not in page_html
    assert "url(" not in page_html and "@import" not in page_html
    assert "<h1>Bilan de l&#x27;incident : Coupure &lt;script&gt;" in page_html
    assert "1 mise(s) à jour promise(s)" not in page_html
    assert "4 mise(s) à jour promise(s) : 3 tenue(s), 1 en retard (au pire de 25 min)." in (
        page_html.replace("&#x27;", "'")
    )


def test_the_timeline_has_a_lane_per_channel_and_a_mark_per_batch(crisis: dict[str, Any]) -> None:
    svg = timeline(plain(report_html(crisis)))  # French typography read as plain spaces
    assert svg.get("role") == "img"
    lanes = svg.findall(f".//{SVG}g[@class='lane']")
    assert [lane.get("data-channel") for lane in lanes] == CHANNELS
    marks = [g for g in svg.iter(f"{SVG}g") if "mark" in (g.get("class") or "").split()]
    assert len(marks) == 5 * 4
    assert sorted((m.get("data-channel"), m.get("data-version")) for m in marks) == sorted(
        (channel, str(n)) for channel in CHANNELS for n in range(1, 6)
    )
    reminders = [m for m in marks if "reminder" in m.get("class", "")]
    assert {m.get("data-version") for m in reminders} == {"3"}
    # SMS lost a message in every version: an amber mark, and its tooltip says why.
    sms = [m for m in marks if m.get("data-channel") == "sms"]
    assert {m.get("class") for m in sms} == {"mark update partial", "mark reminder partial"}
    tips = {m.get("data-version"): m.findtext(f"{SVG}title") for m in sms}
    # French typography: a no-break space before every colon (content/typography.py).
    assert plain(tips["4"]) == (
        "sms : n°4 mise à jour (réparation effectuée) à 14:35 : 2 envoyé(s), "
        "2 échec(s) (21211 : 1, 21610 : 1)"
    )
    promises = svg.findall(f".//{SVG}g[@data-version]")
    promises = [g for g in promises if "promise" in (g.get("class") or "")]
    # The fourth promise, due after the resolution that answered it, is past the axis's end:
    # the promises table still says it was kept.
    assert [g.get("class") for g in promises] == [
        "promise kept",
        "promise kept",
        "promise late",
    ]
    late = promises[2]
    assert plain(late.findtext(f"{SVG}title") or "") == (
        "Promesse du n°3 (faite à 12:10) : prochaine mise à jour avant 14:10 : "
        "en retard de 25 min (n°4 parti à 14:35)"
    )
    assert svg.findtext(f"{SVG}title") == "Chronologie de panne-nord-2026-11-22"
    assert svg.findtext(f"{SVG}desc") == (
        "5 messages sur 4 canaux (banner, sms, email, twitter), de 2026-11-22 08:10 à 16:30 ; "
        "4 mises à jour promises : 3 tenues, 1 en retard."
    )
    assert late.find(f"{SVG}line").get("stroke") == "#b91c1c"
    assert promises[0].find(f"{SVG}line").get("stroke") == "#15803d"
    hours = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "hour"]
    assert hours == [f"{h:02d}:00" for h in range(8, 17)]


def write_report(data: dict[str, Any], folder: Path) -> Path:
    """The page and its stylesheet, as ``--format html --output`` writes them."""
    (folder / "report.css").write_text(STYLES.read_text(encoding="utf-8"), encoding="utf-8")
    path = folder / "report.html"
    path.write_text(report_html(data), encoding="utf-8")
    return path


def test_chromium_shows_the_timeline_and_runs_nothing_from_the_incident(
    crisis: dict[str, Any], page: Page, page_errors: list[Error], tmp_path: Path
) -> None:
    path = write_report(crisis, tmp_path)
    console: list[ConsoleMessage] = []
    page.on("console", lambda message: console.append(message))
    page.goto(path.as_uri())
    chart = page.locator("svg.timeline")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 900 and box["height"] > 200
    assert page.locator("svg.timeline .lane").count() == 4
    assert page.locator("svg.timeline .mark").count() == 20
    assert page.locator("svg.timeline .promise.late").count() == 1
    # Every mark is drawn inside the chart, not clipped or stacked at one edge.
    inside = page.evaluate(
        """() => {
            const chart = document.querySelector('svg.timeline').getBoundingClientRect();
            return [...document.querySelectorAll('svg.timeline .mark')].map(mark => {
                const r = mark.getBoundingClientRect();
                return r.left >= chart.left && r.right <= chart.right
                    && r.top >= chart.top && r.bottom <= chart.bottom;
            });
        }"""
    )
    assert inside == [True] * 20
    assert plain(page.locator("h1").inner_text()) == f"Bilan de l'incident : {TITLE}"
    assert page.evaluate("window.__pwned") is None
    assert page_errors == []
    assert [m.text for m in console if m.type in ("error", "warning")] == []
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)


def test_on_a_phone_the_report_reads_without_scrolling_sideways(
    crisis: dict[str, Any], browser: Browser, tmp_path: Path
) -> None:
    path = write_report(crisis, tmp_path)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(path.as_uri())
    page_width = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(page_width) == 0
    # The chart does not fit at its size: the same events as a list, its text readable, every
    # one of them on the screen's width (tests/test_report_phone.py: the whole storm).
    assert not page.locator("svg.timeline").is_visible()
    events = page.locator("ol.timeline-list > li")
    assert events.count() == 1 + 20 + 4 + 1  # the start, every batch, the promises, the end
    sizes = events.evaluate_all("es => es.map(e => parseFloat(getComputedStyle(e).fontSize))")
    assert min(sizes) >= 12
    assert page.locator(".chart").get_attribute("tabindex") == "0"
    # The axis ends shortly after the resolution, whose line is not the kept promises' green.
    svg = timeline(report_html(crisis))
    resolved = next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "moment moment-ended")
    assert resolved.find(f"{SVG}line").get("stroke") == "#6d28d9" != PROMISE_INK["kept"]
    right_edge = 960 - 24
    assert right_edge - float(resolved.find(f"{SVG}line").get("x1")) < 40
    page.screenshot(path=str(tmp_path / "report-phone.png"), full_page=True)
    context.close()


@pytest.mark.usefixtures("axe_available")
@pytest.mark.parametrize("screen", VIEWPORTS)
def test_the_report_written_by_the_cli_is_clean_under_the_strict_csp_and_as_a_file(
    crisis: dict[str, Any],
    history: History,
    browser: Browser,
    tmp_path: Path,
    screen: str,
) -> None:
    world = history.world
    at = {"BROADCAST_NOW": minutes(600).isoformat()}
    site = tmp_path / "site"
    result = world.run(
        "report", "incident.yaml", "--format", "html", "-o", str(site / "report.html"), env=at
    )
    assert result.exit_code == 0, result.output
    # The stylesheet beside the page: what it links, the only thing it loads.
    assert (site / "report.css").read_text(encoding="utf-8") == STYLES.read_text(encoding="utf-8")
    page_html = (site / "report.html").read_text(encoding="utf-8")
    assert '<link rel="stylesheet" href="report.css">' in page_html

    def styled(checked: Checked) -> None:
        page = checked.page
        expect(page.locator("h1")).to_contain_text("Bilan de l'incident")
        # report.css applied: the page's column, its headings' rule, the chart's own frame.
        assert page.locator("main").evaluate("e => getComputedStyle(e).maxWidth") == "1000px"
        assert page.locator("h2").first.evaluate("e => getComputedStyle(e).borderBottomStyle") == (
            "solid"
        )
        assert page.locator(".chart").evaluate("e => getComputedStyle(e).overflowX") == "auto"
        assert checked.overflow() == 0
        assert not checked.violations() and not checked.errors
        assert [m for m in checked.console if "report.css" in m] == []

    with StaticServer(site, headers={"Content-Security-Policy": CSP}) as server:
        checked = open_page(browser, VIEWPORTS[screen])
        checked.page.goto(f"{server.url}/report.html", wait_until="networkidle")
        styled(checked)
        assert checked.axe() == []
        checked.shot(tmp_path, f"report-{screen}", full_page=True)
        checked.page.context.close()

    # Opened from the disk, as a user double-clicks it: the same page, styled.
    checked = open_page(browser, VIEWPORTS[screen])
    checked.page.goto((site / "report.html").as_uri())
    styled(checked)
    checked.page.context.close()

    # Mailed alone, without its stylesheet: plain HTML, and the chart still reads (its type and
    # colours are SVG attributes).
    (site / "report.css").unlink()
    checked = open_page(browser, VIEWPORTS[screen])
    checked.page.goto((site / "report.html").as_uri())
    assert checked.page.locator("main").evaluate("e => getComputedStyle(e).maxWidth") == "none"
    sizes = checked.page.locator("svg.timeline text").evaluate_all(
        "ts => ts.map(t => [getComputedStyle(t).fontSize, getComputedStyle(t).fill])"
    )
    assert sizes and all(size in ("12px", "13px") for size, _ in sizes)
    assert {fill for _, fill in sizes} >= {"rgb(55, 65, 81)", "rgb(17, 24, 39)"}
    checked.page.context.close()

    # To stdout, the page alone: the CLI says where its styles are.
    result = world.run("report", "incident.yaml", "--format", "html", env=at)
    assert result.exit_code == 0
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert "report.css" in result.stderr and "--output" in result.stderr


SPOKEN = {
    "fr": {
        "terminal": ["Bilan de l'incident : ", "Délai du premier message", "• Premier message "],
        "md": [
            "# Bilan de l'incident : ",
            "\n## Mises à jour promises\n",
            "- Premier message ",
        ],
        "mark": "banner : n°1 mise à jour (en cours) à 09:40 : 1 envoyé(s)",
        "desc": "1 message sur 1 canal (banner), de 2026-11-22 08:10 à ",
    },
    "en": {
        "terminal": ["Post-incident report: ", "Time to first message", "• First message "],
        "md": ["# Post-incident report: ", "\n## Promised updates\n", "- First message "],
        "mark": "banner: #1 update (identified) at 07:00: 1 sent",
        "desc": "1 message on 1 channel (banner), from 2026-12-05 ",
    },
}


@pytest.mark.parametrize("language", SPOKEN)
def test_every_view_speaks_the_incidents_language(world: World, language: str) -> None:
    """The French outage is reported in French, the English storm in English: the terminal,
    the Markdown, and the chart's tooltips and description in the HTML page."""
    if language == "fr":
        incident, sent_at = "incident.yaml", NOW.isoformat()
    else:
        incident, sent_at = "storm.yaml", STORM_AT
        shutil.copyfile(REPO / "examples" / "storm-en.yaml", world.folder / incident)
    code, doc = world.run_json(
        "send", incident, "--yes", "--channel", "banner", env={"BROADCAST_NOW": sent_at}
    )
    assert code == 0, doc
    at = {"BROADCAST_NOW": sent_at, "COLUMNS": "200"}
    views = {
        "terminal": world.run("report", incident, env=at).output,
        "md": plain(world.run("report", incident, "--format", "md", env=at).output),
    }
    assert world.run("report", incident, "--format", "html", "-o", "r.html", env=at).exit_code == 0
    expected, other = SPOKEN[language], SPOKEN["en" if language == "fr" else "fr"]
    for view, text in views.items():
        for words in expected[view]:
            assert words in text, (view, words, text)
        for words in other[view]:
            assert words not in text, (view, words)
    svg = timeline((world.folder / "r.html").read_text(encoding="utf-8"))
    (mark,) = [g for g in svg.iter(f"{SVG}g") if "mark" in (g.get("class") or "").split()]
    assert plain(mark.findtext(f"{SVG}title") or "") == expected["mark"]
    assert (svg.findtext(f"{SVG}desc") or "").startswith(expected["desc"])
