"""Pacing: a channel's rate limit, kept by one host or shared by the hosts of a ledger, and
the backoff between retries.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from broadcast.ledger.sqlite import Ledger

Clock = Callable[[], float]
Sleep = Callable[[float], object]


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

    def answered(self) -> None:
        """The request that last departed on this thread has its answer (or failed)."""


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
