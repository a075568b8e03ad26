"""The ledger's leases: which run holds an incident, which host is its primary, which run
took each delivery, a newer version's request to take over, and each sender's window of
grants; what lets several hosts share one ledger (and one host's runs take turns).
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from contextlib import suppress
from datetime import UTC, datetime

from broadcast.ledger.engine import LedgerEngine, listed, who
from broadcast.ledger.faults import LedgerFault

# How long a run's lease on a shared ledger lasts unless renewed (a third of it apart): a
# killed run's deliveries and incident are another host's after this many seconds.
LEASE_ENV = "BROADCAST_LEASE_SECONDS"
DEFAULT_LEASE_SECONDS = 30.0
# How long a host stays an incident's primary after its last cron run (``tick``) began or
# beat: long enough to cover the cron interval (``*/5``, and a minute to spare), so a standby
# does not take over between two runs of a healthy primary, only once the primary misses them.
PRIMARY_ENV = "BROADCAST_PRIMARY_SECONDS"
DEFAULT_PRIMARY_SECONDS = 360.0


class Leases(LedgerEngine):
    """The ``leases``, ``takeovers``, ``rates`` (a row per channel or sender, its lock) and
    ``rate_grants`` tables, and ``deliveries.claimed_by``."""

    lease_seconds: float
    primary_seconds: float
    _heartbeat: threading.Thread | None
    _closing: threading.Event
    _held: set[str]
    _primary: set[str]

    # -- takeovers ------------------------------------------------------------------------

    def request_takeover(self, incident_id: str, content_hash: str, wait: float) -> None:
        """A run with a newer version (``content_hash``) asks the one sending to give way.

        The request lapses after ``wait`` seconds (how long the asking run waits for the lock),
        so a run that died while waiting stops no one.
        """
        with self.transaction() as db:
            db.execute(
                "INSERT INTO takeovers VALUES (:incident_id, :content_hash, :expires_at)"
                " ON CONFLICT (incident_id) DO UPDATE"
                " SET content_hash = excluded.content_hash, expires_at = excluded.expires_at",
                {
                    "incident_id": incident_id,
                    "content_hash": content_hash,
                    "expires_at": time.time() + wait,
                },
            )

    def takeover_requested(self, incident_id: str) -> str | None:
        """The content hash of the version waiting to take over the incident, if any."""
        with self.lock:
            row = self.db.execute(
                "SELECT content_hash FROM takeovers WHERE incident_id = :incident_id"
                " AND expires_at > :now",
                {"incident_id": incident_id, "now": time.time()},
            ).fetchone()
        return str(row["content_hash"]) if row else None

    def clear_takeover(self, incident_id: str, content_hash: str) -> None:
        """The request for ``content_hash`` is answered (the lock is ours) or given up."""
        with self.transaction() as db:
            db.execute(
                "DELETE FROM takeovers WHERE incident_id = :incident_id"
                " AND (content_hash = :content_hash OR expires_at <= :now)",
                {"incident_id": incident_id, "content_hash": content_hash, "now": time.time()},
            )

    # -- hosts sharing the ledger ---------------------------------------------------------
    #
    # Each run on a shared ledger has a token and a lease (``run:<token>``) it renews while it
    # lives; a delivery it took names it (``claimed_by``). A run killed with kill -9 renews
    # nothing: when its lease ends, what it had taken is anyone's again. The run that holds an
    # incident (``incident:<id>``) is the one ``status`` names and a standby waits for.

    def renew_lease(
        self, name: str, holder: str, seconds: float, host: str = "", at: float | None = None
    ) -> str | None:
        """Take or keep the lease ``name`` for ``seconds``; the holder's token if another
        live run holds it (then nothing changes), else None. ``at``: the moment on the run's
        own clock (a primary's lease), else the database's clock."""
        now = self._now_sql() if at is None else ":at"
        with self.transaction() as db:
            db.execute(
                f"INSERT INTO leases VALUES (:name, :holder, :host, {now} + :seconds)"
                " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                " host = excluded.host, expires_at = excluded.expires_at"
                f" WHERE leases.holder = excluded.holder OR leases.expires_at <= {now}",
                {
                    "name": name,
                    "holder": holder,
                    "host": host or who(),
                    "seconds": seconds,
                    "at": at,
                },
            )
            row = db.execute(
                "SELECT holder FROM leases WHERE name = :name", {"name": name}
            ).fetchone()
        return None if row is None or row["holder"] == holder else str(row["holder"])

    def release_lease(self, name: str, holder: str) -> None:
        with self.transaction() as db:
            db.execute(
                "DELETE FROM leases WHERE name = :name AND holder = :holder",
                {"name": name, "holder": holder},
            )

    def lease_of(self, name: str, at: float | None = None) -> tuple[str, str, float] | None:
        """``(holder, host, seconds left)`` of a live lease, or None (``at``: as in
        ``renew_lease``)."""
        now = self._now_sql() if at is None else ":at"
        row = self.db.execute(
            f"SELECT holder, host, expires_at - {now} AS left_s FROM leases"
            f" WHERE name = :name AND expires_at > {now}",
            {"name": name, "at": at},
        ).fetchone()
        return (str(row["holder"]), str(row["host"]), float(row["left_s"])) if row else None

    def alive(self) -> None:
        """This run takes its lease and keeps it while the ledger is open (a heartbeat)."""
        if self._heartbeat is not None:
            return
        self.renew_lease(f"run:{self.run}", self.run, self.lease_seconds, self.host)
        self._heartbeat = threading.Thread(target=self._beat, name="ledger-lease", daemon=True)
        self._heartbeat.start()

    def _beat(self) -> None:
        while not self._closing.wait(self.lease_seconds / 3):
            # A database out of reach for a moment: the next beat tries again; a run that
            # cannot renew for a whole lease loses its deliveries to another host, as it should.
            with suppress(sqlite3.Error, LedgerFault):
                for name in (f"run:{self.run}", *self._held):
                    self.renew_lease(name, self.run, self.lease_seconds, self.host)
                for name in tuple(self._primary):
                    self._renew_primary(name)

    def hold_incident(self, incident_id: str) -> tuple[str, float] | None:
        """Take the incident for this run (renewed while it runs); if another live run holds
        it, ``(its host, seconds left on its lease)`` instead."""
        self.alive()
        name = f"incident:{incident_id}"
        if self.renew_lease(name, self.run, self.lease_seconds, self.host) is None:
            self._held.add(name)
            return None
        lease = self.lease_of(name)
        return (lease[1], lease[2]) if lease is not None else (self.host, 0.0)

    def holder(self, incident_id: str) -> tuple[str, float] | None:
        """``(host, seconds left)`` of the run holding the incident, if one does."""
        lease = self.lease_of(f"incident:{incident_id}")
        return (lease[1], lease[2]) if lease is not None else None

    # The primary host of an incident: the host whose cron runs (``tick``) speak for it. Its
    # lease is the host's, not a run's: it outlives each run by the cron interval, on the runs'
    # clock (``BROADCAST_NOW`` moves it), so a standby host stands by between two runs of a
    # healthy primary and takes over only once the primary has missed its runs.

    def _renew_primary(self, name: str) -> str | None:
        at = self.clock().timestamp()
        return self.renew_lease(name, self.host, self.primary_seconds, self.host, at=at)

    def hold_primary(self, incident_id: str) -> tuple[str, datetime] | None:
        """Make this host the incident's primary (renewed while the ledger is open, and kept
        after it closes); if another host is, ``(that host, when its lease ends)`` instead.

        A primary whose run died holding the incident (killed, its host cut off: the run's
        lease ended without being released) is replaced at once: its work is resumed within a
        run lease, not after the primary's whole lease."""
        name = f"primary:{incident_id}"
        if self._renew_primary(name) is None or self._take_from_dead_primary(incident_id):
            self.alive()
            self._primary.add(name)
            return None
        return self.primary(incident_id)

    def _take_from_dead_primary(self, incident_id: str) -> bool:
        """Become the primary if the primary host's run died holding the incident: its
        ``incident:`` lease is still there, ended, never released (a run that ends well
        releases it). Only one standby wins: the primary changes only from that dead host."""
        at = self.clock().timestamp()
        with self.transaction() as db:
            row = db.execute(
                "SELECT p.holder FROM leases p JOIN leases r ON r.host = p.host"
                " WHERE p.name = :primary AND r.name = :incident"
                f" AND r.expires_at <= {self._now_sql()}",
                {"primary": f"primary:{incident_id}", "incident": f"incident:{incident_id}"},
            ).fetchone()
            if row is None:
                return False
            taken = db.execute(
                "UPDATE leases SET holder = :host, host = :host, expires_at = :at + :seconds"
                " WHERE name = :name AND holder = :holder RETURNING name",
                {
                    "host": self.host,
                    "at": at,
                    "seconds": self.primary_seconds,
                    "name": f"primary:{incident_id}",
                    "holder": row["holder"],
                },
            ).fetchone()
        return taken is not None

    def primary(self, incident_id: str, now: datetime | None = None) -> tuple[str, datetime] | None:
        """``(host, when its lease ends)`` of the incident's primary host, if one is (at
        ``now``, else on the run's clock)."""
        at = (now or self.clock()).timestamp()
        lease = self.lease_of(f"primary:{incident_id}", at=at)
        if lease is None:
            return None
        return lease[1], datetime.fromtimestamp(at + lease[2], UTC)

    def _dead_claim_sql(self) -> str:
        """True for a row no live run has taken (a dead run's lease has ended)."""
        return (
            "(claimed_by IS NULL OR NOT EXISTS (SELECT 1 FROM leases l WHERE"
            f" l.name = 'run:' || deliveries.claimed_by AND l.expires_at > {self._now_sql()}))"
        )

    def take(
        self, delivery_ids: list[int], states: tuple[str, ...] = ("pending", "uncertain")
    ) -> set[int]:
        """Of ``delivery_ids``, the ones this run now has to itself: waiting (by default
        pending, or uncertain to look up; a follow-up also takes an unanswered call to place
        again), and taken by no other live run. PostgreSQL skips rows another host is taking
        at this moment instead of waiting for it."""
        if not delivery_ids:
            return set()
        self.alive()
        run = self.run
        marks, binds = listed("id", delivery_ids)
        waiting, waiting_binds = listed("state", list(states))
        with self.transaction() as db:
            rows = db.execute(
                "UPDATE deliveries SET claimed_by = :run WHERE id IN (SELECT id FROM deliveries"
                f" WHERE id IN ({marks}) AND state IN ({waiting})"
                f" AND (claimed_by = :run OR {self._dead_claim_sql()})"
                f"{self.dialect.skip_locked}) RETURNING id",
                {"run": run, **binds, **waiting_binds},
            ).fetchall()
        return {int(row[0]) for row in rows}

    def waiting_elsewhere(self, version_id: int, channel: str) -> int:
        """Deliveries of the version on ``channel`` that another live run took and has not
        finished."""
        row = self.db.execute(
            "SELECT count(*) FROM deliveries WHERE version_id = :id AND channel = :channel"
            " AND state IN ('pending', 'sending', 'uncertain') AND claimed_by <> :run"
            f" AND NOT {self._dead_claim_sql()}",
            {"id": version_id, "channel": channel, "run": self.run},
        ).fetchone()
        return int(row[0])

    def grant_parts(
        self, channel: str, parts: int, rate: float, answered: list[tuple[int, float]]
    ) -> tuple[int | None, float]:
        """A grant of ``parts`` parts of the row ``channel`` (a channel's sender) to this host
        if the window has room: ``(its id, 0)``; else ``(None, seconds until it may)``.

        The window is the provider's second, shared by every host: the parts of each grant
        count from the moment it is given until a second after the answer to the last of its
        requests (or, never reported, for a run's lease: a run killed mid-request). A grant
        is given only when those and its own are within ``rate``, so whatever second the
        provider counts in, and whenever between a request's departure and its answer it
        counts it, the requests in it are all among grants counted when the latest was given.
        ``answered``: this host's finished grants, ``(id, seconds since their last answer)``,
        reported in the same transaction (on the database's clock, counted from before the
        statement: never earlier than the answer was)."""
        now = self._now_sql()
        with self.transaction() as db:
            for grant, ago in answered:
                db.execute(
                    f"UPDATE rate_grants SET answered_at = {now} - :ago WHERE id = :id",
                    {"ago": ago, "id": grant},
                )
            # One host at a time decides on this sender (the row's lock until commit).
            db.execute(
                "INSERT INTO rates VALUES (:channel, 0) ON CONFLICT (channel)"
                " DO UPDATE SET next_slot = rates.next_slot",
                {"channel": channel},
            )
            # A rate under one a second (30/min) is kept over the time one part takes (2 s).
            window = max(1.0, 1.0 / rate)
            counted = (
                f"channel = :channel AND (answered_at > {now} - :window"
                f" OR (answered_at IS NULL AND granted_at > {now} - :lease))"
            )
            binds = {
                "channel": channel,
                "parts": parts,
                "rate": rate * window,
                "window": window,
                "lease": self.lease_seconds,
            }
            used = f"(SELECT coalesce(sum(parts), 0) FROM rate_grants WHERE {counted})"
            granted = db.execute(
                f"INSERT INTO rate_grants (channel, parts, granted_at) SELECT :channel, :parts,"
                f" {now} WHERE {used} + :parts <= :rate OR {used} = 0 RETURNING id",
                binds,
            ).fetchone()
            if granted is None:
                row = db.execute(
                    f"SELECT min(answered_at) + :window - {now} FROM rate_grants WHERE {counted}",
                    binds,
                ).fetchone()
                return None, float(row[0]) if row[0] is not None else -1.0
            if int(granted[0]) % 16 == 0:  # now and then, the grants out of every window
                db.execute(
                    f"DELETE FROM rate_grants WHERE channel = :channel AND NOT ({counted})", binds
                )
        return int(granted[0]), 0.0

    def report_grants(self, answered: list[tuple[int, float]]) -> None:
        """This host's finished grants, ``(id, seconds since their last answer)``."""
        now = self._now_sql()
        with self.transaction() as db:
            for grant, ago in answered:
                db.execute(
                    f"UPDATE rate_grants SET answered_at = {now} - :ago WHERE id = :id",
                    {"ago": ago, "id": grant},
                )

    def hold_grants(self, channel: str, rate: float, seconds: float) -> None:
        """The provider said to slow down: the sender's window is full for ``seconds``, for
        every host (a grant of its whole rate, answered a second before that ends)."""
        now = self._now_sql()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO rate_grants (channel, parts, granted_at, answered_at)"
                f" VALUES (:channel, :parts, {now}, {now} + :seconds - 1)",
                {"channel": channel, "parts": max(1, math.ceil(rate)), "seconds": seconds},
            )
