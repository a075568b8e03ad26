"""The post-incident report as one self-contained HTML page (inline CSS and the SVG timeline)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from broadcast.report.evaluation import KEPT, LATE, PENDING_PROMISE
from broadcast.report.svg import (
    PROMISE_INK,
    RESOLVED_INK,
    mark_shape,
    promise_tick,
    timeline_svg,
)
from broadcast.report.tables import (
    ReportTable,
    format_duration,
    html_lang,
    local_time,
    report_language,
    report_summary,
    report_tables,
    say,
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
/* The chart keeps its drawn size (text of 12 px and more) and scrolls within its own frame on a
   narrow screen: the page itself never scrolls sideways. */
.chart { overflow-x: auto; }
h1, .headline, dl.facts dd, ul.findings li, td { overflow-wrap: anywhere; }
.chart:focus-visible { outline: 3px solid #1f5fa8; outline-offset: 2px; }
svg.timeline { display: block; width: 960px; max-width: none; height: auto; }
svg.timeline text { font: 12px system-ui, sans-serif; fill: #374151; }
svg.timeline text.lane-label { font-size: 13px; font-weight: 600; fill: #111827; }
svg.timeline text.version { font-size: 12px; fill: #4b5563; }
@media (max-width: 40rem) {
  main { padding: 16px 12px 32px; }
  dl.facts { grid-template-columns: minmax(0, 1fr); }
  dl.facts dd { margin-bottom: .4rem; }
  /* Tables become one block per row, each cell named by its column. */
  table, thead, tbody, tr, th, td { display: block; }
  thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  tr { padding: .4rem 0; border-bottom: 1px solid #d1d5db; }
  th, td { border: 0; padding: .1rem 0; text-align: left; }
  td.n { text-align: left; }
  td[data-label]::before { content: attr(data-label) " : "; color: #4b5563; font-weight: 400; }
}
ul.legend { display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; list-style: none; padding: 0;
  margin: .5rem 0 0; font-size: .9rem; color: #374151; }
ul.legend svg { vertical-align: -2px; margin-right: .3rem; }
"""


# The page's own words, in the incident's language (French, else English).
_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Post-incident report: ",
        "Incident": "Incident",
        "Status": "Status",
        "Severity": "Severity",
        "Started": "Started",
        "Resolved": "Resolved",
        "Report of": "Report of",
        "after": "after",
        "not yet": "not yet",
        "Findings": "Findings",
        "Timeline": "Timeline",
        "no timeline": "Nothing has been sent for this incident yet: no timeline.",
        "update": "update",
        "reminder": "reminder",
        "some deliveries failed": "some deliveries failed",
        "nothing delivered": "nothing delivered",
        "promised update, kept": "promised update, kept",
        "promised update, late": "promised update, late or overdue (bar: the delay)",
        "promised update, pending": "promised update, pending",
        "resolution": "resolution",
    },
    "fr": {
        "title": "Bilan de l'incident : ",
        "Incident": "Incident",
        "Status": "État",
        "Severity": "Gravité",
        "Started": "Début",
        "Resolved": "Résolu",
        "Report of": "Bilan du",
        "after": "au bout de",
        "not yet": "pas encore",
        "Findings": "Constats",
        "Timeline": "Chronologie",
        "no timeline": "Rien n'a encore été envoyé pour cet incident : pas de chronologie.",
        "update": "mise à jour",
        "reminder": "rappel",
        "some deliveries failed": "des envois ont échoué",
        "nothing delivered": "rien n'a été remis",
        "promised update, kept": "mise à jour promise, tenue",
        "promised update, late": "mise à jour promise, en retard ou dépassée (barre : le retard)",
        "promised update, pending": "mise à jour promise, en attente",
        "resolution": "résolution",
        "minor": "mineure",
        "major": "importante",
        "critical": "grave",
    },
}


def report_html(data: dict[str, Any]) -> str:
    """The report as one self-contained HTML page: inline CSS and SVG, nothing to fetch.

    Every text is escaped, and the page's Content-Security-Policy forbids scripts and any
    request: an incident title holding markup stays text, and the file is safe to mail around.
    """
    lang = html_lang(data["locale"])
    language = report_language(data)
    words = _WORDS[language]
    day = start_day(data)
    resolved = (
        f"{local_time(data['resolved_at'], day)}, {words['after']} "
        f"{format_duration(data['duration_seconds'], language)}"
        if data["resolved_at"]
        else words["not yet"]
    )
    facts = [
        (words["Incident"], data["incident"]),
        (words["Status"], say(data["status"], language)),
        (words["Severity"], words.get(data["severity"], data["severity"])),
        (words["Started"], f"{local_time(data['started_at'])} ({data['timezone']})"),
        (words["Resolved"], resolved),
        (words["Report of"], local_time(data["generated_at"])),
    ]
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{_esc(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta http-equiv="Content-Security-Policy"'
        " content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{_esc(words['title'])}{_esc(data['title'])}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        "<header>",
        f"<h1>{_esc(words['title'])}{_esc(data['title'])}</h1>",
        f'<p class="headline">{_esc(data["headline"])}</p>',
        '<dl class="facts">',
        *(f"<dt>{_esc(term)}</dt><dd>{_esc(value)}</dd>" for term, value in facts),
        "</dl>",
        "</header>",
        '<section aria-labelledby="h-findings">',
        f'<h2 id="h-findings">{_esc(words["Findings"])}</h2>',
        '<ul class="findings">',
        *(f"<li>{_esc(line)}</li>" for line in report_summary(data, language)),
        "</ul>",
        "</section>",
        '<section aria-labelledby="h-timeline">',
        f'<h2 id="h-timeline">{_esc(words["Timeline"])}</h2>',
        _timeline_figure(data, language),
        "</section>",
    ]
    for table in report_tables(data, language):
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
            f"<td{_class('n' if i in table.numeric else None)}"
            f' data-label="{_esc(table.columns[i])}">{_esc(cell)}</td>'
            for i, cell in enumerate(row[1:], start=1)
        ]
        out.append(f"<tr{_class(tone)}>{''.join(cells)}</tr>")
    out += ["</tbody>", "</table>", "</section>"]
    return "\n".join(out)


def _timeline_figure(data: dict[str, Any], language: str = "en") -> str:
    words = _WORDS[language]
    if not data["channels"] or not data["versions"]:
        return f"<p>{_esc(words['no timeline'])}</p>"
    legend = [
        (mark_shape("update", "ok", 9, 8), words["update"]),
        (mark_shape("reminder", "ok", 9, 8), words["reminder"]),
        (mark_shape("update", "partial", 9, 8), words["some deliveries failed"]),
        (mark_shape("update", "failed", 9, 8), words["nothing delivered"]),
        (promise_tick(PROMISE_INK[KEPT]), words["promised update, kept"]),
        (promise_tick(PROMISE_INK[LATE]), words["promised update, late"]),
        (promise_tick(PROMISE_INK[PENDING_PROMISE]), words["promised update, pending"]),
        (promise_tick(RESOLVED_INK), words["resolution"]),
    ]
    items = "".join(
        f'<li><svg width="18" height="16" viewBox="0 0 18 16" aria-hidden="true">{shape}</svg>'
        f"{_esc(label)}</li>"
        for shape, label in legend
    )
    return (
        f'<figure>\n<div class="chart" tabindex="0" role="region"'
        f' aria-label="{_esc(words["Timeline"])}">{timeline_svg(data, language)}</div>\n'
        f'<figcaption><ul class="legend">{items}</ul></figcaption>\n</figure>'
    )
