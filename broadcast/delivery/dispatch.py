"""Fan-out: every selected channel delivers at once, each within its rate limit and worker count.

This is the one place with the sending loop, retries, rate limiting, de-duplication and progress:
adapters only hand one message to their provider. Recipients are streamed from the CSV through
a bounded queue, and duplicates are found in an on-disk set, so a million recipients need no
more memory than ten thousand.

A channel's first delivery goes alone: if the provider refuses the channel's credentials, that
one request is the only one made, and the channel's deliveries stay pending for the next send.

A fault outside the adapters (the ledger's disk full or read-only, a bug) never leaves a thread
waiting on a queue nobody reads: the failing worker keeps draining it, its channel stops, and
a ledger fault stops every channel (they all write the same file). The fault is reported as the
channel's problem.

Nothing that may have gone out is sent again blindly. Every adapter reads its provider's
answers the same way (``channels.base.Answer``): only a refusal that proves the request was not
acted on (a 4xx, a connection never opened) is retried as it is. A delivery a killed run left
``uncertain``, or one whose answer was "maybe sent" (a 5xx, a timeout, a reset), is looked up
at the provider where it can say (SMS, calls, X, Facebook: since the attempt began, on the
provider's clock, leaving out what the ledger knows are other deliveries'): found, it is
recorded as sent with the provider's id; not found once the provider cannot still be acting on
it (``Adapter.settle_seconds``), it is sent; when the provider cannot tell whose it is (a
call), it is held uncertain. Where the provider cannot say (SMTP, Apprise's services), it is
held ``uncertain``: re-sent only with ``--resend-uncertain``. A delivery an earlier run
recorded is made to the address, name and language recorded with it, never the recipients
file as edited since: its text and its lookup are its first attempt's.
"""

from __future__ import annotations

import os
import queue
import random
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from broadcast.channels import adapter_class, channel_model
from broadcast.channels.base import (
    Adapter,
    DeliveryContext,
    DeliveryError,
    LookupUndecided,
    Outgoing,
    Receipt,
    Target,
)
from broadcast.delivery.plan import MAX_ROW_PROBLEMS, ChannelPlan, Plan
from broadcast.input.config import _ENV_REF, Config, resolve_credentials
from broadcast.input.contact_masks import mask_address, mask_contacts, mask_name
from broadcast.input.recipients import RecipientCount, SeenSet, language_of, read_recipients
from broadcast.ledger.sqlite import (
    FAILED_PERMANENT,
    FAILED_TRANSIENT,
    OPTED_OUT,
    PENDING,
    SENDING,
    SENT,
    UNCERTAIN,
    Contact,
    Ledger,
    LedgerFault,
    ledger_fault,
)
from broadcast.problems import Problem

Clock = Callable[[], float]
Sleep = Callable[[float], object]
# Failures kept in full per channel for the summary; beyond that they are only counted.
MAX_KEPT_FAILURES = 1000
# How far back to look up an uncertain delivery whose attempt has no recorded start.
LOOKUP_WITHOUT_START = timedelta(hours=24)
# What a lookup answers when the delivery did not go out (see ``Dispatcher._look_up``): a
# receipt of its own, known by identity, never recorded.
_ABSENT = Receipt(Target("", "not found"), ok=False)
# Pending rows are written in batches: the first of one recipient, so the first message
# leaves at once, then each four times larger, up to this.
CLAIM_BATCH = 1024


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for transient errors."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    # A provider asking us to wait longer than this is recorded as a failure to retry later,
    # rather than holding a cron run for many minutes.
    max_retry_after: float = 120.0

    def backoff(self, attempt: int) -> float:
        """Delay before attempt ``attempt + 1``: half fixed, half random ("equal jitter")."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


# Pace at 98% of a configured rate: requests reach the provider a few milliseconds apart from
# when they leave, and bunched arrivals would otherwise exceed the rate in some 1-s windows.
RATE_HEADROOM = 0.98


class RateLimiter:
    """At most ``rate`` tokens per second, spaced evenly: never a burst above the rate.

    Each caller reserves the next free slot under a lock and sleeps until it outside the lock,
    so workers share one schedule. ``depart`` spaces the actual departures again, right before
    a request leaves, in case the work between slot and request (a ledger write) bunched them.
    ``hold_until`` pushes the schedule back when a provider says to slow down (HTTP 429 with
    Retry-After), for every worker of the channel at once.
    """

    def __init__(
        self,
        rate: float | None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        headroom: float = 1.0,
    ):
        self.interval = 1.0 / (rate * headroom) if rate else 0.0
        self.clock = clock
        self.sleep = sleep
        self.next_slot = 0.0
        self.next_departure = 0.0
        self.lock = threading.Lock()

    def acquire(self, tokens: int = 1) -> float:
        """Wait for ``tokens`` slots; return the time the caller may go."""
        return self._wait_turn("next_slot", tokens)

    def depart(self, tokens: int = 1) -> float:
        """Wait, if need be, so that this departure follows the previous one by the rate."""
        return self._wait_turn("next_departure", tokens)

    def _wait_turn(self, schedule: str, tokens: int) -> float:
        with self.lock:
            now = self.clock()
            go = max(now, getattr(self, schedule))
            setattr(self, schedule, go + self.interval * tokens)
        if go > now:
            self.sleep(go - now)
        return go

    def hold_until(self, moment: float) -> None:
        with self.lock:
            self.next_slot = max(self.next_slot, moment)
            self.next_departure = max(self.next_departure, moment)


# Hosts sharing a channel's rate pace at 90% of it: one host's request leaving late for its
# slot (a busy machine, a slow ledger write, a longer way to the provider) must not bunch with
# the next host's on time; the spare 10% absorbs about 100 ms of such lateness in any second.
SHARED_RATE_HEADROOM = 0.90
# A request later than this for its slot takes a later slot instead of going out late (at a
# slow rate, slots more than a second apart, only one later than the gap less 1.1 s does)...
LATE_FOR_SLOT = 0.02
# ...at most this many times, so a machine too loaded to keep any slot still sends.
NEW_SLOTS_WHEN_LATE = 5


class SharedRateLimiter(RateLimiter):
    """The channel's rate in total across the hosts sharing a ledger: the provider limits the
    sender, not each host. Each slot is reserved in the ledger (one row per channel, on the
    database's clock); a request that would leave late for its slot takes a new one (see
    ``LATE_FOR_SLOT``) rather than crowd the next host's."""

    def __init__(
        self,
        ledger: Ledger,
        channel: str,
        rate: float,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        headroom: float = SHARED_RATE_HEADROOM,
    ):
        super().__init__(rate, clock, sleep, headroom)
        self.ledger = ledger
        self.channel = channel
        self._slot = threading.local()  # each worker's slot: when its request may leave

    def acquire(self, tokens: int = 1) -> float:
        wait = self.ledger.reserve_slot(self.channel, self.interval * tokens)
        now = self.clock()
        if wait > 0:
            self.sleep(wait)
        self._slot.at = now + wait
        return now + wait

    def depart(self, tokens: int = 1) -> float:
        late = max(LATE_FOR_SLOT, self.interval * tokens - 1.1)
        for _ in range(NEW_SLOTS_WHEN_LATE):
            if self.clock() - getattr(self._slot, "at", -1e12) <= late:
                break
            self.acquire(tokens)
        return self.clock()

    def hold_until(self, moment: float) -> None:
        super().hold_until(moment)
        self.ledger.hold_rate(self.channel, max(0.0, moment - self.clock()))


@dataclass
class ChannelOutcome:
    """What happened on one channel: counts by outcome and the failures themselves."""

    name: str
    type: str
    planned: int | None = None
    sent: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    duplicates: int = 0
    # Deliveries an earlier run of the same version already made (or gave up on): not redone.
    already: int = 0
    # Deliveries another host's live run took (a shared ledger): that host sends them.
    elsewhere: int = 0
    # Recipients who opted out (STOP) in an earlier run: not sent to, not a failure.
    opted_out: int = 0
    # Recipients suppressed on this channel (opted out, invalid, not a mobile): not sent to.
    suppressed: int = 0
    retries: int = 0
    # What may have gone out (an earlier run was stopped while sending it, or its answer was
    # lost) was looked up: found and recorded as sent; not found and sent, with the text
    # recorded for it; or held uncertain (the provider cannot tell, or the lookup failed).
    found_sent: int = 0
    resent: int = 0
    held_uncertain: int = 0
    stopped: bool = False
    # A newer version of the incident took over: this run stopped handing out the old one.
    superseded: bool = False
    failures: list[Receipt] = field(default_factory=list)
    # Failed here, then reached by the fallback channel in the same run: fallback type → count
    # (the failure is in the ledger; for the run, the person was reached).
    reached_by: Counter[str] = field(default_factory=Counter)
    provider_ids: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # The recipients file as this send read it, every row (the plan may have read the first).
    count: RecipientCount | None = field(default=None, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())

    def record(self, receipt: Receipt) -> None:
        with self.lock:
            self.retries += receipt.attempts - 1
            if receipt.channel_fault:
                return  # the channel's failure, reported as a problem; the delivery waits
            if receipt.ok:
                self.sent += 1
                # Only single-target channels (a post, a folder) are worth listing ids for.
                if self.planned is None and receipt.provider_id:
                    self.provider_ids.append(receipt.provider_id)
                return
            self.failed[receipt.error_code or "error"] += 1
            if len(self.failures) < MAX_KEPT_FAILURES:
                self.failures.append(receipt)

    def stood_in(self, reached: Mapping[str, str]) -> None:
        """The failures whose address a fallback reached (address → the fallback's type)
        become "reached by" it: a person the run reached one way is not a failed person.
        Failures beyond the ones kept (MAX_KEPT_FAILURES) stay counted as failed."""
        with self.lock:
            kept = []
            for receipt in self.failures:
                kind = reached.get(receipt.target.address)
                if kind is None:
                    kept.append(receipt)
                    continue
                code = receipt.error_code or "error"
                self.failed[code] -= 1
                if self.failed[code] <= 0:
                    del self.failed[code]
                self.reached_by[kind] += 1
            self.failures = kept

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.name,
            "type": self.type,
            "planned": self.planned,
            "sent": self.sent,
            "failed": self.failed_total,
            "failed_by_reason": dict(self.failed),
            "reached_by_fallback": dict(self.reached_by),
            "skipped": self.skipped,
            "duplicates": self.duplicates,
            "already": self.already,
            "elsewhere": self.elsewhere,
            "opted_out": self.opted_out,
            "suppressed": self.suppressed,
            "retries": self.retries,
            "looked_up": {
                "found_sent": self.found_sent,
                "resent": self.resent,
                "held_uncertain": self.held_uncertain,
            },
            "stopped": self.stopped,
            "superseded": self.superseded,
            "provider_ids": self.provider_ids,
            "problems": [p.to_json() for p in self.problems],
            "failures": [
                {
                    "target": mask_address(r.target.address),
                    "line": r.target.line,
                    "code": r.error_code,
                    "error": r.error,
                    "permanent": r.permanent,
                    "uncertain": r.uncertain,
                    "attempts": r.attempts,
                }
                for r in self.failures
            ],
        }


@dataclass(frozen=True)
class Event:
    """Progress, for whoever shows it: ``kind`` is start, delivered, failed, opted-out, retry,
    skipped (a recipients row the plan had not read, with its ``problem``) or done;
    ``stopping`` (for no channel) when a first Ctrl-C asks the send to stop."""

    channel: str
    kind: str
    total: int | None = None
    receipt: Receipt | None = None
    problem: Problem | None = None


def outgoing_for(
    plan: Plan,
    channel: ChannelPlan,
    extra_facts: Mapping[str, Any] | None = None,
    language: str | None = None,
) -> Outgoing:
    """The message a channel carries, from the plan the preview showed (in ``language``)."""
    incident = plan.incident
    assert incident is not None and plan.config is not None
    next_update = incident.next_update_at(plan.now)
    facts = {
        "id": incident.id,
        "status": incident.status,
        "severity": incident.severity,
        "title": incident.title,
        "headline": incident.headline,
        "link": incident.link,
        "organisation": plan.config.organisation,
        "locale": channel.locale,
        "resolved": incident.status == "resolved",
        "updated_at": plan.now.astimezone(incident.zone).isoformat(),
        "started_at": incident.started_at.isoformat(),
        "eta": incident.eta.isoformat() if incident.eta else None,
        "next_update_at": next_update.isoformat() if next_update else None,
        # When it ended (resolved or cancelled), as its messages say: not when this went out.
        "ended_at": ended_at.isoformat() if (ended_at := incident.end_time(plan.now)) else None,
        # Times on the status site name their zone ("CET"), not only an offset.
        "timezone": incident.timezone,
        "reminder": plan.reminder,
        # A drill: the status site marks it in words (its index, its banner, its feed).
        "exercise": incident.exercise,
        # The language of the texts carried (a call is read out in it).
        "language": language or language_of(channel.locale),
        **_alert_facts(incident, channel.type),
        **_site_facts(plan.config, channel),
        **(extra_facts or {}),
    }
    parts = channel.variants.get(language, channel.parts) if language else channel.parts
    return Outgoing(
        channel=channel.name,
        parts=dict(parts),
        thread=tuple(channel.measures.get("thread", ())) if parts is channel.parts else (),
        facts=facts,
        variants={lang: dict(texts) for lang, texts in channel.variants.items()},
    )


def _site_facts(config: Any, channel: ChannelPlan) -> dict[str, Any]:
    """The language of what covers every incident (the status site's index and feed, the CAP
    folder's feed): the organisation's, not the incident's (the banner's ``site_locale``, else
    ``defaults.locale``)."""
    if not channel_model(channel.type).SITE:
        return {}
    settings = config.channels.get(channel.name)
    return {"site_locale": getattr(settings, "site_locale", None) or config.defaults.locale}


def _alert_facts(incident: Any, channel_type: str) -> dict[str, Any]:
    """What a CAP alert needs beyond texts: the area and the incident's CAP overrides."""
    if channel_type != "cap":
        return {}
    return {
        "area": incident.area.model_dump() if incident.area else None,
        "cap": incident.cap.model_dump(exclude_none=True) if incident.cap else {},
        "locale_tag": incident.locale,
        # A drill is <status>Exercise, which aggregators do not show the public.
        "exercise": incident.exercise,
        "correction": incident.correction,
    }


class SendAbandoned(Exception):
    """A second Ctrl-C: the send stopped without waiting for the requests still in flight.

    Those were marked ``uncertain`` in the ledger (``uncertain`` of them): the provider may or
    may not have taken them.
    """

    def __init__(self, outcomes: list[ChannelOutcome], uncertain: int) -> None:
        super().__init__(f"stopped without waiting; {uncertain} in flight marked uncertain")
        self.outcomes = outcomes
        self.uncertain = uncertain


class Dispatcher:
    """Delivers a checked plan. Build one per send; ``run`` returns one outcome per channel.

    Ctrl-C once: nothing new is handed out, waits for a slot or a retry end at once, and the
    requests already with a provider finish and are recorded. Ctrl-C again: ``run`` stops
    waiting for those, marks them uncertain and raises ``SendAbandoned``.
    """

    def __init__(
        self,
        plan: Plan,
        environ: Mapping[str, str] = os.environ,
        on_event: Callable[[Event], None] = lambda event: None,
        policy: RetryPolicy = RetryPolicy(),
        clock: Clock = time.monotonic,
        sleep: Sleep | None = None,
        stop: threading.Event | None = None,
        ledger: Ledger | None = None,
        version_id: int | None = None,
        extra_facts: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """``ledger`` and ``version_id`` make the send an outbox: every delivery is recorded
        before the provider is called, and deliveries an earlier run made are not redone.
        ``extra_facts`` adds per-channel facts (X: the post to reply to)."""
        if not plan.ok or plan.config is None:
            raise ValueError("only a plan without errors can be sent")
        if (ledger is None) != (version_id is None):
            raise ValueError("a ledger needs the version it records")
        self.plan = plan
        self.config: Config = plan.config
        self.environ = environ
        self.on_event = on_event
        self.policy = policy
        self.clock = clock
        self.stop = stop or threading.Event()
        # Set by a second Ctrl-C once the deliveries in flight are marked uncertain: a request
        # left behind that ends later writes nothing, so the summary and the ledger agree.
        self.abandoned = threading.Event()
        # Waiting for a rate slot or a retry ends at once when the send is asked to stop.
        self.sleep: Sleep = sleep or self.stop.wait
        self.ledger = ledger
        self.version_id = version_id
        self.extra_facts = extra_facts or {}
        # Deliveries this run took on a shared ledger (in batches), so it sends only those.
        self._taken: set[int] = set()

    def run(self) -> list[ChannelOutcome]:
        # A fallback-only channel sends nobody on its own: delivery.fallback uses it.
        # (Unless it corrects: those a fallback reached get the correction the same way.)
        channels = [
            c
            for c in self.plan.channels
            if not self.config.fallback_only(c.name)
            or (self._correcting() and self._carried(c.name))
        ]
        outcomes = [
            ChannelOutcome(
                name=c.name,
                type=c.type,
                planned=c.recipients.expected if c.recipients is not None else None,
            )
            for c in channels
        ]
        finished = [threading.Event() for _ in channels]

        def run_channel(
            channel: ChannelPlan, outcome: ChannelOutcome, done: threading.Event
        ) -> None:
            try:
                self._run_channel(channel, outcome)
            except Exception as exc:
                self._broken(channel.name, outcome, exc)
            finally:
                done.set()

        for channel, outcome, done in zip(channels, outcomes, finished, strict=True):
            # Daemon threads: after a second Ctrl-C the process may end while a request is
            # still out; the ledger already says uncertain for it.
            threading.Thread(
                target=run_channel,
                args=(channel, outcome, done),
                name=f"send-{channel.name}",
                daemon=True,
            ).start()
        # Wait on events, not Thread.join: a join interrupted by Ctrl-C can leave the thread
        # looking finished while it still runs (CPython gh-90882).
        waiting = list(finished)
        interrupted = False
        while waiting:
            try:
                if waiting[0].wait(0.2):
                    waiting.pop(0)
            except KeyboardInterrupt:
                self.stop.set()
                if interrupted:
                    raise SendAbandoned(outcomes, self._abandon_in_flight()) from None
                interrupted = True
                try:
                    self.on_event(Event("", "stopping"))
                except KeyboardInterrupt:  # the second press came while the first was said
                    raise SendAbandoned(outcomes, self._abandon_in_flight()) from None
        return outcomes

    def _abandon_in_flight(self) -> int:
        """Deliveries with a provider right now: maybe taken, maybe not."""
        if self.ledger is None or self.plan.incident is None:
            self.abandoned.set()
            return 0
        with self.ledger.lock:
            self.abandoned.set()
            return self.ledger.mark_uncertain(self.plan.incident.id)

    def _mark(self, delivery_id: int, state: str, *details: str | None) -> None:
        """Record an outcome in the ledger, unless the run was abandoned meanwhile."""
        assert self.ledger is not None
        with self.ledger.lock:
            if not self.abandoned.is_set():
                self.ledger.mark_outcome(delivery_id, state, *details)

    def _run_channel(self, channel: ChannelPlan, outcome: ChannelOutcome) -> None:
        config = self.config.channels[channel.name]
        kind = adapter_class(channel.type)
        credentials, missing = resolve_credentials(self.config, channel.name, self.environ)
        if missing:  # preflight checked them; the environment changed under us
            outcome.problems.extend(missing)
            return
        context = DeliveryContext(config_folder=self.config.folder, now=self.plan.now)
        facts = self.extra_facts.get(channel.name)
        message = outgoing_for(self.plan, channel, facts)
        # One message per language the channel's readers get; a reader's own, else the first.
        messages = {
            language: outgoing_for(self.plan, channel, facts, language)
            for language in channel.variants
        }
        rate = config.rate_per_second() if config.rate is not None else kind.default_rate
        limiter = (
            SharedRateLimiter(self.ledger, channel.name, rate, self.clock, self.sleep)
            if rate and self.ledger is not None and self.ledger.shared
            else RateLimiter(rate, self.clock, self.sleep, RATE_HEADROOM)
        )
        workers = config.concurrency or kind.default_concurrency
        self.on_event(Event(channel.name, "start", total=outcome.planned))

        if kind.recipient_kind is None and self._correcting() and not self._carried(channel.name):
            pass  # a correction goes where the wrong message went; this channel carried none
        elif kind.recipient_kind is None:
            adapter = kind(channel.name, config, credentials, context)
            try:
                # One target (an account, a folder), or a few named in channels.yaml (Apprise
                # URLs): each is its own delivery, with its own outcome and retries.
                for target in adapter.fixed_targets():
                    if self.stop.is_set():
                        break
                    claimed = self._claim(channel.name, target, outcome, kind)
                    receipt = (
                        None
                        if claimed is False
                        else self._deliver(
                            adapter, message, target, limiter, outcome, *claimed, self.stop.is_set
                        )
                    )
                    if receipt is None:
                        continue
                    if receipt.channel_fault:
                        outcome.problems.append(self._channel_fault(channel.name, receipt))
                    self.on_event(
                        Event(
                            channel.name, "delivered" if receipt.ok else "failed", receipt=receipt
                        )
                    )
                    if receipt.channel_fault:
                        break
            finally:
                adapter.close()
        else:
            first_pass: tuple[int, int, int] | None = None
            while True:
                if first_pass is not None:
                    # Another pass (a host's deliveries left over): it recounts the list.
                    duplicates, skipped, handled = first_pass
                    before = outcome.already
                self._fan_out(
                    channel,
                    kind,
                    config,
                    credentials,
                    context,
                    messages or {"": message},
                    limiter,
                    workers,
                    outcome,
                )
                if first_pass is not None:
                    # Of what this pass found done, the part this run did in earlier passes
                    # is not "already".
                    outcome.already = before + max(0, outcome.already - before - handled)
                    outcome.duplicates, outcome.skipped = duplicates, skipped
                first_pass = (
                    outcome.duplicates,
                    outcome.skipped,
                    outcome.sent + sum(outcome.failed.values()),
                )
                if not self._left_by_others(channel.name, outcome):
                    break
        outcome.stopped = outcome.stopped or self.stop.is_set()
        self.on_event(Event(channel.name, "done"))

    def _fan_out(
        self,
        channel: ChannelPlan,
        kind: type[Adapter],
        config: Any,
        credentials: Mapping[str, str],
        context: DeliveryContext,
        messages: Mapping[str, Outgoing],
        limiter: RateLimiter,
        workers: int,
        outcome: ChannelOutcome,
    ) -> None:
        first = next(iter(messages.values()))
        work: queue.Queue[tuple[Target, int | None, datetime | None] | None] = queue.Queue(
            maxsize=workers * 4
        )
        channel_failed = threading.Event()
        # Until the provider has answered once, one delivery at a time: refused credentials
        # then cost one request, not one per worker.
        answered = threading.Event()
        first_answer = threading.Lock()

        def halted() -> bool:
            return self.stop.is_set() or channel_failed.is_set()

        def send_one(
            adapter: Adapter, target: Target, delivery_id: int | None, since: datetime | None
        ) -> None:
            message = messages.get(language_of(target.locale), first)
            receipt = self._deliver(
                adapter, message, target, limiter, outcome, delivery_id, since, halted
            )
            if receipt is None:
                return  # stopped before it left: the ledger still says pending
            if receipt.channel_fault:
                with outcome.lock:
                    if not channel_failed.is_set():
                        channel_failed.set()
                        outcome.problems.append(self._channel_fault(channel.name, receipt))
            self.on_event(
                Event(channel.name, "delivered" if receipt.ok else "failed", receipt=receipt)
            )

        def worker() -> None:
            adapter: Adapter | None = None
            try:
                adapter = kind(channel.name, config, credentials, context)
                adapter.open()
                while (item := work.get()) is not None:
                    if halted():
                        continue  # drain without sending; the ledger still says pending
                    gate = nullcontext() if answered.is_set() else first_answer
                    with gate:
                        if not halted():
                            send_one(adapter, *item)
                        answered.set()
            except Exception as exc:
                channel_failed.set()
                answered.set()
                self._broken(channel.name, outcome, exc)
                # Keep taking from the queue, so the thread filling it never waits forever.
                while work.get() is not None:
                    pass
            finally:
                if adapter is not None:
                    adapter.close()

        pool = [
            threading.Thread(target=worker, name=f"send-{channel.name}-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in pool:
            thread.start()
        opted_out = (
            self.ledger.opted_out(channel.name, kind.opt_out_codes)
            if self.ledger is not None and kind.opt_out_codes
            else set()
        )
        try:
            batch: list[Target] = []
            size = 1
            targets = (
                self._earlier_targets(channel.name, outcome)
                if self._correcting()
                else self._distinct_targets(kind, config, outcome, channel)
            )
            for target in targets:
                if halted():
                    outcome.stopped = True
                    break
                batch.append(target)
                if len(batch) >= size:
                    self._queue(channel.name, batch, outcome, kind, opted_out, work)
                    batch, size = [], min(size * 4, CLAIM_BATCH)
            else:
                self._queue(channel.name, batch, outcome, kind, opted_out, work)
        finally:
            for _ in pool:
                work.put(None)
            for thread in pool:
                thread.join()
        count = outcome.count
        head = channel.recipients
        if count is not None and count.complete and count.valid == 0 and head and not head.complete:
            outcome.problems.append(
                Problem(
                    f"no valid recipient with a {kind.recipient_kind} in the recipients file",
                    self.config.resolve_path(config.recipients),
                    channel=channel.name,
                )
            )

    def _queue(
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
            self._taken.update(taken)
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
                target = _as_recorded(target, recorded[delivery_id])
            claimed = self._claimed(channel, target, outcome, kind, delivery_id, state)
            if claimed is False:
                continue
            delivery_id, since = claimed
            if opted_out and self._skip_opted_out(target, delivery_id, opted_out, outcome):
                continue
            work.put((target, delivery_id, since))

    def _correcting(self) -> bool:
        """This version corrects the earlier ones (status: cancelled): it goes to everyone who
        received any of them, on the channels they got them on, whatever the CSV says now."""
        incident = self.plan.incident
        return (
            self.ledger is not None
            and self.version_id is not None
            and incident is not None
            and incident.status == "cancelled"
        )

    def _carried(self, channel: str) -> bool:
        """Whether an earlier version of the incident went out on ``channel``."""
        assert self.ledger is not None and self.plan.incident is not None
        return channel in self.ledger.channels_sent(self.plan.incident.id)

    def _earlier_targets(self, channel: str, outcome: ChannelOutcome) -> Iterator[Target]:
        """Everyone an earlier version reached on ``channel``, from the sealed addresses."""
        assert self.ledger is not None and self.plan.incident is not None
        assert self.version_id is not None
        contacts, lost = self.ledger.earlier_recipients(
            self.plan.incident.id, channel, self.version_id
        )
        if lost:
            outcome.problems.append(
                Problem(
                    f"{lost} earlier recipient{'s' * (lost != 1)} cannot get the correction: "
                    "the ledger recorded them before addresses were kept (only a hash)",
                    channel=channel,
                )
            )
        for contact in contacts:
            yield Target(contact.address, contact.name, contact.line, contact.locale)

    def _left_by_others(self, channel: str, outcome: ChannelOutcome) -> bool:
        """Shared ledger: once this run's pass is done, wait while other hosts' live runs
        finish what they took; True when some of it is left to send (a host died: its lease
        ended), for one more pass over the list. The counts of that pass are its own."""
        if self.ledger is None or not self.ledger.shared or self.version_id is None:
            return False
        if not outcome.elsewhere or outcome.stopped or outcome.problems or self.stop.is_set():
            return False
        # A host that stays alive finishes its deliveries; one that died frees them after its
        # lease: no wait is longer than a lease.
        deadline = self.clock() + self.ledger.lease_seconds + 1
        while self.ledger.waiting_elsewhere(self.version_id, channel):
            if self.stop.is_set() or self.clock() >= deadline:
                return False
            self.sleep(0.2)
        if not self.ledger.unfinished(self.version_id, channel):
            return False
        # What a dead host was handing over may have gone out: looked up, or left uncertain.
        self.ledger.mark_uncertain(self.plan.incident.id)
        outcome.elsewhere = 0
        return True

    def _distinct_targets(
        self, kind: type[Adapter], config: Any, outcome: ChannelOutcome, channel: ChannelPlan
    ) -> Iterator[Target]:
        """Every row, checked as it streams: valid ones once each, the others reported.

        The rows the plan did not read (it may have read only the first ones) have their
        problems said as they are met (``skipped`` events), not at the end of the file.
        """
        problems: list[Problem] = []
        count = outcome.count = RecipientCount()
        head = channel.recipients
        said_up_to = head.last_line if head is not None and not head.complete else None

        def take_problems() -> None:
            for problem in problems:
                count.invalid += 1
                if len(count.problems) >= MAX_ROW_PROBLEMS:
                    continue
                count.problems.append(problem)
                if said_up_to is not None and (problem.line or 0) > said_up_to:
                    self.on_event(Event(outcome.name, "skipped", problem=problem))
            problems.clear()

        recipients = read_recipients(
            self.config.resolve_path(config.recipients),
            kind.recipient_kind,  # type: ignore[arg-type]
            getattr(config, "default_region", None),
            outcome.name,
            problems,
            count,
        )
        try:
            with SeenSet() as seen:
                for recipient in recipients:
                    if problems:
                        take_problems()
                    first = seen.add(recipient.address)
                    count.add(recipient, first)
                    if not first:
                        outcome.duplicates += 1
                        continue
                    yield Target(
                        recipient.address, recipient.name, recipient.line, recipient.locale
                    )
                take_problems()
        finally:
            # Also when the send stops early: the invalid rows read so far were skipped.
            take_problems()
            outcome.skipped = count.invalid

    def _deliver(
        self,
        adapter: Adapter,
        message: Outgoing,
        target: Target,
        limiter: RateLimiter,
        outcome: ChannelOutcome,
        delivery_id: int | None = None,
        since: datetime | None = None,
        halted: Callable[[], bool] = lambda: False,
    ) -> Receipt | None:
        """One delivery with its retries, recorded; None if it was halted before it left.

        ``since``: an attempt that began then may have gone out; look it up before sending.
        On a shared ledger the delivery is first taken for this run: one another host's live
        run took is left to it (None).
        """
        if (
            self.ledger is not None
            and self.ledger.shared
            and delivery_id is not None
            and delivery_id not in self._taken
            and not self.ledger.take([delivery_id])
        ):
            with outcome.lock:
                outcome.elsewhere += 1
            return None
        receipt = self._attempts(
            adapter, message, target, limiter, outcome, delivery_id, since, halted
        )
        if receipt is None:
            return None
        # Counted before the ledger write: if that fails, the summary still tells the truth.
        outcome.record(receipt)
        if self.ledger is not None and delivery_id is not None:
            if receipt.uncertain:
                self._mark(delivery_id, UNCERTAIN, None, receipt.error_code, receipt.error)
            elif receipt.channel_fault:
                # Not this recipient's failure: pending again, for the send after the fix.
                self._mark(delivery_id, PENDING, None, receipt.error_code, receipt.error)
            elif receipt.ok:
                self._mark(delivery_id, SENT, receipt.provider_id)
            else:
                state = FAILED_PERMANENT if receipt.permanent else FAILED_TRANSIENT
                self._mark(delivery_id, state, None, receipt.error_code, receipt.error)
        return receipt

    def _broken(self, channel: str, outcome: ChannelOutcome, exc: Exception) -> None:
        """A fault outside the adapters: the channel stops; a ledger fault stops them all."""
        if self.ledger is not None and isinstance(exc, sqlite3.Error | LedgerFault):
            fault = exc if isinstance(exc, LedgerFault) else ledger_fault(exc, self.ledger.path)
            self.stop.set()
            message = str(fault)
        else:
            message = f"{type(exc).__name__}: {exc}; nothing more was sent on this channel"
        with outcome.lock:
            outcome.stopped = True
            if all(problem.message != message for problem in outcome.problems):
                outcome.problems.append(Problem(message, channel=channel))

    def _channel_fault(self, channel: str, receipt: Receipt) -> Problem:
        """What to say when the provider refused the channel itself, and what to fix."""
        refs = self.config.channels[channel].credential_refs().values()
        names = [name for ref in refs for name in _ENV_REF.findall(ref)]
        fix = (
            f"fix {' or '.join(names)}"
            if names and "credentials" in (receipt.error or "")
            else "fix it"
        )
        return Problem(
            f"{receipt.error}: nothing more sent on this channel (its deliveries wait, pending); "
            f"{fix} and run send again",
            channel=channel,
        )

    def _skip_opted_out(
        self, target: Target, delivery_id: int | None, opted_out: set[str], outcome: ChannelOutcome
    ) -> bool:
        """Record, without sending, a delivery to a recipient who opted out earlier."""
        assert self.ledger is not None
        if delivery_id is None or self.ledger.recipient_key(target.address) not in opted_out:
            return False
        self.ledger.mark_outcome(
            delivery_id,
            FAILED_PERMANENT,
            None,
            OPTED_OUT,
            "opted out in an earlier message (replied STOP): not sent again",
        )
        with outcome.lock:
            outcome.opted_out += 1
        self.on_event(Event(outcome.name, "opted-out"))
        return True

    def _claim(
        self, channel: str, target: Target, outcome: ChannelOutcome, kind: type[Adapter]
    ) -> tuple[int | None, datetime | None] | Literal[False]:
        """The ledger's delivery id for ``target`` and, when an earlier attempt may have gone
        out, since when to look it up; False when an earlier run already did it."""
        if self.ledger is None or self.version_id is None:
            return None, None
        delivery_id, state = self.ledger.claim(
            self.version_id, channel, target.address, target.line, target.name, target.locale
        )
        return self._claimed(channel, target, outcome, kind, delivery_id, state)

    def _claimed(
        self,
        channel: str,
        target: Target,
        outcome: ChannelOutcome,
        kind: type[Adapter],
        delivery_id: int,
        state: str,
    ) -> tuple[int | None, datetime | None] | Literal[False]:
        """What to do with a claimed delivery in ``state`` (see ``_claim``)."""
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

    def _attempts(
        self,
        adapter: Adapter,
        message: Outgoing,
        target: Target,
        limiter: RateLimiter,
        outcome: ChannelOutcome,
        delivery_id: int | None,
        since: datetime | None,
        halted: Callable[[], bool],
    ) -> Receipt | None:
        """Send ``message`` to ``target`` until the provider takes it or refuses it for good.

        Only an answer that proves the provider did not act on the request (``NOT_TAKEN``:
        a 4xx, a connection never opened) is retried as it is. A ``MAYBE_SENT`` one is looked
        up (``since`` the attempt began) before anything is sent again, on a channel that can
        look; on one that cannot, it is held as uncertain: re-sent only with
        ``--resend-uncertain``.
        """
        cost = adapter.cost(message, target)
        attempt = 0
        # Whether the provider answered the attempt that may have gone out (a 5xx), or not (a
        # timeout, a reset; unknown after a killed run): how long its absence takes to prove.
        answered = False
        looked_up = False  # an earlier attempt was looked up and not found
        while True:
            attempt += 1
            if since is not None:
                # The last attempt may have gone out: ask before sending again.
                if attempt == 1 and halted():
                    return None
                settled = since + timedelta(seconds=adapter.settle_seconds(answered))
                looked = self._look_up(
                    adapter, message, target, since, settled, outcome, halted, attempt
                )
                if looked is not _ABSENT:
                    return looked  # found, still uncertain, or stopped (the ledger says so)
                since = None
                looked_up = True
            limiter.acquire(cost)
            if attempt == 1 and halted():
                # Stopped (Ctrl-C, a newer version, the channel refused) while waiting for a
                # slot: nothing left, so nothing to record.
                return None
            if (
                self.ledger is not None
                and delivery_id is not None
                # From here until the outcome is written, a kill leaves it "uncertain".
                and not self.ledger.mark_sending(delivery_id)
            ):
                with outcome.lock:
                    outcome.elsewhere += 1  # another host took it meanwhile: its to send
                return None
            started = datetime.now(UTC)
            limiter.depart(cost)
            try:
                provider_id = adapter.deliver(message, target)
            except DeliveryError as error:
                # Providers quote the recipient in their refusals ("550 <camille@...>:
                # rejected"); the summary, the log and the ledger get the masked form only.
                said = (
                    _without_contact(error.message, target)
                    if adapter.recipient_kind is not None
                    else error.message
                )
                too_long = (error.retry_after or 0) > self.policy.max_retry_after
                if error.channel_fault:
                    return Receipt(
                        target,
                        ok=False,
                        error_code=error.code,
                        error=said,
                        attempts=attempt,
                        channel_fault=True,
                    )
                if error.maybe_sent:
                    held = Receipt(
                        target,
                        ok=False,
                        error_code=error.code,
                        error=(
                            f"maybe sent ({said}): "
                            + (
                                "looked up before anything is sent again"
                                if adapter.can_look_up
                                else "the provider offers no lookup; held as uncertain, "
                                "re-sent only with --resend-uncertain"
                            )
                        ),
                        attempts=attempt,
                        uncertain=True,
                    )
                    if (
                        not adapter.can_look_up
                        or attempt >= self.policy.max_attempts
                        or self.stop.is_set()
                    ):
                        return held
                    if self.ledger is not None and delivery_id is not None:
                        # Until the lookup says, a kill must leave it to be looked up.
                        self._mark(delivery_id, UNCERTAIN, None, error.code, said)
                    since, answered = started, error.answered
                    self.on_event(Event(outcome.name, "retry"))
                    self._wait_to_retry(error, attempt, limiter)
                    if halted():
                        return held
                    continue
                failure = Receipt(
                    target,
                    ok=False,
                    error_code=error.code,
                    error=said,
                    permanent=not error.transient,
                    attempts=attempt,
                )
                if (
                    not error.transient
                    or attempt >= self.policy.max_attempts
                    or too_long
                    or self.stop.is_set()
                ):
                    return failure
                if self.ledger is not None and delivery_id is not None:
                    # The provider said no: known not delivered, safe to send again.
                    self._mark(delivery_id, FAILED_TRANSIENT, None, error.code, said)
                self.on_event(Event(outcome.name, "retry"))
                self._wait_to_retry(error, attempt, limiter)
                if halted():
                    # Stopped while waiting to retry: it stays a transient failure, for later.
                    return failure
            except Exception as error:  # a bug in an adapter must not take the others down
                said = mask_contacts(f"{type(error).__name__}: {error}")
                # Whether the request had left when it broke is unknown: maybe sent.
                return Receipt(
                    target,
                    ok=False,
                    error_code="internal",
                    error=_without_contact(said, target)
                    if adapter.recipient_kind is not None
                    else said,
                    attempts=attempt,
                    uncertain=True,
                )
            else:
                if looked_up:
                    with outcome.lock:
                        outcome.resent += 1
                return Receipt(target, ok=True, provider_id=provider_id, attempts=attempt)

    def _wait_to_retry(self, error: DeliveryError, attempt: int, limiter: RateLimiter) -> None:
        if error.retry_after:
            limiter.hold_until(self.clock() + error.retry_after)
        else:
            self.sleep(self.policy.backoff(attempt))

    def _look_up(
        self,
        adapter: Adapter,
        message: Outgoing,
        target: Target,
        since: datetime,
        settled: datetime,
        outcome: ChannelOutcome,
        halted: Callable[[], bool],
        attempt: int,
    ) -> Receipt | None:
        """Ask the provider whether the attempt begun at ``since`` went out.

        A Receipt: found (sent, with the provider's id) or still uncertain (the lookup
        failed, or the provider cannot tell whose a delivery it holds is); None: stopped
        meanwhile (the ledger keeps it uncertain for the next run); ``_ABSENT``: it did not go
        out, send it.

        Absence proves something only once the provider cannot still be acting on the
        attempt (a request it held before committing): a lookup begun before ``settled``
        (see ``Adapter.settle_seconds``) that finds nothing waits until then and asks again.
        """
        tries = 0
        while True:
            tries += 1
            asked_at = datetime.now(UTC)
            try:
                found = adapter.find_sent(message, target, since, self._known_ids(outcome, target))
            except LookupUndecided as undecided:
                with outcome.lock:
                    outcome.held_uncertain += 1
                return Receipt(
                    target,
                    ok=False,
                    error_code="uncertain",
                    error=str(undecided),
                    attempts=attempt,
                    uncertain=True,
                )
            except DeliveryError as error:
                # The lookups share the delivery's attempts with its sends.
                spent = attempt + tries - 1
                if not error.transient or spent >= self.policy.max_attempts or halted():
                    with outcome.lock:
                        outcome.held_uncertain += 1
                    return Receipt(
                        target,
                        ok=False,
                        error_code=error.code,
                        error=f"maybe sent; the lookup failed: {error.message}",
                        attempts=attempt,
                        uncertain=True,
                    )
                self.on_event(Event(outcome.name, "retry"))
                self.sleep(error.retry_after or self.policy.backoff(tries))
                continue
            if found is not None:
                with outcome.lock:
                    outcome.found_sent += 1
                return Receipt(target, ok=True, provider_id=found, attempts=attempt)
            if halted():
                return None
            if asked_at >= settled:
                return _ABSENT
            self.sleep(max(0.0, (settled - datetime.now(UTC)).total_seconds()))
            if halted():
                return None

    def _known_ids(self, outcome: ChannelOutcome, target: Target) -> frozenset[str]:
        """The provider's ids the ledger holds for ``target`` on every channel of this one's
        type: other deliveries' (or earlier attempts'), which a lookup must never take for
        this attempt's."""
        if self.ledger is None:
            return frozenset()
        same = [name for name, c in self.config.channels.items() if c.type == outcome.type]
        return self.ledger.provider_ids_to(target.address, same)


def _as_recorded(target: Target, contact: Contact) -> Target:
    """The target a delivery an earlier run recorded is made to: its recorded address, name
    and language (so its text, and the lookup of what may have gone out, are the first
    attempt's), whatever the recipients file says now; the file's line, where it is now."""
    return Target(contact.address, contact.name, target.line, contact.locale)


def _without_contact(text: str, target: Target) -> str:
    """``text`` with the target's address (as written or without its +) and name masked."""
    forms = {target.address: mask_address(target.address)}
    if target.address.startswith("+"):
        forms[target.address[1:]] = mask_address(target.address)
    if len(target.name) > 2:
        forms[target.name] = mask_name(target.name)
    for form in sorted(forms, key=len, reverse=True):
        text = re.sub(re.escape(form), forms[form], text, flags=re.IGNORECASE)
    return text
