"""How `broadcast replies` looks in a terminal: the replies newest first, each with when it
came, the version it answered and its category; the texts shown as written, never as markup."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from broadcast.terminal.console import console


def show_replies(document: dict[str, Any]) -> None:
    out = console()
    count, people = document["count"], document["people"]
    out.print(
        Text(
            f"Replies to {document['incident']}: {count} from {people} "
            f"{'person' if people == 1 else 'people'}",
            "bold",
        )
    )
    if not count:
        out.print("No reply yet (broadcast serve keeps the replies to the incident's SMS).")
        return
    for reply in document["replies"]:
        version = f"version {reply['version']}" if reply["version"] else "an earlier version"
        out.print(
            Text(f"{reply['received_at'][:19].replace('T', ' ')} UTC · {version} · ", "dim")
            + Text(reply["category"], "bold")
        )
        out.print(Text("  " + reply["text"].replace("\n", "\n  ")))
