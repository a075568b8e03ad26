"""The report's timeline as a list read from top to bottom, for screens narrower than the chart.

The SVG chart is 960 px wide: on a phone, scaled down its text is unreadable, and kept at size
it shows only its first hours. Below report.css's breakpoint the page shows this list instead:
the same events (the start, each version on each channel, each promised update and what came of
it, the end), in time order, each with the chart's own mark, so nothing of the incident is off
the screen. Plain HTML: without report.css it reads too.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from broadcast.report.evaluation import NO_PROMISE, OVERDUE, PENDING_PROMISE
from broadcast.report.svg import (
    _LABELS,
    _batch_outcome,
    _mark_tip,
    _promise_tip,
    mark_shape,
    promise_legend,
    resolution_symbol,
)
from broadcast.report.tables import end_of, local_time, start_day

# Events at one moment: the start first, then what went out, what was due, and the end.
_ORDER = {"started": 0, "version": 1, "promise": 2, "ended": 3, "report": 4}


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _icon(shape: str) -> str:
    return f'<svg width="18" height="16" viewBox="0 0 18 16" aria-hidden="true">{shape}</svg>'


def timeline_list(data: dict[str, Any], language: str = "en") -> str:
    """``<ol class="timeline-list">``: every event of the chart, oldest first."""
    day = start_day(data)
    labels = _LABELS.get(language, _LABELS["en"])
    parse = datetime.fromisoformat
    events: list[tuple[datetime, int, str]] = []

    def add(moment: str, kind: str, body: str, css: str = "") -> None:
        when = f'<time datetime="{_esc(moment)}">{_esc(local_time(moment, day))}</time>'
        events.append(
            (parse(moment), _ORDER[kind], f'<li class="event-{kind}{css}">{when} {body}</li>')
        )

    add(data["started_at"], "started", _esc(labels["started"]))
    for version in data["versions"]:
        for channel, batch in version["delivery"].items():
            outcome = _batch_outcome(batch)
            shape = _icon(mark_shape(version["kind"], outcome, 9, 8))
            tip = _mark_tip(version, channel, batch, day, language)
            add(batch["at"], "version", f"{shape}{_esc(tip)}", f" {version['kind']} {outcome}")
    ended, ended_status = end_of(data)
    for promise in data["promises"]:
        if promise["outcome"] == NO_PROMISE:
            continue
        outcome = promise["outcome"]
        shape = _icon(promise_legend(outcome))
        tip = _promise_tip(promise, day, language)
        add(promise["promised_at"], "promise", f"{shape}{_esc(tip)}", f" {outcome}")
    if ended:
        said = labels["cancelled" if ended_status == "cancelled" else "resolved"]
        add(ended, "ended", f"{_icon(resolution_symbol())}{_esc(said)}")
    last = data["promises"][-1] if data["promises"] else None
    if last is not None and last["outcome"] in (PENDING_PROMISE, OVERDUE):
        add(data["generated_at"], "report", _esc(labels["report"]))
    events.sort(key=lambda event: (event[0], event[1]))
    return "\n".join(['<ol class="timeline-list">', *(item for _, _, item in events), "</ol>"])
