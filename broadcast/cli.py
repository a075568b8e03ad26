"""The ``broadcast`` command: parse the arguments, call the library (``broadcast.api``), hand
its results to the writer the command chose when it started (``broadcast.output``:
the terminal's, or ``--json``'s). No logic a test needs; the writer shows every result.

Exit codes, for scripts and cron: 0 done, 1 a delivery failed (or may have), 2 bad input
(nothing sent), 3 another run holds the incident.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperCommand

from broadcast import __version__, api
from broadcast.api import EXIT_BAD_INPUT, EXIT_BUSY, EXIT_DELIVERY_FAILED, EXIT_OK
from broadcast.cli_options import (
    AcceptWordingOpt,
    AsOpt,
    ChannelOpt,
    ConfigOpt,
    ContinueOpt,
    DryRunOpt,
    ExerciseOpt,
    IncidentArg,
    JsonOpt,
    LedgerLostOpt,
    LockOpt,
    LogOpt,
    OtherLedgerOpt,
    ResendOpt,
    SenderKeyOpt,
    StateOpt,
    StrictOpt,
    YesOpt,
)
from broadcast.output import Writer, writer_for
from broadcast.problems import InputError, Problem

__all__ = ["EXIT_BAD_INPUT", "EXIT_BUSY", "EXIT_DELIVERY_FAILED", "EXIT_OK", "app", "main"]


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
# the deliveries start (see broadcast/api/sends.py).
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
    writer = writer_for(as_json)
    with _no_cycle_collection(), _said(writer):
        result = api.validate(incident, config, channels=channel or (), strict=strict)
        writer.validation(result)
    raise typer.Exit(result.exit_code)


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
    writer = writer_for(as_json)
    with _no_cycle_collection(), _said(writer):
        result = api.preview(
            incident, config, channels=channel or (), strict=strict, exercise=exercise
        )
        writer.preview(result, html_source=html)
    raise typer.Exit(result.exit_code)


@app.command(cls=PlainUsageCommand)
def send(
    incident: IncidentArg,
    config: ConfigOpt = None,
    channel: ChannelOpt = None,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    state: StateOpt = None,
    resend_uncertain: ResendOpt = False,
    lock_timeout: LockOpt = 30.0,
    log_file: LogOpt = None,
    continue_incident: ContinueOpt = False,
    strict: StrictOpt = False,
    ledger_lost: LedgerLostOpt = False,
    as_name: AsOpt = None,
    key: SenderKeyOpt = None,
    exercise: ExerciseOpt = False,
    other_ledger: OtherLedgerOpt = False,
    accept_wording: AcceptWordingOpt = None,
) -> None:
    """Send the incident on every channel (or the --channel ones); safe to repeat from cron.

    Everything is rendered and checked first; if anything is wrong, nothing at all is sent
    (exit 2). Run again with an unchanged file, it sends nothing, unless the promised next
    update is due: then a reminder goes out. With --dry-run, checks and stops: no credentials
    needed. Exit 1 if any delivery failed, 3 if another run holds the incident.
    """
    writer = writer_for(as_json)
    with _said(writer):
        if dry_run:
            checked = api.dry_run(
                incident,
                config,
                channels=channel or (),
                state=state,
                strict=strict,
                exercise=exercise,
                sender=as_name,
                accept_wording=accept_wording,
            )
            writer.dry_run(checked)
            raise typer.Exit(checked.exit_code)
        sent = api.send(
            incident,
            config,
            channels=channel or (),
            ask=not yes,
            watch=writer,
            state=state,
            lock_timeout=lock_timeout,
            log_file=log_file,
            strict=strict,
            resend_uncertain=resend_uncertain,
            continue_incident=continue_incident,
            ledger_lost=ledger_lost,
            sender=as_name,
            exercise=exercise,
            signing_key=key,
            other_ledger=other_ledger,
            accept_wording=accept_wording,
        )
    writer.sent(sent)
    raise typer.Exit(sent.exit_code)


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
    writer = writer_for(as_json)
    with _said(writer):
        sent = api.send(
            incident,
            config,
            channels=channel or (),
            ask=not yes,
            watch=writer,
            state=state,
            lock_timeout=lock_timeout,
            log_file=log_file,
            retry_transient=True,
        )
    writer.sent(sent)
    raise typer.Exit(sent.exit_code)


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
    writer = writer_for(as_json)
    with _said(writer):
        done = api.tick(
            folder,
            config,
            ask=not yes,
            watch=writer,
            state=state,
            lock_timeout=lock_timeout,
            log_file=log_file,
            continue_incident=continue_incident,
        )
    writer.tick(done)
    raise typer.Exit(done.exit_code)


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
    writer = writer_for(as_json)
    with _said(writer):
        approving = api.to_approve(
            incident, config, approver=as_name, state=state, exercise=exercise
        )
        writer.to_approve(approving)
        if approving.texts is None:
            raise typer.Exit(EXIT_BAD_INPUT)
        if not yes and not _approval_confirmed(approving, writer):
            raise typer.Exit(EXIT_OK)
        writer.approved(api.approve(approving, key=key, state=state))


def _approval_confirmed(approving: "api.Approving", writer: Writer) -> bool:
    if not writer.can_ask():
        raise InputError(
            [
                Problem(
                    "there is no terminal to confirm on, so nothing was approved; add --yes "
                    "to approve the texts shown without asking"
                )
            ]
        )
    return typer.confirm(
        f"Approve every text above as {approving.approver}, as {approving.mode_words}?",
        default=False,
    )


@app.command(cls=PlainUsageCommand)
def status(
    incident: IncidentArg,
    config: ConfigOpt = None,
    state: StateOpt = None,
    as_json: JsonOpt = False,
    exercise: ExerciseOpt = False,
) -> None:
    """What was sent: versions, deliveries per channel by state, failures, the next promise."""
    writer = writer_for(as_json)
    with _said(writer):
        writer.status(api.status(incident, config, state=state, exercise=exercise))


@app.command(cls=PlainUsageCommand)
def replies(
    incident: IncidentArg,
    config: ConfigOpt = None,
    state: StateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The replies to the incident's SMS (broadcast serve), newest first, sorted by kind."""
    writer = writer_for(as_json)
    with _said(writer):
        writer.replies(api.replies(incident, config, state=state))


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
    writer = writer_for(as_json)
    with _said(writer):
        result = api.reconcile(incident, config, state=state)
    writer.reconciled(result)
    raise typer.Exit(result.exit_code)


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
    writer = writer_for(as_json)
    with _said(writer):
        api.check_report_output(fmt, output)
        evaluation = api.report(incident, config, state=state, exercise=exercise)
        text = writer.report(evaluation, fmt, output)
        if text is not None and output is not None:
            api.save_report(text, output, fmt)


@app.command(cls=PlainUsageCommand)
def serve(
    config: ConfigOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on.", metavar="HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", metavar="PORT")] = 8080,
    state: StateOpt = None,
) -> None:
    """Answer Twilio's webhooks behind your proxy: replies, STOP/START, call-in line, receipts.

    Signatures are checked against serve.public_url; SIGTERM drains, then exits 0."""
    with _said(writer_for(False)):
        code = api.serve(config, host=host, port=port, state=state)
    raise typer.Exit(code)


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
    writer = writer_for(False)
    with _said(writer):
        written = api.init(directory, force=force, sector=sector)
    writer.init(directory, written)


@contextmanager
def _said(writer: Writer) -> Iterator[None]:
    """A user's mistake, met at any step of a command: said (file, line, field) on standard
    error, exit 2, no traceback."""
    try:
        yield
    except InputError as refused:
        writer.problems(refused.problems)
        raise typer.Exit(EXIT_BAD_INPUT) from None


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


def main() -> None:
    app()
