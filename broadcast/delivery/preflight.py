"""Everything that must hold before the first message leaves: the plan of what each channel carries.

``prepare`` reads channels.yaml and the incident, renders every selected channel, measures the
result against the channel's limits and counts its recipients. It never stops at the first
problem: the plan carries them all, so ``validate`` can show everything at once, and a send goes
ahead only when the plan has no error.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from broadcast.channels.twitter import TWEET_LIMIT
from broadcast.delivery.channel_check import HEAD_ROWS, plan_channel
from broadcast.delivery.kept_wording import corrected_in_ledger
from broadcast.delivery.plan import MAX_ROW_PROBLEMS, ChannelPlan, Plan
from broadcast.delivery.planner import plan_deliveries
from broadcast.delivery.text_checks import check_rendered
from broadcast.delivery.wording_gate import gate
from broadcast.input.config import Config, load_config
from broadcast.input.error_words import language_of, say
from broadcast.input.incident import RENEWED_PROMISE, Incident, load_incident
from broadcast.input.incident_texts import CONFIG_TEXT_FIELDS, comment_problems
from broadcast.input.promise_checks import end_problems, promise_problems
from broadcast.input.yamlfile import YamlDocument
from broadcast.problems import InputError, Problem, in_language

# Named here too, where the code reading a plan has always found them.
__all__ = [
    "HEAD_ROWS",
    "MAX_ROW_PROBLEMS",
    "TWEET_LIMIT",
    "ChannelPlan",
    "Plan",
    "nothing_to_correct",
    "prepare",
]


def prepare(
    incident_path: Path,
    config_path: Path,
    now: datetime,
    only: Sequence[str] = (),
    check_recipients: bool = True,
    check_credentials: bool = False,
    environ: Mapping[str, str] = os.environ,
    reminder: bool = False,
    previous_update_at: datetime | None = None,
    strict: bool = False,
    occasions: frozenset[str] | Callable[[Config, Incident], frozenset[str] | None] | None = None,
    exercise: bool = False,
    head_only: bool = False,
    previous_wording: dict[str, Any]
    | Callable[[Config, Incident], dict[str, Any] | None]
    | None = None,
    loaded: tuple[Config, Incident, YamlDocument] | None = None,
    published: Mapping[str, list[dict[str, Any]]] | None = None,
    state_dir: Path | None = None,
    corrected: dict[str, Any] | Callable[[Config, Incident], dict[str, Any] | None] | None = None,
    accept_wording: str | None = None,
    wording_blocks: bool = True,
    subscribers: Mapping[str, list[tuple[str, str, str]]]
    | Callable[[Config], Mapping[str, list[tuple[str, str, str]]] | None]
    | None = None,
) -> Plan:
    """Build the plan. ``check_credentials`` is for real sends: a dry run needs no secrets.

    With ``reminder``, channels render their reminder templates ("still working on it").
    With ``strict``, the wording checks (jargon, long sentences...) and a passed ``eta`` are
    errors, not warnings. ``previous_wording`` is what the ledger kept of the last version sent
    (``wording.against_last_sent.wording_snapshot``): the wording checks compare with it; like
    ``occasions``, it may be a function of the configuration and the incident, once loaded.
    ``occasions`` says what this version is (new, update, reminder, resolved, cancelled):
    channels whose ``send_on`` or ``min_severity`` leave it out are listed in ``skipped``
    instead of planned. Without it (validate), every channel is planned. It may be a function
    of the configuration and the incident, once loaded (a preview asks the ledger, if any).
    With ``head_only`` (a send that streams its recipients), a recipients file is checked
    whole for what must hold before the first message (it exists, its columns, every byte
    UTF-8) but its rows only up to ``HEAD_ROWS``: the dispatcher checks the others as it
    sends, and a channel then speaks every language the incident is translated into, as
    readers further down may ask for any of them.
    ``loaded``: channels.yaml and the incident as the caller already read and validated them
    from these paths (a send, which decided from them what to do), not read a second time.
    ``published``: per web banner channel, updates its history will hold by ``now`` (an
    approval renders the reminders ahead); the status page's timeline lists them.
    A correction (``status: cancelled``) quotes what the message it corrects said:
    ``corrected`` (``sending.corrected_wording``, or a function of the configuration and the
    incident), else read from the ledger in ``state_dir`` (``--state``), the same for a
    preview, an approval and the send, so that the texts approved are the texts sent.
    ``accept_wording``: the sender's reason to send despite the wording errors (they then do
    not block, and are recorded with it); ``wording_blocks`` False for an approval, which
    shows them to the approver and leaves them to the sender (``wording_gate``).
    ``subscribers``: the confirmed subscribers' postcodes, languages and addresses by kind, as
    a preview reads them from the ledger (``delivery.subscribers.subscribers_in_ledger``, or a
    function of the configuration): the channels naming them count them, each person once.
    Without it they are read when sending.
    """
    plan = Plan(
        incident_path=incident_path,
        config_path=config_path,
        now=now,
        reminder=reminder,
        previous_update_at=previous_update_at,
        published={name: list(entries) for name, entries in (published or {}).items()},
        scheduler=plan_deliveries,
        accept_wording=accept_wording,
        wording_blocks=wording_blocks,
    )
    if loaded is not None:
        plan.config, plan.incident, incident_doc = loaded
    else:
        plan.config, plan.incident, incident_doc = _load(
            incident_path, config_path, environ, exercise, plan.problems
        )
    if plan.config is None or plan.incident is None or incident_doc is None:
        return plan

    if plan.incident.exercise:
        chosen = _exercise_channels(plan, only, environ)
        if chosen is None:
            return plan
        only = chosen
    selected = _select(plan.config, only, plan.problems)
    _check_incident(plan, incident_doc, now, strict, reminder, previous_wording)
    if callable(occasions):
        occasions = occasions(plan.config, plan.incident)
    if plan.incident.status == "cancelled":
        _settle_correction(plan, incident_doc, incident_path, corrected, state_dir, environ)
    _plan_channels(
        plan, selected, occasions, check_recipients, check_credentials, environ, head_only
    )
    plan.problems.extend(reply_problems(plan, incident_doc))
    if callable(subscribers):
        subscribers = (
            subscribers(plan.config) if any(c.subscribers for c in plan.channels) else None
        )
    if subscribers is not None:
        from broadcast.delivery.subscribers import count_subscribers

        count_subscribers(plan, subscribers)
    if plan.incident.area is not None:
        from broadcast.delivery.area_reach import plan_area, territory_problems

        plan.problems.extend(territory_problems(plan.incident, incident_doc, plan.config))
        plan.area = plan_area(plan.channels, plan.incident)
    _advise_on_time(plan)
    check_rendered(plan)  # what each channel really carries, once rendered
    gate(plan)
    _say_in_the_file_s_language(plan)
    return plan


def _say_in_the_file_s_language(plan: Plan) -> None:
    """Every problem of the incident file in the file's language, its place and kind too,
    whichever check found it (channels.yaml's and a recipients file's stay in English)."""
    assert plan.incident is not None
    language = language_of(plan.incident.locale)
    plan.problems = in_language(plan.problems, language, plan.incident_path)
    for channel in plan.channels:
        channel.problems = in_language(channel.problems, language, plan.incident_path)


def _plan_channels(
    plan: Plan,
    selected: Sequence[str],
    occasions: frozenset[str] | None,
    check_recipients: bool,
    check_credentials: bool,
    environ: Mapping[str, str],
    head_only: bool,
) -> None:
    """Plan each selected channel in turn, or list it as skipped when this version's
    occasion (``send_on``) or severity (``min_severity``) leaves it out."""
    assert plan.config is not None and plan.incident is not None
    for name in selected:
        if occasions is not None:
            reason = plan.config.channels[name].skip_reason(occasions, plan.incident.severity)
            if reason is not None:
                plan.skipped[name] = reason
                continue
        plan.channels.append(
            plan_channel(plan, name, check_recipients, check_credentials, environ, head_only)
        )


def _exercise_channels(
    plan: Plan, only: Sequence[str], environ: Mapping[str, str]
) -> Sequence[str] | None:
    """A drill: the configuration with its public channels taken out (each listed as
    skipped), and the channels asked for that remain; None when none remains to plan."""
    from broadcast.delivery.exercise import exercise_config

    assert plan.config is not None
    plan.config, drill_skips, drill_problems = exercise_config(plan.config, environ)
    plan.problems.extend(drill_problems)
    plan.skipped.update(
        (name, f"not in this exercise: {why}")
        for name, why in drill_skips.items()
        if not only or name in only
    )
    chosen = [name for name in only if name not in drill_skips]
    if (only and not chosen) or not plan.config.channels:
        return None
    return chosen


def _check_incident(
    plan: Plan,
    incident_doc: YamlDocument,
    now: datetime,
    strict: bool,
    reminder: bool,
    previous_wording: dict[str, Any] | Callable[[Config, Incident], dict[str, Any] | None] | None,
) -> None:
    """The incident's own problems, before any channel: its fields, its end, comments YAML
    swallowed, its promises and its wording (against the last version sent)."""
    assert plan.config is not None and plan.incident is not None
    plan.problems.extend(_incident_checks(plan.incident, incident_doc, now, strict))
    plan.problems.extend(end_problems(plan.incident, incident_doc, now))  # an end to come
    # A "#Mareuil" YAML took for a comment (see input.incident).
    language = language_of(plan.incident.locale)
    plan.problems.extend(comment_problems(incident_doc, language=language))
    plan.problems.extend(comment_problems(plan.config.doc, CONFIG_TEXT_FIELDS))
    if not reminder:
        # A "18h" that reads two ways, a time of day already passed (see input.incident). A
        # reminder keeps the promise its version made: the file's words were taken then.
        plan.problems.extend(promise_problems(plan.incident, incident_doc, now))
    if callable(previous_wording):
        previous_wording = previous_wording(plan.config, plan.incident)
    plan.problems.extend(
        _wording_checks(plan.incident, incident_doc, plan.config, strict, now, previous_wording)
    )


def reply_problems(plan: Plan, doc: YamlDocument) -> list[Problem]:
    """The incident's ``reply:`` (and each translation's) over an SMS channel's
    ``max_segments`` once set as the channel sends it: an error on its line, in the file's
    language, as for the SMS itself (serve answers with one TwiML ``<Message>``)."""
    from broadcast.channels.sms import REPLY_PART

    assert plan.config is not None and plan.incident is not None
    incident = plan.incident
    problems = []
    said = language_of(incident.locale)  # the file's: its problems are said in it
    for channel in plan.channels:
        limit = getattr(plan.config.channels[channel.name], "max_segments", None)
        if limit is None:
            continue
        measured = [(channel.parts, channel.measures)] + [
            (channel.variants[language], measures)
            for language, measures in channel.variant_measures.items()
        ]
        for parts, measures in measured:
            reply = measures.get("reply_measures")
            if REPLY_PART not in parts or not reply or reply["segments"] <= limit:
                continue
            language = next(
                (lang for lang, texts in channel.variants.items() if texts is parts),
                incident.language,
            )
            where = ("reply",) if language == incident.language else ("translations", language)
            location = (*where, "reply") if where[0] == "translations" else where
            problems.append(
                Problem(
                    say(
                        said,
                        "reply_too_long",
                        channel=channel.name,
                        segments=reply["segments"],
                        limit=limit,
                        encoding=reply["encoding"],
                    ),
                    doc.path,
                    doc.line_of(location),
                    ".".join(str(p) for p in location),
                    channel=channel.name,
                )
            )
    return problems


def _settle_correction(
    plan: Plan,
    incident_doc: YamlDocument,
    incident_path: Path,
    corrected: dict[str, Any] | Callable[[Config, Incident], dict[str, Any] | None] | None,
    state_dir: Path | None,
    environ: Mapping[str, str],
) -> None:
    """What a correction quotes of the message it corrects, into ``plan.corrected``; a
    problem when the ledger holds no message to correct."""
    assert plan.config is not None and plan.incident is not None
    if callable(corrected):
        corrected = corrected(plan.config, plan.incident)
    elif corrected is None:
        corrected = corrected_in_ledger(plan.config, plan.incident.id, state_dir, environ)
    plan.corrected = corrected
    if corrected is None:
        # A correction goes to those an earlier message reached, on the channels they got
        # it on (delivery.dispatch): with none in this ledger it would reach nobody, and a
        # send would look done. Refused alike by the preview, the dry run and the send.
        plan.problems.append(nothing_to_correct(plan.incident, incident_doc, incident_path))


def nothing_to_correct(incident: Incident, document: YamlDocument, path: Path) -> Problem:
    """Why a correction (``status: cancelled``) with no earlier message of its incident in
    this ledger is refused: there is nobody it could reach."""
    return Problem(
        say(language_of(incident.locale), "nothing_to_correct", id=incident.id),
        path,
        document.line_of(("status",)),
        "status",
    )


def _advise_on_time(plan: Plan) -> None:
    """A channel too slow to reach everyone before the promised update is warned, with help."""
    assert plan.config is not None
    by_name = {c.name: c for c in plan.channels}
    for schedule in plan_deliveries(plan):
        if schedule.advice:
            by_name[schedule.channel].problems.append(
                Problem(
                    schedule.advice,
                    plan.config.path,
                    plan.config.line_of("channels", schedule.channel, "rate")
                    or plan.config.line_of("channels", schedule.channel),
                    "rate",
                    schedule.channel,
                    "warning",
                )
            )


def _select(config: Config, only: Sequence[str], problems: list[Problem]) -> list[str]:
    names = list(config.channels)
    if not only:
        return names
    chosen = []
    for name in only:
        if name in config.channels:
            if name not in chosen:
                chosen.append(name)
            continue
        guess = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
        hint = f"did you mean '{guess[0]}'? " if guess else ""
        problems.append(
            Problem(
                f"there is no channel '{name}' in the configuration; {hint}"
                f"its channels are {', '.join(names)}",
                config.path,
                config.line_of("channels"),
                "--channel",
            )
        )
    return chosen


def _load(
    incident_path: Path,
    config_path: Path,
    environ: Mapping[str, str],
    exercise: bool,
    problems: list[Problem],
) -> tuple[Config | None, Incident | None, YamlDocument | None]:
    """channels.yaml and the incident, validated; what is wrong with either goes to ``problems``."""
    config = incident = document = None
    try:
        config = load_config(config_path, environ)
    except InputError as exc:
        problems.extend(exc.problems)
    defaults = config.defaults.model_dump() if config else None
    try:
        incident, document = load_incident(incident_path, defaults, exercise)
    except InputError as exc:
        problems.extend(exc.problems)
    return config, incident, document


def _wording_checks(
    incident: Incident,
    doc: YamlDocument,
    config: Config,
    strict: bool,
    now: datetime,
    previous: dict[str, Any] | None,
) -> list[Problem]:
    from broadcast.content.wording.checks import check_content

    found = check_content(
        incident,
        doc,
        jargon=config.content_checks.jargon,
        max_sentence_words=config.content_checks.max_sentence_words,
        now=now,
        previous=previous,
        sector=config.content_checks.sector,
        known_acronyms=config.content_checks.known_acronyms,
        safety_actions=config.content_checks.safety_actions,
    )
    return [p._replace(severity="error") for p in found] if strict else found


def _incident_checks(
    incident: Incident, doc: YamlDocument, now: datetime, strict: bool = False
) -> list[Problem]:
    from broadcast.content.measure import tweet_weighted_length

    problems = []
    language = language_of(incident.locale)  # the file's: its problems are said in it
    if not incident.ended and incident.eta is not None and incident.eta < now:
        problems.append(
            Problem(
                say(language, "eta_passed", eta=incident.local_time(incident.eta)),
                doc.path,
                doc.line_of(("eta",)),
                "eta",
                severity="error" if strict else "warning",
            )
        )
    if (
        not incident.ended
        and isinstance(incident.next_update, datetime)
        and incident.next_update <= now
    ):
        problems.append(
            Problem(
                say(
                    language,
                    "update_time_passed",
                    promised=incident.local_time(incident.next_update),
                    renewed=incident.local_time(now + RENEWED_PROMISE),
                ),
                doc.path,
                doc.line_of(("next_update",)),
                "next_update",
                severity="warning",
            )
        )
    if incident.started_at > now:
        problems.append(
            Problem(
                say(language, "started_in_future"),
                doc.path,
                doc.line_of(("started_at",)),
                "started_at",
                severity="warning",
            )
        )
    length = tweet_weighted_length(incident.headline)
    if length > TWEET_LIMIT:
        problems.append(
            Problem(
                say(language, "headline_too_long", length=length, limit=TWEET_LIMIT),
                doc.path,
                doc.line_of(("headline",)),
                "headline",
            )
        )
    return problems
