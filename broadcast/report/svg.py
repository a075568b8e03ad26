"""The report's timeline as SVG: channels as lanes, versions as marks, promises as ticks."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from broadcast.ledger.sqlite import (
    REMINDER,
)
from broadcast.report.evaluation import KEPT, LATE, NO_PROMISE, OVERDUE, PENDING_PROMISE
from broadcast.report.tables import (
    end_of,
    failure_reasons,
    local_time,
    promise_outcome,
    say,
    start_day,
)

if TYPE_CHECKING:
    pass


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


_INK = {
    "ok": ("#2563eb", "#1e3a8a"),
    "partial": ("#f59e0b", "#92400e"),
    "failed": ("#ffffff", "#b91c1c"),
}
PROMISE_INK = {KEPT: "#15803d", LATE: "#b91c1c", OVERDUE: "#b91c1c", PENDING_PROMISE: "#6b7280"}
# The resolution's line: not the green of a kept promise, which it would be mistaken for.
RESOLVED_INK = "#6d28d9"
# After the resolution the axis runs on only this long (or a fortieth of the span).
_AFTER_THE_END = timedelta(minutes=10)
_LABELS = {
    "en": {
        "promised": "promised",
        "started": "started",
        "resolved": "resolved",
        "cancelled": "cancelled",
        "report": "report",
        "of": "Timeline of",
    },
    "fr": {
        "promised": "promis",
        "started": "début",
        "resolved": "résolu",
        "cancelled": "annulé",
        "report": "bilan",
        "of": "Chronologie de",
    },
}

_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
_TEXT_INK = "#374151"
_CHART_WIDTH = 960
_LEFT = 110  # lane labels
_RIGHT = 24
_BAND_TOP, _BAND_HEIGHT = 4, 30  # the row of promise ticks above the lanes
_LANES_TOP = 44
_LANE = 44


def promise_tick(colour: str) -> str:
    return f'<line x1="9" y1="1" x2="9" y2="15" stroke="{colour}" stroke-width="3"/>'


# A promise's outcome said by its shape as well as its colour: kept and late are green and red,
# which look alike (olive) to one man in twelve (deuteranopia). Kept: a bar; late or overdue:
# a cross; pending: a dashed bar.
PROMISE_SHAPES = {KEPT: "bar", LATE: "cross", OVERDUE: "cross", PENDING_PROMISE: "dashed"}


def promise_legend(outcome: str) -> str:
    """A promise's mark in an 18 x 16 box (the legend, the list of narrow screens), in a group
    whose classes report.css recolours in the dark."""
    return f'<g class="promise {outcome}">{promise_symbol(outcome, 9, 1, 15)}</g>'


def resolution_symbol() -> str:
    """The resolution's line in an 18 x 16 box: thin, as on the chart, not a promise's bar."""
    return (
        '<g class="moment moment-ended"><line x1="9" y1="1" x2="9" y2="15"'
        f' stroke="{RESOLVED_INK}" stroke-width="1.5"/></g>'
    )


def promise_symbol(outcome: str, cx: float, top: float, bottom: float) -> str:
    """The mark of a promise of ``outcome`` between ``top`` and ``bottom`` at ``cx``."""
    colour = PROMISE_INK[outcome]
    shape = PROMISE_SHAPES[outcome]
    if shape == "cross":
        r = min(6.0, (bottom - top) / 2)
        mid = (top + bottom) / 2
        return (
            f'<path data-shape="cross" d="M{cx - r:.1f} {mid - r:.1f} L{cx + r:.1f} {mid + r:.1f}'
            f' M{cx + r:.1f} {mid - r:.1f} L{cx - r:.1f} {mid + r:.1f}" stroke="{colour}"'
            ' stroke-width="3" fill="none"/>'
        )
    dash = ' stroke-dasharray="3 2"' if shape == "dashed" else ""
    return (
        f'<line data-shape="{shape}" x1="{cx:.1f}" y1="{top:.1f}" x2="{cx:.1f}" y2="{bottom:.1f}"'
        f' stroke="{colour}" stroke-width="3"{dash}/>'
    )


def mark_shape(kind: str, outcome: str, cx: float, cy: float) -> str:
    fill, stroke = _INK[outcome]
    paint = f'fill="{fill}" stroke="{stroke}" stroke-width="{2 if outcome == "failed" else 1.5}"'
    if kind == REMINDER:
        return (
            f'<path d="M{cx:.1f} {cy - 7.5:.1f} L{cx + 7.5:.1f} {cy:.1f} L{cx:.1f} {cy + 7.5:.1f}'
            f' L{cx - 7.5:.1f} {cy:.1f} Z" {paint}/>'
        )
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6.5" {paint}/>'


@dataclass(frozen=True)
class _Frame:
    """Where things fall on the chart: the time axis from ``low`` to ``high`` over ``width``
    pixels right of the lane labels, and the bottom of the lanes."""

    low: datetime
    high: datetime
    width: int
    lanes_bottom: int

    def x(self, moment: datetime) -> float:
        return _LEFT + (moment - self.low) / (self.high - self.low) * self.width


def timeline_svg(data: dict[str, Any], language: str = "en") -> str:
    """Channels as lanes, each version's batch as a mark at the time it went out on the lane,
    the promised next updates as ticks above them, and an axis of local hours."""
    day = start_day(data)
    channels: list[str] = data["channels"]
    started = datetime.fromisoformat(data["started_at"])
    generated = datetime.fromisoformat(data["generated_at"])
    last_promise = data["promises"][-1] if data["promises"] else None
    still_open = last_promise is not None and last_promise["outcome"] in (PENDING_PROMISE, OVERDUE)
    labels = _LABELS.get(language, _LABELS["en"])
    # The end as its messages said it (ended_at), resolved or cancelled.
    ended, ended_status = end_of(data)
    resolved_at = datetime.fromisoformat(ended) if ended else None
    low, high = _time_span(data, started, resolved_at, generated if still_open else None)
    frame = _Frame(low, high, _CHART_WIDTH - _LEFT - _RIGHT, _LANES_TOP + _LANE * len(channels))

    description = _description(data, local_time(high.isoformat(), day), language)
    out = _chart_opening(data, labels, frame.lanes_bottom + 44, description)
    out += _lanes(channels, frame.width, labels)
    out += _hour_axis(frame, ZoneInfo(data["timezone"]), language)
    out.append(
        _moment_line(
            frame,
            started,
            f"{labels['started']} {local_time(data['started_at'], day)}",
            "#111827",
            kind="started",
        )
    )
    if resolved_at is not None:
        said = labels["cancelled" if ended_status == "cancelled" else "resolved"]
        out.append(_moment_line(frame, resolved_at, said, RESOLVED_INK, kind="ended"))
    if still_open:
        out.append(
            _moment_line(
                frame, generated, labels["report"], "#6b7280", ' stroke-dasharray="2 3"', "report"
            )
        )
    out += _promise_ticks(data, frame, generated, language)
    out += _delivery_marks(data, frame, language)
    out.append("</svg>")
    return "\n".join(out)


def _time_span(
    data: dict[str, Any],
    started: datetime,
    resolved_at: datetime | None,
    open_until: datetime | None,
) -> tuple[datetime, datetime]:
    """The axis's first and last moments: every moment the chart draws, with a margin each side.

    ``open_until`` is the report's own time when the last promise is still open (it is drawn)."""
    parse = datetime.fromisoformat
    moments = [started]
    sent = []
    for version in data["versions"]:
        moments.append(parse(version["created_at"]))
        sent += [parse(batch["at"]) for batch in version["delivery"].values()]
    moments += sent
    for promise in data["promises"]:
        for key in ("promised_at", "answered_at"):
            # A promise for after the resolution was never due: it does not stretch the axis.
            if promise[key] and (resolved_at is None or parse(promise[key]) <= resolved_at):
                moments.append(parse(promise[key]))
    if open_until is not None:
        moments.append(open_until)
    if resolved_at is not None:
        moments.append(resolved_at)
    low, high = min(moments), max(moments)
    span = max(high - low, timedelta(hours=1))
    margin = span / 40
    low = low - margin
    high = high + (min(margin, _AFTER_THE_END) if resolved_at is not None else margin)
    return low, high


def _chart_opening(
    data: dict[str, Any], labels: dict[str, str], height: int, description: str
) -> list[str]:
    """The ``<svg>`` element's opening tag, its title and its description."""
    return [
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" role="img"'
        f' viewBox="0 0 {_CHART_WIDTH} {height}" width="{_CHART_WIDTH}" height="{height}"'
        f' aria-labelledby="timeline-title timeline-desc"'
        # Presentation attributes, not CSS: the chart reads even without report.css, and a
        # strict Content-Security-Policy allows them.
        f' font-family="{_FONT}" font-size="12" fill="{_TEXT_INK}">',
        f'<title id="timeline-title">{labels["of"]} {_esc(data["incident"])}</title>',
        f'<desc id="timeline-desc">{_esc(description)}</desc>',
    ]


def _lanes(channels: list[str], width: int, labels: dict[str, str]) -> list[str]:
    """A striped lane per channel with its name, and the label of the promise band above."""
    out = ['<g class="lanes">']
    for index, channel in enumerate(channels):
        top = _LANES_TOP + index * _LANE
        out.append(
            f'<g class="lane" data-channel="{_esc(channel)}">'
            f'<rect x="{_LEFT}" y="{top}" width="{width}" height="{_LANE}"'
            f' fill="{"#f3f4f6" if index % 2 == 0 else "#ffffff"}"/>'
            f'<text class="lane-label" x="{_LEFT - 10}" y="{top + _LANE / 2 + 4:.1f}"'
            f' text-anchor="end" font-size="13" font-weight="600" fill="#111827">'
            f"{_esc(channel)}</text></g>"
        )
    out.append("</g>")
    out.append(
        f'<text x="{_LEFT - 10}" y="{_BAND_TOP + _BAND_HEIGHT / 2 + 4:.1f}"'
        f' text-anchor="end">{labels["promised"]}</text>'
    )
    return out


def _hour_axis(frame: _Frame, zone: ZoneInfo, language: str) -> list[str]:
    """The axis under the lanes: a grid line and a local time per tick, the day under the first
    tick of each day."""
    bottom = frame.lanes_bottom
    out = ['<g class="axis">']
    out.append(
        f'<line x1="{_LEFT}" y1="{bottom}" x2="{_LEFT + frame.width}" y2="{bottom}"'
        ' stroke="#6b7280"/>'
    )
    previous_day: date | None = None
    for tick in _hour_ticks(frame.low, frame.high, zone):
        tx = frame.x(tick)
        local = tick.astimezone(zone)
        out.append(
            f'<line x1="{tx:.1f}" y1="{_LANES_TOP}" x2="{tx:.1f}" y2="{bottom + 5}"'
            ' stroke="#d1d5db" stroke-width="1"/>'
            f'<text class="hour" x="{tx:.1f}" y="{bottom + 18}" text-anchor="middle">'
            f"{local:%H:%M}</text>"
        )
        if local.date() != previous_day:
            out.append(
                f'<text x="{tx:.1f}" y="{bottom + 34}" text-anchor="middle">'
                f"{_esc(_day_label(local, language))}</text>"
            )
            previous_day = local.date()
    out.append("</g>")
    return out


def _moment_line(
    frame: _Frame, moment: datetime, label: str, colour: str, dash: str = "", kind: str = ""
) -> str:
    """A labelled vertical line across the lanes: the start, the end, the report's time."""
    mx = frame.x(moment)
    # Near the right edge the label goes to the left of its line, so it is never cut.
    anchor = ' text-anchor="end"' if mx > _LEFT + frame.width - 80 else ""
    lx = mx - 4 if anchor else mx + 4
    kind_class = f" moment-{kind}" if kind else ""
    return (
        f'<g class="moment{kind_class}"><line x1="{mx:.1f}" y1="{_LANES_TOP - 2}" x2="{mx:.1f}"'
        f' y2="{frame.lanes_bottom}" stroke="{colour}" stroke-width="1.5"{dash}/>'
        f'<text x="{lx:.1f}" y="{frame.lanes_bottom - 5}" fill="{colour}"{anchor}>'
        f"{_esc(label)}</text></g>"
    )


def _promise_ticks(
    data: dict[str, Any], frame: _Frame, generated: datetime, language: str
) -> list[str]:
    """A tick in the promise band per promised update, coloured by its outcome, with a bar for
    how late it was (or is) and a dashed line down across the lanes."""
    day = start_day(data)
    out = ['<g class="promises">']
    for promise in data["promises"]:
        if promise["outcome"] == NO_PROMISE:
            continue
        colour = PROMISE_INK[promise["outcome"]]
        px = frame.x(datetime.fromisoformat(promise["promised_at"]))
        if px > _LEFT + frame.width:
            continue  # due after the end of the axis (after the resolution)
        parts = [f"<title>{_esc(_promise_tip(promise, day, language))}</title>"]
        if promise["outcome"] in (LATE, OVERDUE):
            answered = promise["answered_at"]
            until = datetime.fromisoformat(answered) if answered else generated
            parts.append(
                f'<rect x="{px:.1f}" y="{_BAND_TOP + _BAND_HEIGHT / 2 - 4:.1f}"'
                f' width="{max(frame.x(until) - px, 1):.1f}" height="8" fill="{colour}"'
                ' fill-opacity="0.3"/>'
            )
        parts.append(
            promise_symbol(promise["outcome"], px, _BAND_TOP + 3, _BAND_TOP + _BAND_HEIGHT - 3)
            + f'<line class="drop" x1="{px:.1f}" y1="{_LANES_TOP}" x2="{px:.1f}"'
            f' y2="{frame.lanes_bottom}"'
            f' stroke="{colour}" stroke-width="1" stroke-dasharray="4 3" stroke-opacity="0.6"/>'
        )
        out.append(
            f'<g class="promise {promise["outcome"]}" data-version="{promise["version"]}">'
            + "".join(parts)
            + "</g>"
        )
    out.append("</g>")
    return out


def _promise_tip(promise: dict[str, Any], day: date, language: str) -> str:
    """The tooltip of a promise's tick: who promised what for when, and what came of it."""
    tip = say(
        "Promise of #{version} (made {made}): next update by {by}: {outcome}",
        language,
        version=promise["version"],
        made=local_time(promise["made_at"], day),
        by=local_time(promise["promised_at"], day),
        outcome=promise_outcome(promise, language),
    )
    if promise["answered_by"]:
        tip += say(
            " (#{number} went out at {at})",
            language,
            number=promise["answered_by"],
            at=local_time(promise["answered_at"], day),
        )
    return tip


def _delivery_marks(data: dict[str, Any], frame: _Frame, language: str) -> list[str]:
    """A mark per version's batch on its channel's lane, at the time it went out."""
    channels: list[str] = data["channels"]
    day = start_day(data)
    out = ['<g class="marks">']
    for version in data["versions"]:
        for channel, batch in version["delivery"].items():
            cy = _LANES_TOP + channels.index(channel) * _LANE + _LANE / 2 + 4
            mx = frame.x(datetime.fromisoformat(batch["at"]))
            outcome = _batch_outcome(batch)
            tip = _mark_tip(version, channel, batch, day, language)
            out.append(
                f'<g class="mark {version["kind"]} {outcome}" data-channel="{_esc(channel)}"'
                f' data-version="{version["number"]}"><title>{_esc(tip)}</title>'
                f"{mark_shape(version['kind'], outcome, mx, cy)}"
                f'<text class="version" x="{mx:.1f}" y="{cy - 11:.1f}" text-anchor="middle"'
                f' fill="#4b5563">'
                f"#{version['number']}</text></g>"
            )
    out.append("</g>")
    return out


def _batch_outcome(batch: dict[str, Any]) -> str:
    """``failed`` if nothing went out, ``partial`` if some failed or are unsettled, else ``ok``."""
    if batch["sent"] == 0:
        return "failed"
    if batch["failed"] or batch["uncertain"] or batch["pending"]:
        return "partial"
    return "ok"


def _mark_tip(
    version: dict[str, Any], channel: str, batch: dict[str, Any], day: date, language: str
) -> str:
    """The tooltip of a mark: the version, when it went out, and what became of its messages."""
    tip = say(
        "{channel}: #{number} {kind} ({status}) at {at}: {sent} sent",
        language,
        channel=channel,
        number=version["number"],
        kind=say(version["kind"], language),
        status=say(version["status"], language),
        at=local_time(batch["at"], day),
        sent=batch["sent"],
    )
    if batch["failed"]:
        reasons = failure_reasons(batch, language)
        tip += say(", {n} failed ({reasons})", language, n=batch["failed"], reasons=reasons)
    for count in ("uncertain", "pending"):
        if batch[count]:
            tip += say(f", {{n}} {count}", language, n=batch[count])
    return tip


def _description(data: dict[str, Any], until: str, language: str) -> str:
    """What the chart shows, in a sentence for those who cannot see it (its ``<desc>``)."""
    channels, versions = data["channels"], len(data["versions"])
    summary = data["promises_summary"]
    made, kept, late = summary["made"], summary[KEPT], summary[LATE]
    start = local_time(data["started_at"])
    if language == "fr":
        return (
            f"{versions} message{'s' * (versions > 1)} sur {len(channels)} "
            f"{'canaux' if len(channels) > 1 else 'canal'} ({', '.join(channels)}), de "
            f"{start} à {until} ; {made} mise{'s' * (made > 1)} à jour "
            f"promise{'s' * (made > 1)} : {kept} tenue{'s' * (kept > 1)}, {late} en retard."
        )
    return (
        f"{versions} message{'s' * (versions != 1)} on {len(channels)} "
        f"channel{'s' * (len(channels) != 1)} ({', '.join(channels)}), from "
        f"{start} to {until}; {made} promised update{'s' * (made != 1)}: "
        f"{kept} kept, {late} late."
    )


def _day_label(moment: datetime, language: str) -> str:
    """``Sun 22 Nov`` / ``dim. 22 nov.``: the day under the first hour of each day."""
    from babel.dates import format_date

    return format_date(moment, "EEE d MMM", locale="fr" if language == "fr" else "en")


def _hour_ticks(low: datetime, high: datetime, zone: ZoneInfo) -> list[datetime]:
    """Whole local hours between ``low`` and ``high``, every 1, 2, 3, 6, 12 or 24 h: ten at most."""
    hours = (high - low).total_seconds() / 3600
    step = next((s for s in (1, 2, 3, 6, 12, 24) if hours / s <= 10), 24 * math.ceil(hours / 240))
    # Quarter hours in absolute time, so that DST changes and :30 offsets land on whole hours.
    moment = low.replace(minute=low.minute // 15 * 15, second=0, microsecond=0)
    ticks = []
    while moment <= high:
        local = moment.astimezone(zone)
        position = local.hour if step < 24 else local.toordinal() * 24 + local.hour
        if moment >= low and local.minute == 0 and position % step == 0:
            ticks.append(moment)
        moment += timedelta(minutes=15)
    return ticks
