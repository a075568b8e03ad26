"""What the web banner channel published: the history its adapter keeps in the output folder
(``history.json``), read back for the status page's list of updates.

Apart from the adapter (``web_banner``), which writes the pages from it: how an entry is made
from a message, added, and kept (``KEPT_FOR`` after its incident is resolved).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from broadcast.channels.xml_text import xml_text

HISTORY = "history.json"
# How long history keeps an incident once it is resolved.
KEPT_FOR = timedelta(days=90)


def load_history(output_dir: Path, incident_id: str | None = None) -> list[dict[str, Any]]:
    """The updates published in ``output_dir``, newest first, ready for the status page.

    Each is ``{updated_at, status, severity, headline, title, id, reminder, language}`` with
    ``updated_at`` an aware datetime (the template's ``updates``). Given ``incident_id``, only
    that incident's updates. An absent or unreadable history is an empty one: it is only ever
    a courtesy.
    """
    updates = []
    for entry in read_history(output_dir):
        if incident_id is not None and entry.get("id") != incident_id:
            continue
        try:
            when = datetime.fromisoformat(entry["updated_at"])
        except ValueError:
            continue
        if when.tzinfo is not None:
            updates.append(
                {
                    "reminder": False,
                    "language": None,
                    **entry,
                    "updated_at": when,
                }
            )
    return updates


def read_history(folder: Path) -> list[dict[str, Any]]:
    """The entries of ``folder``'s history that have a time, a headline and a status; none
    when it is absent or unreadable. A symbolic link there is not followed (it would put
    another file's content on the status page): it reads as no history.

    Its texts are read without the characters no published file may hold (``xml_text``): an
    older version may have written a control character or a lone surrogate there, and every
    page and feed rebuilt from the history would carry it (or fail to be encoded at all)."""
    try:
        fd = os.open(folder / HISTORY, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, encoding="utf-8") as handle:
            data = json.loads(handle.read())
    except (OSError, ValueError):
        return []
    if not isinstance(data, list):
        return []
    return [
        {key: xml_text(value) if isinstance(value, str) else value for key, value in entry.items()}
        for entry in data
        if isinstance(entry, dict)
        and isinstance(entry.get("updated_at"), str)
        and isinstance(entry.get("headline"), str)
        and isinstance(entry.get("status"), str)
    ]


def history_entry(facts: Mapping[str, Any], banner_text: str) -> dict[str, Any]:
    """The entry ``deliver`` adds to history.json for a message: an approval renders the
    reminders ahead, each with the updates before it on the status page."""
    return entry_at(facts, banner_text, iso_text(facts["updated_at"]))


def entry_at(facts: Mapping[str, Any], banner_text: str, updated_at: str) -> dict[str, Any]:
    return {
        "updated_at": updated_at,
        "status": facts["status"],
        "severity": facts["severity"],
        # A correction is listed by what it says (its banner text), never by a headline the
        # file may have kept from the wrong message.
        "headline": banner_text
        if facts["status"] == "cancelled" and banner_text.strip()
        else facts["headline"],
        "title": facts["title"],
        "id": facts["id"],
        # A reminder repeats the last update: the page and the feed say so.
        "reminder": bool(facts.get("reminder")),
        "exercise": bool(facts.get("exercise")),
        "language": facts_language(facts),
        "locale": facts.get("locale"),
        "banner_text": banner_text,
        "link": facts.get("link") if is_web_link(facts.get("link")) else None,
        "started_at": iso_text(facts["started_at"]) if facts.get("started_at") else None,
        # When it ended, as its messages say (``ended_at``): not when this update went out.
        "ended_at": iso_text(facts["ended_at"]) if facts.get("ended_at") else None,
        "organisation": facts.get("organisation"),
        "timezone": facts.get("timezone"),
        # The update's full text for the status page's timeline (not only its headline): what
        # happens, what is done, and a correction's own words (facts of a site channel).
        "summary": facts.get("summary"),
        "actions": facts.get("actions"),
        "correction": facts.get("correction"),
        # And the rest of what the page says of it, for the feed's entry: who is affected,
        # the way without internet, the expected end, the next update promised; and the
        # same words in each language the incident is written in (the feed's may be one).
        "affected": facts.get("affected"),
        "offline": facts.get("offline"),
        "apology": facts.get("apology"),
        "compensation": facts.get("compensation"),
        "eta": iso_text(facts["eta"]) if facts.get("eta") else None,
        "next_update_at": (
            iso_text(facts["next_update_at"]) if facts.get("next_update_at") else None
        ),
        "texts": facts.get("texts") or None,
        # The services or areas affected, with their impact, when the incident lists them.
        "affected_items": facts.get("affected_items") or None,
        # The ways to follow the site besides its Atom feed (status_site.subscribe_options).
        "cap_feed": facts.get("cap_feed"),
        "subscribe": facts.get("subscribe") or None,
    }


def add_update(history: list[dict[str, Any]], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Newest first; one entry per update; every incident's, resolved ones for a while."""
    kept = [
        entry
        for entry in history
        if (entry.get("id"), entry["updated_at"], entry["headline"])
        != (new["id"], new["updated_at"], new["headline"])
    ]
    updates = sorted([new, *kept], key=entry_instant, reverse=True)
    # An incident leaves the history once resolved for long; one in progress never does.
    latest = latest_by_incident(updates)
    horizon = moment_of(new["updated_at"]) - KEPT_FOR
    gone = {
        i["id"]
        for i in latest
        if i["status"] == "resolved" and entry_instant(i) < horizon.timestamp()
    }
    return [entry for entry in updates if entry.get("id") not in gone]


def latest_by_incident(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each incident's newest update (``history`` is newest first)."""
    latest: dict[str, dict[str, Any]] = {}
    for entry in history:
        latest.setdefault(str(entry.get("id")), entry)
    return list(latest.values())


def moment_of(value: str) -> datetime:
    return datetime.fromisoformat(value)


def entry_instant(entry: Mapping[str, Any]) -> float:
    try:
        return datetime.fromisoformat(entry["updated_at"]).timestamp()
    except ValueError:
        return float("-inf")


def facts_language(facts: Mapping[str, Any]) -> str:
    return str(facts.get("locale") or "en").replace("-", "_").split("_")[0]


def is_web_link(link: Any) -> bool:
    """Only http(s) links become ``href``: a ``javascript:`` one would run in the page."""
    return isinstance(link, str) and urlsplit(link).scheme in ("http", "https")


def iso_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
