"""Voice calls through Twilio's Calls API: the rendered text read out by text-to-speech.

Each delivery places one call with inline TwiML (no web server to host): one ``<Say>`` per
paragraph of the text, in the recipient's language, with a short pause between paragraphs.
Landlines take calls, so no mobile check. Whether a call was answered is known only later,
from the call's status (``delivery_status``, read with the SMS receipts by
``delivery.receipts``); ``delivery.fallback`` places unanswered calls again.

Exactly once, where Twilio can say so: a call whose request went out but whose answer was lost
(a timeout, a dropped connection, a killed run) is looked up in the Calls list (``find_sent``)
before it is placed again. A Call resource carries nothing of what created it (not its TwiML,
its URL or its status callback: see the documented fields of ``CallInstance``), so no call in
the list can be told to be this attempt's rather than another's to the same number from the
same caller id (another incident, another host, an earlier attempt whose answer was lost
too). The lookup therefore never takes a call as this attempt's: the list showing no call
since the attempt began (other than those the ledger knows are other deliveries') proves it
was not placed, and it is placed; any other call is ``LookupUndecided``, and the delivery is
held uncertain, by name, for ``--resend-uncertain``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal

from broadcast.channels import register
from broadcast.channels.base import DeliveryStatus, LookupUndecided, Outgoing, Target
from broadcast.channels.model import DELAY, ChannelConfig, Measuring
from broadcast.channels.senders import Sender, check_pool, pool_rate
from broadcast.channels.sms import LOOKUP_PAGE_SIZE, SmsAdapter
from broadcast.channels.xml_text import xml_text
from broadcast.input.schema import Field, field_validator, model_validator
from broadcast.problems import Problem

# Text-to-speech reads about 150 words a minute (a calm newsreader's pace; Twilio's <Say>
# voices at their default rate come out between 140 and 170): the estimate of a call's length.
SPOKEN_WORDS_PER_MINUTE = 150
# Past a minute, people hang up before the repeat; the preview says so.
MAX_CALL_SECONDS = 60


@register
class VoiceChannel(ChannelConfig):
    """Calls read out by Twilio's text-to-speech; landlines are fine recipients.

    Without ``recipients`` the channel only serves as another channel's fallback.
    """

    ADAPTER: ClassVar[str] = "VoiceAdapter"
    # Twilio places one call per second per account unless asked for more.
    DEFAULT_RATE: ClassVar[float | None] = 1.0
    DEFAULT_CONCURRENCY: ClassVar[int] = 5
    FALLBACK_TARGET: ClassVar[bool] = True
    AUDIENCE: ClassVar[str] = "fallback only"
    CALLS_AGAIN: ClassVar[bool] = True
    # A call may be anyone's: it stands in for another channel's readers in their language,
    # and the call-in line (broadcast serve) says it to whoever calls, in theirs.
    EVERY_TRANSLATION: ClassVar[bool] = True

    CREDENTIALS: ClassVar[tuple[str, ...]] = ("account_sid", "auth_token")
    ENV_ONLY: ClassVar[tuple[str, ...]] = ("auth_token",)
    TEMPLATES: ClassVar[dict[str, str]] = {"text": "voice.txt.j2"}
    # A call is heard once, with nothing to click: every element, the instruction included.
    CARRIES: ClassVar[dict[str, tuple[str, ...]]] = {"text": ("what", "who", "do", "next")}
    # The people: a drill uses exercise_recipients, another list of other people.
    DESTINATION: ClassVar[tuple[str, ...]] = ("recipients",)
    CONTACT: ClassVar[Literal["phone", "email"] | None] = "phone"

    ADDRESSING: ClassVar[tuple[str, ...]] = ("from_", "senders", "account_sid")

    type: Literal["voice"]
    from_: str | None = Field(default=None, alias="from")
    # A pool of caller ids, each with its rate (see channels.senders): instead of from.
    senders: list[Sender] | None = None
    recipients: str | None = None
    account_sid: str
    auth_token: str
    default_region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    api_base_url: str | None = None
    # Seconds to wait for the provider's answer (15 unless given); a later answer is looked
    # up, never sent again blindly.
    timeout: float | None = Field(default=None, gt=0, le=120)
    # Calls ending busy or unanswered are placed again on later runs, this many times at most,
    # each no sooner than ``retry_after`` after the previous call.
    retry_unanswered: int = Field(default=2, ge=0, le=10)
    retry_after: str = "15m"
    fallback: str | None = None

    @field_validator("retry_after")
    @classmethod
    def _delay_form(cls, value: str) -> str:
        if not DELAY.match(value):
            raise ValueError(f"'{value}' is not a delay; write it like 15m, 900s or 1h")
        return value

    @model_validator(mode="after")
    def _one_caller_id(self) -> VoiceChannel:
        check_pool(self.senders, self.from_, None, self.rate)
        if self.senders is None and self.from_ is None:
            raise ValueError("give the channel 'from' (the caller id) or 'senders'")
        if self.senders and any(s.from_ is None for s in self.senders):
            raise ValueError("a call's sender is a number: give each sender 'from'")
        return self

    def rate_per_second(self) -> float | None:
        """A pool's rate is its senders' together."""
        return pool_rate(self.senders) if self.senders else super().rate_per_second()

    def retry_after_seconds(self) -> int:
        match = DELAY.match(self.retry_after)
        assert match is not None  # checked by _delay_form
        return int(match.group(1)) * {"s": 1, "m": 60, "min": 60, "h": 3600}[match.group(2)]

    def measure(self, parts: dict[str, str], at: Measuring, problems: list[Any]) -> dict[str, Any]:
        if "text" not in parts:
            return {}
        where = {"file": at.config.path, "channel": at.name}
        which = f" ({at.label})" if at.label else ""
        words = len(parts["text"].split())
        seconds = round(words * 60 / SPOKEN_WORDS_PER_MINUTE)
        measures = {
            "words": words,
            "spoken_seconds": seconds,
            "words_per_minute": SPOKEN_WORDS_PER_MINUTE,
        }
        if seconds > MAX_CALL_SECONDS:
            problems.append(
                Problem(
                    f"the call{which} lasts about {seconds} s ({words} words at "
                    f"{SPOKEN_WORDS_PER_MINUTE} a minute), more than {MAX_CALL_SECONDS} s: "
                    "people hang up before the repeat; shorten the headline or the template",
                    line=at.config.line_of("channels", at.name),
                    field="template",
                    severity="warning",
                    **where,
                )
            )
        if not parts["text"].strip():
            problems.append(Problem(f"the call{which} is empty", field="template", **where))
        return measures

    @classmethod
    def measure_line(cls, measures: dict[str, Any]) -> list[str]:
        if "spoken_seconds" not in measures:
            return []
        m = measures
        return [
            f"spoken: about {m['spoken_seconds']} s ({m['words']} words at "
            f"{m['words_per_minute']}/min)"
        ]

    @classmethod
    def summary(cls, parts: dict[str, str], measures: dict[str, Any], languages: int) -> str:
        return f"a call of about {measures.get('spoken_seconds', 0)} s"

    def too_slow_help(self, measures: dict[str, Any]) -> str:
        return "ask Twilio to raise the account's calls per second, then raise rate"


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
# Calls read in the list before a lookup gives up (held uncertain): far more than one number
# gets in the time a lost answer is looked up.
LOOKUP_MAX_CALLS = 100
# How far before the attempt began a call counts. A lookup never takes a call for this
# attempt's, so a wide margin costs nothing but a rare hold (someone else's call to that number
# within it), while a narrow one would let a Twilio clock behind ours hide this attempt's call
# and place it twice: an hour, not the SMS lookup's minute.
CALL_LOOKUP_MARGIN = timedelta(hours=1)


def say_language(locale: str | None) -> str:
    """``fr`` → ``fr-FR``, ``en_US`` → ``en-US``: the ``language`` of Twilio's ``<Say>``."""
    if not locale:
        return "fr-FR"
    language, _, region = locale.replace("-", "_").partition("_")
    return f"{language}-{region.upper()}" if region else DEFAULT_REGIONS.get(language, language)


def twiml_for(text: str, locale: str | None) -> str:
    """The call's TwiML: the text said paragraph by paragraph, escaped for XML, without the
    characters XML cannot hold (Twilio refuses a malformed TwiML: the call would not go)."""
    from xml.sax.saxutils import escape, quoteattr

    language = quoteattr(xml_text(say_language(locale)))
    paragraphs = [" ".join(p.split()) for p in xml_text(text).split("\n\n") if p.strip()]
    said = '<Pause length="1"/>'.join(
        f"<Say language={language}>{escape(p)}</Say>" for p in paragraphs
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{said}</Response>'


class VoiceAdapter(SmsAdapter):
    """Calls ``target.address`` and reads ``message.parts["text"]`` out through Twilio.

    The client, its ``Retry-After`` handling and the classification of Twilio's errors are
    the SMS adapter's: the same account, the same REST API.
    """

    recipient_kind = VoiceChannel.CONTACT
    default_concurrency = VoiceChannel.DEFAULT_CONCURRENCY
    # Twilio places one call per second per account unless the account's CPS was raised.
    default_rate = VoiceChannel.DEFAULT_RATE

    config: VoiceChannel  # type: ignore[assignment]

    def cost(self, message: Outgoing, target: Target | None = None) -> int:
        return 1

    def deliver(self, message: Outgoing, target: Target) -> str:
        from broadcast.channels.twilio_client import sid_of

        language = message.facts.get("language") or target.locale
        if target.locale and language and target.locale.startswith(str(language)):
            language = target.locale  # fr_CA keeps its region
        twiml = twiml_for(message.parts["text"], str(language) if language else None)
        client = self.client()
        fields = {"To": target.address, "From": self.addressing()[0], "Twiml": twiml}
        callback = self.status_callback()
        if callback:
            # Twilio posts only ``completed`` unless asked for more; every final outcome
            # (busy, no-answer, failed, canceled) comes with it.
            fields["StatusCallback"] = callback
            fields["StatusCallbackMethod"] = "POST"
        created = self._call(lambda: client.calls.create(fields))
        return sid_of(created)

    @classmethod
    def callback_status(cls, fields: Mapping[str, str]) -> DeliveryStatus | None:
        """What a status callback of Twilio's says of a call (``CallSid``, ``CallStatus``):
        answered (``completed``), busy, no answer, failed, or still on its way."""
        sid, status = fields.get("CallSid") or "", fields.get("CallStatus") or ""
        if not sid or not status:
            return None
        final = FINAL_CALL_STATUSES.get(status)
        return DeliveryStatus(
            provider_id=sid,
            status=status,
            final=final,
            error_code=status if final not in (None, "delivered") else None,
            error_message=None,
            updated_at=None,
        )

    def delivery_status(self, sid: str) -> DeliveryStatus:
        """``GET .../Calls/{sid}.json``: answered, busy, no answer, failed, or still ringing."""
        from broadcast.channels.twilio_client import twilio_time

        client = self.client()
        found = self._call(lambda: client.calls.fetch(sid))
        status = str(found.get("status"))
        final = FINAL_CALL_STATUSES.get(status)
        return DeliveryStatus(
            provider_id=sid,
            status=status,
            final=final,
            error_code=status if final not in (None, "delivered") else None,
            error_message=None,
            updated_at=twilio_time(found.get("end_time")) or twilio_time(found.get("date_updated")),
        )

    # A call in the list may be anyone's: a lookup can only prove none was placed.
    finds_own = False

    def find_sent(
        self,
        message: Outgoing,
        target: Target,
        since: datetime,
        others: frozenset[str] = frozenset(),
    ) -> str | None:
        """None when Twilio's Calls list shows no call to ``target`` from our caller id created
        since ``since`` (UTC, less ``CALL_LOOKUP_MARGIN``), leaving out ``others`` (calls the
        ledger knows are other deliveries'): this attempt's was not placed.

        Never a SID: a listed call carries nothing of its own to tell it is this attempt's
        (see the module), so one that is not known to be another's raises
        ``LookupUndecided``. A queued call has no start time yet, so ``StartTime`` cannot
        filter the list; it is read newest first, by creation time.
        """
        client = self.client()
        since = since.astimezone(UTC) - CALL_LOOKUP_MARGIN

        from broadcast.channels.twilio_client import twilio_time

        def look() -> str | None:
            calls = client.calls.stream(
                {"To": target.address, "From": self.addressing()[0]}, LOOKUP_PAGE_SIZE
            )
            for seen, call in enumerate(calls, start=1):
                created = twilio_time(call.get("date_created"))
                if created is not None and created < since:
                    return None
                if str(call.get("sid")) not in others:
                    raise LookupUndecided(
                        "maybe placed: Twilio lists a call to this number from our caller id "
                        "since this attempt began, and its Calls list cannot tell whose call it "
                        "is; held uncertain rather than taken as sent or placed again"
                    )
                if seen >= LOOKUP_MAX_CALLS:
                    raise LookupUndecided(
                        f"maybe placed: more than {LOOKUP_MAX_CALLS} calls to this number since "
                        "this attempt began; held uncertain"
                    )
            return None

        return self._call(look)
