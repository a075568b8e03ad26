"""How a plan looks in a terminal: the panels of `preview`, `validate` and `send --dry-run`."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from broadcast.content.greeting import GREETING_MARK
from broadcast.delivery.preflight import ChannelPlan, Plan
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
    for schedule in schedules:
        rate = "unlimited" if schedule.rate is None else f"{schedule.rate:g}/s"
        takes = "—" if schedule.seconds is None else duration(schedule.seconds)
        left_out = skipped.get(schedule.channel, 0)
        table.add_row(
            schedule.channel,
            f"{schedule.recipients:,}" + (f", {left_out:,} skipped" if left_out else ""),
            f"{schedule.parts:,}",
            rate,
            Text(takes, "bold red") if schedule.too_slow else takes,
        )
    out.print(table)


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
    counts = channel.recipients.languages if channel.recipients is not None else {}
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
                channel.recipients.valid - sum(counts.get(x, 0) for x in languages[1:])
                if channel.recipients
                else 0
            )
        panels.append(
            _channel_panel(
                view, html_source, f"{readers} recipient{'s' * (readers != 1)} in {language}"
            )
        )
    return Group(*panels)


def _channel_panel(channel: ChannelPlan, html_source: bool, audience: str | None = None) -> Panel:
    parts: list[RenderableType] = []
    if channel.type == "email":
        if "subject" in channel.parts:
            subject = Text("Subject: ", style="bold")
            subject.append(channel.parts["subject"])
            parts.append(subject)
        if "text" in channel.parts:
            # Rendered texts go in as Text: a str would be read as rich markup ("[urgent]"
            # vanishes) and ":fire:" shown as an emoji, not as what the channel carries.
            parts.append(
                Panel(Text(channel.parts["text"]), title=Text("text part"), title_align="left")
            )
        if "html" in channel.parts:
            parts.append(_html_panel(channel.parts["html"], "HTML part", html_source))
    elif channel.type == "web_banner":
        if "text" in channel.parts:
            parts.append(
                Panel(Text(channel.parts["text"]), title=Text("banner"), title_align="left")
            )
        if "html" in channel.parts:
            parts.append(_html_panel(channel.parts["html"], "status page", html_source))
        if "agent_script" in channel.parts:
            lines = channel.parts["agent_script"].count("\n") + 1
            parts.append(
                Text(f"agent-script.md: {lines} lines for the contact centre (--json shows it)")
            )
    elif channel.type == "twitter" and len(channel.measures.get("thread", ())) > 1:
        from broadcast.content.measure import tweet_weighted_length

        for number, post in enumerate(channel.measures["thread"], start=1):
            parts.append(
                Panel(
                    Text(post),
                    title=Text(f"post {number}"),
                    title_align="left",
                    subtitle=Text(f"{tweet_weighted_length(post)}/280"),
                    subtitle_align="right",
                )
            )
    elif channel.type == "apprise":
        if channel.parts.get("title"):
            parts.append(Text(channel.parts["title"], style="bold"))
        if channel.parts.get("body"):
            parts.append(Text(channel.parts["body"]))
    elif channel.type == "cap":
        for part in ("headline", "description", "instruction", "area"):
            if channel.parts.get(part):
                label = Text(f"{part}: ", style="bold")
                label.append(channel.parts[part])
                parts.append(label)
    elif "text" in channel.parts:
        # The greeting's marks and the name slot's word joiners are invisible, yet a terminal
        # may give them a width: shown without them.
        shown = channel.parts["text"].replace(GREETING_MARK, "").replace("\u2060", "")
        parts.append(Text(shown))
        if channel.type == "sms" and (note := greeting_note(channel)):
            parts.append(Text(note, style="dim"))
        if channel.type == "sms" and (note := dropped_note(channel.measures)):
            parts.append(Text(note, style="yellow"))
        if channel.type == "sms" and (note := typography_note(channel.measures)):
            parts.append(Text(note, style="dim"))
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


def greeting_note(channel: ChannelPlan) -> str | None:
    """How many of the channel's readers in this language are greeted by name."""
    m = channel.measures
    if not m.get("personalised"):
        return None
    readers, greeted = m.get("readers", 0), m["greeted"]
    sampled = f" (in the first {m['sampled_rows']:,} rows)" if m.get("sampled_rows") else ""
    if greeted == readers:
        return (
            f"Greeted by name{sampled}."
            if readers == 1
            else f"Greeted by name: all {readers:,}{sampled}."
        )
    return (
        f"Greeted by name: {greeted:,} of {readers:,}{sampled}; {readers - greeted:,} without "
        "the greeting (no name, one that does not read as a given name, or theirs would take "
        "the text over max_segments)."
    )


def dropped_note(measures: dict) -> str | None:
    """What the SMS left out to stay within max_segments, in the order it went."""
    dropped = measures.get("dropped")
    if not dropped:
        return None
    limit = measures.get("max_segments")
    within = f"{limit} segment{'s' * (limit != 1)}" if limit else "max_segments"
    return f"Left out to fit {within}: {', '.join(dropped)}."


def typography_note(measures: dict) -> str | None:
    """What the GSM-7 typography replaced, the segments saved, and what the rest costs."""
    typography = measures.get("typography")
    if not typography:
        return None
    lines = []
    if typography["replaced"]:
        done = ", ".join(
            f"{_shown(r['character'])} → {_shown(r['by'])}"
            + (f" ({r['times']} times)" * (r["times"] > 1))
            for r in typography["replaced"]
        )
        saved = typography["segments_saved"]
        lines.append(
            f"Replaced for GSM-7: {done}; "
            + (f"{saved} segment{'s' * (saved != 1)} saved" if saved else "no segment saved")
        )
    if typography["kept"]:
        cost = typography["kept_cost"]
        kept = " ".join(_shown(c) for c in typography["kept"])
        lines.append(
            f"Kept outside GSM-7: {kept}: "
            + (
                f"{cost} more segment{'s' * (cost != 1)} on every phone (UCS-2)"
                if cost
                else "UCS-2, no extra segment"
            )
        )
    return "\n".join(lines) or None


def _shown(text: str) -> str:
    """A character as a reader can see it: spaces and invisible ones are named."""
    if not text:
        return "[nothing]"
    if len(text) == 1 and unicodedata.category(text) in ("Zs", "Cf", "Cc"):
        return f"[{unicodedata.name(text, 'invisible').lower()}]"
    return text


def _html_panel(html: str, label: str, source: bool) -> Panel:
    if source:
        return Panel(Text(html), title=Text(f"{label} (source)"), title_align="left", style="dim")
    return Panel(
        Text(visible_text(html)),
        title=Text(f"{label} (as text; --html for source)"),
        title_align="left",
    )


def _measures(channel: ChannelPlan, audience: str | None = None) -> str:
    bits: list[str] = []
    m = channel.measures
    if channel.type == "sms" and m.get("personalised"):
        low, high = m["segments_min"], m["segments_max"]
        count = f"{low}" if low == high else f"{low} to {high}"
        bits.append(
            f"{m['encoding']} · {m['characters']} chars + greeting · {count} "
            f"segment{'s' * (high != 1)} each (max {m['max_segments']})"
        )
    elif channel.type == "sms" and "segments" in m:
        bits.append(
            f"{m['encoding']} · {m['characters']} chars · "
            f"{m['segments']} segment{'s' * (m['segments'] != 1)} (max {m['max_segments']})"
        )
        if m.get("non_gsm"):
            bits.append("UCS-2 because of " + " ".join(m["non_gsm"][:6]))
    if channel.type == "voice" and "spoken_seconds" in m:
        bits.append(
            f"spoken: about {m['spoken_seconds']} s ({m['words']} words at "
            f"{m['words_per_minute']}/min)"
        )
    if channel.type == "twitter" and "weighted_length" in m:
        posts = len(m.get("thread", ())) or 1
        if posts > 1:
            bits.append(f"{m['weighted_length']} weighted: a thread of {posts} posts")
        else:
            bits.append(f"{m['weighted_length']}/{m['limit']} weighted")
    if channel.type == "facebook" and "characters" in m:
        bits.append(f"{m['characters']} characters")
    if channel.recipients is not None or m.get("folder"):
        bits.append(audience or audience_of(channel))
    return " · ".join(bits)


def audience_of(channel: ChannelPlan) -> str:
    folder = channel.measures.get("folder")
    if folder:  # the files are public: say where they really go
        kind = "CAP alert feed" if channel.type == "cap" else "website"
        return f"{kind}, files in {folder}"
    if channel.recipients is None:
        return {
            "twitter": "public post",
            "web_banner": "website",
            "cap": "CAP alert feed",
            "facebook": "public post",
            "apprise": "team channels",
            "voice": "fallback only",
            "email": "fallback only",
        }.get(channel.type, "—")
    count = channel.recipients
    text = f"{count.valid} recipient{'s' * (count.valid != 1)}"
    if count.invalid:
        text += f", {count.invalid} skipped"
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
