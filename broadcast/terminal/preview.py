"""How a plan looks in a terminal: the panels of `preview`, `validate` and `send --dry-run`."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from broadcast.channels import channel_model
from broadcast.channels.model import PreviewBlock
from broadcast.delivery.plan import ChannelPlan, Plan
from broadcast.terminal.console import console, problem_text

# Problems go beside their panel when the terminal is this wide, below it otherwise.
SIDE_BY_SIDE_WIDTH = 120


def show_validation(plan: Plan) -> None:
    out = console()
    problems = plan.all_problems
    for problem in problems:
        out.print(problem_text(problem))
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if plan.incident is None or plan.config is None or errors:
        out.print(
            Text(
                f"✗ {errors} error{'s' * (errors != 1)}, {warnings} warning"
                f"{'s' * (warnings != 1)}: fix the errors; nothing can be sent until then.",
                style="bold red",
            )
        )
        return
    summary = ", ".join(f"{c.name} ({audience_of(c)})" for c in plan.channels)
    out.print(
        Text(
            f"✓ {plan.incident.id} is ready on {len(plan.channels)} channel"
            f"{'s' * (len(plan.channels) != 1)}: {summary}"
            + (f"; {warnings} warning{'s' * (warnings != 1)}" if warnings else ""),
            style="bold green",
        )
    )
    # What the promise means, in the incident's language: "18h" is not read two ways unseen.
    promise = plan.incident.promise_said(plan.now)
    if promise:
        out.print(Text(promise, style="bold"))


def show_preview(plan: Plan, html_source: bool, dry_run: bool | None = None) -> None:
    out = console()
    for problem in plan.problems:
        out.print(problem_text(problem))
    if plan.incident is not None and plan.channels:
        incident = plan.incident
        next_update = incident.next_update_at(plan.now)
        heading = Text()
        heading.append(f"{incident.id}", style="bold")
        heading.append(f"  {incident.status} · {incident.severity} · {incident.locale}")
        if next_update is not None:
            heading.append(f" · next update promised for {next_update:%Y-%m-%d %H:%M %Z}")
        out.print(heading)
        promise = incident.promise_said(plan.now)
        if promise:
            out.print(Text(promise, style="bold"))
    for channel in plan.channels:
        panel = _channel_panels(channel, html_source)
        if not channel.problems:
            out.print(panel)
            continue
        problems = Group(*(problem_text(p, with_channel=False) for p in channel.problems))
        if out.width >= SIDE_BY_SIDE_WIDTH:
            grid = Table.grid(expand=True, padding=(0, 1))
            grid.add_column(ratio=3)
            grid.add_column(ratio=2)
            grid.add_row(panel, problems)
            out.print(grid)
        else:
            out.print(panel)
            out.print(problems)
    show_skipped(out, plan.skipped)
    show_schedule(out, plan)
    if dry_run is not None:
        _show_send_outcome(out, plan, dry_run)


def _show_send_outcome(out: Console, plan: Plan, dry_run: bool) -> None:
    if not plan.ok:
        errors = sum(p.is_error for p in plan.all_problems)
        out.print(
            Text(
                f"✗ nothing sent: {errors} error{'s' * (errors != 1)} to fix first.",
                style="bold red",
            )
        )
    elif dry_run:
        reach = ", ".join(f"{c.name}: {audience_of(c)}" for c in plan.channels)
        out.print(Text(f"Dry run: nothing was sent. A real send would reach {reach}.", "bold"))


def show_schedule(out: Console, plan: Plan) -> None:
    """How long each channel takes to reach everyone at its rate, against the promise."""
    from broadcast.delivery.planner import duration, plan_deliveries

    schedules = plan_deliveries(plan)
    if not schedules:
        return
    window = schedules[0].window
    promise = f" (next update promised in {duration(window)})" if window is not None else ""
    table = Table(title=f"Delivery plan{promise}", title_justify="left")
    for column in ("channel", "reaches", "message parts", "rate", "takes"):
        table.add_column(column, justify="left" if column == "channel" else "right")
    # Rows the channel skips are counted beside those it reaches: a share left out is seen.
    skipped = {c.name: c.recipients.invalid for c in plan.channels if c.recipients is not None}
    subscribed = {
        c.name: c.subscriber_count.sent for c in plan.channels if c.subscriber_count is not None
    }
    for schedule in schedules:
        rate = "unlimited" if schedule.rate is None else f"{schedule.rate:g}/s"
        takes = "—" if schedule.seconds is None else duration(schedule.seconds)
        left_out = skipped.get(schedule.channel, 0)
        table.add_row(
            schedule.channel,
            f"{schedule.recipients:,}"
            + (
                f" (with {subscribed[schedule.channel]:,} subscribers)"
                if schedule.channel in subscribed
                else ""
            )
            + (f", {left_out:,} skipped" if left_out else ""),
            f"{schedule.parts:,}",
            rate,
            Text(takes, "bold red") if schedule.too_slow else takes,
        )
    out.print(table)
    for schedule in schedules:
        for note in reach_notes(schedule):
            out.print(Text(note, "bold red" if schedule.too_slow else ""))


def reach_notes(schedule: Any) -> list[str]:
    """A pool's senders and times to 50, 90 and 100 %, and the people who go first: said for
    a channel with a pool of senders or a priority column that counts (delivery.planner)."""
    from broadcast.delivery.planner import duration

    notes = []
    if schedule.senders and schedule.seconds is not None:
        senders = ", ".join(f"{name} {rate:g}/s" for name, rate in schedule.senders)
        notes.append(
            f"{schedule.channel}: {len(schedule.senders)} sender"
            f"{'s' * (len(schedule.senders) != 1)} ({senders}): 50 % in "
            f"{duration(schedule.time_to(0.5))}, 90 % in {duration(schedule.time_to(0.9))}, "
            f"everyone in {duration(schedule.seconds)}"
        )
    if schedule.priority_first:
        notes.append(
            f"{schedule.channel}: the list outlasts the promised update: the "
            f"{schedule.priority_first:,} people marked priority go first, then the list in order"
        )
    return notes


def show_skipped(out: Console, skipped: dict[str, str]) -> None:
    """The channels that do not carry this version, and why (their send_on, min_severity)."""
    for name, reason in skipped.items():
        out.print(Text(f"{name}: skips this version: {reason}.", "yellow"))


def _channel_panels(channel: ChannelPlan, html_source: bool) -> RenderableType:
    """One panel per language the channel speaks, each with its own audience."""
    if len(channel.variants) <= 1:
        return _channel_panel(channel, html_source)
    from dataclasses import replace

    languages = list(channel.variants)
    # Of those it sends to: with an area, those the area targets.
    counts = channel.listed_languages
    panels = []
    for index, language in enumerate(languages):
        view = replace(
            channel,
            parts=channel.variants[language],
            measures=channel.measures if index == 0 else channel.variant_measures.get(language, {}),
            locale=channel.locale if index == 0 else language,
        )
        readers = counts.get(language, 0)
        if index == 0:  # the first language also serves those who asked for none or another
            readers = (
                channel.listed_sent - sum(counts.get(x, 0) for x in languages[1:])
                if channel.recipients
                else 0
            )
        said = f"{readers} recipient{'s' * (readers != 1)} in {language}"
        if channel.subscriber_count is not None:
            # Subscribers read their own language; one whose language has no text, the first.
            theirs = channel.subscriber_count.languages
            joined = theirs.get(language, 0) + (
                sum(n for x, n in theirs.items() if x not in languages) if index == 0 else 0
            )
            said += f" + {joined} subscriber{'s' * (joined != 1)}"
            also = channel.subscriber_count.also_listed
            if index == 0 and also:  # one message each: counted with the list
                said += f", {also:,} more already in the list"
        panels.append(_channel_panel(view, html_source, said))
    return Group(*panels)


def _channel_panel(channel: ChannelPlan, html_source: bool, audience: str | None = None) -> Panel:
    parts: list[RenderableType] = []
    model = channel_model(channel.type)
    for block in model.preview_blocks(channel.parts, channel.measures):
        parts.append(_drawn(block, html_source))
    if not parts:
        parts.append(Text("(nothing rendered)", style="dim"))
    style = "green" if channel.ok else "red"
    return Panel(
        Group(*parts),
        title=Text.assemble((channel.name, "bold"), f" · {channel.type} · {channel.locale}"),
        title_align="left",
        subtitle=Text(_measures(channel, audience)),
        subtitle_align="right",
        border_style=style,
    )


def _drawn(block: PreviewBlock, html_source: bool) -> RenderableType:
    """One piece of a channel's preview as the terminal draws it. Rendered texts go in as
    Text: a str would be read as rich markup ("[urgent]" vanishes) and ":fire:" shown as an
    emoji, not as what the channel carries."""
    if block.kind == "line":
        line = Text(block.title, style="bold")
        line.append(block.text)
        return line
    if block.kind == "box":
        return Panel(
            Text(block.text),
            title=Text(block.title),
            title_align="left",
            subtitle=Text(block.subtitle) if block.subtitle else None,
            subtitle_align="right",
        )
    if block.kind == "html":
        return _html_panel(block.text, block.title, html_source)
    return Text(block.text, style=block.style)


def _html_panel(html: str, label: str, source: bool) -> Panel:
    if source:
        return Panel(Text(html), title=Text(f"{label} (source)"), title_align="left", style="dim")
    return Panel(
        Text(visible_text(html)),
        title=Text(f"{label} (as text; --html for source)"),
        title_align="left",
    )


def _measures(channel: ChannelPlan, audience: str | None = None) -> str:
    model = channel_model(channel.type)
    bits = model.measure_line(channel.measures)
    if channel.recipients is not None or channel.subscribers or channel.measures.get("folder"):
        bits.append(audience or audience_of(channel))
    return " · ".join(bits)


def audience_of(channel: ChannelPlan) -> str:
    kind = channel_model(channel.type).AUDIENCE
    folder = channel.measures.get("folder")
    if folder:  # the files are public: say where they really go
        return f"{kind}, files in {folder}"
    subscribed = (
        channel.subscriber_count.words()
        if channel.subscriber_count is not None
        else "subscribers (read when sending)"
    )
    if channel.recipients is None:
        return subscribed if channel.subscribers else kind
    count = channel.recipients
    text = f"{count.valid} recipient{'s' * (count.valid != 1)}"
    if channel.area is not None:  # the incident's area picks who of them it reaches
        text = channel.area.sentence()
    if count.invalid:
        text += f", {count.invalid} skipped"
    if channel.subscribers:
        text += f" + {subscribed}"
    return text


class _VisibleText(HTMLParser):
    """The text a reader sees in an HTML document: no tags, no style or script."""

    BLOCKS = frozenset(
        {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "tr", "br"}
        | {"section", "header", "footer", "summary", "details", "ul", "ol", "dl"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "head", "title"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.chunks.append(re.sub(r"\s+", " ", data))


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    lines = [" ".join(line.split()) for line in "".join(parser.chunks).splitlines()]
    return "\n".join(line for line in lines if line)
