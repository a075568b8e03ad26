"""The library under the ``broadcast`` command: validate, preview, send, approve, tick,
status, reconcile and report an incident, each returning a result that carries what the
command shows (``to_json()`` is its ``--json`` document) and the exit code it means::

    import broadcast

    shown = broadcast.preview(Path("incident.yaml"), Path("channels.yaml"))
    if shown.plan.ok:
        sent = broadcast.send(Path("incident.yaml"), Path("channels.yaml"))
        print(sent.kind, sent.exit_code)  # "sent" 0, "nothing" 0, "busy" 3...
        print(broadcast.status(Path("incident.yaml"), Path("channels.yaml")).to_json())

Nothing here prints. A user's mistake (a file, the clock, a ledger that cannot be opened) is
an ``InputError`` naming file, line and field; a send's own refusals (busy, a machine fault)
are results, so that a caller sending many incidents (``tick``) goes on. A caller that wants
to watch a send (its progress, a question before it goes) hands in a ``SendWatch``.

Each operation imports the stages it needs when it runs: a preview must not load the sending
machinery or a provider's SDK (tests/test_cli.py counts what it loads), and this package
loads each operation's module when its first name is asked for, so importing it costs next to
nothing.
"""

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcast.problems import InputError, Problem

if TYPE_CHECKING:
    from broadcast.api.approvals import Approved, Approving, approve, to_approve
    from broadcast.api.previews import DryRun, Preview, dry_run, preview, validate
    from broadcast.api.records import (
        Reconciled,
        Replies,
        Report,
        Status,
        check_report_output,
        reconcile,
        replies,
        report,
        save_report,
        status,
    )
    from broadcast.api.sends import Answer, QuietWatch, SendWatch, Sent, Tick, send, tick
    from broadcast.api.serving import serve

# What a result's ``exit_code`` means, for scripts and cron.
EXIT_OK = 0  # done
EXIT_DELIVERY_FAILED = 1  # a delivery failed, or may have (uncertain)
EXIT_BAD_INPUT = 2  # bad input: nothing was sent
EXIT_BUSY = 3  # another run holds the incident


def clock() -> datetime:
    """The clock; ``BROADCAST_NOW`` pins it (tests, replays, reproducible previews)."""
    pinned = os.environ.get("BROADCAST_NOW")
    if pinned:
        try:
            moment = datetime.fromisoformat(pinned)
        except ValueError:
            raise InputError(
                [Problem(f"BROADCAST_NOW='{pinned}' is not an ISO date and time")]
            ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


# Where each name lives. A command loads only its operation's module when it first calls it:
# a preview pays nothing for the sending, approving or reporting ones.
_HOMES = {
    **dict.fromkeys(["Approved", "Approving", "approve", "to_approve"], "approvals"),
    **dict.fromkeys(["DryRun", "Preview", "dry_run", "preview", "validate"], "previews"),
    **dict.fromkeys(
        [
            "Reconciled",
            "Replies",
            "Report",
            "Status",
            "check_report_output",
            "reconcile",
            "replies",
            "report",
            "save_report",
            "status",
        ],
        "records",
    ),
    **dict.fromkeys(["Answer", "QuietWatch", "Sent", "SendWatch", "Tick", "send", "tick"], "sends"),
    "serve": "serving",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'broadcast.api' has no attribute {name!r}")
    # __import__, as an import statement does: ``-X importtime`` then counts the module.
    __import__(f"broadcast.api.{home}")
    value = getattr(sys.modules[f"broadcast.api.{home}"], name)
    globals()[name] = value  # found once
    return value


def init(directory: Path, *, force: bool = False, sector: str | None = None) -> list[Path]:
    """Write a starter channels.yaml, the templates, recipients and example incidents (a
    sector's ready set with ``sector``); the files written."""
    from broadcast.starter import write_starter

    return write_starter(directory, force=force, sector=sector)


__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_BUSY",
    "EXIT_DELIVERY_FAILED",
    "EXIT_OK",
    "Answer",
    "Approved",
    "Approving",
    "DryRun",
    "Preview",
    "QuietWatch",
    "Reconciled",
    "Replies",
    "Report",
    "SendWatch",
    "Sent",
    "Status",
    "Tick",
    "approve",
    "check_report_output",
    "clock",
    "dry_run",
    "init",
    "preview",
    "reconcile",
    "replies",
    "report",
    "save_report",
    "send",
    "serve",
    "status",
    "tick",
    "to_approve",
    "validate",
]
