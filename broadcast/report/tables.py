"""The report's words, the same for every format: the findings and titled tables of text.

``report_markdown``, ``report_html`` and ``broadcast.terminal.report`` lay these out, so the three
always say the same thing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from broadcast.report.evaluation import KEPT, LATE, NO_PROMISE, OVERDUE, PENDING_PROMISE

if TYPE_CHECKING:
    pass

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
    reasons = [f"{code}: {n}" for code, n in counts["failed_by_reason"].items()]
    if counts.get("opted_out"):
        reasons.append(f"not sent, opted out earlier: {counts['opted_out']}")
    return ", ".join(reasons) or "—"


def report_summary(data: dict[str, Any]) -> list[str]:
    """The findings in a few sentences, before the tables."""
    day = start_day(data)
    zone = data["timezone"]
    lines = [f"Started {local_time(data['started_at'])} ({zone})."]
    if data["resolved_at"]:
        lines[0] = (
            f"Started {local_time(data['started_at'])} ({zone}); resolved "
            f"{local_time(data['resolved_at'], day)}, after "
            f"{format_duration(data['duration_seconds'])}."
        )
    if data.get("exercise"):
        lines.insert(
            0,
            "This was an EXERCISE (a drill), not a real incident: it evaluates the drill, sent "
            "only to the exercise recipients, kept apart from the real incident.",
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
    every = data["delivery"]["all_versions"]
    through = {c: n["fallback"] for c, n in every.items() if n.get("fallback")}
    if through:
        per = ", ".join(f"{n} by {c}" for c, n in through.items())
        lines.append(f"{sum(through.values())} reached through a fallback channel ({per}).")
    suppressed = sum(n.get("suppressed", 0) for n in every.values())
    if suppressed:
        lines.append(
            f"{suppressed} of the failures not sent at all: the recipient was suppressed by an "
            "earlier failure (invalid or not a mobile)."
        )
    correction = data.get("correction")
    if correction:
        to_first, to_last = correction["to_first_seconds"], correction["to_last_seconds"]
        reached = correction["reached"]
        lines.append(
            f"Correction (#{correction['version']}): it began reaching people "
            f"{format_duration(to_first)} after the wrong message; the last of its {reached} "
            f"deliver{'y' if reached == 1 else 'ies'} went out {format_duration(to_last)} after "
            f"it ({local_time(correction['wrong_message_at'], day)} to "
            f"{local_time(correction['correction_last_at'], day)})."
        )
    people = [
        f"#{v['number']} sent by {v['sent_by']}"
        + (f", approved by {v['approved_by']}" if v.get("approved_by") else "")
        for v in data["versions"]
        if v.get("sent_by")
    ]
    if people:
        lines.append("; ".join(people) + ".")
    reminders = data["reminders"]
    lines.append(
        f"{reminders['count']} reminder{'s' * (reminders['count'] != 1)} out of "
        f"{reminders['versions']} message{'s' * (reminders['versions'] != 1)} "
        f"({reminders['share']:.0%})."
    )
    return lines


def report_tables(data: dict[str, Any]) -> list[ReportTable]:
    """Speed, updates, promises, and delivery over all versions and for the last one."""
    day = start_day(data)
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
            ("channel", "sent", "failed", "failed by reason", "uncertain", "pending", "superseded"),
            [
                (
                    channel,
                    str(counts["sent"]),
                    str(counts["failed"]),
                    failure_reasons(counts),
                    str(counts["uncertain"]),
                    str(counts["pending"]),
                    str(counts.get("superseded", 0)),
                )
                for channel, counts in per_channel.items()
            ],
            frozenset({1, 2, 4, 5, 6}),
            [
                "bad" if counts["failed"] or counts["uncertain"] else None
                for counts in per_channel.values()
            ],
        )

    last = data["delivery"]["last_version_number"]
    reach = ReportTable(
        "reach",
        f"Reached (delivery receipts), last version (#{last})" if last else "Reached",
        ("channel", "sent", "delivered", "reached", "undelivered", "waiting", "50 %", "90 %"),
        [
            (
                channel,
                str(r["sent"]),
                str(r["delivered"]),
                f"{r['reached_percent']:g} %",
                str(r["undelivered"]),
                str(r["waiting"]),
                format_duration(r["to_50_percent_seconds"]),
                format_duration(r["to_90_percent_seconds"]),
            )
            for channel, r in data.get("reach", {}).items()
        ],
        frozenset({1, 2, 3, 4, 5, 6, 7}),
        ["bad" if r["undelivered"] else None for r in data.get("reach", {}).values()],
        empty="No delivery receipts yet.",
    )
    return [
        speed,
        updates,
        promises,
        # Only where a channel gives receipts (SMS): other channels say no more than "sent".
        *([reach] if reach.rows else []),
        delivery(
            "delivery_all", "Delivery per channel, all versions", data["delivery"]["all_versions"]
        ),
        delivery(
            "delivery_last",
            f"Delivery per channel, last version (#{last})" if last else "Delivery, last version",
            data["delivery"]["last_version"],
        ),
    ]


def start_day(data: dict[str, Any]) -> date:
    return datetime.fromisoformat(data["started_at"]).date()


def html_lang(locale: str) -> str:
    """``fr_CA`` → ``fr-CA``: the BCP 47 tag HTML's ``lang`` wants."""
    return locale.replace("_", "-")
