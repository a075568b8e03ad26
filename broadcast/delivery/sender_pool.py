"""A channel's pool of senders at send time: which sender each delivery goes from, each
sender paced at its own rate, and the senders the provider refused left out for the run.

* Each sender has its own limiter (``rate``): on one host, a one-second window of its own
  requests (``SenderLimiter``); on a ledger shared by hosts, the same window kept in the
  ledger for every host, a few parts at a time (``SharedSenderLimiter``), so no sender exceeds
  its rate whatever the hosts and their lateness. The pool as a whole runs at the sum.
* A recipient keeps the sender that first reached them on this channel (people reply to the
  number they know; carriers dislike a number hopping), while it is in the pool; a delivery
  keeps the sender recorded at its first attempt (its lookup asks from it).
* Others are spread over the senders in proportion to their rates (smooth weighted
  round-robin), skipping those whose ``max_per_day`` the message's parts would pass: the
  limit counts message parts, as Twilio counts a sender's messages (a 3-part SMS uses 3).
* A refusal naming the sender (``SENDER_REFUSALS``) takes it out of the pool for the run and
  the recipient is tried through another; the run names it (masked) and exits 1.
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
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
    Sleep,
)
from broadcast.ledger.faults import LedgerFault
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


# On a ledger shared by hosts, a host asks the ledger for a few of a sender's parts at a time
# (a grant): this many seconds of the sender's rate, at least one message. A grant counts in
# the sender's window from when it is given until a second after the answer to its last
# request, so a small one loses little (its own span: ~40 ms of every second) while one round
# trip serves a few messages.
GRANT_SECONDS = 0.04


class SharedSenderLimiter(SenderLimiter):
    """A sender's rate kept by every host sharing the ledger, in the sender's one-second
    window as the provider counts it, never exceeded whatever the hosts' lateness.

    ``SenderLimiter``'s rule, lifted to the hosts: a request leaves only within a grant of
    parts from the ledger (``Leases.grant_parts``), given only while the parts of every host's
    grants not yet answered, or answered less than a second ago, and its own are within the
    rate. Spacing slots at a share of the rate (the earlier way) held only while no host's
    request reached the provider later than the spare share allowed: on a loaded machine one
    did, and a second held one part too many (a 429). Here lateness costs time, never the
    rate. Departures are still spaced at the rate on each host (``acquire``)."""

    def __init__(self, ledger: Ledger, row: str, rate: float, clock: Clock, sleep: Sleep) -> None:
        super().__init__(rate, clock, sleep)
        self.ledger = ledger
        self.row = row
        self.grant_size = max(1, round(rate * GRANT_SECONDS))
        # The grant being used: its id and parts left; each grant's requests in flight, and
        # the moment of the last answer to each; finished grants not yet reported.
        self._grant: int | None = None
        self._left = 0
        self._flying: Counter[int] = Counter()
        self._last_answer: dict[int, float] = {}
        self._finished: list[int] = []
        self._mine: dict[int, int] = {}  # thread → the grant its request departed in
        self._granting = threading.Lock()

    def acquire(self, tokens: int = 1) -> float:
        return self._paced("next_slot", tokens)

    def depart(self, tokens: int = 1) -> float:
        self._paced("next_departure", tokens)
        with self._granting:
            while self._left < tokens:
                self._close_grant()
                report = self._reports()
                grant, wait = self.ledger.grant_parts(
                    self.row, max(tokens, self.grant_size), self.rate, report
                )
                if grant is not None:
                    with self.lock:
                        self._grant, self._left = grant, max(tokens, self.grant_size)
                    break
                # The window is full across the hosts: wait for its first part to leave it.
                if self.sleep(max(WINDOW_POLL, min(wait, 1.0))):
                    time.sleep(WINDOW_POLL)  # stopping: the send's sleep no longer waits
            with self.lock:
                assert self._grant is not None
                self._left -= tokens
                self._flying[self._grant] += 1
                self._mine[threading.get_ident()] = self._grant
            return self.clock()

    def answered(self) -> None:
        with self.lock:
            grant = self._mine.pop(threading.get_ident(), None)
            if grant is None:
                return
            self._flying[grant] -= 1
            self._last_answer[grant] = self.clock()
            self._finish(grant)
            waiting = bool(self._finished)
        # Reported at once unless a worker is asking for a grant (it reports them): until
        # then they count in the window as not answered, for every host.
        if waiting and self._granting.acquire(blocking=False):
            try:
                self._report()
            finally:
                self._granting.release()

    def _finish(self, grant: int) -> None:
        """(Under ``self.lock``.) A grant is done when none of its requests is out and it
        takes no more: not the one in use, or the one in use with no part left."""
        if self._flying[grant] > 0 or (grant == self._grant and self._left > 0):
            return
        del self._flying[grant]
        self._finished.append(grant)
        if grant == self._grant:
            self._grant = None

    def _close_grant(self) -> None:
        """The grant in use takes no more requests (what is left of it is given up)."""
        with self.lock:
            grant, self._left = self._grant, 0
            if grant is not None:
                self._finish(grant)
            self._grant = None

    def _reports(self) -> list[tuple[int, float]]:
        """The finished grants to report: ``(id, seconds since their last answer)``, the
        moment taken before the statement (so never earlier than the answer was)."""
        with self.lock:
            finished, self._finished = self._finished, []
            now = self.clock()
            return [(g, max(0.0, now - self._last_answer.pop(g, now))) for g in finished]

    def _report(self) -> None:
        """(Holding ``_granting``.) The finished grants told to the ledger; on a fault they
        wait for the next grant (or count until this run's lease ends)."""
        reports = self._reports()
        if not reports:
            return
        try:
            self.ledger.report_grants(reports)
        except (sqlite3.Error, LedgerFault):
            with self.lock:
                self._finished.extend(g for g, _ in reports)

    def close(self) -> None:
        """The send is over on this host: what is left of the grant in use is given up and
        every finished grant reported, so the other hosts have the window at once."""
        with self._granting:
            self._close_grant()
            self._report()

    def hold_until(self, moment: float) -> None:
        super().hold_until(moment)
        self.ledger.hold_grants(self.row, self.rate, max(0.0, moment - self.clock()))


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
                SharedSenderLimiter(
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

    def close(self) -> None:
        """The send is over: each sender's limiter lets go of what it holds on a shared
        ledger (``SharedSenderLimiter.close``)."""
        for limiter in self.limiters.values():
            if isinstance(limiter, SharedSenderLimiter):
                limiter.close()

    def live(self, key: str | None, parts: int = 1) -> bool:
        """``key`` is a sender of the pool, not refused, and ``parts`` more stay within its
        day's limit (in message parts)."""
        sender = self.senders.get(key or "")
        if sender is None or sender.key in self.masked:
            return False
        return sender.max_per_day is None or self.used[sender.key] + parts <= sender.max_per_day

    def choose(
        self,
        *preferred: str | None,
        parts: int = 1,
        stand_in_for: str | None = None,
        tried: set[str] | frozenset[str] = frozenset(),
    ) -> Sender | None:
        """For a message of ``parts`` parts: the first of ``preferred`` still live, else
        another not ``tried``: for a recipient whose sender departed (``stand_in_for``: their
        address), their stand-in (``stand_in``); for anyone else the next by weighted
        round-robin. None when no sender is left."""
        with self.lock:
            for key in preferred:
                if key is not None and key not in tried and self.live(key, parts):
                    self.used[key] += parts
                    return self.senders[key]
            live = [key for key in self.senders if key not in tried and self.live(key, parts)]
            if not live:
                return None
            if stand_in_for is not None:
                chosen = stand_in(stand_in_for, [self.senders[key] for key in live])
                self.used[chosen.key] += parts
                return chosen
            total = sum(self.senders[key].per_second for key in live)
            for key in live:
                self._weights[key] += self.senders[key].per_second
            best = max(live, key=lambda key: self._weights[key])
            self._weights[best] -= total
            self.used[best] += parts
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
        parts = adapter.cost(message, target)
        while True:
            # A recipient whose sender departed (refused, no longer listed, at its day's
            # limit) gets their stand-in, so that sender's share moves to the others in
            # proportion to their rates, and stays put from one message to the next.
            departed = bool(tried) or own is not None or first is not None
            sender = forced or self.choose(
                own,
                first,
                parts=parts,
                stand_in_for=target.address if departed else None,
                tried=tried,
            )
            forced = None
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


def stand_in(address: str, senders: list[Sender]) -> Sender:
    """The sender that stands in for ``address``'s departed one: by weighted rendezvous
    hashing, each sender's chance in proportion to its rate, so a departed sender's share
    spreads over the others as their rates do (not all onto one), and the same recipient gets
    the same stand-in on every host and for every later message while the pool stays the
    same (people reply to the number they know; carriers dislike a number hopping)."""

    def score(sender: Sender) -> float:
        digest = hashlib.blake2b(f"{sender.key}\0{address}".encode(), digest_size=8).digest()
        uniform = (int.from_bytes(digest, "big") + 0.5) / 2**64  # in (0, 1)
        return -sender.per_second / math.log(uniform)

    return max(senders, key=score)


def follow_up_sender(
    ledger: Ledger, config: Any, channel: str, delivery_id: int, address: str, adapter: Adapter
) -> None:
    """For a call placed again or a fallback (``delivery.fallback``, outside a send's pool):
    the sender the delivery went from, else the one that first reached the recipient, else
    the recipient's stand-in (``stand_in``: a departed sender's share spread by rate, not all
    onto the pool's first); recorded on the delivery. Nothing for a channel without
    ``senders``."""
    senders = getattr(config, "senders", None)
    if not senders:
        return
    by_key = {sender.key: sender for sender in senders}
    with ledger.lock:
        own, first = ledger.senders_of(delivery_id, channel, address)
        chosen = by_key.get(own or "") or by_key.get(first or "") or stand_in(address, senders)
        if chosen.key != own:
            ledger.record_sender(delivery_id, chosen.key)
    adapter.sender = chosen  # type: ignore[attr-defined]
