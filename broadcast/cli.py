"""The ``broadcast`` command: parse arguments, call the core, print. No logic a test needs."""

import gc
import json
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, NoReturn

import typer
from typer.core import TyperCommand

from broadcast import __version__
from broadcast.problems import InputError, Problem

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from broadcast.delivery.dispatch import ChannelOutcome, Event
    from broadcast.delivery.eventlog import EventLog
    from broadcast.delivery.preflight import Plan
    from broadcast.delivery.sending import SendRun
    from broadcast.input.config import Config
    from broadcast.input.incident import Incident
    from broadcast.ledger.sqlite import Ledger


EXIT_OK = 0
EXIT_DELIVERY_FAILED = 1
EXIT_BAD_INPUT = 2


class PlainUsageCommand(TyperCommand):
    """A command whose usage line reads ``send [OPTIONS] INCIDENT``, as man pages write it.

    Typer writes a required argument as ``{INCIDENT}``, which reads as a shell brace expansion.
    """

    def collect_usage_pieces(self, ctx: typer.Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = param.metavar or (param.name or "").upper()
                pieces.append(name if param.required else f"[{name}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces


app = typer.Typer(
    name="broadcast",
    help="One crisis message, every channel: validate, preview and send an incident.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"broadcast {__version__}")
        raise typer.Exit(EXIT_OK)


# Commands that are start-up and nothing else: Python's cyclic garbage collector stays paused
# for them (see _no_cycle_collection).
_START_UP_ONLY = frozenset({"preview", "validate"})
# Commands that send: their start-up runs without the collector too, which comes back when
# the deliveries start (see _run_send).
_SENDS = frozenset({"send", "retry", "tick"})


@app.callback()
def _options(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """One crisis message, every channel: validate, preview and send an incident."""
    if ctx.invoked_subcommand not in _START_UP_ONLY | _SENDS:
        # broadcast/__main__.py paused the collector while the command line loaded; a send
        # runs long and needs it.
        gc.enable()


IncidentArg = Annotated[
    Path,
    typer.Argument(
        help="The incident file (YAML).", show_default=False, dir_okay=False, metavar="INCIDENT"
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="channels.yaml to use (default: $BROADCAST_CONFIG, then ./channels.yaml).",
        show_default=False,
        metavar="FILE",
    ),
]
ChannelOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--channel",
        help="Only this channel (repeat for several).",
        show_default=False,
        metavar="NAME",
    ),
]
StrictOpt = Annotated[
    bool,
    typer.Option("--strict", help="Treat wording warnings (jargon, long sentences...) as errors."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout instead.")]
ExerciseOpt = Annotated[
    bool,
    typer.Option(
        "--exercise",
        help="A drill: every text marked EXERCISE, only exercise_recipients, kept apart in the "
        "ledger (as exercise: true in the incident).",
    ),
]
AsOpt = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Who you are (default: $BROADCAST_USER, then your login name).",
        show_default=False,
        metavar="NAME",
    ),
]


@app.command(cls=PlainUsageCommand)
def validate(
    incident: IncidentArg,
    config: ConfigOpt = None,
    channel: ChannelOpt = None,
    as_json: JsonOpt = False,
    strict: StrictOpt = False,
) -> None:
    """Check the incident, the configuration, every template, the recipients and the wording.

    Lists every problem found, not just the first. Exit code 2 if any is an error.
    """
    with _no_cycle_collection():
        plan = _prepare(incident, config, channel, strict=strict)
        if as_json:
            _print_json(plan.to_json())
        else:
            from broadcast.terminal.preview import show_validation

            show_validation(plan)
    raise typer.Exit(EXIT_OK if plan.ok else EXIT_BAD_INPUT)


@app.command(cls=PlainUsageCommand)
def preview(
    incident: IncidentArg,
    config: ConfigOpt = None,
    channel: ChannelOpt = None,
    as_json: JsonOpt = False,
    html: Annotated[
        bool, typer.Option("--html", help="Show HTML parts as source, not as plain text.")
    ] = False,
    strict: StrictOpt = False,
    exercise: ExerciseOpt = False,
) -> None:
    """Show exactly what each channel would carry, with its measures. Sends nothing."""
    with _no_cycle_collection():
        plan = _prepare(
            incident,
            config,
            channel,
            strict=strict,
            occasions=lambda loaded, parsed: _occasions(incident, config, exercise, loaded, parsed),
            exercise=exercise,
        )
        if as_json:
            _print_json(plan.to_json())
        else:
            from broadcast.terminal.preview import show_preview

            show_preview(plan, html_source=html)
    raise typer.Exit(EXIT_OK if plan.ok else EXIT_BAD_INPUT)


StateOpt = Annotated[
    Path | None,
    typer.Option(
        "--state",
        help="Ledger folder (default: $BROADCAST_STATE, then .broadcast/ beside channels.yaml).",
        show_default=False,
        metavar="DIR",
    ),
]
YesOpt = Annotated[
    bool, typer.Option("--yes", "-y", help="Send without asking (required without a terminal).")
]
LogOpt = Annotated[
    Path | None,
    typer.Option(
        "--log-file",
        help="Append one JSON line per event (default: $BROADCAST_LOG).",
        show_default=False,
        metavar="FILE",
    ),
]
LockOpt = Annotated[
    float,
    typer.Option(
        "--lock-timeout",
        help="Seconds to wait for another run of the same incident.",
        metavar="SECONDS",
    ),
]
ContinueOpt = Annotated[
    bool,
    typer.Option(
        "--continue-incident",
        help="This file continues the incident its id names, though sent from another file "
        "or reopening it more than a day after it was resolved.",
    ),
]
EXIT_BUSY = 3


class RunOptions(NamedTuple):
    """What ``send``, ``retry`` and ``tick`` share: how a run is set up, confirmed and logged."""

    config: Path | None
    yes: bool
    as_json: bool
    state: Path | None
    lock_timeout: float
    log_file: Path | None
    strict: bool = False


@app.command(cls=PlainUsageCommand)
def send(
    incident: IncidentArg,
    config: ConfigOpt = None,
    channel: ChannelOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Render and check everything; send nothing.")
    ] = False,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    state: StateOpt = None,
    resend_uncertain: Annotated[
        bool,
        typer.Option(
            "--resend-uncertain",
            help="Also re-send deliveries a killed run left uncertain (they may arrive twice).",
        ),
    ] = False,
    lock_timeout: LockOpt = 30.0,
    log_file: LogOpt = None,
    continue_incident: ContinueOpt = False,
    strict: StrictOpt = False,
    ledger_lost: Annotated[
        bool,
        typer.Option(
            "--ledger-lost",
            help="The ledger was lost: send the current version to everyone again, though "
            "traces show the incident was sent before.",
        ),
    ] = False,
    as_name: AsOpt = None,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="Sign as the sender with this SSH private key, for approval.allowed_signers "
            "(default: $BROADCAST_SIGNING_KEY).",
            show_default=False,
            dir_okay=False,
            metavar="FILE",
        ),
    ] = None,
    exercise: ExerciseOpt = False,
    other_ledger: Annotated[
        bool,
        typer.Option(
            "--other-ledger",
            help="Another ledger of this machine (another folder or --state) sent this "
            "incident first: this one takes it over, and everyone gets the current version "
            "from it.",
        ),
    ] = False,
) -> None:
    """Send the incident on every channel (or the --channel ones); safe to repeat from cron.

    Everything is rendered and checked first; if anything is wrong, nothing at all is sent
    (exit 2). Run again with an unchanged file, it sends nothing, unless the promised next
    update is due: then a reminder goes out. With --dry-run, checks and stops: no credentials
    needed. Exit 1 if any delivery failed, 3 if another run holds the incident.
    """
    if dry_run:
        from broadcast.delivery.dry_run import dry_run as check_send
        from broadcast.input.config import config_path
        from broadcast.ledger.sqlite import LedgerFault

        try:
            # One reading of the files for what the send would do and the plan it would send.
            decision, plan = check_send(
                incident,
                config_path(config),
                _now(),
                channel or (),
                state,
                exercise=exercise,
                sender=as_name,
                strict=strict,
            )
        except LedgerFault as fault:
            _fail([Problem(str(fault))])
        if as_json:
            would = (
                {"action": decision.action, "reason": decision.reason, "note": decision.note}
                if decision
                else {}
            )
            _print_json({**plan.to_json(), "dry_run": True, "sent": 0, **would})
        else:
            from broadcast.terminal.preview import show_preview
            from broadcast.terminal.sending import show_decision_ahead

            show_preview(plan, html_source=False, dry_run=True)
            if decision is not None and plan.ok:
                show_decision_ahead(decision)
        raise typer.Exit(EXIT_OK if plan.ok else EXIT_BAD_INPUT)
    options = RunOptions(config, yes, as_json, state, lock_timeout, log_file, strict)
    raise typer.Exit(
        _run_send(
            incident,
            channel,
            options,
            resend_uncertain=resend_uncertain,
            continue_incident=continue_incident,
            ledger_lost=ledger_lost,
            sender=as_name,
            exercise=exercise,
            signing_key=key,
            other_ledger=other_ledger,
        )
    )


@app.command(cls=PlainUsageCommand)
def retry(
    incident: IncidentArg,
    config: ConfigOpt = None,
    channel: ChannelOpt = None,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    state: StateOpt = None,
    lock_timeout: LockOpt = 30.0,
    log_file: LogOpt = None,
) -> None:
    """Re-send the latest update's deliveries that failed for a passing reason."""
    options = RunOptions(config, yes, as_json, state, lock_timeout, log_file)
    raise typer.Exit(_run_send(incident, channel, options, retry_transient=True))


@app.command(cls=PlainUsageCommand)
def tick(
    folder: Annotated[
        Path,
        typer.Argument(help="Folder of incident files.", file_okay=False, metavar="DIR"),
    ],
    config: ConfigOpt = None,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    state: StateOpt = None,
    lock_timeout: LockOpt = 30.0,
    log_file: LogOpt = None,
    continue_incident: ContinueOpt = False,
) -> None:
    """Run send for every incident file in DIR: one cron line keeps every promise.

    Hidden files and editors' copies (.#incident.yaml, incident.yaml~) are left out, and said.

    Files sharing an id are not sent (exit 2); the others are. Every file is tried: one that is
    refused or fails is reported and never stops the others.
    Exit code: the worst of the incidents' (2 bad input, 1 delivery failure, 3 busy).
    """
    from broadcast.delivery.sending import incident_files, shared_ids
    from broadcast.input.config import config_path

    if not folder.is_dir():
        _fail([Problem(f"{folder} is not a folder of incident files", folder)])
    files, left_out = incident_files(folder, config_path(config))
    options = RunOptions(config, yes, as_json, state, lock_timeout, log_file)
    clashes = shared_ids(files, config_path(config))
    if clashes and not as_json:
        from broadcast.terminal.console import show_problems

        show_problems(list(clashes.values()))
    documents: list[dict[str, object]] = [
        {"file": str(path), "exit_code": EXIT_BAD_INPUT, "problems": [clash.to_json()]}
        for path, clash in clashes.items()
    ]
    codes = [EXIT_BAD_INPUT] * bool(clashes)
    for path in files:
        if path in clashes:
            continue
        emitted: list[dict[str, object]] = []
        try:
            code = _run_send(
                path,
                None,
                options,
                emit=emitted.append,
                continue_incident=continue_incident,
                standby=True,
            )
        except Exception as exc:  # one file must never stop the others
            from broadcast.delivery.eventlog import EventLog
            from broadcast.terminal.console import show_problems

            code = EXIT_DELIVERY_FAILED
            message = f"this incident stopped with {type(exc).__name__}: {exc}"[:500]
            log = EventLog.from_option(log_file)
            log.write("crash", incident=str(path), message=message)
            log.close()
            emitted[:] = [{"ok": False, "error": message}]
            if not as_json:
                show_problems([Problem(message, path)])
        codes.append(code)
        documents.append({"file": str(path), "exit_code": code, **(emitted[0] if emitted else {})})
    worst = (
        max(codes, key=lambda c: (c == EXIT_BAD_INPUT, c == EXIT_DELIVERY_FAILED, c))
        if codes
        else 0
    )
    if left_out and not as_json:
        from broadcast.terminal.console import show_problems

        # Once, after the incidents: a cron mail's first line stays the incidents' own.
        show_problems(
            [
                Problem(
                    "not incident files, left out: "
                    + ", ".join(f"{path.name} ({why})" for path, why in left_out.items()),
                    folder,
                    severity="warning",
                )
            ]
        )
    if as_json:
        _print_json(
            {
                "ok": worst == EXIT_OK,
                "exit_code": worst,
                "incidents": documents,
                "left_out": [{"file": str(p), "reason": why} for p, why in left_out.items()],
            }
        )
    raise typer.Exit(worst)


@app.command(cls=PlainUsageCommand)
def approve(
    incident: IncidentArg,
    config: ConfigOpt = None,
    as_name: AsOpt = None,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="Sign the approval with this SSH private key (ssh-keygen -Y sign), for "
            "approval.allowed_signers.",
            show_default=False,
            dir_okay=False,
            metavar="FILE",
        ),
    ] = None,
    yes: Annotated[
        bool,
        typer.Option("--yes", "-y", help="Approve without asking (required without a terminal)."),
    ] = False,
    state: StateOpt = None,
    as_json: JsonOpt = False,
    exercise: ExerciseOpt = False,
) -> None:
    """Show what every channel will carry and approve exactly those texts, as a second person.

    Every text of every channel and language is approved, byte for byte, with the reminders
    that keep its promise over the next 24 hours, in the mode given (a real alert, or
    --exercise): a send goes out with exactly those texts, or not at all. On a file already
    sent, it approves the reminders still to come. The person who sends must be someone else.
    """
    from broadcast.delivery.approval import check_name, mode_of, mode_words, record_approval
    from broadcast.delivery.approval import person as person_of
    from broadcast.delivery.sending import ToApprove, plans_to_approve
    from broadcast.input.config import config_path
    from broadcast.ledger.location import state_folder
    from broadcast.ledger.sqlite import Ledger, LedgerFault, ledger_errors
    from broadcast.terminal.preview import show_preview

    now = _now()
    approver = person_of(as_name)
    try:
        check_name(approver, incident)
        found = plans_to_approve(
            incident,
            config_path(config),
            now,
            state_dir=state,
            exercise=exercise,
            previous_wording=_previous_wording,
        )
    except LedgerFault as fault:
        _fail([Problem(str(fault))])
    except InputError as exc:
        _fail(exc.problems)
    if not isinstance(found, ToApprove):
        if as_json:
            _print_json({**found.to_json(), "approved": False})
        else:
            show_preview(found, html_source=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    mode = mode_of(found.incident)
    shown = found.shown
    assert shown.config is not None
    if not as_json:
        from broadcast.terminal.approval import show_envelope, show_reminders

        if found.update is not None:
            show_preview(found.update, html_source=False)
        else:
            typer.echo(
                f"{incident} is the version already sent at "
                f"{found.incident.local_time(found.anchor)}: this approves its reminders."
            )
        show_envelope(shown)
        show_reminders(found.reminders, mode_words(mode))
    if not yes:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            _fail(
                [
                    Problem(
                        "there is no terminal to confirm on, so nothing was approved; add --yes "
                        "to approve the texts shown without asking"
                    )
                ]
            )
        if not typer.confirm(
            f"Approve every text above as {approver}, as {mode_words(mode)}?", default=False
        ):
            raise typer.Exit(EXIT_OK)
    try:
        ledger = Ledger(
            state_folder(state, shown.config.folder, dict(os.environ)),
            address=shown.config.ledger,
        )
        try:
            with ledger_errors(ledger.path):
                approval = record_approval(
                    ledger, found.incident.id, found.manifest, approver, key, incident, now
                )
        finally:
            ledger.close()
    except LedgerFault as fault:
        _fail([Problem(str(fault))])
    except InputError as exc:
        _fail(exc.problems)
    document = {
        "approved": True,
        "incident": found.incident.id,
        "approved_by": approval.approved_by,
        "approved_at": approval.approved_at.isoformat(),
        "texts_hash": found.manifest.digest,
        "signed": approval.signature is not None,
        "exercise": found.incident.exercise,
        "mode": mode,
        "texts_at": found.anchor.isoformat(),
        "version": found.update is not None,
        "reminders": [r.now.isoformat() for r in found.reminders],
    }
    if as_json:
        _print_json(document)
    else:
        from broadcast.terminal.sending import show_approval

        show_approval(document, shown)


@app.command(cls=PlainUsageCommand)
def status(
    incident: IncidentArg,
    config: ConfigOpt = None,
    state: StateOpt = None,
    as_json: JsonOpt = False,
    exercise: ExerciseOpt = False,
) -> None:
    """What was sent: versions, deliveries per channel by state, failures, the next promise."""
    from broadcast.report.status import incident_status

    def summarise(
        ledger: "Ledger", parsed: "Incident", now: datetime, loaded: "Config"
    ) -> dict[str, Any]:
        from broadcast.delivery.receipts import receipt_channels
        from broadcast.delivery.sending import channels_left

        summary = incident_status(ledger, parsed, now, receipt_channels(loaded))
        # The channels the latest version has not gone to (a send with --channel): the next
        # tick sends it there.
        return {**summary, "not_sent_on": channels_left(ledger, parsed, loaded)}

    summary = _from_ledger(incident, config, state, summarise, exercise)
    if as_json:
        _print_json(summary)
    else:
        from broadcast.terminal.status import show_status

        show_status(summary)


@app.command(cls=PlainUsageCommand)
def reconcile(
    incident: IncidentArg,
    config: ConfigOpt = None,
    state: StateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask Twilio what became of every SMS sent and not yet final: delivered or not.

    Exit code: 0 when every one could be asked about, 1 when some receipts report failures
    (or some could not be asked), 2 on bad input.
    """
    from broadcast.delivery.receipts import reconcile as read_receipts
    from broadcast.input.config import config_path, load_config
    from broadcast.input.incident import load_incident
    from broadcast.ledger.location import state_folder
    from broadcast.ledger.sqlite import Ledger, LedgerFault

    try:
        loaded = load_config(config_path(config))
        parsed, _ = load_incident(incident, loaded.defaults.model_dump())
    except InputError as exc:
        _fail(exc.problems)
    try:
        folder = state_folder(state, loaded.folder, dict(os.environ))
        ledger = Ledger(folder, address=loaded.ledger)
    except LedgerFault as fault:  # the ledger cannot be opened: said, not a traceback
        _fail([Problem(str(fault))])
    try:
        result = read_receipts(ledger, loaded, parsed.id)
    finally:
        ledger.close()
    document = {"incident": parsed.id, **result.to_json()}
    if as_json:
        _print_json(document)
    else:
        from broadcast.terminal.receipts import show_reconciliation

        show_reconciliation(document)
    failed = result.undelivered or not result.complete
    raise typer.Exit(EXIT_DELIVERY_FAILED if failed else EXIT_OK)


@app.command(cls=PlainUsageCommand)
def report(
    incident: IncidentArg,
    config: ConfigOpt = None,
    state: StateOpt = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="terminal, md (Markdown) or html (a timeline; report.css goes beside --output).",
            metavar="FORMAT",
        ),
    ] = "terminal",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file.", dir_okay=False, metavar="FILE"),
    ] = None,
    as_json: JsonOpt = False,
    exercise: ExerciseOpt = False,
) -> None:
    """The post-incident evaluation: speed, updates, promises kept, deliveries, reminders.

    On an exercise (--exercise, or exercise: true in the file), it evaluates the drill."""
    from broadcast.report.evaluation import post_incident_report
    from broadcast.report.html import STYLES, STYLESHEET, report_html
    from broadcast.report.markdown import report_markdown

    if fmt not in ("terminal", "md", "html"):
        _fail([Problem(f"--format {fmt}: use terminal, md or html")])
    if fmt == "html" and output is not None and output.name == STYLESHEET:
        _fail([Problem(f"--output {output}: {STYLESHEET} is the page's stylesheet; name the page")])
    data = _from_ledger(
        incident,
        config,
        state,
        lambda ledger, parsed, now, _: post_incident_report(ledger, parsed, now),
        exercise,
    )
    if as_json:
        _print_json(data)
        return
    if fmt == "terminal":
        from broadcast.terminal.console import SafeConsole, console
        from broadcast.terminal.report import show_report

        if output is None:
            show_report(data, console())
            return
        import io

        buffer = io.StringIO()
        show_report(data, SafeConsole(file=buffer, width=120, color_system=None))
        text = buffer.getvalue()
    else:
        text = report_markdown(data) if fmt == "md" else report_html(data)
    if output is None:
        from broadcast.terminal.console import visible

        # Onto a terminal, most likely: a provider's words in the report do not act on it.
        sys.stdout.write(visible(text))
        if fmt == "html":
            sys.stderr.write(
                f"The page's styles are in {STYLESHEET}: --output FILE writes it too.\n"
            )
        return
    files = {output: text}
    styles = STYLES.read_text(encoding="utf-8")
    if fmt == "html":
        # Beside the page, as it links it: no inline style, so a strict CSP serves it as is.
        files[output.parent / STYLESHEET] = styles
    # Checked before anything is written. A link is never written through (its target could
    # be anything); the file named by --output is the user's to replace, but report.css, which
    # the user did not name, replaces only a report.css of ours (an earlier report's).
    for path in files:
        if path.is_symlink():
            _fail([Problem(f"--output {output}: {path} is a symbolic link; it is not followed")])
        if path != output and path.exists() and not _our_stylesheet(path, styles):
            _fail(
                [
                    Problem(
                        f"--output {output}: {path} exists and is not a report's stylesheet "
                        "written by broadcast, so it was not replaced and nothing was written; "
                        "write the report into another folder (the page links report.css "
                        "beside it)"
                    )
                ]
            )
    for path, content in files.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _replace_file(path, content)
        except OSError as exc:
            _fail([Problem(f"--output {output}: cannot write {path}: {exc.strerror or exc}")])


def _our_stylesheet(path: Path, styles: str) -> bool:
    """An existing report.css that broadcast wrote (this version's or an earlier one's)."""
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            start = handle.read(200)
    except OSError:
        return False
    return path.is_file() and start[:60] == styles[:60]


def _replace_file(path: Path, content: str) -> None:
    """Write ``content`` to a new file beside ``path``, then rename it over ``path``: a link
    planted meanwhile is replaced, never written through."""
    import secrets

    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    fd = os.open(temporary, flags, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _from_ledger(
    incident: Path,
    config: Path | None,
    state: Path | None,
    summarise: "Callable[[Ledger, Incident, datetime, Config], dict[str, Any]]",
    exercise: bool = False,
) -> dict[str, Any]:
    """Load the incident and its configuration, then summarise the ledger about it."""
    from broadcast.input.config import config_path, load_config
    from broadcast.input.incident import load_incident
    from broadcast.ledger.location import state_folder
    from broadcast.ledger.sqlite import Ledger, LedgerFault, ledger_errors

    try:
        loaded = load_config(config_path(config))
        parsed, _ = load_incident(incident, loaded.defaults.model_dump(), exercise)
    except InputError as exc:
        _fail(exc.problems)
    try:
        ledger = Ledger(state_folder(state, loaded.folder, dict(os.environ)), address=loaded.ledger)
        try:
            with ledger_errors(ledger.path):
                return summarise(ledger, parsed, _now(), loaded)
        finally:
            ledger.close()
    except LedgerFault as fault:
        _fail([Problem(str(fault))])


def _run_send(
    incident: Path,
    channels: list[str] | None,
    options: RunOptions,
    *,
    resend_uncertain: bool = False,
    retry_transient: bool = False,
    emit: Callable[[dict[str, object]], None] | None = None,
    continue_incident: bool = False,
    ledger_lost: bool = False,
    sender: str | None = None,
    exercise: bool = False,
    standby: bool = False,
    signing_key: Path | None = None,
    other_ledger: bool = False,
) -> int:
    """One incident, from lock to summary; returns the exit code.

    With ``--json`` the run's document goes to ``emit`` (printed by default; ``tick`` gathers
    them into one document).
    """
    as_json = options.as_json
    emit = emit or _print_json
    # Until the deliveries start, a send is start-up (loading, planning): see _deliveries_start.
    collecting = gc.isenabled()
    gc.disable()
    from broadcast.delivery.dispatch import SendAbandoned
    from broadcast.delivery.eventlog import EventLog
    from broadcast.delivery.sending import Busy, SendRun
    from broadcast.input.config import config_path
    from broadcast.ledger.sqlite import LedgerFault

    # The terminal's modules (rich) are imported where they print: a --json send prints
    # nothing before its end, and they would cost its first message about 40 ms.

    log = EventLog.from_option(options.log_file)
    run = SendRun(
        incident,
        config_path(options.config),
        _now(),
        only=channels or (),
        state_dir=options.state,
        lock_timeout=options.lock_timeout,
        resend_uncertain=resend_uncertain,
        retry_transient=retry_transient,
        continue_incident=continue_incident,
        ledger_lost=ledger_lost,
        sender=sender,
        exercise=exercise,
        stream_recipients=options.yes,
        standby=standby,
        strict=options.strict,
        # The sender's key: --key, else $BROADCAST_SIGNING_KEY (tick and retry, cron).
        signing_key=signing_key or _signing_key(),
        other_ledger=other_ledger,
    )
    try:
        with run:
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
            _say_unavailable(run, log, as_json, options.yes)
            if plan is not None and not plan.ok:
                for problem in plan.all_problems:
                    log.write("problem", **problem.to_json())
                if as_json:
                    emit(
                        {
                            **plan.to_json(),
                            "action": None,
                            "sent": 0,
                            "unavailable": _unavailable_json(run),
                        }
                    )
                else:
                    from broadcast.terminal.preview import show_preview

                    show_preview(plan, html_source=False, dry_run=False)
                return EXIT_BAD_INPUT
            assert decision is not None
            if plan is None:  # nothing to say
                # Still uncertain from earlier runs: named, and the exit says so, every time.
                uncertain = _uncertain(run)
                if as_json:
                    emit(_decision_json(run, [], uncertain))
                else:
                    from broadcast.terminal.sending import (
                        show_decision,
                        show_follow_up,
                        show_uncertain,
                    )

                    show_decision(run, incident)
                    show_follow_up(run.followed)
                    show_uncertain(uncertain)
                held = run.uncertain_found or uncertain or run.unavailable
                return EXIT_DELIVERY_FAILED if held else EXIT_OK
            warnings = [p for p in plan.all_problems if not p.is_error]
            for warning in warnings:
                log.write("warning", **warning.to_json())
            for name, reason in plan.skipped.items():
                log.write("skipped", channel=name, reason=reason)
            if not options.yes:
                from broadcast.terminal.console import show_problems
                from broadcast.terminal.sending import confirm_send, show_decision

                if not (sys.stdin.isatty() and sys.stdout.isatty()):
                    show_problems(
                        [
                            Problem(
                                "there is no terminal to confirm on, so nothing was sent; add "
                                "--yes to send without asking (as a cron job does)"
                            )
                        ]
                    )
                    return EXIT_BAD_INPUT
                if not as_json:
                    show_decision(run, incident)
                if not confirm_send(plan):
                    return EXIT_OK
            elif not as_json:
                from broadcast.terminal.sending import show_decision

                show_decision(run, incident)
            with _send_progress(plan, as_json) as on_event:

                def record(event: "Event") -> None:
                    if event.kind == "stopping":
                        log.write("stopping", incident=str(incident))
                    if event.kind == "skipped" and event.problem is not None:
                        log.write("warning", **event.problem.to_json())
                    on_event(event)
                    _log_delivery(log, event)

                _deliveries_start(plan, collecting)
                try:
                    outcomes = run.deliver(on_event=record)
                except SendAbandoned as abandoned:
                    # The threads left behind may fail once the ledger closes; their
                    # deliveries are already marked uncertain, so their errors are noise.
                    threading.excepthook = lambda args: None
                    log.write("abandoned", incident=str(incident), uncertain=abandoned.uncertain)
                    outcomes = abandoned.outcomes
            uncertain = _uncertain(run)
            # The rows read while sending have their say (the plan may have read the first).
            warnings = [p for p in plan.all_problems if not p.is_error]
            for outcome in outcomes:
                log.write(
                    "channel", **{k: v for k, v in outcome.to_json().items() if k != "failures"}
                )
            # --channel: the other channels have not had this version; the next tick sends it.
            left = run.left_out()
            if left:
                log.write("not_sent_on", channels=left)
            if as_json:
                emit({**_decision_json(run, outcomes, uncertain), "not_sent_on": left})
            else:
                from broadcast.terminal.sending import show_follow_up, show_left, show_outcomes

                show_outcomes(outcomes, uncertain, warnings, plan.skipped)
                show_follow_up(run.followed)
                show_left(left)
            failed = (
                any(o.failed_total or o.problems or o.stopped for o in outcomes)
                or uncertain
                or run.unavailable
            )
            return EXIT_DELIVERY_FAILED if failed else EXIT_OK
    except InputError as refused:  # the ledger says this file may not speak for its id
        for problem in refused.problems:
            log.write("problem", **problem.to_json())
        if as_json:
            emit({"ok": False, "sent": 0, "problems": [p.to_json() for p in refused.problems]})
        else:
            from broadcast.terminal.console import show_problems

            show_problems(refused.problems)
        return EXIT_BAD_INPUT
    except Busy as busy:
        log.write("busy", incident=str(incident), message=str(busy))
        if as_json:
            emit({"ok": False, "busy": True, "message": str(busy)})
        else:
            from broadcast.terminal.console import show_problems

            show_problems([Problem(str(busy), incident)])
        return EXIT_BUSY
    except LedgerFault as fault:
        # A fault of the machine (or a lost ledger): before any delivery, nothing was sent
        # (exit 2, as for bad input); after, some may have been (exit 1).
        message = str(fault) + ("" if run.dispatched else " Nothing was sent.")
        log.write("fault", incident=str(incident), message=message)
        if as_json:
            emit({"ok": False, "fault": True, "message": message})
        else:
            from broadcast.terminal.console import show_problems

            show_problems([Problem(message)])
        return EXIT_DELIVERY_FAILED if run.dispatched else EXIT_BAD_INPUT
    finally:
        log.close()
        gc.enable()


def _say_unavailable(run: "SendRun", log: "EventLog", as_json: bool, yes: bool) -> None:
    """The channels this host cannot send on, first of all (a cron mail's first line names
    the variable): the others go, with --yes at once, else once the person confirms."""
    if run.none_ready and run.plan is not None and not run.plan.ok and not as_json:
        from broadcast.terminal.console import show_problems

        variables = run.missing_variables()
        show_problems(
            [
                Problem(
                    f"{', '.join(variables)} {'is' if len(variables) == 1 else 'are'} not set: "
                    f"no chosen channel ({', '.join(run.none_ready)}) can send from this host, "
                    "so nothing was sent (exit 2)"
                )
            ]
        )
    if not run.unavailable:
        return
    problems = [p for found in run.unavailable.values() for p in found]
    for problem in problems:
        log.write("unavailable", **problem.to_json())
    if as_json:
        return
    from broadcast.terminal.console import show_problems

    names = ", ".join(run.unavailable)
    variables = run.missing_variables()
    go = "go now" if yes else "go if you confirm"
    show_problems(
        [
            Problem(
                f"{', '.join(variables)} {'is' if len(variables) == 1 else 'are'} not set: "
                f"not sent on {names} from this host; the other channels {go}, and a later "
                "run sends this update there once it is set (exit 1 meanwhile)"
            ),
            *problems,
        ]
    )


def _deliveries_start(plan: "Plan", collecting: bool) -> None:
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


def _send_progress(
    plan: "Plan", as_json: bool
) -> "AbstractContextManager[Callable[[Event], None]]":
    """Progress bars on a terminal; with --json only the acknowledgement of a Ctrl-C (on
    standard error), the terminal's modules loaded only if it comes."""
    if not as_json:
        from broadcast.terminal.sending import SendProgress

        return SendProgress(plan, enabled=True)

    def notice(event: "Event") -> None:
        if event.kind == "stopping":
            from broadcast.terminal.sending import SendProgress

            SendProgress(plan, enabled=False).notice(event)

    return nullcontext(notice)


def _uncertain(run: "SendRun") -> list[dict[str, object]]:
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
    run: "SendRun",
    outcomes: "list[ChannelOutcome]",
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
        "unavailable": _unavailable_json(run),
    }


def _unavailable_json(run: "SendRun") -> list[dict[str, object]]:
    return [
        {"channel": name, "problems": [p.to_json() for p in problems]}
        for name, problems in run.unavailable.items()
    ]


def _log_delivery(log: "EventLog", event: "Event") -> None:
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


@app.command(cls=PlainUsageCommand)
def init(
    directory: Annotated[
        Path,
        typer.Argument(help="Where to write the starter files.", file_okay=False, metavar="DIR"),
    ] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
    sector: Annotated[
        str | None,
        typer.Option(
            "--sector",
            help="A ready set for your sector: utility, telecom, bank, transport, insurance, "
            "retail or public (French and English).",
            metavar="SECTOR",
        ),
    ] = None,
) -> None:
    """Write a starter channels.yaml, the templates, recipients and example incidents."""
    from broadcast.starter import write_starter
    from broadcast.terminal.console import show_init

    try:
        written = write_starter(directory, force=force, sector=sector)
    except InputError as exc:
        _fail(exc.problems)
    show_init(directory, written)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a validation or a preview, which is all
    start-up: the collector would scan the objects the imports and the checks create, over and
    over (about 10 % of a preview's CPU), to find almost no garbage in a process that ends a
    moment later. Reference counting still frees what is no longer used; a send, which runs
    long, keeps the collector."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            # A long-lived caller (a test's runner) gets its collector back.
            gc.enable()
        else:
            # Our own process, about to end (broadcast/__main__.py left the collector paused):
            # what it made is frozen, so the interpreter's last collection, at exit, does not
            # scan it all (about 3 % of a preview's instructions).
            gc.freeze()


def _prepare(
    incident: Path,
    config: Path | None,
    channels: list[str] | None,
    check_credentials: bool = False,
    strict: bool = False,
    occasions: "frozenset[str] | Callable[[Config, Incident], frozenset[str] | None] | None" = None,
    exercise: bool = False,
    state: Path | None = None,
) -> "Plan":
    from broadcast.delivery.preflight import prepare
    from broadcast.input.config import config_path

    return prepare(
        incident,
        config_path(config),
        now=_now(),
        only=channels or (),
        check_credentials=check_credentials,
        strict=strict,
        occasions=occasions,
        exercise=exercise,
        previous_wording=_previous_wording,
        state_dir=state,
    )


def _ledger_folder(loaded: "Config") -> Path | None:
    """The SQLite ledger's folder when it exists; None before the first send. Told without
    importing the sending machinery, most of a first preview's start-up."""
    from broadcast.ledger.location import LEDGER_FILE, state_folder

    folder = state_folder(None, loaded.folder, dict(os.environ))
    return folder if (folder / LEDGER_FILE).is_file() else None


def _previous_wording(loaded: "Config", parsed: "Incident") -> dict[str, Any] | None:
    """The wording the ledger kept of the incident's last update, for the wording checks."""
    if _ledger_folder(loaded) is None:
        return None
    from broadcast.delivery.sending import wording_in_ledger

    return wording_in_ledger(loaded, parsed.id)


def _occasions(
    incident: Path, config: Path | None, exercise: bool, loaded: "Config", parsed: "Incident"
) -> frozenset[str] | None:
    """What the file would be if sent now (new, update, resolved...), as the ledger tells;
    None when it cannot tell (then the preview shows every channel).

    Without a ledger it is the first message, known without loading the sending machinery
    (most of a first preview's start-up): the names are those of ``broadcast.ledger``.
    """
    from broadcast.input.config import occasions_of

    shared = loaded.ledger or os.environ.get("BROADCAST_LEDGER")
    if not shared and _ledger_folder(loaded) is None:
        return occasions_of("update", True, parsed.status)
    from broadcast.delivery.sending import peek
    from broadcast.input.config import config_path
    from broadcast.ledger.sqlite import LedgerFault

    try:
        # The files as this preview read them; a drill's configuration here is the drill's, so
        # peek reads channels.yaml as written then.
        as_read = None if parsed.exercise else (loaded, parsed, None)
        decision = peek(incident, config_path(config), _now(), exercise=exercise, loaded=as_read)
    except LedgerFault:
        return None
    return decision.occasions if decision is not None else None


def _signing_key() -> Path | None:
    from broadcast.delivery.approval import KEY_ENV

    value = os.environ.get(KEY_ENV, "").strip()
    return Path(value) if value else None


def _now() -> datetime:
    """The clock; ``BROADCAST_NOW`` pins it (tests, replays, reproducible previews)."""
    pinned = os.environ.get("BROADCAST_NOW")
    if pinned:
        try:
            moment = datetime.fromisoformat(pinned)
        except ValueError:
            _fail([Problem(f"BROADCAST_NOW='{pinned}' is not an ISO date and time")])
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _print_json(document: object) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def _fail(problems: list[Problem]) -> NoReturn:
    from broadcast.terminal.console import show_problems

    show_problems(problems)
    raise typer.Exit(EXIT_BAD_INPUT)


def main() -> None:
    app()
