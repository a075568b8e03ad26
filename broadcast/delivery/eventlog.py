"""One JSON line per event, for cron: ``--log-file`` or ``BROADCAST_LOG``.

Only what an operator needs to follow a run is written: incident, decision, each delivery's
channel, state, error code and a recipient hint (last four digits or the domain). Never an
address in full, never a credential.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LOG_ENV = "BROADCAST_LOG"


class EventLog:
    """Appends JSON lines to a file; a no-op without one."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.handle = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.handle = path.open("a", encoding="utf-8")

    @classmethod
    def from_option(cls, option: Path | None) -> EventLog:
        chosen = option or (Path(os.environ[LOG_ENV]) if os.environ.get(LOG_ENV) else None)
        return cls(chosen)

    def write(self, event: str, **fields: Any) -> None:
        if self.handle is None:
            return
        record = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event}
        record.update({k: v for k, v in fields.items() if v is not None})
        line = json.dumps(record, ensure_ascii=False, default=str)
        with self.lock:
            self.handle.write(line + "\n")
            self.handle.flush()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None
