"""What a webhook's handler is given once its request passed the checks every webhook shares
(its size, Twilio's signature): the form Twilio posted, and the application's parts (the
configuration, the ledger, the clock, the log)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from broadcast.input.config import Config
    from broadcast.ledger.sqlite import Ledger
    from broadcast.serve.limits import CallLimits, RateLimit
    from broadcast.serve.logs import EventLog


@dataclass
class Served:
    """What every handler shares for the life of the process."""

    config: Config
    ledger: Ledger
    clock: Callable[[], datetime]
    log: EventLog
    inbound: RateLimit  # inbound messages per number
    calls: CallLimits  # the call-in line: per caller, hidden callers, the whole line
    # The ledger's connection is one per process: its calls are made one at a time, each in a
    # worker thread so the event loop keeps answering.
    ledger_lock: threading.Lock = field(default_factory=threading.Lock)
    # The call-in line's language as its last full answer found it (the newest incident's
    # first language): what a caller held back by its limits hears, without a ledger read.
    call_language: str = ""

    def with_ledger(self, work: Callable[[Ledger], Any]) -> Any:
        """Run ``work(ledger)`` holding the ledger (call it from a worker thread)."""
        with self.ledger_lock, self.ledger.lock:
            return work(self.ledger)


@dataclass(frozen=True)
class Webhook:
    """One request from Twilio, signed and within bounds: its path, its form fields."""

    path: str
    form: Mapping[str, str]
    served: Served

    def field(self, name: str) -> str:
        return self.form.get(name, "")
