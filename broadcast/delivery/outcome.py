"""What a send did on each channel (``ChannelOutcome``), the progress it reports as it goes
(``Event``), and the second Ctrl-C that abandons it (``SendAbandoned``).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from broadcast.channels.base import Receipt
from broadcast.input.recipients import RecipientCount, mask_address
from broadcast.problems import Problem

# Failures kept in full per channel for the summary; beyond that they are only counted.
MAX_KEPT_FAILURES = 1000


@dataclass
class ChannelOutcome:
    """What happened on one channel: counts by outcome and the failures themselves."""

    name: str
    type: str
    planned: int | None = None
    sent: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    duplicates: int = 0
    # Deliveries an earlier run of the same version already made (or gave up on): not redone.
    already: int = 0
    # Deliveries another host's live run took (a shared ledger): that host sends them.
    elsewhere: int = 0
    # Recipients who opted out (STOP) in an earlier run: not sent to, not a failure.
    opted_out: int = 0
    # Recipients of the list the incident's area leaves out (delivery.area_reach): not sent to.
    outside_area: int = 0
    # In the area, but reached by an earlier version whose texts this one repeats (only its
    # area changed): not sent to again.
    reached_before: int = 0
    # Outside the area now, reached before, and told they are out of danger (left_area).
    told_left: int = 0
    # Recipients suppressed on this channel (opted out, invalid, not a mobile): not sent to.
    suppressed: int = 0
    retries: int = 0
    # What may have gone out (an earlier run was stopped while sending it, or its answer was
    # lost) was looked up: found and recorded as sent; not found and sent, with the text
    # recorded for it; or held uncertain (the provider cannot tell, or the lookup failed).
    found_sent: int = 0
    resent: int = 0
    held_uncertain: int = 0
    stopped: bool = False
    # A newer version of the incident took over: this run stopped handing out the old one.
    superseded: bool = False
    failures: list[Receipt] = field(default_factory=list)
    # Failed here, then reached by the fallback channel in the same run: fallback type → count
    # (the failure is in the ledger; for the run, the person was reached).
    reached_by: Counter[str] = field(default_factory=Counter)
    provider_ids: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # The recipients file as this send read it, every row (the plan may have read the first).
    count: RecipientCount | None = field(default=None, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())

    def record(self, receipt: Receipt) -> None:
        with self.lock:
            self.retries += receipt.attempts - 1
            if receipt.channel_fault:
                return  # the channel's failure, reported as a problem; the delivery waits
            if receipt.ok:
                self.sent += 1
                # Only single-target channels (a post, a folder) are worth listing ids for.
                if self.planned is None and receipt.provider_id:
                    self.provider_ids.append(receipt.provider_id)
                return
            self.failed[receipt.error_code or "error"] += 1
            if len(self.failures) < MAX_KEPT_FAILURES:
                self.failures.append(receipt)

    def stood_in(self, reached: Mapping[str, str]) -> None:
        """The failures whose address a fallback reached (address → the fallback's type)
        become "reached by" it: a person the run reached one way is not a failed person.
        Failures beyond the ones kept (MAX_KEPT_FAILURES) stay counted as failed."""
        with self.lock:
            kept = []
            for receipt in self.failures:
                kind = reached.get(receipt.target.address)
                if kind is None:
                    kept.append(receipt)
                    continue
                code = receipt.error_code or "error"
                self.failed[code] -= 1
                if self.failed[code] <= 0:
                    del self.failed[code]
                self.reached_by[kind] += 1
            self.failures = kept

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.name,
            "type": self.type,
            "planned": self.planned,
            "sent": self.sent,
            "failed": self.failed_total,
            "failed_by_reason": dict(self.failed),
            "reached_by_fallback": dict(self.reached_by),
            "skipped": self.skipped,
            "duplicates": self.duplicates,
            "already": self.already,
            "elsewhere": self.elsewhere,
            "opted_out": self.opted_out,
            "suppressed": self.suppressed,
            # The incident's area: rows it leaves out, and those in it who had these texts.
            "outside_area": self.outside_area,
            "reached_before": self.reached_before,
            "told_left": self.told_left,
            "retries": self.retries,
            "looked_up": {
                "found_sent": self.found_sent,
                "resent": self.resent,
                "held_uncertain": self.held_uncertain,
            },
            "stopped": self.stopped,
            "superseded": self.superseded,
            "provider_ids": self.provider_ids,
            "problems": [p.to_json() for p in self.problems],
            "failures": [
                {
                    "target": mask_address(r.target.address),
                    "line": r.target.line,
                    "code": r.error_code,
                    "error": r.error,
                    "permanent": r.permanent,
                    "uncertain": r.uncertain,
                    "attempts": r.attempts,
                }
                for r in self.failures
            ],
        }


@dataclass(frozen=True)
class Event:
    """Progress, for whoever shows it: ``kind`` is start, delivered, failed, opted-out, retry,
    skipped (a recipients row the plan had not read, with its ``problem``) or done;
    ``stopping`` (for no channel) when a first Ctrl-C asks the send to stop."""

    channel: str
    kind: str
    total: int | None = None
    receipt: Receipt | None = None
    problem: Problem | None = None


class SendAbandoned(Exception):
    """A second Ctrl-C: the send stopped without waiting for the requests still in flight.

    Those were marked ``uncertain`` in the ledger (``uncertain`` of them): the provider may or
    may not have taken them.
    """

    def __init__(self, outcomes: list[ChannelOutcome], uncertain: int) -> None:
        super().__init__(f"stopped without waiting; {uncertain} in flight marked uncertain")
        self.outcomes = outcomes
        self.uncertain = uncertain
