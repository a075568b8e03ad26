"""The post-incident report as one self-contained HTML page (inline CSS and the SVG timeline)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from broadcast.report.evaluation import KEPT, LATE, PENDING_PROMISE
from broadcast.report.svg import PROMISE_INK, mark_shape, promise_tick, timeline_svg
from broadcast.report.tables import (
    ReportTable,
    format_duration,
    html_lang,
    local_time,
    report_summary,
    report_tables,
    start_day,
)

if TYPE_CHECKING:
    pass

# -- HTML --------------------------------------------------------------------------------------

_STYLE = """
:root { color-scheme: light; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #111827; background: #fff; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; padding-bottom: .25rem;
  border-bottom: 1px solid #e5e7eb; }
.headline { margin: .25rem 0 1rem; color: #374151; font-size: 1.05rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
dl.facts dt { color: #4b5563; }
dl.facts dd { margin: 0; }
ul.findings { padding-left: 1.2rem; margin: .5rem 0; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e5e7eb;
  vertical-align: top; }
thead th { background: #f9fafb; font-weight: 600; border-bottom: 2px solid #d1d5db; }
.n { text-align: right; }
tr.strong th, tr.strong td { font-weight: 700; }
table.promises tr.good td:last-child { color: #15803d; font-weight: 600; }
table.promises tr.bad td:last-child, table.speed tr.bad td,
table.delivery tr.bad td:nth-child(3) { color: #b91c1c; font-weight: 600; }
figure { margin: 0; }
svg.timeline { display: block; width: 100%; height: auto; }
svg.timeline text { font: 11px system-ui, sans-serif; fill: #374151; }
svg.timeline text.lane-label { font-size: 12px; font-weight: 600; fill: #111827; }
svg.timeline text.version { font-size: 10px; fill: #4b5563; }
ul.legend { display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; list-style: none; padding: 0;
  margin: .5rem 0 0; font-size: .9rem; color: #374151; }
ul.legend svg { vertical-align: -2px; margin-right: .3rem; }
"""


# Colours of the timeline, also used by the legend.
def report_html(data: dict[str, Any]) -> str:
    """The report as one self-contained HTML page: inline CSS and SVG, nothing to fetch.

    Every text is escaped, and the page's Content-Security-Policy forbids scripts and any
    request: an incident title holding markup stays text, and the file is safe to mail around.
    """
    lang = html_lang(data["locale"])
    day = start_day(data)
    resolved = (
        f"{local_time(data['resolved_at'], day)}, after {format_duration(data['duration_seconds'])}"
        if data["resolved_at"]
        else "not yet"
    )
    facts = [
        ("Incident", data["incident"]),
        ("Status", data["status"]),
        ("Severity", data["severity"]),
        ("Started", f"{local_time(data['started_at'])} ({data['timezone']})"),
        ("Resolved", resolved),
        ("Report of", local_time(data["generated_at"])),
    ]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta http-equiv="Content-Security-Policy"'
        " content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>Post-incident report: {_esc(data['title'])}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        "<header>",
        f'<h1>Post-incident report: <span lang="{_esc(lang)}">{_esc(data["title"])}</span></h1>',
        f'<p class="headline" lang="{_esc(lang)}">{_esc(data["headline"])}</p>',
        '<dl class="facts">',
        *(f"<dt>{_esc(term)}</dt><dd>{_esc(value)}</dd>" for term, value in facts),
        "</dl>",
        "</header>",
        '<section aria-labelledby="h-findings">',
        '<h2 id="h-findings">Findings</h2>',
        '<ul class="findings">',
        *(f"<li>{_esc(line)}</li>" for line in report_summary(data)),
        "</ul>",
        "</section>",
        '<section aria-labelledby="h-timeline">',
        '<h2 id="h-timeline">Timeline</h2>',
        _timeline_figure(data),
        "</section>",
    ]
    for table in report_tables(data):
        out.append(_html_table(table))
    out += ["</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _class(name: str | None) -> str:
    return f' class="{name}"' if name else ""


def _html_table(table: ReportTable) -> str:
    heading = f"h-{table.key}"
    kind = "delivery" if table.key.startswith("delivery") else table.key
    out = [f'<section aria-labelledby="{heading}">', f'<h2 id="{heading}">{_esc(table.title)}</h2>']
    if not table.rows:
        out += [f"<p>{_esc(table.empty)}</p>", "</section>"]
        return "\n".join(out)
    out += [f'<table class="{kind}" aria-labelledby="{heading}">', "<thead><tr>"]
    out += [
        f'<th scope="col"{_class("n" if i in table.numeric else None)}>{_esc(column)}</th>'
        for i, column in enumerate(table.columns)
    ]
    out.append("</tr></thead>")
    out.append("<tbody>")
    tones = table.tones or [None] * len(table.rows)
    for row, tone in zip(table.rows, tones, strict=True):
        cells = [f'<th scope="row">{_esc(row[0])}</th>']
        cells += [
            f"<td{_class('n' if i in table.numeric else None)}>{_esc(cell)}</td>"
            for i, cell in enumerate(row[1:], start=1)
        ]
        out.append(f"<tr{_class(tone)}>{''.join(cells)}</tr>")
    out += ["</tbody>", "</table>", "</section>"]
    return "\n".join(out)


def _timeline_figure(data: dict[str, Any]) -> str:
    if not data["channels"] or not data["versions"]:
        return "<p>Nothing has been sent for this incident yet: no timeline.</p>"
    legend = [
        (mark_shape("update", "ok", 9, 8), "update"),
        (mark_shape("reminder", "ok", 9, 8), "reminder"),
        (mark_shape("update", "partial", 9, 8), "some deliveries failed"),
        (mark_shape("update", "failed", 9, 8), "nothing delivered"),
        (promise_tick(PROMISE_INK[KEPT]), "promised update, kept"),
        (promise_tick(PROMISE_INK[LATE]), "promised update, late or overdue (bar: the delay)"),
        (promise_tick(PROMISE_INK[PENDING_PROMISE]), "promised update, pending"),
    ]
    items = "".join(
        f'<li><svg width="18" height="16" viewBox="0 0 18 16" aria-hidden="true">{shape}</svg>'
        f"{_esc(label)}</li>"
        for shape, label in legend
    )
    return (
        f"<figure>\n{timeline_svg(data)}\n"
        f'<figcaption><ul class="legend">{items}</ul></figcaption>\n</figure>'
    )
