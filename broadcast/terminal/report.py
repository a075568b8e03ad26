"""How the post-incident report looks in a terminal (rich). The core never imports this.

It lays out the tables of :func:`broadcast.report.tables.report_tables`, so the terminal,
Markdown and HTML say the same thing. Only rich and the report module are imported: no pydantic,
no babel.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from broadcast.report.evaluation import OVERDUE
from broadcast.report.tables import (
    ReportTable,
    format_duration,
    local_time,
    report_summary,
    report_tables,
)

_TONES = {"good": "green", "bad": "red", "strong": "bold"}


def show_report(data: dict[str, Any], console: Console) -> None:
    """The findings, then one table per section."""
    heading = Text()
    heading.append("Post-incident report: ", style="bold")
    # Text, never markup: an incident title is the user's words, brackets included.
    heading.append(data["title"], style="bold")
    console.print(heading)
    facts = Text(f"{data['incident']} · {data['status']} · {data['severity']} · ", style="dim")
    facts.append(f"report of {local_time(data['generated_at'])} ({data['timezone']})", style="dim")
    console.print(facts)
    console.print(Text(data["headline"], style="italic"))
    console.print()
    for line in report_summary(data):
        console.print(Text("• " + line))
    last = data["promises"][-1] if data["promises"] else None
    if last is not None and last["outcome"] == OVERDUE:
        overdue = format_duration(last["late_by_seconds"])
        console.print(Text(f"The promised update is OVERDUE by {overdue}.", style="bold red"))
    for table in report_tables(data):
        console.print()
        console.print(_rich_table(table))


def _rich_table(table: ReportTable) -> Table | Text:
    if not table.rows:
        return Text(f"{table.title}: {table.empty}", style="dim")
    out = Table(title=table.title, title_justify="left", title_style="bold")
    for index, column in enumerate(table.columns):
        out.add_column(column, justify="right" if index in table.numeric else "left")
    tones = table.tones or [None] * len(table.rows)
    for row, tone in zip(table.rows, tones, strict=True):
        out.add_row(*(Text(cell) for cell in row), style=_TONES.get(tone or ""))
    return out
