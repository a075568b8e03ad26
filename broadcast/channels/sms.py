"""SMS through Twilio's Messages API: one message to one phone number per delivery.

The dispatcher paces deliveries; ``cost`` tells it how many message parts (segments) a delivery
uses, since Twilio meters a long code at one part per second by default. Every refusal or failure
comes out as a ``DeliveryError``, classified as worth retrying (rate limit, 5xx, network) or not
(invalid or unsubscribed number, refused credentials...).

Every message carries a validity period: Twilio drops it from its queue once that is over, so
an old crisis text cannot arrive after the newer one. The adapter can also read what became of
a message (``message_status``) and find a message it may already have sent to a number
(``find_sent``): the channel knows nothing of the ledger; ``broadcast.delivery.receipts`` and
the dispatcher use these to keep the ledger honest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from broadcast.channels import register
from broadcast.channels.base import (
    ClientAdapter,
    DeliveryError,
    DeliveryStatus,
    Outgoing,
    Target,
    answer_of,
    on_provider_clock,
    request_left,
)
from broadcast.channels.base import (
    parse_retry_after as parse_retry_after,  # where a reader of an SMS answer finds it
)
from broadcast.channels.model import ChannelConfig, Measuring, PreviewBlock
from broadcast.channels.senders import Sender, check_pool, pool_rate
from broadcast.channels.sms_measures import greeting_measures, left_out_warning, text_measures
from broadcast.channels.sms_notes import dropped_note, greeting_note, typography_note
from broadcast.content.greeting import (
    GREETING_MARK,
    NAME_SLOT,
    sms_for,
)
from broadcast.content.measure import gsm_typography, sms_measure
from broadcast.input.incident_times import parse_duration
from broadcast.input.schema import Field, field_validator, model_validator

if TYPE_CHECKING:
    from twilio.base.exceptions import TwilioException

    from broadcast.channels.twilio_client import RetryAfterHttpClient, TwilioAccount


# The incident's ``reply:`` as the SMS channel carries it: what ``broadcast serve`` answers a
# reply that is no keyword, once per number and version. A part of the channel's texts, so it
# is previewed, measured, approved and recorded with them; never sent by a send.
REPLY_PART = "reply"


@register
class SmsChannel(ChannelConfig):
    ADAPTER: ClassVar[str] = "SmsAdapter"
    # Twilio queues what a long code cannot send at once; one part per second is its default.
    DEFAULT_RATE: ClassVar[float | None] = 1.0
    DEFAULT_CONCURRENCY: ClassVar[int] = 10
    CREDENTIALS: ClassVar[tuple[str, ...]] = ("account_sid", "auth_token")
    ENV_ONLY: ClassVar[tuple[str, ...]] = ("auth_token",)
    TEMPLATES: ClassVar[dict[str, str]] = {"text": "sms.txt.j2"}
    # The SMS is all most people read: every element, the instruction included.
    CARRIES: ClassVar[dict[str, tuple[str, ...]]] = {"text": ("what", "who", "do", "next")}
    # The people: a drill uses exercise_recipients, another list of other people.
    DESTINATION: ClassVar[tuple[str, ...]] = ("recipients",)
    CONTACT: ClassVar[Literal["phone", "email"] | None] = "phone"
    METERED_IN_PARTS: ClassVar[bool] = True
    ANSWERS_REPLIES: ClassVar[bool] = True

    ADDRESSING: ClassVar[tuple[str, ...]] = (
        "from_",
        "messaging_service_sid",
        "senders",
        "account_sid",
    )

    type: Literal["sms"]
    from_: str | None = Field(default=None, alias="from")
    messaging_service_sid: str | None = None
    # A pool of senders, each with its rate (see channels.senders): instead of from.
    senders: list[Sender] | None = None
    # A CSV file; None only with ``subscribers`` (``recipients: subscribers``).
    recipients: str | None = None
    account_sid: str
    auth_token: str
    max_segments: int = Field(default=3, ge=1, le=10)
    default_region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    status_callback: str | None = None
    api_base_url: str | None = None
    # Seconds to wait for the provider's answer (15 unless given); a later answer is looked
    # up, never sent again blindly.
    timeout: float | None = Field(default=None, gt=0, le=120)
    template: str | None = None
    # How long Twilio may keep a text queued; by default until the promised next update.
    validity: timedelta | None = None
    # Another channel (voice or email) for those this one cannot reach; see delivery.fallback.
    fallback: str | None = None
    # Typographic look-alikes (curly quotes, dashes...) replaced by GSM-7 ones before measuring
    # and sending, as Twilio's Smart Encoding does; transliterate also folds accents (ê → e).
    smart_encoding: bool = True
    transliterate: bool = False
    # "Bonjour Camille," from the recipients file's name column, counted per recipient: a
    # recipient whose name would take the text over max_segments gets it without the greeting.
    personalise: bool = False

    @field_validator("validity", mode="before")
    @classmethod
    def _validity(cls, value: Any) -> Any:
        if value is None or isinstance(value, timedelta):
            return value
        duration = parse_duration(value) if isinstance(value, str) else None
        if duration is None:
            raise ValueError(f"{value!r} is not a duration: write it like 2h, 90m or 1h30")
        if not timedelta(minutes=1) <= duration <= timedelta(hours=10):
            raise ValueError(
                f"{value!r}: give between 1m and 10h (Twilio keeps a text queued 10 h at most)"
            )
        return duration

    @model_validator(mode="after")
    def _one_sender(self) -> SmsChannel:
        check_pool(self.senders, self.from_, self.messaging_service_sid, self.rate)
        if self.senders is None and (self.from_ is None) == (self.messaging_service_sid is None):
            raise ValueError(
                "give the channel either 'from' (a number), 'messaging_service_sid' or "
                "'senders', not both and not neither"
            )
        if self.recipients is None and not self.subscribers:
            raise ValueError(
                "an SMS channel needs recipients: a CSV file, subscribers, or both "
                "([contacts.csv, subscribers])"
            )
        return self

    def rate_per_second(self) -> float | None:
        """A pool's rate is its senders' together."""
        return pool_rate(self.senders) if self.senders else super().rate_per_second()

    def template_names(self, reminder: bool = False, correction: bool = False) -> dict[str, str]:
        names = super().template_names(reminder, correction)
        plain = not (reminder or correction)
        return {**names, "text": self.template} if self.template and plain else names

    @property
    def greets_by_name(self) -> bool:
        return self.personalise

    def render_context(self, config: Any) -> dict[str, Any]:
        # Measured after the typography it is sent with; a greeting filled, or dropped, per
        # recipient.
        context: dict[str, Any] = {"recipient_name": NAME_SLOT} if self.personalise else {}
        return {
            **context,
            "smart_encoding": self.smart_encoding,
            "transliterate": self.transliterate,
        }

    def measure(self, parts: dict[str, str], at: Measuring, problems: list[Any]) -> dict[str, Any]:
        if "text" not in parts:
            return {}
        measures = text_measures(self, parts, at, problems)
        if REPLY_PART in parts:
            # Measured, and carried, as it is sent: with the SMS's own typography. Its length
            # is said against max_segments by preflight, on the incident's reply: line.
            answer = gsm_typography(
                parts[REPLY_PART], smart=self.smart_encoding, transliterate=self.transliterate
            ).text
            parts[REPLY_PART] = answer
            measured = sms_measure(answer)
            measures["reply_measures"] = {
                "encoding": measured.encoding,
                "characters": measured.units,
                "segments": measured.segments,
            }
        measures["dropped"] = list(at.fitted.dropped) if at.fitted else []
        if at.fitted is not None:
            problems.extend(left_out_warning(self, at))
        if GREETING_MARK in parts["text"] and at.readers is not None:
            measures.update(greeting_measures(self, parts["text"], at.readers))
        return measures

    @classmethod
    def measure_line(cls, measures: dict[str, Any]) -> list[str]:
        m = measures
        if m.get("personalised"):
            low, high = m["segments_min"], m["segments_max"]
            count = f"{low}" if low == high else f"{low} to {high}"
            return [
                f"{m['encoding']} · {m['characters']} chars + greeting · {count} "
                f"segment{'s' * (high != 1)} each (max {m['max_segments']})"
            ]
        if "segments" not in m:
            return []
        bits = [
            f"{m['encoding']} · {m['characters']} chars · "
            f"{m['segments']} segment{'s' * (m['segments'] != 1)} (max {m['max_segments']})"
        ]
        if m.get("non_gsm"):
            bits.append("UCS-2 because of " + " ".join(m["non_gsm"][:6]))
        return bits

    @classmethod
    def summary(cls, parts: dict[str, str], measures: dict[str, Any], languages: int) -> str:
        segments = measures.get("segments", 0)
        return f"{segments} segment{'s' * (segments != 1)}, {measures.get('encoding', '')}"

    @classmethod
    def preview_blocks(cls, parts: dict[str, str], measures: dict[str, Any]) -> list[PreviewBlock]:
        blocks = super().preview_blocks(parts, measures)
        if not blocks:
            return blocks
        for note, style in (
            (greeting_note(measures), "dim"),
            (dropped_note(measures), "yellow"),
            (typography_note(measures), "dim"),
        ):
            if note:
                blocks.append(PreviewBlock("note", note, style=style))
        if parts.get(REPLY_PART):
            reply = measures.get("reply_measures") or {}
            segments = reply.get("segments", 0)
            blocks.append(
                PreviewBlock(
                    "box",
                    parts[REPLY_PART],
                    title="Answer to a reply (broadcast serve, once per number)",
                    subtitle=f"{reply.get('encoding', '')} · {reply.get('characters', 0)} chars · "
                    f"{segments} segment{'s' * (segments != 1)}",
                )
            )
        return blocks

    def too_slow_help(self, measures: dict[str, Any]) -> str:
        if self.senders:
            help_ = "add senders to the pool (short codes at about 100/s each, or Messaging "
            help_ += "Services with more numbers)"
        elif self.messaging_service_sid:
            help_ = "add numbers to the Messaging Service (or a short code) and raise rate to "
            help_ += "what they allow together"
        else:
            help_ = (
                "one long code sends 1 part/s: send through a Twilio Messaging Service with "
                "several numbers (messaging_service_sid) or a short code, and raise rate to "
                "what it allows"
            )
        if int(measures.get("segments", 1)) > 1:
            help_ += "; a one-segment text would halve the time or better"
        return help_


# Seconds to wait for Twilio's answer unless the channel's ``timeout`` says otherwise.
REQUEST_TIMEOUT = 15.0

# Twilio keeps a message in its queue for 1 to 36,000 s (its default is the maximum).
MIN_VALIDITY = 1
MAX_VALIDITY = 36_000
# With no next update promised (a resolved incident), a text older than this is stale.
VALIDITY_WITHOUT_PROMISE = timedelta(hours=4)
# Twilio's final statuses, and what the ledger calls them. ``read`` (a WhatsApp or RCS
# message opened) comes after ``delivered``.
FINAL_STATUSES = {
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "undelivered",
}
# Where ``broadcast serve`` takes Twilio's status callbacks, under its public URL.
STATUS_CALLBACK_PATH = "/twilio/status"
# Without a Date from Twilio to read its clock by, a lookup starts this much before the
# attempt (calls, whose match has no body; messages are matched without a window).
CLOCK_SKEW = timedelta(seconds=60)
# A lookup reads at most this many of a number's messages (newest first) before giving up.
LOOKUP_PAGE_SIZE = 50
LOOKUP_MAX_MESSAGES = 500

# Twilio errors that no retry can fix, with what to tell the person reading the summary.
PERMANENT_ERRORS: dict[int, str] = {
    20003: "credentials refused: Twilio did not accept the account SID and auth token",
    20404: "Twilio does not know this account or resource",
    21211: "not a valid phone number",
    21212: "the sender ('from') is not a valid number or sender ID",
    21408: "sending to this country is not enabled on the Twilio account",
    21602: "the message is empty",
    21603: "no sender ('from') given",
    21604: "no recipient number given",
    21606: "the sender ('from') cannot send to this number",
    21610: "the recipient has unsubscribed (replied STOP)",
    21612: "the number cannot be reached from this sender",
    21614: "not a mobile number",
    21617: "the message is longer than 1600 characters",
    21701: "the messaging service SID is invalid",
}
# Twilio errors that clear by themselves: the provider's queues, not the message, are the issue.
TRANSIENT_ERRORS: dict[int, str] = {
    20429: "Twilio rate limit reached",
    21611: "the sender's queue at Twilio is full",
}


def validity_seconds(
    validity: timedelta | None, next_update_at: datetime | None, now: datetime
) -> int:
    """How long Twilio may keep the message queued: the channel's ``validity``, else until
    the promised next update, within Twilio's 1..36,000 s."""
    if validity is None:
        validity = next_update_at - now if next_update_at else VALIDITY_WITHOUT_PROMISE
    return max(MIN_VALIDITY, min(MAX_VALIDITY, int(validity.total_seconds())))


class SmsAdapter(ClientAdapter["TwilioAccount"]):
    """Sends ``message.parts["text"]`` to ``target.address`` (E.164) through Twilio."""

    recipient_kind = SmsChannel.CONTACT
    can_look_up = True
    gives_receipts = True
    gates_requests = True  # RetryAfterHttpClient: one create per deliver, through the gate
    default_concurrency = SmsChannel.DEFAULT_CONCURRENCY
    # Twilio queues what a long code cannot send at once; one part per second is its default.
    default_rate = SmsChannel.DEFAULT_RATE
    # 21610: the number replied STOP. Twilio refuses every later message until it replies
    # START, so asking again only turns each reminder into a failure.
    opt_out_codes = frozenset({"21610"})

    config: SmsChannel
    _http_client: RetryAfterHttpClient | None = None
    # The pool's sender of the delivery at hand (set per delivery by delivery.sender_pool:
    # each worker has its adapter); None: the channel's own from / messaging_service_sid.
    sender: Sender | None = None

    def addressing(self) -> tuple[str | None, str | None]:
        """The From and the MessagingServiceSid of the delivery at hand (one is None)."""
        sender = self.sender
        pool = getattr(self.config, "senders", None)
        if sender is None and pool:
            # A message outside a send (a sign-up code from broadcast serve): the pool's first.
            sender = pool[0]
        if sender is not None:
            return sender.from_, sender.messaging_service_sid
        return self.config.from_, getattr(self.config, "messaging_service_sid", None)

    def cost(self, message: Outgoing, target: Target | None = None) -> int:
        """Segments of the text: Twilio counts its rate in message parts."""
        return max(1, sms_measure(self.body(message, target)).segments)

    def body(self, message: Outgoing, target: Target | None) -> str:
        """The text this recipient gets: greeted by name (``personalise``) when it fits."""
        return sms_for(
            message.parts["text"],
            target.name if target else "",
            self.config.max_segments,
            self.config.smart_encoding,
            self.config.transliterate,
        )

    def deliver(self, message: Outgoing, target: Target) -> str:
        from broadcast.channels.twilio_client import sid_of

        client = self.client()
        fields: dict[str, object] = {"To": target.address, "Body": self.body(message, target)}
        from_, service = self.addressing()
        if from_ is not None:
            fields["From"] = from_
        else:
            fields["MessagingServiceSid"] = str(service)
        callback = self.status_callback()
        if callback:
            fields["StatusCallback"] = callback
        if not self.config.smart_encoding:
            # The spelling was chosen on purpose: a Messaging Service must not replace it either.
            fields["SmartEncoded"] = "false"
        next_update = message.facts.get("next_update_at")
        fields["ValidityPeriod"] = validity_seconds(
            self.config.validity,
            datetime.fromisoformat(next_update) if next_update else None,
            self.context.now,
        )
        created = self._call(lambda: client.messages.create(fields))
        return sid_of(created)

    def status_callback(self) -> str | None:
        """Where Twilio posts what becomes of each message or call: the channel's own
        ``status_callback``, else ``broadcast serve``'s (``{public_url}/twilio/status``) when
        channels.yaml gives ``serve: public_url``; None: receipts are looked up instead."""
        own = getattr(self.config, "status_callback", None)
        if own:
            return str(own)
        base = self.context.public_url
        return f"{base.rstrip('/')}{STATUS_CALLBACK_PATH}" if base else None

    @classmethod
    def callback_status(cls, fields: Mapping[str, str]) -> DeliveryStatus | None:
        """What a status callback of Twilio's says of a message (``MessageSid``,
        ``MessageStatus``, ``ErrorCode``), read like a looked-up receipt: ``final`` once
        Twilio knows (delivered, undelivered, failed), None until then. None when the fields
        are not a message's."""
        sid, status = fields.get("MessageSid") or "", fields.get("MessageStatus") or ""
        if not sid or not status:
            return None
        code = (fields.get("ErrorCode") or "").strip()
        final = FINAL_STATUSES.get(status)
        return DeliveryStatus(
            provider_id=sid,
            status=status,
            final=final,
            error_code=code if code and final != "delivered" else None,
            error_message=None,
            updated_at=None,
        )

    def delivery_status(self, sid: str) -> DeliveryStatus:
        """``GET .../Messages/{sid}.json``: the message's status now, final or not."""
        from broadcast.channels.twilio_client import twilio_time

        client = self.client()
        found = self._call(lambda: client.messages.fetch(sid))
        status = str(found.get("status"))
        code = found.get("error_code")
        said = found.get("error_message")
        return DeliveryStatus(
            provider_id=sid,
            status=status,
            final=FINAL_STATUSES.get(status),
            error_code=str(code) if code else None,
            error_message=self._scrub(str(said)) if said else None,
            updated_at=twilio_time(found.get("date_updated")),
        )

    def find_sent(
        self,
        message: Outgoing,
        target: Target,
        since: datetime,
        others: frozenset[str] = frozenset(),
    ) -> str | None:
        """The SID of a message with this body sent to ``target`` from our sender since
        ``since`` (UTC), if Twilio has one: the answer to "did the last attempt go out?".

        A queued message has no ``date_sent`` yet, so the list is filtered by To and From
        only, read newest first, and stops at the first message created before ``since`` as
        Twilio's own clock reads it (the ``Date`` of the list's answer): never our clock
        against theirs. Without a Date the body alone decides, over the newest messages.
        """
        from broadcast.channels.twilio_client import sid_of, twilio_time

        client = self.client()
        since = since.astimezone(UTC)
        body = self.body(message, target)  # as deliver sent it: the same name, the same fit
        filters: dict[str, str] = {"To": target.address}
        from_, service = self.addressing()
        if from_ is not None:
            filters["From"] = from_

        def look() -> str | None:
            window: datetime | None = None
            for seen, item in enumerate(client.messages.stream(filters, LOOKUP_PAGE_SIZE), start=1):
                if seen == 1:  # the first page has come: its Date is Twilio's time
                    window = on_provider_clock(since, self.provider_clock_offset())
                created = twilio_time(item.get("date_created"))
                if window is not None and created is not None and created < window:
                    return None
                if (
                    item.get("sid") not in others
                    and item.get("body") == body
                    and (from_ is not None or item.get("messaging_service_sid") == service)
                ):
                    return sid_of(item)
                if seen >= LOOKUP_MAX_MESSAGES:
                    return None
            return None

        return self._call(look)

    def _call(self, request: Callable[[], Any]) -> Any:
        """One request to Twilio, its failures as ``DeliveryError``."""
        import requests
        from twilio.base.exceptions import TwilioException

        try:
            return request()
        except TwilioException as exc:
            raise self._classify(exc) from None
        except requests.Timeout as exc:
            raise DeliveryError(
                "timeout",
                f"Twilio did not answer within {self.request_timeout():g} s",
                transient=True,
                answer=answer_of(None, left=request_left(exc)),
                answered=False,
            ) from None
        except requests.ConnectionError as exc:
            raise DeliveryError(
                "connection",
                f"could not reach Twilio ({type(exc).__name__})",
                transient=True,
                answer=answer_of(None, left=request_left(exc)),
                answered=False,
            ) from None
        except requests.RequestException as exc:
            raise DeliveryError(
                "request",
                self._scrub(f"bad request to Twilio: {exc}"),
                transient=False,
                answer=answer_of(None, left=request_left(exc)),
                answered=False,
            ) from None

    def provider_clock_offset(self) -> timedelta | None:
        """Twilio's clock less ours, as its last answer on this thread said it."""
        return self._http_client.clock_offset() if self._http_client else None

    def request_timeout(self) -> float:
        return float(getattr(self.config, "timeout", None) or REQUEST_TIMEOUT)

    def build_client(self) -> TwilioAccount:
        from twilio.rest import Client

        from broadcast.channels.twilio_client import RetryAfterHttpClient, TwilioAccount

        self._http_client = RetryAfterHttpClient(timeout=self.request_timeout())
        base_url = self.config.api_base_url
        # TWILIO_EDGE / TWILIO_REGION rewrite "api.twilio.com" into e.g.
        # "api.dublin.ie1.twilio.com"; applied to a base URL of our own they would mangle its
        # host, so they are honoured only for Twilio's own host. A mapping with blank values
        # is needed: the SDK reads os.environ when given an empty one.
        environment = {"TWILIO_EDGE": "", "TWILIO_REGION": ""} if base_url else None
        client = Client(
            self.credentials["account_sid"],
            self.credentials["auth_token"],
            http_client=self._http_client,
            environment=environment,
        )
        return TwilioAccount(client, base_url)

    def release_client(self, client: TwilioAccount) -> None:
        if self._http_client is not None:
            self._http_client.close()
        self._http_client = None

    def _classify(self, exc: TwilioException) -> DeliveryError:
        status: int = getattr(exc, "status", 0) or 0
        # Twilio's own code; an answer that is not Twilio's JSON (a gateway page) has only HTTP's.
        code: int = getattr(exc, "code", None) or status
        name = str(code) if code else "twilio"
        # A 4xx refused the request; a 5xx, or an answer the SDK could not read (no status),
        # may come after Twilio took the message.
        answer = answer_of(status or None)
        if code in TRANSIENT_ERRORS or status == 429 or status >= 500 or not status:
            retry_after = self._http_client.retry_after() if self._http_client else None
            text = TRANSIENT_ERRORS.get(code) or (
                f"Twilio answered HTTP {status}"
                if status
                else self._scrub(f"Twilio's answer could not be read ({exc})")
            )
            return DeliveryError(name, text, transient=True, retry_after=retry_after, answer=answer)
        if status in (401, 403) or code == 20003:
            # The account, not the number: every other message would be refused the same way.
            said = (
                self._twilio_message(exc, status)
                if status == 403
                else "Twilio did not accept the account SID and auth token"
            )
            return DeliveryError(
                name,
                f"credentials refused (HTTP {status or 401}): {said}",
                transient=False,
                channel_fault=True,
            )
        text = PERMANENT_ERRORS.get(code) or self._twilio_message(exc, status)
        return DeliveryError(name, text, transient=False, answer=answer)

    def _twilio_message(self, exc: TwilioException, status: int) -> str:
        said = str(getattr(exc, "msg", "") or "").strip()
        return self._scrub(said or f"Twilio refused the message (HTTP {status})")

    def _scrub(self, text: str) -> str:
        """Never let the auth token reach a summary, a log or the ledger."""
        token = self.credentials.get("auth_token")
        return text.replace(token, "***") if token else text
