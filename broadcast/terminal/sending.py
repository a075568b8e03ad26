"""How a real send looks in a terminal: the confirmation, progress, the decision and the outcome."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from broadcast.channels import channel_model
from broadcast.delivery.plan import ChannelPlan, Plan
from broadcast.delivery.planner import duration, plan_deliveries
from broadcast.problems import Problem

if TYPE_CHECKING:
    from broadcast.delivery.dispatch import ChannelOutcome, Event
    from broadcast.delivery.sending import Decision, SendRun

from broadcast.terminal.console import console, count_of, problem_text
from broadcast.terminal.preview import audience_of, show_skipped


def confirm_send(plan: Plan) -> bool:
    """Show what goes where and ask; the default is no."""
    out = console()
    table = Table(title="About to send", title_justify="left")
    table.add_column("channel")
    table.add_column("type")
    table.add_column("reaches")
    table.add_column("carries")
    table.add_column("takes", justify="right")
    takes = {s.channel: s for s in plan_deliveries(plan)}
    for channel in plan.channels:
        schedule = takes.get(channel.name)
        took = "" if schedule is None or schedule.seconds is None else duration(schedule.seconds)
        table.add_row(
            channel.name,
            channel.type,
            audience_of(channel),
            _measures_short(channel),
            Text(took, "bold red") if schedule is not None and schedule.too_slow else took,
        )
    out.print(table)
    from broadcast.terminal.preview import reach_notes

    for schedule in takes.values():
        for note in reach_notes(schedule):
            out.print(Text(note, "bold red" if schedule.too_slow else ""))
    show_skipped(out, plan.skipped)
    _show_warnings(out, [p for p in plan.all_problems if not p.is_error], "To send with")
    _show_accepted(out, plan)
    promise = plan.incident.promise_said(plan.now) if plan.incident is not None else None
    if promise:
        out.print(Text(promise, "bold"))
    # As Text: a plain string is rich markup, where "[y/N]" is a tag and vanishes.
    # The mode is said right above the question: a tired "y" knows what it sends.
    if plan.incident is not None and plan.incident.exercise:
        out.print(Text("This is an EXERCISE: marked, to the exercise lists only.", "bold"))
    else:
        out.print(Text("This is a REAL alert, not an exercise.", "bold"))
    answer = out.input(Text("Send now? [y/N] ")).strip().lower()
    if answer in ("y", "yes", "o", "oui"):
        return True
    out.print("Nothing was sent.")
    return False


def show_follow_up(followed: Any) -> None:
    """What happened after the provider spoke: lookups, calls again, fallbacks."""
    if followed is None or not (followed.did_something or followed.problems):
        return
    out = console()
    bits = []
    if followed.looked_up:
        looked_up = count_of(followed.looked_up, "uncertain delivery", "uncertain deliveries")
        bits.append(f"{looked_up} looked up")
    if followed.held_uncertain:
        bits.append(
            f"{followed.held_uncertain} of those held uncertain (the provider cannot tell whose "
            "it is)"
        )
    if followed.called_again:
        bits.append(f"{count_of(followed.called_again, 'unanswered call')} placed again")
    for channel, count in followed.fallbacks.items():
        bits.append(f"{count} reached through the fallback {channel}")
    if followed.failed:
        bits.append(f"{followed.failed} of those failed")
    if bits:
        out.print("After the provider's answers: " + "; ".join(bits) + ".")
    for problem in followed.problems:
        out.print(problem_text(problem))


def _measures_short(channel: ChannelPlan) -> str:
    model = channel_model(channel.type)
    return model.summary(channel.parts, channel.measures, len(channel.variants))


STOPPING = (
    "Stopping: nothing new is handed out; the messages already with the provider finish and "
    "are recorded. Press Ctrl-C again to stop waiting (those are then marked uncertain)."
)


class SendProgress:
    """Progress bars per channel on a terminal; otherwise (cron, pipes, --json) only notices
    such as the acknowledgement of Ctrl-C, on standard error."""

    def __init__(self, plan: Plan, enabled: bool) -> None:
        self.plan = plan
        self.out = console(stderr=True)
        self.enabled = enabled and self.out.is_terminal
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> Callable[[Event], None]:
        if not self.enabled:
            return self.notice
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
            if channel.recipients is None and channel_model(channel.type).FALLBACK_TARGET:
                continue  # fallback only: it sends after the others, if they miss someone
            total = channel.recipients.expected if channel.recipients is not None else 1
            self.tasks[channel.name] = self.progress.add_task(channel.name, total=total, failed=0)
        self.progress.start()
        return self.handle

    def notice(self, event: Event) -> None:
        if event.kind == "stopping":
            self.out.print(Text(STOPPING, "bold yellow"))

    def handle(self, event: Event) -> None:
        self.notice(event)
        if event.kind == "skipped" and event.problem is not None:
            # A row met while sending: said now, above the bars, not at the end of the file.
            self.progress.console.print(problem_text(event.problem))
        task = self.tasks.get(event.channel)
        if task is None:
            return
        if event.kind in ("delivered", "opted-out"):
            self.progress.advance(task)
        elif event.kind == "failed":
            failed = self.progress.tasks[task].fields["failed"] + 1
            self.progress.update(task, advance=1, failed=failed)

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.progress.stop()


# What a run does with a channel's uncertain deliveries (``SendRun.uncertain_ahead``).
UNCERTAIN_HANDLING = {
    "look up": "each is looked up at the provider before anything is sent again: found, it is "
    "recorded as sent; not found, the text recorded for it is sent, in its recorded language, "
    "to its recorded address",
    "look up calls": "each is looked up in Twilio's Calls list: with no call to that number "
    "since its attempt began, its recorded text is called; with one, it is held uncertain "
    "(the list cannot tell whose call it is), for --resend-uncertain",
    "hold": "held uncertain: nothing is sent to them by this run; --resend-uncertain sends "
    "them again (they may then arrive twice)",
}


def show_outcomes(
    outcomes: list[ChannelOutcome],
    uncertain: Iterable[dict[str, Any]] | None = None,
    warnings: Sequence[Problem] = (),
    skipped: Mapping[str, str] | None = None,
) -> None:
    """The summary of a send: per channel, then failures, then what the checks warned about;
    ``skipped``: the channels that do not carry this version, and why."""
    out = console()
    out.print(_outcomes_table(outcomes))
    show_skipped(out, dict(skipped or {}))
    for outcome in outcomes:
        _show_fallbacks(out, outcome)
    for outcome in outcomes:
        _show_failures(out, outcome)
    for outcome in outcomes:
        _show_looked_up(out, outcome)
    show_uncertain(uncertain or ())
    _show_totals(out, outcomes)
    _show_warnings(out, warnings, "Sent with")


def _outcomes_table(outcomes: list[ChannelOutcome]) -> Table:
    """A row per channel: sent, failed (with the reasons), skipped, duplicates, already
    sent, retries."""
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
    return table


def _show_fallbacks(out: Console, outcome: ChannelOutcome) -> None:
    """Who the channel reached through its fallback instead, and who it did not try at all
    because an earlier failure suppressed them."""
    for kind, count in outcome.reached_by.items():
        out.print(
            Text(
                f"{outcome.name}: {count_of(count, 'recipient')} it could not reach "
                f"{'was' if count == 1 else 'were'} reached by {_BY.get(kind, kind)} "
                "instead (its fallback)",
                "green",
            )
        )
    if outcome.suppressed:
        out.print(
            f"{outcome.name}: {count_of(outcome.suppressed, 'recipient')} not sent: "
            "suppressed by an earlier failure (invalid or not a mobile)"
        )


def _show_failures(out: Console, outcome: ChannelOutcome) -> None:
    """What went wrong on the channel: its problems, opt-outs, the first ten failures, and a
    run stopped early or overtaken by a newer version."""
    for problem in outcome.problems:
        out.print(problem_text(problem))
    if outcome.opted_out:
        out.print(
            Text(
                f"{outcome.name}: {outcome.opted_out} recipient"
                f"{'s' * (outcome.opted_out != 1)} opted out earlier (replied STOP): not "
                "sent again",
                "yellow",
            )
        )
    for receipt in outcome.failures[:10]:
        where = f"line {receipt.target.line}: " if receipt.target.line else ""
        kind = (
            "maybe sent"
            if receipt.uncertain
            else "permanent"
            if receipt.permanent
            else "after retries"
        )
        out.print(
            Text(f"{outcome.name}: {where}{receipt.error} ({receipt.error_code}, {kind})", "red")
        )
    if len(outcome.failures) > 10:
        more = count_of(outcome.failed_total - 10, "more failure")
        out.print(Text(f"{outcome.name}: and {more}", "red"))
    if outcome.stopped:
        out.print(Text(f"{outcome.name}: stopped before the end; run the send again.", "yellow"))
    if outcome.superseded:
        out.print(
            Text(
                f"{outcome.name}: a newer version of the incident took over; this run "
                "stopped handing out the old one, and the newer run sends to everyone.",
                "yellow",
            )
        )


def _show_looked_up(out: Console, outcome: ChannelOutcome) -> None:
    """What became of the channel's "maybe sent" deliveries once looked up, if it had any."""
    if outcome.found_sent or outcome.resent or outcome.held_uncertain:
        done = [
            f"{outcome.found_sent} found sent (recorded as sent, not sent again)",
            f"{outcome.resent} not found, so sent with the text recorded for them",
            f"{outcome.held_uncertain} held uncertain",
        ]
        looked = outcome.found_sent + outcome.resent + outcome.held_uncertain
        out.print(Text(f"{outcome.name}: {looked} maybe sent, looked up: {', '.join(done)}."))


def _show_totals(out: Console, outcomes: list[ChannelOutcome]) -> None:
    """The last line: sent and failed over every channel, and how many fallbacks reached."""
    total_failed = sum(o.failed_total for o in outcomes)
    total_sent = sum(o.sent for o in outcomes)
    style = "bold red" if total_failed else "bold green"
    reached: dict[str, int] = {}
    for outcome in outcomes:
        for kind, count in outcome.reached_by.items():
            reached[kind] = reached.get(kind, 0) + count
    by = "".join(f", {n} reached by {_BY.get(kind, kind)}" for kind, n in reached.items())
    out.print(Text(f"{total_sent} sent, {total_failed} failed{by}.", style))


def show_uncertain(uncertain: Iterable[dict[str, Any]]) -> None:
    """Each delivery still uncertain, by name (masked), with why."""
    out = console()
    for item in uncertain:
        where = f" (line {item['line']})" if item.get("line") else ""
        why = item.get("why") or "an earlier run was stopped while sending it"
        out.print(
            Text(
                f"{item['channel']}: {item['recipient']}{where} uncertain: {why}; "
                "--resend-uncertain sends it again",
                "yellow",
            )
        )


def show_left(left: Sequence[str]) -> None:
    """After ``send --channel``: which channels have not had this version, and what sends it
    there (a crisis team must not learn it from the next cron run)."""
    if not left:
        return
    console().print(
        Text(
            f"Not sent on {', '.join(left)}: this run sent only on the channels asked for. "
            "The next `broadcast tick` (cron) sends this same update there; `broadcast send` "
            "without --channel sends it now.",
            "yellow",
        )
    )


# How a fallback channel's type is said: "reached by call".
_BY = {"voice": "call", "email": "email", "sms": "SMS"}


def _show_warnings(out: Console, warnings: Sequence[Problem], heading: str) -> None:
    """Warnings do not stop a send, so they are said where the sender looks: before and after."""
    if warnings:
        out.print(Text(f"{heading} {count_of(len(warnings), 'warning')}:", "yellow"))
        for warning in warnings:
            out.print(problem_text(warning))


def _show_accepted(out: Console, plan: Plan) -> None:
    """Wording errors the sender answers for (--accept-wording): said before the question,
    with the reason the ledger will keep."""
    accepted = plan.accepted_wording
    if not accepted:
        return
    out.print(
        Text(
            f"To send despite {count_of(len(accepted), 'wording error')}, for the reason "
            f'"{plan.accept_wording}" (kept in the ledger with your name):',
            "bold yellow",
        )
    )
    for problem in accepted:
        out.print(problem_text(problem))


def show_decision(run: SendRun, incident_path: Path) -> None:
    out = console()
    decision = run.decision
    if run.uncertain_found:
        out.print(
            Text(
                f"{count_of(run.uncertain_found, 'delivery', 'deliveries')} "
                f"{'was' if run.uncertain_found == 1 else 'were'} in flight when an earlier run "
                "stopped: maybe sent, maybe not (uncertain).",
                "yellow",
            )
        )
    for channel, (count, what) in run.uncertain_ahead.items():
        out.print(
            Text(
                f"{channel}: {count_of(count, 'uncertain delivery', 'uncertain deliveries')}: "
                f"{UNCERTAIN_HANDLING[what]}.",
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
    if run.approval is not None:
        # In the incident's zone, as `status` and every summary say a time ("11:40 CET").
        incident = run.plan.incident if run.plan is not None else None
        approved_at = (
            incident.local_time(run.approval.approved_at)
            if incident is not None
            else f"{run.approval.approved_at:%Y-%m-%d %H:%M} UTC"
        )
        out.print(
            Text(
                f"Approved by {run.approval.approved_by} at {approved_at}"
                + (" (signed)" if run.approval.signature else "")
                + (
                    ", as an EXERCISE"
                    if run.plan is not None and run.plan.incident and run.plan.incident.exercise
                    else ", as a real alert"
                )
                + ".",
                "green",
            )
        )
    if decision.note:
        out.print(Text(f"Note: {decision.note}.", "bold yellow"))


def show_decision_ahead(decision: Decision) -> None:
    """After a dry run: what a real send would do now, given what was already sent."""
    what = {
        "new": "send this as a new update",
        "continue": "finish the last update that did not complete",
        "reminder": "send this reminder, to keep the promised update",
        "nothing": "send nothing",
    }[decision.action]
    console().print(Text(f"A real send now would {what}: {decision.reason}.", "bold"))
    if decision.note:
        console().print(Text(f"Note: {decision.note}", "bold yellow"))


def show_approval(document: dict[str, Any], plan: Plan) -> None:
    """After ``approve``: who approved what, and what happens next."""
    channels = ", ".join(c.name for c in plan.channels)
    signed = " (signed)" if document["signed"] else ""
    drill = " as an EXERCISE" if document["exercise"] else " as a real alert"
    reminders = len(document.get("reminders", ()))
    what = "every text" if document.get("version", True) else "the coming reminders"
    console().print(
        Text(
            f"Approved by {document['approved_by']}{signed}{drill}: {what} of {channels}, "
            f"and {reminders} reminder{'s' * (reminders != 1)} (texts "
            f"{document['texts_hash'][:12]}). Someone other than {document['approved_by']} "
            f"can now send it{' with --exercise' if document['exercise'] else ''}; an edit "
            "to the file voids this approval.",
            "bold green",
        )
    )
