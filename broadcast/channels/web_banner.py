"""The web banner channel: publish the incident as static files a website serves.

One delivery writes the output folder a web server serves as is:

* ``banner.json``: the current incident, read by ``banner.js`` in visitors' browsers;
* ``banner.html``: the banner as an HTML fragment, for sites that include it server-side;
* ``banner.js``: the script a site includes with one ``<script defer>`` tag;
* ``index.html``: the status page, exactly as the preview rendered it;
* ``agent-script.md``: the script for contact-centre staff, with the FAQ;
* ``history.json``: every update published for the incident, newest first;
* ``feed.xml``: that history as an Atom feed (RFC 4287).

Every file is replaced atomically, so a web server never serves half of one. Standard library
only: the module is imported by the preview too (``load_history``).
"""

from __future__ import annotations

import html
import json
import os
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from broadcast.channels.base import Adapter, DeliveryError, Outgoing, Target

SCRIPT = Path(__file__).with_name("banner.js")
HISTORY = "history.json"
ATOM = "http://www.w3.org/2005/Atom"

# The same colours as the status page and banner.js: white text keeps a contrast above 6:1.
COLOURS = {"critical": "#a4161a", "major": "#a14a00", "minor": "#1f5fa8"}
READ_MORE = {"fr": "En savoir plus", "en": "Read more"}
# The words of templates/*/_phrases.j2 (status_word): the feed is read outside any template.
STATUS_WORDS = {
    "fr": {
        "investigating": "Incident en cours",
        "identified": "Cause identifiée",
        "monitoring": "Réparation effectuée",
        "resolved": "Résolu",
    },
    "en": {
        "investigating": "Ongoing incident",
        "identified": "Cause found",
        "monitoring": "Fix in place",
        "resolved": "Resolved",
    },
}


class WebBannerAdapter(Adapter):
    """Writes the banner, the status page, its history and feed into ``output_dir``."""

    recipient_kind: ClassVar[None] = None
    default_concurrency: ClassVar[int] = 1

    def single_target(self) -> Target:
        folder = Path(self.config.output_dir)
        if not folder.is_absolute():
            folder = self.context.config_folder / folder
        return Target(address=str(folder), name=self.name)

    def deliver(self, message: Outgoing, target: Target) -> str:
        folder = Path(target.address)
        facts = message.facts
        text = message.parts["text"]
        updated_at = _iso(facts["updated_at"])
        history = _add_update(_read_history(folder), _entry(facts, updated_at))
        # banner.json goes last: once a browser sees the new incident, the status page it
        # links to and the feed already tell the same update.
        files = {
            "banner.js": SCRIPT.read_bytes(),
            "index.html": message.parts["html"].encode(),
            "banner.html": banner_fragment(facts, text).encode(),
            # For the contact centre: the same answers on the phone as in writing.
            "agent-script.md": message.parts.get("agent_script", "").encode(),
            HISTORY: _json(history),
            "feed.xml": atom_feed(facts, history),
            "banner.json": _json(banner_data(facts, text, updated_at)),
        }
        path = folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for name, data in files.items():
                path = folder / name
                write_atomic(path, data)
            path = folder
            _sync_folder(folder)
        except OSError as exc:
            raise DeliveryError(
                "write", f"cannot write {path}: {exc.strerror or exc}", transient=False
            ) from exc
        return updated_at


def banner_data(facts: Mapping[str, Any], text: str, updated_at: str) -> dict[str, Any]:
    """What ``banner.js`` reads: the banner text and what it needs to colour and link it."""
    link = facts.get("link")
    return {
        "active": not _resolved(facts),
        "id": facts["id"],
        "status": facts["status"],
        "severity": facts["severity"],
        "headline": text,
        "link": link if _web_link(link) else None,
        "updated_at": updated_at,
        "locale": facts.get("locale"),
    }


def banner_fragment(facts: Mapping[str, Any], text: str) -> str:
    """The banner as static HTML, styled inline so it needs nothing from the including page."""
    if _resolved(facts):
        return "<!-- no incident in progress -->\n"
    severity = facts["severity"]
    language = _language(facts)
    role = "alert" if severity == "critical" else "status"
    live = "assertive" if severity == "critical" else "polite"
    colour = COLOURS.get(severity, COLOURS["minor"])
    link = facts.get("link")
    more = ""
    if _web_link(link):
        label = READ_MORE.get(language, READ_MORE["en"])
        more = (
            f' <a href="{html.escape(link)}" style="color:#fff;text-decoration:underline">'
            f"{html.escape(label)}</a>"
        )
    return (
        f'<div class="broadcast-banner" role="{role}" aria-live="{live}" '
        f'lang="{html.escape(language)}" style="background-color:{colour};color:#fff;'
        'padding:.75rem 1rem;font:600 1rem/1.4 system-ui,sans-serif">\n'
        f'<p style="max-width:44rem;margin:0 auto">{html.escape(text)}{more}</p>\n'
        "</div>\n"
    )


def atom_feed(facts: Mapping[str, Any], history: list[dict[str, Any]]) -> bytes:
    """The history as an Atom feed; ElementTree escapes every text and attribute it writes."""
    statuses = STATUS_WORDS.get(_language(facts), STATUS_WORDS["en"])
    link = facts.get("link")
    feed_id = _feed_id(facts)
    feed = ET.Element("feed", {"xmlns": ATOM, "xml:lang": _language(facts)})
    ET.SubElement(feed, "id").text = feed_id
    ET.SubElement(feed, "title").text = f"{facts['organisation']} · {facts['title']}"
    ET.SubElement(feed, "updated").text = history[0]["updated_at"]
    ET.SubElement(ET.SubElement(feed, "author"), "name").text = facts["organisation"]
    if _web_link(link):
        ET.SubElement(feed, "link", {"rel": "alternate", "href": link})
    for update in history:
        entry = ET.SubElement(feed, "entry")
        status = statuses.get(update["status"], update["status"])
        ET.SubElement(entry, "id").text = f"{feed_id}/{update['updated_at']}"
        ET.SubElement(entry, "title").text = f"{status} · {update['headline']}"
        ET.SubElement(entry, "updated").text = update["updated_at"]
        ET.SubElement(entry, "content", {"type": "text"}).text = update["headline"]
        if _web_link(link):
            ET.SubElement(entry, "link", {"rel": "alternate", "href": link})
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def load_history(output_dir: Path, incident_id: str | None = None) -> list[dict[str, Any]]:
    """The updates published in ``output_dir``, newest first, ready for the status page.

    Each is ``{updated_at, status, severity, headline, title, id}`` with ``updated_at`` an
    aware datetime (the template's ``updates``). Given ``incident_id``, only that incident's
    updates. An absent or unreadable history is an empty one: it is only ever a courtesy.
    """
    updates = []
    for entry in _read_history(output_dir):
        if incident_id is not None and entry.get("id") != incident_id:
            continue
        try:
            when = datetime.fromisoformat(entry["updated_at"])
        except ValueError:
            continue
        if when.tzinfo is not None:
            updates.append({**entry, "updated_at": when})
    return updates


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a reader sees the old file or the new, never half.

    The temporary file is created like any other file (0666 less the umask): a private one,
    as ``tempfile`` makes, would leave the web server unable to read what replaces it.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _sync_folder(folder: Path) -> None:
    """Make the renames themselves survive a crash (POSIX; Windows cannot open a folder)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_history(folder: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads((folder / HISTORY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, list):
        return []
    return [
        entry
        for entry in data
        if isinstance(entry, dict)
        and isinstance(entry.get("updated_at"), str)
        and isinstance(entry.get("headline"), str)
        and isinstance(entry.get("status"), str)
    ]


def _entry(facts: Mapping[str, Any], updated_at: str) -> dict[str, Any]:
    return {
        "updated_at": updated_at,
        "status": facts["status"],
        "severity": facts["severity"],
        "headline": facts["headline"],
        "title": facts["title"],
        "id": facts["id"],
    }


def _add_update(history: list[dict[str, Any]], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Newest first; one entry per update; a folder reused for another incident starts over."""
    kept = [
        entry
        for entry in history
        if entry.get("id") == new["id"]
        and (entry["updated_at"], entry["headline"]) != (new["updated_at"], new["headline"])
    ]
    return sorted([new, *kept], key=_instant, reverse=True)


def _instant(entry: Mapping[str, Any]) -> float:
    try:
        return datetime.fromisoformat(entry["updated_at"]).timestamp()
    except ValueError:
        return float("-inf")


def _feed_id(facts: Mapping[str, Any]) -> str:
    """A tag: URI (RFC 4151) that stays the same for every update of the incident."""
    host = urlsplit(facts.get("link") or "").hostname or "broadcast.invalid"
    day = _iso(facts.get("started_at") or facts["updated_at"])[:10]
    return f"tag:{host},{day}:{facts['id']}"


def _resolved(facts: Mapping[str, Any]) -> bool:
    return bool(facts.get("resolved")) or facts.get("status") == "resolved"


def _language(facts: Mapping[str, Any]) -> str:
    return str(facts.get("locale") or "en").replace("-", "_").split("_")[0]


def _web_link(link: Any) -> bool:
    """Only http(s) links become ``href``: a ``javascript:`` one would run in the page."""
    return isinstance(link, str) and urlsplit(link).scheme in ("http", "https")


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode() + b"\n"
