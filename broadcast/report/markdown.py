"""The post-incident report as Markdown, in the incident's language (French, else English)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from broadcast.content.typography import french
from broadcast.report.summary import report_summary
from broadcast.report.tables import local_time, report_heading, report_language, report_tables, say

if TYPE_CHECKING:
    pass

# -- Markdown ------------------------------------------------------------------------------------


def report_markdown(data: dict[str, Any]) -> str:
    """The report as Markdown: a heading, the findings, then one table per section."""
    language = report_language(data)
    generated = say(
        "report of {at} ({zone})",
        language,
        at=local_time(data["generated_at"]),
        zone=_md(data["timezone"]),
    )
    out = [
        f"# {report_heading(data, language)}{_md(data['title'])}",
        "",
        f"`{data['incident']}` · {say(data['status'], language)} · "
        f"{say(data['severity'], language)} · {generated}",
        "",
        f"> {_md(data['headline'])}",
        "",
        *(f"- {_md(line)}" for line in report_summary(data, language)),
    ]
    for table in report_tables(data, language):
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
    text = "\n".join(out) + "\n"
    # French spacing, as on every other French surface: one pass over the text.
    return french(text) if language == "fr" else text


def _md(text: str) -> str:
    """Text that stays text in Markdown: no HTML, no emphasis or links, no broken table."""
    text = html.escape(text, quote=False).replace("\\", "\\\\")
    for char in "|*_`[]":
        text = text.replace(char, "\\" + char)
    return " ".join(text.split())
