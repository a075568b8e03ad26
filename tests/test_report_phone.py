"""The post-incident report on a phone, in the dark, and for those who do not tell red from green.

A storm's whole day, sent by the real CLI on the banner channel (05:30 start, a first message
at 07:00, a reminder at 10:00, two late updates, the end), reported with ``broadcast report
--format html`` and opened in Chromium under the strict CSP. At 390 px every event is on the
screen's width, nothing scrolls sideways; at 1280 px the chart is whole at its size; kept and
late promises differ by shape, not only by colour; the page has a dark mode; a drill's report
says so in its title.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.browser import StaticServer
from tests.test_web_surfaces import (  # axe_available: a fixture this module uses
    CSP,
    DESKTOP,
    PHONE,
    REPO,
    axe_available,  # noqa: F401
    open_page,
)
from tests.world import World

pytest_plugins = ["tests.browser"]

STORM_STEPS = [
    # (time, edits of the incident file, the action the send takes)
    ("2026-12-05T07:00:00+00:00", [], "new"),
    ("2026-12-05T10:00:00+00:00", [], "reminder"),
    (
        "2026-12-05T13:40:00+00:00",
        [
            ("status: identified", "status: monitoring"),
            ("Engineers are on it; news every 3 hours.", "Water is back in most streets."),
        ],
        "new",
    ),
    (
        "2026-12-05T17:30:00+00:00",
        [
            ("status: monitoring", "status: resolved"),
            ("Water is back in most streets.", "Water is back everywhere."),
        ],
        "new",
    ),
]
REPORTED_AT = "2026-12-05T18:00:00+00:00"


def storm_report(world: World, folder: Path, exercise: bool = False) -> Path:
    """The storm sent through its day, and its report written as the CLI writes it."""
    incident = world.folder / "incident.yaml"
    shutil.copyfile(REPO / "examples" / "storm-en.yaml", incident)
    drill = ["--exercise"] if exercise else []
    if exercise:
        config = world.folder / "channels.yaml"
        config.write_text(
            config.read_text(encoding="utf-8") + "    exercise: {output_dir: public/drill}\n",
            encoding="utf-8",
        )
    for when, edits, action in STORM_STEPS:
        text = incident.read_text(encoding="utf-8")
        for old, new in edits:
            assert old in text
            text = text.replace(old, new)
        incident.write_text(text, encoding="utf-8")
        code, doc = world.run_json(
            "send", "incident.yaml", "--yes", "--channel", "banner", *drill,
            env={"BROADCAST_NOW": when},
        )  # fmt: skip
        assert (code, doc.get("action")) == (0, action), doc
    page = folder / "report.html"
    result = world.run(
        "report", "incident.yaml", "--format", "html", "-o", str(page), *drill,
        env={"BROADCAST_NOW": REPORTED_AT},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return page


@pytest.fixture
def storm(world: World, tmp_path: Path) -> Any:
    site = tmp_path / "site"
    site.mkdir()
    storm_report(world, site)
    with StaticServer(site, headers={"Content-Security-Policy": CSP}) as server:
        yield server


WITHIN = """(selector) => [...document.querySelectorAll(selector)].map(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.left >= 0 && r.right <= document.documentElement.clientWidth
        && e.scrollWidth <= e.clientWidth + 1;
})"""


@pytest.mark.usefixtures("axe_available")
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_phone_the_whole_storm_is_on_the_screen(
    browser: Browser, storm: StaticServer, scheme: str
) -> None:
    checked = open_page(browser, PHONE, color_scheme=scheme)
    page = checked.page
    page.goto(f"{storm.url}/report.html", wait_until="networkidle")
    assert checked.overflow() == 0
    # The 960 px chart is not squeezed into 366 px (its text would be 5 px) nor cut to its
    # first hours: the same events as a list, read from top to bottom.
    assert not page.locator("svg.timeline").is_visible()
    events = page.locator("ol.timeline-list > li")
    assert page.locator("ol.timeline-list").is_visible()
    texts = events.all_inner_texts()
    assert texts[0].startswith("05:30") and "started" in texts[0]
    assert texts[-1].startswith("17:30") and "resolved" in texts[-1]
    assert page.locator("ol.timeline-list > li.event-version.reminder").count() == 1
    assert page.locator("ol.timeline-list > li.event-promise.late").count() == 2
    assert page.locator("ol.timeline-list > li.event-promise.kept").count() == 1
    assert any(t.startswith("10:00") and "reminder" in t for t in texts)
    # Every event within the screen's width, none cut or scrolling on its own.
    assert all(page.evaluate(WITHIN, "ol.timeline-list, ol.timeline-list > li"))
    assert all(page.evaluate(WITHIN, "main, section, figure, table"))
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == ("rgb(17, 24, 39)" if scheme == "dark" else "rgb(255, 255, 255)")
    assert checked.axe() == []
    assert not checked.violations() and not checked.errors
    page.context.close()


@pytest.mark.usefixtures("axe_available")
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_desktop_the_chart_is_whole_at_its_size(
    browser: Browser, storm: StaticServer, scheme: str
) -> None:
    checked = open_page(browser, DESKTOP, color_scheme=scheme)
    page = checked.page
    page.goto(f"{storm.url}/report.html", wait_until="networkidle")
    chart = page.locator("svg.timeline")
    box = chart.bounding_box()
    assert box is not None and box["width"] == 960
    assert box["x"] >= 0 and box["x"] + box["width"] <= DESKTOP["width"]
    assert not page.locator(".chart").evaluate("e => e.scrollWidth > e.clientWidth")
    assert not page.locator("ol.timeline-list").is_visible()
    assert checked.overflow() == 0
    # Its ink follows the page's scheme (CSS over the SVG's presentation attributes).
    lane = page.locator("svg.timeline .lane rect").first.evaluate("e => getComputedStyle(e).fill")
    label = page.locator("svg.timeline .lane-label").first.evaluate("e => getComputedStyle(e).fill")
    if scheme == "dark":
        assert (lane, label) == ("rgb(31, 41, 55)", "rgb(243, 244, 246)")
    else:
        assert (lane, label) == ("rgb(243, 244, 246)", "rgb(17, 24, 39)")
    assert checked.axe() == []
    assert not checked.violations() and not checked.errors
    page.context.close()


SHAPES = """(selector) => [...document.querySelectorAll(selector)].map(
    e => e.getAttribute('data-shape'))"""


def test_kept_and_late_promises_differ_by_shape_not_only_by_colour(
    browser: Browser, storm: StaticServer
) -> None:
    """Green and red are both olive under deuteranopia: the marks must differ by shape, on the
    chart, in the list and in the legend."""
    checked = open_page(browser, DESKTOP)
    page = checked.page
    page.goto(f"{storm.url}/report.html", wait_until="networkidle")
    for where in ("svg.timeline", "ol.timeline-list", "ul.legend"):
        kept = set(page.evaluate(SHAPES, f"{where} .promise.kept [data-shape]"))
        late = set(page.evaluate(SHAPES, f"{where} .promise.late [data-shape]"))
        assert kept == {"bar"} and late == {"cross"}, where
    # The colours alone would not do: seen through a deuteranope's eyes (Machado et al. 2009,
    # severity 1), kept and late are nearly the same colour.
    kept_ink, late_ink = page.evaluate(
        """() => ['kept', 'late'].map(k => getComputedStyle(
            document.querySelector(`svg.timeline .promise.${k} [data-shape]`)).stroke)"""
    )
    assert deuteranope_distance(kept_ink, late_ink) < 60
    page.context.close()


def deuteranope_distance(first: str, second: str) -> float:
    matrix = [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ]

    def seen(colour: str) -> list[float]:
        rgb = [float(v) for v in colour.removeprefix("rgb(").removesuffix(")").split(",")]
        return [sum(m * c for m, c in zip(row, rgb, strict=True)) for row in matrix]

    a, b = seen(first), seen(second)
    return sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5


def test_a_drills_report_says_exercise_in_its_title(
    browser: Browser, world: World, tmp_path: Path
) -> None:
    page_file = storm_report(world, tmp_path, exercise=True)
    checked = open_page(browser, PHONE)
    page = checked.page
    page.goto(page_file.as_uri())
    assert page.title().startswith("EXERCISE \u2013 Post-incident report: ")
    assert page.locator("h1").inner_text().startswith("EXERCISE \u2013 ")
    page.context.close()
