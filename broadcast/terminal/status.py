"""How `broadcast status` looks in a terminal."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from rich.text import Text

from broadcast.terminal.console import console


def show_status(summary: dict[str, Any]) -> None:
    out = console()
    drill = (
        " · EXERCISE (a drill, kept apart from the real incident)"
        if summary.get("exercise")
        else ""
    )
    out.print(Text(f"{summary['incident']} ({summary['status']}){drill}", "bold"))
    _show_hosts(out, summary)
    if not summary["versions"]:
        out.print("Nothing has been sent for this incident yet.")
        return
    # A line per version, not a table: two times of 20 characters and four more columns do
    # not fit 80 columns, and a time wrapped inside a cell cannot be read (nor found).
    out.print(Text("Versions", "bold"))
    zone = summary["timezone"]
    for v in summary["versions"]:
        out.print(_version_line(v, zone))
        if v.get("sent_by"):
            out.print(_people_line(v, zone))
        for accepted in v.get("wording_accepted", ()):
            out.print(_accepted_line(v, accepted, zone))
    out.print(_deliveries_table(summary))
    if summary.get("not_sent_on"):
        out.print(
            Text(
                f"Not sent on {', '.join(summary['not_sent_on'])}: the latest version has not "
                "gone there (a send limited by --channel, or a channel added since). The next "
                "`broadcast tick` sends it there.",
                "yellow",
            )
        )
    if summary.get("replies") or summary.get("opted_out"):
        out.print(
            f"Replies received: {summary.get('replies', 0)} (`broadcast replies` lists them)"
            f" · opted out now (STOP): {summary.get('opted_out', 0)}"
        )
    if summary["next_update_at"]:
        when = _in_zone(summary["next_update_at"], summary["timezone"])
        line = f"Next update promised for {when} ({summary['timezone']})"
        if summary["overdue"]:
            out.print(Text(f"{line}: OVERDUE by {summary['overdue_by_minutes']} min.", "bold red"))
        else:
            out.print(Text(line + ".", "green"))


def _show_hosts(out: Console, summary: dict[str, Any]) -> None:
    """On a shared ledger: the host whose run holds the incident now, and the primary host."""
    if summary.get("held_by"):
        held = summary["held_by"]
        out.print(
            f"Held by {held['host']}: its run is alive (lease renewed, "
            f"{held['lease_seconds_left']:g} s left); other hosts wait or help."
        )
    if summary.get("primary"):
        primary = summary["primary"]
        out.print(
            f"Primary host: {primary['host']} (its cron runs renew its lease, which ends at "
            f"{primary['lease_ends_at'][11:19]}); another host's tick stands by until then."
        )


def _sent_at(v: dict[str, Any]) -> str | None:
    # When it was handed out, not the moment its texts speak for (an approval's, earlier).
    return v.get("sent_at") or v["created_at"]


def _version_line(v: dict[str, Any], zone: str) -> str:
    """``#2 update (identified) sent at …, complete; next update promised for …``."""
    number = v.get("number", v["id"])
    promised = (
        f"; next update promised for {_in_zone(v['next_update_at'], zone)}"
        if v["next_update_at"]
        else ""
    )
    done = "complete" if v["complete"] else "not complete"
    return (
        f"#{number} {v['kind']} ({v['status']}) sent at {_in_zone(_sent_at(v), zone)}, "
        f"{done}{promised}"
    )


def _people_line(v: dict[str, Any], zone: str) -> str:
    """Who sent, continued and approved the version, and the moment its texts speak for when
    that is not when it was sent."""
    number = v.get("number", v["id"])
    line = f"#{number}: sent by {v['sent_by']}{_signed(v.get('sender_signed'))}"
    for later in v.get("continued_by", ()):
        line += (
            f", continued by {later['by']}{_signed(later['signed'])} at "
            f"{_in_zone(later['at'], zone)}"
        )
    if v.get("approved_by"):
        line += (
            f", approved by {v['approved_by']}{_signed(v.get('approval_signed'))} at "
            f"{_in_zone(v['approved_at'], zone)}"
        )
    texts_at = v.get("texts_at") or v["created_at"]
    if _in_zone(texts_at, zone) != _in_zone(_sent_at(v), zone):
        line += f"; its texts speak for {_in_zone(texts_at, zone)}, as approved"
    return line


def _accepted_line(v: dict[str, Any], accepted: dict[str, Any], zone: str) -> Text:
    """``#2: sent despite the wording errors unchanged (2), accepted by Ana at …: "reason"``."""
    number = v.get("number", v["id"])
    checks = [f.get("check") or "?" for f in accepted["findings"]]
    named = ", ".join(
        f"{c} ({checks.count(c)})" if checks.count(c) > 1 else c for c in dict.fromkeys(checks)
    )
    return Text(
        f"#{number}: sent despite the wording error{'s' * (len(checks) != 1)} {named}, "
        f"accepted by {accepted['accepted_by']} at {_in_zone(accepted['accepted_at'], zone)}: "
        f'"{accepted["reason"]}"',
        "yellow",
    )


def _delivery_states(channels: dict[str, dict[str, int]]) -> tuple[str, ...]:
    """The delivery states shown as columns, in their order: those some channel is in."""
    states: tuple[str, ...] = (
        "sent",
        "delivered",
        "undelivered",
        "failed-transient",
        "failed-permanent",
        "uncertain",
        "pending",
        "sending",
        "superseded",
    )
    # Shown only when some channel has them: what calls, suppression and fallbacks added.
    later = ("unanswered", "suppressed", "fallback")
    states += later
    # Only the states some channel is in ("sent" always): twelve columns of zeros cannot be
    # read at 80 columns, the few that say something can.
    return tuple(s for s in states if s == "sent" or any(c.get(s, 0) for c in channels.values()))


def _deliveries_table(summary: dict[str, Any]) -> Table:
    """The latest version per channel: a count per state, receipts awaited, failure reasons."""
    deliveries = Table(title="Latest version, per channel", title_justify="left")
    deliveries.add_column("channel", overflow="fold")
    states = _delivery_states(summary["channels"])
    for state in states:
        # "failed-permanent" over two lines, broken after its hyphen, never mid-word.
        header = state.replace("-", "-\n") if len(state) > 10 else state
        deliveries.add_column(header, justify="right", overflow="fold")
    deliveries.add_column("receipt due", justify="right", overflow="fold")
    deliveries.add_column("failures by reason", overflow="fold")
    for channel, counts in summary["channels"].items():
        reasons = {
            **summary["failures"].get(channel, {}),
            **{
                f"undelivered {code}": n
                for code, n in summary.get("undelivered_by_code", {}).get(channel, {}).items()
            },
        }
        waiting = summary.get("waiting_for_receipt", {}).get(channel)
        deliveries.add_row(
            channel,
            *(str(counts.get(s, 0)) for s in states),
            "—" if waiting is None else str(waiting),
            "\n".join(f"{n} x {r}" for r, n in reasons.items()),  # a reason a line
        )
    return deliveries


def _signed(signed: object) -> str:
    return " (signed)" if signed else ""


def _in_zone(iso: str | None, zone: str) -> str:
    """``2026-11-22 11:40 CET``, the way the send summaries and decisions say a time."""
    if not iso:
        return "—"
    return f"{datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M %Z}"
