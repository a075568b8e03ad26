"""Local peer for Twilio's Programmable Messaging REST API, for tests with the real twilio SDK.

Speaks the documented 2010-04-01 Messages resource over plain HTTP on 127.0.0.1:

* ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` - form-encoded ``To``, ``From`` or
  ``MessagingServiceSid``, ``Body`` (or ``MediaUrl`` / ``ContentSid``), optional
  ``StatusCallback``; answers 201 with a Message resource (``status`` ``queued``, or
  ``accepted`` when sent through a Messaging Service).
* ``GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json`` - a stored message, or 404.
* ``GET /2010-04-01/Accounts/{AccountSid}/Messages.json`` - the list, newest first, filtered by
  ``To``, ``From`` and ``DateSent`` / ``DateSent<`` / ``DateSent>`` (whole UTC days, as Twilio:
  a message not sent yet has no ``date_sent`` and never matches), paged by ``PageSize``
  (default 50, at most 1000) and ``Page`` with ``next_page_uri``.
* Statuses that become final: with ``deliver_after`` seconds set, a message is ``sent`` at
  once and ``delivered`` (or ``undelivered`` / ``failed`` with the error code set per number
  by :meth:`TwilioAPIServer.mark_undelivered`) that many seconds after its creation; without
  it, it stays ``queued``.
* A lost answer: :meth:`TwilioAPIServer.drop_first_answer_to` accepts the first message to a
  number, then closes the connection without answering (the client sees a dropped connection
  for a message Twilio took); :meth:`TwilioAPIServer.fail_first_answer_to` accepts it, then
  answers a 5xx (the same for calls).
* Another clock: ``clock_offset`` (seconds, see :class:`tests.peers.base.PeerServer`) shifts
  the ``Date`` header and every ``date_created``.
* HTTP Basic auth with ``AccountSid:AuthToken`` (or an API key ``SK...:secret``); anything else
  is 401 with Twilio error 20003.
* Errors use Twilio's JSON shape ``{"code", "message", "more_info", "status"}`` with the
  documented codes (21602, 21603, 21604, 21211, 21610, 21614, ...). The magic ``To`` numbers of
  Twilio's test credentials (+15005550001 -> 21211, ...0002 -> 21612, ...0003 -> 21408,
  ...0004 -> 21610, ...0009 -> 21614) behave as documented unless ``magic_numbers=False``.

And the documented Calls resource (Programmable Voice):

* ``POST /2010-04-01/Accounts/{AccountSid}/Calls.json`` - form-encoded ``To``, ``From`` and
  ``Twiml`` (or ``Url``); answers 201 with a Call resource (``sid`` ``CA...``, ``status``
  ``queued``). Landlines are fine: no mobile check.
* ``GET /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json`` - the call, whose status is final
  once fetched: ``completed`` unless :meth:`TwilioAPIServer.set_call_outcome` scripted
  ``busy``, ``no-answer`` or ``failed`` for its number.
* ``GET /2010-04-01/Accounts/{AccountSid}/Calls.json`` - the list, newest first, filtered by
  ``To`` and ``From``, paged like the Messages list. A lost answer to a call is scripted by the
  same :meth:`TwilioAPIServer.drop_first_answer_to` as for messages. As Twilio's, a listed
  call carries the documented Call resource fields only: nothing of what created it (its
  ``Twiml``, ``Url`` or ``StatusCallback``) comes back, so nothing in the list tells one
  caller's call from another's to the same number from the same caller id.
* Faults around the hand-over, per number, for messages and calls alike:
  :meth:`TwilioAPIServer.drop_before_accept` reads the next request to a number and closes
  the connection without creating anything (the request is recorded, no resource exists);
  :meth:`TwilioAPIServer.hold_first_answer_to` creates it, then holds the answer (a kill
  lands while the client waits for a resource that exists).
* Look-ups held: :meth:`TwilioAPIServer.hold_lookups` holds every answer to a GET of
  messages (a receipt's fetch of one, an uncertain delivery's search of the list; or only
  one kind of them) until :meth:`TwilioAPIServer.release_lookups`; ``lookup_waiting`` is set
  once one waits, so a test can change the caller's machine (fill its disk) while its
  look-ups are in flight.

Status callbacks: a message or call created with a ``StatusCallback`` the peer can reach (a
loopback URL, or a public one mapped by ``server.callbacks.reach``) gets its statuses posted
there, form-encoded and signed as Twilio signs them, with fault modes (out of order, twice):
see :mod:`tests.peers.twilio_callbacks`. A fetch then gives the final status they reported.

Point the SDK at it with ``client.api.base_url = server.url`` (see :mod:`tests.peers.fixtures`).
Scripted faults come from :class:`tests.peers.base.PeerServer`: 500/503 answer with Twilio's
20500/20503 JSON, other 5xx with an HTML gateway page (as Twilio's edge does), 429 with
``Retry-After`` and code 20429.

:class:`HeaderKeepingHttpClient` shows how a caller can still read ``Retry-After``:
``TwilioRestException`` carries no response headers.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

from .base import IncomingRequest, PeerServer, Reply
from .twilio_callbacks import StatusCallbacks, call_steps, message_steps

API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
DEFAULT_AUTH_TOKEN = "local-peer-auth-token"
MAX_BODY_CHARS = 1600
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
# Delivery error codes a handset or carrier gives back (a final status, not a refusal).
DELIVERY_ERRORS: dict[int, str] = {
    30003: "Unreachable destination handset",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30008: "Unknown error",
}

# code -> (HTTP status, message template); templates may use {to}, {from_}, {sid}, {path}.
TWILIO_ERRORS: dict[int, tuple[int, str]] = {
    20003: (401, "Authenticate"),
    20004: (405, "Method not allowed"),
    20404: (404, "The requested resource {path} was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "An internal server error has occurred"),
    20503: (503, "Service is unavailable. Please try again"),
    21211: (400, "The 'To' number {to} is not a valid phone number."),
    21205: (400, "Url parameter is required."),
    21212: (
        400,
        "The 'From' number {from_} is not a valid phone number, shortcode, "
        "or alphanumeric sender ID.",
    ),
    21408: (
        400,
        "Permission to send an SMS has not been enabled for the region indicated by "
        "the 'To' number: {to}.",
    ),
    21266: (400, "'To' and 'From' number cannot be the same: {to}"),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21606: (
        400,
        "The 'From' phone number provided ({from_}) is not a valid message-capable Twilio "
        "phone number for this destination.",
    ),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21611: (400, "This 'From' number has exceeded the maximum number of queued messages"),
    21612: (
        400,
        "The 'To' phone number: {to}, is not currently reachable using the 'From' phone "
        "number: {from_} via SMS.",
    ),
    21614: (400, "'To' number is not a valid mobile number"),
    21617: (400, "The concatenated message body exceeds the 1600 character limit."),
    21701: (400, "The Messaging Service Sid {sid} is invalid."),
}

# Documented magic numbers for test credentials (twilio.com/docs/iam/test-credentials).
MAGIC_TO_ERRORS: dict[str, int] = {
    "+15005550001": 21211,
    "+15005550002": 21612,
    "+15005550003": 21408,
    "+15005550004": 21610,
    "+15005550009": 21614,
}
MAGIC_FROM_ERRORS: dict[str, int] = {
    "+15005550001": 21212,
    "+15005550007": 21606,
    "+15005550008": 21611,
}
MAGIC_VALID_FROM = "+15005550006"

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")
_MESSAGE = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>[^/]+)\.json$")
_CALLS = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Calls\.json$")
_CALL = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Calls/(?P<sid>[^/]+)\.json$")
CALL_OUTCOMES = ("completed", "busy", "no-answer", "failed", "canceled")
_E164 = re.compile(r"^(?:[a-z]+:)?\+[1-9]\d{1,14}$")
_SHORT_CODE = re.compile(r"^\d{3,8}$")
_ALPHA_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")

_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")


def sms_segments(body: str) -> int:
    """Number of SMS segments Twilio bills for ``body`` (GSM-7 160/153, else UCS-2 70/67)."""
    if all(c in _GSM7_BASIC or c in _GSM7_EXTENDED for c in body):
        septets = sum(2 if c in _GSM7_EXTENDED else 1 for c in body)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    code_units = len(body.encode("utf-16-le")) // 2
    return 1 if code_units <= 70 else math.ceil(code_units / 67)


def twilio_error(code: int, headers: Mapping[str, str] | None = None, **details: str) -> Reply:
    """A Twilio-shaped error reply for ``code`` (see :data:`TWILIO_ERRORS`)."""
    status, template = TWILIO_ERRORS[code]
    payload = {
        "code": code,
        "message": template.format_map({"to": "", "from_": "", "sid": "", "path": "", **details}),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return _twilio_json(status, payload, headers)


def twilio_error_saying(code: int, message: str) -> Reply:
    """Twilio error ``code`` with ``message`` as its text."""
    status, _ = TWILIO_ERRORS[code]
    payload = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return _twilio_json(status, payload)


def _twilio_json(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Reply:
    return Reply.json(
        status,
        payload,
        headers={"Twilio-Request-Id": "RQ" + secrets.token_hex(16), **(headers or {})},
    )


def _basic_auth(header: str | None) -> tuple[str, str] | None:
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


T = TypeVar("T")


@dataclass(frozen=True)
class SentMessage:
    """A message the peer accepted (what the provider would go on to deliver)."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    body: str
    messaging_service_sid: str | None
    status_callback: str | None
    media_urls: tuple[str, ...]
    auth_user: str
    status: str
    num_segments: int
    date_created: datetime
    params: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    # Where the message stands when asked: (status, date_sent, date_updated, error code).
    progress: tuple[str, datetime | None, datetime, int | None] | None = None

    @property
    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"

    def resource(self) -> dict[str, Any]:
        """The Message resource JSON, as Twilio returns it from create and fetch."""
        status, sent, updated, code = self.progress or (
            self.status,
            None,
            self.date_created,
            None,
        )
        base = self.uri.removesuffix(".json")
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": format_datetime(self.date_created),
            "date_sent": format_datetime(sent) if sent else None,
            "date_updated": format_datetime(updated),
            "direction": "outbound-api",
            "error_code": code,
            "error_message": DELIVERY_ERRORS.get(code) if code else None,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": str(len(self.media_urls)),
            "num_segments": str(self.num_segments),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": status,
            "subresource_uris": {
                "media": f"{base}/Media.json",
                "feedback": f"{base}/Feedback.json",
            },
            "to": self.to,
            "uri": self.uri,
        }


@dataclass(frozen=True)
class PlacedCall:
    """A call the peer accepted; ``outcome`` is the final status it reports when fetched."""

    sid: str
    account_sid: str
    to: str
    from_: str
    twiml: str | None
    url: str | None
    outcome: str
    date_created: datetime
    params: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{self.sid}.json"

    def resource(self, status: str) -> dict[str, Any]:
        """The Call resource JSON, as Twilio returns it from create and fetch."""
        stamp = format_datetime(self.date_created)
        final = status not in ("queued", "ringing", "in-progress")
        base = self.uri.removesuffix(".json")
        return {
            "account_sid": self.account_sid,
            "annotation": None,
            "answered_by": None,
            "api_version": API_VERSION,
            "caller_name": None,
            "date_created": stamp,
            "date_updated": stamp,
            "direction": "outbound-api",
            "duration": "42" if status == "completed" else ("0" if final else None),
            "end_time": stamp if final else None,
            "forwarded_from": None,
            "from": self.from_,
            "from_formatted": self.from_,
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": "PN" + "0" * 32,
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": self.sid,
            "start_time": stamp if final else None,
            "status": status,
            "subresource_uris": {
                "notifications": f"{base}/Notifications.json",
                "recordings": f"{base}/Recordings.json",
            },
            "to": self.to,
            "to_formatted": self.to,
            "trunk_sid": None,
            "uri": self.uri,
        }


class TwilioAPIServer(PeerServer):
    """Twilio Messages API peer.

    Args:
        account_sid, auth_token: the credentials requests must present (Basic auth).
        api_keys: optional ``{"SK...": secret}`` also accepted as Basic auth users.
        invalid, unsubscribed, not_mobile: ``To`` numbers answered with 21211 / 21610 / 21614.
        senders: if given, the only ``From`` values accepted (others get 21606).
        magic_numbers: honour Twilio's documented test-credential magic numbers.
        latency: seconds added to every response.
        deliver_after: seconds after which a message's status becomes final (None: it stays
            queued).
        sender_rates: ``{From or MessagingServiceSid: parts per second}``: a sender asked for
            more than its rate in any one-second window is answered 429 (code 20429,
            ``Retry-After: 1``) and nothing is created, as Twilio does; every accepted part is
            kept in :attr:`sender_log` (monotonic time, parts) to read the busiest second.
    """

    name = "twilio"

    def __init__(
        self,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        *,
        api_keys: Mapping[str, str] | None = None,
        invalid: Iterable[str] = (),
        unsubscribed: Iterable[str] = (),
        not_mobile: Iterable[str] = (),
        senders: Iterable[str] | None = None,
        magic_numbers: bool = True,
        latency: float = 0.0,
        deliver_after: float | None = None,
        sender_rates: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__(latency=latency)
        self.sender_rates: dict[str, float] = dict(sender_rates or {})
        # Per sender: (time.monotonic(), parts) of every accepted message or call.
        self.sender_log: dict[str, list[tuple[float, int]]] = {}
        # Requests refused because their sender was over its rate.
        self.over_rate = 0
        self._windows: dict[str, list[tuple[float, int]]] = {}
        self.deliver_after = deliver_after
        self._final_errors: dict[str, tuple[str, int]] = {}
        self._drop_first: set[str] = set()
        self._fail_first: dict[str, int] = {}
        self._drop_before: set[str] = set()
        self._hold_first: dict[str, float] = {}
        # Set while look-ups are held (hold_lookups): cleared to hold, set to let them answer.
        self._lookups_open = threading.Event()
        self._lookups_open.set()
        self._lookups_kind: str | None = None  # "one", "list", or both (None)
        self.lookup_waiting = threading.Event()
        self.lookups_held = 0  # how many wait now
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.api_keys = dict(api_keys or {})
        self.senders = None if senders is None else frozenset(senders)
        self._to_errors: dict[str, int] = dict(MAGIC_TO_ERRORS) if magic_numbers else {}
        self._to_messages: dict[str, str] = {}
        self._from_errors: dict[str, int] = dict(MAGIC_FROM_ERRORS) if magic_numbers else {}
        self._messages: dict[str, SentMessage] = {}
        self._calls: dict[str, PlacedCall] = {}
        self._call_outcomes: dict[str, str] = {}
        # Status callbacks (tests/peers/twilio_callbacks.py), started with the first one due;
        # the final status each message's callbacks reported, which its fetch then gives.
        self._callbacks: StatusCallbacks | None = None
        self._reported: dict[str, tuple[str, int | None]] = {}
        self.mark_invalid(*invalid)
        self.mark_unsubscribed(*unsubscribed)
        self.mark_not_mobile(*not_mobile)

    @property
    def callbacks(self) -> StatusCallbacks:
        """Where the peer's status callbacks are posted from, and how (see
        :mod:`tests.peers.twilio_callbacks`: ``reach``, ``out_of_order``, ``repeat``,
        ``posted``, ``wait_idle``)."""
        with self.lock:
            if self._callbacks is None:
                self._callbacks = StatusCallbacks(self.auth_token)
            return self._callbacks

    def stop(self) -> None:
        with self.lock:
            callbacks, self._callbacks = self._callbacks, None
        if callbacks is not None:
            callbacks.stop()
        super().stop()

    def _call_back_message(self, message: SentMessage) -> None:
        """Schedule the message's status callbacks, if it named a URL the peer can reach."""
        url = message.status_callback
        if not url or self.callbacks._where(url) is None:
            return
        with self.lock:
            final = self._final_errors.get(message.to, ("delivered", None))
            self._reported[message.sid] = final
        self.callbacks.schedule(
            url, message_steps(message.sid, self.account_sid, message.to, message.from_, final)
        )

    def _call_back_call(self, placed: PlacedCall) -> None:
        url = (placed.params.get("StatusCallback") or ("",))[0]
        if not url or self.callbacks._where(url) is None:
            return
        self.callbacks.schedule(
            url, call_steps(placed.sid, self.account_sid, placed.to, placed.from_, placed.outcome)
        )

    # -- per-number rules ----------------------------------------------------------------------

    def set_number_error(self, number: str, code: int, message: str | None = None) -> None:
        """Answer every message to ``number`` with Twilio error ``code`` (a 400 code), with
        ``message`` as its text instead of Twilio's own if given (a carrier's words, say)."""
        if TWILIO_ERRORS.get(code, (0, ""))[0] != 400:
            raise ValueError(f"not a per-number (400) Twilio error code: {code}")
        with self.lock:
            self._to_errors[number] = code
            if message is not None:
                self._to_messages[number] = message

    def mark_invalid(self, *numbers: str) -> None:
        for number in numbers:
            self.set_number_error(number, 21211)

    def mark_unsubscribed(self, *numbers: str) -> None:
        for number in numbers:
            self.set_number_error(number, 21610)

    def mark_not_mobile(self, *numbers: str) -> None:
        for number in numbers:
            self.set_number_error(number, 21614)

    def mark_unreachable(self, *numbers: str) -> None:
        for number in numbers:
            self.set_number_error(number, 21612)

    def mark_undelivered(
        self, *numbers: str, code: int = 30003, status: str = "undelivered"
    ) -> None:
        """Messages to ``numbers`` are accepted, then end ``undelivered`` (or ``failed``) with
        delivery error ``code`` (30003 unreachable handset, 30006 landline...)."""
        if code not in DELIVERY_ERRORS or status not in ("undelivered", "failed"):
            raise ValueError(f"not a delivery failure: {status} {code}")
        with self.lock:
            for number in numbers:
                self._final_errors[number] = (status, code)

    def drop_first_answer_to(self, *numbers: str) -> None:
        """Accept the next message or call to each of ``numbers``, then close without answering."""
        with self.lock:
            self._drop_first.update(numbers)

    def fail_first_answer_to(self, *numbers: str, status: int = 500) -> None:
        """Accept the next message or call to each of ``numbers``, then answer ``status``
        (a 5xx) as if it had failed."""
        with self.lock:
            self._fail_first.update(dict.fromkeys(numbers, status))

    def drop_before_accept(self, *numbers: str) -> None:
        """Read the next message or call to each of ``numbers``, create nothing, and close the
        connection without answering: the client cannot tell it from a lost answer."""
        with self.lock:
            self._drop_before.update(numbers)

    def hold_first_answer_to(self, *numbers: str, seconds: float = 30.0) -> None:
        """Accept the next message or call to each of ``numbers``, then hold the answer for
        ``seconds``: the resource exists while its creator still waits."""
        self._check_seconds("hold", seconds)
        with self.lock:
            self._hold_first.update(dict.fromkeys(numbers, seconds))

    def hold_lookups(self, kind: str | None = None) -> None:
        """Hold the answer to every GET of messages from now on (only fetches of ``"one"``,
        or only searches of the ``"list"``, if given), until :meth:`release_lookups`;
        :attr:`lookup_waiting` is set when the first one arrives."""
        if kind not in (None, "one", "list"):
            raise ValueError(f"hold_lookups: kind is 'one', 'list' or None, not {kind!r}")
        self._lookups_kind = kind
        self.lookup_waiting.clear()
        self._lookups_open.clear()

    def release_lookups(self) -> None:
        """The held look-ups (and every later one) are answered."""
        self._lookups_open.set()

    def _wait_if_lookups_held(self, kind: str) -> None:
        if self._lookups_open.is_set() or self._lookups_kind not in (None, kind):
            return
        with self.lock:
            self.lookups_held += 1
        self.lookup_waiting.set()
        try:
            # Until released, or the peer stops (a test that failed never releases them).
            while not self._lookups_open.wait(0.05) and not self._stopping.is_set():
                pass
        finally:
            with self.lock:
                self.lookups_held -= 1

    def _before_accept(self, to: str) -> Reply | None:
        """A dropped connection instead of accepting, if scripted for ``to``."""
        with self.lock:
            if to not in self._drop_before:
                return None
            self._drop_before.discard(to)
        return Reply(0, dropped=True)

    def _after_accept(self, to: str, resource: dict[str, Any]) -> Reply:
        """The answer to an accepted message or call to ``to``, as scripted: dropped, held
        (then given), or given at once."""
        with self.lock:
            dropped = to in self._drop_first
            self._drop_first.discard(to)
            hold = self._hold_first.pop(to, 0.0)
            failed = self._fail_first.pop(to, None)
        if dropped:
            return Reply(201, dropped=True)
        if failed is not None:
            return self.server_error_reply(failed)
        if hold:
            self._stopping.wait(hold)
        return _twilio_json(201, resource)

    def set_call_outcome(self, number: str, status: str) -> None:
        """Calls placed to ``number`` from now on end with ``status`` (busy, no-answer...)."""
        if status not in CALL_OUTCOMES:
            raise ValueError(f"not a final call status: {status}")
        with self.lock:
            self._call_outcomes[number] = status

    def calls(self) -> list[PlacedCall]:
        """Accepted calls in creation order (snapshot copy)."""
        with self.lock:
            return list(self._calls.values())

    def calls_to(self, number: str) -> list[PlacedCall]:
        return [c for c in self.calls() if c.to == number]

    def set_sender_rate(self, sender: str, rate: float) -> None:
        """Enforce ``rate`` parts (calls) per second on ``sender`` (a From or a service SID)."""
        with self.lock:
            self.sender_rates[sender] = rate

    def refuse_sender(self, sender: str, code: int = 21606) -> None:
        """From now on, answer every message or call from ``sender`` with ``code``."""
        with self.lock:
            self._from_errors[sender] = code

    def busiest_second(self, sender: str) -> int:
        """The most parts ``sender`` had accepted within any one-second window."""
        with self.lock:
            log = list(self.sender_log.get(sender, ()))
        best = total = start = 0
        for end in range(len(log)):
            total += log[end][1]
            while log[end][0] - log[start][0] >= 1.0:
                total -= log[start][1]
                start += 1
            best = max(best, total)
        return best

    def _over_rate(self, sender: str | None, parts: int) -> Reply | None:
        """429 when ``parts`` more would take ``sender`` over its rate in the last second;
        else the parts are counted (the caller then accepts the request)."""
        if sender is None:
            return None
        with self.lock:
            rate = self.sender_rates.get(sender)
            now = time.monotonic()
            if rate is not None:
                window = self._windows.setdefault(sender, [])
                while window and now - window[0][0] >= 1.0:
                    window.pop(0)
                if sum(p for _, p in window) + parts > rate:
                    self.over_rate += 1
                    return twilio_error(20429, headers={"Retry-After": "1"})
                window.append((now, parts))
            self.sender_log.setdefault(sender, []).append((now, parts))
        return None

    def clear_number_errors(self) -> None:
        with self.lock:
            self._to_errors.clear()
            self._to_messages.clear()
            self._from_errors.clear()

    # -- recorded data -------------------------------------------------------------------------

    def messages(self) -> list[SentMessage]:
        """Accepted messages in creation order (snapshot copy)."""
        with self.lock:
            return list(self._messages.values())

    def message(self, sid: str) -> SentMessage | None:
        with self.lock:
            return self._messages.get(sid)

    def _as_now(self, message: SentMessage) -> SentMessage:
        """The message with its status as of now (``deliver_after`` moves it on, or the
        final status its callbacks reported)."""
        if self.deliver_after is None:
            with self.lock:
                reported = self._reported.get(message.sid)
            if reported is not None:
                status, code = reported
                now = self.now()
                return replace(message, progress=(status, message.date_created, now, code))
            return message
        final_at = message.date_created + timedelta(seconds=self.deliver_after)
        if self.now() < final_at:
            return replace(
                message, progress=("sent", message.date_created, message.date_created, None)
            )
        with self.lock:
            status, code = self._final_errors.get(message.to, ("delivered", None))
        return replace(message, progress=(status, message.date_created, final_at, code))

    def messages_to(self, number: str) -> list[SentMessage]:
        return [m for m in self.messages() if m.to == number]

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self._messages.clear()
            self._calls.clear()
            self._call_outcomes.clear()
            self._drop_before.clear()
            self._hold_first.clear()
            self._lookups_open.set()
            self.sender_log.clear()
            self._windows.clear()
            self.over_rate = 0
            self._reported.clear()

    # -- wire protocol -------------------------------------------------------------------------

    def server_error_reply(self, status: int) -> Reply:
        if status in (500, 503):
            return twilio_error(20000 + status)
        return Reply.html(status, f"{status} Bad Gateway" if status == 502 else f"{status} Error")

    def rate_limit_reply(self, retry_after: int) -> Reply:
        return twilio_error(20429, headers={"Retry-After": str(retry_after)})

    def handle(self, request: IncomingRequest) -> Reply:
        calls, call = _CALLS.match(request.path), _CALL.match(request.path)
        if calls or call:
            return self._handle_calls(request, calls, call)
        many, one = _MESSAGES.match(request.path), _MESSAGE.match(request.path)
        match = many or one
        if match is None:
            return twilio_error(20404, path=request.path)
        denied = self._authenticate(request, match["account"])
        if denied is not None:
            return denied
        if many and request.method == "POST":
            return self._create(request)
        if request.method == "GET":
            self._wait_if_lookups_held("one" if one else "list")
        if one and request.method == "GET":
            message = self.message(one["sid"])
            if message is None:
                return twilio_error(20404, path=request.path)
            return _twilio_json(200, self._as_now(message).resource())
        if many and request.method == "GET":
            return self._list(request)
        return twilio_error(20004)

    def _list(self, request: IncomingRequest) -> Reply:
        """The Messages list: newest first, filtered, one page of it."""

        def first(name: str) -> str | None:
            values = request.query.get(name)
            return values[0] if values and values[0] != "" else None

        try:
            size = min(MAX_PAGE_SIZE, max(1, int(first("PageSize") or DEFAULT_PAGE_SIZE)))
            page = max(0, int(first("Page") or 0))
            days = {
                op: _day(value)
                for op in ("", "<", ">")
                if (value := first("DateSent" + op)) is not None
            }
        except ValueError:
            return _twilio_json(400, {"code": 20001, "message": "Invalid parameter", "status": 400})
        to, from_ = first("To"), first("From")
        chosen = []
        for message in reversed(self.messages()):
            message = self._as_now(message)
            sent = message.progress[1] if message.progress else None
            if to is not None and message.to != to:
                continue
            if from_ is not None and message.from_ != from_:
                continue
            if days and (
                sent is None
                or ("" in days and sent.date() != days[""])
                or ("<" in days and sent.date() > days["<"])
                or (">" in days and sent.date() < days[">"])
            ):
                continue
            chosen.append(message)
        return self._page(request, "Messages", chosen, SentMessage.resource, size, page)

    def _page(
        self,
        request: IncomingRequest,
        resource: str,
        chosen: list[T],
        as_json: Callable[[T], dict[str, Any]],
        size: int,
        page: int,
    ) -> Reply:
        """One page of a list resource (``Messages``, ``Calls``), with Twilio's paging links."""
        items = chosen[page * size : (page + 1) * size]
        path = f"/{API_VERSION}/Accounts/{self.account_sid}/{resource}.json"
        kept = [(k, v[0]) for k, v in request.query.items() if k not in ("Page", "PageToken")]

        def page_uri(number: int) -> str:
            query = [*kept, ("Page", str(number)), ("PageToken", f"PA{number}")]
            return f"{path}?{urlencode(query)}"

        more = (page + 1) * size < len(chosen)
        return _twilio_json(
            200,
            {
                resource.lower(): [as_json(item) for item in items],
                "end": page * size + max(len(items) - 1, 0),
                "first_page_uri": page_uri(0),
                "next_page_uri": page_uri(page + 1) if more else None,
                "page": page,
                "page_size": size,
                "previous_page_uri": page_uri(page - 1) if page else None,
                "start": page * size,
                "uri": page_uri(page),
            },
        )

    def _handle_calls(
        self, request: IncomingRequest, calls: re.Match[str] | None, call: re.Match[str] | None
    ) -> Reply:
        match = calls or call
        assert match is not None
        denied = self._authenticate(request, match["account"])
        if denied is not None:
            return denied
        if calls and request.method == "POST":
            return self._place_call(request)
        if calls and request.method == "GET":
            return self._list_calls(request)
        if call and request.method == "GET":
            with self.lock:
                placed = self._calls.get(call["sid"])
            if placed is None:
                return twilio_error(20404, path=request.path)
            return _twilio_json(200, placed.resource(placed.outcome))
        return twilio_error(20004)

    def _place_call(self, request: IncomingRequest) -> Reply:
        fields = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)

        def first(name: str) -> str | None:
            values = fields.get(name)
            return values[0] if values and values[0] != "" else None

        to, from_ = first("To"), first("From")
        twiml, url = first("Twiml"), first("Url")
        if to is None:
            return twilio_error(21604)
        if from_ is None:
            return twilio_error(21603)
        if twiml is None and url is None:
            return twilio_error(21205)
        if not _E164.match(to):
            return twilio_error(21211, to=to)
        with self.lock:
            to_code = self._to_errors.get(to)
            outcome = self._call_outcomes.get(to, "completed")
        if to_code in (21211, 21612, 21408):  # not about SMS: a number no call reaches either
            return twilio_error(to_code, to=to, from_=from_)
        with self.lock:
            from_code = self._from_errors.get(from_)
        if from_code is not None and from_code != 21611:
            return twilio_error(from_code, from_=from_, to=to)
        refused = self._before_accept(to) or self._over_rate(from_, 1)
        if refused is not None:
            return refused
        placed = PlacedCall(
            sid="CA" + secrets.token_hex(16),
            account_sid=self.account_sid,
            to=to,
            from_=from_,
            twiml=twiml,
            url=url,
            outcome=outcome,
            date_created=self.now().replace(microsecond=0),
            params={k: tuple(v) for k, v in fields.items()},
        )
        with self.lock:
            self._calls[placed.sid] = placed
        self._call_back_call(placed)
        return self._after_accept(to, placed.resource("queued"))

    def _list_calls(self, request: IncomingRequest) -> Reply:
        """The Calls list: newest first, filtered by ``To`` and ``From``, one page of it."""

        def first(name: str) -> str | None:
            values = request.query.get(name)
            return values[0] if values and values[0] != "" else None

        try:
            size = min(MAX_PAGE_SIZE, max(1, int(first("PageSize") or DEFAULT_PAGE_SIZE)))
            page = max(0, int(first("Page") or 0))
        except ValueError:
            return _twilio_json(400, {"code": 20001, "message": "Invalid parameter", "status": 400})
        to, from_ = first("To"), first("From")
        with self.lock:
            placed = list(self._calls.values())
        chosen = [
            c
            for c in reversed(placed)
            if (to is None or c.to == to) and (from_ is None or c.from_ == from_)
        ]
        return self._page(request, "Calls", chosen, lambda c: c.resource(c.outcome), size, page)

    def _authenticate(self, request: IncomingRequest, account: str) -> Reply | None:
        unauthorized = twilio_error(20003, headers={"WWW-Authenticate": 'Basic realm="Twilio API"'})
        credentials = _basic_auth(request.header("authorization"))
        if credentials is None:
            return unauthorized
        user, password = credentials
        expected = self.auth_token if user == self.account_sid else self.api_keys.get(user)
        if expected is None or not hmac.compare_digest(password.encode(), expected.encode()):
            return unauthorized
        if account != self.account_sid:  # credentials do not grant access to that account
            return unauthorized
        return None

    def _create(self, request: IncomingRequest) -> Reply:
        fields = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)

        def first(name: str) -> str | None:
            values = fields.get(name)
            return values[0] if values and values[0] != "" else None

        to, from_, body = first("To"), first("From"), first("Body") or ""
        service = first("MessagingServiceSid")
        media = tuple(u for u in fields.get("MediaUrl", []) if u)
        if to is None:
            return twilio_error(21604)
        if from_ is None and service is None:
            return twilio_error(21603)
        if service is not None and not _SERVICE_SID.match(service):
            return twilio_error(21701, sid=service)
        if not body and not media and first("ContentSid") is None:
            return twilio_error(21602)
        if len(body) > MAX_BODY_CHARS:
            return twilio_error(21617)
        if from_ is not None:
            if not (_E164.match(from_) or _SHORT_CODE.match(from_) or _ALPHA_SENDER.match(from_)):
                return twilio_error(21212, from_=from_)
            with self.lock:
                from_code = self._from_errors.get(from_)
            if from_code is None and self.senders is not None and from_ not in self.senders:
                from_code = 21606
            if from_code is not None:
                return twilio_error(from_code, from_=from_, to=to)
        if not _E164.match(to):
            return twilio_error(21211, to=to)
        with self.lock:
            to_code = self._to_errors.get(to)
            said = self._to_messages.get(to)
        if to_code is not None:
            reply = twilio_error(to_code, to=to, from_=from_ or "")
            return reply if said is None else twilio_error_saying(to_code, said)
        refused = self._before_accept(to) or self._over_rate(from_ or service, sms_segments(body))
        if refused is not None:
            return refused

        user = (_basic_auth(request.header("authorization")) or ("", ""))[0]
        message = SentMessage(
            sid=("MM" if media else "SM") + secrets.token_hex(16),
            account_sid=self.account_sid,
            to=to,
            from_=from_,
            body=body,
            messaging_service_sid=service,
            status_callback=first("StatusCallback"),
            media_urls=media,
            auth_user=user,
            # Through a Messaging Service the sender is picked later: "accepted", 0 segments.
            status="accepted" if service else "queued",
            num_segments=0 if service else sms_segments(body),
            date_created=self.now().replace(microsecond=0),
            params={k: tuple(v) for k, v in fields.items()},
        )
        with self.lock:
            self._messages[message.sid] = message
        self._call_back_message(message)
        return self._after_accept(to, message.resource())


def _day(value: str) -> date:
    """``DateSent`` works by whole days: ``YYYY-MM-DD`` or a datetime whose day counts."""
    return date.fromisoformat(value[:10])


class HeaderKeepingHttpClient(TwilioHttpClient):
    """A ``TwilioHttpClient`` that remembers the last response it got, per thread.

    ``TwilioRestException`` exposes ``status``, ``code``, ``msg``, ``uri``, ``method`` and
    ``details`` but no headers, so ``Retry-After`` on a 429 is lost. Passing this client as
    ``Client(sid, token, http_client=HeaderKeepingHttpClient())`` keeps it reachable:
    after catching the exception, :meth:`retry_after` reads the header of the response that
    caused it. Storage is thread-local, so concurrent senders sharing one client don't see
    each other's responses. (The base class's ``_test_only_last_response`` is shared and
    documented as test-only.)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._local = threading.local()

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        self._local.response = None
        response = super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )
        self._local.response = response
        return response

    @property
    def last_response(self) -> Response | None:
        """The last response received on this thread (``None`` if the request failed)."""
        return getattr(self._local, "response", None)

    def retry_after(self) -> float | None:
        """Seconds from the last response's ``Retry-After`` (delta-seconds or HTTP-date)."""
        response = self.last_response
        value = (
            None
            if response is None or response.headers is None
            else response.headers.get("Retry-After")
        )
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
