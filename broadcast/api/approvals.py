"""Approve an incident's texts as a second person: what the approval covers, then its record."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcast.api import clock
from broadcast.api.previews import previous_wording
from broadcast.problems import InputError, Problem

if TYPE_CHECKING:
    from broadcast.delivery.plan import Plan
    from broadcast.delivery.sending import ToApprove
    from broadcast.ledger.sqlite import Approval


@dataclass
class Approving:
    """What an approval would cover (``texts``), or the plan whose problems stop it."""

    incident: Path
    approver: str
    # The moment looked at: the texts are those of now, and the approval is recorded as of it.
    now: datetime
    texts: ToApprove | None
    refused: Plan | None = None

    @property
    def mode(self) -> str:
        from broadcast.delivery.approval import mode_of

        assert self.texts is not None
        return mode_of(self.texts.incident)

    @property
    def mode_words(self) -> str:
        """The mode as the question and the reminders say it (a real alert, an EXERCISE)."""
        from broadcast.delivery.approval import mode_words

        return mode_words(self.mode)

    def to_json(self) -> dict[str, Any]:
        assert self.refused is not None
        return {**self.refused.to_json(), "approved": False}


@dataclass
class Approved:
    """A recorded approval: who approved which texts, in which mode, with which reminders."""

    approving: Approving
    approval: Approval

    def to_json(self) -> dict[str, Any]:
        texts = self.approving.texts
        assert texts is not None
        return {
            "approved": True,
            "incident": texts.incident.id,
            "approved_by": self.approval.approved_by,
            "approved_at": self.approval.approved_at.isoformat(),
            "texts_hash": texts.manifest.digest,
            "signed": self.approval.signature is not None,
            "exercise": texts.incident.exercise,
            "mode": self.approving.mode,
            "texts_at": texts.anchor.isoformat(),
            "version": texts.update is not None,
            "reminders": [r.now.isoformat() for r in texts.reminders],
        }


def to_approve(
    incident: Path,
    config: Path | None = None,
    *,
    approver: str | None = None,
    state: Path | None = None,
    exercise: bool = False,
) -> Approving:
    """Every text an approval of ``incident`` covers, rendered as it will be sent, with the
    reminders that keep its promise; the approver named (``$BROADCAST_USER``, the login)."""
    from broadcast.delivery.approval import check_name
    from broadcast.delivery.approval import person as person_of
    from broadcast.delivery.sending import ToApprove, plans_to_approve
    from broadcast.input.config import config_path
    from broadcast.ledger.sqlite import LedgerFault

    name = person_of(approver)
    now = clock()
    try:
        check_name(name, incident)
        found = plans_to_approve(
            incident,
            config_path(config),
            now,
            state_dir=state,
            exercise=exercise,
            previous_wording=previous_wording,
        )
    except LedgerFault as fault:
        raise InputError([Problem(str(fault))]) from fault
    if not isinstance(found, ToApprove):
        return Approving(incident, name, now, None, found)
    return Approving(incident, name, now, found)


def approve(
    approving: Approving, *, key: Path | None = None, state: Path | None = None
) -> Approved:
    """Record the approval of exactly the texts ``to_approve`` found (signed with ``key``)."""
    from broadcast.delivery.approval import record_approval
    from broadcast.ledger.location import state_folder
    from broadcast.ledger.sqlite import Ledger, LedgerFault, ledger_errors

    texts = approving.texts
    assert texts is not None and texts.shown.config is not None
    try:
        ledger = Ledger(
            state_folder(state, texts.shown.config.folder, dict(os.environ)),
            address=texts.shown.config.ledger,
        )
        try:
            with ledger_errors(ledger.path):
                approval = record_approval(
                    ledger,
                    texts.incident.id,
                    texts.manifest,
                    approving.approver,
                    key,
                    approving.incident,
                    approving.now,
                )
        finally:
            ledger.close()
    except LedgerFault as fault:
        raise InputError([Problem(str(fault))]) from fault
    return Approved(approving, approval)
