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

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from broadcast.channels.base import (
    ClientAdapter,
    DeliveryError,
    DeliveryStatus,
    Outgoing,
    Target,
    answer_of,
    clock_offset,
    on_provider_clock,
    request_left,
)
from broadcast.content.greeting import sms_for
from broadcast.content.measure import sms_measure

if TYPE_CHECKING:
    from broadcast.input.config import SmsChannel

# Seconds to wait for Twilio's answer unless the channel's ``timeout`` says otherwise.
REQUEST_TIMEOUT = 15.0
# Where Twilio's 2010 REST API lives, as the SDK's ``twilio.rest.api.ApiBase`` says.
TWILIO_API_URL = "https://api.twilio.com"

# Twilio keeps a message in its queue for 1 to 36,000 s (its default is the maximum).
MIN_VALIDITY = 1
MAX_VALIDITY = 36_000
# With no next update promised (a resolved incident), a text older than this is stale.
VALIDITY_WITHOUT_PROMISE = timedelta(hours=4)
# Twilio's final statuses, and what the ledger calls them.
FINAL_STATUSES = {"delivered": "delivered", "undelivered": "undelivered", "failed": "undelivered"}
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


class TwilioAccount:
    """One account's Messages and Calls in Twilio's 2010 REST API, over one SDK client.

    Every request goes through the SDK's public ``Client.request`` (its authentication,
    headers, edge and region, and HTTP client), with the REST API's documented parameters
    (``To``, ``Body``, ``ValidityPeriod``...) and its JSON read here. The SDK's generated
    resources are not used: ``client.messages`` imports its package for the whole 2010 API
    (91 modules, ten times the instructions of a first message's other imports), and loading
    one resource alone meant putting unexecuted packages into ``sys.modules``.
    ``base_url`` replaces ``https://api.twilio.com`` (a proxy, or the tests' local peer).
    """

    def __init__(self, client: Client, base_url: str | None = None) -> None:
        self.client = client
        self.base_url = (base_url or TWILIO_API_URL).rstrip("/")
        account = f"{self.base_url}/2010-04-01/Accounts/{client.account_sid}"
        self.messages = TwilioList(self, f"{account}/Messages", "messages")
        self.calls = TwilioList(self, f"{account}/Calls", "calls")

    def request(
        self,
        method: str,
        url: str,
        params: Mapping[str, object] | None = None,
        data: Mapping[str, object] | None = None,
    ) -> dict[str, Any]:
        """Twilio's JSON answer to one request; a refusal as ``TwilioRestException`` (with
        Twilio's status, code and words), an answer that is not a JSON object as
        ``TwilioException`` (no status: it may have come after Twilio acted)."""
        response = self.client.request(
            method,
            url,
            params=dict(params) if params is not None else None,
            data=dict(data) if data is not None else None,
        )
        status = response.status_code
        payload = _json_object(response.text)
        if not 200 <= status < 300:
            said = payload.get("message") or payload.get("detail") or payload.get("title") or ""
            code = payload.get("code") or status
            raise TwilioRestException(status, url, str(said), code, method, payload.get("details"))
        if not payload:
            raise TwilioException(f"HTTP {status} without Twilio's JSON")
        return payload


class TwilioList:
    """One list resource of the account (``Messages``, ``Calls``): create an item of it,
    fetch one by SID, read it newest first page by page."""

    def __init__(self, account: TwilioAccount, url: str, key: str) -> None:
        self.account = account
        self.url = url  # without ``.json``: an item's URL is ``{url}/{sid}.json``
        self.key = key  # where a page of the list holds its items

    def create(self, fields: Mapping[str, object]) -> dict[str, Any]:
        """``POST {list}.json`` with ``fields`` (Twilio's names): the new item."""
        return self.account.request("POST", f"{self.url}.json", data=fields)

    def fetch(self, sid: str) -> dict[str, Any]:
        """``GET {list}/{sid}.json``: the item as it is now."""
        return self.account.request("GET", f"{self.url}/{sid}.json")

    def stream(self, filters: Mapping[str, object], page_size: int) -> Iterator[dict[str, Any]]:
        """The items ``filters`` select, newest first, one page at a time (``next_page_uri``)
        as the loop asks for more."""
        page = self.account.request("GET", f"{self.url}.json", {**filters, "PageSize": page_size})
        while True:
            items = page.get(self.key)
            if not isinstance(items, list):
                raise TwilioException(f"a page of {self.key} without its list")
            yield from (item for item in items if isinstance(item, dict))
            following = page.get("next_page_uri")
            if not following:
                return
            page = self.account.request("GET", f"{self.account.base_url}{following}")


def sid_of(item: Mapping[str, Any]) -> str:
    """The SID of an item of Twilio's JSON; one without is an answer that cannot be read."""
    sid = item.get("sid")
    if not isinstance(sid, str) or not sid:
        raise TwilioException("Twilio's answer carries no SID")
    return sid


def _json_object(text: str) -> dict[str, Any]:
    """``text`` read as a JSON object; empty if it is not one."""
    try:
        payload = json.loads(text)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def twilio_time(value: object) -> datetime | None:
    """A date of Twilio's JSON (RFC 2822, ``Mon, 16 Aug 2010 03:45:01 +0000``); None if
    absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


class RetryAfterHttpClient(TwilioHttpClient):
    """The SDK's HTTP client, keeping the last response per thread for its ``Retry-After``.

    ``TwilioRestException`` carries no headers, and Twilio's 429 says when to come back only
    in ``Retry-After``.
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
        self._local.response = None  # a request that fails leaves no stale answer behind
        self._local.offset = None
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
        headers = response.headers or {}
        self._local.offset = clock_offset(headers.get("Date"), datetime.now(UTC))
        return response

    def clock_offset(self) -> timedelta | None:
        """Twilio's clock less ours, from the ``Date`` of the last answer on this thread."""
        return getattr(self._local, "offset", None)

    def retry_after(self) -> float | None:
        """Seconds to wait according to the last response on this thread, if it said."""
        response: Response | None = getattr(self._local, "response", None)
        value = (
            None
            if response is None or not response.headers
            else response.headers.get("Retry-After")
        )
        return None if value is None else parse_retry_after(value)


def parse_retry_after(value: str) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None if unreadable."""
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def validity_seconds(
    validity: timedelta | None, next_update_at: datetime | None, now: datetime
) -> int:
    """How long Twilio may keep the message queued: the channel's ``validity``, else until
    the promised next update, within Twilio's 1..36,000 s."""
    if validity is None:
        validity = next_update_at - now if next_update_at else VALIDITY_WITHOUT_PROMISE
    return max(MIN_VALIDITY, min(MAX_VALIDITY, int(validity.total_seconds())))


class SmsAdapter(ClientAdapter[TwilioAccount]):
    """Sends ``message.parts["text"]`` to ``target.address`` (E.164) through Twilio."""

    recipient_kind = "phone"
    can_look_up = True
    gives_receipts = True
    default_concurrency = 10
    # Twilio queues what a long code cannot send at once; one part per second is its default.
    default_rate = 1.0
    # 21610: the number replied STOP. Twilio refuses every later message until it replies
    # START, so asking again only turns each reminder into a failure.
    opt_out_codes = frozenset({"21610"})

    config: SmsChannel
    _http_client: RetryAfterHttpClient | None = None

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
        client = self.client()
        fields: dict[str, object] = {"To": target.address, "Body": self.body(message, target)}
        if self.config.from_ is not None:
            fields["From"] = self.config.from_
        else:
            fields["MessagingServiceSid"] = str(self.config.messaging_service_sid)
        if self.config.status_callback:
            fields["StatusCallback"] = self.config.status_callback
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

    def delivery_status(self, sid: str) -> DeliveryStatus:
        """``GET .../Messages/{sid}.json``: the message's status now, final or not."""
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
        client = self.client()
        since = since.astimezone(UTC)
        body = self.body(message, target)  # as deliver sent it: the same name, the same fit
        filters: dict[str, str] = {"To": target.address}
        if self.config.from_ is not None:
            filters["From"] = self.config.from_

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
                    and (
                        self.config.from_ is not None
                        or item.get("messaging_service_sid") == self.config.messaging_service_sid
                    )
                ):
                    return sid_of(item)
                if seen >= LOOKUP_MAX_MESSAGES:
                    return None
            return None

        return self._call(look)

    def _call(self, request: Callable[[], Any]) -> Any:
        """One request to Twilio, its failures as ``DeliveryError``."""
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
        if self._http_client is not None and self._http_client.session is not None:
            self._http_client.session.close()
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
