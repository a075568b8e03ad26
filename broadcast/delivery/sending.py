"""A send run from start to end, safe to repeat from cron.

It takes the incident's lock (overlapping runs wait, then give up), marks what a killed run
left half-done as uncertain, reads the delivery receipts that came in since the last run
(bounded: see ``broadcast.delivery.receipts``), decides what there is to say (a new version,
the rest of an unfinished one, a reminder that keeps the promised update, or nothing), checks
it like a dry run, records it in the ledger and delivers it. Re-running with an unchanged
file sends nothing.

What a version said is what the ledger recorded: finishing it (``continue``) or retrying it
re-sends those texts, never the file as it is now. A newer version takes over a long send: the
newer run asks the one holding the lock to give way, which stops handing out the old version
within a moment; the old version's undelivered deliveries become ``superseded`` and the newer
version goes to everyone. An id is one incident: a second file with the same id, or a file
reopening an incident resolved more than a day ago, is refused unless ``continue_incident``.

A ledger that has no record of an incident which was sent before (the banner's history, the
state folder's marker or lock say so) was lost or replaced: the run refuses rather than send
everyone the same message again, unless told the ledger was lost (``ledger_lost``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from broadcast.channels import adapter_class
from broadcast.content.wording_checks import wording_snapshot
from broadcast.delivery.approval import (
    approval_needed,
    candidates,
    changed_reason,
    check_sender,
    differences,
    drop_unapproved_unseen,
    held_reason,
    mode_of,
    passed_promises,
    passed_reason,
    person,
    refusal,
    reminder_moment,
)
from broadcast.delivery.approval_plans import ToApprove, plans_to_approve
from broadcast.delivery.continuity import (
    LedgerLost,
    continuity_problem,
    ledger_identity,
    registry_fault,
    traces_of_sending,
    write_marker,
)
from broadcast.delivery.decision import Decision, channels_left, content_hash, decide
from broadcast.delivery.dry_run import peek
from broadcast.delivery.incident_lock import Busy, incident_lock
from broadcast.delivery.preflight import Plan, prepare
from broadcast.delivery.receipts import RUN_BUDGET_SECONDS, RUN_CAP, Reconciliation, reconcile
from broadcast.delivery.recorded import (
    FACTS_PART,
    WORDING_CHANNEL,
    WORDING_PART,
    corrected_wording,
    last_wording,
    peek_wording,
    recorded_facts_of,
    recorded_plan,
    thread_parts,
    wording_in_ledger,
)
from broadcast.delivery.tick_folder import incident_files, shared_ids
from broadcast.input.config import (
    _ENV_REF,
    Config,
    load_config,
    resolve_credentials,
)
from broadcast.input.incident import Incident, load_incident
from broadcast.input.yamlfile import YamlDocument
from broadcast.ledger.location import LEDGER_FILE, state_folder
from broadcast.ledger.postgres import URL_ENV as LEDGER_ENV
from broadcast.ledger.registry import Sender, owner, record_sender, senders
from broadcast.ledger.sqlite import (
    FAILED_TRANSIENT,
    REMINDER,
    UNCERTAIN,
    UPDATE,
    Ledger,
    LedgerFault,
    Version,
    ledger_errors,
)
from broadcast.problems import InputError, Problem

# How often a sending run checks whether a newer version asked it to give way.
TAKEOVER_POLL = 0.2

# What callers know this module by: the run, and the look-ups a command makes around it.
__all__ = [
    "Busy",
    "Decision",
    "LedgerLost",
    "SendRun",
    "ToApprove",
    "channels_left",
    "content_hash",
    "corrected_in_ledger",
    "incident_files",
    "peek",
    "peek_wording",
    "plans_to_approve",
    "shared_ids",
    "wording_in_ledger",
]


def corrected_in_ledger(
    config: Config,
    incident_id: str,
    state_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """``corrected_wording`` for a run that has no ledger open (a preview, an approval): no
    lock, nothing written; None when there is no ledger or it cannot be read."""
    environ = dict(os.environ) if environ is None else environ
    folder = state_folder(state_dir, config.folder, dict(environ))
    address = config.ledger or environ.get(LEDGER_ENV)
    if not address and not (folder / LEDGER_FILE).is_file():
        return None
    try:
        ledger = Ledger(folder, environ=environ, address=address)
    except (LedgerFault, sqlite3.Error, OSError):
        return None
    try:
        with ledger_errors(ledger.path):
            return corrected_wording(ledger, incident_id)
    except (LedgerFault, sqlite3.Error, OSError, ValueError):
        return None
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
    continue_incident: bool = False
    # The ledger was lost: send the current version to everyone again rather than refuse.
    ledger_lost: bool = False
    # Who sends (``--as``, BROADCAST_USER, the login): recorded, and never their own approver.
    sender: str | None = None
    # A drill (--exercise): marked texts, exercise recipients, kept apart in the ledger.
    exercise: bool = False
    # The sender's SSH private key: with approval.allowed_signers, the sender signs too.
    signing_key: Path | None = None

    # The approval a new version goes out under, when channels.yaml asks for one.
    approval: Any = None
    # The sender's signature under that approval (approval.allowed_signers), kept with it.
    sender_signature: str | None = None
    # Nobody confirms the counts (--yes, cron): check the first rows of each recipients file
    # before sending and the rest as they stream, so the first message leaves at once.
    stream_recipients: bool = False
    # Wording warnings and a passed eta are errors: nothing is sent until they are fixed.
    strict: bool = False

    plan: Plan | None = None
    decision: Decision | None = None
    ledger: Ledger | None = None
    uncertain_found: int = 0
    # Per channel, the latest version's uncertain deliveries and what this run does with
    # them: "look up" (found: recorded as sent; not found: its recorded text is sent), "look
    # up calls" (no call since: placed; any other call: held uncertain) or "hold".
    uncertain_ahead: dict[str, tuple[int, str]] = field(default_factory=dict)
    reopened: int = 0
    # The receipts read at the start of the run.
    receipts: Reconciliation | None = None
    # A newer version asked this run to give way, and it did.
    superseded: bool = False
    # Call outcomes, calls placed again and fallbacks (delivery.fallback), before and after.
    followed: Any = None
    # True once deliveries began: a fault after that may have left some messages sent.
    dispatched: bool = False
    _lock: Any = None
    _config: Any = None
    _asked: str | None = None  # the content hash this run asked to take over with
    _address: str | None = None  # channels.yaml's ledger, if it names a database
    # On a shared ledger: a cron run (tick) waits while another host holds the incident
    # instead of helping it; a send helps.
    standby: bool = False
    # Channels this host cannot send on (a secret is not set), each with its problems.
    unavailable: dict[str, list[Problem]] = field(default_factory=dict)
    # Every chosen channel lacks a secret here: nothing is sent; they are named first.
    none_ready: list[str] = field(default_factory=list)
    # Another ledger of this machine sent this incident first; this one takes it over.
    other_ledger: bool = False
    # This run sends the deliveries of a version another host's run holds and recorded.
    helping: bool = False
    # The host holding the incident when this run began helping (or waited), if any.
    held_by: str | None = None
    _previous_wording: dict[str, Any] | None = None
    _taking_over: bool = False  # this ledger takes the incident over from another
    _corrected: dict[str, Any] | None = None
    _loaded: tuple[Config, Incident, YamlDocument] | None = None

    def __enter__(self) -> SendRun:
        try:
            config = load_config(self.config_path, self.environ)
            defaults = config.defaults.model_dump()
            incident, document = load_incident(self.incident_path, defaults, self.exercise)
        except InputError:
            # Let the dry-run checks collect and report every problem.
            self.plan = self._prepare(self.now)
            return self
        # The plan is made from these very files as read now, not from a second reading.
        self._loaded = (config, incident, document)
        if incident.exercise:
            from broadcast.delivery.exercise import exercise_config

            config = exercise_config(config, self.environ)[0]
        folder = state_folder(self.state_dir, config.folder, dict(self.environ))
        self._address = config.ledger
        shared = bool(config.ledger or self.environ.get(LEDGER_ENV))
        lock_was_there = (folder / "locks" / f"{incident.id}.lock").is_file()
        if shared:
            # Hosts share the ledger: the incident's lease there stands for the lock file.
            self.ledger = Ledger(
                folder, clock=_moving_clock(self.now), environ=self.environ, address=config.ledger
            )
            try:
                self._hold_or_help(folder, incident, document)
            except BaseException:
                self.__exit__(None, None, None)
                raise
        else:
            self._lock = incident_lock(
                folder,
                incident.id,
                self.lock_timeout,
                lambda: self._ask_to_take_over(folder, incident, document),
            )
            try:
                self._lock.__enter__()
            except Busy:
                self._lock = None
                self._withdraw(folder, incident.id)
                raise
        try:
            ledger_path = folder / LEDGER_FILE
            ledger_was_there = shared or (ledger_path.is_file() and ledger_path.stat().st_size > 0)
            if self.ledger is None:
                self.ledger = Ledger(folder, clock=_moving_clock(self.now), environ=self.environ)
            with ledger_errors(self.ledger.path):
                self._withdraw(folder, incident.id)
                self.uncertain_found = self.ledger.mark_uncertain(incident.id)
                if not self.continue_incident:
                    problem = continuity_problem(
                        self.ledger, incident, self.incident_path, document, self.now
                    )
                    if problem is not None:
                        raise InputError([problem])
                else:
                    self._adopt_file(incident)
                # A helper leaves receipts, retries and fallbacks to the run holding the
                # incident: it only sends the version's deliveries with it.
                self.receipts = (
                    None
                    if self.helping
                    else reconcile(
                        self.ledger,
                        config,
                        incident.id,
                        self.environ,
                        limit=RUN_CAP,
                        budget=RUN_BUDGET_SECONDS,
                    )
                )
                channels = (
                    [c for c in self.only if c in config.channels]
                    if self.only
                    else list(config.channels)
                )
                self._config = config
                # A channel whose secrets this host lacks does not hold back the others: it is
                # left out of this run (and of what it counts as missing from the version),
                # named first, and the run exits 1; a later run with them set sends it there.
                self.unavailable = self._unavailable(config)
                channels = [c for c in channels if c not in self.unavailable]
                self._previous_wording = last_wording(self.ledger, incident.id)
                self._corrected = corrected_wording(self.ledger, incident.id)
                if not self.helping:
                    self._reopen(incident, channels, config)
                self.decision = decide(
                    self.ledger,
                    incident,
                    channels,
                    self.now,
                    retrying=self.retry_transient,
                    config=config,
                )
                if self.helping and self.decision.action in ("new", "reminder"):
                    # Only the run holding the incident records a version: two hosts would
                    # otherwise both send the same reminder.
                    raise Busy(
                        f"{self.held_by} holds {incident.id} and decides what is said next "
                        f"({self.decision.reason}); nothing was sent by this run"
                    )
                if self.ledger.latest_version(incident.id) is None:
                    if self.decision.action == "new":
                        self._check_other_ledger(incident, document)
                    self._check_not_lost(
                        folder, config, incident, lock_was_there and not ledger_was_there
                    )
                else:
                    self._check_still_ours(incident, document)
                approved_plan = None
                if self._under_approval(config, incident):
                    # Before anything is handed out (follow-ups included): the texts this run
                    # would send are the approved bytes, and the sender is not the approver.
                    approved_plan = self._approved_plan(config, incident, document)
                if self.decision.action in ("continue", "nothing") and not self.helping:
                    # The latest version stays the one handed out: follow it through. (A newer
                    # version or a reminder makes it old: nobody is called with old words.)
                    self.follow_up(incident.id)
            if approved_plan is not None:
                self.plan = approved_plan
            elif self.decision.action != "nothing":
                plan = self._prepare(
                    self.decision.now,
                    self.decision.reminder,
                    self.decision.previous_update_at,
                    self.decision.occasions,
                )
                if self.decision.action == "continue" and self.decision.version is not None:
                    plan = recorded_plan(plan, self.ledger.recorded_texts(self.decision.version.id))
                self.plan = plan
            with ledger_errors(self.ledger.path):
                self.uncertain_ahead = self._uncertain_ahead(incident.id, config)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _adopt_file(self, incident: Incident) -> None:
        """``--continue-incident``: this file speaks for the incident from now on, recorded at
        once, so a run that has nothing new to send still moves it (cron then runs the file
        where it now lies, instead of refusing it as a copy for ever)."""
        assert self.ledger is not None
        latest = self.ledger.latest_version(incident.id)
        here = str(self.incident_path.resolve())
        if latest is not None and latest.source_path != here:
            self.ledger.move_source(latest.id, here)

    def _uncertain_ahead(self, incident_id: str, config: Config) -> dict[str, tuple[int, str]]:
        """What this run does with each channel's uncertain deliveries (see the field)."""
        assert self.ledger is not None and self.decision is not None
        latest = self.ledger.latest_version(incident_id)
        if latest is None:
            return {}
        counts = Counter(d.channel for d in self.ledger.deliveries(latest.id, states=(UNCERTAIN,)))
        version = self.decision.version
        continued = (
            self.decision.action == "continue" and version is not None and version.id == latest.id
        )
        planned = {c.name for c in self.plan.channels} if self.plan is not None else set()
        # (With nothing new to say, the follow-up has already looked up what it could: those
        # left are held.)
        ahead: dict[str, tuple[int, str]] = {}
        for channel, count in counts.items():
            kind = (
                adapter_class(config.channels[channel].type) if channel in config.channels else None
            )
            if not continued or channel not in planned or kind is None or not kind.can_look_up:
                ahead[channel] = (count, "hold")
            else:
                ahead[channel] = (count, "look up" if kind.finds_own else "look up calls")
        return ahead

    def _hold_or_help(self, folder: Path, incident: Incident, document: YamlDocument) -> None:
        """On a shared ledger: hold the incident, or help the live run on another host that
        holds it when it sends this very version; a standby (tick) only waits for it.

        Gives up with ``Busy`` (naming the host) after ``lock_timeout``. A host killed mid-send
        renews nothing, so its lease ends and another host's run holds the incident.
        """
        assert self.ledger is not None
        digest = content_hash(incident)
        deadline = time.monotonic() + self.lock_timeout
        asked = False
        while True:
            with ledger_errors(self.ledger.path):
                if self.standby:
                    self._stand_by(incident)
                held = self.ledger.hold_incident(incident.id)
                if held is None:
                    return
                self.held_by = held[0]
                latest = self.ledger.latest_version(incident.id)
            if not self.standby and latest is not None and latest.content_hash == digest:
                self.helping = True
                return
            if not asked:
                asked = True
                self._ask_to_take_over(folder, incident, document)
            if time.monotonic() >= deadline:
                raise Busy(
                    f"{held[0]} holds {incident.id} (its lease runs {held[1]:.0f} s more, "
                    f"renewed while it is alive); nothing was sent by this run. If that host "
                    f"is down, a run here takes over within {self.ledger.lease_seconds:g} s."
                )
            time.sleep(TAKEOVER_POLL)

    def _stand_by(self, incident: Incident) -> None:
        """A cron run (tick) on a shared ledger: this host becomes, or stays, the incident's
        primary; while another host is (its lease outlives each of its runs by the cron
        interval), this one stands by with ``Busy`` naming it, even between its runs."""
        assert self.ledger is not None
        primary = self.ledger.hold_primary(incident.id)
        if primary is None:
            return
        host, until = primary
        raise Busy(
            f"{host} holds {incident.id} as its primary host (its lease ends at "
            f"{until.astimezone(incident.zone):%H:%M:%S}, renewed by each of its cron runs); "
            "this host stands by and sent nothing. If that host stops running, a cron run "
            "here takes over once the lease has ended, or as soon as a run of it dies "
            f"mid-send (within {self.ledger.lease_seconds:g} s)."
        )

    def _ask_to_take_over(self, folder: Path, incident: Incident, document: YamlDocument) -> None:
        """Another run holds the lock: if this file is a newer version, ready to send, ask it
        to give way (it stops handing out its version) instead of waiting for its end."""
        if self.retry_transient:
            return  # a retry re-sends what was recorded; it has nothing newer to say
        # Asking is a courtesy: a ledger still being created by the run holding the lock (both
        # started at once) just means waiting for that run, as before.
        with suppress(sqlite3.Error, LedgerFault):
            self._request_takeover(folder, incident, document)

    def _request_takeover(self, folder: Path, incident: Incident, document: YamlDocument) -> None:
        ledger = self.ledger or Ledger(folder, environ=self.environ, address=self._address)
        try:
            digest = content_hash(incident)
            latest = ledger.latest_version(incident.id, UPDATE)
            if latest is None or latest.content_hash == digest:
                return
            if not self.continue_incident and continuity_problem(
                ledger, incident, self.incident_path, document, self.now
            ):
                return
            if not self._prepare(self.now).ok:
                return  # a broken draft stops no one: its own run reports it
            ledger.request_takeover(incident.id, digest, self.lock_timeout)
            self._asked = digest
        finally:
            if ledger is not self.ledger:
                ledger.close()

    def _withdraw(self, folder: Path, incident_id: str) -> None:
        """The takeover this run asked for is answered (or given up): nobody else must yield."""
        if self._asked is None:
            return
        if self.ledger is not None:
            self.ledger.clear_takeover(incident_id, self._asked)
        else:
            ledger = Ledger(folder, environ=self.environ, address=self._address)
            try:
                ledger.clear_takeover(incident_id, self._asked)
            finally:
                ledger.close()
        self._asked = None

    def _check_not_lost(
        self, folder: Path, config: Config, incident: Incident, earlier_lock: bool
    ) -> None:
        """Refuse to send "for the first time" what traces outside the ledger say was sent."""
        assert self.ledger is not None and self.decision is not None
        traces = traces_of_sending(
            folder,
            config,
            incident.id,
            earlier_lock,
            ledger_identity(self.ledger),
            self.environ,
        )
        if not traces:
            return
        if not self.ledger_lost:
            raise LedgerLost(
                f"the ledger {self.ledger.path} has no record of {incident.id}, yet it was sent "
                f"before: {'; '.join(traces)}. The ledger was lost or replaced, so broadcast "
                "cannot tell who already got which message, and this run would send everyone "
                "the current version again. Restore the ledger from your backup; or, to send "
                "everyone the current version again on purpose, run the same command with "
                "--ledger-lost."
            )
        self.decision = replace(
            self.decision,
            reason=(
                f"the ledger has no record of {incident.id}, which was sent before "
                f"({'; '.join(traces)}); as --ledger-lost asks, everyone gets the current "
                "version again"
            ),
        )

    def _check_other_ledger(self, incident: Incident, document: YamlDocument) -> None:
        """Refuse a first version of an incident that another ledger of this machine sent:
        run from another folder (or ``--state``), this ledger would send everyone every
        channel again (a new X thread, a new Page post) as "the first message"."""
        assert self.ledger is not None and self.decision is not None
        mine = ledger_identity(self.ledger)
        known = senders(incident.id, self.environ)
        current = owner(known)
        if current is None or any(s.ledger == mine for s in known):
            return  # never sent here, or sent by this very ledger (then: was it lost?)
        first = known[0]
        said = (
            f"{incident.id} was first sent from this machine at {first.first_sent_at} by "
            f"another ledger, {first.ledger}, from the folder {first.folder} (file "
            f"{first.incident_file})"
        )
        if current is not first:
            said += f", and {current.ledger}, from the folder {current.folder}, sends it now"
        if self.other_ledger or self.ledger_lost:
            # --ledger-lost says the same: everyone gets the current version again, from here.
            self._taking_over = True
            flag = "--other-ledger" if self.other_ledger else "--ledger-lost"
            self.decision = replace(
                self.decision,
                reason=f"{said}; as {flag} asks, this ledger takes it over and everyone gets "
                "the current version from it",
            )
            return
        raise InputError(
            [
                Problem(
                    f"{said}. This run's ledger, {mine}, has no record of it, so it would "
                    "send everyone the current version again on every channel as its first "
                    f"message; nothing was sent. Run it from {current.folder} (where its ledger "
                    "knows who got what); or, if this ledger really takes the incident over, "
                    "run send again with --other-ledger",
                    self.incident_path,
                    document.line_of(("id",)),
                    "id",
                )
            ]
        )

    def _check_still_ours(self, incident: Incident, document: YamlDocument) -> None:
        """A ledger that holds the incident still sends it, unless another ledger of this
        machine took it over since (``--other-ledger``): then this one's runs (an old
        folder's cron line) would send everyone its reminders and updates a second time."""
        assert self.ledger is not None
        mine = ledger_identity(self.ledger)
        known = senders(incident.id, self.environ)
        if not any(s.ledger == mine for s in known):
            # A ledger that sent it before the registry existed is recorded now; failing to
            # is no reason to stop a run that has nothing new to send.
            with suppress(OSError):
                self._register(incident, self.ledger.versions(incident.id)[0].created_at)
            return
        current = owner(known)
        if current is None or current.ledger == mine:
            return
        if self.other_ledger:
            self._taking_over = True
            try:
                self._register(incident, took_over=True)
            except OSError as exc:
                raise registry_fault(exc, self.environ) from exc
            return
        raise InputError(
            [
                Problem(
                    f"{incident.id} was taken over at {current.first_sent_at} by another "
                    f"ledger of this machine, {current.ledger}, from the folder "
                    f"{current.folder}; this ledger ({mine}) no longer sends it, or everyone "
                    "would get its updates and reminders twice; nothing was sent. Run it from "
                    f"{current.folder} (and remove this folder's cron line); or, to take it "
                    "back here, run send again with --other-ledger",
                    self.incident_path,
                    document.line_of(("id",)),
                    "id",
                )
            ]
        )

    def _register(
        self, incident: Incident, first_sent: datetime | None = None, took_over: bool = False
    ) -> None:
        """Record in the machine's registry that this ledger sends this incident (first
        sent now, or at ``first_sent``), taking it over from another ledger if so."""
        assert self.ledger is not None and self.decision is not None
        first_sent = first_sent or self.decision.now
        record_sender(
            incident.id,
            Sender(
                ledger=ledger_identity(self.ledger),
                folder=str(self.config_path.resolve().parent),
                incident_file=str(self.incident_path.resolve()),
                first_sent_at=f"{first_sent.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
                took_over=took_over,
            ),
            self.environ,
        )

    def __exit__(self, *exc: object) -> None:
        if self.ledger is not None:
            self.ledger.close()
            self.ledger = None
        if self._lock is not None:
            self._lock.__exit__(None, None, None)
            self._lock = None

    def follow_up(self, incident_id: str, calls: bool = True) -> None:
        """Call outcomes, unanswered calls placed again, fallbacks: see delivery.fallback."""
        from broadcast.delivery.fallback import FollowUp, follow_up

        assert self.ledger is not None and self._config is not None
        done = follow_up(self.ledger, self._config, incident_id, self.now, self.environ, calls)
        if self.followed is None:
            self.followed = FollowUp()
        self.followed.merge(done)

    def left_out(self) -> list[str]:
        """After a send limited by ``--channel``: the channels this version has not gone to,
        which the next run without it (cron's tick) sends it to. Empty otherwise."""
        if not self.only or self.ledger is None or self._config is None or self.plan is None:
            return []
        incident = self.plan.incident
        if incident is None:
            return []
        with ledger_errors(self.ledger.path):
            return channels_left(self.ledger, incident, self._config)

    def _only(self) -> list[str]:
        """The chosen channels and the channels they fall back to (their texts are recorded
        with the version, so a fallback says the same), less those this host cannot send on."""
        chosen = list(self.only)
        if self._config is None:
            return chosen
        if self.unavailable:
            chosen = [c for c in chosen or self._config.channels if c not in self.unavailable]
        if not chosen:
            return chosen
        for name in list(chosen):
            target = self._config.fallback_of(name) if name in self._config.channels else None
            if target is not None and target not in chosen and target not in self.unavailable:
                chosen.append(target)
        return chosen

    def _unavailable(self, config: Config) -> dict[str, list[Problem]]:
        """The channels of this run whose credentials are not in the environment, each with
        a problem per missing variable. When none could send, none is set apart: the plan
        then reports them as errors and nothing is sent, as for any input that cannot go."""
        candidates = self._only() or list(config.channels)
        missing = {}
        for name in candidates:
            if name in config.channels:
                _, problems = resolve_credentials(config, name, self.environ)
                if problems:
                    missing[name] = problems
        if len(missing) == len(candidates):
            self.none_ready = list(missing)
            return {}
        return missing

    def missing_variables(self) -> list[str]:
        """The environment variables the unavailable channels (or, when none could send,
        all of them) wait for, each once."""
        assert self._config is not None or not (self.unavailable or self.none_ready)
        found: list[str] = []
        for name in self.unavailable or self.none_ready:
            for ref in self._config.channels[name].credential_refs().values():
                for variable in _ENV_REF.findall(ref):
                    if not self.environ.get(variable) and variable not in found:
                        found.append(variable)
        return found

    def _under_approval(self, config: Config, incident: Incident) -> bool:
        """Whether what this run hands out must be approved texts: a new version or a
        reminder that channels.yaml asks approval for, or (the rest of) a version that went
        out under an approval."""
        assert self.decision is not None
        if self.decision.action == "nothing":
            return False
        # The rest of a version already recorded passed this check when it was recorded.
        history = self.ledger if self.decision.action != "continue" else None
        if approval_needed(config, incident, history):
            return True
        version = self.decision.version
        return self.decision.action == "continue" and bool(version and version.approval_id)

    def _approved_plan(self, config: Config, incident: Incident, document: YamlDocument) -> Plan:
        """The plan this run sends, rendered at the moment its approval's texts speak for and
        compared text by text with them; ``InputError`` (exit 2, nothing sent) when no
        approval covers every text, or the sender cannot send under it."""
        assert self.ledger is not None and self.decision is not None
        decision = self.decision
        sender = person(self.sender, self.environ)
        line = document.line_of(("id",))
        latest_update = self.ledger.latest_version(incident.id, UPDATE)
        anchor: datetime | None = None
        reminder_at: datetime | None = None
        only: int | None = None
        if decision.action == "reminder":
            assert latest_update is not None
            anchor = latest_update.created_at
            latest = self.ledger.latest_version(incident.id)
            due = reminder_moment(incident, anchor, self.now)
            # Its due moment in the chain the approval followed, not cron's hour: the texts
            # (updated at, next promise, an eta passed) are then the ones the approver saw.
            reminder_at = (
                due
                if due is not None and latest is not None and due > latest.created_at
                else decision.now
            )
        elif decision.action == "continue":
            version = decision.version
            assert version is not None and latest_update is not None
            only = version.approval_id
            if version.kind == REMINDER:
                anchor, reminder_at = latest_update.created_at, version.created_at
            else:
                anchor = version.created_at
        found, reasons = candidates(
            self.ledger,
            incident.id,
            config,
            sender,
            mode_of(incident),
            self.incident_path,
            anchor=anchor,
            reminder_at=reminder_at,
            now=self.now,
            only=only,
            zone=incident.zone,
        )
        for candidate in found:
            moment = reminder_at or anchor or candidate.manifest.anchor
            # A version continued keeps its texts (fixed at its first attempt); a new one, or
            # a reminder, does not announce as to come a time that has passed.
            passed = passed_promises(incident, moment, self.now)
            if decision.action in ("new", "reminder") and passed:
                reasons.append(passed_reason(candidate, moment, passed, incident))
                continue
            plan = self._prepare(
                moment, decision.reminder, decision.previous_update_at, decision.occasions
            )
            if decision.action == "continue" and decision.version is not None:
                plan = recorded_plan(plan, self.ledger.recorded_texts(decision.version.id))
            if not plan.ok:
                return plan  # its problems are shown; nothing is sent
            section = candidate.section(reminder_at) or {}
            drop_unapproved_unseen(plan, section)
            changed = differences(plan, section)
            if changed:
                reasons.append(changed_reason(candidate, changed, incident.zone))
                continue
            self.sender_signature = check_sender(
                candidate, config, incident.id, sender, self.signing_key, self.incident_path, line
            )
            self.approval = candidate.approval
            if decision.action in ("new", "reminder"):
                self.decision = replace(decision, now=moment)
            return plan
        held = held_reason(config, incident, self.ledger)
        if held is not None:
            reasons.insert(0, held)
        raise refusal(reasons, sender, self.incident_path, mode_of(incident), line)

    def _prepare(
        self,
        now: datetime,
        reminder: bool = False,
        previous: datetime | None = None,
        occasions: frozenset[str] | None = None,
    ) -> Plan:
        return prepare(
            self.incident_path,
            self.config_path,
            now=now,
            only=self._only(),
            check_credentials=True,
            environ=self.environ,
            reminder=reminder,
            previous_update_at=previous,
            occasions=occasions,
            exercise=self.exercise,
            head_only=self.stream_recipients,
            strict=self.strict,
            # A retry re-sends the recorded version, whatever the file says now.
            previous_wording=None if self.retry_transient else self._previous_wording,
            loaded=self._loaded,
            state_dir=self.state_dir,
            corrected=lambda _config, _incident: self._corrected,
        )

    def _reopen(self, incident: Incident, channels: list[str], config: Config) -> None:
        """``--resend-uncertain`` and ``retry``: put those deliveries back in the queue.

        An uncertain delivery on a channel that can find its own (SMS, by its body) stays
        uncertain: the dispatcher asks the provider about it and sends it only if it did not
        go out. On one whose lookup can only prove that nothing went out (a call), the
        person asking to resend is the only one who can decide: it is sent again.
        """
        assert self.ledger is not None
        if not (self.resend_uncertain or self.retry_transient):
            return
        blind = [
            c
            for c in channels
            if self.resend_uncertain and (c not in config.channels or not _finds_own(config, c))
        ]
        for version in self.ledger.versions(incident.id)[-1:]:
            self.reopened = 0
            if blind:
                self.reopened += self.ledger.reopen(version.id, (UNCERTAIN,), blind)
            if self.retry_transient:
                self.reopened += self.ledger.reopen(version.id, (FAILED_TRANSIENT,), channels)
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
        with ledger_errors(self.ledger.path):
            version, extra = self._record()
        stop = stop or threading.Event()
        sending = threading.Event()
        watcher = threading.Thread(
            target=self._watch_for_takeover,
            args=(incident.id, version.content_hash, stop, sending),
            name="takeover-watch",
            daemon=True,
        )
        watcher.start()
        self.dispatched = True
        try:
            outcomes = Dispatcher(
                self.plan,
                environ=self.environ,
                on_event=on_event,
                stop=stop,
                ledger=self.ledger,
                version_id=version.id,
                extra_facts=extra,
            ).run()
        finally:
            sending.set()
            watcher.join()
        streamed = {o.name: o.count for o in outcomes if o.count is not None}
        for channel in self.plan.channels:
            if channel.name in streamed:
                channel.settle_recipients(streamed[channel.name])
        if self.superseded:
            for outcome in outcomes:
                outcome.stopped, outcome.superseded = False, True
        elif not any(o.stopped or o.problems for o in outcomes):
            with ledger_errors(self.ledger.path):
                # Shared: the run that finishes last marks it; deliveries a killed host had
                # taken keep it open until a later run sends them.
                if not self.ledger.shared or self.ledger.unfinished(version.id) == 0:
                    self.ledger.mark_complete(version.id)
        if not self.superseded and not stop.is_set() and not self.helping:
            # Refusals known at once (21614, a landline) fall back in this same run; not after
            # Ctrl-C, which means "hand out nothing new".
            with ledger_errors(self.ledger.path):
                self.follow_up(incident.id, calls=False)
            stood_in = self.followed.stood_in if self.followed is not None else []
            for outcome in outcomes:
                reached = {
                    address: kind for source, address, _, kind in stood_in if source == outcome.name
                }
                if reached:
                    outcome.stood_in(reached)
        return outcomes

    def _record(self) -> tuple[Version, dict[str, dict[str, Any]]]:
        """The version this run delivers, recorded; and per channel, the facts it carries
        (recorded ones when it continues a version, X's post to reply to)."""
        from broadcast.delivery.dispatch import outgoing_for

        assert self.plan is not None and self.decision is not None
        assert self.ledger is not None and self.plan.incident is not None
        incident = self.plan.incident
        channels = [c.name for c in self.plan.channels]
        version = self.decision.version
        recorded_facts: dict[str, dict[str, Any]] = {}
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
                        **(thread_parts(c.measures) if parts is c.parts else {}),
                    }.items()
                ]
                + [
                    (
                        c.name,
                        c.locale,
                        FACTS_PART,
                        json.dumps(outgoing_for(self.plan, c).facts, ensure_ascii=False),
                    )
                    for c in self.plan.channels
                ]
                + [
                    (
                        WORDING_CHANNEL,
                        "",
                        WORDING_PART,
                        json.dumps(wording_snapshot(incident), ensure_ascii=False),
                    )
                ],
                source_path=str(self.incident_path.resolve()),
                approval_id=self.approval.id if self.approval is not None else None,
                sent_by=person(self.sender, self.environ),
                exercise=incident.exercise,
                sender_signature=self.sender_signature,
            )
        else:
            assert version is not None
            version = self.ledger.extend_channels(version.id, channels)
            # Who sends the rest, and under their signature when approval asks for one.
            self.ledger.add_continuation(
                version.id, person(self.sender, self.environ), self.sender_signature
            )
            recorded_facts = recorded_facts_of(self.ledger.recorded_texts(version.id))
        extra: dict[str, dict[str, Any]] = {
            c.name: {**recorded_facts.get(c.name, {})} for c in self.plan.channels
        }
        for c in self.plan.channels:
            if c.type == "twitter":
                tail = self.ledger.last_provider_id(incident.id, c.name)
                if tail is not None:
                    extra[c.name]["reply_to"] = tail.rsplit(",", 1)[-1]
            elif c.type == "facebook":
                # Every update is a comment on the first post: the story stays in one place.
                root = self.ledger.last_provider_id(incident.id, c.name, oldest=True)
                if root is not None:
                    extra[c.name]["reply_to"] = root
        write_marker(self.ledger.folder, incident.id, self.decision.now)
        try:
            self._register(incident, took_over=self._taking_over)
        except OSError as exc:
            raise registry_fault(exc, self.environ) from exc
        return version, extra

    def _watch_for_takeover(
        self, incident_id: str, own_hash: str, stop: threading.Event, done: threading.Event
    ) -> None:
        """Between deliveries: a newer version waiting for the lock makes this run give way."""
        assert self.ledger is not None
        while not done.wait(TAKEOVER_POLL):
            try:
                newer = self.ledger.takeover_requested(incident_id)
            except (sqlite3.Error, LedgerFault):
                return  # the ledger's fault: the deliveries meet it too, and report it
            if newer is not None and newer != own_hash:
                self.superseded = True
                stop.set()
                return


def _finds_own(config: Config, channel: str) -> bool:
    """Whether ``channel``'s provider can tell whether a delivery of its went out."""
    kind = adapter_class(config.channels[channel].type)
    return kind.can_look_up and kind.finds_own


def _moving_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at the run's ``now`` (pinned or real) and moves with real time."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)
