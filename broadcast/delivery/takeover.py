"""A newer version takes over from a run still sending an older one, and hosts sharing a ledger
take turns: one holds an incident, a cron run on another stands by.

The newer run asks (``Ledger.request_takeover``); the run holding the incident watches between
deliveries (``watch_for_takeover``) and gives way within ``TAKEOVER_POLL``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from broadcast.delivery.continuity import continuity_problem
from broadcast.delivery.decision import content_hash
from broadcast.delivery.incident_lock import Busy, incident_lock
from broadcast.input.incident import Incident
from broadcast.input.yamlfile import YamlDocument
from broadcast.ledger.sqlite import UPDATE, Ledger, LedgerFault, ledger_errors

# How often a sending run checks whether a newer version asked it to give way.
TAKEOVER_POLL = 0.2


def stand_by(ledger: Ledger, incident: Incident) -> None:
    """A cron run (tick) on a shared ledger: this host becomes, or stays, the incident's
    primary; while another host is (its lease outlives each of its runs by the cron
    interval), this one stands by with ``Busy`` naming it, even between its runs."""
    primary = ledger.hold_primary(incident.id)
    if primary is None:
        return
    host, until = primary
    raise Busy(
        f"{host} holds {incident.id} as its primary host (its lease ends at "
        f"{until.astimezone(incident.zone):%H:%M:%S}, renewed by each of its cron runs); "
        "this host stands by and sent nothing. If that host stops running, a cron run "
        "here takes over once the lease has ended, or as soon as a run of it dies "
        f"mid-send (within {ledger.lease_seconds:g} s)."
    )


@contextmanager
def watching_for_takeover(
    ledger: Ledger,
    incident_id: str,
    own_hash: str,
    stop: threading.Event,
    on_newer: Callable[[], None],
) -> Iterator[None]:
    """While the deliveries inside run, a thread watches for a newer version asking this run
    to give way (see ``watch_for_takeover``); it ends with them."""
    done = threading.Event()
    watcher = threading.Thread(
        target=watch_for_takeover,
        args=(ledger, incident_id, own_hash, stop, done, on_newer),
        name="takeover-watch",
        daemon=True,
    )
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def watch_for_takeover(
    ledger: Ledger,
    incident_id: str,
    own_hash: str,
    stop: threading.Event,
    done: threading.Event,
    on_newer: Callable[[], None],
) -> None:
    """Between deliveries: a newer version waiting for the lock makes this run give way
    (``on_newer``, then ``stop``)."""
    while not done.wait(TAKEOVER_POLL):
        try:
            newer = ledger.takeover_requested(incident_id)
        except (sqlite3.Error, LedgerFault):
            return  # the ledger's fault: the deliveries meet it too, and report it
        if newer is not None and newer != own_hash:
            on_newer()
            stop.set()
            return


def hold_or_help(
    ledger: Ledger,
    incident: Incident,
    standby: bool,
    lock_timeout: float,
    ask: Callable[[], None],
    on_held: Callable[[str], None],
) -> bool:
    """On a shared ledger: hold the incident, or help the live run on another host that
    holds it when it sends this very version (True); a ``standby`` (tick) only waits for it.
    ``on_held`` is told the host holding it; ``ask`` asks that run to give way, once.

    Gives up with ``Busy`` (naming the host) after ``lock_timeout``. A host killed mid-send
    renews nothing, so its lease ends and another host's run holds the incident.
    """
    digest = content_hash(incident)
    deadline = time.monotonic() + lock_timeout
    asked = False
    while True:
        with ledger_errors(ledger.path):
            if standby:
                stand_by(ledger, incident)
            held = ledger.hold_incident(incident.id)
            if held is None:
                return False
            on_held(held[0])
            latest = ledger.latest_version(incident.id)
        if not standby and latest is not None and latest.content_hash == digest:
            return True
        if not asked:
            asked = True
            ask()
        if time.monotonic() >= deadline:
            raise Busy(
                f"{held[0]} holds {incident.id} (its lease runs {held[1]:.0f} s more, "
                f"renewed while it is alive); nothing was sent by this run. If that host "
                f"is down, a run here takes over within {ledger.lease_seconds:g} s."
            )
        time.sleep(TAKEOVER_POLL)


def request_takeover(
    ledger: Ledger,
    incident: Incident,
    document: YamlDocument,
    incident_path: Path,
    now: datetime,
    continue_incident: bool,
    lock_timeout: float,
    ready: Callable[[], bool],
) -> str | None:
    """Ask the run holding the incident to give way when this file is a newer version of it,
    ready to send (``ready``); the content hash asked with, None when not asked."""
    digest = content_hash(incident)
    latest = ledger.latest_version(incident.id, UPDATE)
    if latest is None or latest.content_hash == digest:
        return None
    if not continue_incident and continuity_problem(ledger, incident, incident_path, document, now):
        return None
    if not ready():
        return None  # a broken draft stops no one: its own run reports it
    ledger.request_takeover(incident.id, digest, lock_timeout)
    return digest


@dataclass
class IncidentHold:
    """A run's hold on its incident on this machine (the lock file), and the takeover it asked
    of the run holding it meanwhile: withdrawn once answered, so that nobody else yields."""

    folder: Path
    environ: Mapping[str, str]
    # channels.yaml's ledger, if it names a database.
    address: str | None
    lock: Any = None
    # The content hash this run asked to take over with.
    asked: str | None = None

    def lock_file(self, incident_id: str, timeout: float, ask: Callable[[], None]) -> None:
        """Take the incident's lock, asking the run holding it (``ask``) once while waiting;
        ``Busy`` after ``timeout``, with the takeover asked withdrawn."""
        self.lock = incident_lock(self.folder, incident_id, timeout, ask)
        try:
            self.lock.__enter__()
        except Busy:
            self.lock = None
            self.withdraw(None, incident_id)
            raise

    def ask(
        self,
        ledger: Ledger | None,
        incident: Incident,
        document: YamlDocument,
        incident_path: Path,
        now: datetime,
        continue_incident: bool,
        lock_timeout: float,
        ready: Callable[[], bool],
    ) -> None:
        """Ask the run holding the incident to give way (``request_takeover``), through
        ``ledger`` or, before this run has one, a ledger opened for the asking."""
        # Asking is a courtesy: a ledger still being created by the run holding the lock (both
        # started at once) just means waiting for that run, as before.
        with suppress(sqlite3.Error, LedgerFault):
            asking = ledger or self._open_ledger()
            try:
                asked = request_takeover(
                    asking,
                    incident,
                    document,
                    incident_path,
                    now,
                    continue_incident,
                    lock_timeout,
                    ready,
                )
                if asked is not None:
                    self.asked = asked
            finally:
                if asking is not ledger:
                    asking.close()

    def withdraw(self, ledger: Ledger | None, incident_id: str) -> None:
        """The takeover this run asked for is answered (or given up): nobody else must yield."""
        if self.asked is None:
            return
        if ledger is not None:
            ledger.clear_takeover(incident_id, self.asked)
        else:
            other = self._open_ledger()
            try:
                other.clear_takeover(incident_id, self.asked)
            finally:
                other.close()
        self.asked = None

    def release(self) -> None:
        if self.lock is not None:
            self.lock.__exit__(None, None, None)
            self.lock = None

    def _open_ledger(self) -> Ledger:
        return Ledger(self.folder, environ=self.environ, address=self.address)
