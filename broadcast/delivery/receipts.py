"""Delivery receipts: what became of every message the provider took.

The ledger knows which deliveries were handed over (``sent``, with the provider's id); the
channel's adapter knows how to ask the provider about one of them. This module joins the two:
for each delivery sent and not yet final, it asks the provider and records ``delivered`` or
``undelivered`` (with the provider's error code and when it said so), or for a call
``unanswered`` (busy, no answer: ``delivery.fallback`` places it again). Nothing here needs a
public webhook: ``send`` and ``tick`` run it at the start (bounded by a cap and a time
budget, so a new version is never held up for long) and ``broadcast reconcile`` on demand.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from broadcast.channels import adapter_class
from broadcast.channels.base import Adapter, DeliveryError
from broadcast.delivery.context import delivery_context
from broadcast.delivery.worker_pool import run_threads
from broadcast.input.config import Config, resolve_credentials
from broadcast.input.contact_masks import mask_contacts
from broadcast.ledger.sqlite import DELIVERED, UNANSWERED, Ledger
from broadcast.problems import Problem

# At the start of a send or tick: at most this many lookups, for at most this long.
RUN_CAP = 1000
RUN_BUDGET_SECONDS = 2.0
# Lookups at once per channel: Twilio allows many concurrent GETs; a few are plenty.
WORKERS = 8


@dataclass
class ChannelReceipts:
    """One channel's reconciliation: how many were asked about, and what the provider said."""

    name: str
    asked: int = 0
    delivered: int = 0
    undelivered: Counter[str] = field(default_factory=Counter)
    # Calls that rang out or were busy (placed again later, then a fallback).
    unanswered: int = 0
    # Still on their way (the provider has no final word yet).
    not_final: int = 0
    # Not asked about in this run (the cap or the time budget), or the lookup failed.
    not_asked: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    # Deliveries of the incident on this channel still waiting for a final receipt.
    waiting: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.name,
            "asked": self.asked,
            "delivered": self.delivered,
            "undelivered": sum(self.undelivered.values()),
            "undelivered_by_code": dict(self.undelivered),
            "unanswered": self.unanswered,
            "not_final": self.not_final,
            "not_asked": self.not_asked,
            "lookup_errors": dict(self.errors),
            "waiting_for_receipt": self.waiting,
            "problems": [p.to_json() for p in self.problems],
        }


@dataclass
class Reconciliation:
    """Every channel's receipts for one incident."""

    channels: list[ChannelReceipts] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every delivery waiting for a receipt was asked about, and every answer came."""
        return all(not c.not_asked and not c.problems for c in self.channels)

    @property
    def undelivered(self) -> int:
        return sum(sum(c.undelivered.values()) for c in self.channels)

    def to_json(self) -> dict[str, Any]:
        return {
            "complete": self.complete,
            "asked": sum(c.asked for c in self.channels),
            "delivered": sum(c.delivered for c in self.channels),
            "undelivered": self.undelivered,
            "channels": [c.to_json() for c in self.channels],
        }


def receipt_channels(config: Config) -> list[str]:
    """The channels whose provider gives receipts (SMS, voice)."""
    return [
        name
        for name, channel in config.channels.items()
        if adapter_class(channel.type).gives_receipts
    ]


def reconcile(
    ledger: Ledger,
    config: Config,
    incident_id: str,
    environ: Mapping[str, str] = os.environ,
    limit: int | None = None,
    budget: float | None = None,
    workers: int = WORKERS,
) -> Reconciliation:
    """Ask the provider about deliveries of ``incident_id`` sent and not yet final.

    At most ``limit`` lookups (all when None), none started after ``budget`` seconds.
    """
    deadline = None if budget is None else time.monotonic() + budget
    result = Reconciliation()
    # Only channels with deliveries sent: nothing to ask about (nor adapters to load) before.
    sent_on = set(ledger.channels_sent(incident_id))
    channels = [
        name
        for name, channel in config.channels.items()
        if name in sent_on and adapter_class(channel.type).gives_receipts
    ]
    remaining = limit
    for name in channels:
        outcome = ChannelReceipts(name)
        result.channels.append(outcome)
        cap = remaining if remaining is not None else ledger.waiting_receipts(incident_id, name)
        rows = ledger.awaiting_receipt(incident_id, [name], cap)
        if rows:
            _ask(ledger, config, name, rows, environ, deadline, workers, outcome)
        if remaining is not None:
            remaining -= outcome.asked
        outcome.waiting = ledger.waiting_receipts(incident_id, name)
        outcome.not_asked = max(outcome.not_asked, outcome.waiting - outcome.not_final)
    return result


def _ask(
    ledger: Ledger,
    config: Config,
    name: str,
    rows: list[tuple[int, str, str]],
    environ: Mapping[str, str],
    deadline: float | None,
    workers: int,
    outcome: ChannelReceipts,
) -> None:
    credentials, missing = resolve_credentials(config, name, environ)
    if missing:
        outcome.problems.extend(missing)
        outcome.not_asked = len(rows)
        return
    kind: type[Adapter] = adapter_class(config.channels[name].type)
    context = delivery_context(config, datetime.now(UTC))
    work: queue.Queue[tuple[int, str, str]] = queue.Queue()
    for row in rows:
        work.put(row)
    refused = threading.Event()

    def worker() -> None:
        adapter = kind(name, config.channels[name], credentials, context)
        try:
            while not refused.is_set():
                if deadline is not None and time.monotonic() >= deadline:
                    return
                try:
                    delivery_id, _, provider_id = work.get_nowait()
                except queue.Empty:
                    return
                _ask_one(ledger, adapter, delivery_id, provider_id, outcome, refused)
        except BaseException:
            refused.set()  # a fault (a full disk) ends the other threads' asking too
            raise
        finally:
            adapter.close()

    run_threads(f"receipts-{name}", max(1, min(workers, len(rows))), worker)


def _ask_one(
    ledger: Ledger,
    adapter: Adapter,
    delivery_id: int,
    provider_id: str,
    outcome: ChannelReceipts,
    refused: threading.Event,
) -> None:
    try:
        status = adapter.delivery_status(provider_id)
    except DeliveryError as error:
        with outcome.lock:
            outcome.errors[error.code] += 1
            if error.channel_fault and not refused.is_set():
                refused.set()
                outcome.problems.append(
                    Problem(f"{error.message}: no receipts read", channel=outcome.name)
                )
        return
    ledger.record_receipt(
        delivery_id,
        status.final,
        status.error_code,
        # The carrier's words on a receipt may quote the handset: masked like any refusal.
        mask_contacts(status.error_message) if status.error_message else None,
        at=status.updated_at,
        unanswered=status.final == UNANSWERED,
    )
    with outcome.lock:
        outcome.asked += 1
        if status.final is None:
            outcome.not_final += 1
        elif status.final == DELIVERED:
            outcome.delivered += 1
        elif status.final == UNANSWERED:
            outcome.unanswered += 1
        else:
            outcome.undelivered[status.error_code or status.status] += 1
