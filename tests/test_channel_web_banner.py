"""The web banner channel: the files it publishes, and what a real browser makes of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect

from broadcast.channels.banner_history import load_history
from broadcast.channels.base import DeliveryContext, DeliveryError, Outgoing, Target
from broadcast.channels.web_banner import (
    BANNER_STYLES,
    SCRIPT,
    STATUS_STYLES,
    WebBannerAdapter,
)
from broadcast.content.render import Renderer
from broadcast.input.config import WebBannerChannel
from broadcast.input.incident import Incident, load_incident
from broadcast.input.incident_texts import FaqEntry

if TYPE_CHECKING:
    from tests.browser import StaticServer

# Chromium (session-wide) and the local web server: browser, page, page_errors, static_server.

REPO = Path(__file__).resolve().parent.parent
FILES = {
    "banner.json",
    "banner.html",
    "banner.js",
    "banner.css",
    "status.css",
    "index.html",
    "history.json",
    "feed.xml",
    "agent-script.md",
    "panne-nord.html",  # the status page of the incident message() publishes
}
ATOM = "{http://www.w3.org/2005/Atom}"
T0 = datetime(2026, 11, 22, 8, 40, tzinfo=UTC)

HOSTILE = '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=1</script> & "q"'
SITE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Millbrook Water</title></head>
<body>
<header><h1>Millbrook Water</h1></header>
<main><p>Welcome to our website.</p></main>
<script src="/status/banner.js" defer></script>
</body>
</html>
"""


# Helpers: what preflight hands the adapter, built the way it will be.


def example(name: str = "panne-nord.yaml", **changes: Any) -> Incident:
    incident, _ = load_incident(REPO / "examples" / name)
    return incident.model_copy(update=changes)


def rendered(
    incident: Incident, now: datetime, organisation: str, updates: list[dict] | None = None
) -> Outgoing:
    """The banner text and status page of ``incident``, and its facts, as preflight makes them."""
    renderer = Renderer(incident, now, organisation)
    context = renderer.context("site", "web_banner")
    if updates is not None:
        context["updates"] = updates
    parts = {}
    for part, template in WebBannerChannel.TEMPLATES.items():
        text = renderer.render(template, context)
        assert isinstance(text, str), text
        parts[part] = text
    facts = {
        key: context[key]
        for key in ("id", "status", "severity", "title", "headline", "link", "locale", "resolved")
    }
    for key in ("updated_at", "started_at", "eta", "next_update_at"):
        facts[key] = context[key].isoformat() if context[key] else None
    facts["organisation"] = organisation
    return Outgoing(channel="site", parts=parts, facts=facts)


def message(
    updated_at: datetime = T0,
    headline: str = "Power cut in Lille.",
    text: str | None = None,
    **facts: Any,
) -> Outgoing:
    """A message with hand-written parts: fast enough to publish hundreds of times."""
    base = {
        "id": "panne-nord",
        "status": "investigating",
        "severity": "major",
        "title": "Power cut",
        "headline": headline,
        "link": "https://status.example.com/panne-nord",
        "updated_at": updated_at.isoformat(),
        "started_at": (T0 - timedelta(hours=1)).isoformat(),
        "eta": None,
        "next_update_at": (updated_at + timedelta(hours=2)).isoformat(),
        "organisation": "Énergie Nord",
        "locale": "en",
        "resolved": False,
    }
    base.update(facts)
    parts = {"text": text or f"{headline} Next update at 11:40.", "html": "<p>status</p>"}
    return Outgoing(channel="site", parts=parts, facts=base)


def adapter(config_folder: Path, output_dir: str = "public/status") -> WebBannerAdapter:
    config = WebBannerChannel(type="web_banner", output_dir=output_dir)
    return WebBannerAdapter("site", config, {}, DeliveryContext(config_folder, T0))


def publish(folder: Path, outgoing: Outgoing) -> str:
    return adapter(folder).deliver(outgoing, Target(address=str(folder)))


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def feed_entries(folder: Path) -> list[ET.Element]:
    return ET.parse(folder / "feed.xml").getroot().findall(f"{ATOM}entry")


# The files.


def test_target_is_the_output_folder_next_to_channels_yaml(tmp_path: Path) -> None:
    assert adapter(tmp_path).single_target().address == str(tmp_path / "public" / "status")
    assert adapter(tmp_path, "/srv/www/status").single_target().address == "/srv/www/status"
    assert WebBannerAdapter.recipient_kind is None
    assert WebBannerAdapter.default_concurrency == 1


def test_publishes_the_site_files(tmp_path: Path, now: datetime) -> None:
    outgoing = rendered(example(), now, "Énergie Nord")
    site = adapter(tmp_path)
    target = site.single_target()

    provider_id = site.deliver(outgoing, target)

    folder = Path(target.address)
    page = "panne-nord-2026-11-22.html"
    names = {path.name for path in folder.iterdir()}
    assert names == FILES - {"panne-nord.html"} | {page}  # and no temporary files
    assert provider_id == now.astimezone(example().zone).isoformat()
    assert read_json(folder / "banner.json") == {
        "active": True,
        "incidents": [
            {
                "id": "panne-nord-2026-11-22",
                "state": "active",
                "status": "investigating",
                "severity": "major",
                "label": "Perturbation importante\u00a0: ",
                "headline": outgoing.parts["text"],
                "exercise": False,
                "link": "https://status.example.com/panne-nord",
                "updated_at": provider_id,
                "locale": "fr",
                "language": "fr",
                "words": {
                    "more": "En savoir plus",
                    "dismiss": "Masquer ce message",
                    "exercise": "EXERCICE",
                    "several": "{n} messages",
                    "dismiss_all": "Masquer ces messages",
                },
            }
        ],
    }
    assert (folder / page).read_text(encoding="utf-8") == outgoing.parts["html"]
    assert (folder / "banner.js").read_bytes() == SCRIPT.read_bytes()
    assert (folder / "status.css").read_bytes() == STATUS_STYLES.read_bytes()
    styles = (folder / "banner.css").read_text(encoding="utf-8")
    assert styles.startswith(BANNER_STYLES.read_text(encoding="utf-8"))
    written = styles.split("Written at publication")[1]
    assert (
        f'--broadcast-banner-items: "panne-nord-2026-11-22@{provider_id}@active - major"' in written
    )
    assert ":root { --broadcast-banner-lines: " in written
    fragment = (folder / "banner.html").read_text(encoding="utf-8")
    assert 'role="status"' in fragment and "broadcast-banner--major" in fragment
    assert "style=" not in fragment
    assert 'href="https://status.example.com/panne-nord"' in fragment
    assert "En savoir plus" in fragment
    (entry,) = read_json(folder / "history.json")
    assert entry["updated_at"] == provider_id
    assert (entry["status"], entry["severity"]) == ("investigating", "major")
    assert (entry["headline"], entry["title"]) == (example().headline, example().title)
    assert (entry["id"], entry["reminder"], entry["language"]) == (
        "panne-nord-2026-11-22",
        False,
        "fr",
    )
    assert entry["banner_text"] == outgoing.parts["text"]


def test_files_are_readable_by_the_web_server(tmp_path: Path) -> None:
    """Created like any file (0666 less the umask), not private like a tempfile."""
    publish(tmp_path, message())
    umask = os.umask(0)
    os.umask(umask)
    for name in FILES:
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask, name


def test_resolved_incident_takes_the_banner_down(tmp_path: Path) -> None:
    publish(tmp_path, message(status="resolved", resolved=True))
    banner = read_json(tmp_path / "banner.json")
    assert banner["active"] is False
    # A short "restored" state: an hour by default, the visitor's clock decides.
    (restored,) = banner["incidents"]
    assert (restored["state"], restored["label"]) == ("restored", "Service restored: ")
    assert restored["until"] == (T0 + timedelta(hours=1)).isoformat()
    assert "<div" not in (tmp_path / "banner.html").read_text()


def test_restored_state_can_be_shortened_or_turned_off(tmp_path: Path) -> None:
    for minutes, expected in ((15, [(T0 + timedelta(minutes=15)).isoformat()]), (0, [])):
        config = WebBannerChannel(
            type="web_banner", output_dir=str(tmp_path), restored_minutes=minutes
        )
        site = WebBannerAdapter("site", config, {}, DeliveryContext(tmp_path, T0))
        site.deliver(message(status="resolved", resolved=True), Target(address=str(tmp_path)))
        banner = read_json(tmp_path / "banner.json")
        assert [item["until"] for item in banner["incidents"]] == expected


def test_several_incidents_most_severe_first(tmp_path: Path) -> None:
    publish(tmp_path, message(T0, "Minor one.", id="minor-one", severity="minor"))
    publish(tmp_path, message(T0 + timedelta(minutes=1), "Major one.", id="major-one"))
    publish(
        tmp_path,
        message(T0 + timedelta(minutes=2), "Critical.", id="critical-one", severity="critical"),
    )
    publish(tmp_path, message(T0 + timedelta(minutes=3), "Old.", id="done", severity="critical"))
    publish(
        tmp_path,
        message(T0 + timedelta(minutes=4), "Done.", id="done", status="resolved", resolved=True),
    )

    banner = read_json(tmp_path / "banner.json")
    assert [(i["id"], i["state"]) for i in banner["incidents"]] == [
        ("critical-one", "active"),
        ("major-one", "active"),
        ("minor-one", "active"),
        ("done", "restored"),
    ]
    # Resolving one incident leaves the others' banners up.
    assert banner["active"] is True
    fragment = (tmp_path / "banner.html").read_text()
    assert fragment.index("Critical.") < fragment.index("Major one.") < fragment.index("Minor")
    assert "Done." not in fragment
    index = (tmp_path / "index.html").read_text()
    current, recent = index.split("<h2>Recent incidents</h2>")
    assert current.index("critical-one.html") < current.index("major-one.html")
    assert "done.html" in recent and "done.html" not in current
    assert {p.name for p in tmp_path.glob("*.html")} == {
        "index.html",
        "banner.html",
        "minor-one.html",
        "major-one.html",
        "critical-one.html",
        "done.html",
    }


def test_banner_fragment_escapes_the_text_and_speaks_by_severity(tmp_path: Path) -> None:
    publish(tmp_path, message(text=HOSTILE, severity="critical"))
    fragment = (tmp_path / "banner.html").read_text()
    assert "<img" not in fragment and "<script" not in fragment
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in fragment
    assert 'role="alert"' in fragment and "broadcast-banner--critical" in fragment
    assert "Serious disruption: " in fragment and "Read more" in fragment


def test_links_other_than_web_addresses_are_dropped(tmp_path: Path) -> None:
    publish(tmp_path, message(link="javascript:alert(1)"))
    # The incident's own status page instead, beside banner.js.
    assert read_json(tmp_path / "banner.json")["incidents"][0]["link"] == "panne-nord.html"
    assert "javascript" not in (tmp_path / "banner.html").read_text()
    assert "javascript" not in (tmp_path / "feed.xml").read_text()


def test_history_is_newest_first_without_repeats(tmp_path: Path) -> None:
    first, second, third = (T0 + timedelta(hours=n) for n in range(3))
    publish(tmp_path, message(first, "Cause unknown."))
    publish(tmp_path, message(second, "Cable found.", status="identified"))
    publish(tmp_path, message(second, "Cable found.", status="identified"))  # published again
    publish(tmp_path, message(third, "Power back.", status="resolved", resolved=True))

    history = read_json(tmp_path / "history.json")
    assert [(h["updated_at"], h["headline"]) for h in history] == [
        (third.isoformat(), "Power back."),
        (second.isoformat(), "Cable found."),
        (first.isoformat(), "Cause unknown."),
    ]
    assert [h["status"] for h in history] == ["resolved", "identified", "investigating"]
    assert len(feed_entries(tmp_path)) == 3


def test_history_keeps_every_incident_until_long_resolved(tmp_path: Path) -> None:
    publish(tmp_path, message(T0, "Old incident.", id="old-one"))
    publish(tmp_path, message(T0 + timedelta(days=3), "New incident.", id="new-one"))
    history = read_json(tmp_path / "history.json")
    assert [h["headline"] for h in history] == ["New incident.", "Old incident."]

    publish(
        tmp_path,
        message(
            T0 + timedelta(days=4), "Old one over.", id="old-one", status="resolved", resolved=True
        ),
    )
    publish(tmp_path, message(T0 + timedelta(days=100), "Still on.", id="new-one"))
    history = read_json(tmp_path / "history.json")
    assert [h["headline"] for h in history] == ["Still on.", "New incident."]


def test_load_history_for_the_status_page(tmp_path: Path) -> None:
    assert load_history(tmp_path) == []
    (tmp_path / "history.json").write_text("{not json")
    assert load_history(tmp_path) == []

    publish(tmp_path, message(T0, "Cause unknown."))
    publish(tmp_path, message(T0 + timedelta(hours=2), "Cable found.", status="identified"))

    updates = load_history(tmp_path, incident_id="panne-nord")
    assert [u["headline"] for u in updates] == ["Cable found.", "Cause unknown."]
    assert updates[0]["updated_at"] == T0 + timedelta(hours=2)
    assert updates[0]["updated_at"].tzinfo is not None
    assert load_history(tmp_path, incident_id="another-incident") == []


def test_atom_feed(tmp_path: Path) -> None:
    publish(tmp_path, message(T0, "Cause unknown."))
    publish(tmp_path, message(T0 + timedelta(hours=2), f"Cable {HOSTILE}", status="identified"))

    raw = (tmp_path / "feed.xml").read_text(encoding="utf-8")
    assert raw.startswith("<?xml") and "&lt;script&gt;" in raw and "<script" not in raw
    feed = ET.fromstring(raw.encode())
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id", "").startswith("urn:uuid:")
    assert feed.findtext(f"{ATOM}title") == "Énergie Nord · Service status"
    assert feed.findtext(f"{ATOM}updated") == (T0 + timedelta(hours=2)).isoformat()
    assert feed.findtext(f"{ATOM}author/{ATOM}name") == "Énergie Nord"
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {"self": "feed.xml", "alternate": "index.html"}

    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    newest, oldest = entries
    assert newest.findtext(f"{ATOM}title") == "Cause found · Power cut"
    # Each entry carries its own update's text, not the title again: the banner's as its
    # summary, the update's full text (first its headline) as its content.
    assert newest.findtext(f"{ATOM}summary") == f"Cable {HOSTILE} Next update at 11:40."
    assert oldest.findtext(f"{ATOM}summary") == "Cause unknown. Next update at 11:40."
    assert newest.find(f"{ATOM}summary").get("type") == "text"  # type: ignore[union-attr]
    content = newest.find(f"{ATOM}content")
    assert content is not None and content.get("type") == "xhtml"
    assert content.findtext(
        "{http://www.w3.org/1999/xhtml}div/{http://www.w3.org/1999/xhtml}p"
    ) == (f"Cable {HOSTILE}")
    assert newest.findtext(f"{ATOM}updated") == (T0 + timedelta(hours=2)).isoformat()
    assert newest.findtext(f"{ATOM}published") == (T0 + timedelta(hours=2)).isoformat()
    assert oldest.findtext(f"{ATOM}published") == T0.isoformat()
    entry_links = {link.get("rel"): link.get("href") for link in newest.findall(f"{ATOM}link")}
    assert entry_links == {
        "alternate": "panne-nord.html",
        "related": "https://status.example.com/panne-nord",
    }
    ids = {entry.findtext(f"{ATOM}id") for entry in entries}
    assert len(ids) == 2 and all(i and i.startswith("tag:") for i in ids)


def test_atom_feed_links_are_absolute_with_the_public_address(tmp_path: Path) -> None:
    config = WebBannerChannel(
        type="web_banner", output_dir=str(tmp_path), public_url="https://www.example.com/status"
    )
    site = WebBannerAdapter("site", config, {}, DeliveryContext(tmp_path, T0))
    site.deliver(message(reminder=True), Target(address=str(tmp_path)))
    feed = ET.parse(tmp_path / "feed.xml").getroot()
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links["self"] == "https://www.example.com/status/feed.xml"
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}link").get("href") == (  # type: ignore[union-attr]
        "https://www.example.com/status/panne-nord.html"
    )
    assert entry.findtext(f"{ATOM}title") == "Reminder · Ongoing incident · Power cut"


@pytest.mark.slow
def test_a_reader_never_sees_half_a_file(tmp_path: Path) -> None:
    """A web server reading while we publish gets the old file or the new, whole."""
    publish(tmp_path, message(T0))
    stop = threading.Event()
    reads: list[int] = []
    failures: list[str] = []

    def read_in_a_loop() -> None:
        while not stop.is_set():
            for name in ("banner.json", "history.json"):
                try:
                    json.loads((tmp_path / name).read_text(encoding="utf-8"))
                except ValueError:
                    failures.append(name)
            try:
                ET.parse(tmp_path / "feed.xml")
            except ET.ParseError:
                failures.append("feed.xml")
            reads.append(1)

    reader = threading.Thread(target=read_in_a_loop)
    reader.start()
    try:
        for n in range(200):
            publish(tmp_path, message(T0 + timedelta(minutes=n), f"Update number {n}. " * 5))
    finally:
        stop.set()
        reader.join()

    assert not failures
    assert len(reads) > 10, "the reader really ran alongside"
    assert {path.name for path in tmp_path.iterdir()} == FILES
    assert len(read_json(tmp_path / "history.json")) == 201


def test_a_folder_that_cannot_be_written_is_a_permanent_error(tmp_path: Path) -> None:
    # A file where the folder should be: refused even to root, unlike permissions.
    blocked = tmp_path / "status"
    blocked.write_text("not a folder")
    with pytest.raises(DeliveryError) as raised:
        adapter(tmp_path, "status").deliver(message(), Target(address=str(blocked)))
    assert raised.value.code == "write" and not raised.value.transient
    assert str(blocked) in raised.value.message


def test_a_file_that_cannot_be_replaced_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").mkdir()
    with pytest.raises(DeliveryError) as raised:
        publish(tmp_path, message())
    assert str(tmp_path / "feed.xml") in raised.value.message
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_module_is_cheap_to_import() -> None:
    code = (
        "import sys, broadcast.channels.web_banner\n"
        "print(sorted(m for m in ('jinja2', 'pydantic', 'babel', 'yaml') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# The status page's timeline.


@pytest.mark.parametrize(
    ("name", "heading", "word"),
    [
        ("panne-nord.yaml", "Historique des mises à jour", "Cause identifiée"),
        ("storm-en.yaml", "Update history", "Cause found"),
    ],
)
def test_status_page_timeline_only_with_updates(name: str, heading: str, word: str) -> None:
    incident = example(name)
    now = incident.started_at + timedelta(hours=2)
    without = rendered(incident, now, "Org").parts["html"]
    assert heading not in without and 'class="timeline"' not in without

    updates = [
        {"updated_at": now, "status": "identified", "headline": f"Now {HOSTILE}"},
        {"updated_at": now - timedelta(hours=1), "status": "investigating", "headline": "Before"},
    ]
    page = rendered(incident, now, "Org", updates=updates).parts["html"]
    timeline = page.split(f"<h2>{heading}</h2>")[1].split("</ol>")[0]
    assert timeline.count("<li>") == 2 and "<style" not in page and "style=" not in page
    assert f'<time datetime="{now.isoformat()}">' in timeline
    assert f"<strong>{word}</strong> · Now &lt;img src=x" in timeline
    assert "<img" not in page and "<script" not in page


# In Chromium: the banner on a website.


@pytest.fixture
def site(tmp_path: Path, static_server: StaticServer) -> StaticServer:
    """A website whose pages include banner.js, the channel publishing into its /status/."""
    (tmp_path / "index.html").write_text(SITE, encoding="utf-8")
    (tmp_path / "status").mkdir()
    return static_server


def status_folder(site: StaticServer) -> Path:
    return site.root / "status"


def banner_of(page: Page) -> Any:
    return page.locator("[data-broadcast-banner]")


def open_quietly(page: Page, url: str) -> None:
    """Load ``url`` and let banner.js finish: used where the banner must NOT appear."""
    page.goto(url, wait_until="networkidle")


def relative_luminance(rgb: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(part) for part in rgb.removeprefix("rgb(").removesuffix(")").split(","))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted(map(relative_luminance, (foreground, background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize(
    ("severity", "locale", "role", "colour", "label"),
    [
        ("critical", "en_GB", "alert", "rgb(164, 22, 26)", "Dismiss this message"),
        ("major", "fr", "status", "rgb(161, 74, 0)", "Masquer ce message"),
        ("minor", "en", "status", "rgb(31, 95, 168)", "Dismiss this message"),
    ],
)
def test_banner_shows_the_headline_in_the_severity_colour(
    site: StaticServer,
    page: Page,
    page_errors: list[Any],
    severity: str,
    locale: str,
    role: str,
    colour: str,
    label: str,
) -> None:
    outgoing = message(severity=severity, locale=locale)
    publish(status_folder(site), outgoing)
    page.goto(site.url)

    banner = banner_of(page)
    expect(banner).to_be_visible()
    headline = banner.locator("p").evaluate("p => p.childNodes[1].data")
    assert headline == outgoing.parts["text"]
    expect(banner).to_have_attribute("role", role)
    expect(banner).to_have_attribute("aria-live", "assertive" if role == "alert" else "polite")
    # A page without the slot gets one first in <body>, and the banner's stylesheet.
    assert page.evaluate("document.body.firstElementChild.id") == "broadcast-banner"
    assert page.locator("link[href$='/status/banner.css']").count() == 1
    style = banner.evaluate("e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]")
    assert style[0] == colour
    assert contrast(style[1], style[0]) >= 4.5
    more = banner.get_by_role("link")
    expect(more).to_have_attribute("href", "https://status.example.com/panne-nord")
    expect(page.get_by_role("button", name=label)).to_be_visible()
    assert not page_errors


def test_dismissed_banner_stays_hidden_until_the_next_update(
    site: StaticServer, page: Page, tmp_path: Path
) -> None:
    publish(status_folder(site), message(T0, "Power cut in Lille."))
    page.goto(site.url)
    expect(banner_of(page)).to_be_visible()
    page.screenshot(path=tmp_path / "banner-page.png")

    page.get_by_role("button", name="Dismiss this message").click()
    expect(banner_of(page)).to_have_count(0)
    open_quietly(page, site.url)
    expect(banner_of(page)).to_have_count(0)

    publish(status_folder(site), message(T0 + timedelta(hours=2), "Power back in Roubaix."))
    page.reload()
    expect(banner_of(page)).to_contain_text("Power back in Roubaix.")


def test_no_banner_once_resolved(site: StaticServer, page: Page, page_errors: list[Any]) -> None:
    publish(status_folder(site), message(status="resolved", resolved=True))
    open_quietly(page, site.url)
    expect(banner_of(page)).to_have_count(0)
    assert not page_errors


@pytest.mark.parametrize("banner_json", [None, "{half a fi", '"active"'], ids=str)
def test_no_banner_when_banner_json_is_missing_or_broken(
    site: StaticServer, page: Page, page_errors: list[Any], banner_json: str | None
) -> None:
    (status_folder(site) / "banner.js").write_bytes(SCRIPT.read_bytes())
    if banner_json is not None:
        (status_folder(site) / "banner.json").write_text(banner_json)
    open_quietly(page, site.url)
    expect(banner_of(page)).to_have_count(0)
    expect(page.get_by_role("heading", name="Millbrook Water")).to_be_visible()
    assert not page_errors


def test_hostile_headline_is_shown_as_text(
    site: StaticServer, page: Page, page_errors: list[Any]
) -> None:
    publish(status_folder(site), message(text=HOSTILE))
    open_quietly(page, site.url)
    banner = banner_of(page)
    expect(banner.locator("p")).to_have_text(f"Major disruption: {HOSTILE}")
    expect(banner.locator("a.broadcast-banner__more")).to_have_text("Read more")
    assert banner.locator("img, script").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert not page_errors


@pytest.mark.parametrize(
    "link", ["javascript:window.__pwned=1", "data:text/html,<script>1</script>", "ftp://x/"]
)
def test_only_web_links_become_read_more(site: StaticServer, page: Page, link: str) -> None:
    # Written by hand: the adapter itself never publishes such a link.
    folder = status_folder(site)
    (folder / "banner.js").write_bytes(SCRIPT.read_bytes())
    banner = {"id": "x", "state": "active", "status": "identified", "severity": "major"}
    banner |= {"headline": "Outage.", "link": link, "updated_at": T0.isoformat()}
    banner |= {"words": {"more": "Read more", "dismiss": "Dismiss"}}
    (folder / "banner.json").write_text(json.dumps({"active": True, "incidents": [banner]}))
    page.goto(site.url)
    expect(banner_of(page)).to_have_text("Outage.\u00d7")  # the dismiss button: a cross
    assert banner_of(page).locator("a").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_a_relative_link_is_the_page_beside_the_script(site: StaticServer, page: Page) -> None:
    publish(status_folder(site), message(link=None))
    page.goto(site.url)
    more = banner_of(page).get_by_role("link", name="Read more")
    expect(more).to_have_attribute("href", f"{site.url}/status/panne-nord.html")


# In Chromium: the status page.


def test_status_page_with_a_hostile_incident_and_its_timeline(
    site: StaticServer, page: Page, page_errors: list[Any], tmp_path: Path
) -> None:
    folder = status_folder(site)
    incident = example(
        title=f"Coupure {HOSTILE}",
        headline=f"Câble réparé {HOSTILE}",
        faq=[FaqEntry(q=f"Question {HOSTILE}", a="Réponse sans danger.")],
    )
    earlier = [
        (T0, "investigating", "Coupure à Lille, cause inconnue."),
        (T0 + timedelta(hours=2), "identified", "Câble endommagé rue de la Gare."),
    ]
    for when, status, headline in earlier:
        publish(
            folder,
            rendered(
                incident.model_copy(update=dict(status=status, headline=headline)),
                when,
                "Énergie Nord",
            ),
        )
    now = T0 + timedelta(hours=4)
    current = {"updated_at": now, "status": "monitoring", "headline": incident.headline}
    updates = [current, *load_history(folder, incident_id=incident.id)]
    latest = incident.model_copy(update={"status": "monitoring"})
    publish(folder, rendered(latest, now, "Énergie Nord", updates=updates))

    page.goto(f"{site.url}/status/{incident.id}.html", wait_until="networkidle")
    expect(page.locator(".headline")).to_have_text(f"Câble réparé {HOSTILE}")
    expect(page.locator("h1")).to_have_text(f"Coupure {HOSTILE}")
    assert page.locator("main img, main script").count() == 0
    assert page.evaluate("window.__pwned") is None

    faq = page.locator("details")
    expect(faq).to_have_count(1)
    faq.locator("summary").click()
    expect(faq.get_by_text("Réponse sans danger.")).to_be_visible()

    expect(page.get_by_role("heading", name="Historique des mises à jour")).to_be_visible()
    entries = page.locator("ol.timeline > li")
    expect(entries).to_have_count(3)
    expect(entries.nth(0)).to_contain_text(f"Réparation effectuée · Câble réparé {HOSTILE}")
    expect(entries.nth(1)).to_contain_text("Cause identifiée · Câble endommagé rue de la Gare.")
    expect(entries.nth(2)).to_contain_text("22 novembre 2026 à 9h40")
    page.screenshot(path=tmp_path / "status-page.png", full_page=True)
    assert not page_errors


def test_a_correction_replaces_the_banner_for_a_day(tmp_path: Path) -> None:
    publish(tmp_path, message(T0, "Water unsafe to drink.", severity="critical"))
    correction = "CORRECTION: our message about tap water was wrong; it is safe to drink."
    publish(
        tmp_path,
        message(
            T0 + timedelta(hours=1), "Water unsafe to drink.", text=correction, status="cancelled"
        ),
    )
    banner = read_json(tmp_path / "banner.json")
    assert banner["active"] is False
    (item,) = banner["incidents"]
    assert (item["state"], item["label"], item["headline"]) == ("corrected", "", correction)
    assert item["until"] == (T0 + timedelta(hours=25)).isoformat()
    assert "Correction · Power cut" in (tmp_path / "feed.xml").read_text(encoding="utf-8")
    assert "panne-nord.html" in (tmp_path / "index.html").read_text().split("Recent incidents")[1]


def test_a_drill_s_feed_entry_says_so_first_in_its_content(tmp_path: Path) -> None:
    publish(tmp_path, message(T0, "Power cut in Lille.", exercise=True))
    (entry,) = feed_entries(tmp_path)
    xhtml = "{http://www.w3.org/1999/xhtml}"
    first = entry.findtext(f"{ATOM}content/{xhtml}div/{xhtml}p")
    assert first == "EXERCISE \u2013 Power cut in Lille."
    assert (entry.findtext(f"{ATOM}title") or "").startswith("EXERCISE \u2013 ")
