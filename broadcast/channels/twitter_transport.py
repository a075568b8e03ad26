"""The HTTP transport the X channel gives tweepy's session: a timeout on every request, and
an API address of its own (a relay, the tests' local peer) when the channel names one.

Imported only when the channel sends, with requests and tweepy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies


class TimeoutHTTPAdapter(HTTPAdapter):
    """A requests transport that applies a timeout when the caller gives none (tweepy never does).

    With ``base_url`` it also sends every request there instead: scheme and host are replaced
    (a path in ``base_url`` is prefixed), path and query kept. tweepy hard-codes its host, and
    OAuth 1.0a has already signed the original URL, so that URL's host and scheme travel in
    ``X-Forwarded-Host`` / ``X-Forwarded-Proto`` for a relay to forward the request unchanged.
    """

    def __init__(self, *, timeout: float, base_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.timeout = timeout
        self.base_url = base_url
        if base_url is not None:
            parts = urlsplit(base_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"api_base_url must be an absolute http(s) URL: {base_url!r}")

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        if self.base_url is not None:
            original = urlsplit(request.url or "")
            target = urlsplit(self.base_url)
            request.headers.setdefault("X-Forwarded-Host", original.netloc)
            request.headers.setdefault("X-Forwarded-Proto", original.scheme)
            request.url = urlunsplit(
                (
                    target.scheme,
                    target.netloc,
                    target.path.rstrip("/") + original.path,
                    original.query,
                    "",
                )
            )
            # requests chose proxies for the original host; choose again for the new one.
            if proxies:
                proxies = get_environ_proxies(request.url)
        return super().send(
            request,
            stream=stream,
            timeout=self.timeout if timeout is None else timeout,
            verify=verify,
            cert=cert,
            proxies=proxies,
        )
