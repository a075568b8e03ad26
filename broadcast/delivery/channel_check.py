"""One channel's part of the preflight: the languages it speaks, its parts rendered in each,
its own measures of them (``measure`` of its model, in broadcast.channels), its recipients
counted (delivery.recipients_check) and its credentials present.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from broadcast.channels.model import Measuring
from broadcast.content.offline import call_in_number, offline_way
from broadcast.content.render import DEFAULT_FULL_LOCALE, Fitted, Renderer, RenderFailure
from broadcast.delivery.plan import ChannelPlan, Plan
from broadcast.delivery.recipients_check import (
    count_channel_recipients,
    greeting_names,
    readers_of,
)
from broadcast.input.config import Config, resolve_credentials
from broadcast.input.incident import Incident
from broadcast.input.recipients import RecipientCount, language_of
from broadcast.problems import InputError, Problem

# A send that streams its recipients checks this many rows before its first message; the
# dispatcher checks the rest as it goes (see ``prepare``'s ``head_only``).
HEAD_ROWS = 200
# How the personalised SMS varies is told from the names of this many rows at most: reading
# every row again costs as much as counting them (about 10 s per 100,000 rows, the phone
# numbers' parsing), and names, unlike the counts, are not kept on disk between runs.
GREETING_SAMPLE_ROWS = 5_000


def _count_area(
    channel: Any,
    name: str,
    config: Config,
    incident: Incident,
    result: ChannelPlan,
    first_rows: int | None,
) -> None:
    """Who of the channel's list the incident's area reaches (delivery.area_reach)."""
    from broadcast.delivery.area_reach import area_target_for, count_area

    target = area_target_for(incident, channel)
    if target is None or result.recipients is None:
        return
    try:
        result.area = count_area(
            channel, name, config, target, type(channel).CONTACT or "email", first_rows
        )
    except InputError as exc:
        result.problems.extend(exc.problems)
        return
    if result.area is not None and result.area.total and not result.area.sent:
        # A polygon typed lon,lat, or the wrong list: said before the send, not after it.
        among = "" if result.area.complete else " of the first rows"
        result.problems.append(
            Problem(
                f"the incident's area reaches none of the {result.area.total} recipients"
                f"{among} of this channel ({result.area.sentence()}): check the area's "
                "shapes and codes, and that the list gives places (postcode, commune, lat, lon)",
                config.resolve_path(channel.recipients),
                channel=name,
                severity="warning",
            )
        )


def plan_channel(
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

    result.subscribers = bool(getattr(channel, "subscribers", False))
    recipients_file = getattr(channel, "recipients", None)
    if check_recipients and recipients_file is not None:
        count_channel_recipients(channel, name, config, result, HEAD_ROWS if head_only else None)
        _count_area(channel, name, config, incident, result, HEAD_ROWS if head_only else None)

    dropped = _render_variants(plan, channel, name, result)
    _report_fallbacks(result, config, pinned=bool(channel.locale))
    _measure_variants(channel, name, config, incident, result, dropped, head_only)
    _check_output_dir(channel, name, config, result)
    if check_credentials:
        _check_credentials(channel, name, config, environ, result)
    return result


def _render_variants(
    plan: Plan, channel: Any, name: str, result: ChannelPlan
) -> dict[str, dict[str, Fitted]]:
    """Render the channel's parts in each language its readers ask for, into
    ``result.variants`` (the first one also ``result.parts``); returns what fitting each
    SMS left out, by language and part."""
    config = plan.config
    incident = plan.incident
    assert config is not None and incident is not None
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
        if type(channel).ANSWERS_REPLIES and worded.reply:
            # serve's answer to a reply: one of the channel's texts, approved with them.
            from broadcast.channels.sms import REPLY_PART

            parts[REPLY_PART] = worded.reply
        if incident.exercise:
            from broadcast.delivery.exercise import mark_parts

            parts = mark_parts(parts, language, inline_style=not type(channel).STYLESHEET)
        if not result.variants:
            result.locale = locale
            result.parts = parts
        result.variants[language] = parts
    return dropped


def _measure_variants(
    channel: Any,
    name: str,
    config: Config,
    incident: Incident,
    result: ChannelPlan,
    dropped: dict[str, dict[str, Fitted]],
    head_only: bool,
) -> None:
    """Measure each language's parts against the channel's limits, into
    ``result.measures``/``variant_measures``; a language nobody in the first rows reads
    that does not pass is dropped with a warning, not a stop."""
    # Greetings are measured on a sample of the list's first names, when the channel greets
    # by name and has a list: only then is a measure "personalised", and said sampled.
    names, rows, whole_file = None, 0, True
    if channel.greets_by_name and result.recipients is not None:
        rows = min(HEAD_ROWS, GREETING_SAMPLE_ROWS) if head_only else GREETING_SAMPLE_ROWS
        names, whole_file = greeting_names(channel, name, config, rows, result.problems)
    unseen = _unseen_languages(result)
    for index, (language, parts) in enumerate(list(result.variants.items())):
        label = language if len(result.variants) > 1 else ""
        found: list[Problem] = []
        readers = (
            readers_of(names, language, index == 0, list(result.variants))
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


def _check_output_dir(channel: Any, name: str, config: Config, result: ChannelPlan) -> None:
    """Name the real folder public files go to, and refuse one that is a symbolic link."""
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


def _check_credentials(
    channel: Any, name: str, config: Config, environ: Mapping[str, str], result: ChannelPlan
) -> None:
    """The channel's credentials and CA file, as a problem each when missing."""
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
    if getattr(channel, "subscribers", False):
        # Subscribers are read when sending, in any language the sign-up page offers.
        languages.extend(x for x in incident.translations if x not in languages)
    return languages


def _unseen_languages(result: ChannelPlan) -> set[str]:
    """Languages rendered only because rows not yet read may ask for them."""
    count = result.recipients
    if count is None or count.complete:
        return set()
    return {x for x in list(result.variants)[1:] if not count.languages.get(x)}


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
    context["offline"] = offline_way(
        context["offline"], call_in_number(config), language_of(locale)
    )
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
    if not type(channel).KEEPS_HISTORY:
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
        # Its full text, as the published entries keep it (banner_history.entry_at).
        "summary": incident.summary,
        "actions": incident.actions,
        "correction": incident.correction,
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
