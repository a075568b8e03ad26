"""A provider's status callback, as ``broadcast serve`` receives it: what became of one
message or call, recorded at once through the same receipt path ``reconcile`` uses, and the
follow-up (a fallback) it calls for started without waiting for the next run.

Callbacks come twice and out of order (Twilio retries, networks reorder): a late ``queued`` or
``sent`` after ``delivered``, the same ``undelivered`` twice. The provider's statuses rank as
:data:`PRECEDENCE` says, and the ledger moves a delivery only forwards: a status below final
records nothing (the delivery is ``sent`` already), and a final one moves it only while it is
still ``sent`` (``Receipts.record_receipt``), so the first final word stands and any order of
the same callbacks leaves the same ledger.

A callback naming a SID this ledger never handed over (another tool on the same account, a
message whose answer was lost and is not recorded yet) records nothing, and is answered
exactly like one that moved a delivery: nothing in the answer says what the ledger knows.
Twilio may call back before the sender has recorded its answer (a slow answer, a busy
ledger): a final callback of an unknown SID is read again 1, 4 and 15 s later, then
forgotten. What no callback reported (``serve`` down, a callback lost) is still read by
``reconcile`` and at the start of every run.

A message undelivered for a reason another channel gets around (``FALLBACK_ERRORS``: an
unreachable handset, a landline) is what the fallback to voice waits for. A serious tool
calls those people now, not at the next cron run: :class:`FollowUps` runs the follow-up pass
of ``delivery.fallback`` for the incident in the background, once the callback is recorded,
under the incident's hold (its lock file, or its lease on a shared ledger) so it never runs
alongside a send of the same incident. Callbacks arriving together are one pass; when a run
holds the incident, the pass waits and tries again (the run's own follow-up after its send
may already have done it: the pass is idempotent, once per recipient and version).
"""

from __future__ import annotations

import atexit
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from broadcast.channels import adapter_class
from broadcast.delivery.fallback import FALLBACK_ERRORS, FollowUp, follow_up
from broadcast.delivery.incident_lock import Busy, incident_lock
from broadcast.input.config import Config
from broadcast.ledger.sqlite import DELIVERED, UNANSWERED, UNDELIVERED, Ledger

# Twilio's statuses in the order they happen, messages and calls: a status never takes a
# delivery back to a lower rank, and the final ones (rank 3) are the only ones recorded.
PRECEDENCE: dict[str, int] = {
    # messages
    "accepted": 0,
    "scheduled": 0,
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "read": 3,
    "undelivered": 3,
    "failed": 3,
    "canceled": 3,
    # calls
    "initiated": 0,
    "ringing": 1,
    "in-progress": 2,
    "answered": 2,
    "completed": 3,
    "busy": 3,
    "no-answer": 3,
}
FINAL_RANK = 3


@dataclass(frozen=True)
class Callback:
    """What one callback did: whether its SID is one of ours, whether it moved the delivery,
    and the incident whose follow-up it calls for (None: none)."""

    known: bool
    moved: bool = False
    state: str | None = None
    follow_up: str | None = None


UNKNOWN = Callback(known=False)


def record_callback(ledger: Ledger, config: Config, fields: Mapping[str, str]) -> Callback:
    """Record what the provider's callback ``fields`` say of the delivery it names."""
    sid = fields.get("MessageSid") or fields.get("CallSid") or ""
    if not sid:
        return UNKNOWN
    with ledger.lock:
        found = ledger.handed_over_as(sid)
    if found is None:
        return UNKNOWN
    delivery, incident_id = found
    channel = config.channels.get(delivery.channel)
    reader: Callable[[Mapping[str, str]], Any] | None = (
        getattr(adapter_class(channel.type), "callback_status", None)
        if channel is not None
        else None
    )
    status = reader(fields) if reader is not None else None
    if status is None or status.provider_id != sid:
        return UNKNOWN  # not this channel's kind of callback: a message SID on a call's row
    if status.final is None or PRECEDENCE.get(status.status, FINAL_RANK) < FINAL_RANK:
        return Callback(known=True)  # on its way: the ledger's ``sent`` already says so
    moved = ledger.record_receipt(
        delivery.id,
        status.final,
        status.error_code,
        None,
        unanswered=status.final == UNANSWERED,
    )
    return Callback(
        known=True,
        moved=moved,
        state=status.final,
        follow_up=incident_id
        if moved and _calls_for_follow_up(config, delivery.channel, status)
        else None,
    )


def is_final(fields: Mapping[str, str]) -> bool:
    """Whether a callback's status is a final one (what is worth reading again)."""
    status = fields.get("MessageStatus") or fields.get("CallStatus") or ""
    return PRECEDENCE.get(status, 0) >= FINAL_RANK


def _calls_for_follow_up(config: Config, channel: str, status: Any) -> bool:
    """A fallback may be due: the channel names one, and the delivery failed for a reason it
    gets around (an SMS undelivered with ``FALLBACK_ERRORS``), or a call went unanswered (its
    fallback once its retries are spent; the pass decides)."""
    if status.final == DELIVERED or config.fallback_of(channel) is None:
        return False
    if status.final == UNDELIVERED:
        return (status.error_code or "") in FALLBACK_ERRORS
    return status.final == UNANSWERED


class FollowUps:
    """The follow-up passes callbacks call for, one incident at a time, in one background
    thread: ``request(incident_id)`` returns at once; the pass runs under the incident's hold.

    ``open_ledger`` gives the pass its own ledger (its own connection, and on a shared ledger
    its own lease); ``config`` is channels.yaml as serve read it; ``clock`` the time of the
    pass (``BROADCAST_NOW`` pins it as for any command).
    """

    # Seconds between two tries while a run holds the incident, and how long to keep trying:
    # a send of 10,000 messages at 30 a second holds it about six minutes.
    RETRY_SECONDS = 2.0
    GIVE_UP_SECONDS = 900.0
    # Callbacks of one burst (a thousand undelivered at once) wait this long to be one pass.
    GATHER_SECONDS = 0.2
    # A final callback naming a SID the ledger does not know yet is read again after these
    # many seconds (the sender may not have recorded Twilio's answer yet: a slow answer, a
    # busy ledger), then forgotten; at most LATE_MAX wait at once.
    LATE_AFTER = (1.0, 4.0, 15.0)
    LATE_MAX = 10_000

    def __init__(
        self,
        config: Config,
        folder: Path,
        open_ledger: Callable[[], Ledger],
        environ: Mapping[str, str],
        clock: Callable[[], datetime],
        report: Callable[..., None] = lambda event, **fields: None,
    ) -> None:
        self.config = config
        # Where each pass is told (serve's JSON log): counts and the incident's id only.
        self.report = report
        self.folder = folder
        self.open_ledger = open_ledger
        self.environ = environ
        self.clock = clock
        # What the last passes did (tests, logs): a bounded memory in a long-lived server.
        self.done: deque[tuple[str, FollowUp]] = deque(maxlen=100)
        self._due: dict[str, tuple[float, float]] = {}  # incident → (next try, first asked)
        # Final callbacks of SIDs not known yet: (when to read again, tries made, fields).
        self._late: list[tuple[float, int, dict[str, str]]] = []
        # How many of them turned out to be ours (tests, logs).
        self.late_found = 0
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def request(self, incident_id: str) -> None:
        """A follow-up pass for the incident, soon (one for a burst of callbacks)."""
        now = time.monotonic()
        with self._wake:
            if incident_id not in self._due:
                self._due[incident_id] = (now + self.GATHER_SECONDS, now)
            self._start()
            self._wake.notify()

    def read_again(self, fields: Mapping[str, str]) -> None:
        """A final callback whose SID the ledger did not know: read it again a little later,
        in case its delivery was being recorded (nothing is recorded if it never is)."""
        with self._wake:
            if len(self._late) >= self.LATE_MAX:
                return
            self._late.append((time.monotonic() + self.LATE_AFTER[0], 0, dict(fields)))
            self._start()
            self._wake.notify()

    def _start(self) -> None:
        """The runner's thread, started with its first work (holding ``_wake``)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="follow-ups", daemon=True)
            self._thread.start()
            # At exit (SIGTERM, once the requests in flight are answered): the pass under way
            # ends before the process does, never a call cut between the provider's answer
            # and the ledger.
            atexit.register(self.stop)

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the pass under way (never cut a call in half), drop those not begun."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopping:
                    now = time.monotonic()
                    due = [i for i, (at, _) in self._due.items() if at <= now]
                    late = [entry for entry in self._late if entry[0] <= now]
                    if due or late:
                        break
                    soonest = min(
                        [at for at, _ in self._due.values()] + [e[0] for e in self._late],
                        default=None,
                    )
                    self._wake.wait(None if soonest is None else soonest - now)
                if self._stopping:
                    return
                if late:
                    self._late = [entry for entry in self._late if entry[0] > now]
            if late:
                self._read_late(late)
                continue
            with self._wake:
                incident_id = due[0]
                _, first = self._due.pop(incident_id)
            try:
                held = self._pass(incident_id)
            except Exception as fault:  # a pass that fails leaves the ledger to the next run
                self.report("follow-up-failed", incident=incident_id, reason=type(fault).__name__)
                held = True
            with self._wake:
                now = time.monotonic()
                if not held and now - first < self.GIVE_UP_SECONDS:
                    self._due.setdefault(incident_id, (now + self.RETRY_SECONDS, first))
                self._wake.notify_all()

    def _read_late(self, late: list[tuple[float, int, dict[str, str]]]) -> None:
        """Read the callbacks again, in one opening of the ledger; those still unknown wait
        for their next try, or are forgotten after the last."""
        try:
            ledger = self.open_ledger()
        except Exception as fault:
            self.report("late-callbacks-failed", reason=type(fault).__name__)
            return
        again = []
        read = 0
        try:
            for _, tries, fields in late:
                done = record_callback(ledger, self.config, fields)
                read += 1
                if done.known:
                    self.late_found += 1
                    if done.follow_up is not None:
                        self.request(done.follow_up)
                elif tries + 1 < len(self.LATE_AFTER):
                    again.append((time.monotonic() + self.LATE_AFTER[tries + 1], tries + 1, fields))
        except Exception as fault:
            # The ledger failed (a full disk, a damaged file, a database gone): said, and the
            # callbacks not read yet wait for their next try. Raised here, it would end this
            # thread with a traceback, and no follow-up would run again until serve restarts.
            self.report("late-callbacks-failed", reason=type(fault).__name__)
            again.extend(
                (time.monotonic() + self.LATE_AFTER[tries + 1], tries + 1, fields)
                for _, tries, fields in late[read:]
                if tries + 1 < len(self.LATE_AFTER)
            )
        finally:
            ledger.close()
        with self._wake:
            self._late.extend(again)

    def _pass(self, incident_id: str) -> bool:
        """One follow-up pass for the incident under its hold; False when a run held it."""
        ledger = self.open_ledger()
        try:
            if ledger.shared:
                if ledger.hold_incident(incident_id) is not None:
                    return False
                self._follow(ledger, incident_id)
                return True
            try:
                with incident_lock(self.folder, incident_id, 0.0):
                    self._follow(ledger, incident_id)
            except Busy:
                return False
            return True
        finally:
            ledger.close()

    def _follow(self, ledger: Ledger, incident_id: str) -> None:
        # Fallbacks only: unanswered calls are placed again after their ``retry_after``, by
        # the runs cron starts.
        done = follow_up(ledger, self.config, incident_id, self.clock(), self.environ, calls=False)
        self.done.append((incident_id, done))
        if done.did_something:
            self.report(
                "follow-up",
                incident=incident_id,
                fallbacks=done.fallbacks,
                failed=done.failed,
                held_uncertain=done.held_uncertain,
            )
