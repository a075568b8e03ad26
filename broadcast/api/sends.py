"""Send an incident (``send``, ``retry``) or a folder of them (``tick``): one run from lock to
outcome, logged event by event, watched by whoever called it (``SendWatch``)."""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from broadcast.api import EXIT_BAD_INPUT, EXIT_BUSY, EXIT_DELIVERY_FAILED, EXIT_OK, clock
from broadcast.problems import InputError, Problem

if TYPE_CHECKING:
    from broadcast.delivery.dispatch import ChannelOutcome, Event
    from broadcast.delivery.eventlog import EventLog
    from broadcast.delivery.plan import Plan
    from broadcast.delivery.sending import SendRun


Answer = Literal["send", "declined", "cannot ask"]


class SendWatch(Protocol):
    """What a caller sees of a send while it runs, and how it is asked before anything goes."""

    def planned(self, run: SendRun, ask: bool) -> None:
        """The run holds the incident and has planned: the channels this host cannot send
        on are known, before anything is asked or sent."""

    def about_to_send(self, run: SendRun, ask: bool) -> Answer:
        """The last word before the deliveries start: with ``ask``, the caller's answer."""
        ...

    def progress(self, plan: Plan) -> AbstractContextManager[Callable[[Event], None]]:
        """What receives every event of the deliveries (progress, a Ctrl-C acknowledged)."""
        ...

    def incident_done(self, result: Sent) -> None:
        """One incident of a ``tick`` is done (its clashes said first, by ``clashes``)."""

    def clashes(self, problems: list[Problem]) -> None:
        """A ``tick`` found files sharing an id: they are not sent, the others are."""


class QuietWatch:
    """A send that shows nothing and asks nothing: the library's default (``--yes``)."""

    def planned(self, run: SendRun, ask: bool) -> None:
        pass

    def about_to_send(self, run: SendRun, ask: bool) -> Answer:
        return "send"

    def progress(self, plan: Plan) -> AbstractContextManager[Callable[[Event], None]]:
        return nullcontext(lambda event: None)

    def incident_done(self, result: Sent) -> None:
        pass

    def clashes(self, problems: list[Problem]) -> None:
        pass


SentKind = Literal[
    "refused",  # the plan has errors: nothing was sent
    "nothing",  # nothing to say (or still held uncertain)
    "declined",  # the person said no
    "cannot ask",  # asking was needed and there is no one to ask
    "sent",  # the deliveries ran
    "not its id",  # the ledger says this file may not speak for its id
    "shared id",  # tick: another file of the folder has the same id (neither is sent)
    "busy",  # another run holds the incident
    "fault",  # a fault of the machine or a lost ledger
    "crashed",  # an error of ours, in one incident of a tick
]


@dataclass
class Sent:
    """What one send (a retry, one incident of a tick) did, and what its exit code says.

    ``document`` is its ``--json`` document (None when it had nothing to say: declined, or
    nobody to ask); the rest is what a terminal shows of it."""

    incident: Path
    kind: SentKind
    exit_code: int
    document: dict[str, object] | None = None
    run: SendRun | None = None
    outcomes: list[ChannelOutcome] = field(default_factory=list)
    uncertain: list[dict[str, object]] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def plan(self) -> Plan | None:
        return self.run.plan if self.run is not None else None

    def to_json(self) -> dict[str, object] | None:
        return self.document


@dataclass
class Tick:
    """What ``tick`` did with a folder: every incident's ``Sent``, in the order tried."""

    folder: Path
    sent: list[Sent]
    left_out: dict[Path, str]

    @property
    def exit_code(self) -> int:
        """The worst of the incidents': bad input, then a delivery failure, then busy."""
        codes = [s.exit_code for s in self.sent]
        return (
            max(codes, key=lambda c: (c == EXIT_BAD_INPUT, c == EXIT_DELIVERY_FAILED, c))
            if codes
            else EXIT_OK
        )

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.exit_code == EXIT_OK,
            "exit_code": self.exit_code,
            "incidents": [
                {"file": str(s.incident), "exit_code": s.exit_code, **(s.document or {})}
                for s in self.sent
            ],
            "left_out": [{"file": str(p), "reason": why} for p, why in self.left_out.items()],
        }


def send(
    incident: Path,
    config: Path | None = None,
    *,
    channels: Sequence[str] = (),
    ask: bool = False,
    watch: SendWatch | None = None,
    state: Path | None = None,
    lock_timeout: float = 30.0,
    log_file: Path | None = None,
    strict: bool = False,
    resend_uncertain: bool = False,
    retry_transient: bool = False,
    continue_incident: bool = False,
    ledger_lost: bool = False,
    sender: str | None = None,
    exercise: bool = False,
    standby: bool = False,
    signing_key: Path | None = None,
    other_ledger: bool = False,
    accept_wording: str | None = None,
) -> Sent:
    """One incident, from lock to outcome: what ``broadcast send`` does (``retry`` with
    ``retry_transient``). Safe to repeat: an unchanged file sends nothing unless a promised
    update is due. With ``ask``, ``watch.about_to_send`` decides whether it goes.
    ``accept_wording``: the sender's reason to send despite wording errors (recorded)."""
    from broadcast.delivery.eventlog import EventLog
    from broadcast.delivery.sending import Busy, SendRun
    from broadcast.delivery.wording_gate import checked_reason
    from broadcast.input.config import config_path
    from broadcast.ledger.sqlite import LedgerFault

    watch = watch or QuietWatch()
    accept_wording = checked_reason(accept_wording)  # an empty reason: refused, nothing sent
    with _collector_paused() as deliveries_start:
        log = EventLog.from_option(log_file)
        run = SendRun(
            incident,
            config_path(config),
            clock(),
            only=channels,
            state_dir=state,
            lock_timeout=lock_timeout,
            resend_uncertain=resend_uncertain,
            retry_transient=retry_transient,
            continue_incident=continue_incident,
            ledger_lost=ledger_lost,
            sender=sender,
            exercise=exercise,
            # Without a question, the recipients stream as they are read (none counted first).
            stream_recipients=not ask,
            standby=standby,
            strict=strict,
            # The sender's key: --key, else $BROADCAST_SIGNING_KEY (tick and retry, cron).
            signing_key=signing_key or _signing_key(),
            other_ledger=other_ledger,
            accept_wording=accept_wording,
        )
        try:
            with run:
                return _send_run(run, incident, log, watch, ask, deliveries_start)
        except InputError as refused:  # the ledger says this file may not speak for its id
            for problem in refused.problems:
                log.write("problem", **problem.to_json())
            document = {"ok": False, "sent": 0, "problems": [p.to_json() for p in refused.problems]}
            return Sent(incident, "not its id", EXIT_BAD_INPUT, document, problems=refused.problems)
        except Busy as busy:
            log.write("busy", incident=str(incident), message=str(busy))
            document = {"ok": False, "busy": True, "message": str(busy)}
            return Sent(
                incident, "busy", EXIT_BUSY, document, problems=[Problem(str(busy), incident)]
            )
        except LedgerFault as fault:
            # A fault of the machine (or a lost ledger): before any delivery, nothing was sent
            # (exit 2, as for bad input); after, some may have been (exit 1).
            message = str(fault) + ("" if run.dispatched else " Nothing was sent.")
            log.write("fault", incident=str(incident), message=message)
            code = EXIT_DELIVERY_FAILED if run.dispatched else EXIT_BAD_INPUT
            document = {"ok": False, "fault": True, "message": message}
            return Sent(incident, "fault", code, document, problems=[Problem(message)])
        finally:
            log.close()


@contextmanager
def _collector_paused() -> Iterator[Callable[[Plan], None]]:
    """Until the deliveries start, a send is start-up (loading, planning), run with Python's
    cyclic garbage collector paused; it gives the function that ends the start-up."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield lambda plan: _deliveries_start(plan, collecting)
    finally:
        gc.enable()


def _deliveries_start(plan: Plan, collecting: bool) -> None:
    """The end of a send's start-up, with the collector paused since the command line loaded
    (broadcast/__main__.py): what it made (modules, the plan, the channels' SDKs, loaded here
    rather than in the channels' threads) lives as long as the send, so in our own process
    it is frozen, never scanned again; the collector then runs for the deliveries. Scanning
    it all every few hundred allocations cost the first message about a tenth of its CPU.
    """
    from broadcast.channels import adapter_class

    for channel in plan.channels:
        if plan.config is None or not plan.config.fallback_only(channel.name):
            adapter_class(channel.type)  # a fallback's, if ever needed, loads later
    if not collecting:  # a long-lived caller (a test's runner) keeps its objects scannable
        gc.freeze()
    gc.enable()


def _send_run(
    run: SendRun,
    incident: Path,
    log: EventLog,
    watch: SendWatch,
    ask: bool,
    deliveries_start: Callable[[Plan], None],
) -> Sent:
    """The run, holding the incident: plan said, refused or confirmed, then delivered."""
    plan, decision = run.plan, run.decision
    log.write(
        "run",
        incident=str(incident),
        action=decision.action if decision else None,
        reason=decision.reason if decision else None,
        uncertain_found=run.uncertain_found or None,
        # What this run does with them, per channel (look up, look up calls, hold).
        uncertain_ahead={c: a for c, (_, a) in run.uncertain_ahead.items()} or None,
    )
    for found in run.unavailable.values():
        for problem in found:
            log.write("unavailable", **problem.to_json())
    watch.planned(run, ask)
    if plan is not None and not plan.ok:
        for problem in plan.all_problems:
            log.write("problem", **problem.to_json())
        document = {**plan.to_json(), "action": None, "sent": 0, "unavailable": unavailable(run)}
        return Sent(incident, "refused", EXIT_BAD_INPUT, document, run)
    assert decision is not None
    if plan is None:  # nothing to say
        # Still uncertain from earlier runs: named, and the exit says so, every time.
        uncertain = _uncertain(run)
        held = run.uncertain_found or uncertain or run.unavailable
        code = EXIT_DELIVERY_FAILED if held else EXIT_OK
        return Sent(
            incident, "nothing", code, _decision_json(run, [], uncertain), run, [], uncertain
        )
    warnings = [p for p in plan.all_problems if not p.is_error]
    for warning in warnings:
        log.write("warning", **warning.to_json())
    for name, reason in plan.skipped.items():
        log.write("skipped", channel=name, reason=reason)
    answer = watch.about_to_send(run, ask)
    if answer != "send":
        code = EXIT_OK if answer == "declined" else EXIT_BAD_INPUT
        return Sent(incident, answer, code, None, run)
    outcomes = _deliver(run, incident, log, watch, deliveries_start)
    uncertain = _uncertain(run)
    # The rows read while sending have their say (the plan may have read the first).
    warnings = [p for p in plan.all_problems if not p.is_error]
    for outcome in outcomes:
        log.write("channel", **{k: v for k, v in outcome.to_json().items() if k != "failures"})
    # --channel: the other channels have not had this version; the next tick sends it.
    left = run.left_out()
    if left:
        log.write("not_sent_on", channels=left)
    document = {**_decision_json(run, outcomes, uncertain), "not_sent_on": left}
    failed = (
        any(o.failed_total or o.problems or o.stopped for o in outcomes)
        or uncertain
        or run.unavailable
    )
    code = EXIT_DELIVERY_FAILED if failed else EXIT_OK
    return Sent(incident, "sent", code, document, run, outcomes, uncertain, warnings, left)


def _deliver(
    run: SendRun,
    incident: Path,
    log: EventLog,
    watch: SendWatch,
    deliveries_start: Callable[[Plan], None],
) -> list[ChannelOutcome]:
    """The deliveries, every event logged and handed to the watch."""
    from broadcast.delivery.dispatch import SendAbandoned

    assert run.plan is not None
    with watch.progress(run.plan) as on_event:

        def record(event: Event) -> None:
            if event.kind == "stopping":
                log.write("stopping", incident=str(incident))
            if event.kind == "skipped" and event.problem is not None:
                log.write("warning", **event.problem.to_json())
            on_event(event)
            _log_delivery(log, event)

        deliveries_start(run.plan)
        try:
            return run.deliver(on_event=record)
        except SendAbandoned as abandoned:
            # The threads left behind may fail once the ledger closes; their
            # deliveries are already marked uncertain, so their errors are noise. Only
            # theirs: a library caller's process goes on, and its other threads' failures
            # still reach the hook it had.
            _quiet_threads(threading.enumerate())
            log.write("abandoned", incident=str(incident), uncertain=abandoned.uncertain)
            return abandoned.outcomes


def _quiet_threads(left_behind: list[threading.Thread]) -> None:
    """Python's thread hook says nothing of ``left_behind``'s failures, and passes every
    other thread's on to the hook there was."""
    quiet = {thread for thread in left_behind if thread is not threading.current_thread()}
    before = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.thread not in quiet:
            before(args)

    threading.excepthook = hook


def _uncertain(run: SendRun) -> list[dict[str, object]]:
    """Deliveries held maybe-sent (a killed run, a provider's unclear answer): looked up by
    the next run where the channel can, else waiting for --resend-uncertain."""
    from broadcast.ledger.sqlite import UNCERTAIN

    if run.plan is not None and run.plan.incident is not None:
        incident_id = run.plan.incident.id
    elif run.decision is not None and run.decision.version is not None:
        incident_id = run.decision.version.incident_id  # nothing to say: no plan was made
    else:
        return []
    if run.ledger is None:
        return []
    latest = run.ledger.latest_version(incident_id)
    if latest is None:
        return []
    return [
        {
            "channel": d.channel,
            "recipient": d.recipient_hint,
            "line": d.line,
            # Why it is uncertain, when a lookup said (None: a run stopped while sending it).
            "why": d.error_message,
        }
        for d in run.ledger.deliveries(latest.id, states=(UNCERTAIN,))
    ]


def _decision_json(
    run: SendRun,
    outcomes: list[ChannelOutcome],
    uncertain: Iterable[dict[str, object]] = (),
) -> dict[str, object]:
    decision = run.decision
    assert decision is not None
    base = run.plan.to_json() if run.plan is not None else {"ok": True}
    warnings = [p for p in run.plan.all_problems if not p.is_error] if run.plan else []
    return {
        **base,
        "action": decision.action,
        "reason": decision.reason,
        "note": decision.note or None,
        "reminder": decision.reminder,
        "sent": sum(o.sent for o in outcomes),
        "delivery": [o.to_json() for o in outcomes],
        "uncertain": list(uncertain),
        # What this run did with the uncertain deliveries it found (look up, hold...).
        "uncertain_ahead": {
            channel: {"count": count, "action": action}
            for channel, (count, action) in run.uncertain_ahead.items()
        },
        "follow_up": run.followed.to_json() if run.followed is not None else None,
        "warnings": [w.to_json() for w in warnings],
        "receipts": run.receipts.to_json() if run.receipts else None,
        "unavailable": unavailable(run),
    }


def unavailable(run: SendRun) -> list[dict[str, object]]:
    """The channels this host cannot send on (a variable not set), with why."""
    return [
        {"channel": name, "problems": [p.to_json() for p in problems]}
        for name, problems in run.unavailable.items()
    ]


def _log_delivery(log: EventLog, event: Event) -> None:
    if event.kind not in ("delivered", "failed") or event.receipt is None:
        return
    from broadcast.ledger.sqlite import Ledger

    receipt = event.receipt
    log.write(
        "delivery",
        channel=event.channel,
        state="sent" if receipt.ok else ("failed-permanent" if receipt.permanent else "failed"),
        recipient=Ledger.recipient_hint(receipt.target.address),
        line=receipt.target.line,
        provider_id=receipt.provider_id,
        code=receipt.error_code,
        error=receipt.error,
        attempts=receipt.attempts,
    )


def _signing_key() -> Path | None:
    from broadcast.delivery.approval import KEY_ENV

    value = os.environ.get(KEY_ENV, "").strip()
    return Path(value) if value else None


def tick(
    folder: Path,
    config: Path | None = None,
    *,
    ask: bool = False,
    watch: SendWatch | None = None,
    state: Path | None = None,
    lock_timeout: float = 30.0,
    log_file: Path | None = None,
    continue_incident: bool = False,
) -> Tick:
    """``send`` for every incident file of ``folder``: one cron line keeps every promise.
    Files sharing an id are not sent; every other file is tried, and one that is refused or
    fails never stops the others."""
    from broadcast.delivery.sending import incident_files, shared_ids
    from broadcast.input.config import config_path

    if not folder.is_dir():
        raise InputError([Problem(f"{folder} is not a folder of incident files", folder)])
    watch = watch or QuietWatch()
    files, left_out = incident_files(folder, config_path(config))
    clashes = shared_ids(files, config_path(config))
    if clashes:
        watch.clashes(list(clashes.values()))
    done = [
        Sent(path, "shared id", EXIT_BAD_INPUT, {"problems": [clash.to_json()]}, problems=[clash])
        for path, clash in clashes.items()
    ]
    for path in files:
        if path in clashes:
            continue
        try:
            sent = send(
                path,
                config,
                ask=ask,
                watch=watch,
                state=state,
                lock_timeout=lock_timeout,
                log_file=log_file,
                continue_incident=continue_incident,
                standby=True,
            )
        except Exception as exc:  # one file must never stop the others
            sent = _crashed(path, exc, log_file)
        watch.incident_done(sent)
        done.append(sent)
    return Tick(folder, done, left_out)


def _crashed(path: Path, exc: Exception, log_file: Path | None) -> Sent:
    from broadcast.delivery.eventlog import EventLog

    message = f"this incident stopped with {type(exc).__name__}: {exc}"[:500]
    log = EventLog.from_option(log_file)
    log.write("crash", incident=str(path), message=message)
    log.close()
    document: dict[str, object] = {"ok": False, "error": message}
    return Sent(path, "crashed", EXIT_DELIVERY_FAILED, document, problems=[Problem(message, path)])
