"""Pacing: a channel's rate limit on one host, and the backoff between retries (hosts sharing
a ledger keep a rate together with ``delivery.sender_pool.SharedSenderLimiter``).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

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
