"""The serve process's log: one JSON line per event on standard error, for journald or a
container's log collector. No personal data ever: a number is shown as its last four digits
(``…5678``), a message's text never, a signature never, the auth token never."""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime
from typing import IO, Any


def masked(number: str) -> str:
    """``+33612345678`` → ``…5678``: enough to tell two lines apart, not to call anyone."""
    number = number.strip()
    return "…" + number[-4:] if len(number) > 4 else "…"


class EventLog:
    """Writes ``{"at": ..., "event": ..., ...}`` lines; thread-safe."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self._lock = threading.Lock()

    def __call__(self, event: str, **fields: Any) -> None:
        line = json.dumps(
            {"at": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event, **fields},
            ensure_ascii=False,
            default=str,
        )
        with self._lock:
            try:
                self.stream.write(line + "\n")
                self.stream.flush()
            except (OSError, ValueError):
                pass  # a closed log never stops an answer to Twilio
