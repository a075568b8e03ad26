"""Voice calls through Twilio's Calls API: the rendered text read out by text-to-speech.

Each delivery places one call with inline TwiML (no web server to host): one ``<Say>`` per
paragraph of the text, in the recipient's language, with a short pause between paragraphs.
Landlines take calls, so no mobile check. Whether a call was answered is known only later,
from the call's status (``call_status``): ``delivery.fallback`` asks on later runs and places
unanswered calls again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

import requests
from twilio.base.exceptions import TwilioException

from broadcast.channels.base import DeliveryError, Outgoing, Target
from broadcast.channels.sms import REQUEST_TIMEOUT, SmsAdapter

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
# Call statuses after which nothing more happens, and what each means for the ledger.
ANSWERED = "completed"
UNANSWERED_STATUSES = frozenset({"busy", "no-answer"})
FAILED_STATUSES = frozenset({"failed", "canceled"})


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

    def cost(self, message: Outgoing) -> int:
        return 1

    def deliver(self, message: Outgoing, target: Target) -> str:
        language = message.facts.get("language") or target.locale
        if target.locale and language and target.locale.startswith(str(language)):
            language = target.locale  # fr_CA keeps its region
        twiml = twiml_for(message.parts["text"], str(language) if language else None)
        try:
            created = self.client().calls.create(
                to=target.address, from_=self.config.from_, twiml=twiml
            )
        except TwilioException as exc:
            raise self._classify(exc) from None
        except requests.Timeout:
            raise DeliveryError(
                "timeout", f"Twilio did not answer within {REQUEST_TIMEOUT:g} s", transient=True
            ) from None
        except requests.ConnectionError as exc:
            raise DeliveryError(
                "connection", f"could not reach Twilio ({type(exc).__name__})", transient=True
            ) from None
        except requests.RequestException as exc:
            raise DeliveryError(
                "request", self._scrub(f"bad request to Twilio: {exc}"), transient=False
            ) from None
        return str(created.sid)

    def call_status(self, sid: str) -> str:
        """The call's status now (queued, ringing, in-progress, or a final one)."""
        try:
            return str(self.client().calls(sid).fetch().status)
        except TwilioException as exc:
            raise self._classify(exc) from None
        except requests.RequestException as exc:
            raise DeliveryError(
                "connection", f"could not reach Twilio ({type(exc).__name__})", transient=True
            ) from None
