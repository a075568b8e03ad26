"""What the ledger says about an incident: its status now, and the post-incident evaluation.

``incident_status`` is ``broadcast status``. ``post_incident_report`` is ``broadcast report``:
how soon the first message went out on each channel, every update and reminder, whether each
promised next update was kept, and what was delivered per channel and reason. It returns one
JSON-ready document; ``report_tables`` turns it into titled tables of text that
``report_markdown``, ``report_html`` (a self-contained page with an SVG timeline) and
``broadcast.terminal.report`` lay out, so the three always say the same thing.

Importing this module stays cheap (no pydantic, no babel): the terminal view depends on it.
"""

from __future__ import annotations

import html
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from broadcast.ledger.sqlite import (
    FAILED_PERMANENT,
    FAILED_TRANSIENT,
    REMINDER,
    SENT,
    STATES,
    UNCERTAIN,
    Ledger,
    Version,
)

if TYPE_CHECKING:
    from broadcast.input.incident import Incident


def incident_status(ledger: Ledger, incident: Incident, now: datetime) -> dict[str, Any]:
    """The status of ``broadcast status``: one document, the same for the terminal and JSON."""
    versions = ledger.versions(incident.id)
    latest = versions[-1] if versions else None
    channels: dict[str, dict[str, int]] = {}
    failures: dict[str, Counter[str]] = {}
    if latest is not None:
        for channel, counts in ledger.counts(latest.id).items():
            channels[channel] = {state: counts.get(state, 0) for state in STATES}
        for delivery in ledger.deliveries(
            latest.id, states=(FAILED_TRANSIENT, FAILED_PERMANENT, UNCERTAIN)
        ):
            reason = UNCERTAIN if delivery.state == UNCERTAIN else delivery.error_code or "error"
            failures.setdefault(delivery.channel, Counter())[reason] += 1
    promised = latest.next_update_at if latest else None
    overdue = promised is not None and incident.status != "resolved" and now > promised
    return {
        "incident": incident.id,
        "status": incident.status,
        "versions": [
            {
                "id": v.id,
                "kind": v.kind,
                "status": v.status,
                "created_at": v.created_at.astimezone(incident.zone).isoformat(),
                "next_update_at": v.next_update_at.astimezone(incident.zone).isoformat()
                if v.next_update_at
                else None,
                "channels": list(v.channels),
                "complete": v.completed_at is not None,
                "run_by": v.run_by,
            }
            for v in versions
        ],
        "latest": latest.id if latest else None,
        "channels": channels,
        "failures": {channel: dict(c) for channel, c in failures.items()},
        "next_update_at": promised.astimezone(incident.zone).isoformat() if promised else None,
        "timezone": incident.timezone,
        "overdue": overdue,
        "overdue_by_minutes": int((now - promised).total_seconds() // 60) if overdue else 0,
    }


# -- the post-incident evaluation ------------------------------------------------------------

KEPT = "kept"
LATE = "late"
PENDING_PROMISE = "pending"
OVERDUE = "overdue"
NO_PROMISE = "none"


def post_incident_report(ledger: Ledger, incident: Incident, now: datetime) -> dict[str, Any]:
    """The evaluation of ``broadcast report``: one JSON-ready document for every format.

    Times are ISO 8601 in the incident's timezone, durations are whole seconds. A message
    "went out" when the provider took it: the first ``sent`` delivery's ``updated_at``. A
    promise (``next_update_at``) is answered by the next version, when that one went out (its
    own time if nothing of it was sent); the last one is ``pending`` or ``overdue`` at ``now``.
    """
    zone = incident.zone

    def stamp(moment: datetime | None) -> str | None:
        return moment.astimezone(zone).isoformat(timespec="seconds") if moment else None

    versions = ledger.versions(incident.id)
    groups = ledger.delivery_groups(incident.id)
    channels = _channel_order(versions, groups)
    batches: dict[tuple[int, str], dict[str, Any]] = {}
    first_sent: dict[tuple[int, str], datetime] = {}
    first_seen: dict[tuple[int, str], datetime] = {}
    for group in groups:
        key = (group["version_id"], group["channel"])
        _count(batches.setdefault(key, _empty_counts()), group)
        first_seen[key] = min(first_seen.get(key, group["first_at"]), group["first_at"])
        if group["state"] == SENT:
            first_sent[key] = min(first_sent.get(key, group["first_at"]), group["first_at"])

    def went_out(version: Version) -> datetime | None:
        times = [first_sent[(version.id, c)] for c in channels if (version.id, c) in first_sent]
        return min(times) if times else None

    version_docs = []
    for number, version in enumerate(versions, start=1):
        delivery = {}
        for channel in channels:
            key = (version.id, channel)
            if key in batches:
                at = first_sent.get(key) or first_seen[key]
                delivery[channel] = {"at": stamp(at), **_sorted_reasons(batches[key])}
        version_docs.append(
            {
                "number": number,
                "id": version.id,
                "kind": version.kind,
                "status": version.status,
                "created_at": stamp(version.created_at),
                "next_update_at": stamp(version.next_update_at),
                "channels": list(version.channels),
                "went_out_at": stamp(went_out(version)),
                "complete": version.completed_at is not None,
                "delivery": delivery,
            }
        )

    numbers = {version.id: number for number, version in enumerate(versions, start=1)}
    speed: dict[str, dict[str, Any]] = {}
    for channel in channels:
        sent = [(at, vid) for (vid, c), at in first_sent.items() if c == channel]
        at, vid = min(sent) if sent else (None, None)
        speed[channel] = {
            "first_sent_at": stamp(at),
            "after_seconds": _seconds(at - incident.started_at) if at else None,
            "version": numbers[vid] if vid is not None else None,
        }
    reached = [(doc["first_sent_at"], channel) for channel, doc in speed.items() if doc["version"]]
    first_message = None
    if reached:
        _, first_channel = min(reached, key=lambda item: datetime.fromisoformat(item[0]))
        first_message = {"channel": first_channel, **speed[first_channel]}

    promises = []
    for index, version in enumerate(versions):
        promise: dict[str, Any] = {
            "version": index + 1,
            "made_at": stamp(version.created_at),
            "promised_at": stamp(version.next_update_at),
            "answered_by": None,
            "answered_at": None,
            "late_by_seconds": None,
        }
        if version.status == "resolved" or version.next_update_at is None:
            promise["outcome"] = NO_PROMISE
        elif index + 1 < len(versions):
            following = versions[index + 1]
            answered = went_out(following) or following.created_at
            late = _seconds(answered - version.next_update_at)
            promise.update(
                outcome=KEPT if late <= 0 else LATE,
                answered_by=index + 2,
                answered_at=stamp(answered),
                late_by_seconds=max(late, 0),
            )
        else:
            late = _seconds(now - version.next_update_at)
            promise.update(
                outcome=PENDING_PROMISE if late <= 0 else OVERDUE,
                late_by_seconds=max(late, 0),
            )
        promises.append(promise)
    outcomes = Counter(p["outcome"] for p in promises)
    lateness = [p["late_by_seconds"] for p in promises if p["outcome"] == LATE]

    all_versions = {channel: _empty_counts() for channel in channels}
    for group in groups:
        _count(all_versions[group["channel"]], group)
    last = versions[-1] if versions else None
    last_version = {
        channel: _sorted_reasons(batches.get((last.id, channel), _empty_counts()))
        for channel in channels
        if last is not None and (channel in last.channels or (last.id, channel) in batches)
    }

    resolved_at = None
    if versions and versions[-1].status == "resolved":
        first_resolved = len(versions) - 1
        while first_resolved > 0 and versions[first_resolved - 1].status == "resolved":
            first_resolved -= 1
        final = versions[first_resolved]
        resolved_at = went_out(final) or final.created_at

    reminders = sum(version.kind == REMINDER for version in versions)
    return {
        "incident": incident.id,
        "title": incident.title,
        "headline": incident.headline,
        "status": incident.status,
        "severity": incident.severity,
        "locale": incident.locale,
        "timezone": incident.timezone,
        "started_at": stamp(incident.started_at),
        "resolved_at": stamp(resolved_at),
        "duration_seconds": _seconds(resolved_at - incident.started_at) if resolved_at else None,
        "generated_at": stamp(now),
        "channels": channels,
        "speed": {"first_message": first_message, "channels": speed},
        "versions": version_docs,
        "promises": promises,
        "promises_summary": {
            "made": len(promises) - outcomes[NO_PROMISE],
            KEPT: outcomes[KEPT],
            LATE: outcomes[LATE],
            PENDING_PROMISE: outcomes[PENDING_PROMISE],
            OVERDUE: outcomes[OVERDUE],
            "worst_late_seconds": max(lateness, default=0),
        },
        "delivery": {
            "all_versions": {c: _sorted_reasons(n) for c, n in all_versions.items()},
            "last_version": last_version,
            "last_version_number": len(versions) or None,
        },
        "reminders": {
            "count": reminders,
            "versions": len(versions),
            "share": round(reminders / len(versions), 4) if versions else 0.0,
        },
    }


def _channel_order(versions: list[Version], groups: list[dict[str, Any]]) -> list[str]:
    """Channels in the order they were first used: the order of channels.yaml."""
    order: dict[str, None] = {}
    for version in versions:
        order.update(dict.fromkeys(version.channels))
    order.update(dict.fromkeys(group["channel"] for group in groups))
    return list(order)


def _empty_counts() -> dict[str, Any]:
    return {
        "total": 0,
        "sent": 0,
        "failed": 0,
        "failed_transient": 0,
        "failed_permanent": 0,
        "failed_by_reason": {},
        "uncertain": 0,
        "pending": 0,
    }


def _count(counts: dict[str, Any], group: dict[str, Any]) -> None:
    state, n = group["state"], group["count"]
    counts["total"] += n
    if state == SENT:
        counts["sent"] += n
    elif state in (FAILED_TRANSIENT, FAILED_PERMANENT):
        counts["failed"] += n
        counts["failed_transient" if state == FAILED_TRANSIENT else "failed_permanent"] += n
        reason = group["error_code"] or "error"
        counts["failed_by_reason"][reason] = counts["failed_by_reason"].get(reason, 0) + n
    elif state == UNCERTAIN:
        counts["uncertain"] += n
    else:
        # ``sending`` as well: a report taken while a run is delivering sees those in flight.
        counts["pending"] += n


def _sorted_reasons(counts: dict[str, Any]) -> dict[str, Any]:
    reasons = sorted(counts["failed_by_reason"].items(), key=lambda item: (-item[1], item[0]))
    return {**counts, "failed_by_reason": dict(reasons)}


def _seconds(delta: timedelta) -> int:
    return math.floor(delta.total_seconds())


# -- the same words for every format -----------------------------------------------------------


@dataclass(frozen=True)
class ReportTable:
    """One table of the report as plain text cells; each format lays it out its own way.

    ``tones`` gives each row a meaning a format may colour: ``good``, ``bad``, ``strong``.
    """

    key: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    numeric: frozenset[int] = frozenset()
    tones: list[str | None] = field(default_factory=list)
    empty: str = "Nothing was sent."


def format_duration(seconds: float | None) -> str:
    """``1 h 05 min``, ``25 min``, ``45 s``, ``2 d 3 h``; ``—`` when there is none."""
    if seconds is None:
        return "—"
    sign = "-" if seconds < 0 else ""
    whole = int(abs(seconds))
    if whole < 60:
        return f"{sign}{whole} s"
    days, rest = divmod(whole // 60, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{sign}{days} d {hours} h" if hours else f"{sign}{days} d"
    if hours:
        return f"{sign}{hours} h {minutes:02d} min" if minutes else f"{sign}{hours} h"
    return f"{sign}{minutes} min"


def local_time(text: str | None, day: date | None = None) -> str:
    """``09:41`` on ``day`` (the day the incident started), the date too on any other day."""
    if not text:
        return "—"
    moment = datetime.fromisoformat(text)
    return f"{moment:%H:%M}" if moment.date() == day else f"{moment:%Y-%m-%d %H:%M}"


def promise_outcome(promise: dict[str, Any]) -> str:
    """``kept``, ``late by 25 min``, ``pending``, ``overdue by 30 min``, ``none (resolved)``."""
    outcome = promise["outcome"]
    if outcome in (LATE, OVERDUE):
        return f"{outcome} by {format_duration(promise['late_by_seconds'])}"
    if outcome == NO_PROMISE:
        return "none (resolved)" if promise["promised_at"] is None else "none"
    return str(outcome)


def failure_reasons(counts: dict[str, Any]) -> str:
    return ", ".join(f"{code}: {n}" for code, n in counts["failed_by_reason"].items()) or "—"


def report_summary(data: dict[str, Any]) -> list[str]:
    """The findings in a few sentences, before the tables."""
    day = _start_day(data)
    zone = data["timezone"]
    lines = [f"Started {local_time(data['started_at'])} ({zone})."]
    if data["resolved_at"]:
        lines[0] = (
            f"Started {local_time(data['started_at'])} ({zone}); resolved "
            f"{local_time(data['resolved_at'], day)}, after "
            f"{format_duration(data['duration_seconds'])}."
        )
    first = data["speed"]["first_message"]
    if first is None:
        lines.append("Nothing has been sent for this incident yet.")
        return lines
    lines.append(
        f"First message {format_duration(first['after_seconds'])} after the start "
        f"({first['channel']}, {local_time(first['first_sent_at'], day)})."
    )
    promises = data["promises_summary"]
    if promises["made"]:
        parts = [f"{promises[KEPT]} kept"]
        if promises[LATE]:
            worst = format_duration(promises["worst_late_seconds"])
            parts.append(f"{promises[LATE]} late (worst by {worst})")
        if promises[OVERDUE]:
            overdue = format_duration(data["promises"][-1]["late_by_seconds"])
            parts.append(f"the last overdue by {overdue}")
        if promises[PENDING_PROMISE]:
            parts.append(f"{promises[PENDING_PROMISE]} pending")
        made = promises["made"]
        lines.append(f"{made} promised update{'s' * (made != 1)}: {', '.join(parts)}.")
    reminders = data["reminders"]
    lines.append(
        f"{reminders['count']} reminder{'s' * (reminders['count'] != 1)} out of "
        f"{reminders['versions']} message{'s' * (reminders['versions'] != 1)} "
        f"({reminders['share']:.0%})."
    )
    return lines


def report_tables(data: dict[str, Any]) -> list[ReportTable]:
    """Speed, updates, promises, and delivery over all versions and for the last one."""
    day = _start_day(data)
    speed_rows: list[tuple[str, ...]] = []
    tones: list[str | None] = []
    first = data["speed"]["first_message"]
    if first is not None:
        speed_rows.append(
            (
                f"first message ({first['channel']})",
                local_time(first["first_sent_at"], day),
                format_duration(first["after_seconds"]),
                f"#{first['version']}",
            )
        )
        tones.append("strong")
    for channel, doc in data["speed"]["channels"].items():
        speed_rows.append(
            (
                channel,
                local_time(doc["first_sent_at"], day),
                format_duration(doc["after_seconds"]),
                f"#{doc['version']}" if doc["version"] else "never sent",
            )
        )
        tones.append(None if doc["version"] else "bad")
    speed = ReportTable(
        "speed",
        "Time to first message",
        ("channel", "first sent", "after the start", "version"),
        speed_rows,
        frozenset({2}),
        tones,
    )

    updates = ReportTable(
        "updates",
        "Updates",
        ("#", "time", "kind", "status", "went out", "sent", "failed", "next update promised"),
        [
            (
                str(v["number"]),
                local_time(v["created_at"], day),
                v["kind"],
                v["status"],
                local_time(v["went_out_at"], day),
                str(sum(d["sent"] for d in v["delivery"].values())),
                str(sum(d["failed"] for d in v["delivery"].values())),
                local_time(v["next_update_at"], day),
            )
            for v in data["versions"]
        ],
        frozenset({0, 5, 6}),
    )

    promise_tones = {KEPT: "good", LATE: "bad", OVERDUE: "bad"}
    promises = ReportTable(
        "promises",
        "Promised updates",
        ("#", "made", "promised for", "next message", "outcome"),
        [
            (
                str(p["version"]),
                local_time(p["made_at"], day),
                local_time(p["promised_at"], day),
                f"#{p['answered_by']} at {local_time(p['answered_at'], day)}"
                if p["answered_by"]
                else "—",
                promise_outcome(p),
            )
            for p in data["promises"]
        ],
        frozenset({0}),
        [promise_tones.get(p["outcome"]) for p in data["promises"]],
    )

    def delivery(key: str, title: str, per_channel: dict[str, dict[str, Any]]) -> ReportTable:
        return ReportTable(
            key,
            title,
            ("channel", "sent", "failed", "failed by reason", "uncertain", "pending"),
            [
                (
                    channel,
                    str(counts["sent"]),
                    str(counts["failed"]),
                    failure_reasons(counts),
                    str(counts["uncertain"]),
                    str(counts["pending"]),
                )
                for channel, counts in per_channel.items()
            ],
            frozenset({1, 2, 4, 5}),
            [
                "bad" if counts["failed"] or counts["uncertain"] else None
                for counts in per_channel.values()
            ],
        )

    last = data["delivery"]["last_version_number"]
    return [
        speed,
        updates,
        promises,
        delivery(
            "delivery_all", "Delivery per channel, all versions", data["delivery"]["all_versions"]
        ),
        delivery(
            "delivery_last",
            f"Delivery per channel, last version (#{last})" if last else "Delivery, last version",
            data["delivery"]["last_version"],
        ),
    ]


def _start_day(data: dict[str, Any]) -> date:
    return datetime.fromisoformat(data["started_at"]).date()


def _lang(locale: str) -> str:
    """``fr_CA`` → ``fr-CA``: the BCP 47 tag HTML's ``lang`` wants."""
    return locale.replace("_", "-")


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
_INK = {
    "ok": ("#2563eb", "#1e3a8a"),
    "partial": ("#f59e0b", "#92400e"),
    "failed": ("#ffffff", "#b91c1c"),
}
_PROMISE_INK = {KEPT: "#15803d", LATE: "#b91c1c", OVERDUE: "#b91c1c", PENDING_PROMISE: "#6b7280"}

_CHART_WIDTH = 960
_LEFT = 110  # lane labels
_RIGHT = 24
_BAND_TOP, _BAND_HEIGHT = 4, 30  # the row of promise ticks above the lanes
_LANES_TOP = 44
_LANE = 44


def report_html(data: dict[str, Any]) -> str:
    """The report as one self-contained HTML page: inline CSS and SVG, nothing to fetch.

    Every text is escaped, and the page's Content-Security-Policy forbids scripts and any
    request: an incident title holding markup stays text, and the file is safe to mail around.
    """
    lang = _lang(data["locale"])
    day = _start_day(data)
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
        (_mark_shape("update", "ok", 9, 8), "update"),
        (_mark_shape("reminder", "ok", 9, 8), "reminder"),
        (_mark_shape("update", "partial", 9, 8), "some deliveries failed"),
        (_mark_shape("update", "failed", 9, 8), "nothing delivered"),
        (_tick(_PROMISE_INK[KEPT]), "promised update, kept"),
        (_tick(_PROMISE_INK[LATE]), "promised update, late or overdue (bar: the delay)"),
        (_tick(_PROMISE_INK[PENDING_PROMISE]), "promised update, pending"),
    ]
    items = "".join(
        f'<li><svg width="18" height="16" viewBox="0 0 18 16" aria-hidden="true">{shape}</svg>'
        f"{_esc(label)}</li>"
        for shape, label in legend
    )
    return (
        f"<figure>\n{_timeline_svg(data)}\n"
        f'<figcaption><ul class="legend">{items}</ul></figcaption>\n</figure>'
    )


def _tick(colour: str) -> str:
    return f'<line x1="9" y1="1" x2="9" y2="15" stroke="{colour}" stroke-width="3"/>'


def _mark_shape(kind: str, outcome: str, cx: float, cy: float) -> str:
    fill, stroke = _INK[outcome]
    paint = f'fill="{fill}" stroke="{stroke}" stroke-width="{2 if outcome == "failed" else 1.5}"'
    if kind == REMINDER:
        return (
            f'<path d="M{cx:.1f} {cy - 7.5:.1f} L{cx + 7.5:.1f} {cy:.1f} L{cx:.1f} {cy + 7.5:.1f}'
            f' L{cx - 7.5:.1f} {cy:.1f} Z" {paint}/>'
        )
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6.5" {paint}/>'


def _timeline_svg(data: dict[str, Any]) -> str:
    """Channels as lanes, each version's batch as a mark at the time it went out on the lane,
    the promised next updates as ticks above them, and an axis of local hours."""
    zone = ZoneInfo(data["timezone"])
    day = _start_day(data)
    channels: list[str] = data["channels"]
    parse = datetime.fromisoformat
    started = parse(data["started_at"])
    generated = parse(data["generated_at"])
    last_promise = data["promises"][-1] if data["promises"] else None
    still_open = last_promise is not None and last_promise["outcome"] in (PENDING_PROMISE, OVERDUE)

    moments = [started]
    for version in data["versions"]:
        moments.append(parse(version["created_at"]))
        moments += [parse(batch["at"]) for batch in version["delivery"].values()]
    for promise in data["promises"]:
        moments += [parse(promise[k]) for k in ("promised_at", "answered_at") if promise[k]]
    if still_open:
        moments.append(generated)
    low, high = min(moments), max(moments)
    span = max(high - low, timedelta(hours=1))
    low, high = low - span / 40, low + span + span / 40
    width = _CHART_WIDTH - _LEFT - _RIGHT

    def x(moment: datetime) -> float:
        return _LEFT + (moment - low) / (high - low) * width

    lanes_bottom = _LANES_TOP + _LANE * len(channels)
    height = lanes_bottom + 44
    versions, made = len(data["versions"]), data["promises_summary"]["made"]
    description = (
        f"{versions} message{'s' * (versions != 1)} on {len(channels)} "
        f"channel{'s' * (len(channels) != 1)} ({', '.join(channels)}), from "
        f"{local_time(data['started_at'])} to {local_time(high.isoformat(), day)}; "
        f"{made} promised update{'s' * (made != 1)}: "
        f"{data['promises_summary'][KEPT]} kept, {data['promises_summary'][LATE]} late."
    )
    out = [
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" role="img"'
        f' viewBox="0 0 {_CHART_WIDTH} {height}" width="{_CHART_WIDTH}" height="{height}"'
        f' aria-labelledby="timeline-title timeline-desc">',
        f'<title id="timeline-title">Timeline of {_esc(data["incident"])}</title>',
        f'<desc id="timeline-desc">{_esc(description)}</desc>',
    ]

    out.append('<g class="lanes">')
    for index, channel in enumerate(channels):
        top = _LANES_TOP + index * _LANE
        out.append(
            f'<g class="lane" data-channel="{_esc(channel)}">'
            f'<rect x="{_LEFT}" y="{top}" width="{width}" height="{_LANE}"'
            f' fill="{"#f3f4f6" if index % 2 == 0 else "#ffffff"}"/>'
            f'<text class="lane-label" x="{_LEFT - 10}" y="{top + _LANE / 2 + 4:.1f}"'
            f' text-anchor="end">{_esc(channel)}</text></g>'
        )
    out.append("</g>")
    out.append(
        f'<text x="{_LEFT - 10}" y="{_BAND_TOP + _BAND_HEIGHT / 2 + 4:.1f}"'
        f' text-anchor="end">promised</text>'
    )

    out.append('<g class="axis">')
    out.append(
        f'<line x1="{_LEFT}" y1="{lanes_bottom}" x2="{_LEFT + width}" y2="{lanes_bottom}"'
        ' stroke="#6b7280"/>'
    )
    previous_day: date | None = None
    for tick in _hour_ticks(low, high, zone):
        tx = x(tick)
        local = tick.astimezone(zone)
        out.append(
            f'<line x1="{tx:.1f}" y1="{_LANES_TOP}" x2="{tx:.1f}" y2="{lanes_bottom + 5}"'
            ' stroke="#d1d5db" stroke-width="1"/>'
            f'<text class="hour" x="{tx:.1f}" y="{lanes_bottom + 18}" text-anchor="middle">'
            f"{local:%H:%M}</text>"
        )
        if local.date() != previous_day:
            out.append(
                f'<text x="{tx:.1f}" y="{lanes_bottom + 34}" text-anchor="middle">'
                f"{local:%a %d %b}</text>"
            )
            previous_day = local.date()
    out.append("</g>")

    def moment_line(moment: datetime, label: str, colour: str, dash: str = "") -> str:
        mx = x(moment)
        # Near the right edge the label goes to the left of its line, so it is never cut.
        anchor = ' text-anchor="end"' if mx > _LEFT + width - 80 else ""
        lx = mx - 4 if anchor else mx + 4
        return (
            f'<g class="moment"><line x1="{mx:.1f}" y1="{_LANES_TOP - 2}" x2="{mx:.1f}"'
            f' y2="{lanes_bottom}" stroke="{colour}" stroke-width="1.5"{dash}/>'
            f'<text x="{lx:.1f}" y="{lanes_bottom - 5}" fill="{colour}"{anchor}>'
            f"{_esc(label)}</text></g>"
        )

    out.append(moment_line(started, f"started {local_time(data['started_at'], day)}", "#111827"))
    if data["resolved_at"]:
        out.append(moment_line(parse(data["resolved_at"]), "resolved", "#15803d"))
    if still_open:
        out.append(moment_line(generated, "report", "#6b7280", ' stroke-dasharray="2 3"'))

    out.append('<g class="promises">')
    for promise in data["promises"]:
        if promise["outcome"] == NO_PROMISE:
            continue
        colour = _PROMISE_INK[promise["outcome"]]
        px = x(parse(promise["promised_at"]))
        tip = (
            f"Promise of #{promise['version']} (made {local_time(promise['made_at'], day)}): "
            f"next update by {local_time(promise['promised_at'], day)}: {promise_outcome(promise)}"
        )
        if promise["answered_by"]:
            tip += (
                f" (#{promise['answered_by']} went out at "
                f"{local_time(promise['answered_at'], day)})"
            )
        parts = [f"<title>{_esc(tip)}</title>"]
        if promise["outcome"] in (LATE, OVERDUE):
            until = parse(promise["answered_at"]) if promise["answered_at"] else generated
            parts.append(
                f'<rect x="{px:.1f}" y="{_BAND_TOP + _BAND_HEIGHT / 2 - 4:.1f}"'
                f' width="{max(x(until) - px, 1):.1f}" height="8" fill="{colour}"'
                ' fill-opacity="0.3"/>'
            )
        parts.append(
            f'<line x1="{px:.1f}" y1="{_BAND_TOP + 3}" x2="{px:.1f}"'
            f' y2="{_BAND_TOP + _BAND_HEIGHT - 3}" stroke="{colour}" stroke-width="3"/>'
            f'<line x1="{px:.1f}" y1="{_LANES_TOP}" x2="{px:.1f}" y2="{lanes_bottom}"'
            f' stroke="{colour}" stroke-width="1" stroke-dasharray="4 3" stroke-opacity="0.6"/>'
        )
        out.append(
            f'<g class="promise {promise["outcome"]}" data-version="{promise["version"]}">'
            + "".join(parts)
            + "</g>"
        )
    out.append("</g>")

    out.append('<g class="marks">')
    for version in data["versions"]:
        for channel, batch in version["delivery"].items():
            cy = _LANES_TOP + channels.index(channel) * _LANE + _LANE / 2 + 4
            mx = x(parse(batch["at"]))
            if batch["sent"] == 0:
                outcome = "failed"
            elif batch["failed"] or batch["uncertain"] or batch["pending"]:
                outcome = "partial"
            else:
                outcome = "ok"
            tip = (
                f"{channel}: #{version['number']} {version['kind']} ({version['status']}) at "
                f"{local_time(batch['at'], day)}: {batch['sent']} sent"
                + (
                    f", {batch['failed']} failed ({failure_reasons(batch)})"
                    if batch["failed"]
                    else ""
                )
                + (f", {batch['uncertain']} uncertain" if batch["uncertain"] else "")
                + (f", {batch['pending']} pending" if batch["pending"] else "")
            )
            out.append(
                f'<g class="mark {version["kind"]} {outcome}" data-channel="{_esc(channel)}"'
                f' data-version="{version["number"]}"><title>{_esc(tip)}</title>'
                f"{_mark_shape(version['kind'], outcome, mx, cy)}"
                f'<text class="version" x="{mx:.1f}" y="{cy - 11:.1f}" text-anchor="middle">'
                f"#{version['number']}</text></g>"
            )
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


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
