"""What ``broadcast approve`` shows beyond the version's preview: who each channel sends as,
and the reminders it approves.

The first reminder is shown whole, as the preview shows a version; each later one as the
words in which it differs from the first (its times, normally), so the approver sees every
byte they approve without reading the same message a dozen times.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from rich.text import Text

from broadcast.delivery.approval import envelope_lines, plan_texts
from broadcast.delivery.plan import Plan
from broadcast.terminal.console import console
from broadcast.terminal.preview import show_preview

# Words and the spaces between them: a difference is said in whole words.
_TOKENS = re.compile(r"\s+|[^\s]+")


def show_reminders(reminders: Sequence[Plan], mode_words: str) -> None:
    """The reminders the approval covers: the first whole, the others by their differences."""
    out = console()
    if not reminders:
        out.print(Text("No reminder is approved: this version promises no next update.", "dim"))
        return
    first = reminders[0]
    incident = first.incident
    assert incident is not None
    out.print(
        Text(
            f"If nothing new is said, reminders keep the promise: {len(reminders)} approved "
            f"with these texts, as {mode_words}. The first, at {incident.local_time(first.now)}:",
            "bold",
        )
    )
    show_preview(first, html_source=False)
    base = plan_texts(first)
    for reminder in reminders[1:]:
        line = Text(f"Reminder at {incident.local_time(reminder.now)}: ", "bold")
        said = []
        for key, text in plan_texts(reminder).items():
            if base.get(key) == text:
                continue
            said.append(f"{key.replace('/', ' · ')}: {_difference(base.get(key, ''), text)}")
        line.append("; ".join(said) if said else "the same texts as the first")
        out.print(line)


def show_envelope(plan: Plan) -> None:
    """Who each channel's messages appear to come from: approved with the texts."""
    lines = envelope_lines(plan)
    if not lines:
        return
    out = console()
    out.print(Text("Sent as (approved with the texts):", "bold"))
    for line in lines:
        out.print(Text(f"  {line}"))


def _difference(before: str, after: str) -> str:
    """The words ``after`` has instead of ``before``'s: "11h40 → 13h40, ..."."""
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    changes = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, old, new, autojunk=False
    ).get_opcodes():
        if tag == "equal":
            continue
        was, now = "".join(old[i1:i2]).strip(), "".join(new[j1:j2]).strip()
        changes.append(f"{was or '∅'} → {now or '∅'}")
    return ", ".join(changes)
