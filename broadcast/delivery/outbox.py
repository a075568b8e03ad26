"""The outbox: each delivery is a row of the ledger before its provider is called.

A send claims its rows in batches (the first of one recipient, so the first message leaves at
once); a row an earlier run finished is not redone, one a killed run left uncertain is looked
up first, a suppressed or opted-out recipient is recorded without a message, and on a shared
ledger this run sends only the rows it takes (another host's live run sends the others).
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from broadcast.channels.base import Adapter, Target
from broadcast.delivery.attempts import LOOKUP_WITHOUT_START
from broadcast.delivery.outcome import ChannelOutcome, Event
from broadcast.delivery.targets import as_recorded
from broadcast.ledger.sqlite import (
    OPTED_OUT,
    PENDING,
    SENDING,
    UNCERTAIN,
    Contact,
    Ledger,
)


@dataclass
class Outbox:
    """This send's rows in the ledger (none without a ledger: every target is sent)."""

    ledger: Ledger | None
    version_id: int | None
    on_event: Callable[[Event], None]
    # Deliveries this run took on a shared ledger (in batches), so it sends only those.
    taken: set[int] = field(default_factory=set)

    def queue_batch(
        self,
        channel: str,
        batch: list[Target],
        outcome: ChannelOutcome,
        kind: type[Adapter],
        opted_out: set[str],
        work: queue.Queue[tuple[Target, int | None, datetime | None] | None],
    ) -> None:
        """Write the batch's pending rows in one transaction, then hand out what is to send."""
        if not batch:
            return
        if self.ledger is None or self.version_id is None:
            for target in batch:
                work.put((target, None, None))
            return
        recorded: dict[int, Contact] = {}
        claims = self.ledger.claim_batch(
            self.version_id,
            channel,
            [Contact(t.address, t.name, t.locale, t.line) for t in batch],
            recorded,
        )
        if self.ledger.shared:
            # Hosts share the ledger: this run sends only what it takes, in one statement for
            # the batch (rows another host is taking at this moment are skipped, not waited
            # for); the rest is another live run's.
            waiting = [d for d, state in claims if state in (PENDING, UNCERTAIN)]
            taken = self.ledger.take(waiting)
            self.taken.update(taken)
            others = len(waiting) - len(taken)
            if others:
                with outcome.lock:
                    outcome.elsewhere += others
            claims = [
                (d, state) if state not in (PENDING, UNCERTAIN) or d in taken else (d, "")
                for d, state in claims
            ]
        for target, (delivery_id, state) in zip(batch, claims, strict=True):
            if not state:
                continue  # another host's
            if delivery_id in recorded:
                target = as_recorded(target, recorded[delivery_id])
            claimed = self.claimed(channel, target, outcome, kind, delivery_id, state)
            if claimed is False:
                continue
            delivery_id, since = claimed
            if opted_out and self.skip_opted_out(target, delivery_id, opted_out, outcome):
                continue
            work.put((target, delivery_id, since))

    def skip_opted_out(
        self, target: Target, delivery_id: int | None, opted_out: set[str], outcome: ChannelOutcome
    ) -> bool:
        """Record, without sending, a delivery to a recipient who opted out earlier."""
        assert self.ledger is not None
        if delivery_id is None or self.ledger.recipient_key(target.address) not in opted_out:
            return False
        # Suppressed, as any "never again" is; its code says why (the report counts it apart).
        self.ledger.mark_suppressed(delivery_id, OPTED_OUT)
        with outcome.lock:
            outcome.opted_out += 1
        self.on_event(Event(outcome.name, "opted-out"))
        return True

    def claim(
        self, channel: str, target: Target, outcome: ChannelOutcome, kind: type[Adapter]
    ) -> tuple[int | None, datetime | None] | Literal[False]:
        """The ledger's delivery id for ``target`` and, when an earlier attempt may have gone
        out, since when to look it up; False when an earlier run already did it."""
        if self.ledger is None or self.version_id is None:
            return None, None
        delivery_id, state = self.ledger.claim(
            self.version_id, channel, target.address, target.line, target.name, target.locale
        )
        return self.claimed(channel, target, outcome, kind, delivery_id, state)

    def claimed(
        self,
        channel: str,
        target: Target,
        outcome: ChannelOutcome,
        kind: type[Adapter],
        delivery_id: int,
        state: str,
    ) -> tuple[int | None, datetime | None] | Literal[False]:
        """What to do with a claimed delivery in ``state`` (see ``claim``)."""
        assert self.ledger is not None
        if state == UNCERTAIN and kind.can_look_up:
            since = self.ledger.attempt_started(delivery_id)
            # A row from before attempts were timed: its start is unknown, ask about a day.
            return delivery_id, since or datetime.now(UTC) - LOOKUP_WITHOUT_START
        suppressed = self.ledger.suppression(channel, target.address) if state == PENDING else None
        if suppressed is not None:
            self.ledger.mark_suppressed(delivery_id, suppressed)
            with outcome.lock:
                outcome.suppressed += 1
            return False
        if state != PENDING:
            with outcome.lock:
                if state == SENDING and self.ledger.shared:
                    outcome.elsewhere += 1  # in flight on another host, or left by a dead one
                else:
                    outcome.already += 1
            return False
        return delivery_id, None
