"""The delivery planner: how long each channel takes to reach everyone, against the promise.

A channel's rate is in message parts per second (Twilio counts an SMS of two segments as two),
so reaching everyone takes recipients times parts, over the rate. When that is longer than
the time until the next promised update, the last people would hear of this update after the
next one was due: the plan says so, with what would help for that channel (for SMS, a
Messaging Service with several numbers or a short code, beyond what one long code can do).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

from broadcast.channels import channel_model
from broadcast.delivery.plan import ChannelPlan, Plan


class Schedule(NamedTuple):
    """One channel's plan: what it sends, at what rate, how long it takes, and advice."""

    channel: str
    type: str
    recipients: int
    parts: int  # message parts in all (an SMS of 2 segments is 2 parts)
    rate: float | None  # parts per second; None: as fast as the provider takes them
    seconds: float | None  # time to reach everyone; None when unlimited
    window: float | None  # seconds until the next promised update, if one is promised
    advice: str = ""
    # The pool's senders (masked, with their rates), when the channel lists ``senders``.
    senders: tuple[tuple[str, float], ...] = ()
    # The people marked priority in the list go first (a ``priority`` column): how many.
    priority_first: int | None = None
    # Each sender's ``max_per_day`` in message parts (None: no limit), as ``senders``.
    day_limits: tuple[int | None, ...] = ()

    def time_to(self, share: float) -> float | None:
        """Seconds to reach ``share`` of the list at the rate (list order: evenly); with
        senders' day limits (in parts), each sender stops at its own, and None when they all
        stop before ``share`` of the list's parts went."""
        if not self.rate or not any(limit is not None for limit in self.day_limits):
            return None if self.seconds is None else self.seconds * share
        return _time_with_limits(
            share * self.parts, [rate for _, rate in self.senders], list(self.day_limits)
        )

    @property
    def day_limit_parts(self) -> int | None:
        """The parts the pool may send in a day when every sender has a limit, else None."""
        if not self.day_limits or any(limit is None for limit in self.day_limits):
            return None
        return sum(limit for limit in self.day_limits if limit is not None)

    @property
    def too_slow(self) -> bool:
        return bool(self.advice)

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "recipients": self.recipients,
            "parts": self.parts,
            "rate_per_second": self.rate,
            "seconds": None if self.seconds is None else round(self.seconds, 1),
            "next_update_in_seconds": None if self.window is None else round(self.window),
            "advice": self.advice or None,
            "time_to_50": _rounded(self.time_to(0.5)),
            "time_to_90": _rounded(self.time_to(0.9)),
            "time_to_100": _rounded(self.seconds),
            "senders": [
                {"sender": name, "rate_per_second": rate, "max_per_day_parts": limit}
                for (name, rate), limit in zip(
                    self.senders, self.day_limits or (None,) * len(self.senders), strict=True
                )
            ],
            "day_limit_parts": self.day_limit_parts,
            "priority_first": self.priority_first,
        }


def _time_with_limits(parts: float, rates: list[float], limits: list[int | None]) -> float | None:
    """Seconds until senders at ``rates``, each stopping at its day's limit of parts, have
    sent ``parts`` together; None when their limits add up to less."""
    if sum(limit for limit in limits if limit is not None) < parts and None not in limits:
        return None
    # Each sender runs until its limit (limit / rate seconds): the pool's rate drops there.
    stops = sorted({limit / rate for rate, limit in zip(rates, limits, strict=True) if limit})
    start = sent = 0.0
    for end in [*stops, math.inf]:
        rate = sum(
            r for r, limit in zip(rates, limits, strict=True) if not limit or limit / r >= end
        )
        if rate and sent + rate * (end - start) >= parts:
            return start + (parts - sent) / rate
        sent += rate * (end - start) if end != math.inf else 0.0
        start = end
    return None


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


def plan_deliveries(plan: Plan) -> list[Schedule]:
    """A schedule per channel that sends to a list (a post or a banner is one delivery)."""
    if plan.incident is None or plan.config is None:
        return []
    promised = plan.incident.next_update_at(plan.now)
    window = (promised - plan.now).total_seconds() if promised is not None else None
    schedules = []
    for channel in plan.channels:
        if channel.recipients is None and channel.subscriber_count is None:
            continue
        config = plan.config.channels[channel.name]
        senders = getattr(config, "senders", None) or []
        rate = (
            config.rate_per_second() if config.rate is not None or senders else config.DEFAULT_RATE
        )
        # Only those the incident's area reaches, if it has one (delivery.area_reach).
        recipients = channel.expected_sends or 0
        parts = _parts(channel)
        seconds = parts / rate if rate else None
        limits = tuple(_parts_a_day(s) for s in senders)
        if seconds is not None and any(limit is not None for limit in limits):
            # Each sender stops at its day's limit, in parts: the pool slows, or stops.
            seconds = _time_with_limits(parts, [s.per_second for s in senders], list(limits))
        advice = ""
        if seconds is None and rate:
            advice = _day_limit_advice(parts, limits)
        elif seconds is not None and window is not None and seconds > window:
            advice = _advice(channel, config, rate, seconds, window)
            if channel_model(channel.type).METERED_IN_PARTS and rate:
                advice += "; " + _more_senders(recipients, parts, rate, window)
        schedules.append(
            Schedule(
                channel.name,
                channel.type,
                recipients,
                parts,
                rate,
                seconds,
                window,
                advice,
                tuple((s.masked, s.per_second) for s in senders),
                _priority_first(plan, channel, config, seconds, window),
                limits,
            )
        )
    return schedules


def _parts_a_day(sender: Any) -> int | None:
    """A sender's ``max_per_day``: message parts (Twilio counts a 3-part SMS as 3), as the
    send counts them (``delivery.sender_pool``)."""
    return getattr(sender, "max_per_day", None)


def _day_limit_advice(parts: int, limits: tuple[int | None, ...]) -> str:
    allowed = sum(limit for limit in limits if limit is not None)
    return (
        f"the senders' max_per_day (in message parts) allow {allowed:,} parts a day, "
        f"{round(100 * allowed / parts)} % of the {parts:,} this list needs: the rest "
        "would wait a day; add senders or raise their limits"
    )


def _parts(channel: ChannelPlan) -> int:
    """Message parts to reach everyone: each reader counts their language's segments."""
    count = channel.recipients
    if not channel_model(channel.type).METERED_IN_PARTS:
        return channel.expected_sends or 0

    def segments(language: str | None) -> int:
        measures = channel.variant_measures.get(language or "", channel.measures)
        return max(1, int(measures.get("segments", 1)))

    languages = list(channel.variants)[1:]
    # The subscribers the preview counted: each reads their language, else the first.
    subscribed = channel.subscriber_count.languages if channel.subscriber_count else {}
    extra = sum(n * segments(x if x in languages else None) for x, n in subscribed.items())
    if count is None:  # subscribers only
        return extra
    return _csv_parts(channel, count, languages, segments) + extra


def _csv_parts(
    channel: ChannelPlan, count: Any, languages: list[str], segments: Callable[[str | None], int]
) -> int:
    """The parts of the list's own rows."""
    if channel.measures.get("personalised"):
        # Greeted by name: each reader's own count, over the rows whose names were read.
        measured = [channel.measures, *(channel.variant_measures.get(x, {}) for x in languages)]
        counted = sum(int(m.get("recipient_parts", 0)) for m in measured)
        readers = sum(int(m.get("readers", 0)) for m in measured)
        if readers and readers != count.expected:
            return round(counted * count.expected / readers)
        return counted
    # Those it sends to, by language: with an area, those the area targets.
    listed = channel.listed_languages
    others = {x: listed.get(x, 0) for x in languages}
    first = channel.listed_sent - sum(others.values())
    counted = first * segments(None) + sum(n * segments(x) for x, n in others.items())
    if count.valid and count.expected != count.valid:  # the first rows, projected
        return round(counted * count.expected / count.valid)
    return counted


def _advice(channel: ChannelPlan, config: Any, rate: float, seconds: float, window: float) -> str:
    said = (
        f"at {rate:g} part{'s' * (rate != 1)}/s, reaching everyone takes {duration(seconds)}, "
        f"longer than the {duration(window)} until the promised update"
    )
    help_ = config.too_slow_help(channel.measures)
    return f"{said}: {help_}, or promise the next update later"


# A short code sends about 100 parts a second: the unit advice counts senders in.
SHORT_CODE_RATE = 100


def _more_senders(recipients: int, parts: int, rate: float, window: float) -> str:
    """Advice in numbers: how many more short codes reach 90 % of the list by the promise."""
    needed = 0.9 * parts / window
    more = max(1, math.ceil((needed - rate) / SHORT_CODE_RATE))
    return (
        f"{more} more short code{'s' * (more != 1)} at {SHORT_CODE_RATE}/s reach 90 % of "
        f"{recipients:,} in {duration(0.9 * parts / (rate + more * SHORT_CODE_RATE))}"
    )


def _priority_first(
    plan: Plan, channel: ChannelPlan, config: Any, seconds: float | None, window: float | None
) -> int | None:
    """The rows marked priority, when they go first: the list takes longer than the time
    until the promised update (see ``delivery.reach``); None otherwise."""
    from broadcast.delivery.reach import priority_rows

    if seconds is None or window is None or seconds <= window or plan.config is None:
        return None
    recipients = getattr(config, "recipients", None)
    if not recipients:
        return None
    return priority_rows(plan.config.resolve_path(recipients))


def duration(seconds: float) -> str:
    """``42 s``, ``12 min``, ``2 h 47 min``, ``3 d 4 h``: how long, to a person."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
