"""Fan-out mechanics: the rate limiter's schedule, backoff bounds, the on-disk seen set."""

from __future__ import annotations

import threading
from itertools import pairwise

import pytest

from broadcast.delivery.dispatch import RateLimiter, RetryPolicy
from broadcast.input.recipients import SeenSet


class FakeClock:
    """A clock that only moves when someone sleeps: deterministic schedules, no waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.lock = threading.Lock()
        self.slept: list[float] = []

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.slept.append(seconds)
            self.now += seconds


def test_grants_are_spaced_by_the_rate_never_a_burst() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100.0, clock, clock.sleep)
    grants = [limiter.acquire() for _ in range(250)]
    gaps = [b - a for a, b in pairwise(grants)]
    assert min(gaps) == pytest.approx(0.01)
    # In any one-second window at most 100 grants start (plus the one on its closing edge).
    for start in grants:
        assert sum(start <= g < start + 0.999_999 for g in grants) <= 100


def test_a_two_part_sms_takes_two_slots() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1.0, clock, clock.sleep)
    first = limiter.acquire(2)
    second = limiter.acquire(1)
    assert second - first == pytest.approx(2.0)


def test_threads_share_one_schedule() -> None:
    clock = FakeClock()
    limiter = RateLimiter(50.0, clock, clock.sleep)
    grants: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(40):
            slot = limiter.acquire()
            with lock:
                grants.append(slot)

    threads = [threading.Thread(target=take) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    grants.sort()
    assert len(grants) == 200
    assert min(b - a for a, b in pairwise(grants)) == pytest.approx(0.02)


def test_hold_until_pushes_everyone_back() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10.0, clock, clock.sleep)
    limiter.acquire()
    limiter.hold_until(clock() + 7.0)
    assert limiter.acquire() == pytest.approx(1007.0)


def test_unlimited_rate_never_sleeps() -> None:
    clock = FakeClock()
    limiter = RateLimiter(None, clock, clock.sleep)
    for _ in range(1000):
        limiter.acquire()
    assert clock.slept == []


def test_backoff_grows_and_stays_bounded() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    for attempt, ceiling in ((1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (9, 8.0)):
        delays = [policy.backoff(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > 0  # jitter: workers do not retry in lockstep


def test_seen_set_says_first_time_only() -> None:
    with SeenSet() as seen:
        assert seen.add("+33612345678") is True
        assert seen.add("a@example.com") is True
        assert seen.add("+33612345678") is False
        assert all(seen.add(f"+337000{i:05d}") for i in range(20_000))
        assert seen.add("+33700000007") is False


def test_departures_are_spaced_again_after_a_slow_step() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10.0, clock, clock.sleep)
    first = limiter.acquire()
    second = limiter.acquire()
    assert second - first == pytest.approx(0.1)
    # The first request is held up 0.25 s between its slot and its departure (a slow write):
    clock.now = first + 0.25
    gone = limiter.depart()
    # ...the second, whose slot has passed, still leaves a full interval after it.
    assert limiter.depart() - gone == pytest.approx(0.1)


def test_headroom_paces_a_little_under_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100.0, clock, clock.sleep, headroom=0.98)
    grants = [limiter.acquire() for _ in range(99)]
    assert grants[-1] - grants[0] == pytest.approx(98 / 98.0)
