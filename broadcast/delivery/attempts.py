"""One delivery until the provider takes it or refuses it for good: its retries, and the
lookups of what may have gone out.

Only a refusal that proves the request was not acted on is retried as it is; an answer that
is not a clear refusal is "maybe sent": looked up at the provider (since the attempt began)
before anything is sent again where it can say, held ``uncertain`` where it cannot.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from broadcast.channels import wire
from broadcast.channels.base import (
    Adapter,
    DeliveryError,
    LookupUndecided,
    Outgoing,
    Receipt,
    Target,
)
from broadcast.delivery.outcome import ChannelOutcome, Event
from broadcast.delivery.rate import Clock, RateLimiter, RetryPolicy, Sleep
from broadcast.input.config import Config
from broadcast.input.contact_masks import mask_contacts, mask_name
from broadcast.input.recipients import mask_address
from broadcast.ledger.sqlite import FAILED_TRANSIENT, UNCERTAIN, Ledger

# How far back to look up an uncertain delivery whose attempt has no recorded start.
LOOKUP_WITHOUT_START = timedelta(hours=24)
# What a lookup answers when the delivery did not go out (see ``DeliveryAttempts._look_up``):
# a receipt of its own, known by identity, never recorded.
ABSENT = Receipt(Target("", "not found"), ok=False)


@dataclass
class DeliveryAttempts:
    """How a send makes one delivery: its attempts, the waits between them, and the lookups of
    what may have gone out, with the send's retry policy, ledger and stop."""

    policy: RetryPolicy
    ledger: Ledger | None
    config: Config
    stop: threading.Event
    on_event: Callable[[Event], None]
    clock: Clock
    sleep: Sleep
    # Records an outcome in the ledger, unless the send was abandoned meanwhile.
    mark: Callable[..., None]

    def send(
        self,
        adapter: Adapter,
        message: Outgoing,
        target: Target,
        limiter: RateLimiter,
        outcome: ChannelOutcome,
        delivery_id: int | None,
        since: datetime | None,
        halted: Callable[[], bool],
        sender: str | None = None,
    ) -> Receipt | None:
        """Send ``message`` to ``target`` until the provider takes it or refuses it for good.

        Only an answer that proves the provider did not act on the request (``NOT_TAKEN``:
        a 4xx, a connection never opened) is retried as it is. A ``MAYBE_SENT`` one is looked
        up (``since`` the attempt began) before anything is sent again, on a channel that can
        look; on one that cannot, it is held as uncertain: re-sent only with
        ``--resend-uncertain``.

        ``sender``: the pool's sender it goes from, recorded with each attempt's start.
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
                looked = self._look_up_before_resend(
                    adapter, message, target, since, answered, outcome, halted, attempt
                )
                if looked is not ABSENT:
                    return looked  # found, still uncertain, or stopped (the ledger says so)
                since = None
                looked_up = True
            limiter.acquire(cost)
            if attempt == 1 and halted():
                # Stopped (Ctrl-C, a newer version, the channel refused) while waiting for a
                # slot: nothing left, so nothing to record.
                return None
            if not self._claim(delivery_id, outcome, sender, cost):
                return None
            started = datetime.now(UTC)
            try:
                provider_id = self._deliver(adapter, message, target, limiter, cost)
            except DeliveryError as error:
                after = self._after_refusal(
                    error,
                    adapter,
                    target,
                    attempt,
                    started,
                    answered,
                    delivery_id,
                    limiter,
                    outcome,
                    halted,
                )
                if isinstance(after, Receipt):
                    return after
                since, answered = after  # another attempt, looked up first if ``since``
            except Exception as error:  # a bug in an adapter must not take the others down
                return _broken_attempt(error, adapter, target, attempt)
            else:
                if looked_up:
                    with outcome.lock:
                        outcome.resent += 1
                return Receipt(target, ok=True, provider_id=provider_id, attempts=attempt)

    @staticmethod
    def _deliver(
        adapter: Adapter, message: Outgoing, target: Target, limiter: RateLimiter, cost: int
    ) -> str:
        """``adapter.deliver``, its request counted by ``limiter`` from its departure to its
        answer: as its bytes leave and its status line comes back when the adapter's HTTP
        client tells those moments (``channels.wire``), else around the whole call."""
        if not adapter.gates_requests:
            limiter.depart(cost)
            try:
                return adapter.deliver(message, target)
            finally:
                limiter.answered()
        with wire.gated(wire.Gate(lambda: limiter.depart(cost), limiter.answered)):
            return adapter.deliver(message, target)

    def _look_up_before_resend(
        self,
        adapter: Adapter,
        message: Outgoing,
        target: Target,
        since: datetime,
        answered: bool,
        outcome: ChannelOutcome,
        halted: Callable[[], bool],
        attempt: int,
    ) -> Receipt | None:
        """The lookup of the attempt begun at ``since``, once its absence can be proved
        (``_look_up``); None when stopped before the first attempt of this run."""
        if attempt == 1 and halted():
            return None
        settled = since + timedelta(seconds=adapter.settle_seconds(answered))
        return self._look_up(adapter, message, target, since, settled, outcome, halted, attempt)

    def _claim(
        self,
        delivery_id: int | None,
        outcome: ChannelOutcome,
        sender: str | None = None,
        parts: int = 1,
    ) -> bool:
        """Mark the delivery as being sent (from ``sender``, a pool's, counting ``parts``
        against its day), in the ledger if any; False when another host took it meanwhile
        (it is theirs to send)."""
        if (
            self.ledger is not None
            and delivery_id is not None
            # From here until the outcome is written, a kill leaves it "uncertain".
            and not self.ledger.mark_sending(delivery_id, sender, parts)
        ):
            with outcome.lock:
                outcome.elsewhere += 1  # another host took it meanwhile: its to send
            return False
        return True

    def _after_refusal(
        self,
        error: DeliveryError,
        adapter: Adapter,
        target: Target,
        attempt: int,
        started: datetime,
        answered: bool,
        delivery_id: int | None,
        limiter: RateLimiter,
        outcome: ChannelOutcome,
        halted: Callable[[], bool],
    ) -> Receipt | tuple[datetime | None, bool]:
        """What the provider's refusal of an attempt leaves: the delivery's last receipt; or,
        after the wait before the next attempt, since when to look that one up first (a
        "maybe sent" answer) and whether the provider answered it."""
        # Providers quote the recipient in their refusals ("550 <camille@...>:
        # rejected"); the summary, the log and the ledger get the masked form only.
        said = (
            without_contact(error.message, target)
            if adapter.recipient_kind is not None
            else error.message
        )
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
            return self._after_maybe_sent(
                error,
                adapter,
                target,
                said,
                attempt,
                started,
                delivery_id,
                limiter,
                outcome,
                halted,
            )
        return self._after_no(
            error, said, target, attempt, answered, delivery_id, limiter, outcome, halted
        )

    def _after_maybe_sent(
        self,
        error: DeliveryError,
        adapter: Adapter,
        target: Target,
        said: str,
        attempt: int,
        started: datetime,
        delivery_id: int | None,
        limiter: RateLimiter,
        outcome: ChannelOutcome,
        halted: Callable[[], bool],
    ) -> Receipt | tuple[datetime | None, bool]:
        """A "maybe sent" answer: held as uncertain, or (on a channel that can look, with
        attempts left) marked uncertain and, after the wait, looked up from ``started``."""
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
        if not adapter.can_look_up or attempt >= self.policy.max_attempts or self.stop.is_set():
            return held
        # Until the lookup says, a kill must leave it to be looked up.
        self._hold_for_retry(UNCERTAIN, error, said, attempt, delivery_id, limiter, outcome)
        if halted():
            return held
        return started, error.answered

    def _after_no(
        self,
        error: DeliveryError,
        said: str,
        target: Target,
        attempt: int,
        answered: bool,
        delivery_id: int | None,
        limiter: RateLimiter,
        outcome: ChannelOutcome,
        halted: Callable[[], bool],
    ) -> Receipt | tuple[datetime | None, bool]:
        """A clear refusal: the delivery's failure, or (transient, with attempts left and a
        wait not too long) marked failed-transient and, after the wait, sent again."""
        too_long = (error.retry_after or 0) > self.policy.max_retry_after
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
        # The provider said no: known not delivered, safe to send again.
        self._hold_for_retry(FAILED_TRANSIENT, error, said, attempt, delivery_id, limiter, outcome)
        if halted():
            # Stopped while waiting to retry: it stays a transient failure, for later.
            return failure
        return None, answered

    def _hold_for_retry(
        self,
        state: str,
        error: DeliveryError,
        said: str,
        attempt: int,
        delivery_id: int | None,
        limiter: RateLimiter,
        outcome: ChannelOutcome,
    ) -> None:
        """Before another attempt: the delivery marked ``state`` in the ledger (what a kill
        during the wait leaves it as), the retry told, then the wait."""
        if self.ledger is not None and delivery_id is not None:
            self.mark(delivery_id, state, None, error.code, said)
        self.on_event(Event(outcome.name, "retry"))
        self._wait_to_retry(error, attempt, limiter)

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
        meanwhile (the ledger keeps it uncertain for the next run); ``ABSENT``: it did not go
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
                return ABSENT
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


def without_contact(text: str, target: Target) -> str:
    """``text`` with the target's address (as written or without its +) and name masked."""
    forms = {target.address: mask_address(target.address)}
    if target.address.startswith("+"):
        forms[target.address[1:]] = mask_address(target.address)
    if len(target.name) > 2:
        forms[target.name] = mask_name(target.name)
    for form in sorted(forms, key=len, reverse=True):
        text = re.sub(re.escape(form), forms[form], text, flags=re.IGNORECASE)
    return text


def _broken_attempt(error: Exception, adapter: Adapter, target: Target, attempt: int) -> Receipt:
    """An adapter's own failure (a bug, not the provider's answer): whether the request had
    left when it broke is unknown, so it is maybe sent."""
    said = mask_contacts(f"{type(error).__name__}: {error}")
    return Receipt(
        target,
        ok=False,
        error_code="internal",
        error=without_contact(said, target) if adapter.recipient_kind is not None else said,
        attempts=attempt,
        uncertain=True,
    )
