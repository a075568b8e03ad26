"""Everything that must hold before the first message leaves: the plan of what each channel carries.

``prepare`` reads channels.yaml and the incident, renders every selected channel, measures the
result against the channel's limits and counts its recipients. It never stops at the first
problem: the plan carries them all, so ``validate`` can show everything at once, and a send goes
ahead only when the plan has no error.
"""

from __future__ import annotations

import difflib
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from broadcast.channels.model import Measuring
from broadcast.channels.twitter import TWEET_LIMIT
from broadcast.content.greeting import (
    greeting_name,
)
from broadcast.content.render import (
    DEFAULT_FULL_LOCALE,
    Fitted,
    Renderer,
    RenderFailure,
)
from broadcast.input.config import Config, load_config, resolve_credentials
from broadcast.input.incident import (
    CONFIG_TEXT_FIELDS,
    RENEWED_PROMISE,
    Incident,
    comment_problems,
    end_problems,
    load_incident,
    promise_problems,
)
from broadcast.input.recipients import (
    RecipientCount,
    SeenSet,
    count_recipients,
    language_of,
    read_recipients,
)
from broadcast.input.yamlfile import YamlDocument
from broadcast.problems import InputError, Problem

# A long list of bad CSV rows drowns the other problems; the count still says how many.
MAX_ROW_PROBLEMS = 20
# A send that streams its recipients checks this many rows before its first message; the
# dispatcher checks the rest as it goes (see ``prepare``'s ``head_only``).
HEAD_ROWS = 200
# How the personalised SMS varies is told from the names of this many rows at most: reading
# every row again costs as much as counting them (about 10 s per 100,000 rows, the phone
# numbers' parsing), and names, unlike the counts, are not kept on disk between runs.
GREETING_SAMPLE_ROWS = 5_000
# A channel that would skip more than this share of the rows that give it a contact is not
# ready (an error): real lists carry a few stale rows, never a majority; a majority means the
# wrong file, column or default_region, and "sent" would hide that most were never warned.
MOST_UNUSABLE = 0.5
# How a skipped row says it is a national number written without the channel's region.
NATIONAL_MARK = "is a national number"


@dataclass
class ChannelPlan:
    """What one channel would carry, its measures, its audience and what is wrong with it."""

    name: str
    type: str
    locale: str
    parts: dict[str, str] = field(default_factory=dict)
    measures: dict[str, Any] = field(default_factory=dict)
    recipients: RecipientCount | None = None
    problems: list[Problem] = field(default_factory=list)
    # Language → rendered parts, the first being ``parts``: one per language its readers ask
    # for that the incident is translated into.
    variants: dict[str, dict[str, str]] = field(default_factory=dict)
    variant_measures: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Language asked for → language given instead, for want of a translation.
    fallbacks: dict[str, str] = field(default_factory=dict)

    def parts_for(self, locale: str | None) -> dict[str, str]:
        """What a recipient asking for ``locale`` gets: their language, else the first."""
        return self.variants.get(language_of(locale), self.parts)

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)

    def settle_recipients(self, count: RecipientCount) -> None:
        """A send read the whole file the plan read the first rows of: its counts and row
        problems replace the first rows' (the plan then says what the send found)."""
        head = self.recipients
        if head is None or head.complete:
            return
        said = {id(problem) for problem in head.problems}
        self.problems = [p for p in self.problems if id(p) not in said]
        self.problems.extend(count.problems[:MAX_ROW_PROBLEMS])
        if count.invalid > MAX_ROW_PROBLEMS:
            self.problems.append(
                Problem(
                    f"and {count.invalid - MAX_ROW_PROBLEMS} more rows with an invalid "
                    "contact (run validate to fix them)",
                    count.problems[0].file,
                    channel=self.name,
                    severity="warning",
                )
            )
        count.last_line = max(count.last_line, head.last_line)
        count.estimated_valid = None if count.complete else head.estimated_valid
        self.recipients = count

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"channel": self.name, "type": self.type, "locale": self.locale}
        out.update(self.parts)
        out.update(self.measures)
        if self.recipients is not None:
            out["recipients"] = self.recipients.valid
            out["recipients_skipped"] = self.recipients.invalid
            out["recipients_duplicates"] = self.recipients.duplicates
            if not self.recipients.complete:
                # Only the first rows were read before sending: the rest are read as it sends.
                out["recipients_complete"] = False
                out["recipients_estimated"] = self.recipients.expected
        else:
            out["recipients"] = None
        if len(self.variants) > 1:
            out["variants"] = {
                language: {**parts, **self.variant_measures.get(language, {})}
                for language, parts in self.variants.items()
            }
        if self.recipients is not None and len(self.variants) > 1:
            out["recipients_by_language"] = dict(self.recipients.languages)
        if self.fallbacks:
            out["fallbacks"] = dict(self.fallbacks)
        out["problems"] = [p.to_json() for p in self.problems]
        return out


@dataclass
class Plan:
    """The whole preflight: incident, configuration, one ChannelPlan per selected channel."""

    incident_path: Path
    config_path: Path
    now: datetime
    incident: Incident | None = None
    config: Config | None = None
    channels: list[ChannelPlan] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # A reminder keeps the promise of a next update when there is nothing new to say.
    reminder: bool = False
    previous_update_at: datetime | None = None
    # Channels that do not carry this version (their send_on or min_severity), and why.
    skipped: dict[str, str] = field(default_factory=dict)
    # Per web banner channel, updates not yet in its history that will be by this plan's
    # moment: an approval renders a version's reminders ahead of time (delivery.approval).
    published: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # For a correction: what the message it corrects said, as the ledger recorded it
    # (``sending.corrected_wording``); None before anything was sent.
    corrected: dict[str, Any] | None = None

    @property
    def all_problems(self) -> list[Problem]:
        return [*self.problems, *(p for c in self.channels for p in c.problems)]

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.all_problems)

    def to_json(self) -> dict[str, Any]:
        from broadcast.delivery.planner import plan_deliveries

        incident = self.incident
        next_update = incident.next_update_at(self.now) if incident else None
        return {
            "ok": self.ok,
            "incident": {
                "file": str(self.incident_path),
                "id": incident.id if incident else None,
                "status": incident.status if incident else None,
                "severity": incident.severity if incident else None,
                "updated_at": self.now.isoformat(),
                "next_update_at": next_update.isoformat() if next_update else None,
            },
            "config": str(self.config_path),
            "reminder": self.reminder,
            "skipped_channels": [
                {"channel": name, "reason": reason} for name, reason in self.skipped.items()
            ],
            "problems": [p.to_json() for p in self.problems],
            "channels": [c.to_json() for c in self.channels],
            "delivery_plan": [s.to_json() for s in plan_deliveries(self)],
        }


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
) -> Plan:
    """Build the plan. ``check_credentials`` is for real sends: a dry run needs no secrets.

    With ``reminder``, channels render their reminder templates ("still working on it").
    With ``strict``, the wording checks (jargon, long sentences...) and a passed ``eta`` are
    errors, not warnings. ``previous_wording`` is what the ledger kept of the last version sent
    (``wording_checks.wording_snapshot``): the wording checks compare with it; like
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
    """
    plan = Plan(
        incident_path=incident_path,
        config_path=config_path,
        now=now,
        reminder=reminder,
        previous_update_at=previous_update_at,
        published={name: list(entries) for name, entries in (published or {}).items()},
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
        from broadcast.delivery.exercise import exercise_config

        plan.config, drill_skips, drill_problems = exercise_config(plan.config, environ)
        plan.problems.extend(drill_problems)
        plan.skipped.update(
            (name, f"not in this exercise: {why}")
            for name, why in drill_skips.items()
            if not only or name in only
        )
        chosen = [name for name in only if name not in drill_skips]
        if (only and not chosen) or not plan.config.channels:
            return plan
        only = chosen
    selected = _select(plan.config, only, plan.problems)
    plan.problems.extend(_incident_checks(plan.incident, incident_doc, now, strict))
    plan.problems.extend(end_problems(plan.incident, incident_doc, now))  # an end to come
    # A "#Mareuil" YAML took for a comment (see input.incident).
    plan.problems.extend(comment_problems(incident_doc))
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
    if callable(occasions):
        occasions = occasions(plan.config, plan.incident)
    if plan.incident.status == "cancelled":
        if callable(corrected):
            corrected = corrected(plan.config, plan.incident)
        elif corrected is None:
            from broadcast.delivery.sending import corrected_in_ledger

            corrected = corrected_in_ledger(plan.config, plan.incident.id, state_dir, environ)
        plan.corrected = corrected
        if corrected is None:
            # A correction goes to those an earlier message reached, on the channels they got
            # it on (delivery.dispatch): with none in this ledger it would reach nobody, and a
            # send would look done. Refused alike by the preview, the dry run and the send.
            plan.problems.append(nothing_to_correct(plan.incident, incident_doc, incident_path))
    for name in selected:
        if occasions is not None:
            reason = plan.config.channels[name].skip_reason(occasions, plan.incident.severity)
            if reason is not None:
                plan.skipped[name] = reason
                continue
        plan.channels.append(
            _plan_channel(plan, name, check_recipients, check_credentials, environ, head_only)
        )
    _advise_on_time(plan)
    return plan


def nothing_to_correct(incident: Incident, document: YamlDocument, path: Path) -> Problem:
    """Why a correction (``status: cancelled``) with no earlier message of its incident in
    this ledger is refused: there is nobody it could reach."""
    return Problem(
        f"status: cancelled makes this a correction, but this ledger has no earlier message "
        f"of {incident.id} to correct: a correction goes only to those an earlier message "
        "reached, so it would reach nobody; nothing was sent. If the wrong message went out "
        "from another folder, host or --state, send the correction from there (its ledger "
        "knows who got what). If nothing went out yet, there is nothing to correct: set the "
        "incident's real status instead",
        path,
        document.line_of(("status",)),
        "status",
    )


def _advise_on_time(plan: Plan) -> None:
    """A channel too slow to reach everyone before the promised update is warned, with help."""
    from broadcast.delivery.planner import plan_deliveries

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
    from broadcast.content.wording_checks import check_content

    found = check_content(
        incident,
        doc,
        jargon=config.content_checks.jargon,
        max_sentence_words=config.content_checks.max_sentence_words,
        now=now,
        previous=previous,
    )
    return [p._replace(severity="error") for p in found] if strict else found


def _incident_checks(
    incident: Incident, doc: YamlDocument, now: datetime, strict: bool = False
) -> list[Problem]:
    from broadcast.content.measure import tweet_weighted_length

    problems = []
    if not incident.ended and incident.eta is not None and incident.eta < now:
        problems.append(
            Problem(
                f"the expected end ({incident.local_time(incident.eta)}) has already passed: "
                "the messages now say the repair takes longer than said, without a time; "
                "give eta a new value, or remove it to say the end is not yet known",
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
                "the promised next update time has passed "
                f"({incident.local_time(incident.next_update)}); the messages now promise one "
                f"an hour from now ({incident.local_time(now + RENEWED_PROMISE)}): give a new "
                "time, or a duration such as 2h",
                doc.path,
                doc.line_of(("next_update",)),
                "next_update",
                severity="warning",
            )
        )
    if incident.started_at > now:
        problems.append(
            Problem(
                "started_at is in the future; check the date and the offset",
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
                f"the headline is {length} characters as X counts them; it must fit one post "
                f"({TWEET_LIMIT}), because every channel carries it as is",
                doc.path,
                doc.line_of(("headline",)),
                "headline",
            )
        )
    return problems


def _plan_channel(
    plan: Plan,
    name: str,
    check_recipients: bool,
    check_credentials: bool,
    environ: Mapping[str, str],
    head_only: bool = False,
) -> ChannelPlan:
    config = plan.config
    incident = plan.incident
    assert config is not None and incident is not None
    channel = config.channels[name]
    result = ChannelPlan(name=name, type=channel.type, locale=channel.locale or incident.locale)

    recipients_file = getattr(channel, "recipients", None)
    if check_recipients and recipients_file is not None:
        _count_recipients(channel, name, config, result, HEAD_ROWS if head_only else None)

    # Language → part → the SMS fitted to max_segments: what it left out (render.DROP_ORDER).
    dropped: dict[str, dict[str, Fitted]] = {}
    for language in _languages(channel, incident, result):
        locale = incident.locale if language == incident.language else language
        if channel.locale and language_of(channel.locale) == language:
            locale = _full_locale(channel.locale, incident, result.recipients)
        elif (own := channel.locale_for(language)) is not None:
            locale = own
        elif language != incident.language:
            locale = _full_locale(language, incident, result.recipients)
        worded, fell_back = incident.in_language(language)
        if fell_back:
            result.fallbacks[language] = incident.language
            if not channel.locale:
                continue  # those readers get the first language's message
            # Pinned to a language the incident is not written in: carry its own wording.
            language, locale = incident.language, incident.locale
        dropped[language] = {}
        parts = _render_parts(
            plan, channel, name, worded, locale, config, result, dropped[language]
        )
        if incident.exercise:
            from broadcast.delivery.exercise import mark_parts

            parts = mark_parts(parts, language, inline_style=not type(channel).STYLESHEET)
        if not result.variants:
            result.locale = locale
            result.parts = parts
        result.variants[language] = parts
    _report_fallbacks(result, config, pinned=bool(channel.locale))

    names = None
    if channel.greets_by_name and result.recipients is not None:
        rows = min(HEAD_ROWS, GREETING_SAMPLE_ROWS) if head_only else GREETING_SAMPLE_ROWS
        names, whole_file = _greeting_names(channel, name, config, rows, result.problems)
    unseen = _unseen_languages(result)
    for index, (language, parts) in enumerate(list(result.variants.items())):
        label = language if len(result.variants) > 1 else ""
        found: list[Problem] = []
        readers = (
            _readers_of(names, language, index == 0, list(result.variants))
            if names is not None
            else None
        )
        fitted = dropped.get(language, {}).get("text")
        measures = channel.measure(parts, Measuring(name, config, label, fitted, readers), found)
        if measures.get("personalised") and not whole_file:
            measures["sampled_rows"] = rows
        if language in unseen and any(p.is_error for p in found):
            # Nobody in the first rows reads it: not worth stopping the send for. Readers
            # further down who ask for it get the first language, and are told so here.
            del result.variants[language]
            result.problems.append(
                Problem(
                    f"recipients further down the list asking for '{language}' get the "
                    f"{incident.language} message, as the {language} one does not pass the "
                    f"checks: {found[0].message}",
                    config.path,
                    config.line_of("channels", name),
                    "locale",
                    channel=name,
                    severity="warning",
                )
            )
            continue
        result.problems.extend(found)
        if index == 0:
            result.measures = measures
        else:
            result.variant_measures[language] = measures

    output_dir = getattr(channel, "output_dir", None)
    if output_dir:
        # Where the public files really go, links in its path followed: the preview and the
        # confirmation name it. The folder itself must not be a link (the send refuses one).
        folder = config.folder / Path(output_dir).expanduser()  # as written: not resolved
        result.measures["folder"] = str(folder.resolve())
        if folder.is_symlink():
            result.problems.append(
                Problem(
                    f"output_dir {folder} is a symbolic link (to {os.readlink(folder)}): "
                    "broadcast writes public files only into a real folder; remove the link, "
                    f"or write the folder it points to (output_dir: {folder.resolve()})",
                    config.path,
                    config.line_of("channels", name, "output_dir"),
                    "output_dir",
                    channel=name,
                )
            )

    if check_credentials:
        _, missing = resolve_credentials(config, name, environ)
        result.problems.extend(missing)
        ca_file = getattr(channel, "ca_file", None)
        if ca_file and not config.resolve_path(ca_file).is_file():
            result.problems.append(
                Problem(
                    f"ca_file {config.resolve_path(ca_file)} does not exist",
                    config.path,
                    config.line_of("channels", name, "ca_file"),
                    "ca_file",
                    channel=name,
                )
            )
    return result


def _greeting_names(
    channel: Any, name: str, config: Config, first_rows: int, problems: list[Problem]
) -> tuple[Counter[tuple[str, str]], bool]:
    """(language asked for, name a greeting uses) → recipients in the first ``first_rows``
    rows, to count each one's SMS; and whether that was the whole file.

    Read apart from ``count_recipients``, whose counts are kept on disk: names are not. A
    number listed twice is sent one text, with the first row's name, as the dispatcher does.
    """
    names: Counter[tuple[str, str]] = Counter()
    progress = RecipientCount()
    try:
        with SeenSet() as seen:
            for recipient in read_recipients(
                config.resolve_path(channel.recipients),
                "phone",
                channel.default_region,
                name,
                [],
                progress,
                first_rows + 1,  # the header is line 1
                problems,  # a name with a hidden or control character, refused
            ):
                if seen.add(recipient.address):
                    names[language_of(recipient.locale), greeting_name(recipient.name)] += 1
    except InputError:
        pass  # the count already said what is wrong with the file
    return names, progress.complete


def _readers_of(
    names: Counter[tuple[str, str]], language: str, first: bool, languages: list[str]
) -> Counter[str]:
    """The names of those who get ``language``'s text: those who ask for it, and for the
    first language also those who ask for none or for one the incident does not have."""
    readers: Counter[str] = Counter()
    for (asked, first_name), count in names.items():
        if asked == language or (first and asked not in languages):
            readers[first_name] += count
    return readers


def _count_recipients(
    channel: Any, name: str, config: Config, result: ChannelPlan, first_rows: int | None
) -> None:
    kind = type(channel).CONTACT or "email"
    recipients_file = config.resolve_path(channel.recipients)
    try:
        count = count_recipients(
            recipients_file, kind, getattr(channel, "default_region", None), name, first_rows
        )
    except InputError as exc:
        result.problems.extend(exc.problems)
        return
    result.recipients = count
    result.problems.extend(count.problems[:MAX_ROW_PROBLEMS])
    if count.invalid > MAX_ROW_PROBLEMS and count.complete:
        result.problems.append(
            Problem(
                f"and {count.invalid - MAX_ROW_PROBLEMS} more rows with an invalid "
                f"{kind} (run validate to fix them)",
                recipients_file,
                channel=name,
                severity="warning",
            )
        )
    unready = _mostly_unusable(channel, name, config, count, kind, recipients_file)
    if unready is not None:
        result.problems.append(unready)
    elif count.valid == 0 and count.complete:
        result.problems.append(
            Problem(
                f"no valid recipient with a {kind} in the recipients file",
                recipients_file,
                channel=name,
            )
        )


def _mostly_unusable(
    channel: Any, name: str, config: Config, count: RecipientCount, kind: str, file: Path
) -> Problem | None:
    """An error when the channel would skip more than ``MOST_UNUSABLE`` of the rows that give
    it a contact: such a list is not a few typos but the wrong file, column or region, and a
    send would leave most of its people unwarned while saying it went out. A send that reads
    only the first rows judges on them (the rest follow the same export)."""
    rows = count.valid + count.duplicates + count.invalid
    if not rows or count.invalid <= rows * MOST_UNUSABLE:
        return None
    national = sum(1 for p in count.problems if NATIONAL_MARK in p.message)
    among = "" if count.complete else f" of the first {count.last_line - 1} rows"
    said = f"{count.invalid} of the {rows} {kind}s{among} in {file.name} cannot be used"
    if (
        kind == "phone"
        and national * 2 > count.invalid
        and not getattr(channel, "default_region", None)
    ):
        return Problem(
            f"{said}: {national} are national numbers (no +country code) and the channel has "
            "no default_region, so this channel is not ready. Give it the country those "
            "numbers belong to, e.g. default_region: FR, or write them as +33...",
            config.path,
            config.line_of("channels", name),
            "default_region",
            name,
        )
    return Problem(
        f"{said} (see the rows listed), so this channel is not ready: "
        f"check that recipients names the right file, that its {kind} column holds the "
        f"{kind}s"
        + (", and the channel's default_region" if kind == "phone" else "")
        + "; or fix the rows",
        config.path,
        config.line_of("channels", name, "recipients") or config.line_of("channels", name),
        "recipients",
        name,
    )


def _full_locale(pinned: str, incident: Incident, count: RecipientCount | None) -> str:
    """A channel pinned to a bare language (``locale: en``) writes dates and times the way of
    a full locale: the incident's own when it is that language (en_GB), else its readers'
    commonest, else ``DEFAULT_FULL_LOCALE`` (Babel's bare ``en`` would mean en_US: 2:00 PM)."""
    pinned = pinned.replace("-", "_")
    if "_" in pinned:
        return pinned
    if incident.language == pinned and "_" in incident.locale:
        return incident.locale
    readers = _readers_locale(count, pinned) if count is not None else None
    return readers or DEFAULT_FULL_LOCALE.get(pinned, pinned)


def _readers_locale(count: RecipientCount, language: str) -> str | None:
    """The commonest full locale among readers of ``language`` (en_GB: 24-hour, day first)."""
    from babel import Locale, UnknownLocaleError

    for locale, _ in count.locales.most_common():
        if language_of(locale) == language and "_" in locale:
            try:
                Locale.parse(locale)
            except (UnknownLocaleError, ValueError):
                continue
            return locale
    return None


def _languages(channel: Any, incident: Incident, result: ChannelPlan) -> list[str]:
    """The languages this channel speaks: its pinned one, else the incident's and its readers'."""
    if channel.locale:
        return [language_of(channel.locale)]
    languages = [incident.language]
    if type(channel).EVERY_TRANSLATION:
        return [*languages, *(x for x in incident.translations if x not in languages)]
    if result.recipients is not None:
        for language, _ in result.recipients.languages.most_common():
            if language and language not in languages:
                languages.append(language)
        if not result.recipients.complete:
            languages.extend(x for x in incident.translations if x not in languages)
    return languages


def _unseen_languages(result: ChannelPlan) -> set[str]:
    """Languages rendered only because rows not yet read may ask for them."""
    count = result.recipients
    if count is None or count.complete:
        return set()
    return {x for x in list(result.variants)[1:] if not count.languages.get(x)}


def _report_fallbacks(result: ChannelPlan, config: Config, pinned: bool) -> None:
    """Say who gets another language than theirs: a fallback must be visible."""
    for language, used in result.fallbacks.items():
        if not pinned and result.recipients is not None and not result.recipients.complete:
            readers = result.recipients.languages.get(language, 0)
            who = f"recipients asking for '{language}' ({readers} in the first rows)"
            verb = "get"
        elif not pinned and result.recipients is not None:
            readers = result.recipients.languages.get(language, 0)
            who = f"{readers} recipient{'s' * (readers != 1)} asking for '{language}'"
            verb = "gets" if readers == 1 else "get"
        else:
            who, verb = f"this channel, pinned to '{language}',", "carries"
        result.problems.append(
            Problem(
                f"{who} {verb} the {used} message: the incident has no {language} "
                f"translation (add translations: {{{language}: ...}})",
                config.path,
                config.line_of("channels", result.name),
                "locale",
                channel=result.name,
                severity="warning",
            )
        )


def _render_parts(
    plan: Plan,
    channel: Any,
    name: str,
    incident: Incident,
    locale: str,
    config: Config,
    result: ChannelPlan,
    dropped: dict[str, Fitted],
) -> dict[str, str]:
    """The channel's parts in one language; ``dropped`` gets, per part, what was left out to
    fit the channel's limit (an SMS's ``max_segments``)."""
    renderer = Renderer(
        incident,
        plan.now,
        config.organisation,
        override_dir=config.folder / "templates",
        locale=locale,
    )
    context = renderer.context(name, channel.type, _timeline(plan, channel, config, name))
    context.update(channel.render_context(config))
    # An SMS drops what it can do without (the order is render.DROP_ORDER) to fit its limit.
    context["max_segments"] = getattr(channel, "max_segments", None)
    if plan.corrected:
        context.update(_corrected_context(plan.corrected, language_of(locale), incident))
    if plan.reminder:
        previous = plan.previous_update_at
        context.update(
            reminder=True,
            previous_update_at=previous.astimezone(incident.zone) if previous else None,
        )
    parts: dict[str, str] = {}
    plain = channel.template_names(plan.reminder)
    names = plain
    if incident.status == "cancelled":
        # A correction has its own templates (correction_sms.txt.j2 ...); a channel type that
        # ships none says it with its usual ones (a CAP Cancel, for one).
        names = {
            part: template if renderer.template_exists(template) else plain[part]
            for part, template in channel.template_names(correction=True).items()
        }
    for part, template in names.items():
        rendered = renderer.render_fitted(template, context)
        if isinstance(rendered, RenderFailure):
            result.problems.append(_render_problem(rendered, name, config))
        else:
            parts[part] = rendered.text
            if rendered.dropped:
                dropped[part] = rendered
    return parts


def _corrected_context(
    corrected: dict[str, Any], language: str, incident: Incident
) -> dict[str, Any]:
    """What a correction in ``language`` quotes: the headline the corrected message carried
    in that language, else in the language it was written in (what a reader without a
    translation got), and when it went out."""
    texts = corrected.get("texts") or {}
    said = texts.get(language) or texts.get(corrected.get("language") or "") or {}
    sent_at = corrected.get("sent_at")
    return {
        "wrong_headline": said.get("headline"),
        "wrong_sent_at": datetime.fromisoformat(sent_at).astimezone(incident.zone)
        if sent_at
        else None,
    }


def _timeline(plan: Plan, channel: Any, config: Config, name: str) -> list[dict[str, Any]] | None:
    """This update, then what the banner channel already published for this incident."""
    if not type(channel).HISTORY:
        return None
    from broadcast.channels.banner_history import load_history

    incident = plan.incident
    assert incident is not None
    now = plan.now.astimezone(incident.zone)
    current = {
        "updated_at": now,
        "status": incident.status,
        # A correction by what it says, not by a headline kept from the wrong message.
        "headline": " ".join(incident.correction.split())
        if incident.status == "cancelled" and incident.correction
        else incident.headline,
        "reminder": plan.reminder,
        "language": incident.language,
    }
    history = load_history(config.resolve_path(channel.output_dir), incident.id)
    seen = {(e["updated_at"], e["headline"]) for e in history}
    history += [
        e for e in plan.published.get(name, []) if (e["updated_at"], e["headline"]) not in seen
    ]
    earlier = sorted(
        (entry for entry in history if entry["updated_at"] < now),
        key=lambda entry: entry["updated_at"],
        reverse=True,
    )
    return [current, *earlier] if earlier else None


def _render_problem(failure: RenderFailure, channel: str, config: Config) -> Problem:
    message = failure.message
    if failure.file is None:
        message = f"{failure.template}: {message}"
    return Problem(message, failure.file or config.path, failure.line, "template", channel)
