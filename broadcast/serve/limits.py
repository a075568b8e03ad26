"""The bounds of what serve accepts: the size of a body (read in pieces and refused as soon as
it passes the limit, never read whole first), how many inbound messages one number may send
in a minute (beyond, 429 and nothing recorded: a loop between two automatic responders, or
someone flooding the line, cannot fill the ledger or the team's list of replies), and how many
calls the call-in line answers in full, per caller and over all callers (beyond, a short
spoken "call again later" that reads nothing: see ``CallLimits``)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable

# Twilio's webhooks are a few hundred bytes; 64 KB leaves room for any real one.
MAX_BODY = 64 * 1024
# Inbound messages per number and per minute.
PER_NUMBER = 10
WINDOW_SECONDS = 60.0
# Numbers remembered at most: beyond, the quietest are forgotten (bounded memory under a flood
# of forged numbers, which the signature check already refuses).
MAX_TRACKED = 100_000
# The call-in line, per minute: requests of one number (a call and its menu's key are two),
# as for its messages; of every hidden number together (they cannot be told apart, so they
# share one count, a quarter of the line's, and cannot take it all); of the whole line. Each
# answered in full reads the ledger, holding it while STOPs and receipts wait: beyond these,
# the work and the ledger's share stay bounded whatever the number of callers.
CALLS_PER_NUMBER = PER_NUMBER
CALLS_HIDDEN = 300
CALLS_OVERALL = 1200
# What Twilio sends as ``From`` for a caller who hides or has no number (besides nothing):
# "anonymous", and the placeholders of restricted, blocked and unknown callers.
HIDDEN_CALLERS = frozenset({"+266696687", "+7378742833", "+2562533", "+8656696"})


class TooLarge(Exception):
    """The body passed ``MAX_BODY``."""


async def read_bounded(chunks: AsyncIterator[bytes], limit: int = MAX_BODY) -> bytes:
    """The body, or ``TooLarge`` as soon as the pieces read pass ``limit``."""
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise TooLarge
    return bytes(body)


class RateLimit:
    """At most ``allowed`` events per ``window`` seconds per key (a sliding window)."""

    def __init__(
        self,
        allowed: int = PER_NUMBER,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.allowed = allowed
        self.window = window
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, key: str) -> bool:
        """True, and counted, when ``key`` is under its limit; False (not counted) beyond."""
        now = self.clock()
        with self._lock:
            times = self._seen.get(key)
            if times is None:
                if len(self._seen) >= MAX_TRACKED:
                    self._forget(now)
                times = self._seen[key] = deque()
            while times and now - times[0] >= self.window:
                times.popleft()
            if len(times) >= self.allowed:
                return False
            times.append(now)
            return True

    def would_admit(self, key: str) -> bool:
        """What ``admit`` would answer now, counting nothing."""
        now = self.clock()
        with self._lock:
            times = self._seen.get(key)
            return not times or sum(now - t < self.window for t in times) < self.allowed

    def _forget(self, now: float) -> None:
        for key in [k for k, t in self._seen.items() if not t or now - t[-1] >= self.window]:
            del self._seen[key]
        while len(self._seen) >= MAX_TRACKED:
            del self._seen[next(iter(self._seen))]


class CallLimits:
    """The call-in line's bounds: one count per caller, one for the hidden callers together,
    one for the whole line. A request is answered in full only when every count it falls
    under admits it; a refused request is counted by none (retrying does not lengthen the
    wait), and one refused per caller is not counted against the line."""

    def __init__(
        self,
        per_number: int = CALLS_PER_NUMBER,
        hidden: int = CALLS_HIDDEN,
        overall: int = CALLS_OVERALL,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_caller = RateLimit(per_number, window, clock)
        self.hidden = RateLimit(hidden, window, clock)
        self.overall = RateLimit(overall, window, clock)
        self._lock = threading.Lock()

    def admit(self, caller_key: str | None) -> str | None:
        """None when the request is admitted (and counted); else what held it back:
        ``"caller"`` (this number, or the hidden callers together) or ``"line"``. ``caller_key``
        is the caller's keyed hash, None for a hidden caller."""
        with self._lock:  # the counts move together: a request counted by one is by all
            own = self.hidden if caller_key is None else self.per_caller
            key = caller_key or "hidden"
            if not own.would_admit(key):
                return "caller"
            if not self.overall.admit("line"):
                return "line"
            own.admit(key)
            return None


def hidden_caller(number: str) -> bool:
    """The caller's number is not one (hidden, restricted, blocked, unknown)."""
    number = number.strip()
    return not number.startswith("+") or number in HIDDEN_CALLERS
