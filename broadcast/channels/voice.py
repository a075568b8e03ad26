"""Voice calls through Twilio's Calls API: the rendered text read out by text-to-speech.

Each delivery places one call with inline TwiML (no web server to host): one ``<Say>`` per
paragraph of the text, in the recipient's language, with a short pause between paragraphs.
Landlines take calls, so no mobile check. Whether a call was answered is known only later,
from the call's status (``delivery_status``, read with the SMS receipts by
``delivery.receipts``); ``delivery.fallback`` places unanswered calls again.

Exactly once, as for SMS: a call whose request went out but whose answer was lost (a timeout,
a dropped connection, a killed run) is looked up in the Calls list (``find_sent``) before it
is placed again. A Call resource does not carry its TwiML, so the match is on the number, our
caller id and a creation time since the attempt began.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from broadcast.channels.base import DeliveryStatus, Outgoing, Target, on_provider_clock
from broadcast.channels.sms import CLOCK_SKEW, SmsAdapter, TwilioAccount

if TYPE_CHECKING:
    from broadcast.input.config import VoiceChannel

# The voice Twilio uses for a language given without a region.
DEFAULT_REGIONS = {
    "fr": "fr-FR",
    "en": "en-GB",
    "de": "de-DE",
    "es": "es-ES",
    "it": "it-IT",
    "nl": "nl-NL",
    "pt": "pt-PT",
}
# Call statuses after which nothing more happens, and what each is in the ledger.
FINAL_CALL_STATUSES = {
    "completed": "delivered",
    "busy": "unanswered",
    "no-answer": "unanswered",
    "failed": "undelivered",
    "canceled": "undelivered",
}


def say_language(locale: str | None) -> str:
    """``fr`` → ``fr-FR``, ``en_US`` → ``en-US``: the ``language`` of Twilio's ``<Say>``."""
    if not locale:
        return "fr-FR"
    language, _, region = locale.replace("-", "_").partition("_")
    return f"{language}-{region.upper()}" if region else DEFAULT_REGIONS.get(language, language)


def twiml_for(text: str, locale: str | None) -> str:
    """The call's TwiML: the text said paragraph by paragraph, escaped for XML."""
    language = quoteattr(say_language(locale))
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
    said = '<Pause length="1"/>'.join(
        f"<Say language={language}>{escape(p)}</Say>" for p in paragraphs
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{said}</Response>'


class VoiceAdapter(SmsAdapter):
    """Calls ``target.address`` and reads ``message.parts["text"]`` out through Twilio.

    The client, its ``Retry-After`` handling and the classification of Twilio's errors are
    the SMS adapter's: the same account, the same REST API.
    """

    recipient_kind = "phone"
    default_concurrency = 5
    # Twilio places one call per second per account unless the account's CPS was raised.
    default_rate = 1.0

    config: VoiceChannel  # type: ignore[assignment]

    def cost(self, message: Outgoing, target: Target | None = None) -> int:
        return 1

    def warm_up(self, account: TwilioAccount) -> None:
        account.calls  # noqa: B018 - the property loads it

    def deliver(self, message: Outgoing, target: Target) -> str:
        language = message.facts.get("language") or target.locale
        if target.locale and language and target.locale.startswith(str(language)):
            language = target.locale  # fr_CA keeps its region
        twiml = twiml_for(message.parts["text"], str(language) if language else None)
        client = self.client()
        created = self._call(
            lambda: client.calls.create(to=target.address, from_=self.config.from_, twiml=twiml)
        )
        return str(created.sid)

    def delivery_status(self, sid: str) -> DeliveryStatus:
        """``GET .../Calls/{sid}.json``: answered, busy, no answer, failed, or still ringing."""
        client = self.client()
        found = self._call(lambda: client.calls(sid).fetch())
        status = str(found.status)
        final = FINAL_CALL_STATUSES.get(status)
        return DeliveryStatus(
            provider_id=sid,
            status=status,
            final=final,
            error_code=status if final not in (None, "delivered") else None,
            error_message=None,
            updated_at=found.end_time or found.date_updated,
        )

    def find_sent(self, message: Outgoing, target: Target, since: datetime) -> str | None:
        """The SID of a call to ``target`` from our caller id created since ``since`` (UTC).

        Only the newest call in the Calls list is read: a queued call has no start time
        yet, so ``StartTime`` cannot filter it, but its creation time says whether it is
        this attempt's, read on Twilio's clock (the ``Date`` of the list's answer), never on
        ours against theirs; without a Date, on ours less ``CLOCK_SKEW``.
        """
        client = self.client()
        ours = since.astimezone(UTC)

        def look() -> str | None:
            newest = client.calls.list(to=target.address, from_=self.config.from_, limit=1)
            window = on_provider_clock(ours, self.provider_clock_offset()) or ours - CLOCK_SKEW
            for call in newest:
                if call.date_created is None or call.date_created >= window:
                    return str(call.sid)
            return None

        return self._call(look)
