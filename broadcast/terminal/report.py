"""How the post-incident report looks in a terminal (rich). The core never imports this.

In the incident's language (French, else English), as the Markdown and HTML views.

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
from broadcast.report.summary import report_summary
from broadcast.report.tables import (
    ReportTable,
    format_duration,
    local_time,
    report_heading,
    report_language,
    report_tables,
    say,
)

_TONES = {"good": "green", "bad": "red", "strong": "bold"}


def show_report(data: dict[str, Any], console: Console) -> None:
    """The findings, then one table per section."""
    language = report_language(data)
    heading = Text()
    heading.append(report_heading(data, language), style="bold")
    # Text, never markup: an incident title is the user's words, brackets included.
    heading.append(data["title"], style="bold")
    console.print(heading)
    facts = Text(
        f"{data['incident']} · {say(data['status'], language)} · "
        f"{say(data['severity'], language)} · ",
        style="dim",
    )
    generated = local_time(data["generated_at"])
    facts.append(
        say("report of {at} ({zone})", language, at=generated, zone=data["timezone"]), style="dim"
    )
    console.print(facts)
    console.print(Text(data["headline"], style="italic"))
    console.print()
    for line in report_summary(data, language):
        console.print(Text("• " + line))
    last = data["promises"][-1] if data["promises"] else None
    if last is not None and last["outcome"] == OVERDUE:
        overdue = format_duration(last["late_by_seconds"], language)
        warning = say("The promised update is OVERDUE by {overdue}.", language, overdue=overdue)
        console.print(Text(warning, style="bold red"))
    for table in report_tables(data, language):
        console.print()
        console.print(_rich_table(table, language))


def _rich_table(table: ReportTable, language: str) -> Table | Text:
    if not table.rows:
        return Text(
            say("{title}: {empty}", language, title=table.title, empty=table.empty), style="dim"
        )
    out = Table(title=table.title, title_justify="left", title_style="bold")
    for index, column in enumerate(table.columns):
        out.add_column(column, justify="right" if index in table.numeric else "left")
    tones = table.tones or [None] * len(table.rows)
    for row, tone in zip(table.rows, tones, strict=True):
        out.add_row(*(Text(cell) for cell in row), style=_TONES.get(tone or ""))
    return out
