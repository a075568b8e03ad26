"""After the provider has spoken: unanswered calls placed again, fallbacks.

Runs at the start of every ``send`` and ``tick`` (once the receipts, call outcomes included,
are in the ledger: see ``delivery.receipts``) and again right after a send, on the incident's
latest version only (an older version's text is never handed out once a newer one exists):

1. **Uncertain ones.** A fallback or a call placed again whose answer was lost (a timeout, a
   dropped connection, a killed run) is looked up at the provider, and sent only if it did not
   go out: exactly once, as the dispatcher does for its own deliveries.
2. **Unanswered calls** are placed again, at most ``retry_unanswered`` times, each no sooner
   than ``retry_after`` after the previous call.
3. **Fallbacks.** A channel naming ``fallback: voice`` (or ``email``) hands the same version,
   in the same words, to the recipients it could not reach for a reason the other channel gets
   around: an unreachable handset, an unknown number, a landline (Twilio 30003, 30005, 30006,
   21614, also when a suppression for 21614 kept the SMS from being sent), or a call still
   unanswered after its retries. Once per recipient and version: the fallback delivery is
   recorded in the ledger (``fallback_from``) like any other.

The ledger keeps no addresses, so the recipients' files are read again to find them: a phone
by its keyed hash, an email on the same CSV row as the failing phone.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from broadcast.channels import adapter_class
from broadcast.channels.base import (
    Adapter,
    DeliveryError,
    LookupUndecided,
    Outgoing,
    Target,
)
from broadcast.delivery.context import delivery_context
from broadcast.delivery.sender_pool import follow_up_sender
from broadcast.input.config import Config, VoiceChannel, resolve_credentials
from broadcast.input.contact_masks import mask_contacts
from broadcast.input.recipients import Recipient, language_of, read_recipients
from broadcast.ledger.sqlite import (
    FAILED_PERMANENT,
    FAILED_TRANSIENT,
    PENDING,
    SENT,
    SUPPRESSED,
    UNANSWERED,
    UNCERTAIN,
    UNDELIVERED,
    Delivery,
    Ledger,
)
from broadcast.problems import InputError, Problem

# Failures another channel can get around: the handset or network, not the person, is the
# problem. 30003 unreachable handset, 30005 unknown or inactive number, 30006 landline or
# unreachable carrier, 21614 not a mobile number (known when sending).
FALLBACK_ERRORS = frozenset({"30003", "30005", "30006", "21614"})
FACTS_PART = "_facts"


@dataclass
class FollowUp:
    """What one pass did, for the run's summary."""

    looked_up: int = 0
    # Looked up, and the provider could not tell whether it was this attempt's: uncertain.
    held_uncertain: int = 0
    called_again: int = 0
    fallbacks: dict[str, int] = field(default_factory=dict)  # fallback channel → handed over
    failed: int = 0
    problems: list[Problem] = field(default_factory=list)
    # Who a fallback reached in this pass: (failing channel, its address, fallback channel,
    # the fallback's type), so the run's summary counts them as reached, not failed. Kept in
    # memory only (addresses), never in to_json.
    stood_in: list[tuple[str, str, str, str]] = field(default_factory=list)

    def merge(self, other: FollowUp) -> None:
        self.looked_up += other.looked_up
        self.held_uncertain += other.held_uncertain
        self.called_again += other.called_again
        for channel, count in other.fallbacks.items():
            self.fallbacks[channel] = self.fallbacks.get(channel, 0) + count
        self.failed += other.failed
        self.problems.extend(other.problems)
        self.stood_in.extend(other.stood_in)

    @property
    def did_something(self) -> bool:
        return bool(self.looked_up or self.called_again or self.fallbacks or self.failed)

    def to_json(self) -> dict[str, Any]:
        return {
            "looked_up": self.looked_up,
            "held_uncertain": self.held_uncertain,
            "called_again": self.called_again,
            "fallbacks": dict(self.fallbacks),
            "failed": self.failed,
            "problems": [p.to_json() for p in self.problems],
        }


def follow_up(
    ledger: Ledger,
    config: Config,
    incident_id: str,
    now: datetime,
    environ: Mapping[str, str],
    calls: bool = True,
) -> FollowUp:
    """One pass of the three steps over the incident's latest version.

    Without ``calls`` only the fallbacks: right after a send, the calls just placed are
    still ringing and none is unanswered yet.
    """
    result = FollowUp()
    version = ledger.latest_version(incident_id)
    if version is None:
        return result
    channels = [c for c in version.channels if c in config.channels]
    step = _Step(ledger, config, version.id, now, environ, result)
    try:
        for name in channels if calls else ():
            step.resume_uncertain(name)
            if config.channels[name].CALLS_AGAIN:
                step.call_again(name)
        for name in channels:
            target = config.fallback_of(name)
            if target is not None and target in channels:
                step.fall_back(name, target)
    finally:
        step.close()
    return result


class _Step:
    """The adapters, addresses and texts one pass needs, built when first needed."""

    def __init__(
        self,
        ledger: Ledger,
        config: Config,
        version_id: int,
        now: datetime,
        environ: Mapping[str, str],
        result: FollowUp,
    ) -> None:
        self.ledger = ledger
        self.config = config
        self.version_id = version_id
        self.now = now
        self.environ = environ
        self.result = result
        self._adapters: dict[str, Adapter | None] = {}
        self._phones: dict[str, Recipient] | None = None
        self._emails: dict[tuple[str, int], Recipient] = {}
        self._texts: dict[str, dict[str, dict[str, str]]] | None = None

    def close(self) -> None:
        for adapter in self._adapters.values():
            if adapter is not None:
                adapter.close()

    # -- 1. uncertain ones --------------------------------------------------------------

    def resume_uncertain(self, channel: str) -> None:
        if not adapter_class(self.config.channels[channel].type).can_look_up:
            return  # no way to know: left for --resend-uncertain
        version = self.ledger.version(self.version_id)
        finished = version is not None and version.completed_at is not None
        for delivery in self.ledger.deliveries(self.version_id, channel, (UNCERTAIN,)):
            if delivery.fallback_from is None and not delivery.unanswered and not finished:
                # The dispatcher's own: it looks them up when the version continues. Once the
                # version is finished (a lookup failed, a call was held), nobody else would.
                continue
            recipient = self._recorded(delivery)
            if recipient is None:
                continue
            since = self.ledger.attempt_started(delivery.id)
            if since is None:
                continue
            self.result.looked_up += 1
            self._send(channel, delivery.id, recipient, recipient.address, since)

    # -- 2. unanswered calls ------------------------------------------------------------

    def call_again(self, channel: str) -> None:
        config = self.config.channels[channel]
        assert isinstance(config, VoiceChannel)
        wait = timedelta(seconds=config.retry_after_seconds())
        due = [
            d
            for d in self.ledger.deliveries(self.version_id, channel, (UNANSWERED,))
            if d.unanswered <= config.retry_unanswered
            and (d.sent_at is None or d.sent_at + wait <= self.now)
        ]
        for call in due:
            recipient = self._recorded(call)
            if recipient is None:
                continue  # no longer in any recipients file: nobody to call
            if self._send(channel, call.id, recipient, recipient.address):
                self.result.called_again += 1

    # -- 3. fallbacks ---------------------------------------------------------------------

    def fall_back(self, source: str, target: str) -> None:
        done = self.ledger.fell_back(self.version_id)
        for delivery in self.ledger.deliveries(
            self.version_id, source, (UNDELIVERED, FAILED_PERMANENT, SUPPRESSED, UNANSWERED)
        ):
            if delivery.id in done or not self._needs_fallback(source, delivery):
                continue
            recipient = self._recorded(delivery)
            if recipient is None:
                continue
            failing = recipient.address
            if self.config.channels[target].CONTACT == "email":
                found = self._email(source, recipient.line)
                if found is None:
                    continue  # no email on that row: nobody to write to
                recipient = found
            delivery_id, state = self.ledger.claim_fallback(
                self.version_id, target, recipient, delivery.id
            )
            if state != PENDING:
                continue  # already reached on that channel (its own list, or an earlier pass)
            if self._send(target, delivery_id, recipient, recipient.address):
                self.result.fallbacks[target] = self.result.fallbacks.get(target, 0) + 1
                kind = self.config.channels[target].type
                self.result.stood_in.append((source, failing, target, kind))

    def _needs_fallback(self, channel: str, delivery: Delivery) -> bool:
        if delivery.state == UNANSWERED:
            config = self.config.channels[channel]
            return isinstance(config, VoiceChannel) and (
                delivery.unanswered > config.retry_unanswered
            )
        return (delivery.error_code or "") in FALLBACK_ERRORS

    # -- sending ------------------------------------------------------------------------

    def _send(
        self,
        channel: str,
        delivery_id: int,
        recipient: Recipient,
        address: str,
        since: datetime | None = None,
    ) -> bool:
        """Hand the version's text to ``address`` on ``channel``, exactly once: when an
        earlier attempt may have gone out (``since``), the provider is asked first."""
        adapter = self._adapter(channel)
        message = self._message(channel, recipient.locale)
        if adapter is None or message is None:
            return False
        # On a shared ledger, only the run that took a delivery calls the provider for it: a
        # fallback's row is new (nobody took it yet), an unanswered call's row was taken by the
        # run that placed it; another host's live run keeps what it took.
        if self.ledger.shared and not self.ledger.take(
            [delivery_id], (PENDING, UNCERTAIN, UNANSWERED)
        ):
            return False
        target = Target(address, recipient.name, recipient.line, recipient.locale)
        adapter_type = self.config.channels[channel].type
        # A pool's channel: from the sender the recipient knows (delivery.sender_pool).
        follow_up_sender(
            self.ledger, self.config.channels[channel], channel, delivery_id, address, adapter
        )
        answered = False  # unknown after a killed run: the provider may still be at it
        for _ in range(2):
            # Absence counts only once the provider cannot still be acting on the attempt.
            settled = since + timedelta(seconds=adapter.settle_seconds(answered)) if since else None
            while since is not None and settled is not None:
                asked_at = datetime.now(UTC)
                same = [n for n, c in self.config.channels.items() if c.type == adapter_type]
                try:
                    found = adapter.find_sent(
                        message, target, since, self.ledger.provider_ids_to(address, same)
                    )
                except LookupUndecided as undecided:
                    self.ledger.mark_outcome(
                        delivery_id, UNCERTAIN, None, "uncertain", str(undecided)
                    )
                    self.result.held_uncertain += 1
                    return False  # neither taken as sent nor placed again: said by name
                except DeliveryError as error:
                    self.ledger.mark_outcome(
                        delivery_id, UNCERTAIN, None, error.code, f"lookup failed: {error.message}"
                    )
                    return False  # still uncertain: the next run asks again
                if found is not None:
                    self.ledger.mark_outcome(delivery_id, SENT, found)
                    return True
                if asked_at >= settled:
                    break
                time.sleep(max(0.0, (settled - datetime.now(UTC)).total_seconds()))
            if not self.ledger.mark_sending(delivery_id):
                return False  # no longer this run's (its lease lapsed): not sent from here
            started = datetime.now(UTC)
            try:
                provider_id = adapter.deliver(message, target)
            except DeliveryError as error:
                if error.maybe_sent and adapter.can_look_up and since is None:
                    # It may have gone out: ask before trying again.
                    since, answered = started, error.answered
                    continue
                state = (
                    FAILED_TRANSIENT if error.transient or error.channel_fault else FAILED_PERMANENT
                )
                if error.maybe_sent:
                    state = UNCERTAIN
                self.ledger.mark_outcome(delivery_id, state, None, error.code, error.message)
                self.result.failed += 1
                return False
            except Exception as error:  # a bug in an adapter must not take the run down
                self.ledger.mark_outcome(
                    delivery_id,
                    FAILED_PERMANENT,
                    None,
                    "internal",
                    mask_contacts(f"{type(error).__name__}: {error}"),
                )
                self.result.failed += 1
                return False
            self.ledger.mark_outcome(delivery_id, SENT, provider_id)
            return True
        return False

    def _adapter(self, channel: str) -> Adapter | None:
        if channel not in self._adapters:
            config = self.config.channels[channel]
            credentials, missing = resolve_credentials(self.config, channel, self.environ)
            if missing:
                self.result.problems.extend(missing)
                self._adapters[channel] = None
            else:
                context = delivery_context(self.config, self.now)
                self._adapters[channel] = adapter_class(config.type)(
                    channel, config, credentials, context
                )
        return self._adapters[channel]

    def _message(self, channel: str, locale: str | None) -> Outgoing | None:
        """The version's recorded texts for ``channel``, in the recipient's language."""
        if self._texts is None:
            self._texts = self.ledger.recorded_texts(self.version_id)
        by_language = self._texts.get(channel)
        if not by_language:
            self._problem(channel, "this version recorded no text for the channel")
            return None
        language = language_of(locale)
        parts = by_language.get(language)
        if parts is None:  # the channel's own language: the one holding the facts
            parts = next((p for p in by_language.values() if FACTS_PART in p), None)
            parts = parts or next(iter(by_language.values()))
        facts_text = next((p[FACTS_PART] for p in by_language.values() if FACTS_PART in p), "{}")
        facts = json.loads(facts_text)
        facts["language"] = language if language in by_language else facts.get("language")
        return Outgoing(
            channel=channel,
            parts={k: v for k, v in parts.items() if k != FACTS_PART},
            facts=facts,
        )

    # -- addresses ------------------------------------------------------------------------

    def _recorded(self, delivery: Delivery) -> Recipient | None:
        """The recipient of ``delivery`` as it was recorded (name, language, address), if it
        is still in a phone channel's file: what a call placed for it says is fixed with the
        delivery, not read again from a file edited since."""
        recipient = self._phone(delivery.recipient_key)
        if recipient is None:
            return None  # no longer in any recipients file: nobody to call
        contact = self.ledger.recorded_contact(delivery.id)
        if contact is None or "@" in contact.address:
            return recipient
        # A fallback row recorded before names and languages were (address only) keeps the
        # file's.
        return Recipient(
            recipient.line,
            contact.address,
            contact.name or recipient.name,
            contact.locale or recipient.locale,
        )

    def _phone(self, key: str) -> Recipient | None:
        """The recipient whose phone has keyed hash ``key``, from the phone channels' files."""
        if self._phones is None:
            self._phones = {}
            for name, config in self.config.channels.items():
                if config.CONTACT == "phone" and getattr(config, "recipients", None):
                    for recipient in self._read(name, "phone"):
                        self._phones.setdefault(
                            self.ledger.recipient_key(recipient.address), recipient
                        )
        return self._phones.get(key)

    def _email(self, channel: str, line: int) -> Recipient | None:
        """The email on ``line`` of ``channel``'s recipients file."""
        if not any(source == channel for source, _ in self._emails):
            for recipient in self._read(channel, "email"):
                self._emails[(channel, recipient.line)] = recipient
            self._emails.setdefault((channel, -1), Recipient(-1, ""))  # read, even if empty
        return self._emails.get((channel, line))

    def _read(self, channel: str, kind: str) -> list[Recipient]:
        config = self.config.channels[channel]
        try:
            return list(
                read_recipients(
                    # A channel a row falls back to has a list (FALLBACK_TARGET: voice, email).
                    self.config.resolve_path(config.recipients),  # type: ignore[attr-defined]
                    kind,  # type: ignore[arg-type]
                    getattr(config, "default_region", None),
                    channel,
                    [],
                )
            )
        except InputError as exc:  # the file went away or broke since the send
            self.result.problems.extend(exc.problems)
            return []

    def _problem(self, channel: str, message: str) -> None:
        self.result.problems.append(Problem(message, channel=channel, severity="warning"))
