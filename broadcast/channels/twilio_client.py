"""How the sms and voice channels talk to Twilio: one account's Messages and Calls over the
SDK's client, whose HTTP client (urllib3 directly, one kept-alive connection per worker
thread) keeps each answer's ``Retry-After`` and ``Date``.

Imported only when one of those channels sends (the SDK takes most of a second to import).
"""

from __future__ import annotations

import base64
import codecs
import functools
import json
import logging
import os
import socket
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote_plus, urlencode, urlsplit

import urllib3
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import HttpClient
from twilio.http.request import Request as TwilioRequest
from twilio.http.response import Response
from twilio.rest import Client
from urllib3.util import Url, parse_url

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


_logger = logging.getLogger("twilio.http_client")  # the SDK's own client logs there
_JSON_TYPES = ("application/json", "application/scim+json")
# urllib3's default for its connections, said here because a kept-alive connection without
# it waits for the peer's delayed ACK (~40 ms) before a request's second segment.
_SOCKET_OPTIONS = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
# requests' limit on redirects, for a caller that asks for them (the SDK never does).
_MAX_REDIRECTS = 30


class RetryAfterHttpClient(HttpClient):
    """The SDK's HTTP client (``twilio.http.HttpClient``, given as ``Client(http_client=...)``)
    over urllib3 directly, keeping the last answer per thread for its ``Retry-After`` and
    ``Date``.

    Above it the SDK is whole: ``Client.request`` adds the authentication, the headers, the
    edge and region. Below it requests is gone: building a request in requests
    (``prepare_request``, its header dictionaries, the environment read on every request,
    ``typing.Protocol`` checks) was about 60 % of a message's CPU in a send, the limit of a
    pool of senders on a small machine. What requests did that a send relies on is kept:
    the environment's proxies (``HTTPS_PROXY``, ``NO_PROXY``) and CA bundle
    (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``), read once per scheme and host for a client
    (one send); certifi's CA bundle otherwise; the timeout for connecting and for each read;
    no retry of any kind (a request that may have reached Twilio is looked up, never sent
    again blindly); and its failures raised as requests' exceptions, as the SDK's own client
    raises them (``_as_requests_error``), so what a failure means for a send is decided in one
    place (``SmsAdapter._call``, ``channels.base.request_left``).

    ``TwilioRestException`` carries no headers, and Twilio's 429 says when to come back only
    in ``Retry-After``: the last answer of each thread is kept for it.
    """

    def __init__(
        self,
        timeout: float | None = None,
        logger: logging.Logger = _logger,
        proxy: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(logger, False, timeout)
        self.proxy = dict(proxy or {})
        self._local = threading.local()
        self._lock = threading.Lock()
        # What the environment says of each scheme and host: read once for this client.
        self._routes: dict[tuple[str, str], _Route] = {}
        # Every thread's pools, to close them all in ``close``.
        self._managers: list[urllib3.PoolManager] = []

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
        if timeout is None:
            timeout = self.timeout
        elif timeout <= 0:
            raise ValueError(timeout)
        method = method.upper()
        as_json = (headers or {}).get("Content-Type") in _JSON_TYPES
        described: dict[str, Any] = {
            "method": method,
            "url": url,
            "params": params,
            "headers": headers,
            "auth": auth,
            "json" if as_json else "data": data,
        }
        if self.logger.isEnabledFor(logging.INFO):
            # The SDK's lines (the authorization header left out); not even formatted unless
            # someone reads them.
            self.log_request(described)
        self._test_only_last_response = None
        self._test_only_last_request = TwilioRequest(**described)

        target = _with_query(url, params)
        sent = dict(headers or {})
        if auth is not None:
            sent["Authorization"] = _basic(auth)
        body = _body(data, as_json)
        options: dict[str, Any] = {
            "body": body,
            "headers": sent,
            "preload_content": False,
            "decode_content": False,
            "retries": _redirects(allow_redirects),
            "timeout": urllib3.Timeout(connect=timeout, read=timeout),
        }
        with _as_requests_errors():
            way = _parsed(target)
            manager, pool = self._way(way)
        wire.leaving()  # the gate of the send's limiter: the bytes leave now
        try:
            with _as_requests_errors():
                if pool is not None and not allow_redirects:
                    # As PoolManager.urlopen does it, without parsing the URL and looking
                    # the pool up again for every message.
                    answer = pool.urlopen(
                        method, way.request_uri, assert_same_host=False, redirect=False, **options
                    )
                else:  # through a proxy, or following redirects to other hosts
                    answer = manager.urlopen(method, target, redirect=allow_redirects, **options)
        finally:
            wire.answered()  # the status line and headers are in (or the request failed)
        text = _text(answer)
        if self.logger.isEnabledFor(logging.INFO):
            self.log_response(answer.status, answer)  # type: ignore[arg-type]
        response = Response(int(answer.status), text, answer.headers)
        self._test_only_last_response = response
        self._local.response = response
        self._local.offset = clock_offset(answer.headers.get("Date"), datetime.now(UTC))
        return response

    def _way(self, url: Url) -> tuple[urllib3.PoolManager, urllib3.HTTPConnectionPool | None]:
        """This thread's pool manager for ``url``'s route (one kept-alive connection per host)
        and, for a route without a proxy, its pool for ``url``'s host."""
        key = (url.scheme or "http", url.netloc or "")
        ways: dict[tuple[str, str], tuple[Any, Any]] | None = getattr(self._local, "ways", None)
        if ways is None:
            ways = self._local.ways = {}
        way = ways.get(key)
        if way is None:
            route = self._route(url.url, key)
            manager = route.manager()
            with self._lock:
                self._managers.append(manager)
            pool = (
                None
                if route.proxy is not None
                else manager.connection_from_host(url.host, port=url.port, scheme=url.scheme)
            )
            way = ways[key] = (manager, pool)
        return way

    def _route(self, url: str, key: tuple[str, str]) -> _Route:
        with self._lock:
            route = self._routes.get(key)
            if route is None:
                route = self._routes[key] = _Route.of(url, self.proxy)
        return route

    def close(self) -> None:
        """Close every thread's connections (the client can still be used: it reconnects)."""
        with self._lock:
            managers, self._managers = self._managers, []
        for manager in managers:
            manager.clear()
        self._local = threading.local()

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


class _Route:
    """How to reach one scheme and host, as requests would: its proxy from the environment
    (or the client's ``proxy``), and the CA bundle that verifies it."""

    def __init__(self, proxy: str | None, verify: object) -> None:
        self.proxy = proxy
        self.verify = verify

    @classmethod
    def of(cls, url: str, proxies: Mapping[str, str]) -> _Route:
        from requests import Session
        from requests.utils import select_proxy

        with Session() as session:
            settings = session.merge_environment_settings(url, dict(proxies), None, None, None)
        return cls(select_proxy(url, settings["proxies"]), settings["verify"])

    def manager(self) -> urllib3.PoolManager:
        """A pool manager keeping one connection per host (its thread's)."""
        from requests.utils import DEFAULT_CA_BUNDLE_PATH, get_auth_from_url

        tls: dict[str, Any]
        if self.verify is False:
            tls = {"cert_reqs": "CERT_NONE"}
        else:
            where = DEFAULT_CA_BUNDLE_PATH if self.verify in (True, None) else str(self.verify)
            kind = "ca_cert_dir" if os.path.isdir(where) else "ca_certs"
            tls = {"cert_reqs": "CERT_REQUIRED", kind: where}
        options: dict[str, Any] = {
            "num_pools": 4,
            "maxsize": 1,
            "block": False,
            "socket_options": _SOCKET_OPTIONS,
            **tls,
        }
        if self.proxy is None:
            return urllib3.PoolManager(**options)
        username, password = get_auth_from_url(self.proxy)
        if self.proxy.lower().startswith("socks"):
            try:
                with warnings.catch_warnings():  # its missing library is said below, once
                    warnings.simplefilter("ignore")
                    from urllib3.contrib.socks import SOCKSProxyManager
            except ImportError:  # PySocks is not installed: said as requests says it
                from requests.exceptions import InvalidSchema

                raise InvalidSchema("Missing dependencies for SOCKS support.") from None

            return SOCKSProxyManager(self.proxy, username=username, password=password, **options)
        credentials = f"{username}:{password}" if username else None
        return urllib3.ProxyManager(
            self.proxy,
            proxy_headers=urllib3.make_headers(proxy_basic_auth=credentials),
            **options,
        )


@functools.lru_cache(maxsize=256)
def _parsed(url: str) -> Url:
    """``url`` parsed as urllib3 parses it; remembered, as every message of a send is posted
    to the same URL."""
    return parse_url(url)


def _with_query(url: str, params: Mapping[str, object] | None) -> str:
    """``url`` with ``params`` added to its query, as requests encodes them."""
    if not params:
        return url
    query = urlencode(_pairs(params), doseq=True)
    return f"{url}&{query}" if urlsplit(url).query else f"{url}?{query}"


def _pairs(fields: Mapping[str, object]) -> list[tuple[str, object]]:
    """Form fields as requests sends them: a list's items each under its name, None left
    out."""
    pairs: list[tuple[str, object]] = []
    for name, value in fields.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend((name, item) for item in values if item is not None)
    return pairs


def _body(data: Mapping[str, object] | None, as_json: bool) -> bytes | None:
    """The request's body: the fields form-encoded (``urlencode``'s encoding), or JSON."""
    if as_json:
        return None if data is None else json.dumps(data, allow_nan=False).encode()
    if not data:
        return None
    return "&".join(
        f"{_form_quoted(name)}={_form_quoted(value if isinstance(value, str) else str(value))}"
        for name, value in _pairs(data)
    ).encode()


@functools.lru_cache(maxsize=1024)
def _form_quoted(text: str) -> str:
    """``text`` as ``urlencode`` writes it; remembered, because a send repeats its field names
    and most of its values (the text, the sender, the callback) on every message, and quoting
    goes character by character (a tenth of the transport's CPU)."""
    return quote_plus(text)


def _basic(auth: tuple[str, str]) -> str:
    """HTTP Basic authentication, encoded as requests encodes it."""
    user, password = auth
    token = base64.b64encode(f"{user}:{password}".encode("latin1")).decode("ascii")
    return f"Basic {token}"


def _redirects(allow: bool) -> urllib3.Retry:
    """No retry: a request that may have reached Twilio is looked up, never sent again
    (requests' ``Retry(0, read=False)``: a connection that fails to open is ``MaxRetryError``,
    one lost after the request left is raised as it is)."""
    if not allow:
        return urllib3.Retry(0, read=False)
    return urllib3.Retry(
        total=None, connect=0, read=False, status=0, other=0, redirect=_MAX_REDIRECTS
    )


def _text(answer: urllib3.BaseHTTPResponse) -> str:
    """The answer's body read whole and decoded, as requests reads ``Response.text``; the
    connection goes back to its thread's pool."""
    from requests.exceptions import ChunkedEncodingError, ContentDecodingError, SSLError
    from requests.exceptions import ConnectionError as RequestsConnectionError
    from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError
    from urllib3.exceptions import SSLError as Urllib3SSLError

    try:
        raw = answer.read(decode_content=True)
    except ProtocolError as exc:
        raise ChunkedEncodingError(exc) from exc
    except DecodeError as exc:
        raise ContentDecodingError(exc) from exc
    except ReadTimeoutError as exc:
        raise RequestsConnectionError(exc) from exc
    except Urllib3SSLError as exc:
        raise SSLError(exc) from exc
    finally:
        answer.release_conn()
    return str(raw, _charset(answer.headers.get("Content-Type")), errors="replace")


def _charset(content_type: str | None) -> str:
    """The charset of a Content-Type; requests' defaults without one (UTF-8 for JSON, Latin-1
    for other text), UTF-8 for the rest (requests guessed; Twilio answers JSON)."""
    if not content_type:
        return "utf-8"
    kind, _, rest = content_type.partition(";")
    for parameter in rest.split(";"):
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "charset" and value.strip("'\" "):
            charset = value.strip("'\" ")
            try:
                codecs.lookup(charset)
            except LookupError:
                return "utf-8"
            return charset
    kind = kind.strip().lower()
    return "iso-8859-1" if kind.startswith("text/") else "utf-8"


@contextmanager
def _as_requests_errors() -> Iterator[None]:
    """urllib3's failures in the block raised as requests' (``_as_requests_error``)."""
    try:
        yield
    except Exception as exc:
        said = _as_requests_error(exc)
        if said is None:
            raise
        raise said from exc


def _as_requests_error(exc: Exception) -> Exception | None:
    """urllib3's failure as requests' ``HTTPAdapter.send`` raises it: what the SDK's own
    client raises, read by ``channels.base.request_left`` (refused, unknown host, connect
    timeout: the request never left)."""
    from requests import exceptions as rq
    from urllib3 import exceptions as u3

    if isinstance(exc, rq.RequestException):
        return None  # already requests' (an OSError too: not to be wrapped again)
    if isinstance(exc, u3.LocationValueError):
        return rq.InvalidURL(exc)
    if isinstance(exc, (u3.ProtocolError, OSError)):
        return rq.ConnectionError(exc)
    if isinstance(exc, u3.MaxRetryError):
        reason = exc.reason
        if isinstance(reason, u3.ConnectTimeoutError) and not isinstance(
            reason, u3.NewConnectionError
        ):
            return rq.ConnectTimeout(exc)
        if isinstance(reason, u3.ResponseError):
            return rq.RetryError(exc)
        if isinstance(reason, u3.ProxyError):
            return rq.ProxyError(exc)
        if isinstance(reason, u3.SSLError):
            return rq.SSLError(exc)
        return rq.ConnectionError(exc)
    if isinstance(exc, u3.ClosedPoolError):
        return rq.ConnectionError(exc)
    if isinstance(exc, u3.ProxyError):
        return rq.ProxyError(exc)
    if isinstance(exc, u3.SSLError):
        return rq.SSLError(exc)
    if isinstance(exc, u3.ReadTimeoutError):
        return rq.ReadTimeout(exc)
    if isinstance(exc, u3.InvalidHeader):
        return rq.InvalidHeader(exc)
    return None  # not urllib3's, nor the network's: raised as it is
