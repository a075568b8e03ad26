"""The plan of a send, as data: what each channel would carry, its measures, its audience and
what is wrong with it. Preflight builds it; the planner, the dispatcher, approval, sending and
the terminal read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from broadcast.input.config import Config
from broadcast.input.incident import Incident
from broadcast.input.recipients import RecipientCount, language_of
from broadcast.problems import Problem

# A long list of bad CSV rows drowns the other problems; the count still says how many.
MAX_ROW_PROBLEMS = 20


@dataclass(frozen=True)
class SubscriberCount:
    """A channel's subscribers as a preview reads them from the ledger (``recipients:
    subscribers``): the confirmed ones of its kind, and those it would send to (those the
    incident's area takes by their postcode; all without an area)."""

    kind: str  # phone or email
    confirmed: int
    sent: int
    # By the area's verdict on their postcode (in, out, unlocated); empty without an area.
    verdicts: dict[str, int] = field(default_factory=dict)
    # Those it would send to, by the language they asked for.
    languages: dict[str, int] = field(default_factory=dict)
    # Taken by the area, but already a row of the list it sends to: one message, counted
    # with the list, not here.
    also_listed: int = 0
    # By verdict, those who are not a row of the list (the unique people of all channels).
    unlisted: dict[str, int] = field(default_factory=dict)

    def words(self) -> str:
        """What the preview says of them."""
        text = f"{self.sent:,} subscriber{'s' * (self.sent != 1)}"
        if self.verdicts:
            text += f" in the area (of {self.confirmed:,} confirmed)"
        if self.also_listed:
            text += f", {self.also_listed:,} more already in the list"
        return text


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
    # delivery.area_reach.AreaCount: who of its list the incident's area reaches, or None.
    area: Any = None
    # It also sends to the subscribers (``recipients: subscribers``), read from the ledger
    # when sending: not in ``recipients``.
    subscribers: bool = False
    # Their count, when the preview could read the ledger (delivery.subscribers): else None.
    subscriber_count: SubscriberCount | None = None

    @property
    def listed_languages(self) -> Any:
        """The languages (a Counter) of the list's rows this channel sends to: with an area,
        of those the area targets (``AreaCount.sent_languages``); else of every valid row."""
        if self.area is not None:
            return self.area.sent_languages
        return self.recipients.languages if self.recipients is not None else {}

    @property
    def listed_sent(self) -> int:
        """How many of the list's rows it sends to: with an area, those the area targets."""
        if self.area is not None:
            return int(self.area.sent)
        return self.recipients.valid if self.recipients is not None else 0

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

    @property
    def expected_sends(self) -> int | None:
        """How many this channel is expected to send to: its distinct recipients, or, with an
        area, those the area reaches (in proportion when only the first rows were read)."""
        subscribed = self.subscriber_count.sent if self.subscriber_count is not None else 0
        if self.recipients is None:
            return subscribed if self.subscriber_count is not None else None
        expected = self.recipients.expected
        if self.area is not None and self.area.total:
            expected = round(expected * self.area.sent / self.area.total)
        return expected + subscribed

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
        if self.area is not None:
            # What this channel would send to: those in the area (and the unlocated if
            # included); the list's own count stays as recipients_listed.
            out["recipients_listed"] = out["recipients"]
            out["recipients"] = self.area.sent
            out["area"] = self.area.to_json()
        if len(self.variants) > 1:
            out["variants"] = {
                language: {**parts, **self.variant_measures.get(language, {})}
                for language, parts in self.variants.items()
            }
        if self.recipients is not None and len(self.variants) > 1:
            # Of those it would send to: with an area, those the area targets.
            out["recipients_by_language"] = dict(self.listed_languages)
        if self.fallbacks:
            out["fallbacks"] = dict(self.fallbacks)
        if self.subscribers:
            # Their number when the ledger could be read (``recipients`` then counts them
            # too), else true: read when sending.
            count = self.subscriber_count
            out["subscribers"] = True if count is None else count.sent
            if count is not None:
                # Subscribers who are also a row of the list it sends to: counted once, there.
                out["subscribers_also_listed"] = count.also_listed
                out.setdefault("recipients_listed", out["recipients"])
                out["recipients"] = (out["recipients"] or 0) + count.sent
                if count.verdicts:
                    area = out.setdefault("area", {})
                    area["subscribers"] = {**count.verdicts, "confirmed": count.confirmed}
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
    # What each channel's sending takes at its rate (delivery.planner's ``plan_deliveries``,
    # which preflight gives every plan): this data module imports no stage's logic.
    # Unique recipients of the personal channels by the incident's area (in, out, unlocated).
    area: dict[str, Any] | None = None
    scheduler: Callable[[Plan], list[Any]] | None = field(default=None, repr=False, compare=False)
    # The sender's reason to send despite the wording errors (``--accept-wording``, or the one
    # given for a version of these very words): they no longer block. None: they do.
    accept_wording: str | None = None
    # False for an approval: the approver sees the wording errors and approves the texts; the
    # sender then fixes them or overrides them with a reason.
    wording_blocks: bool = True

    @property
    def all_problems(self) -> list[Problem]:
        return [*self.problems, *(p for c in self.channels for p in c.problems)]

    @property
    def wording_errors(self) -> list[Problem]:
        """The errors a wording check found (on the fields or on a channel's text)."""
        return [p for p in self.all_problems if p.is_error and p.check is not None]

    @property
    def accepted_wording(self) -> list[Problem]:
        """The wording errors the sender's reason lets out (none without one)."""
        return self.wording_errors if self.accept_wording is not None else []

    @property
    def blocking(self) -> list[Problem]:
        """The errors that stop a send: all of them, but the wording errors once overridden
        (or, for an approval, left to the sender)."""
        waived = self.accept_wording is not None or not self.wording_blocks
        return [p for p in self.all_problems if p.is_error and not (waived and p.check)]

    @property
    def ok(self) -> bool:
        return not self.blocking

    def to_json(self) -> dict[str, Any]:
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
            # Sent despite these wording errors, for this reason (None: nothing overridden).
            "accepted_wording": {
                "reason": self.accept_wording,
                "findings": [p.to_json() for p in self.accepted_wording],
            }
            if self.accepted_wording
            else None,
            "channels": [c.to_json() for c in self.channels],
            "delivery_plan": [s.to_json() for s in self.scheduler(self)] if self.scheduler else [],
            **({"area": self.area} if self.area is not None else {}),
        }
