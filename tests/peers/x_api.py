"""Local peer for the X API v2 create-post endpoint, for tests with the real tweepy SDK.

Speaks what ``tweepy.Client.create_tweet`` sends (tweepy 4.17):

* ``POST /2/tweets`` with a JSON body ``{"text": ..., "reply": {"in_reply_to_tweet_id": ...}}``
  and an OAuth 1.0a user-context ``Authorization: OAuth oauth_consumer_key=..., ...`` header.
  The consumer key and access token must match the configured ones and - unless
  ``verify_signature=False`` - the HMAC-SHA1 signature must verify against the configured
  secrets and the URL the client signed (taken from ``X-Forwarded-Proto``/``X-Forwarded-Host``,
  which :class:`LocalRedirectAdapter` adds). Success is 201 ``{"data": {"id", "text",
  "edit_history_tweet_ids"}}`` with snowflake-style numeric string ids.
* ``GET /2/tweets/{id}`` and ``DELETE /2/tweets/{id}`` for posts made here.
* ``GET /2/users/{id}/tweets`` - the account's timeline (its posts made here, not deleted),
  newest first, ``max_results`` (5..100) of them, with ``created_at`` and
  ``referenced_tweets`` when ``tweet.fields`` asks; ``GET /2/users/me`` - the account, whose
  id is the access token's head (as X's OAuth 1.0a tokens are ``{user_id}-...``).
* Another clock: ``clock_offset`` (see :class:`tests.peers.base.PeerServer`) shifts ``Date``
  and ``created_at``; ``accept_then_fail_next`` publishes a post and answers a 5xx.
* Errors in X's shapes: 401 ``Unauthorized`` problem JSON; 403 for app-only Bearer auth
  (``Unsupported Authentication``), duplicate text by the same account, and replies to unknown
  posts; 400 for missing or too long text (twitter-text weighting, approximated); 429 with
  ``x-rate-limit-limit`` / ``x-rate-limit-remaining`` / ``x-rate-limit-reset`` (epoch seconds),
  both scripted and from a real per-window quota (``rate_limit`` requests per ``rate_window``).
  Rate-limit headers are sent on every ``/2/tweets`` answer, as X does.

tweepy hard-codes its host (``https://api.twitter.com`` in 4.17, not ``api.x.com``), so it is
redirected here by mounting :class:`LocalRedirectAdapter` on ``client.session``
(:func:`redirect_session`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import time
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from oauthlib.oauth1.rfc5849 import signature as oauth_signature
from oauthlib.oauth1.rfc5849 import utils as oauth_utils
from requests.adapters import HTTPAdapter

from .base import IncomingRequest, PeerServer, Reply

DEFAULT_CONSUMER_KEY = "local-peer-consumer-key"
DEFAULT_CONSUMER_SECRET = "local-peer-consumer-secret"
DEFAULT_ACCESS_TOKEN = "1234567890-local-peer-access-token"
DEFAULT_ACCESS_TOKEN_SECRET = "local-peer-access-token-secret"
MAX_WEIGHTED_LENGTH = 280
TWITTER_EPOCH_MS = 1288834974657
PROBLEM_JSON = "application/problem+json"

DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."
REPLY_DETAIL = "You attempted to reply to a Tweet that is deleted or not visible to you."
TOO_LONG_DETAIL = (
    "Your Tweet text is too long. For more information on how Twitter determines text length "
    "see https://github.com/twitter/twitter-text."
)
APP_ONLY_DETAIL = (
    "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported "
    "authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context]."
)

_TWEET = re.compile(r"^/2/tweets/(?P<id>\d{1,19})$")
_TIMELINE = re.compile(r"^/2/users/(?P<id>\d{1,19})/tweets$")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
# twitter-text v3: code points in these ranges weigh 1, everything else 2; URLs count 23.
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_OAUTH_REQUIRED = (
    "oauth_consumer_key",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
    "oauth_timestamp",
    "oauth_token",
)


def weighted_length(text: str) -> int:
    """Post length as X counts it (twitter-text v3 weights; emoji sequences approximated)."""
    text = unicodedata.normalize("NFC", text)
    length = 0
    for chunk_index, chunk in enumerate(_URL.split(text)):
        if chunk_index:
            length += 23
        for char in chunk:
            point = ord(char)
            length += 1 if any(lo <= point <= hi for lo, hi in _LIGHT_RANGES) else 2
    return length


def problem(
    status: int, title: str, detail: str, *, type_: str = "about:blank", **headers: str
) -> Reply:
    """An RFC 7807 problem reply, the shape X API v2 uses for request-level errors."""
    payload = {"detail": detail, "type": type_, "title": title, "status": status}
    return Reply.json(status, payload, content_type=PROBLEM_JSON, headers=headers)


def _invalid_request(message: str) -> Reply:
    payload = {
        "errors": [{"parameters": {}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    return Reply.json(400, payload, content_type=PROBLEM_JSON)


@dataclass(frozen=True)
class Post:
    """A post the peer accepted."""

    id: str
    text: str
    in_reply_to: str | None
    quote_tweet_id: str | None
    access_token: str
    created_at: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)

    def data(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "edit_history_tweet_ids": [self.id]}


class XAPIServer(PeerServer):
    """X API v2 peer for ``POST /2/tweets``.

    Args:
        consumer_key, consumer_secret, access_token, access_token_secret: the OAuth 1.0a
            credentials the client must sign with.
        verify_signature: check the HMAC-SHA1 signature, not just key and token.
        rate_limit, rate_window: real quota - ``rate_limit`` create requests per
            ``rate_window`` seconds, then 429 until the window resets.
        existing_post_ids: ids that exist already (valid ``in_reply_to_tweet_id`` targets).
        latency: seconds added to every response.
    """

    name = "x"

    def __init__(
        self,
        consumer_key: str = DEFAULT_CONSUMER_KEY,
        consumer_secret: str = DEFAULT_CONSUMER_SECRET,
        access_token: str = DEFAULT_ACCESS_TOKEN,
        access_token_secret: str = DEFAULT_ACCESS_TOKEN_SECRET,
        *,
        verify_signature: bool = True,
        rate_limit: int = 10_000,
        rate_window: float = 900.0,
        existing_post_ids: Iterable[str] = (),
        latency: float = 0.0,
    ) -> None:
        super().__init__(latency=latency)
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.access_token = access_token
        self.access_token_secret = access_token_secret
        self.verify_signature = verify_signature
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self._existing = set(existing_post_ids)
        self._posts: dict[str, Post] = {}
        self._deleted: set[str] = set()
        self._last_id = 0
        self._window_start = 0.0
        self._window_used = 0

    # -- recorded data -------------------------------------------------------------------------

    def posts(self) -> list[Post]:
        """Accepted posts in creation order, including deleted ones (snapshot copy)."""
        with self.lock:
            return list(self._posts.values())

    def post(self, post_id: str) -> Post | None:
        with self.lock:
            return self._posts.get(post_id)

    def deleted_ids(self) -> set[str]:
        with self.lock:
            return set(self._deleted)

    def add_existing_post(self, post_id: str) -> None:
        """Make ``post_id`` a valid reply target without it having been posted here."""
        with self.lock:
            self._existing.add(post_id)

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self._posts.clear()
            self._deleted.clear()
            self._window_start, self._window_used = 0.0, 0

    # -- wire protocol -------------------------------------------------------------------------

    def server_error_reply(self, status: int) -> Reply:
        titles = {500: "Internal Server Error", 503: "Service Unavailable"}
        if status in titles:
            return problem(status, titles[status], titles[status])
        return Reply.html(status, f"{status} Bad Gateway" if status == 502 else f"{status} Error")

    def rate_limit_reply(self, retry_after: int) -> Reply:
        headers = self._rate_headers(remaining=0, reset=int(time.time()) + retry_after)
        return problem(429, "Too Many Requests", "Too Many Requests", **headers)

    @property
    def user_id(self) -> str:
        return self.access_token.partition("-")[0]

    def handle(self, request: IncomingRequest) -> Reply:
        one = _TWEET.match(request.path)
        timeline = _TIMELINE.match(request.path)
        if request.path == "/2/users/me" or timeline is not None:
            denied = self._authenticate(request)
            if denied is not None:
                return denied
            if timeline is None:
                return Reply.json(200, {"data": {"id": self.user_id, "username": "peer"}})
            return self._timeline(request, timeline["id"])
        if request.path != "/2/tweets" and one is None:
            payload = {"errors": [{"message": "Sorry, that page does not exist", "code": 34}]}
            return Reply.json(404, payload)
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        if request.path == "/2/tweets" and request.method == "POST":
            return self._create(request)
        if one is not None and request.method == "GET":
            return self._lookup(one["id"])
        if one is not None and request.method == "DELETE":
            return self._delete(one["id"])
        return problem(405, "Method Not Allowed", f"{request.method} is not allowed here")

    def _rate_headers(self, *, remaining: int, reset: int) -> dict[str, str]:
        return {
            "x-rate-limit-limit": str(self.rate_limit),
            "x-rate-limit-remaining": str(max(0, remaining)),
            "x-rate-limit-reset": str(reset),
        }

    def _authenticate(self, request: IncomingRequest) -> Reply | None:
        header = request.header("authorization") or ""
        unauthorized = problem(401, "Unauthorized", "Unauthorized")
        if header[:7].lower() == "bearer ":
            return problem(
                403,
                "Unsupported Authentication",
                APP_ONLY_DETAIL,
                type_="https://api.twitter.com/2/problems/unsupported-authentication",
            )
        if header[:6].lower() != "oauth ":
            return unauthorized
        try:
            params = {
                oauth_utils.unescape(k): oauth_utils.unescape(v)
                for k, v in oauth_utils.parse_authorization_header(header)
            }
        except ValueError:
            return unauthorized
        if any(not params.get(name) for name in _OAUTH_REQUIRED):
            return unauthorized
        if params["oauth_consumer_key"] != self.consumer_key:
            return unauthorized
        if params["oauth_token"] != self.access_token:
            return unauthorized
        if self.verify_signature and not self._signature_ok(request, header, params):
            return unauthorized
        return None

    def _signature_ok(self, request: IncomingRequest, header: str, params: dict[str, str]) -> bool:
        if params["oauth_signature_method"] != "HMAC-SHA1":
            return False
        scheme = request.header("x-forwarded-proto") or "http"
        host = request.header("x-forwarded-host") or request.header("host") or ""
        collected = oauth_signature.collect_parameters(
            uri_query=request.query_string,
            headers={"Authorization": header},
            exclude_oauth_signature=True,
        )
        base_string = oauth_signature.signature_base_string(
            request.method,
            oauth_signature.base_string_uri(f"{scheme}://{host}{request.path}"),
            oauth_signature.normalize_parameters(collected),
        )
        key = (
            oauth_utils.escape(self.consumer_secret)
            + "&"
            + oauth_utils.escape(self.access_token_secret)
        )
        digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha1).digest()
        return hmac.compare_digest(base64.b64encode(digest).decode(), params["oauth_signature"])

    def _take_quota(self) -> tuple[bool, dict[str, str]]:
        """Count one create request against the window; ``(allowed, rate headers)``."""
        now = time.time()
        with self.lock:
            if now >= self._window_start + self.rate_window:
                self._window_start, self._window_used = now, 0
            allowed = self._window_used < self.rate_limit
            if allowed:
                self._window_used += 1
            reset = int(self._window_start + self.rate_window)
            return allowed, self._rate_headers(
                remaining=self.rate_limit - self._window_used, reset=reset
            )

    def _next_id(self) -> str:
        snowflake = (int(time.time() * 1000) - TWITTER_EPOCH_MS) << 22
        self._last_id = max(snowflake, self._last_id + 1)
        return str(self._last_id)

    def _create(self, request: IncomingRequest) -> Reply:
        allowed, rate_headers = self._take_quota()
        if not allowed:
            return problem(429, "Too Many Requests", "Too Many Requests", **rate_headers)
        reply = self._create_post(request)
        return Reply(reply.status, reply.body, reply.headers + tuple(rate_headers.items()))

    def _create_post(self, request: IncomingRequest) -> Reply:
        try:
            payload = json.loads(request.body or b"null")
        except ValueError:
            return _invalid_request("Request body is not valid JSON")
        if not isinstance(payload, dict):
            return _invalid_request("Request body must be a JSON object")
        text = payload.get("text")
        has_other = any(k in payload for k in ("media", "poll", "quote_tweet_id", "card_uri"))
        if text is not None and not isinstance(text, str):
            return _invalid_request("$.text: expected string")
        if not text and not has_other:
            return _invalid_request(
                "Requests must include text, media, poll, card_uri, quote_tweet_id "
                "or direct_message_deep_link"
            )
        text = text or ""
        if weighted_length(text) > MAX_WEIGHTED_LENGTH:
            return problem(400, "Bad Request", TOO_LONG_DETAIL)
        reply_to = (payload.get("reply") or {}).get("in_reply_to_tweet_id")
        with self.lock:  # check-then-insert must be atomic for concurrent identical posts
            if reply_to is not None and (
                str(reply_to) in self._deleted
                or (str(reply_to) not in self._posts and str(reply_to) not in self._existing)
            ):
                return problem(403, "Forbidden", REPLY_DETAIL)
            if text and any(
                p.text == text and p.access_token == self.access_token and p.id not in self._deleted
                for p in self._posts.values()
            ):
                return problem(403, "Forbidden", DUPLICATE_DETAIL)
            post = Post(
                id=self._next_id(),
                text=text,
                in_reply_to=None if reply_to is None else str(reply_to),
                quote_tweet_id=payload.get("quote_tweet_id"),
                access_token=self.access_token,
                created_at=self.now(),
                payload=payload,
            )
            self._posts[post.id] = post
        return Reply.json(201, {"data": post.data()})

    def _timeline(self, request: IncomingRequest, user_id: str) -> Reply:
        try:
            count = int((request.query.get("max_results") or ["10"])[0])
        except ValueError:
            count = 0
        if not 5 <= count <= 100:
            return _invalid_request("max_results must be between 5 and 100")
        fields = ",".join(request.query.get("tweet.fields", [])).split(",")
        with self.lock:
            mine = [
                p
                for p in self._posts.values()
                if p.id not in self._deleted
                and user_id == self.user_id
                and p.access_token == self.access_token
            ]
        newest = sorted(mine, key=lambda p: int(p.id), reverse=True)[:count]
        data = []
        for post in newest:
            item: dict[str, Any] = {"id": post.id, "text": post.text}
            if "created_at" in fields:
                stamp = post.created_at.astimezone(UTC)
                item["created_at"] = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + (
                    f"{stamp.microsecond // 1000:03d}Z"
                )
            if "referenced_tweets" in fields and post.in_reply_to is not None:
                item["referenced_tweets"] = [{"type": "replied_to", "id": post.in_reply_to}]
            data.append(item)
        meta: dict[str, Any] = {"result_count": len(data)}
        if data:
            meta.update(newest_id=data[0]["id"], oldest_id=data[-1]["id"])
            return Reply.json(200, {"data": data, "meta": meta})
        return Reply.json(200, {"meta": meta})

    def _lookup(self, post_id: str) -> Reply:
        with self.lock:
            post = self._posts.get(post_id)
            gone = post_id in self._deleted
        if post is None or gone:
            error = {
                "value": post_id,
                "detail": f"Could not find tweet with id: [{post_id}].",
                "title": "Not Found Error",
                "resource_type": "tweet",
                "parameter": "id",
                "resource_id": post_id,
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            }
            return Reply.json(200, {"errors": [error]})  # X answers 200 with an errors array
        return Reply.json(200, {"data": post.data()})

    def _delete(self, post_id: str) -> Reply:
        with self.lock:
            known = post_id in self._posts and post_id not in self._deleted
            if known:
                self._deleted.add(post_id)
        return Reply.json(200, {"data": {"deleted": known}})


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LocalRedirectAdapter(HTTPAdapter):
    """A requests transport adapter that sends every request to ``base_url`` instead.

    The scheme and host of each outgoing URL are replaced by ``base_url``'s (its path, if any,
    is prefixed); path and query are kept. The original target is passed on in
    ``X-Forwarded-Host`` / ``X-Forwarded-Proto`` so a server can rebuild the URL the client
    signed (OAuth 1.0a signs scheme, host and path). Environment proxies, computed by requests
    for the *original* host, are dropped when the new target is loopback. ``timeout`` is used
    when the caller gave none - tweepy's ``Client`` never passes one.

    Mount it on the SDK's session: ``session.mount("https://", LocalRedirectAdapter(url))``
    (see :func:`redirect_session`).
    """

    def __init__(self, base_url: str, *, timeout: float | None = 10.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an absolute http(s) URL: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._scheme = parts.scheme
        self._netloc = parts.netloc
        self._prefix = parts.path.rstrip("/")
        self._loopback = _is_loopback(parts.hostname)

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        original = urlsplit(request.url or "")
        request.headers.setdefault("X-Forwarded-Host", original.netloc)
        request.headers.setdefault("X-Forwarded-Proto", original.scheme)
        request.url = urlunsplit(
            (self._scheme, self._netloc, self._prefix + original.path, original.query, "")
        )
        return super().send(
            request,
            stream=stream,
            timeout=self.timeout if timeout is None else timeout,
            verify=verify,
            cert=cert,
            proxies={} if self._loopback else proxies,
        )


def redirect_session(
    session: requests.Session, base_url: str, *, timeout: float | None = 10.0
) -> LocalRedirectAdapter:
    """Route all of ``session``'s http(s) traffic to ``base_url``; returns the adapter."""
    adapter = LocalRedirectAdapter(base_url, timeout=timeout)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return adapter
