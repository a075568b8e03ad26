"""The ``broadcast`` command: parse arguments, call the core, print. No logic a test needs."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from broadcast.problems import InputError, Problem

EXIT_OK = 0
EXIT_DELIVERY_FAILED = 1
EXIT_BAD_INPUT = 2

app = typer.Typer(
    name="broadcast",
    help="One crisis message, every channel: validate, preview and send an incident.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

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
    ),
]
ChannelOpt = Annotated[
    list[str] | None,
    typer.Option("--channel", help="Only this channel (repeat for several).", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout instead.")]


@app.command()
def validate(
    incident: IncidentArg,
    config: ConfigOpt = None,
    channel: ChannelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check the incident, the configuration, every template and the recipients.

    Lists every problem found, not just the first. Exit code 2 if any is an error.
    """
    plan = _prepare(incident, config, channel)
    if as_json:
        _print_json(plan.to_json())
    else:
        from broadcast.terminal import show_validation

        show_validation(plan)
    raise typer.Exit(EXIT_OK if plan.ok else EXIT_BAD_INPUT)


@app.command()
def preview(
    incident: IncidentArg,
    config: ConfigOpt = None,
    channel: ChannelOpt = None,
    as_json: JsonOpt = False,
    html: Annotated[
        bool, typer.Option("--html", help="Show HTML parts as source, not as plain text.")
    ] = False,
) -> None:
    """Show exactly what each channel would carry, with its measures. Sends nothing."""
    plan = _prepare(incident, config, channel)
    if as_json:
        _print_json(plan.to_json())
    else:
        from broadcast.terminal import show_preview

        show_preview(plan, html_source=html)
    raise typer.Exit(EXIT_OK if plan.ok else EXIT_BAD_INPUT)


@app.command()
def send(
    incident: IncidentArg,
    config: ConfigOpt = None,
    channel: ChannelOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Render and check everything; send nothing.")
    ] = False,
    yes: Annotated[
        bool,
        typer.Option("--yes", "-y", help="Send without asking (required without a terminal)."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Send the incident on every channel (or the --channel ones).

    Everything is rendered and checked first; if anything is wrong, nothing at all is sent
    (exit 2). With --dry-run, does the same and stops there: no credentials are needed.
    Exit 1 if any delivery failed.
    """
    plan = _prepare(incident, config, channel, check_credentials=not dry_run)
    if dry_run or not plan.ok:
        if as_json:
            _print_json({**plan.to_json(), "dry_run": dry_run, "sent": 0})
        else:
            from broadcast.terminal import show_preview

            show_preview(plan, html_source=False, dry_run=dry_run)
        raise typer.Exit(EXIT_OK if plan.ok else EXIT_BAD_INPUT)

    from broadcast.terminal import SendProgress, confirm_send, show_outcomes

    if not yes:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            _fail(
                [
                    Problem(
                        "there is no terminal to confirm on, so nothing was sent; add --yes to "
                        "send without asking (as a cron job does)"
                    )
                ]
            )
        if not confirm_send(plan):
            raise typer.Exit(EXIT_OK)

    from broadcast.dispatch import Dispatcher

    with SendProgress(plan, enabled=not as_json) as on_event:
        outcomes = Dispatcher(plan, on_event=on_event).run()
    failed = any(o.failed_total or o.problems or o.stopped for o in outcomes)
    if as_json:
        _print_json(
            {
                **plan.to_json(),
                "dry_run": False,
                "sent": sum(o.sent for o in outcomes),
                "delivery": [o.to_json() for o in outcomes],
            }
        )
    else:
        show_outcomes(outcomes)
    raise typer.Exit(EXIT_DELIVERY_FAILED if failed else EXIT_OK)


@app.command()
def init(
    directory: Annotated[
        Path, typer.Argument(help="Where to write the starter files.", file_okay=False)
    ] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
) -> None:
    """Write a starter channels.yaml, the templates, recipients and an example incident."""
    from broadcast.starter import write_starter
    from broadcast.terminal import show_init

    try:
        written = write_starter(directory, force=force)
    except InputError as exc:
        _fail(exc.problems)
    show_init(directory, written)


def _prepare(
    incident: Path,
    config: Path | None,
    channels: list[str] | None,
    check_credentials: bool = False,
):  # type: ignore[no-untyped-def]
    from broadcast.config import config_path
    from broadcast.preflight import prepare

    return prepare(
        incident,
        config_path(config),
        now=_now(),
        only=channels or (),
        check_credentials=check_credentials,
    )


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


def _fail(problems: list[Problem]) -> None:
    from broadcast.terminal import show_problems

    show_problems(problems)
    raise typer.Exit(EXIT_BAD_INPUT)


def main() -> None:
    app()
