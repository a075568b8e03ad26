"""The post-incident report as an HTML page with its SVG timeline, and the stylesheet beside it.

The page has no inline style or script: its styles are ``report.css`` (written beside it), the
chart's are SVG presentation attributes. It works under ``Content-Security-Policy: default-src
'self'`` on a web server, and opened as a file; without its stylesheet (mailed alone), the chart
still reads and the rest is plain HTML.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcast.content.typography import french
from broadcast.report.evaluation import KEPT, LATE, PENDING_PROMISE
from broadcast.report.summary import report_summary
from broadcast.report.svg import (
    mark_shape,
    promise_legend,
    resolution_symbol,
    timeline_svg,
)
from broadcast.report.tables import (
    ReportTable,
    end_fact,
    html_lang,
    local_time,
    report_heading,
    report_language,
    report_tables,
    say,
)
from broadcast.report.timeline_list import timeline_list

if TYPE_CHECKING:
    pass

# The page's stylesheet: its name beside the page, and the file shipped with the package.
STYLESHEET = "report.css"
STYLES = Path(__file__).with_name(STYLESHEET)


# The page's own words, in the incident's language (French, else English).
_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Post-incident report: ",
        "Incident": "Incident",
        "Status": "Status",
        "Severity": "Severity",
        "Started": "Started",
        "Report of": "Report of",
        "Findings": "Findings",
        "Timeline": "Timeline",
        "Area": "Area and recipients (density)",
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
        "Report of": "Bilan du",
        "Findings": "Constats",
        "Timeline": "Chronologie",
        "Area": "Zone et destinataires (densité)",
        "no timeline": "Rien n'a encore été envoyé pour cet incident : pas de chronologie.",
        "update": "mise à jour",
        "reminder": "rappel",
        "some deliveries failed": "des envois ont échoué",
        "nothing delivered": "rien n'a été remis",
        "promised update, kept": "mise à jour promise, tenue",
        "promised update, late": "mise à jour promise, en retard ou dépassée (barre : le retard)",
        "promised update, pending": "mise à jour promise, en attente",
        "resolution": "résolution",
    },
}


def report_html(data: dict[str, Any]) -> str:
    """The report as an HTML page whose only request is its stylesheet, ``report.css`` beside
    it (``STYLES``, which the CLI writes there).

    Every text is escaped, and the page's Content-Security-Policy forbids scripts and any
    request but that stylesheet: an incident title holding markup stays text.
    """
    lang = html_lang(data["locale"])
    language = report_language(data)
    words = _WORDS[language]
    facts = [
        (words["Incident"], data["incident"]),
        (words["Status"], say(data["status"], language)),
        (words["Severity"], say(data["severity"], language)),
        (words["Started"], f"{local_time(data['started_at'])} ({data['timezone']})"),
        end_fact(data, language),
        (words["Report of"], local_time(data["generated_at"])),
    ]
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{_esc(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta http-equiv="Content-Security-Policy"'
        " content=\"default-src 'none'; style-src 'self'\">",
        f"<title>{_esc(report_heading(data, language))}{_esc(data['title'])}</title>",
        f'<link rel="stylesheet" href="{STYLESHEET}">',
        "</head>",
        "<body>",
        "<main>",
        "<header>",
        f"<h1>{_esc(report_heading(data, language))}{_esc(data['title'])}</h1>",
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
    if data.get("area_map"):
        # Drawn by content.area_map: presentation attributes only, every text escaped there.
        out += [
            '<section aria-labelledby="h-area">',
            f'<h2 id="h-area">{_esc(words["Area"])}</h2>',
            f"<figure>{data['area_map']}</figure>",
            "</section>",
        ]
    for table in report_tables(data, language):
        out.append(_html_table(table))
    out += ["</main>", "</body>", "</html>"]
    page = "\n".join(out) + "\n"
    # French spacing, as on every other French surface: one pass over the page's text.
    return french(page, markup=True) if language == "fr" else page


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
        (promise_legend(KEPT), words["promised update, kept"]),
        (promise_legend(LATE), words["promised update, late"]),
        (promise_legend(PENDING_PROMISE), words["promised update, pending"]),
        (resolution_symbol(), words["resolution"]),
    ]
    items = "".join(
        f'<li><svg width="18" height="16" viewBox="0 0 18 16" aria-hidden="true">{shape}</svg>'
        f"{_esc(label)}</li>"
        for shape, label in legend
    )
    # The chart where it fits at its size, the same events as a list where it does not
    # (report.css chooses by the width of the screen).
    return (
        f'<figure>\n<div class="chart" tabindex="0" role="region"'
        f' aria-label="{_esc(words["Timeline"])}">{timeline_svg(data, language)}</div>\n'
        f"{timeline_list(data, language)}\n"
        f'<figcaption><ul class="legend">{items}</ul></figcaption>\n</figure>'
    )
