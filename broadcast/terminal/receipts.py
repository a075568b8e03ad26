"""How `broadcast reconcile` looks in a terminal."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from broadcast.terminal.console import console


def show_reconciliation(document: dict[str, Any]) -> None:
    out = console()
    out.print(Text(f"Delivery receipts for {document['incident']}", "bold"))
    if not document["channels"]:
        out.print("No channel here gives delivery receipts.")
        return
    table = Table(title_justify="left")
    columns = ("channel", "asked", "delivered", "undelivered", "unanswered", "not final yet")
    columns += ("not asked",)
    for column in columns:
        table.add_column(column, justify="left" if column == "channel" else "right")
    table.add_column("undelivered by code")
    for channel in document["channels"]:
        table.add_row(
            channel["channel"],
            str(channel["asked"]),
            str(channel["delivered"]),
            str(channel["undelivered"]),
            str(channel["unanswered"]),
            str(channel["not_final"]),
            str(channel["not_asked"]),
            ", ".join(f"{n} x {code}" for code, n in channel["undelivered_by_code"].items()),
        )
    out.print(table)
    for channel in document["channels"]:
        for problem in channel["problems"]:
            out.print(Text(f"{channel['channel']}: {problem['message']}", "bold red"))
        if channel["lookup_errors"]:
            errors = ", ".join(f"{n} x {c}" for c, n in channel["lookup_errors"].items())
            out.print(Text(f"{channel['channel']}: lookups that failed: {errors}", "yellow"))
    waiting = sum(c["waiting_for_receipt"] for c in document["channels"])
    if waiting:
        out.print(f"{waiting} still waiting for a final receipt; run reconcile again later.")
