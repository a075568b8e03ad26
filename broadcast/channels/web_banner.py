"""The web banner channel: publish incidents as static files a website serves.

One delivery writes the output folder a web server serves as is. It may hold several
incidents at once (a storm and a billing outage): each delivery updates its own incident and
rewrites what covers them all.

* ``banner.json``: the incidents in progress, most severe first, then those just resolved
  (the short "restored" state); read by ``banner.js`` in visitors' browsers;
* ``banner.js`` and ``banner.css``: what a site includes (the end of ``banner.css`` says what
  the banner will hold, so the page keeps its height from the first paint: ``banner_layout``);
* ``banner.html``: the incidents in progress and corrections in banner.js's own markup, for
  server-side includes;
* ``index.html``: the index of incidents in progress and recent ones;
* ``<incident id>.html``: each incident's status page, exactly as the preview rendered it;
* ``status.css``: the status pages' styles (no inline style: they work under a strict
  Content-Security-Policy, ``default-src 'self'``);
* ``agent-script.md``: the script for contact-centre staff, with the FAQ (the last incident
  published);
* ``history.json``: every update published, of every incident, newest first;
* ``feed.xml``: that history as an Atom feed (RFC 4287), one entry per update.

Every file is replaced atomically, so a web server never serves half of one. Standard library
only (babel lazily, for the index's dates); ``status_site`` words the index and the feed. A
preview reads the history through ``banner_history`` and never imports this module.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

from broadcast.channels import register
from broadcast.channels.banner_history import (
    HISTORY,
    add_update,
    entry_at,
    entry_instant,
    is_web_link,
    iso_text,
    latest_by_incident,
    moment_of,
    read_history,
)
from broadcast.channels.banner_history import history_entry as history_entry  # sending's name
from broadcast.channels.banner_layout import banner_fragment as banner_fragment
from broadcast.channels.banner_layout import banner_reservation as banner_reservation
from broadcast.channels.banner_layout import banner_words
from broadcast.channels.base import DeliveryError, FolderAdapter, Outgoing, Target
from broadcast.channels.model import ChannelConfig, PreviewBlock
from broadcast.channels.status_site import (
    FEED,
    INDEX,
    OVER,
    atom_feed,
    index_page,
    newest_incident,
    site_language,
)
from broadcast.channels.status_words import READ_MORE as READ_MORE  # its first callers' names
from broadcast.channels.status_words import (
    SEVERITY_ORDER,
    WORDS,
)
from broadcast.channels.status_words import STATUS_WORDS as STATUS_WORDS
from broadcast.input.schema import Field, field_validator


@register
class WebBannerChannel(ChannelConfig):
    ADAPTER: ClassVar[str] = "WebBannerAdapter"
    STYLESHEET: ClassVar[bool] = True
    TEMPLATES: ClassVar[dict[str, str]] = {
        "text": "banner.txt.j2",
        "html": "status.html.j2",
        "agent_script": "agent_script.md.j2",
    }
    REMINDER_TEMPLATES: ClassVar[dict[str, str]] = {
        "html": "status.html.j2",
        "agent_script": "agent_script.md.j2",
    }
    # The banner is one line that links to the status page; the page says everything.
    CARRIES: ClassVar[dict[str, tuple[str, ...]]] = {
        "text": ("what",),
        "html": ("what", "do", "next"),
    }

    PUBLIC: ClassVar[bool] = True
    AUDIENCE: ClassVar[str] = "website"
    SITE: ClassVar[bool] = True
    KEEPS_HISTORY: ClassVar[bool] = True
    DESTINATION: ClassVar[tuple[str, ...]] = ("output_dir",)

    ADDRESSING: ClassVar[tuple[str, ...]] = ("output_dir", "public_url")

    type: Literal["web_banner"]
    output_dir: str
    # How long the banner says "service restored" once an incident is resolved (0: not at all).
    restored_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    # Where output_dir is served (https://www.example.com/status/): makes the feed's links
    # absolute, as feed readers prefer. Without it they are relative to the feed.
    public_url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    # The language of what covers every incident (index.html, feed.xml): the organisation's,
    # whatever the language of the last incident. Default: defaults.locale, else the language
    # of the oldest incident the folder holds. Each incident's page and entry keep their own.
    site_locale: str | None = Field(default=None, pattern=r"^[a-z]{2,3}(?:[_-][A-Za-z]{2,4})?$")

    @field_validator("output_dir")
    @classmethod
    def _a_folder(cls, value: str) -> str:
        if not value:
            raise ValueError(
                "is empty; name the folder the website serves, e.g. output_dir: public/status "
                "(an empty one would put the public files beside channels.yaml)"
            )
        expanded = os.path.expanduser(value)
        if expanded.startswith("~"):
            raise ValueError(f"'{value}': there is no such user's home folder; write the path")
        return expanded

    def render_context(self, config: Any) -> dict[str, Any]:
        return {"cap_feed": self._feed(config)}

    def _feed(self, config: Any) -> str | None:
        """The alerts feed another channel writes (CAP's), relative to the status pages."""
        banner_folder = config.resolve_path(self.output_dir)
        for other in config.channels.values():
            if other.FEED is None or not getattr(other, "output_dir", None):
                continue
            base_url = getattr(other, "base_url", None)
            if base_url:
                return base_url.rstrip("/") + "/" + other.FEED
            feed = config.resolve_path(other.output_dir) / other.FEED
            return os.path.relpath(feed, banner_folder).replace(os.sep, "/")
        return None

    @classmethod
    def summary(cls, parts: dict[str, str], measures: dict[str, Any], languages: int) -> str:
        return "banner, status page, feed"

    @classmethod
    def preview_blocks(cls, parts: dict[str, str], measures: dict[str, Any]) -> list[PreviewBlock]:
        blocks = []
        if "text" in parts:
            blocks.append(PreviewBlock("box", parts["text"], "banner"))
        if "html" in parts:
            blocks.append(PreviewBlock("html", parts["html"], "status page"))
        if "agent_script" in parts:
            lines = parts["agent_script"].count("\n") + 1
            blocks.append(
                PreviewBlock(
                    "text",
                    f"agent-script.md: {lines} lines for the contact centre (--json shows it)",
                )
            )
        return blocks


SCRIPT = Path(__file__).with_name("banner.js")
BANNER_STYLES = Path(__file__).with_name("banner.css")
STATUS_STYLES = Path(__file__).with_name("status.css")
# How long the banner carries a correction: it must reach those who saw the wrong message.
CORRECTION_SHOWN_FOR = timedelta(hours=24)

# Every file the channel writes besides the incident's own page (checked before any is read).
PUBLIC_FILES = (
    "banner.js",
    "status.css",
    "agent-script.md",
    HISTORY,
    FEED,
    INDEX,
    "banner.html",
    "banner.css",
    "banner.json",
)


class WebBannerAdapter(FolderAdapter):
    """Writes the banner, the status pages, their history and feed into ``output_dir``."""

    def deliver(self, message: Outgoing, target: Target) -> str:
        folder = Path(target.address)
        facts = message.facts
        try:
            self.public_folder(folder, (*PUBLIC_FILES, f"{facts['id']}.html"))
        except OSError as exc:
            raise DeliveryError(
                "write", f"cannot write {folder}: {exc.strerror or exc}", transient=False
            ) from exc
        updated_at = iso_text(facts["updated_at"])
        entry = entry_at(facts, message.parts["text"], updated_at)
        history = add_update(read_history(folder), entry)
        restored = timedelta(minutes=getattr(self.config, "restored_minutes", 60))
        public_url = getattr(self.config, "public_url", None)
        incidents = latest_by_incident(history)
        site = site_language(facts, history)
        banner = banner_data(incidents, restored)
        # The incident's own page and everything it links to first; banner.json last: once a
        # browser sees the new incident, the page it links to and the feed tell the same update.
        files = {
            "banner.js": SCRIPT.read_bytes(),
            "status.css": STATUS_STYLES.read_bytes(),
            f"{facts['id']}.html": message.parts["html"].encode(),
            # For the contact centre: the same answers on the phone as in writing.
            "agent-script.md": message.parts.get("agent_script", "").encode(),
            HISTORY: _json(history),
            FEED: atom_feed(history, public_url, site),
            INDEX: index_page(incidents, history, site).encode(),
            "banner.html": banner_fragment(banner).encode(),
            "banner.css": BANNER_STYLES.read_bytes() + banner_reservation(banner).encode(),
            "banner.json": _json(banner),
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


def banner_data(incidents: list[dict[str, Any]], restored_for: timedelta) -> dict[str, Any]:
    """What ``banner.js`` reads: the incidents to show, most severe first, then restored ones.

    ``incidents`` is each incident's latest update. One resolved less than ``restored_for``
    ago is shown as "restored" until ``until`` (the visitor's clock decides).
    """
    active = [i for i in incidents if i["status"] not in OVER]
    active.sort(key=lambda i: (SEVERITY_ORDER.get(i["severity"], 3), -entry_instant(i)))
    shown = [_banner_item(i, "active") for i in active]
    now = moment_of(newest_incident(incidents)["updated_at"])
    # A correction first: it undoes a message people may act on.
    for state, status, shown_for in (
        ("corrected", "cancelled", CORRECTION_SHOWN_FOR),
        ("restored", "resolved", restored_for),
    ):
        if shown_for <= timedelta(0):
            continue
        for incident in sorted(incidents, key=entry_instant, reverse=True):
            if incident["status"] != status or not incident.get("banner_text"):
                continue
            until = moment_of(incident["updated_at"]) + shown_for
            if until > now:
                shown.append({**_banner_item(incident, state), "until": until.isoformat()})
    return {"active": bool(active), "incidents": shown}


def _banner_item(incident: Mapping[str, Any], state: str) -> dict[str, Any]:
    language = incident.get("language") or "en"
    words = WORDS.get(language, WORDS["en"])
    kind = {"restored": "resolved", "corrected": "corrected"}.get(state, incident["severity"])
    link = incident.get("link")
    # A correction's text says it is one ("RECTIFICATIF : ..."): no label before it.
    label = "" if state == "corrected" else words["severity"].get(kind, "") + words["colon"]
    headline = incident.get("banner_text") or incident["headline"]
    if incident.get("exercise"):
        # "EXERCICE - Perturbation importante : ...": the drill is the first thing read.
        marker = words["exercise_marker"]
        headline = headline.removeprefix(marker).lstrip()
        label = f"{marker} {label}"
    return {
        "id": incident["id"],
        "state": state,
        "status": incident["status"],
        "severity": incident["severity"],
        "label": label,
        "headline": headline,
        "exercise": bool(incident.get("exercise")),
        # The incident's own page when it names none: the status page beside banner.js.
        "link": link if is_web_link(link) else f"{incident['id']}.html",
        "updated_at": incident["updated_at"],
        "locale": incident.get("locale"),
        "language": language,
        "words": {
            "more": words["more"],
            "dismiss": words["dismiss"],
            "exercise": words["exercise"],
            "several": banner_words(language)["several"],
            "dismiss_all": banner_words(language)["dismiss_all"],
        },
    }


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a reader sees the old file or the new, never half.

    The temporary file is created like any other file (0666 less the umask): a private one,
    as ``tempfile`` makes, would leave the web server unable to read what replaces it.
    """
    import secrets

    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
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


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode() + b"\n"
