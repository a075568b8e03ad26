"""CAP 1.2 alerts: the incident as the Common Alerting Protocol messages aggregators read.

One delivery writes into ``output_dir`` (served as is by a web server):

* ``{identifier}.xml``: this version's CAP 1.2 message (OASIS, namespace
  urn:oasis:names:tc:emergency:cap:1.2);
* ``latest.xml``: the same message, at an address that does not change;
* ``alerts.atom``: an Atom index of every message in the folder, newest first, each linking to
  its message (``application/cap+xml``), as Google Public Alerts and other aggregators read;
* ``cap-index.json``: what the folder has published (the references of the next message).

The first message about an incident is an ``Alert``; each later one an ``Update`` whose
``<references>`` lists every earlier message (``sender,identifier,sent``); ``resolved`` is an
Update with ``responseType`` AllClear; ``cancelled`` is a ``Cancel``, whose ``<info>`` blocks
are rendered from the ``correction_cap_*`` templates: the correction, never the wrong message's
facts. One ``<info>`` per language. The identifier is the incident id and the version's
time, so a retry after a crash rewrites the same message rather than publishing a second one.

How the incident becomes CAP values (``cap:`` in the incident overrides any of them):

============  =====================================================================
category      ``category`` of the channel (default ``Infra``: utilities, telecom...)
event         the incident's title
urgency       ``Immediate`` while the incident lasts; ``Past`` once resolved or cancelled
severity      critical → ``Severe``, major → ``Moderate``, minor → ``Minor``
certainty     ``Observed`` (an incident that is happening, not a forecast)
responseType  ``Monitor`` while it lasts; ``AllClear`` once resolved or cancelled
onset         ``started_at``; expires: the promised next update plus one hour
============  =====================================================================

Standard library only; every text and attribute goes through ElementTree, which escapes it,
and ``xml_document``, which removes what XML cannot hold (a control character an older version
let into cap-index.json must not make the next message or the index malformed).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

from broadcast.channels import register
from broadcast.channels.base import DeliveryError, FolderAdapter, Outgoing, Target
from broadcast.channels.model import ChannelConfig, PreviewBlock
from broadcast.channels.web_banner import WebBannerChannel, write_atomic
from broadcast.channels.xml_text import xml_document, xml_text
from broadcast.input.schema import Field, field_validator

_CAP_TOKEN = re.compile(r"^[^\s,<&]+$")


@register
class CapChannel(ChannelConfig):
    """CAP 1.2 alerts written into ``output_dir``, with ``latest.xml`` and ``alerts.atom``."""

    ADAPTER: ClassVar[str] = "CapAdapter"

    TEMPLATES: ClassVar[dict[str, str]] = {
        "event": "cap_event.txt.j2",
        "headline": "cap_headline.txt.j2",
        "description": "cap_description.txt.j2",
        "instruction": "cap_instruction.txt.j2",
        "area": "cap_area.txt.j2",
    }
    # A reminder is an Update with the same words and a new promised time.
    REMINDER_TEMPLATES: ClassVar[dict[str, str]] = dict(TEMPLATES)
    PUBLIC: ClassVar[bool] = True
    AUDIENCE: ClassVar[str] = "CAP alert feed"
    SITE: ClassVar[bool] = True
    FEED: ClassVar[str | None] = "alerts.atom"
    # One <info> per language the incident is written in.
    EVERY_TRANSLATION: ClassVar[bool] = True
    CARRIES_AREA: ClassVar[bool] = True
    DESTINATION: ClassVar[tuple[str, ...]] = ("output_dir",)

    ADDRESSING: ClassVar[tuple[str, ...]] = ("sender", "contact", "output_dir", "base_url")

    type: Literal["cap"]
    output_dir: str
    # Who issues the alerts: an address or a domain, unique to the organisation (CAP's sender).
    sender: str
    # Where output_dir is served (https://example.com/cap/): the Atom index links there.
    base_url: str | None = None
    contact: str | None = None
    category: list[str] = Field(default_factory=lambda: ["Infra"])
    # Language → the RFC 3066 tag of its <info> (fr → fr-FR); others keep the incident's locale.
    languages: dict[str, str] = Field(default_factory=lambda: {"fr": "fr-FR", "en": "en-GB"})

    @field_validator("sender")
    @classmethod
    def _cap_sender(cls, value: str) -> str:
        if not _CAP_TOKEN.match(value):
            raise ValueError(
                f"'{value}' cannot be a CAP sender: no spaces, commas, < or &; use an address "
                "or a domain, e.g. alertes@energie-nord.example"
            )
        return value

    @field_validator("output_dir")
    @classmethod
    def _a_folder(cls, value: str) -> str:
        return WebBannerChannel._a_folder(value)

    @field_validator("base_url")
    @classmethod
    def _served_at(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://\S+$", value):
            raise ValueError(f"'{value}' is not a web address starting with https://")
        return value if value is None or value.endswith("/") else value + "/"

    def locale_for(self, language: str) -> str | None:
        # en-GB: dates as in the UK.
        return self.languages[language].replace("-", "_") if language in self.languages else None

    @classmethod
    def summary(cls, parts: dict[str, str], measures: dict[str, Any], languages: int) -> str:
        languages = languages or 1
        return f"a CAP 1.2 message, {languages} language{'s' * (languages != 1)}"

    @classmethod
    def preview_blocks(cls, parts: dict[str, str], measures: dict[str, Any]) -> list[PreviewBlock]:
        return [
            PreviewBlock("line", parts[part], f"{part}: ")
            for part in ("headline", "description", "instruction", "area")
            if parts.get(part)
        ]


CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
INDEX = "cap-index.json"
LATEST = "latest.xml"
FEED = "alerts.atom"
CAP_MEDIA_TYPE = "application/cap+xml"
# An alert outlives its promised update by this much: a late update does not leave a gap, and
# a forgotten incident does not stay live forever.
EXPIRES_AFTER_PROMISE = timedelta(hours=1)

SEVERITY = {"critical": "Severe", "major": "Moderate", "minor": "Minor"}
ENDED = ("resolved", "cancelled")


def cap_values(facts: Mapping[str, Any], category: list[str]) -> dict[str, Any]:
    """The CAP values of the incident's status and severity, then its ``cap:`` overrides."""
    ended = facts["status"] in ENDED
    values: dict[str, Any] = {
        "category": list(category),
        "urgency": "Past" if ended else "Immediate",
        "severity": SEVERITY.get(facts["severity"], "Unknown"),
        "certainty": "Observed",
        "response_type": ["AllClear" if ended else "Monitor"],
    }
    values.update(facts.get("cap") or {})
    return values


def cap_time(moment: str | datetime) -> str:
    """A CAP dateTime: seconds, and the offset as ±hh:mm (never Z, which the schema refuses)."""
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    text = when.replace(microsecond=0).isoformat()
    return text[:-6] + "-00:00" if text.endswith("+00:00") else text


class CapAdapter(FolderAdapter):
    """Writes this version's CAP message, latest.xml, the Atom index and the folder's record."""

    config: CapChannel

    def deliver(self, message: Outgoing, target: Target) -> str:
        folder = Path(target.address)
        facts = message.facts
        sent = cap_time(facts["updated_at"])
        identifier = f"{facts['id']}.{sent[:19].replace('-', '').replace(':', '')}"
        try:
            self.public_folder(folder, (f"{identifier}.xml", LATEST, INDEX, FEED))
        except OSError as exc:
            raise DeliveryError(
                "write", f"cannot write {folder}: {exc.strerror or exc}", transient=False
            ) from exc
        published = _read_index(folder)
        earlier = [
            entry
            for entry in published
            if entry["incident"] == facts["id"] and entry["identifier"] != identifier
        ]
        if facts["status"] == "cancelled" and earlier:
            kind = "Cancel"
        else:
            kind = "Update" if earlier else "Alert"
        alert = self.alert(message, identifier, sent, kind, earlier)
        document = _xml(alert)
        entry = {
            "incident": facts["id"],
            "identifier": identifier,
            "sender": self.config.sender,
            "sent": sent,
            "msg_type": kind,
            "file": f"{identifier}.xml",
            "headline": message.parts.get("headline", facts["headline"]),
            "status": facts["status"],
        }
        index = [e for e in published if e["identifier"] != identifier] + [entry]
        path = folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # The message first, the pointers to it after: a reader never follows a link to
            # a file not yet written.
            for name, data in (
                (entry["file"], document),
                (LATEST, document),
                (INDEX, _json(index)),
                (FEED, self.feed(index, facts)),
            ):
                path = folder / name
                write_atomic(path, data)
        except OSError as exc:
            raise DeliveryError(
                "write", f"cannot write {path}: {exc.strerror or exc}", transient=False
            ) from exc
        return identifier

    def alert(
        self,
        message: Outgoing,
        identifier: str,
        sent: str,
        kind: str,
        earlier: list[dict[str, Any]],
    ) -> ET.Element:
        """The ``<alert>`` element of this version."""
        facts = message.facts
        alert = ET.Element("alert", {"xmlns": CAP_NS})
        _add(alert, "identifier", identifier)
        _add(alert, "sender", self.config.sender)
        _add(alert, "sent", sent)
        _add(alert, "status", "Exercise" if facts.get("exercise") else "Actual")
        _add(alert, "msgType", kind)
        _add(alert, "scope", "Public")
        if kind == "Cancel":
            _add(alert, "note", facts.get("correction"))  # what was wrong, in the incident's words
        if earlier:
            _add(
                alert,
                "references",
                " ".join(f"{e['sender']},{e['identifier']},{e['sent']}" for e in earlier),
            )
        _add(alert, "incidents", facts["id"])
        values = cap_values(facts, self.config.category)
        variants = message.variants or {facts.get("language", "en"): message.parts}
        for language, parts in variants.items():
            said = (facts.get("area_words") or {}).get(language)
            self._info(alert, facts, values, self._language_tag(language, facts), parts, said)
        return alert

    def _info(
        self,
        alert: ET.Element,
        facts: Mapping[str, Any],
        values: Mapping[str, Any],
        language: str,
        parts: Mapping[str, str],
        area_words: str | None = None,
    ) -> None:
        """One ``<info>``; ``area_words`` is the area's description in its language, when a
        translation gives one (else the incident's)."""
        # The order of the elements is the schema's (CAP 1.2, section 3.2.2).
        info = ET.SubElement(alert, "info")
        _add(info, "language", language)
        for category in values["category"]:
            _add(info, "category", category)
        _add(info, "event", values.get("event") or parts.get("event") or facts["title"])
        for response in values["response_type"]:
            _add(info, "responseType", response)
        _add(info, "urgency", values["urgency"])
        _add(info, "severity", values["severity"])
        _add(info, "certainty", values["certainty"])
        if facts.get("started_at"):
            _add(info, "onset", cap_time(facts["started_at"]))
        if facts.get("next_update_at") and facts["status"] not in ENDED:
            expires = datetime.fromisoformat(facts["next_update_at"]) + EXPIRES_AFTER_PROMISE
            _add(info, "expires", cap_time(expires))
        _add(info, "senderName", facts["organisation"])
        _add(info, "headline", parts.get("headline") or facts["headline"])
        _add(info, "description", parts.get("description"))
        _add(info, "instruction", parts.get("instruction"))
        _add(info, "web", facts.get("link"))
        _add(info, "contact", self.config.contact)
        area = ET.SubElement(info, "area")
        given = facts.get("area") or {}
        described = area_words or given.get("description")
        _add(area, "areaDesc", described or parts.get("area") or "")
        for polygon in given.get("polygons", ()):
            _add(area, "polygon", polygon)
        for circle in given.get("circles", ()):
            _add(area, "circle", circle)
        for name, values in given.get("geocodes", {}).items():
            # One <geocode> per code: an area may list several communes (issue 28).
            for value in [values] if isinstance(values, str) else values:
                geocode = ET.SubElement(area, "geocode")
                _add(geocode, "valueName", name)
                _add(geocode, "value", value)

    def _language_tag(self, language: str, facts: Mapping[str, Any]) -> str:
        """fr → fr-FR (the channel's ``languages``); else the incident's locale, as a tag."""
        if language in self.config.languages:
            return self.config.languages[language]
        locale = str(facts.get("locale_tag") or facts.get("locale") or language)
        return locale.replace("_", "-") if locale.split("_")[0] == language else language

    def feed(self, index: list[dict[str, Any]], facts: Mapping[str, Any]) -> bytes:
        """The Atom index of the folder's messages, newest first."""
        base = self.config.base_url or ""
        # The organisation's language (the facts' site_locale), not the last incident's.
        language = str(facts.get("site_locale") or "en").replace("-", "_").split("_")[0]
        feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": language})
        _add(feed, "id", f"{base}{FEED}" if base else f"tag:broadcast.invalid,2026:{FEED}")
        colon, alerts = {"fr": ("\u00a0: ", "alertes CAP")}.get(language, (": ", "CAP alerts"))
        _add(feed, "title", f"{facts['organisation']}{colon}{alerts}")
        entries = sorted(index, key=lambda e: datetime.fromisoformat(e["sent"]), reverse=True)
        _add(feed, "updated", entries[0]["sent"] if entries else cap_time(facts["updated_at"]))
        ET.SubElement(ET.SubElement(feed, "author"), "name").text = facts["organisation"]
        ET.SubElement(feed, "link", {"rel": "self", "href": f"{base}{FEED}"})
        for entry in entries:
            item = ET.SubElement(feed, "entry")
            # The message's address is its id; without base_url, a tag: URI (RFC 4151).
            _add(
                item,
                "id",
                f"{base}{entry['file']}"
                if base
                else f"tag:broadcast.invalid,{entry['sent'][:10]}:{entry['identifier']}",
            )
            _add(item, "title", entry["headline"])
            _add(item, "updated", entry["sent"])
            _add(item, "summary", f"{entry['msg_type']} · {entry['status']}")
            ET.SubElement(
                item,
                "link",
                {"rel": "alternate", "type": CAP_MEDIA_TYPE, "href": f"{base}{entry['file']}"},
            )
        return xml_document(feed)


def _add(parent: ET.Element, tag: str, text: str | None) -> None:
    if text:
        ET.SubElement(parent, tag).text = text


def _xml(element: ET.Element) -> bytes:
    return xml_document(element)


def _read_index(folder: Path) -> list[dict[str, Any]]:
    """What the folder published; an absent or unreadable record is an empty one. Its texts
    are read without what XML cannot hold (an older version may have written it there)."""
    try:
        data = json.loads((folder / INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    keys = ("incident", "identifier", "sender", "sent", "msg_type", "file", "headline", "status")
    return (
        [
            {k: xml_text(v) if isinstance(v, str) else v for k, v in entry.items()}
            for entry in data
            if isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in keys)
        ]
        if isinstance(data, list)
        else []
    )


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode() + b"\n"
