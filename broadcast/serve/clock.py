"""The serve process's clock: real time, or with ``BROADCAST_NOW`` (tests, rehearsals) a clock
that starts there and moves with real time, as a send's does, so that a reply's time after the
message it answers adds up."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from broadcast.problems import InputError, Problem


def serve_clock(environ: Mapping[str, str]) -> Callable[[], datetime]:
    pinned = environ.get("BROADCAST_NOW")
    if not pinned:
        return lambda: datetime.now(UTC)
    try:
        start = datetime.fromisoformat(pinned)
    except ValueError:
        raise InputError(
            [Problem(f"BROADCAST_NOW='{pinned}' is not an ISO date and time")]
        ) from None
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)
