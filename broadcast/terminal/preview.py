"""How plans and problems look in a terminal (rich). The core never imports this."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from broadcast.delivery.preflight import ChannelPlan, Plan
from broadcast.problems import Problem

# Problems go beside their panel when the terminal is this wide, below it otherwise.
SIDE_BY_SIDE_WIDTH = 120


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def problem_text(problem: Problem, with_channel: bool = True) -> Text:
    style = "red" if problem.is_error else "yellow"
    label = "error" if problem.is_error else "warning"
    text = Text()
    text.append(f"{label}: ", style=f"bold {style}")
    where = problem.where() if with_channel else _where_without_channel(problem)
    if where:
        text.append(where + ": ", style=style)
    text.append(problem.message, style=style)
    return text


def show_problems(problems: list[Problem]) -> None:
    out = console(stderr=True)
    for problem in problems:
        out.print(problem_text(problem))


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
    summary = ", ".join(f"{c.name} ({_audience(c)})" for c in plan.channels)
    out.print(
        Text(
            f"✓ {plan.incident.id} is ready on {len(plan.channels)} channel"
            f"{'s' * (len(plan.channels) != 1)}: {summary}"
            + (f"; {warnings} warning{'s' * (warnings != 1)}" if warnings else ""),
            style="bold green",
        )
    )


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
        reach = ", ".join(f"{c.name}: {_audience(c)}" for c in plan.channels)
        out.print(Text(f"Dry run: nothing was sent. A real send would reach {reach}.", "bold"))


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
            parts.append(Panel(channel.parts["text"], title="text part", title_align="left"))
        if "html" in channel.parts:
            parts.append(_html_panel(channel.parts["html"], "HTML part", html_source))
    elif channel.type == "web_banner":
        if "text" in channel.parts:
            parts.append(Panel(channel.parts["text"], title="banner", title_align="left"))
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
                    post,
                    title=f"post {number}",
                    title_align="left",
                    subtitle=f"{tweet_weighted_length(post)}/280",
                    subtitle_align="right",
                )
            )
    elif "text" in channel.parts:
        parts.append(Text(channel.parts["text"]))
    if not parts:
        parts.append(Text("(nothing rendered)", style="dim"))
    style = "green" if channel.ok else "red"
    return Panel(
        Group(*parts),
        title=f"[bold]{channel.name}[/] · {channel.type} · {channel.locale}",
        title_align="left",
        subtitle=_measures(channel, audience),
        subtitle_align="right",
        border_style=style,
    )


def _html_panel(html: str, label: str, source: bool) -> Panel:
    if source:
        return Panel(Text(html), title=f"{label} (source)", title_align="left", style="dim")
    return Panel(
        Text(visible_text(html)),
        title=f"{label} (as text; --html for source)",
        title_align="left",
    )


def _measures(channel: ChannelPlan, audience: str | None = None) -> str:
    bits: list[str] = []
    m = channel.measures
    if channel.type == "sms" and "segments" in m:
        bits.append(
            f"{m['encoding']} · {m['characters']} chars · "
            f"{m['segments']} segment{'s' * (m['segments'] != 1)} (max {m['max_segments']})"
        )
        if m.get("non_gsm"):
            bits.append("UCS-2 because of " + " ".join(m["non_gsm"][:6]))
    if channel.type == "twitter" and "weighted_length" in m:
        posts = len(m.get("thread", ())) or 1
        if posts > 1:
            bits.append(f"{m['weighted_length']} weighted: a thread of {posts} posts")
        else:
            bits.append(f"{m['weighted_length']}/{m['limit']} weighted")
    if channel.recipients is not None:
        bits.append(audience or _audience(channel))
    return " · ".join(bits)


def _audience(channel: ChannelPlan) -> str:
    if channel.recipients is None:
        return {"twitter": "public post", "web_banner": "website"}.get(channel.type, "—")
    count = channel.recipients
    text = f"{count.valid} recipient{'s' * (count.valid != 1)}"
    if count.invalid:
        text += f", {count.invalid} skipped"
    return text


def _where_without_channel(problem: Problem) -> str:
    return Problem(problem.message, problem.file, problem.line, problem.field).where()


def show_init(directory: Path, written: list[Path]) -> None:
    out = console()
    for path in written:
        out.print(f"wrote {path}")
    example = next(
        (p for p in written if p.parent.name == "examples" and p.suffix == ".yaml"),
        directory / "examples" / "panne-nord.yaml",
    )
    out.print(
        Text(
            f"\nNext: edit {directory / 'channels.yaml'} and the example incident, then run\n"
            f"  broadcast preview {example} --config {directory / 'channels.yaml'}",
        )
    )


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


def confirm_send(plan: Plan) -> bool:
    """Show what goes where and ask; the default is no."""
    out = console()
    table = Table(title="About to send", title_justify="left")
    table.add_column("channel")
    table.add_column("type")
    table.add_column("reaches")
    table.add_column("carries")
    for channel in plan.channels:
        table.add_row(channel.name, channel.type, _audience(channel), _measures_short(channel))
    out.print(table)
    answer = out.input("Send now? [y/N] ").strip().lower()
    if answer in ("y", "yes", "o", "oui"):
        return True
    out.print("Nothing was sent.")
    return False


def _measures_short(channel: ChannelPlan) -> str:
    m = channel.measures
    if channel.type == "sms":
        return f"{m.get('segments', '?')} segment(s), {m.get('encoding', '')}"
    if channel.type == "twitter":
        posts = len(m.get("thread", ())) or 1
        return f"{posts} post{'s' * (posts != 1)}"
    if channel.type == "email":
        return channel.parts.get("subject", "")
    return "banner, status page, feed"


class SendProgress:
    """Progress bars per channel on a terminal; nothing otherwise (cron, pipes, --json)."""

    def __init__(self, plan: Plan, enabled: bool) -> None:
        self.plan = plan
        self.out = console(stderr=True)
        self.enabled = enabled and self.out.is_terminal
        self.tasks: dict[str, int] = {}

    def __enter__(self):  # type: ignore[no-untyped-def]
        if not self.enabled:
            return lambda event: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.progress = Progress(
            "[bold]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            "{task.fields[failed]} failed",
            TimeElapsedColumn(),
            console=self.out,
        )
        for channel in self.plan.channels:
            total = channel.recipients.valid if channel.recipients is not None else 1
            self.tasks[channel.name] = self.progress.add_task(channel.name, total=total, failed=0)
        self.progress.start()
        return self.handle

    def handle(self, event) -> None:  # type: ignore[no-untyped-def]
        task = self.tasks.get(event.channel)
        if task is None:
            return
        if event.kind == "delivered":
            self.progress.advance(task)
        elif event.kind == "failed":
            failed = self.progress.tasks[task].fields["failed"] + 1
            self.progress.update(task, advance=1, failed=failed)

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.progress.stop()


def show_outcomes(outcomes: list, uncertain: list | None = None) -> None:  # type: ignore[type-arg]
    out = console()
    table = Table(title="Delivery", title_justify="left")
    for column in ("channel", "sent", "failed", "skipped", "duplicates", "already", "retries"):
        table.add_column(column, justify="left" if column == "channel" else "right")
    for outcome in outcomes:
        reasons = ", ".join(f"{n} x {code}" for code, n in outcome.failed.most_common())
        table.add_row(
            outcome.name,
            str(outcome.sent),
            f"{outcome.failed_total}" + (f" ({reasons})" if reasons else ""),
            str(outcome.skipped),
            str(outcome.duplicates),
            str(outcome.already),
            str(outcome.retries),
        )
    out.print(table)
    for outcome in outcomes:
        for problem in outcome.problems:
            out.print(problem_text(problem))
        for receipt in outcome.failures[:10]:
            where = f"line {receipt.target.line}: " if receipt.target.line else ""
            kind = "permanent" if receipt.permanent else "after retries"
            out.print(
                Text(
                    f"{outcome.name}: {where}{receipt.error} ({receipt.error_code}, {kind})", "red"
                )
            )
        if len(outcome.failures) > 10:
            out.print(Text(f"{outcome.name}: and {outcome.failed_total - 10} more failures", "red"))
        if outcome.stopped:
            out.print(
                Text(f"{outcome.name}: stopped before the end; run the send again.", "yellow")
            )
    for item in uncertain or ():
        where = f" (line {item['line']})" if item.get("line") else ""
        out.print(
            Text(
                f"{item['channel']}: {item['recipient']}{where} uncertain: an earlier run was "
                "stopped while sending it; --resend-uncertain sends it again",
                "yellow",
            )
        )
    total_failed = sum(o.failed_total for o in outcomes)
    total_sent = sum(o.sent for o in outcomes)
    style = "bold red" if total_failed else "bold green"
    out.print(Text(f"{total_sent} sent, {total_failed} failed.", style))


def show_decision(run, incident_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = console()
    decision = run.decision
    if run.uncertain_found:
        out.print(
            Text(
                f"{run.uncertain_found} deliveries were in flight when an earlier run stopped: "
                "marked uncertain (re-sent only with --resend-uncertain).",
                "yellow",
            )
        )
    if decision is None:
        return
    style = "green" if decision.action == "nothing" else "bold"
    labels = {
        "new": "New update",
        "continue": "Continuing",
        "reminder": "Reminder",
        "nothing": "Nothing to send",
    }
    out.print(Text(f"{labels[decision.action]} for {incident_path}: {decision.reason}.", style))


def show_status(summary: dict) -> None:  # type: ignore[type-arg]
    out = console()
    out.print(Text(f"{summary['incident']} ({summary['status']})", "bold"))
    if not summary["versions"]:
        out.print("Nothing has been sent for this incident yet.")
        return
    versions = Table(title="Versions", title_justify="left")
    for column in ("#", "kind", "status", "at", "next update promised", "complete"):
        versions.add_column(column)
    for v in summary["versions"]:
        versions.add_row(
            str(v["id"]),
            v["kind"],
            v["status"],
            v["created_at"][:16].replace("T", " "),
            (v["next_update_at"] or "—")[:16].replace("T", " "),
            "yes" if v["complete"] else "no",
        )
    out.print(versions)
    deliveries = Table(title="Latest version, per channel", title_justify="left")
    deliveries.add_column("channel")
    states = ("sent", "failed-transient", "failed-permanent", "uncertain", "pending", "sending")
    for state in states:
        deliveries.add_column(state, justify="right")
    deliveries.add_column("failures by reason")
    for channel, counts in summary["channels"].items():
        reasons = summary["failures"].get(channel, {})
        deliveries.add_row(
            channel,
            *(str(counts.get(s, 0)) for s in states),
            ", ".join(f"{n} x {r}" for r, n in reasons.items()),
        )
    out.print(deliveries)
    if summary["next_update_at"]:
        when = summary["next_update_at"][:16].replace("T", " ")
        line = f"Next update promised for {when} ({summary['timezone']})"
        if summary["overdue"]:
            out.print(Text(f"{line}: OVERDUE by {summary['overdue_by_minutes']} min.", "bold red"))
        else:
            out.print(Text(line + ".", "green"))


def show_decision_ahead(decision) -> None:  # type: ignore[no-untyped-def]
    """After a dry run: what a real send would do now, given what was already sent."""
    what = {
        "new": "send this as a new update",
        "continue": "finish the last update that did not complete",
        "reminder": "send this reminder, to keep the promised update",
        "nothing": "send nothing",
    }[decision.action]
    console().print(Text(f"A real send now would {what}: {decision.reason}.", "bold"))
