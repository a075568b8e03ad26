"""The moments a provider request leaves and its answer comes back, told to the send.

A sender's rate is counted by the provider when a request arrives: some moment between the
bytes leaving and the answer's status line coming back. The send's limiter (see
``delivery.sender_pool``) counts each request over that whole span, so the span it sees should
be as close to the wire as it can be: building the request (the SDK's and requests' work,
several milliseconds when the workers share one CPU) happens before it, and reading the body
and JSON after it. An adapter whose HTTP client tells these moments says so
(``Adapter.gates_requests``); the send then lets the request leave only through the gate.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_local = threading.local()


class Gate:
    """One attempt's way out: ``leave`` once before its bytes go (it may wait there for the
    sender's window), ``back`` once when its answer, or its failure, is in."""

    def __init__(self, depart: Callable[[], object], answered: Callable[[], None]) -> None:
        self._depart = depart
        self._answered = answered
        self.left = False
        self.done = False

    def leave(self) -> None:
        if not self.left:
            self.left = True
            self._depart()

    def back(self) -> None:
        if self.left and not self.done:
            self.done = True
            self._answered()


@contextmanager
def gated(gate: Gate) -> Iterator[Gate]:
    """``gate`` is this thread's way out while the block runs; it is closed (``back``) at
    the end whatever happened, so a request that failed half-way is counted as answered."""
    _local.gate = gate
    try:
        yield gate
    finally:
        _local.gate = None
        gate.back()


def leaving() -> None:
    """A request is about to leave on this thread: through its gate, if there is one."""
    gate: Gate | None = getattr(_local, "gate", None)
    if gate is not None:
        gate.leave()


def answered() -> None:
    """The request on this thread has its answer's status line (or failed)."""
    gate: Gate | None = getattr(_local, "gate", None)
    if gate is not None:
        gate.back()
