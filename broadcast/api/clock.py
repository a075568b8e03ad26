"""The one clock every operation reads: ``BROADCAST_NOW`` pins it."""

import os
from datetime import UTC, datetime

from broadcast.problems import InputError, Problem


def clock() -> datetime:
    """The clock; ``BROADCAST_NOW`` pins it (tests, replays, reproducible previews)."""
    pinned = os.environ.get("BROADCAST_NOW")
    if pinned:
        try:
            moment = datetime.fromisoformat(pinned)
        except ValueError:
            raise InputError(
                [Problem(f"BROADCAST_NOW='{pinned}' is not an ISO date and time")]
            ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)
