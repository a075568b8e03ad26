"""A send run from start to end, safe to repeat from cron.

It takes the incident's lock (overlapping runs wait, then give up), marks what a killed run
left half-done as uncertain, decides what there is to say (a new version, the rest of an
unfinished one, a reminder that keeps the promised update, or nothing), checks it like a dry
run, records it in the ledger and delivers it. Re-running with an unchanged file sends nothing.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from broadcast.delivery.preflight import Plan, prepare
from broadcast.input.config import load_config
from broadcast.input.incident import Incident, load_incident
from broadcast.ledger.sqlite import (
    FAILED_TRANSIENT,
    REMINDER,
    UNCERTAIN,
    UPDATE,
    Ledger,
    Version,
    state_folder,
)
from broadcast.problems import InputError

Action = Literal["new", "continue", "reminder", "nothing"]


class Busy(Exception):
    """Another run holds this incident's lock."""


@dataclass(frozen=True)
class Decision:
    """What this run has to say, and the moment its texts are rendered for."""

    action: Action
    now: datetime
    reason: str
    version: Version | None = None  # the version to continue
    previous_update_at: datetime | None = None

    @property
    def reminder(self) -> bool:
        return self.action == "reminder" or (
            self.action == "continue" and self.version is not None and self.version.kind == REMINDER
        )


def content_hash(incident: Incident) -> str:
    """Same file content, same hash: how a re-run knows it has nothing new to say."""
    canonical = json.dumps(incident.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def decide(ledger: Ledger, incident: Incident, channels: Sequence[str], now: datetime) -> Decision:
    digest = content_hash(incident)
    latest = ledger.latest_version(incident.id)
    latest_update = ledger.latest_version(incident.id, UPDATE)
    if latest is None or latest_update is None:
        return Decision("new", now, "first message about this incident")
    if latest_update.content_hash != digest:
        return Decision("new", now, "the incident file changed since the last update")
    if latest.completed_at is None:
        return Decision(
            "continue",
            latest.created_at,
            f"the {latest.kind} of {latest.created_at:%H:%M} UTC did not finish; continuing it",
            latest,
            latest_update.created_at,
        )
    missing = [c for c in channels if c not in latest.channels]
    if missing:
        return Decision(
            "continue",
            latest.created_at,
            f"the same {latest.kind} goes to {', '.join(missing)} too",
            latest,
            latest_update.created_at,
        )
    due = latest.next_update_at
    if incident.status != "resolved" and due is not None and now >= due:
        return Decision(
            "reminder",
            now,
            f"nothing new, and the next update was promised for {due:%H:%M} UTC",
            previous_update_at=latest_update.created_at,
        )
    when = f"; the next update is due at {due:%Y-%m-%d %H:%M} UTC" if due else ""
    return Decision(
        "nothing",
        now,
        f"nothing new since the {latest.kind} of {latest.created_at:%Y-%m-%d %H:%M} UTC{when}",
        latest,
    )


@contextmanager
def incident_lock(folder: Path, incident_id: str, timeout: float) -> Iterator[None]:
    """One run per incident at a time. The OS releases the lock if the process dies."""
    locks = folder / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    handle = (locks / f"{incident_id}.lock").open("a+")
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise Busy(
                        f"another broadcast is sending {incident_id} (waited {timeout:g} s); "
                        "nothing was sent by this run"
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        handle.close()


def peek(
    incident_path: Path,
    config_path: Path,
    now: datetime,
    only: Sequence[str] = (),
    state_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Decision | None:
    """What a real send would do now, for a dry run: no lock, nothing written.

    None when the inputs do not load (the dry run reports why) or no ledger exists yet.
    """
    environ = dict(os.environ) if environ is None else environ
    try:
        config = load_config(config_path, environ)
        incident, _ = load_incident(incident_path, config.defaults.model_dump())
    except InputError:
        return None
    folder = state_folder(state_dir, config.folder, dict(environ))
    if not (folder / "ledger.sqlite3").is_file():
        return Decision("new", now, "first message about this incident")
    ledger = Ledger(folder)
    try:
        return decide(ledger, incident, list(only) or list(config.channels), now)
    finally:
        ledger.close()


@dataclass
class SendRun:
    """One run of ``broadcast send`` (or ``retry``, or one incident of ``tick``).

    Use as a context manager: entering takes the lock and prepares ``plan`` and ``decision``;
    ``deliver`` records and sends; leaving releases the lock.
    """

    incident_path: Path
    config_path: Path
    now: datetime
    only: Sequence[str] = ()
    state_dir: Path | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    lock_timeout: float = 30.0
    resend_uncertain: bool = False
    retry_transient: bool = False

    plan: Plan | None = None
    decision: Decision | None = None
    ledger: Ledger | None = None
    uncertain_found: int = 0
    reopened: int = 0
    _lock: Any = None

    def __enter__(self) -> SendRun:
        try:
            config = load_config(self.config_path, self.environ)
            defaults = config.defaults.model_dump()
            incident, _ = load_incident(self.incident_path, defaults)
        except InputError:
            # Let the dry-run checks collect and report every problem.
            self.plan = self._prepare(self.now)
            return self
        folder = state_folder(self.state_dir, config.folder, dict(self.environ))
        self._lock = incident_lock(folder, incident.id, self.lock_timeout)
        self._lock.__enter__()
        try:
            self.ledger = Ledger(folder, clock=_moving_clock(self.now))
            self.uncertain_found = self.ledger.mark_uncertain(incident.id)
            channels = list(self.only) or list(config.channels)
            self._reopen(incident, channels)
            self.decision = decide(self.ledger, incident, channels, self.now)
            if self.decision.action != "nothing":
                self.plan = self._prepare(
                    self.decision.now, self.decision.reminder, self.decision.previous_update_at
                )
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.ledger is not None:
            self.ledger.close()
            self.ledger = None
        if self._lock is not None:
            self._lock.__exit__(None, None, None)
            self._lock = None

    def _prepare(
        self, now: datetime, reminder: bool = False, previous: datetime | None = None
    ) -> Plan:
        return prepare(
            self.incident_path,
            self.config_path,
            now=now,
            only=self.only,
            check_credentials=True,
            environ=self.environ,
            reminder=reminder,
            previous_update_at=previous,
        )

    def _reopen(self, incident: Incident, channels: list[str]) -> None:
        """``--resend-uncertain`` and ``retry``: put those deliveries back in the queue."""
        assert self.ledger is not None
        states = (UNCERTAIN,) * self.resend_uncertain + (FAILED_TRANSIENT,) * self.retry_transient
        if not states:
            return
        for version in self.ledger.versions(incident.id)[-1:]:
            self.reopened = self.ledger.reopen(version.id, states, channels)
            if self.reopened:
                self.ledger.reopen_version(version.id)

    def deliver(
        self, on_event: Callable[[Any], None] = lambda event: None, stop: Any = None
    ) -> list[Any]:
        """Record the version (if new) and send. Only after the plan was shown and accepted."""
        from broadcast.delivery.dispatch import Dispatcher

        assert self.plan is not None and self.plan.ok and self.decision is not None
        assert self.ledger is not None and self.plan.incident is not None
        incident = self.plan.incident
        channels = [c.name for c in self.plan.channels]
        version = self.decision.version
        if self.decision.action in ("new", "reminder"):
            version = self.ledger.add_version(
                incident.id,
                content_hash(incident),
                REMINDER if self.decision.action == "reminder" else UPDATE,
                incident.status,
                self.decision.now,
                incident.next_update_at(self.decision.now),
                channels,
                [
                    (c.name, language, part, text)
                    for c in self.plan.channels
                    for language, parts in (c.variants or {c.locale: c.parts}).items()
                    for part, text in {
                        **parts,
                        **(_thread_parts(c.measures) if parts is c.parts else {}),
                    }.items()
                ],
            )
        else:
            assert version is not None
            version = self.ledger.extend_channels(version.id, channels)
        extra = {
            c.name: {"reply_to": tail.rsplit(",", 1)[-1]}
            for c in self.plan.channels
            if c.type == "twitter"
            and (tail := self.ledger.last_provider_id(incident.id, c.name)) is not None
        }
        outcomes = Dispatcher(
            self.plan,
            environ=self.environ,
            on_event=on_event,
            stop=stop,
            ledger=self.ledger,
            version_id=version.id,
            extra_facts=extra,
        ).run()
        if not any(o.stopped or o.problems for o in outcomes):
            self.ledger.mark_complete(version.id)
        return outcomes


def _moving_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at the run's ``now`` (pinned or real) and moves with real time."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


def _thread_parts(measures: Mapping[str, Any]) -> dict[str, str]:
    thread = measures.get("thread") or ()
    return {f"post{n}": post for n, post in enumerate(thread, start=1)} if len(thread) > 1 else {}
