"""What the web banner channel published: the history its adapter keeps in the output folder
(``history.json``), read back for the status page's list of updates.

Apart from the adapter (``web_banner``) so that a preview, which shows the status page with
the updates already published, reads it without loading the channels' sending machinery.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from broadcast.channels.xml_text import xml_text

HISTORY = "history.json"


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
