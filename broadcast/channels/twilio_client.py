"""How the sms and voice channels talk to Twilio: one account's Messages and Calls over the
SDK's client, whose HTTP client keeps each answer's ``Retry-After`` and ``Date``.

Imported only when one of those channels sends (the SDK takes most of a second to import).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from broadcast.channels import wire
from broadcast.channels.base import clock_offset, parse_retry_after

# Where Twilio's 2010 REST API lives, as the SDK's ``twilio.rest.api.ApiBase`` says.
TWILIO_API_URL = "https://api.twilio.com"


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


class _GatedAdapter(HTTPAdapter):
    """requests' transport, telling ``channels.wire`` when a request's bytes leave and when
    its answer's status line and headers are in (before its body is read)."""

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        wire.leaving()
        try:
            return super().send(request, *args, **kwargs)
        finally:
            wire.answered()


class _EnvironmentSettings:
    """``Session.merge_environment_settings`` asked once per scheme and host; the same
    answers for the same arguments (the environment does not change during a send)."""

    def __init__(self, merge: Callable[..., dict[str, Any]]) -> None:
        self.merge = merge
        self.lock = threading.Lock()
        self.known: dict[tuple[object, ...], dict[str, Any]] = {}

    def __call__(
        self, url: str, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, repr(proxies), stream, verify, repr(cert))
        with self.lock:
            settings = self.known.get(key)
            if settings is None:
                settings = self.known[key] = self.merge(url, proxies, stream, verify, cert)
        # A copy each time: requests may change the dict it is given.
        return {**settings, "proxies": dict(settings.get("proxies") or {})}


class RetryAfterHttpClient(TwilioHttpClient):
    """The SDK's HTTP client, keeping the last response per thread for its ``Retry-After``.

    ``TwilioRestException`` carries no headers, and Twilio's 429 says when to come back only
    in ``Retry-After``.
    """

    def __init__(self, *args: Any, connections: int = 10, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._local = threading.local()
        if self.session is not None:
            # One kept-alive connection per worker: the SDK's adapter keeps cpu_count + 4 (6
            # on a 2-core machine) and requests' default 10, so the other workers' connections
            # were closed after each answer and opened again (a TLS handshake each).
            adapter = _GatedAdapter(pool_connections=1, pool_maxsize=max(connections, 1))
            self.session.mount("https://", adapter)
            self.session.mount("http://", adapter)
            # The SDK asks requests for the environment's settings (proxies, no_proxy, CA
            # bundle) on every request, and requests reads and re-encodes all of os.environ
            # twice to answer: a quarter of a message's CPU in a send. They depend on the
            # URL's scheme and host alone, so each is read once for this client (one send).
            self.session.merge_environment_settings = _EnvironmentSettings(  # type: ignore[method-assign]
                self.session.merge_environment_settings
            )

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
