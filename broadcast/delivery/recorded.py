"""What the ledger keeps of a version besides its deliveries: the texts it said, the facts its
channels carried, and the wording the next version is compared with.

Finishing or retrying a version re-sends these recorded texts, never the file as it is now;
a correction quotes the wording recorded with the message it corrects.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcast.channels import channel_model
from broadcast.content.wording.against_last_sent import wording_snapshot
from broadcast.delivery.decision import Decision, content_hash
from broadcast.delivery.kept_wording import WORDING_CHANNEL, WORDING_PART
from broadcast.delivery.plan import ChannelPlan, Plan
from broadcast.input.config import Config, load_config
from broadcast.input.incident import Incident, load_incident
from broadcast.ledger.sqlite import REMINDER, UPDATE, Ledger, LedgerFault, Version, ledger_errors
from broadcast.problems import InputError

if TYPE_CHECKING:
    from broadcast.delivery.ledger_reading import LedgerReading

# The recorded facts of a version (the web banner's JSON and feed), beside its texts.
FACTS_PART = "_facts"
THREAD_PART = re.compile(r"post\d+")


def last_wording(ledger: Ledger, incident_id: str) -> dict[str, Any] | None:
    """The wording snapshot kept with the incident's last update (None before any, or for a
    version recorded before snapshots were kept)."""
    version = ledger.latest_version(incident_id, UPDATE)
    if version is None:
        return None
    recorded = ledger.recorded_texts(version.id).get(WORDING_CHANNEL, {})
    snapshot = recorded.get("", {}).get(WORDING_PART)
    return json.loads(snapshot) if snapshot else None


def peek_wording(
    incident_path: Path,
    config_path: Path,
    state_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """``last_wording`` for validate, preview and a dry run: no lock, nothing written, and
    nothing at all when there is no ledger yet or it cannot be read (the send says why)."""
    environ = dict(os.environ) if environ is None else environ
    try:
        config = load_config(config_path, environ)
        incident, _ = load_incident(incident_path, config.defaults.model_dump())
    except InputError:
        return None
    return wording_in_ledger(config, incident.id, state_dir, environ)


def wording_in_ledger(
    config: Config,
    incident_id: str,
    state_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    reading: LedgerReading | None = None,
) -> dict[str, Any] | None:
    """``peek_wording`` for a configuration and an incident already loaded; from ``reading``
    (the ledger a preview opened once for all it reads), else a reading of its own. A shared
    ledger (PostgreSQL) too: else a preview or a dry run would not see the last version sent
    there, and say "ready" to a send its wording checks then stop."""
    from broadcast.delivery.ledger_reading import LedgerReading

    own = reading is None
    reading = LedgerReading(state_dir, environ) if reading is None else reading
    try:
        ledger = reading.ledger(config)
        if ledger is None:
            return None
        with ledger_errors(ledger.path):
            return last_wording(ledger, incident_id)
    except (LedgerFault, sqlite3.Error, OSError, ValueError):
        return None
    finally:
        if own:
            reading.close()


def recorded_plan(plan: Plan, recorded: Mapping[str, Mapping[str, Mapping[str, str]]]) -> Plan:
    """The plan with each channel's texts as the ledger recorded them for the version.

    Channels the version has no texts for (added by this run) keep the fresh rendering.
    """
    return replace(
        plan, channels=[_recorded_channel(c, recorded.get(c.name)) for c in plan.channels]
    )


def _recorded_channel(
    channel: ChannelPlan, recorded: Mapping[str, Mapping[str, str]] | None
) -> ChannelPlan:
    if not recorded or channel.locale not in recorded:
        return channel
    variants = {
        locale: {
            part: text
            for part, text in parts.items()
            if part != FACTS_PART and not THREAD_PART.fullmatch(part)
        }
        for locale, parts in recorded.items()
    }
    main = variants[channel.locale]
    posts = recorded[channel.locale]
    thread = [posts[f"post{n}"] for n in range(1, len(posts) + 1) if f"post{n}" in posts]
    others = {locale: parts for locale, parts in variants.items() if locale != channel.locale}
    measures = dict(channel.measures)
    if thread or "thread" in measures:
        measures["thread"] = thread
    return replace(
        channel,
        parts=main,
        # The first variant is the channel's own language: the fallback for everyone else.
        variants={channel.locale: main, **others} if channel.variants else {},
        measures=measures,
    )


def recorded_facts_of(
    recorded: Mapping[str, Mapping[str, Mapping[str, str]]],
) -> dict[str, dict[str, Any]]:
    """channel → the facts recorded with the version (none for versions recorded before)."""
    out: dict[str, dict[str, Any]] = {}
    for channel, locales in recorded.items():
        for parts in locales.values():
            if FACTS_PART in parts:
                out[channel] = json.loads(parts[FACTS_PART])
    return out


def thread_parts(measures: Mapping[str, Any]) -> dict[str, str]:
    thread = measures.get("thread") or ()
    return {f"post{n}": post for n, post in enumerate(thread, start=1)} if len(thread) > 1 else {}


def version_texts(plan: Plan, incident: Incident) -> list[tuple[str, str, str, str]]:
    """What a new version records of itself: (channel, language, part, text) for every text
    of every channel, its thread's posts, the facts each channel carries (``FACTS_PART``) and
    the wording the next version is compared with (``WORDING_CHANNEL``)."""
    from broadcast.delivery.outgoing import outgoing_for

    return (
        [
            (c.name, language, part, text)
            for c in plan.channels
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
                json.dumps(outgoing_for(plan, c).facts, ensure_ascii=False),
            )
            for c in plan.channels
        ]
        + [
            (
                WORDING_CHANNEL,
                "",
                WORDING_PART,
                json.dumps(wording_snapshot(incident), ensure_ascii=False),
            )
        ]
    )


def carried_facts(
    ledger: Ledger,
    plan: Plan,
    incident_id: str,
    recorded_facts: Mapping[str, Mapping[str, Any]],
) -> dict[str, dict[str, Any]]:
    """Per channel, the facts its deliveries carry: those recorded with the version (when a
    run continues it), and the post a thread's next one replies to."""
    extra: dict[str, dict[str, Any]] = {
        c.name: {**recorded_facts.get(c.name, {})} for c in plan.channels
    }
    for c in plan.channels:
        replies_to = channel_model(c.type).REPLIES_TO
        if replies_to == "latest":  # a thread: the last post of the last version
            tail = ledger.last_provider_id(incident_id, c.name)
            if tail is not None:
                extra[c.name]["reply_to"] = tail.rsplit(",", 1)[-1]
        elif replies_to == "first":  # comments on the first post: the story in one place
            root = ledger.last_provider_id(incident_id, c.name, oldest=True)
            if root is not None:
                extra[c.name]["reply_to"] = root
    return extra


def record_version(
    ledger: Ledger,
    plan: Plan,
    decision: Decision,
    incident_path: Path,
    approval_id: int | None,
    sent_by: str,
    sender_signature: str | None,
) -> tuple[Version, dict[str, dict[str, Any]]]:
    """The version a run delivers, recorded (a new one with every text it says, or the rest
    of one, by whom and under which signature); and per channel, the facts it carries."""
    assert plan.incident is not None
    incident = plan.incident
    channels = [c.name for c in plan.channels]
    version = decision.version
    recorded_facts: dict[str, dict[str, Any]] = {}
    if decision.action in ("new", "reminder"):
        version = ledger.add_version(
            incident.id,
            content_hash(incident),
            REMINDER if decision.action == "reminder" else UPDATE,
            incident.status,
            decision.now,
            incident.next_update_at(decision.now),
            channels,
            version_texts(plan, incident),
            source_path=str(incident_path.resolve()),
            approval_id=approval_id,
            sent_by=sent_by,
            exercise=incident.exercise,
            sender_signature=sender_signature,
        )
    else:
        assert version is not None
        version = ledger.extend_channels(version.id, channels)
        # Who sends the rest, and under their signature when approval asks for one.
        ledger.add_continuation(version.id, sent_by, sender_signature)
        recorded_facts = recorded_facts_of(ledger.recorded_texts(version.id))
    return version, carried_facts(ledger, plan, incident.id, recorded_facts)
