"""A pool of senders for a Twilio channel (SMS or voice): numbers, short codes or Messaging
Services, each with its own rate, sharing one channel's deliveries.

A long code sends one part a second, a short code about a hundred, a Messaging Service as many
as its numbers together: a channel reaching a million people needs several. ``senders:`` lists
them, each ``{from: "+33…", rate: 1/s}`` or ``{messaging_service_sid: MG…, rate: 100/s}``
(``max_per_day`` optional); the channel's rate is their sum. ``from:`` alone stays a pool of one.

Only the model and the facts live here (no SDK): ``broadcast.delivery.sender_pool`` paces each
sender and picks one per delivery.
"""

from __future__ import annotations

import re
from typing import Any

from broadcast.input.contact_masks import mask_address
from broadcast.input.schema import BaseModel, ConfigDict, Field, field_validator, model_validator

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*$")
_PER = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}

# Twilio's refusals that name the sender itself, not the recipient (its docs: 21212 the From is
# not a valid number, 21606 the From cannot send (not an SMS-capable number of the account),
# 21659 not a Twilio number, 21660 a number of another account, 21701/21703/21704 a Messaging
# Service that is invalid or has no number, 30007 the carrier filters (blocks) the sender): no
# retry through it can succeed, so it leaves the pool for the run.
SENDER_REFUSALS = frozenset(
    {"21212", "21606", "21659", "21660", "21701", "21703", "21704", "30007"}
)
# "The To number cannot be reached from this From" (21612): about the pair. The recipient is
# tried through another sender; a sender refused so for this many people the others then
# reached is blocked, and leaves the pool too.
PAIR_REFUSALS = frozenset({"21612"})
PAIR_STRIKES = 3


class Sender(BaseModel):
    """One sender of a pool: a number or short code (``from``) or a Messaging Service, its rate
    in message parts (calls) per second, and how many it may send in a day."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    from_: str | None = Field(default=None, alias="from")
    messaging_service_sid: str | None = None
    rate: str
    max_per_day: int | None = Field(default=None, ge=1)

    @field_validator("rate", mode="before")
    @classmethod
    def _rate_form(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = f"{value}/s"
        if not isinstance(value, str) or not _RATE.match(value):
            raise ValueError(
                f"{value!r} is not a sender's rate; write it like 1/s, 100/s or 60/min"
            )
        if rate_of(value) <= 0:
            raise ValueError(f"{value!r}: a sender's rate must be above zero")
        return value

    @model_validator(mode="after")
    def _one_address(self) -> Sender:
        if (self.from_ is None) == (self.messaging_service_sid is None):
            raise ValueError(
                "give each sender either 'from' (a number or short code) or "
                "'messaging_service_sid', not both and not neither"
            )
        return self

    @property
    def key(self) -> str:
        """What the ledger records for it, and the peer's and Twilio's From or service SID."""
        return self.from_ if self.from_ is not None else str(self.messaging_service_sid)

    @property
    def per_second(self) -> float:
        return rate_of(self.rate)

    @property
    def masked(self) -> str:
        """How a report names it: a number's last digits, a service's first letters."""
        return masked_sender(self.key)


def rate_of(rate: str) -> float:
    """``100/s`` → 100.0, ``60/min`` → 1.0."""
    match = _RATE.match(rate)
    assert match is not None
    return float(match.group(1)) / _PER[match.group(2)]


def masked_sender(key: str) -> str:
    """``…0001`` for a number, ``MG12…`` for a Messaging Service, a short code as it is (it is
    public, printed on every message)."""
    if key.startswith("MG"):
        return f"{key[:4]}…"
    if re.fullmatch(r"\d{3,8}", key):
        return key
    return mask_address(key)


def check_pool(senders: list[Sender] | None, from_: Any, service: Any, rate: Any) -> None:
    """A channel gives ``from`` / ``messaging_service_sid`` or a list of ``senders``, each
    sender once, and no channel ``rate`` beside senders' own (their sum is the channel's)."""
    if senders is None:
        return
    if from_ is not None or service is not None:
        raise ValueError(
            "give the channel either 'senders' or 'from' / 'messaging_service_sid', not both"
        )
    if not senders:
        raise ValueError("'senders' lists no sender: give at least one")
    if rate is not None:
        raise ValueError(
            "give each sender its own rate: the channel's rate is their sum, so 'rate' is not "
            "given beside 'senders'"
        )
    seen: set[str] = set()
    for sender in senders:
        if sender.key in seen:
            raise ValueError(f"sender {sender.masked} is listed twice in 'senders'")
        seen.add(sender.key)


def pool_rate(senders: list[Sender]) -> float:
    """The channel's rate: its senders' together."""
    return sum(sender.per_second for sender in senders)
