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

``SendRun`` runs these steps; each lives where it is told: ``decision`` (what to say),
``continuity`` (which file and ledger may say it), ``takeover`` and ``incident_lock`` (who
holds the incident), ``approved_plan`` (the approved bytes), ``uncertain`` and
``available`` (what this run can send), ``recorded`` (what the ledger keeps of a version),
``dispatch`` (the sending itself).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from broadcast.delivery.approved_plan import approved_plan, under_approval
from broadcast.delivery.available import missing_variables, unavailable_channels, with_fallbacks
from broadcast.delivery.continuity import (
    LedgerLost,
    check_ownership,
    continuity_problem,
    register_sender,
    registry_fault,
    write_marker,
)
from broadcast.delivery.decision import Decision, channels_left, content_hash, decide
from broadcast.delivery.dry_run import peek
from broadcast.delivery.incident_lock import Busy
from broadcast.delivery.kept_wording import corrected_wording
from broadcast.delivery.people import person
from broadcast.delivery.plan import Plan
from broadcast.delivery.preflight import prepare
from broadcast.delivery.receipts import RUN_BUDGET_SECONDS, RUN_CAP, Reconciliation, reconcile
from broadcast.delivery.recorded import (
    last_wording,
    peek_wording,
    record_version,
    recorded_plan,
    wording_in_ledger,
)
from broadcast.delivery.takeover import IncidentHold, hold_or_help, watching_for_takeover
from broadcast.delivery.tick_folder import incident_files, shared_ids
from broadcast.delivery.to_approve import ToApprove, plans_to_approve
from broadcast.delivery.uncertain import reopen, uncertain_ahead
from broadcast.input.config import Config, load_config
from broadcast.input.incident import Incident, load_incident
from broadcast.input.yamlfile import YamlDocument
from broadcast.ledger.location import LEDGER_FILE, state_folder
from broadcast.ledger.postgres import URL_ENV as LEDGER_ENV
from broadcast.ledger.sqlite import (
    Ledger,
    Version,
    ledger_errors,
)
from broadcast.problems import InputError, Problem

# What callers know this module by: the run, and the look-ups a command makes around it.
__all__ = [
    "Busy",
    "Decision",
    "LedgerLost",
    "SendRun",
    "ToApprove",
    "channels_left",
    "content_hash",
    "incident_files",
    "peek",
    "peek_wording",
    "plans_to_approve",
    "shared_ids",
    "wording_in_ledger",
]


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
    # The sender's reason to send despite the wording errors (``--accept-wording``), recorded
    # with the version; without one, the reason given for a version of these very words.
    accept_wording: str | None = None

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
    # The lock file or the lease this run holds the incident by, and the takeover it asked.
    _hold: IncidentHold | None = None
    _config: Any = None
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
        self._hold = IncidentHold(folder, self.environ, config.ledger)
        shared = bool(config.ledger or self.environ.get(LEDGER_ENV))
        lock_was_there = (folder / "locks" / f"{incident.id}.lock").is_file()
        self._take_incident(folder, incident, document, shared)
        try:
            ledger_path = folder / LEDGER_FILE
            ledger_was_there = shared or (ledger_path.is_file() and ledger_path.stat().st_size > 0)
            if self.ledger is None:
                self.ledger = Ledger(folder, clock=_moving_clock(self.now), environ=self.environ)
            with ledger_errors(self.ledger.path):
                approved = self._decide(
                    folder, config, incident, document, lock_was_there and not ledger_was_there
                )
            assert self.decision is not None
            if approved is not None:
                self.plan = approved
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
                self.uncertain_ahead = uncertain_ahead(
                    self.ledger, incident.id, config, self.decision, self.plan
                )
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _take_incident(
        self, folder: Path, incident: Incident, document: YamlDocument, shared: bool
    ) -> None:
        """This run's hold on the incident: its lock file, or on a shared ledger its lease
        there (or helping the run on another host that holds it: ``takeover.hold_or_help``)."""
        assert self._hold is not None
        ask = partial(self._ask_to_take_over, incident, document)
        if not shared:
            self._hold.lock_file(incident.id, self.lock_timeout, ask)
            return
        # Hosts share the ledger: the incident's lease there stands for the lock file.
        self.ledger = Ledger(
            folder, clock=_moving_clock(self.now), environ=self.environ, address=self._hold.address
        )
        try:
            self.helping = hold_or_help(
                self.ledger, incident, self.standby, self.lock_timeout, ask, self._held_by
            )
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def _held_by(self, host: str) -> None:
        self.held_by = host

    def _decide(
        self,
        folder: Path,
        config: Config,
        incident: Incident,
        document: YamlDocument,
        earlier_lock: bool,
    ) -> Plan | None:
        """With the incident held: settle what earlier runs left, decide what this run says
        (``decision``), check this file and ledger may say it; the approved plan when it goes
        out under approval."""
        assert self.ledger is not None
        assert self._hold is not None
        self._hold.withdraw(self.ledger, incident.id)
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
            [c for c in self.only if c in config.channels] if self.only else list(config.channels)
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
        self._check_ownership(folder, config, incident, document, earlier_lock)
        approved = None
        if under_approval(self.ledger, config, incident, self.decision):
            # Before anything is handed out (follow-ups included): the texts this run
            # would send are the approved bytes, and the sender is not the approver.
            approved = self._approved(config, incident, document)
        if self.decision.action in ("continue", "nothing") and not self.helping:
            # The latest version stays the one handed out: follow it through. (A newer
            # version or a reminder makes it old: nobody is called with old words.)
            self.follow_up(incident.id)
        return approved

    def _check_ownership(
        self,
        folder: Path,
        config: Config,
        incident: Incident,
        document: YamlDocument,
        earlier_lock: bool,
    ) -> None:
        """This ledger may speak for the incident (see ``continuity.check_ownership``)."""
        assert self.ledger is not None and self.decision is not None
        taking_over, reason = check_ownership(
            self.ledger,
            folder,
            config,
            incident,
            document,
            earlier_lock,
            self.decision.action == "new",
            self.incident_path,
            self.environ,
            self.other_ledger,
            self.ledger_lost,
            partial(self._register, incident.id),
        )
        self._taking_over = self._taking_over or taking_over
        if reason is not None:
            self.decision = replace(self.decision, reason=reason)

    def _adopt_file(self, incident: Incident) -> None:
        """``--continue-incident``: this file speaks for the incident from now on, recorded at
        once, so a run that has nothing new to send still moves it (cron then runs the file
        where it now lies, instead of refusing it as a copy for ever)."""
        assert self.ledger is not None
        latest = self.ledger.latest_version(incident.id)
        here = str(self.incident_path.resolve())
        if latest is not None and latest.source_path != here:
            self.ledger.move_source(latest.id, here)

    def _ask_to_take_over(self, incident: Incident, document: YamlDocument) -> None:
        """Another run holds the incident: if this file is a newer version, ready to send, ask
        it to give way (it stops handing out its version) instead of waiting for its end."""
        if self.retry_transient:
            return  # a retry re-sends what was recorded; it has nothing newer to say
        assert self._hold is not None
        self._hold.ask(
            self.ledger,
            incident,
            document,
            self.incident_path,
            self.now,
            self.continue_incident,
            self.lock_timeout,
            lambda: self._prepare(self.now).ok,
        )

    def _register(
        self, incident_id: str, first_sent: datetime | None = None, took_over: bool = False
    ) -> None:
        """Record in the machine's registry that this ledger sends this incident (first
        sent now, or at ``first_sent``), taking it over from another ledger if so."""
        assert self.ledger is not None and self.decision is not None
        register_sender(
            self.ledger,
            incident_id,
            self.config_path,
            self.incident_path,
            first_sent or self.decision.now,
            self.environ,
            took_over,
        )

    def __exit__(self, *exc: object) -> None:
        if self.ledger is not None:
            self.ledger.close()
            self.ledger = None
        if self._hold is not None:
            self._hold.release()

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
        """The chosen channels and those they fall back to, less those this host cannot
        send on (see ``available``)."""
        return with_fallbacks(self.only, self._config, self.unavailable)

    def _unavailable(self, config: Config) -> dict[str, list[Problem]]:
        """The channels of this run whose credentials are not in the environment (see
        ``available``); when none could send, they are ``none_ready`` instead."""
        missing, self.none_ready = unavailable_channels(
            config, self._only() or list(config.channels), self.environ
        )
        return missing

    def missing_variables(self) -> list[str]:
        """The environment variables the unavailable channels (or, when none could send,
        all of them) wait for, each once."""
        assert self._config is not None or not (self.unavailable or self.none_ready)
        return missing_variables(
            self._config, list(self.unavailable or self.none_ready), self.environ
        )

    def _approved(self, config: Config, incident: Incident, document: YamlDocument) -> Plan:
        """The plan this run sends under approval (see ``approved_plan``); ``InputError``
        (exit 2, nothing sent) when no approval covers every text, or the sender cannot send
        under it."""
        assert self.ledger is not None and self.decision is not None
        approved = approved_plan(
            self.ledger,
            config,
            incident,
            document,
            self.decision,
            self.now,
            self.sender,
            self.environ,
            self.signing_key,
            self.incident_path,
            self._prepare,
        )
        if approved.approval is not None:
            self.sender_signature = approved.sender_signature
            self.approval = approved.approval
        if approved.speaks_for is not None:
            self.decision = replace(self.decision, now=approved.speaks_for)
        return approved.plan

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
            accept_wording=self.accept_wording or self._accepted_before(),
            # A retry re-sends the texts recorded at their first attempt, judged then; the
            # file's wording now (perhaps a draft of the next version) is not what leaves.
            wording_blocks=not self.retry_transient,
            # The subscribers it will send to, counted from the ledger it holds, so that the
            # confirmation says their number, not "read when sending".
            subscribers=self._subscribers_now,
        )

    def _subscribers_now(self, config: Config) -> dict[str, list[tuple[str, str, str]]] | None:
        """The confirmed subscribers as the send will read them: none in a drill (they are
        the public); None without the ledger (the plan then says they are read when sending)."""
        if self.ledger is None:
            return None
        if self.exercise or (self._loaded is not None and self._loaded[1].exercise):
            return {"phone": [], "email": []}
        from broadcast.delivery.subscribers import held_subscribers

        with ledger_errors(self.ledger.path):
            return held_subscribers(self.ledger)

    def _accepted_before(self) -> str | None:
        """The reason a sender gave for a version of these very words (a reminder cron sends
        at night, a re-run, a retry): its wording errors were judged already."""
        if self.ledger is None or self._loaded is None:
            return None
        incident = self._loaded[1]
        with ledger_errors(self.ledger.path):
            given = self.ledger.override_for_words(incident.id, content_hash(incident))
        return given.reason if given is not None else None

    def _reopen(self, incident: Incident, channels: list[str], config: Config) -> None:
        """``--resend-uncertain`` and ``retry``: put those deliveries back in the queue."""
        assert self.ledger is not None
        reopened = reopen(
            self.ledger,
            incident.id,
            channels,
            config,
            self.resend_uncertain,
            self.retry_transient,
        )
        if reopened is not None:
            self.reopened = reopened

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
        with watching_for_takeover(
            self.ledger, incident.id, version.content_hash, stop, self._give_way
        ):
            self.dispatched = True
            outcomes = Dispatcher(
                self.plan,
                environ=self.environ,
                on_event=on_event,
                stop=stop,
                ledger=self.ledger,
                version_id=version.id,
                extra_facts=extra,
            ).run()
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
        assert self.plan is not None and self.decision is not None
        assert self.ledger is not None and self.plan.incident is not None
        incident = self.plan.incident
        version, extra = record_version(
            self.ledger,
            self.plan,
            self.decision,
            self.incident_path,
            self.approval.id if self.approval is not None else None,
            person(self.sender, self.environ),
            self.sender_signature,
        )
        if self.plan.accepted_wording:
            # Who let the wording errors out, why, when, and which: kept with the version.
            self.ledger.add_wording_override(
                version.id,
                incident.id,
                self.plan.accept_wording or "",
                person(self.sender, self.environ),
                [p.to_json() for p in self.plan.accepted_wording],
            )
        write_marker(self.ledger.folder, incident.id, self.decision.now)
        try:
            self._register(incident.id, took_over=self._taking_over)
        except OSError as exc:
            raise registry_fault(exc, self.environ) from exc
        return version, extra

    def _give_way(self) -> None:
        """A newer version asked for the incident: this run's deliveries stop, superseded."""
        self.superseded = True


def _moving_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at the run's ``now`` (pinned or real) and moves with real time."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)
