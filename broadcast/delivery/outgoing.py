"""The message a channel carries: its texts from the plan the preview showed, and the facts
about the incident its adapter needs (times, links, a CAP alert's area, the site's language).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from broadcast.channels import channel_model
from broadcast.channels.base import Outgoing
from broadcast.delivery.plan import ChannelPlan, Plan
from broadcast.input.recipients import language_of


def outgoing_for(
    plan: Plan,
    channel: ChannelPlan,
    extra_facts: Mapping[str, Any] | None = None,
    language: str | None = None,
) -> Outgoing:
    """The message a channel carries, from the plan the preview showed (in ``language``)."""
    incident = plan.incident
    assert incident is not None and plan.config is not None
    next_update = incident.next_update_at(plan.now)
    facts = {
        "id": incident.id,
        "status": incident.status,
        "severity": incident.severity,
        "title": incident.title,
        "headline": incident.headline,
        "link": incident.link,
        "organisation": plan.config.organisation,
        "locale": channel.locale,
        "resolved": incident.status == "resolved",
        "updated_at": plan.now.astimezone(incident.zone).isoformat(),
        "started_at": incident.started_at.isoformat(),
        "eta": incident.eta.isoformat() if incident.eta else None,
        "next_update_at": next_update.isoformat() if next_update else None,
        # When it ended (resolved or cancelled), as its messages say: not when this went out.
        "ended_at": ended_at.isoformat() if (ended_at := incident.end_time(plan.now)) else None,
        # Times on the status site name their zone ("CET"), not only an offset.
        "timezone": incident.timezone,
        "reminder": plan.reminder,
        # A drill: the status site marks it in words (its index, its banner, its feed).
        "exercise": incident.exercise,
        # The language of the texts carried (a call is read out in it).
        "language": language or language_of(channel.locale),
        **_alert_facts(incident, channel.type),
        **_site_facts(plan.config, channel),
        **_timeline_facts(incident, plan.config, channel),
        **(extra_facts or {}),
    }
    parts = channel.variants.get(language, channel.parts) if language else channel.parts
    return Outgoing(
        channel=channel.name,
        parts=dict(parts),
        thread=tuple(channel.measures.get("thread", ())) if parts is channel.parts else (),
        facts=facts,
        variants={lang: dict(texts) for lang, texts in channel.variants.items()},
    )


def _site_facts(config: Any, channel: ChannelPlan) -> dict[str, Any]:
    """The language of what covers every incident (the status site's index and feed, the CAP
    folder's feed): the organisation's, not the incident's (the banner's ``site_locale``, else
    ``defaults.locale``)."""
    if not channel_model(channel.type).SITE:
        return {}
    settings = config.channels.get(channel.name)
    return {"site_locale": getattr(settings, "site_locale", None) or config.defaults.locale}


def _timeline_facts(incident: Any, config: Any, channel: ChannelPlan) -> dict[str, Any]:
    """What the status site's timeline and index show of this update beyond its headline: its
    full text in the channel's language, the services affected, the other feeds to follow
    (``cap_feed``). Only for a channel that keeps the site's history."""
    model = channel_model(channel.type)
    if not model.KEEPS_HISTORY:
        return {}
    worded, _ = incident.in_language(language_of(channel.locale))
    settings = config.channels.get(channel.name)
    context = settings.render_context(config) if settings is not None else {}
    return {
        "summary": worded.summary,
        "actions": worded.actions,
        "correction": worded.correction,
        "affected": worded.affected,
        "offline": worded.offline,
        "apology": worded.apology,
        "compensation": worded.compensation,
        "affected_items": [item.model_dump() for item in worded.affected_items],
        "cap_feed": context.get("cap_feed"),
        # The update in every language the incident is written in: the site's feed speaks
        # the site's language, which may be one of the incident's translations.
        "texts": _worded_texts(incident),
    }


def _worded_texts(incident: Any) -> dict[str, dict[str, Any]]:
    """language → the words of the update a reader follows it by (the incident's own
    language first, then each translation it has)."""
    texts = {}
    for language in (incident.language, *incident.translations):
        worded, fell_back = incident.in_language(language)
        if fell_back:
            continue
        texts[language] = {
            "title": worded.title,
            "headline": worded.headline,
            "summary": worded.summary,
            "affected": worded.affected,
            "affected_items": [item.model_dump() for item in worded.affected_items],
            "actions": worded.actions,
            "correction": worded.correction,
            "offline": worded.offline,
            "apology": worded.apology,
            "compensation": worded.compensation,
        }
    return texts


def _alert_facts(incident: Any, channel_type: str) -> dict[str, Any]:
    """What a CAP alert needs beyond texts: the area and the incident's CAP overrides."""
    if channel_type != "cap":
        return {}
    # The area in words in each translation's language: one <info> per language, each with
    # its own <areaDesc> (the shapes are the same in all).
    words = {
        code: translation.area.description
        for code, translation in incident.translations.items()
        if incident.area is not None and translation.area and translation.area.description
    }
    return {
        "area": incident.area.model_dump() if incident.area else None,
        **({"area_words": words} if words else {}),
        "cap": incident.cap.model_dump(exclude_none=True) if incident.cap else {},
        "locale_tag": incident.locale,
        # A drill is <status>Exercise, which aggregators do not show the public.
        "exercise": incident.exercise,
        "correction": incident.correction,
    }
