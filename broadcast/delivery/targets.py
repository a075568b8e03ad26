"""Who a channel's deliveries go to: every valid row of its recipients file once (checked as
it streams, duplicates found in an on-disk set), or, for a correction, everyone an earlier
version reached on it; a delivery an earlier run recorded goes where it was recorded."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from broadcast.channels.base import Adapter, Target
from broadcast.delivery.outcome import ChannelOutcome, Event
from broadcast.delivery.plan import MAX_ROW_PROBLEMS, ChannelPlan
from broadcast.input.area_target import AreaTarget, Place
from broadcast.input.recipients import Recipient, RecipientCount, SeenSet, read_recipients
from broadcast.ledger.sqlite import Contact, Ledger
from broadcast.problems import Problem


def distinct_targets(
    kind: type[Adapter],
    config: Any,
    outcome: ChannelOutcome,
    channel: ChannelPlan,
    path: Path,
    on_event: Callable[[Event], None],
    area: AreaTarget | None = None,
    reached: frozenset[str] = frozenset(),
    left: frozenset[str] = frozenset(),
    priority_first: bool = False,
) -> Iterator[Target]:
    """Every distinct valid row once (``_distinct_rows``), within the area if any.

    With ``area``, only those it takes (``AreaTarget.takes``: in, or unlocated when
    included), sorted in growing chunks so the first message waits for one row; the others
    are counted in ``outcome.outside_area``. Addresses in ``reached`` (a change of area with
    the same texts: they have it already) are passed over, counted in
    ``outcome.reached_before``. Those outside whose address is in ``left`` (reached before,
    and the text now says they are out of danger: ``area.left_area``) get it too, counted in
    ``outcome.told_left``.
    """
    rows = _distinct_rows(kind, config, outcome, channel, path, on_event, priority_first)
    if area is None:
        for row in rows:
            yield Target(row.address, row.name, row.line, row.locale)
        return
    for row, verdict in area.sort(rows, _place_of):
        if not area.takes(verdict):
            if verdict == "out" and row.address in left:
                outcome.told_left += 1
                yield Target(row.address, row.name, row.line, row.locale)
            else:
                outcome.outside_area += 1
        elif row.address in reached:
            outcome.reached_before += 1
        else:
            yield Target(row.address, row.name, row.line, row.locale)


def _place_of(row: Recipient) -> Place:
    return row.place


def _distinct_rows(
    kind: type[Adapter],
    config: Any,
    outcome: ChannelOutcome,
    channel: ChannelPlan,
    path: Path,
    on_event: Callable[[Event], None],
    priority_first: bool = False,
) -> Iterator[Recipient]:
    """Every row, checked as it streams: valid ones once each, the others reported.
    ``priority_first``: the rows marked priority, then the others (two passes: see
    ``delivery.reach``).

    The rows the plan did not read (it may have read only the first ones) have their
    problems said as they are met (``skipped`` events), not at the end of the file.
    """
    problems: list[Problem] = []
    count = outcome.count = RecipientCount()
    head = channel.recipients
    said_up_to = head.last_line if head is not None and not head.complete else None

    def take_problems() -> None:
        for problem in problems:
            count.invalid += 1
            if len(count.problems) >= MAX_ROW_PROBLEMS:
                continue
            count.problems.append(problem)
            if said_up_to is not None and (problem.line or 0) > said_up_to:
                on_event(Event(outcome.name, "skipped", problem=problem))
        problems.clear()

    def rows(priority: bool | None) -> Iterator[Any]:
        return read_recipients(
            path,
            kind.recipient_kind,  # type: ignore[arg-type]
            getattr(config, "default_region", None),
            outcome.name,
            problems,
            count,
            priority=priority,
        )

    recipients = itertools.chain(rows(True), rows(False)) if priority_first else rows(None)
    try:
        with SeenSet() as seen:
            for recipient in recipients:
                if problems:
                    take_problems()
                first = seen.add(recipient.address)
                count.add(recipient, first)
                if not first:
                    outcome.duplicates += 1
                    continue
                yield recipient
            take_problems()
    finally:
        # Also when the send stops early: the invalid rows read so far were skipped.
        take_problems()
        outcome.skipped = count.invalid


def earlier_targets(
    ledger: Ledger, incident_id: str, version_id: int, channel: str, outcome: ChannelOutcome
) -> Iterator[Target]:
    """Everyone an earlier version reached on ``channel``, from the sealed addresses."""
    contacts, lost = ledger.earlier_recipients(incident_id, channel, version_id)
    if lost:
        outcome.problems.append(
            Problem(
                f"{lost} earlier recipient{'s' * (lost != 1)} cannot get the correction: "
                "the ledger recorded them before addresses were kept (only a hash)",
                channel=channel,
            )
        )
    for contact in contacts:
        yield Target(contact.address, contact.name, contact.line, contact.locale)


def as_recorded(target: Target, contact: Contact) -> Target:
    """The target a delivery an earlier run recorded is made to: its recorded address, name
    and language (so its text, and the lookup of what may have gone out, are the first
    attempt's), whatever the recipients file says now; the file's line, where it is now."""
    return Target(contact.address, contact.name, target.line, contact.locale)
