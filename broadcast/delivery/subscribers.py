"""Residents signed up on ``broadcast serve`` as a channel's recipients (``recipients:
subscribers``, alone or with a CSV file): the confirmed subscribers whose address is of the
channel's kind (a phone for SMS and voice, an email address for email), each in their language,
after the CSV's rows and once each (an address in both gets one message). Never in a drill:
the subscribers are the public. Every email to a subscriber carries their own RFC 8058
one-click unsubscribe link (``unsubscribe_links``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcast.channels.base import Target
from broadcast.input.recipients import SeenSet
from broadcast.ledger.signed_links import LINKS_KEY, Signer, unsubscribe_link

if TYPE_CHECKING:
    from broadcast.delivery.ledger_reading import LedgerReading
    from broadcast.delivery.plan import Plan
    from broadcast.input.area_target import AreaTarget, Verdict
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


def held_subscribers(ledger: Ledger) -> dict[str, list[tuple[str, str, str]]]:
    """The confirmed subscribers' (postcode, language, address) by kind, as a send reads them
    (``with_subscribers``) and a preview counts them (``count_subscribers``)."""
    return {
        kind: [(s.postcode, s.language, s.address) for s in _confirmed(ledger, kind)]
        for kind in ("phone", "email")
    }


def subscribers_in_ledger(
    config: Config,
    state_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    reading: LedgerReading | None = None,
) -> dict[str, list[tuple[str, str, str]]] | None:
    """The confirmed subscribers' postcodes, languages and addresses by kind (``phone``,
    ``email``), for a preview and a dry run to count them: read as
    ``recorded.wording_in_ledger`` reads the last wording, no lock taken, nothing written, from
    ``reading`` (the ledger the preview opened once for both) or a reading of its own. Empty
    without a ledger yet (nobody has signed up); None when the ledger cannot be read (the
    preview then says they are read when sending)."""
    import sqlite3

    from broadcast.delivery.ledger_reading import LedgerReading
    from broadcast.ledger.sqlite import LedgerFault, ledger_errors

    own = reading is None
    reading = LedgerReading(state_dir, environ) if reading is None else reading
    try:
        ledger = reading.ledger(config)
        if ledger is None:
            return {} if reading.absent else None
        with ledger_errors(ledger.path):
            return held_subscribers(ledger)
    except (LedgerFault, sqlite3.Error, OSError, ValueError):
        return None
    finally:
        if own:
            reading.close()


def count_subscribers(
    plan: Plan, subscribed: Mapping[str, Sequence[tuple[str, str, str]]] | None
) -> None:
    """Each channel naming subscribers gets their count (``ChannelPlan.subscriber_count``):
    the confirmed ones of its kind (``subscribed``: their postcode, language and address),
    and those it would send to: those the incident's area takes by their postcode, as the
    dispatcher picks them (both by ``area_reach.subscriber_verdicts``), less those its list
    already reaches (the same address in a row it sends to: ``with_subscribers`` sends them
    one message, so a person is counted once). Nothing when they could not be read."""
    from broadcast.channels import channel_model
    from broadcast.delivery.area_reach import VERDICTS, area_target_for, subscriber_verdicts
    from broadcast.delivery.plan import SubscriberCount
    from broadcast.input.recipients import language_of

    if subscribed is None or plan.config is None:
        return
    for channel in plan.channels:
        settings = plan.config.channels.get(channel.name)
        kind = channel_model(channel.type).CONTACT
        if not channel.subscribers or kind is None or settings is None:
            continue
        theirs = subscribed.get(kind, [])
        target = area_target_for(plan.incident, settings)
        verdicts: list[Verdict] = (
            subscriber_verdicts(target, [code for code, _, _ in theirs])
            if target is not None
            else ["in"] * len(theirs)
        )
        taken = [
            (language, address)
            for (_, language, address), verdict in zip(theirs, verdicts, strict=True)
            if target is None or target.takes(verdict)
        ]
        listed, reached = _in_the_list(plan, channel, settings, kind, target, theirs)
        sent = [language for language, address in taken if address not in reached]
        channel.subscriber_count = SubscriberCount(
            kind,
            len(theirs),
            len(sent),
            {v: verdicts.count(v) for v in VERDICTS} if target is not None else {},
            dict(Counter(language_of(language) for language in sent)),
            also_listed=len(taken) - len(sent),
            # For the unique people of all channels: those not already a row of the list.
            unlisted={
                v: sum(
                    1
                    for (_, _, address), verdict in zip(theirs, verdicts, strict=True)
                    if verdict == v and address not in listed
                )
                for v in VERDICTS
            }
            if target is not None
            else {},
        )


def _rough(kind: str, written: str) -> str:
    """What a contact is compared by before it is normalised, the same for every way of
    writing it: a phone's last 8 digits ("06 12 34 56 78" and "+33612345678"), an email's
    part before its @ in lower case."""
    if kind == "phone":
        return "".join(c for c in written if c.isdigit())[-8:]
    return written.rsplit("@", 1)[0].strip().lower()


def _in_the_list(
    plan: Plan,
    channel: Any,
    settings: Any,
    kind: str,
    target: AreaTarget | None,
    theirs: Sequence[tuple[str, str, str]],
) -> tuple[set[str], set[str]]:
    """Of the subscribers' addresses, those the channel's list holds, and those of them it
    sends to (a row the area takes, as ``targets.distinct_targets`` picks them), read as the
    plan read the list (its first rows only, for a send that streams it). Nothing to read
    without subscribers or a list."""
    from broadcast.input.recipients import read_recipients
    from broadcast.problems import InputError

    wanted = {address for _, _, address in theirs}
    count = channel.recipients
    if not wanted or count is None or plan.config is None or not settings.recipients:
        return set(), set()
    until = None if count.complete else count.last_line
    listed: set[str] = set()
    reached: set[str] = set()
    # Only the rows whose contact as written may be a subscriber's are normalised: a list of
    # 100,000 costs a CSV pass, not 100,000 phone numbers parsed.
    keys = {_rough(kind, address) for address in wanted}
    try:
        rows = read_recipients(
            plan.config.resolve_path(settings.recipients),
            kind,  # type: ignore[arg-type]
            getattr(settings, "default_region", None),
            channel.name,
            [],
            None,
            until,
            maybe=lambda raw: _rough(kind, raw) in keys,
        )
        for row in rows:
            if row.address in wanted:
                listed.add(row.address)
                if target is None or target.takes(target.classify([row.place])[0]):
                    reached.add(row.address)
    except InputError:
        return set(), set()  # the list's own count says what is wrong with it
    return listed, reached
