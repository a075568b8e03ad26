"""Residents signed up on ``broadcast serve`` as a channel's recipients (``recipients:
subscribers``, alone or with a CSV file): the confirmed subscribers whose address is of the
channel's kind (a phone for SMS and voice, an email address for email), each in their language,
after the CSV's rows and once each (an address in both gets one message). Never in a drill:
the subscribers are the public. Every email to a subscriber carries their own RFC 8058
one-click unsubscribe link (``unsubscribe_links``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from broadcast.channels.base import Target
from broadcast.input.recipients import SeenSet
from broadcast.ledger.signed_links import LINKS_KEY, Signer, unsubscribe_link

if TYPE_CHECKING:
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
