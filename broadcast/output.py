"""The one writer a command prints through, chosen when it starts: ``TerminalWriter`` shows
each result as a person reads it (rich, colour, progress), ``JsonWriter`` prints one JSON
document on standard output for a script. Both take the library's results
(``broadcast.api``) and watch a send as it runs (``api.SendWatch``).

The terminal's views (and rich) are imported here, when a view is first shown, and nowhere
else: a ``--json`` send prints nothing before its end, and the views would cost its first
message about 40 ms; a preview loads only the preview's view.

A user's problems go to standard error as the terminal shows them, with ``--json`` too: the
document on standard output stays the script's.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from broadcast.problems import Problem

if TYPE_CHECKING:
    from broadcast.api import (
        Answer,
        Approved,
        Approving,
        DryRun,
        Preview,
        Reconciled,
        Replies,
        Report,
        Sent,
        Status,
        Tick,
    )
    from broadcast.delivery.dispatch import Event
    from broadcast.delivery.plan import Plan
    from broadcast.delivery.sending import SendRun


class Writer:
    """What both writers do alike: a user's problems, and ``init``'s files."""

    def problems(self, problems: list[Problem]) -> None:
        from broadcast.terminal.console import show_problems

        show_problems(problems)

    def init(self, directory: Path, written: list[Path]) -> None:
        from broadcast.terminal.console import show_init

        show_init(directory, written)

    def can_ask(self) -> bool:
        """Whether a question can be asked: a person at a terminal, in and out."""
        return sys.stdin.isatty() and sys.stdout.isatty()

    def no_one_to_ask(self) -> None:
        self.problems(
            [
                Problem(
                    "there is no terminal to confirm on, so nothing was sent; add "
                    "--yes to send without asking (as a cron job does)"
                )
            ]
        )


class JsonWriter(Writer):
    """One JSON document per command on standard output (``tick``: one for the folder)."""

    def document(self, document: object) -> None:
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")

    def validation(self, result: Preview) -> None:
        self.document(result.to_json())

    def preview(self, result: Preview, html_source: bool) -> None:
        self.document(result.to_json())

    def dry_run(self, result: DryRun) -> None:
        self.document(result.to_json())

    # -- a send, watched (api.SendWatch) --

    def planned(self, run: SendRun, ask: bool) -> None:
        pass

    def about_to_send(self, run: SendRun, ask: bool) -> Answer:
        if not ask:
            return "send"
        if not self.can_ask():
            self.no_one_to_ask()
            return "cannot ask"
        from broadcast.terminal.sending import confirm_send

        assert run.plan is not None
        return "send" if confirm_send(run.plan) else "declined"

    def progress(self, plan: Plan) -> AbstractContextManager[Callable[[Event], None]]:
        """Only the acknowledgement of a Ctrl-C (on standard error), the terminal's modules
        loaded only if it comes."""

        def notice(event: Event) -> None:
            if event.kind == "stopping":
                from broadcast.terminal.sending import SendProgress

                SendProgress(plan, enabled=False).notice(event)

        return nullcontext(notice)

    def sent(self, result: Sent) -> None:
        if result.document is not None:
            self.document(result.document)

    def clashes(self, problems: list[Problem]) -> None:
        pass  # in the folder's document, with each file

    def incident_done(self, result: Sent) -> None:
        pass  # in the folder's document

    def tick(self, result: Tick) -> None:
        self.document(result.to_json())

    # -- approve, status, reconcile, report --

    def to_approve(self, approving: Approving) -> None:
        if approving.refused is not None:
            self.document(approving.to_json())

    def approved(self, result: Approved) -> None:
        self.document(result.to_json())

    def status(self, result: Status) -> None:
        self.document(result.to_json())

    def reconciled(self, result: Reconciled) -> None:
        self.document(result.to_json())

    def replies(self, result: Replies) -> None:
        self.document(result.to_json())

    def report(self, result: Report, fmt: str, output: Path | None) -> str | None:
        self.document(result.to_json())
        return None


class TerminalWriter(Writer):
    """Each result as a person at a terminal reads it (or a cron mail, piped)."""

    def validation(self, result: Preview) -> None:
        from broadcast.terminal.preview import show_validation

        show_validation(result.plan)

    def preview(self, result: Preview, html_source: bool) -> None:
        from broadcast.terminal.preview import show_preview

        show_preview(result.plan, html_source=html_source)

    def dry_run(self, result: DryRun) -> None:
        from broadcast.terminal.preview import show_preview
        from broadcast.terminal.sending import show_decision_ahead

        show_preview(result.plan, html_source=False, dry_run=True)
        if result.decision is not None and result.plan.ok:
            show_decision_ahead(result.decision)

    # -- a send, watched (api.SendWatch) --

    def planned(self, run: SendRun, ask: bool) -> None:
        """The channels this host cannot send on, first of all (a cron mail's first line
        names the variable): the others go, with --yes at once, else once the person
        confirms."""
        if run.none_ready and run.plan is not None and not run.plan.ok:
            variables = run.missing_variables()
            self.problems(
                [
                    Problem(
                        f"{', '.join(variables)} {'is' if len(variables) == 1 else 'are'} not "
                        f"set: no chosen channel ({', '.join(run.none_ready)}) can send from "
                        "this host, so nothing was sent (exit 2)"
                    )
                ]
            )
        if not run.unavailable:
            return
        problems = [p for found in run.unavailable.values() for p in found]
        names = ", ".join(run.unavailable)
        variables = run.missing_variables()
        go = "go if you confirm" if ask else "go now"
        self.problems(
            [
                Problem(
                    f"{', '.join(variables)} {'is' if len(variables) == 1 else 'are'} not set: "
                    f"not sent on {names} from this host; the other channels {go}, and a later "
                    "run sends this update there once it is set (exit 1 meanwhile)"
                ),
                *problems,
            ]
        )

    def about_to_send(self, run: SendRun, ask: bool) -> Answer:
        from broadcast.terminal.sending import confirm_send, show_decision

        if ask and not self.can_ask():
            self.no_one_to_ask()
            return "cannot ask"
        show_decision(run, run.incident_path)
        if not ask:
            return "send"
        assert run.plan is not None
        return "send" if confirm_send(run.plan) else "declined"

    def progress(self, plan: Plan) -> AbstractContextManager[Callable[[Event], None]]:
        from broadcast.terminal.sending import SendProgress

        return SendProgress(plan, enabled=True)

    def sent(self, result: Sent) -> None:
        from broadcast.terminal import sending

        run = result.run
        if result.kind == "refused" and result.plan is not None:
            from broadcast.terminal.preview import show_preview

            show_preview(result.plan, html_source=False, dry_run=False)
        elif result.kind == "nothing" and run is not None:
            sending.show_decision(run, result.incident)
            sending.show_follow_up(run.followed)
            sending.show_uncertain(result.uncertain)
        elif result.kind == "sent" and run is not None and run.plan is not None:
            sending.show_outcomes(
                result.outcomes, result.uncertain, result.warnings, run.plan.skipped
            )
            sending.show_follow_up(run.followed)
            sending.show_left(result.left)
        elif result.problems:
            self.problems(result.problems)

    def clashes(self, problems: list[Problem]) -> None:
        self.problems(problems)

    def incident_done(self, result: Sent) -> None:
        self.sent(result)

    def tick(self, result: Tick) -> None:
        if result.left_out:
            # Once, after the incidents: a cron mail's first line stays the incidents' own.
            self.problems(
                [
                    Problem(
                        "not incident files, left out: "
                        + ", ".join(
                            f"{path.name} ({why})" for path, why in result.left_out.items()
                        ),
                        result.folder,
                        severity="warning",
                    )
                ]
            )

    # -- approve, status, reconcile, report --

    def to_approve(self, approving: Approving) -> None:
        from broadcast.terminal.preview import show_preview

        if approving.refused is not None:
            show_preview(approving.refused, html_source=False)
            return
        from broadcast.terminal.approval import show_envelope, show_reminders

        texts = approving.texts
        assert texts is not None
        if texts.update is not None:
            show_preview(texts.update, html_source=False)
        else:
            import typer

            typer.echo(
                f"{approving.incident} is the version already sent at "
                f"{texts.incident.local_time(texts.anchor)}: this approves its reminders."
            )
        show_envelope(texts.shown)
        show_reminders(texts.reminders, approving.mode_words)

    def approved(self, result: Approved) -> None:
        from broadcast.terminal.sending import show_approval

        assert result.approving.texts is not None
        show_approval(result.to_json(), result.approving.texts.shown)

    def status(self, result: Status) -> None:
        from broadcast.terminal.status import show_status

        show_status(result.summary)

    def replies(self, result: Replies) -> None:
        from broadcast.terminal.replies import show_replies

        show_replies(result.to_json())

    def reconciled(self, result: Reconciled) -> None:
        from broadcast.terminal.receipts import show_reconciliation

        show_reconciliation(result.to_json())

    def report(self, result: Report, fmt: str, output: Path | None) -> str | None:
        """The report shown, or (with ``output``) its text to write there."""
        if fmt == "terminal":
            from broadcast.terminal.console import SafeConsole, console
            from broadcast.terminal.report import show_report

            if output is None:
                show_report(result.data, console())
                return None
            import io

            buffer = io.StringIO()
            show_report(result.data, SafeConsole(file=buffer, width=120, color_system=None))
            text = buffer.getvalue()
        else:
            text = result.markdown() if fmt == "md" else result.html()
        if output is not None:
            return text
        from broadcast.report.html import STYLESHEET
        from broadcast.terminal.console import visible

        # Onto a terminal, most likely: a provider's words in the report do not act on it.
        sys.stdout.write(visible(text))
        if fmt == "html":
            sys.stderr.write(
                f"The page's styles are in {STYLESHEET}: --output FILE writes it too.\n"
            )
        return None


def writer_for(as_json: bool) -> TerminalWriter | JsonWriter:
    """The writer a command prints through, chosen once, from its ``--json``."""
    return JsonWriter() if as_json else TerminalWriter()
