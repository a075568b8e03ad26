"""How the sms and voice channels talk to Twilio: one account's Messages and Calls over the
SDK's client, whose HTTP client keeps each answer's ``Retry-After`` and ``Date``.

Imported only when one of those channels sends (the SDK takes most of a second to import).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from datetime import UTC, datetime, timedelta
from functools import cached_property
from types import ModuleType
from typing import TYPE_CHECKING, Any

from twilio.base.domain import Domain
from twilio.base.version import Version
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from broadcast.channels.base import clock_offset, parse_retry_after

if TYPE_CHECKING:
    from twilio.rest.api.v2010.account.call import CallList
    from twilio.rest.api.v2010.account.message import MessageList

# Where Twilio's 2010 REST API lives, as the SDK's ``twilio.rest.api.ApiBase`` says.
TWILIO_API_URL = "https://api.twilio.com"
# The packages above a resource of that API in the SDK (see ``v2010_resource``).
V2010_PACKAGES = ("twilio.rest.api", "twilio.rest.api.v2010", "twilio.rest.api.v2010.account")

_loading_v2010 = threading.Lock()


def v2010_resource(name: str) -> ModuleType:
    """The SDK's module for one resource of an account (``message``, ``call``), loaded alone.

    ``import twilio.rest.api.v2010.account.message`` would first run the packages above it,
    and those import every resource of the API (queues, SIP, usage...: 91 modules against
    12, ten times the instructions), which ``client.messages`` does too. A resource needs
    of its packages only their ``__path__``: they are put in ``sys.modules`` unexecuted while
    it loads, then taken out, so that a later ``import twilio.rest.api`` (``Client.api``)
    runs them whole and finds this resource already there.
    """
    module_name = f"{V2010_PACKAGES[-1]}.{name}"
    with _loading_v2010:
        if module_name in sys.modules or V2010_PACKAGES[-1] in sys.modules:
            return importlib.import_module(module_name)
        unexecuted: list[str] = []
        try:
            for package in V2010_PACKAGES:
                if package not in sys.modules:
                    spec = importlib.util.find_spec(package)
                    if spec is None:
                        raise ImportError(f"no {package} in this twilio", name=package)
                    sys.modules[package] = importlib.util.module_from_spec(spec)
                    unexecuted.append(package)
            return importlib.import_module(module_name)
        finally:
            for package in unexecuted:
                del sys.modules[package]


class TwilioAccount:
    """One account's Messages and Calls in Twilio's 2010 REST API, over one SDK client.

    What ``client.messages`` and ``client.calls`` give (the SDK's own ``MessageList`` and
    ``CallList``, doing the HTTP through ``client``), without building the rest of the API.
    ``base_url`` replaces ``https://api.twilio.com`` (a proxy, or the tests' local peer).
    """

    def __init__(self, client: Client, base_url: str | None = None) -> None:
        self.client = client
        domain = Domain(client, (base_url or TWILIO_API_URL).rstrip("/"))
        self.version = Version(domain, "2010-04-01")

    @cached_property
    def messages(self) -> MessageList:
        return v2010_resource("message").MessageList(self.version, self.client.account_sid)

    @cached_property
    def calls(self) -> CallList:
        return v2010_resource("call").CallList(self.version, self.client.account_sid)


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
