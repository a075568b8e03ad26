"""What a preview says under an SMS, from its measures: who is greeted by name, what was left
out to fit ``max_segments``, and what the GSM-7 typography replaced or kept (the terminal draws
these notes; the SMS channel, broadcast.channels.sms, gives them).
"""

from __future__ import annotations

import unicodedata
from typing import Any


def greeting_note(m: dict[str, Any]) -> str | None:
    """How many of the channel's readers in this language are greeted by name."""
    if not m.get("personalised"):
        return None
    readers, greeted = m.get("readers", 0), m["greeted"]
    sampled = f" (in the first {m['sampled_rows']:,} rows)" if m.get("sampled_rows") else ""
    if greeted == readers:
        return (
            f"Greeted by name{sampled}."
            if readers == 1
            else f"Greeted by name: all {readers:,}{sampled}."
        )
    return (
        f"Greeted by name: {greeted:,} of {readers:,}{sampled}; {readers - greeted:,} without "
        "the greeting (no name, one that does not read as a given name, or theirs would take "
        "the text over max_segments)."
    )


def dropped_note(measures: dict[str, Any]) -> str | None:
    """What the SMS left out to stay within max_segments, in the order it went."""
    dropped = measures.get("dropped")
    if not dropped:
        return None
    limit = measures.get("max_segments")
    within = f"{limit} segment{'s' * (limit != 1)}" if limit else "max_segments"
    return f"Left out to fit {within}: {', '.join(dropped)}."


def typography_note(measures: dict[str, Any]) -> str | None:
    """What the GSM-7 typography replaced, the segments saved, and what the rest costs."""
    typography = measures.get("typography")
    if not typography:
        return None
    lines = []
    if typography["replaced"]:
        done = ", ".join(
            f"{_shown(r['character'])} → {_shown(r['by'])}"
            + (f" ({r['times']} times)" * (r["times"] > 1))
            for r in typography["replaced"]
        )
        saved = typography["segments_saved"]
        lines.append(
            f"Replaced for GSM-7: {done}; "
            + (f"{saved} segment{'s' * (saved != 1)} saved" if saved else "no segment saved")
        )
    if typography["kept"]:
        cost = typography["kept_cost"]
        kept = " ".join(_shown(c) for c in typography["kept"])
        lines.append(
            f"Kept outside GSM-7: {kept}: "
            + (
                f"{cost} more segment{'s' * (cost != 1)} on every phone (UCS-2)"
                if cost
                else "UCS-2, no extra segment"
            )
        )
    return "\n".join(lines) or None


def _shown(text: str) -> str:
    """A character as a reader can see it: spaces and invisible ones are named."""
    if not text:
        return "[nothing]"
    if len(text) == 1 and unicodedata.category(text) in ("Zs", "Cf", "Cc"):
        return f"[{unicodedata.name(text, 'invisible').lower()}]"
    return text
