"""Residents signed up on ``broadcast serve`` as a channel's recipients (``recipients:
subscribers``, alone or with a CSV file): the confirmed subscribers whose address is of the
channel's kind (a phone for SMS and voice, an email address for email), each in their language,
after the CSV's rows and once each (an address in both gets one message). Never in a drill:
the subscribers are the public. Every email to a subscriber carries their own RFC 8058
one-click unsubscribe link (``unsubscribe_links``)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcast.channels.base import Target
from broadcast.input.recipients import SeenSet
from broadcast.ledger.signed_links import LINKS_KEY, Signer, unsubscribe_link

if TYPE_CHECKING:
    from broadcast.delivery.plan import Plan
    from broadcast.input.area_target import Verdict
    from broadcast.input.config import Config
    from broadcast.ledger.sqlite import Ledger
    from broadcast.ledger.subscribers import Subscriber


def _confirmed(ledger: Ledger, kind: str) -> list[Subscriber]:
    # Read whole under the ledger's lock: its connection is shared with the workers' writes.
    with ledger.lock:
        return list(ledger.confirmed_subscribers(kind))  # type: ignore[arg-type]


def with_subscribers(
    targets: Iterator[Target] | None,
    ledger: Ledger | None,
    kind: str | None,
    in_area: Callable[[str], bool] | None = None,
) -> Iterator[Target]:
    """``targets`` (the CSV's), then the subscribers not among them; ``targets`` alone when
    ``ledger`` is None (the channel names no subscribers, or this is a drill). ``in_area``:
    whether a subscriber's postcode is in the incident's area (targeting by area), when it
    has one."""
    if ledger is None or kind is None:
        yield from targets or ()
        return
    with SeenSet() as seen:
        for target in targets or ():
            seen.add(target.address)
            yield target
        for subscriber in _confirmed(ledger, kind):
            if in_area is not None and not in_area(subscriber.postcode):
                continue
            if seen.add(subscriber.address):
                yield Target(subscriber.address, "", None, subscriber.language)


def unsubscribe_links(
    config: Config, channel: Any, ledger: Ledger | None, drill: bool
) -> Callable[[str], str | None] | None:
    """The one-click unsubscribe link of an email address that is a subscriber, for an email
    channel sending to subscribers; None for any other channel."""
    if (
        ledger is None
        or drill
        or not getattr(channel, "subscribers", False)
        or type(channel).CONTACT != "email"
        or config.serve is None
    ):
        return None
    ids = {subscriber.address: subscriber.id for subscriber in _confirmed(ledger, "email")}
    with ledger.lock:
        signer = Signer(ledger.derived_key(LINKS_KEY))
    public_url = config.serve.public_url

    def link(address: str) -> str | None:
        found = ids.get(address)
        return None if found is None else unsubscribe_link(public_url, signer, found)

    return link


def subscribers_in_ledger(
    config: Config, state_dir: Path | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, list[tuple[str, str]]] | None:
    """The confirmed subscribers' postcodes and languages by kind (``phone``, ``email``), for a
    preview and
    a dry run to count them: read as ``recorded.wording_in_ledger`` reads the last wording, no
    lock taken, nothing written. Empty without a ledger yet (nobody has signed up); None when
    the ledger cannot be read (the preview then says they are read when sending)."""
    from broadcast.ledger.location import LEDGER_FILE, state_folder
    from broadcast.ledger.postgres import URL_ENV

    environ = dict(os.environ) if environ is None else environ
    folder = state_folder(state_dir, config.folder, dict(environ))
    address = config.ledger or environ.get(URL_ENV)
    if not address and not (folder / LEDGER_FILE).is_file():
        return {}
    import sqlite3

    from broadcast.ledger.sqlite import Ledger, LedgerFault, ledger_errors

    try:
        ledger = Ledger(folder, environ=environ, address=address)
    except (LedgerFault, sqlite3.Error, OSError):
        return None
    try:
        with ledger_errors(ledger.path):
            return {
                kind: [(s.postcode, s.language) for s in _confirmed(ledger, kind)]
                for kind in ("phone", "email")
            }
    except (LedgerFault, sqlite3.Error, OSError, ValueError):
        return None
    finally:
        ledger.close()


def count_subscribers(plan: Plan, postcodes: Mapping[str, list[tuple[str, str]]] | None) -> None:
    """Each channel naming subscribers gets their count (``ChannelPlan.subscriber_count``):
    the confirmed ones of its kind, and those the incident's area takes by their postcode, as
    the dispatcher picks them (both by ``area_reach.subscriber_verdicts``). Nothing when they
    could not be read."""
    from broadcast.channels import channel_model
    from broadcast.delivery.area_reach import VERDICTS, area_target_for, subscriber_verdicts
    from broadcast.delivery.plan import SubscriberCount
    from broadcast.input.recipients import language_of

    if postcodes is None or plan.config is None:
        return
    for channel in plan.channels:
        settings = plan.config.channels.get(channel.name)
        kind = channel_model(channel.type).CONTACT
        if not channel.subscribers or kind is None or settings is None:
            continue
        theirs = postcodes.get(kind, [])
        target = area_target_for(plan.incident, settings)
        verdicts: list[Verdict] = (
            subscriber_verdicts(target, [code for code, _ in theirs])
            if target is not None
            else ["in"] * len(theirs)
        )
        taken = [
            language
            for (_, language), verdict in zip(theirs, verdicts, strict=True)
            if target is None or target.takes(verdict)
        ]
        channel.subscriber_count = SubscriberCount(
            kind,
            len(theirs),
            len(taken),
            {v: verdicts.count(v) for v in VERDICTS} if target is not None else {},
            dict(Counter(language_of(language) for language in taken)),
        )
