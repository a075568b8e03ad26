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

The ``Dispatcher`` runs the channels; ``outbox`` claims their rows in the ledger, ``targets``
says who they go to, ``attempts`` makes each delivery (retries, lookups), ``rate`` paces them,
``outcome`` counts what happened and ``outgoing`` builds each channel's message.
"""

from __future__ import annotations

import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from broadcast.channels import adapter_class
from broadcast.channels.base import Adapter, DeliveryContext, Outgoing, Receipt, Target
from broadcast.delivery.area_reach import (
    area_target_for,
    reached_with_same_texts,
    subscriber_in_area,
    told_they_left,
)
from broadcast.delivery.attempts import DeliveryAttempts
from broadcast.delivery.context import delivery_context
from broadcast.delivery.outbox import Outbox
from broadcast.delivery.outcome import ChannelOutcome, Event, SendAbandoned
from broadcast.delivery.outgoing import outgoing_for
from broadcast.delivery.plan import ChannelPlan, Plan
from broadcast.delivery.rate import (
    RATE_HEADROOM,
    Clock,
    RateLimiter,
    RetryPolicy,
    Sleep,
)
from broadcast.delivery.sender_pool import SenderPool, SharedSenderLimiter
from broadcast.delivery.subscribers import unsubscribe_links, with_subscribers
from broadcast.delivery.targets import distinct_targets, earlier_targets
from broadcast.delivery.worker_pool import run_with_workers
from broadcast.input.area_target import AreaTarget
from broadcast.input.config import _ENV_REF, Config, resolve_credentials
from broadcast.input.recipients import language_of
from broadcast.ledger.sqlite import (
    FAILED_PERMANENT,
    FAILED_TRANSIENT,
    PENDING,
    SENT,
    UNCERTAIN,
    Ledger,
    LedgerFault,
    ledger_fault,
)
from broadcast.problems import Problem

# What callers know this module by: the dispatcher, its outcomes and events, and its pacing.
__all__ = [
    "ChannelOutcome",
    "Dispatcher",
    "Event",
    "RateLimiter",
    "RetryPolicy",
    "SendAbandoned",
]
# The retries of a send unless told otherwise (one instance: the policy is frozen).
DEFAULT_POLICY = RetryPolicy()
# Pending rows are written in batches: the first of one recipient, so the first message
# leaves at once, then each four times larger, up to this.
CLAIM_BATCH = 1024


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
        policy: RetryPolicy = DEFAULT_POLICY,
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
        self.outbox = Outbox(ledger, version_id, on_event)
        self.attempts = DeliveryAttempts(
            policy, ledger, self.config, self.stop, on_event, clock, self.sleep, self._mark
        )
        # Per channel, its pool of senders when it lists ``senders``.
        self.pools: dict[str, SenderPool | None] = {}

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
                planned=c.expected_sends,
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
        context = delivery_context(self.config, self.plan.now)._replace(
            unsubscribe_link=unsubscribe_links(self.config, config, self.ledger, self._drill())
        )
        facts = self.extra_facts.get(channel.name)
        message = outgoing_for(self.plan, channel, facts)
        # One message per language the channel's readers get; a reader's own, else the first.
        messages = {
            language: outgoing_for(self.plan, channel, facts, language)
            for language in channel.variants
        }
        rate = config.rate_per_second() if config.rate is not None else kind.default_rate
        # Hosts sharing a ledger keep the rate together, in its one-second window as the
        # provider counts it (grants of parts from the ledger: delivery.sender_pool).
        limiter: RateLimiter = (
            SharedSenderLimiter(self.ledger, channel.name, rate, self.clock, self.sleep)
            if rate and self.ledger is not None and self.ledger.shared
            else RateLimiter(rate, self.clock, self.sleep, RATE_HEADROOM)
        )
        # A pool of senders (channels.senders): each paced at its own rate, picked per delivery.
        senders = getattr(config, "senders", None)
        self.pools[channel.name] = (
            SenderPool(channel.name, senders, self.ledger, self.clock, self.sleep)
            if senders
            else None
        )
        workers = config.concurrency or kind.default_concurrency
        self.on_event(Event(channel.name, "start", total=outcome.planned))

        try:
            if (
                kind.recipient_kind is None
                and self._correcting()
                and not self._carried(channel.name)
            ):
                pass  # a correction goes where the wrong message went; this channel carried none
            elif kind.recipient_kind is None and self._published_already(channel.name, config):
                outcome.reached_before += 1  # its texts are out already: only the area changed
            elif kind.recipient_kind is None:
                self._send_to_fixed_targets(
                    channel, kind, config, credentials, context, message, limiter, outcome
                )
            else:
                self._send_to_list(
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
        finally:
            # What the channel's rate and its senders hold on a shared ledger, given up for
            # the other hosts.
            if isinstance(limiter, SharedSenderLimiter):
                limiter.close()
            pool = self.pools.get(channel.name)
            if pool is not None:
                pool.close()
        outcome.stopped = outcome.stopped or self.stop.is_set()
        self.on_event(Event(channel.name, "done"))

    def _send_to_fixed_targets(
        self,
        channel: ChannelPlan,
        kind: type[Adapter],
        config: Any,
        credentials: Mapping[str, str],
        context: DeliveryContext,
        message: Outgoing,
        limiter: RateLimiter,
        outcome: ChannelOutcome,
    ) -> None:
        """One target (an account, a folder), or a few named in channels.yaml (Apprise URLs):
        each is its own delivery, with its own outcome and retries."""
        adapter = kind(channel.name, config, credentials, context)
        try:
            for target in adapter.fixed_targets():
                if self.stop.is_set():
                    break
                claimed = self.outbox.claim(channel.name, target, outcome, kind)
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
                    Event(channel.name, "delivered" if receipt.ok else "failed", receipt=receipt)
                )
                if receipt.channel_fault:
                    break
        finally:
            adapter.close()

    def _send_to_list(
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
        """Everyone on the channel's list, fanned out; on a shared ledger, another pass while
        deliveries a dead host had taken are left over."""
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
                messages,
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
                    if not answered.is_set():
                        with first_answer:
                            if not answered.is_set():
                                if not halted():
                                    send_one(adapter, *item)
                                answered.set()
                                continue
                    # Once answered, no lock held while sending: a worker that waited for the
                    # first answer holds no other back (the list's order is kept).
                    if not halted():
                        send_one(adapter, *item)
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

        run_with_workers(
            f"send-{channel.name}",
            workers,
            worker,
            work,
            lambda: self._hand_out(channel, kind, config, outcome, work, halted),
        )
        self._check_any_valid(channel, kind, config, outcome)

    def _hand_out(
        self,
        channel: ChannelPlan,
        kind: type[Adapter],
        config: Any,
        outcome: ChannelOutcome,
        work: queue.Queue[tuple[Target, int | None, datetime | None] | None],
        halted: Callable[[], bool],
    ) -> None:
        """Queue the channel's deliveries for its workers, recorded in growing batches, until
        the list ends or the send halts."""
        # A channel that honours opt-outs (its provider has opt-out codes) skips whoever opted
        # out: a STOP (broadcast serve) or a provider's opt-out, until a START.
        opted_out = (
            self.ledger.opted_out() if self.ledger is not None and kind.opt_out_codes else set()
        )
        batch: list[Target] = []
        size = 1
        area = self._area_of(channel.name, config)
        targets = (
            self._earlier_targets(channel.name, outcome)
            if self._correcting()
            else with_subscribers(
                distinct_targets(
                    kind,
                    config,
                    outcome,
                    channel,
                    self.config.resolve_path(config.recipients),
                    self.on_event,
                    *area,
                    priority_first=self._priority_first(channel.name),
                )
                if config.recipients is not None
                else None,
                self.ledger if config.subscribers and not self._drill() else None,
                kind.recipient_kind,
                # A subscriber is placed by the postcode they gave, through the same area and
                # the same rule the preview counts them by.
                None if area[0] is None else subscriber_in_area(area[0]),
            )
        )
        for target in targets:
            if halted():
                outcome.stopped = True
                break
            batch.append(target)
            if len(batch) >= size:
                self.outbox.queue_batch(channel.name, batch, outcome, kind, opted_out, work)
                batch, size = [], min(size * 4, CLAIM_BATCH)
        else:
            self.outbox.queue_batch(channel.name, batch, outcome, kind, opted_out, work)

    def _check_any_valid(
        self, channel: ChannelPlan, kind: type[Adapter], config: Any, outcome: ChannelOutcome
    ) -> None:
        """A list the plan read only the head of, and which had no valid row at all."""
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

    def _priority_first(self, channel: str) -> bool:
        """The list takes longer than the time until the promised update, and marks people
        as priority: they go first (see ``delivery.reach``; the plan said so)."""
        from broadcast.delivery.planner import plan_deliveries

        schedule = next((s for s in plan_deliveries(self.plan) if s.channel == channel), None)
        return bool(schedule is not None and schedule.priority_first)

    def _area_of(
        self, channel: str, config: Any
    ) -> tuple[AreaTarget | None, frozenset[str], frozenset[str]]:
        """The incident's area for this channel; who already has this version's texts (a
        version that changes only the area goes to those newly in); and who, reached before
        and now outside, is told they are out of danger (delivery.area_reach)."""
        area = area_target_for(self.plan.incident, config)
        if area is None or self.ledger is None or self.version_id is None:
            return area, frozenset(), frozenset()
        incident = self.plan.incident
        assert incident is not None
        return (
            area,
            reached_with_same_texts(self.ledger, incident.id, self.version_id, channel),
            told_they_left(self.ledger, incident, self.version_id, channel),
        )

    def _published_already(self, channel: str, config: Any) -> bool:
        """A public channel that says the area in words, whose texts this version repeats
        word for word (only the area's shapes changed), and that carried them already: its
        readers have them (X would refuse the same post twice)."""
        incident = self.plan.incident
        if incident is None or incident.area is None or type(config).CARRIES_AREA:
            return False
        if self.ledger is None or self.version_id is None or self._correcting():
            return False
        return bool(reached_with_same_texts(self.ledger, incident.id, self.version_id, channel))

    def _drill(self) -> bool:
        """A drill (--exercise): never the subscribers, who are the public."""
        return self.plan.incident is not None and bool(self.plan.incident.exercise)

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
        """Everyone an earlier version reached on ``channel`` (a correction's recipients)."""
        assert self.ledger is not None and self.plan.incident is not None
        assert self.version_id is not None
        return earlier_targets(
            self.ledger, self.plan.incident.id, self.version_id, channel, outcome
        )

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
            and delivery_id not in self.outbox.taken
            and not self.ledger.take([delivery_id])
        ):
            with outcome.lock:
                outcome.elsewhere += 1
            return None
        pool = self.pools.get(outcome.name)
        receipt = (
            pool.send(
                self.attempts.send, adapter, message, target, outcome, delivery_id, since, halted
            )
            if pool is not None
            else self.attempts.send(
                adapter, message, target, limiter, outcome, delivery_id, since, halted
            )
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
