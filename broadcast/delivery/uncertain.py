"""Deliveries a killed run or an unclear provider answer left ``uncertain``: what a run does
with them.

Where the provider can find its own (SMS, by its body) the dispatcher looks each one up and
sends it only if it did not go out; where a lookup can only prove that nothing went out (a
call), it is placed when no call was made since, and held otherwise; where the provider cannot
say (SMTP, Apprise), it is held until the person running it asks to resend it.
"""

from __future__ import annotations

from collections import Counter

from broadcast.channels import adapter_class
from broadcast.delivery.decision import Decision
from broadcast.delivery.plan import Plan
from broadcast.input.config import Config
from broadcast.ledger.sqlite import FAILED_TRANSIENT, UNCERTAIN, Ledger


def uncertain_ahead(
    ledger: Ledger, incident_id: str, config: Config, decision: Decision, plan: Plan | None
) -> dict[str, tuple[int, str]]:
    """Per channel, the latest version's uncertain deliveries and what this run does with
    them: "look up" (found: recorded as sent; not found: its recorded text is sent), "look up
    calls" (no call since: placed; any other call: held uncertain) or "hold"."""
    latest = ledger.latest_version(incident_id)
    if latest is None:
        return {}
    counts = Counter(d.channel for d in ledger.deliveries(latest.id, states=(UNCERTAIN,)))
    version = decision.version
    continued = decision.action == "continue" and version is not None and version.id == latest.id
    planned = {c.name for c in plan.channels} if plan is not None else set()
    # (With nothing new to say, the follow-up has already looked up what it could: those
    # left are held.)
    ahead: dict[str, tuple[int, str]] = {}
    for channel, count in counts.items():
        kind = adapter_class(config.channels[channel].type) if channel in config.channels else None
        if not continued or channel not in planned or kind is None or not kind.can_look_up:
            ahead[channel] = (count, "hold")
        else:
            ahead[channel] = (count, "look up" if kind.finds_own else "look up calls")
    return ahead


def reopen(
    ledger: Ledger,
    incident_id: str,
    channels: list[str],
    config: Config,
    resend_uncertain: bool,
    retry_transient: bool,
) -> int | None:
    """``--resend-uncertain`` and ``retry``: put those deliveries back in the queue; how many
    (None when there was nothing to reopen in).

    An uncertain delivery on a channel that can find its own (SMS, by its body) stays
    uncertain: the dispatcher asks the provider about it and sends it only if it did not
    go out. On one whose lookup can only prove that nothing went out (a call), the
    person asking to resend is the only one who can decide: it is sent again.
    """
    if not (resend_uncertain or retry_transient):
        return None
    blind = [
        c
        for c in channels
        if resend_uncertain and (c not in config.channels or not finds_own(config, c))
    ]
    reopened = None
    for version in ledger.versions(incident_id)[-1:]:
        reopened = 0
        if blind:
            reopened += ledger.reopen(version.id, (UNCERTAIN,), blind)
        if retry_transient:
            reopened += ledger.reopen(version.id, (FAILED_TRANSIENT,), channels)
        if reopened:
            ledger.reopen_version(version.id)
    return reopened


def finds_own(config: Config, channel: str) -> bool:
    """Whether ``channel``'s provider can tell whether a delivery of its went out."""
    kind = adapter_class(config.channels[channel].type)
    return kind.can_look_up and kind.finds_own
