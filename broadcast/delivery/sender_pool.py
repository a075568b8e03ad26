"""A channel's pool of senders at send time: which sender each delivery goes from, each
sender paced at its own rate, and the senders the provider refused left out for the run.

* Each sender has its own limiter (``rate``): on a shared ledger its slots are reserved there
  (one row per channel and sender), so no sender exceeds its rate whatever the hosts; on one
  host, locally. The pool as a whole runs at the sum.
* A recipient keeps the sender that first reached them on this channel (people reply to the
  number they know; carriers dislike a number hopping), while it is in the pool; a delivery
  keeps the sender recorded at its first attempt (its lookup asks from it).
* Others are spread over the senders in proportion to their rates (smooth weighted
  round-robin), skipping those at their ``max_per_day``.
* A refusal naming the sender (``SENDER_REFUSALS``) takes it out of the pool for the run and
  the recipient is tried through another; the run names it (masked) and exits 1.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from broadcast.channels.base import Adapter, Outgoing, Receipt, Target
from broadcast.channels.senders import PAIR_REFUSALS, PAIR_STRIKES, SENDER_REFUSALS, Sender
from broadcast.delivery.outcome import ChannelOutcome
from broadcast.delivery.rate import (
    Clock,
    RateLimiter,
    SharedRateLimiter,
    Sleep,
)
from broadcast.ledger.sqlite import Ledger
from broadcast.problems import Problem

# A sender's departures are spaced at its rate: the window below, not a margin, keeps it
# under the rate (measured: 98 % spacing alone cost 2 % of the pool)...
SENDER_HEADROOM = 1.0
# ...and a schedule fallen behind (a worker that got the CPU late) catches up by at most this
# much, a few requests at once, instead of losing the time: the window still bounds them.
CATCH_UP = 0.05
# ...and while its window is full, a departure waits at most this long before looking again.
WINDOW_POLL = 0.005


class SenderLimiter(RateLimiter):
    """A sender's rate, never exceeded in any one-second window as the provider counts it.

    The provider counts a request when it arrives: some moment between its departure and its
    answer, which no client can know (a busy machine delays one request and not the next).
    So a request leaves only when the parts of every request whose answer came back less than
    a second ago, or is not back yet, and its own are within the rate: whatever window the
    provider counts in, the requests that fall in it are all among those (the latest of them
    left after the others, each of which was answered later than a second before that
    departure). Evenly spaced departures (``RateLimiter``) keep the window from filling in the
    steady state; the window is the guarantee when a request is late.
    """

    def __init__(self, rate: float, clock: Clock, sleep: Sleep) -> None:
        super().__init__(rate, clock, sleep, SENDER_HEADROOM)
        self.rate = rate
        # Parts of requests answered, with their answer's moment, and of those in flight.
        self._recent: deque[tuple[float, int]] = deque()
        self._in_flight: dict[int, int] = {}
        # Their sums, kept as they change: a departure reads them, not the whole window (a
        # second's answers, hundreds at a high rate, summed by every departure was a loop
        # per message that grew with the rate).
        self._recent_parts = 0
        self._flying_parts = 0

    def acquire(self, tokens: int = 1) -> float:
        return self._paced("next_slot", tokens)

    def _paced(self, schedule: str, tokens: int) -> float:
        """The next turn on ``schedule``, evenly spaced at the rate; a schedule behind the
        clock by up to ``CATCH_UP`` is kept (its turns go at once) rather than restarted from
        now, which would lose every late worker's lateness for good."""
        with self.lock:
            now = self.clock()
            go = max(getattr(self, schedule), now - CATCH_UP)
            setattr(self, schedule, go + self.interval * tokens)
        if go > now:
            self.sleep(go - now)
        return max(go, now)

    def depart(self, tokens: int = 1) -> float:
        self._paced("next_departure", tokens)
        me = threading.get_ident()
        while True:
            with self.lock:
                now = self.clock()
                while self._recent and self._recent[0][0] <= now - 1.0:
                    self._recent_parts -= self._recent.popleft()[1]
                used = self._recent_parts + self._flying_parts
                if used == 0 or used + tokens <= self.rate:
                    self._flying_parts += tokens - self._in_flight.get(me, 0)
                    self._in_flight[me] = tokens
                    return now
                wait = self._recent[0][0] + 1.0 - now if self._recent else WINDOW_POLL
            if self.sleep(max(WINDOW_POLL, min(wait, 1.0))):
                time.sleep(WINDOW_POLL)  # stopping: the send's sleep no longer waits

    def answered(self) -> None:
        with self.lock:
            tokens = self._in_flight.pop(threading.get_ident(), None)
            if tokens is not None:
                self._flying_parts -= tokens
                self._recent.append((self.clock(), tokens))
                self._recent_parts += tokens


class SenderPool:
    """The senders of one channel for one send; safe to share between its workers."""

    def __init__(
        self,
        channel: str,
        senders: list[Sender],
        ledger: Ledger | None,
        clock: Clock,
        sleep: Sleep,
    ) -> None:
        self.channel = channel
        self.senders = {sender.key: sender for sender in senders}
        self.ledger = ledger
        shared = ledger is not None and ledger.shared
        self.limiters: dict[str, RateLimiter] = {
            sender.key: (
                SharedRateLimiter(
                    ledger, f"{channel} {sender.key}", sender.per_second, clock, sleep
                )
                if shared and ledger is not None
                else SenderLimiter(sender.per_second, clock, sleep)
            )
            for sender in senders
        }
        # Refused senders (key → why), out of the pool until the run ends.
        self.masked: dict[str, str] = {}
        self.strikes: Counter[str] = Counter()
        self.used = (
            ledger.sent_by_sender(channel, datetime.now(UTC) - timedelta(days=1))
            if ledger is not None
            else Counter()
        )
        self._weights = dict.fromkeys(self.senders, 0.0)
        self.lock = threading.Lock()

    def live(self, key: str | None) -> bool:
        """``key`` is a sender of the pool, not refused, and under its day's limit."""
        sender = self.senders.get(key or "")
        if sender is None or sender.key in self.masked:
            return False
        return sender.max_per_day is None or self.used[sender.key] < sender.max_per_day

    def choose(self, *preferred: str | None) -> Sender | None:
        """The first of ``preferred`` still live, else the next by weighted round-robin;
        None when no sender is left."""
        with self.lock:
            for key in preferred:
                if key is not None and self.live(key):
                    self.used[key] += 1
                    return self.senders[key]
            live = [key for key in self.senders if self.live(key)]
            if not live:
                return None
            total = sum(self.senders[key].per_second for key in live)
            for key in live:
                self._weights[key] += self.senders[key].per_second
            best = max(live, key=lambda key: self._weights[key])
            self._weights[best] -= total
            self.used[best] += 1
            return self.senders[best]

    def refused(self, sender: Sender, receipt: Receipt, outcome: ChannelOutcome) -> bool:
        """Whether ``receipt`` refused the sender (a ``SENDER_REFUSALS`` code: then it is out
        of the pool, said once on the channel's outcome) or the pair of sender and recipient
        (``PAIR_REFUSALS``): either way the recipient is to be tried through another."""
        code = receipt.error_code or ""
        if code in PAIR_REFUSALS:
            return True  # struck only if another sender then reaches them (``_struck``)
        if code not in SENDER_REFUSALS:
            return False
        self._mask(sender, receipt, outcome)
        return True

    def _struck(self, refusals: list[tuple[Sender, Receipt]], outcome: ChannelOutcome) -> None:
        """Another sender reached a recipient these refused as unreachable from them: the
        refusal was the sender's; one refused so for ``PAIR_STRIKES`` people leaves."""
        for sender, receipt in refusals:
            with self.lock:
                self.strikes[sender.key] += 1
                struck_out = self.strikes[sender.key] >= PAIR_STRIKES
            if struck_out:
                self._mask(sender, receipt, outcome)

    def _mask(self, sender: Sender, receipt: Receipt, outcome: ChannelOutcome) -> None:
        code = receipt.error_code or ""
        with self.lock:
            if sender.key in self.masked:
                return
            self.masked[sender.key] = f"{code}: {receipt.error}"
        with outcome.lock:
            outcome.problems.append(
                Problem(
                    f"sender {sender.masked} was refused by the provider ({code}: "
                    f"{receipt.error}) and left the pool for this run; its share went to the "
                    "other senders. Fix or remove it in channels.yaml",
                    channel=self.channel,
                    field="senders",
                )
            )

    def send(
        self,
        attempt: Callable[..., Receipt | None],
        adapter: Adapter,
        message: Outgoing,
        target: Target,
        outcome: ChannelOutcome,
        delivery_id: int | None,
        since: datetime | None,
        halted: Callable[[], bool],
    ) -> Receipt | None:
        """One delivery through the pool: ``attempt(adapter, message, target, limiter, ...)``
        from the chosen sender, through another if that one is refused."""
        own = first = None
        if self.ledger is not None and delivery_id is not None:
            with self.ledger.lock:
                own, first = self.ledger.senders_of(delivery_id, self.channel, target.address)
        if since is not None and own is not None and own not in self.senders:
            # It may have gone out from a sender no longer listed: only that sender could look
            # it up, and sending from another could send it twice.
            return Receipt(
                target,
                ok=False,
                error_code="uncertain",
                error="maybe sent from a sender no longer in the pool; held uncertain",
                uncertain=True,
            )
        tried: set[str] = set()
        last: Receipt | None = None
        pair_refusals: list[tuple[Sender, Receipt]] = []
        # What may have gone out is looked up from the sender it went from, even one refused
        # or at its day's limit since: another sender's list would not show it.
        forced = self.senders[own] if since is not None and own is not None else None
        while True:
            sender = forced or self.choose(*(k for k in (own, first) if k not in tried))
            forced = None
            if sender is None or sender.key in tried:
                sender = self._another(tried)
            if sender is None and last is not None:
                return last  # no other sender to try: the refusal stands
            if sender is None:
                return Receipt(
                    target,
                    ok=False,
                    error_code="no-sender",
                    error="every sender of the pool was refused or is at its day's limit",
                )
            tried.add(sender.key)
            adapter.sender = sender  # type: ignore[attr-defined]
            # The sender is written with the attempt's "sending" mark (one transaction before
            # the request, not two), so it is on the delivery before the provider is asked,
            # for a lookup of a lost answer; an attempt stopped before that sent nothing.
            receipt = attempt(
                adapter,
                message,
                target,
                self.limiters[sender.key],
                outcome,
                delivery_id,
                since,
                halted,
                sender=sender.key,
            )
            own = sender.key
            if receipt is not None and receipt.ok and pair_refusals:
                self._struck(pair_refusals, outcome)
            if receipt is None or receipt.ok or not self.refused(sender, receipt, outcome):
                return receipt
            if receipt.error_code in PAIR_REFUSALS:
                pair_refusals.append((sender, receipt))
            last = receipt
            since = None  # a clear refusal: nothing went out from it
            if halted():
                return receipt

    def _another(self, tried: set[str]) -> Sender | None:
        """A live sender not tried yet for this delivery."""
        for _ in range(len(self.senders)):
            sender = self.choose()
            if sender is None:
                return None
            if sender.key not in tried:
                return sender
        return None


def follow_up_sender(
    ledger: Ledger, config: Any, channel: str, delivery_id: int, address: str, adapter: Adapter
) -> None:
    """For a call placed again or a fallback (``delivery.fallback``, outside a send's pool):
    the sender the delivery went from, else the one that first reached the recipient, else
    the pool's first; recorded on the delivery. Nothing for a channel without ``senders``."""
    senders = getattr(config, "senders", None)
    if not senders:
        return
    by_key = {sender.key: sender for sender in senders}
    with ledger.lock:
        own, first = ledger.senders_of(delivery_id, channel, address)
        chosen = by_key.get(own or "") or by_key.get(first or "") or senders[0]
        if chosen.key != own:
            ledger.record_sender(delivery_id, chosen.key)
    adapter.sender = chosen  # type: ignore[attr-defined]
