"""The bounds of what serve accepts: the size of a body (read in pieces and refused as soon as
it passes the limit, never read whole first), and how many inbound messages one number may send
in a minute (beyond, 429 and nothing recorded: a loop between two automatic responders, or
someone flooding the line, cannot fill the ledger or the team's list of replies)."""

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

    def _forget(self, now: float) -> None:
        for key in [k for k, t in self._seen.items() if not t or now - t[-1] >= self.window]:
            del self._seen[key]
        while len(self._seen) >= MAX_TRACKED:
            del self._seen[next(iter(self._seen))]
