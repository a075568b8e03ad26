"""The post-incident report as Markdown."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from broadcast.report.tables import local_time, report_summary, report_tables

if TYPE_CHECKING:
    pass

# -- Markdown ------------------------------------------------------------------------------------


def report_markdown(data: dict[str, Any]) -> str:
    """The report as Markdown: a heading, the findings, then one table per section."""
    out = [
        f"# Post-incident report: {_md(data['title'])}",
        "",
        f"`{data['incident']}` · {data['status']} · {data['severity']} · "
        f"report of {local_time(data['generated_at'])} ({_md(data['timezone'])})",
        "",
        f"> {_md(data['headline'])}",
        "",
        *(f"- {_md(line)}" for line in report_summary(data)),
    ]
    for table in report_tables(data):
        out += ["", f"## {_md(table.title)}", ""]
        if not table.rows:
            out.append(table.empty)
            continue
        out.append("| " + " | ".join(_md(c) for c in table.columns) + " |")
        out.append(
            "|"
            + "|".join(
                " ---: " if i in table.numeric else " --- " for i in range(len(table.columns))
            )
            + "|"
        )
        for row, tone in zip(table.rows, table.tones or [None] * len(table.rows), strict=True):
            cells = [_md(cell) for cell in row]
            if tone == "strong":
                cells = [f"**{cell}**" for cell in cells]
            out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    """Text that stays text in Markdown: no HTML, no emphasis or links, no broken table."""
    text = html.escape(text, quote=False).replace("\\", "\\\\")
    for char in "|*_`[]":
        text = text.replace(char, "\\" + char)
    return " ".join(text.split())
