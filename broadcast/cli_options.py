"""The arguments and options the ``broadcast`` commands share, declared once: what each means
in ``--help`` and how it reads on the command line (``broadcast.cli`` uses them)."""

from pathlib import Path
from typing import Annotated

import typer

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
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Render and check everything; send nothing.")
]
ResendOpt = Annotated[
    bool,
    typer.Option(
        "--resend-uncertain",
        help="Also re-send deliveries a killed run left uncertain (they may arrive twice).",
    ),
]
LedgerLostOpt = Annotated[
    bool,
    typer.Option(
        "--ledger-lost",
        help="The ledger was lost: send the current version to everyone again, though "
        "traces show the incident was sent before.",
    ),
]
SenderKeyOpt = Annotated[
    Path | None,
    typer.Option(
        "--key",
        help="Sign as the sender with this SSH private key, for approval.allowed_signers "
        "(default: $BROADCAST_SIGNING_KEY).",
        show_default=False,
        dir_okay=False,
        metavar="FILE",
    ),
]
OtherLedgerOpt = Annotated[
    bool,
    typer.Option(
        "--other-ledger",
        help="Another ledger of this machine (another folder or --state) sent this "
        "incident first: this one takes it over, and everyone gets the current version "
        "from it.",
    ),
]
AcceptWordingOpt = Annotated[
    str | None,
    typer.Option(
        "--accept-wording",
        help="Send despite the wording errors, for this reason (recorded in the ledger with "
        "who, when and the findings it covers).",
        show_default=False,
        metavar="REASON",
    ),
]
