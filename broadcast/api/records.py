"""What the ledger holds of an incident, read back: its status, the receipts Twilio gives, and
the post-incident report (written to a file safely)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcast.api import EXIT_DELIVERY_FAILED, EXIT_OK, clock
from broadcast.problems import InputError, Problem

if TYPE_CHECKING:
    from broadcast.delivery.receipts import Reconciliation as ReceiptsRead
    from broadcast.input.config import Config
    from broadcast.input.incident import Incident
    from broadcast.ledger.sqlite import Ledger


@dataclass
class Status:
    """What was sent: versions, deliveries per channel by state, failures, the next promise."""

    summary: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return self.summary


@dataclass
class Reconciled:
    """What Twilio said of every SMS sent and not yet final."""

    incident_id: str
    receipts: ReceiptsRead

    @property
    def exit_code(self) -> int:
        failed = self.receipts.undelivered or not self.receipts.complete
        return EXIT_DELIVERY_FAILED if failed else EXIT_OK

    def to_json(self) -> dict[str, Any]:
        return {"incident": self.incident_id, **self.receipts.to_json()}


@dataclass
class Report:
    """The post-incident evaluation: speed, updates, promises kept, deliveries, reminders."""

    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return self.data

    def markdown(self) -> str:
        from broadcast.report.markdown import report_markdown

        return report_markdown(self.data)

    def html(self) -> str:
        from broadcast.report.html import report_html

        return report_html(self.data)


def status(
    incident: Path, config: Path | None = None, *, state: Path | None = None, exercise: bool = False
) -> Status:
    """What the ledger holds of ``incident``."""
    from broadcast.report.status import incident_status

    def summarise(
        ledger: Ledger, parsed: Incident, now: datetime, loaded: Config
    ) -> dict[str, Any]:
        from broadcast.delivery.receipts import receipt_channels
        from broadcast.delivery.sending import channels_left

        summary = incident_status(ledger, parsed, now, receipt_channels(loaded))
        # The channels the latest version has not gone to (a send with --channel): the next
        # tick sends it there.
        return {
            **summary,
            "not_sent_on": channels_left(ledger, parsed, loaded),
            # What people sent back (broadcast serve): replies kept for this incident, and its
            # recipients who are opted out now.
            "replies": ledger.reply_counts(parsed.id)[0],
            "opted_out": ledger.opted_out_count(parsed.id),
        }

    return Status(_from_ledger(incident, config, state, summarise, exercise))


@dataclass
class Replies:
    """What people replied to the incident's messages (broadcast serve), newest first."""

    incident_id: str
    replies: list[dict[str, Any]]
    people: int

    def to_json(self) -> dict[str, Any]:
        return {
            "incident": self.incident_id,
            "count": len(self.replies),
            "people": self.people,
            "replies": self.replies,
        }


def replies(incident: Path, config: Path | None = None, *, state: Path | None = None) -> Replies:
    """The replies kept for ``incident``: text, time, the version answered, a category."""

    def listed(ledger: Ledger, parsed: Incident, now: datetime, _: Config) -> dict[str, Any]:
        numbers = {v.id: n for n, v in enumerate(ledger.versions(parsed.id), start=1)}
        kept = ledger.replies(parsed.id)
        return {
            "incident": parsed.id,
            "people": ledger.reply_counts(parsed.id)[1],
            "replies": [
                {
                    "text": reply.text,
                    "received_at": reply.received_at.isoformat(),
                    "version": numbers.get(reply.version_id),
                    "category": reply.category,
                    "after_seconds": reply.after_seconds,
                }
                for reply in kept
            ],
        }

    found = _from_ledger(incident, config, state, listed)
    return Replies(found["incident"], found["replies"], found["people"])


def report(
    incident: Path, config: Path | None = None, *, state: Path | None = None, exercise: bool = False
) -> Report:
    """The post-incident evaluation of ``incident`` (of the drill, on an exercise)."""
    from broadcast.report.evaluation import post_incident_report

    def evaluate(ledger: Ledger, parsed: Incident, now: datetime, config: Config) -> dict[str, Any]:
        data = post_incident_report(ledger, parsed, now)
        if parsed.area is not None:  # drawn over the recipients' density (#28)
            from broadcast.delivery.area_reach import area_map

            data["area_map"] = area_map(parsed, config) or None
        return data

    return Report(_from_ledger(incident, config, state, evaluate, exercise))


def reconcile(
    incident: Path, config: Path | None = None, *, state: Path | None = None
) -> Reconciled:
    """Ask Twilio what became of every SMS of ``incident`` sent and not yet final."""
    from broadcast.delivery.receipts import reconcile as read_receipts
    from broadcast.input.config import config_path, load_config
    from broadcast.input.incident import load_incident
    from broadcast.ledger.location import state_folder
    from broadcast.ledger.sqlite import Ledger, LedgerFault

    loaded = load_config(config_path(config))
    parsed, _ = load_incident(incident, loaded.defaults.model_dump())
    try:
        folder = state_folder(state, loaded.folder, dict(os.environ))
        ledger = Ledger(folder, address=loaded.ledger)
    except LedgerFault as fault:  # the ledger cannot be opened: said, not a traceback
        raise InputError([Problem(str(fault))]) from fault
    try:
        return Reconciled(parsed.id, read_receipts(ledger, loaded, parsed.id))
    finally:
        ledger.close()


def _from_ledger(
    incident: Path,
    config: Path | None,
    state: Path | None,
    summarise: Callable[[Ledger, Incident, datetime, Config], dict[str, Any]],
    exercise: bool = False,
) -> dict[str, Any]:
    """Load the incident and its configuration, then summarise the ledger about it."""
    from broadcast.input.config import config_path, load_config
    from broadcast.input.incident import load_incident
    from broadcast.ledger.location import state_folder
    from broadcast.ledger.sqlite import Ledger, LedgerFault, ledger_errors

    loaded = load_config(config_path(config))
    parsed, _ = load_incident(incident, loaded.defaults.model_dump(), exercise)
    try:
        ledger = Ledger(state_folder(state, loaded.folder, dict(os.environ)), address=loaded.ledger)
        try:
            with ledger_errors(ledger.path):
                return summarise(ledger, parsed, clock(), loaded)
        finally:
            ledger.close()
    except LedgerFault as fault:
        raise InputError([Problem(str(fault))]) from fault


REPORT_FORMATS = ("terminal", "md", "html")


def check_report_output(fmt: str, output: Path | None) -> None:
    """Refuse a format or an ``--output`` that cannot be written, before the ledger is read."""
    from broadcast.report.html import STYLESHEET

    if fmt not in REPORT_FORMATS:
        raise InputError([Problem(f"--format {fmt}: use terminal, md or html")])
    if fmt == "html" and output is not None and output.name == STYLESHEET:
        raise InputError(
            [Problem(f"--output {output}: {STYLESHEET} is the page's stylesheet; name the page")]
        )


def save_report(text: str, output: Path, fmt: str) -> None:
    """Write a report to ``output`` (an HTML page with its stylesheet beside it, as it links
    it: no inline style, so a strict CSP serves it as is)."""
    from broadcast.report.html import STYLES, STYLESHEET

    files = {output: text}
    styles = STYLES.read_text(encoding="utf-8")
    if fmt == "html":
        files[output.parent / STYLESHEET] = styles
    # Checked before anything is written. A link is never written through (its target could
    # be anything); the file named by --output is the user's to replace, but report.css, which
    # the user did not name, replaces only a report.css of ours (an earlier report's).
    for path in files:
        if path.is_symlink():
            raise InputError(
                [Problem(f"--output {output}: {path} is a symbolic link; it is not followed")]
            )
        if path != output and path.exists() and not _our_stylesheet(path, styles):
            raise InputError(
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
            raise InputError(
                [Problem(f"--output {output}: cannot write {path}: {exc.strerror or exc}")]
            ) from exc


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
