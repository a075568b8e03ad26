"""Local peer for the Facebook Graph API's Page posts and comments, for tests with real HTTP.

Speaks what Meta documents for publishing as a Page (Graph API, any ``v{N}.0`` version):

* ``POST /{version}/{page_id}/feed`` with form fields ``message``, optional ``link``, and the
  Page access token (``access_token`` in the body, or ``Authorization: Bearer``/``OAuth``).
  Success is 200 ``{"id": "{page_id}_{post_id}"}``.
* ``POST /{version}/{object_id}/comments`` with ``message``: a comment on a post made here,
  answered ``{"id": "{post_id}_{comment_id}"}``.
* ``GET /{version}/{object_id}``: a post or comment made here (``id``, ``message``,
  ``created_time``).
* ``GET /{version}/{page_id}/feed`` and ``GET /{version}/{post_id}/comments``: the Page's posts
  or a post's comments, newest first (``limit``, 25 by default), as ``{"data": [...]}``.
* Another clock: ``clock_offset`` (see :class:`tests.peers.base.PeerServer`) shifts ``Date``
  and ``created_time``; ``accept_then_fail_next`` makes the post and answers a 5xx.
* Errors in Graph's shape, ``{"error": {"message", "type", "code", "error_subcode",
  "is_transient", "fbtrace_id"}}``: 190 (``OAuthException``, an invalid or expired token,
  HTTP 400), 368 (blocked for policy reasons), 4 (application request limit), 32 (Page request
  limit), 100 (unknown object or bad parameter), and 5xx with code 2 (service unavailable).
  ``fail_with_code`` queues one such answer for the next request.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs

from .base import IncomingRequest, PeerServer, Reply

DEFAULT_PAGE_ID = "104325678901234"
DEFAULT_PAGE_TOKEN = "EAAlocal-peer-page-access-token"

# code → (HTTP status, type, message, transient), as Graph answers them.
GRAPH_ERRORS: dict[int, tuple[int, str, str, bool]] = {
    190: (400, "OAuthException", "Error validating access token: Session has expired.", False),
    368: (
        400,
        "OAuthException",
        "The action attempted has been deemed abusive or is otherwise disallowed",
        False,
    ),
    4: (400, "OAuthException", "(#4) Application request limit reached", True),
    32: (400, "OAuthException", "(#32) Page request limit reached", True),
    100: (400, "GraphMethodException", "Unsupported post request.", False),
    2: (503, "OAuthException", "An unexpected error has occurred. Please retry.", True),
}

_FEED = re.compile(r"^/(?P<version>v\d+\.\d+)/(?P<page>\d+)/feed$")
_COMMENTS = re.compile(r"^/(?P<version>v\d+\.\d+)/(?P<object>\d+_\d+)/comments$")
_OBJECT = re.compile(r"^/(?P<version>v\d+\.\d+)/(?P<object>\d+_\d+)$")


@dataclass(frozen=True)
class GraphObject:
    """A post or a comment made on this peer."""

    id: str
    message: str
    link: str | None
    parent: str | None  # the post a comment is on
    created_time: datetime


def graph_error(code: int) -> Reply:
    status, kind, message, transient = GRAPH_ERRORS[code]
    return Reply.json(
        status,
        {
            "error": {
                "message": message,
                "type": kind,
                "code": code,
                "error_subcode": 463 if code == 190 else None,
                "is_transient": transient,
                "fbtrace_id": "AbCdEfGhIjK",
            }
        },
        headers={"WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token"'}
        if code == 190
        else None,
    )


class GraphAPIServer(PeerServer):
    """A Page's feed and comments on 127.0.0.1; one Page, one Page access token."""

    name = "graph"

    def __init__(
        self,
        *,
        page_id: str = DEFAULT_PAGE_ID,
        page_token: str = DEFAULT_PAGE_TOKEN,
        latency: float = 0.0,
    ) -> None:
        super().__init__(latency=latency)
        self.page_id = page_id
        self.page_token = page_token
        self._objects: dict[str, GraphObject] = {}
        self._codes: deque[int] = deque()
        self._ids = itertools.count(1_000_000_001)
        self._id_lock = threading.Lock()

    def fail_with_code(self, *codes: int) -> None:
        """Answer each of the next requests with the Graph error of that code, in order."""
        with self.lock:
            self._codes.extend(codes)

    def posts(self) -> list[GraphObject]:
        with self.lock:
            return [o for o in self._objects.values() if o.parent is None]

    def comments(self, post_id: str | None = None) -> list[GraphObject]:
        with self.lock:
            return [
                o
                for o in self._objects.values()
                if o.parent is not None and (post_id is None or o.parent == post_id)
            ]

    def server_error_reply(self, status: int) -> Reply:
        return Reply.json(status, {"error": {"message": "Service unavailable", "code": 2}})

    def handle(self, request: IncomingRequest) -> Reply:
        with self.lock:
            code = self._codes.popleft() if self._codes else None
        if code is not None:
            return graph_error(code)
        form = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
        token = form.get("access_token") or _bearer(request.header("authorization"))
        if token != self.page_token:
            return graph_error(190)
        if request.method == "POST" and (match := _FEED.match(request.path)):
            if match["page"] != self.page_id:
                return graph_error(100)
            return self._create(form, parent=None, prefix=self.page_id)
        if request.method == "POST" and (match := _COMMENTS.match(request.path)):
            parent = match["object"]
            with self.lock:
                known = parent in self._objects
            if not known:
                return graph_error(100)
            return self._create(form, parent=parent, prefix=parent.split("_")[1])
        if request.method == "GET" and (match := _FEED.match(request.path)):
            if match["page"] != self.page_id:
                return graph_error(100)
            return self._listing(request, parent=None)
        if request.method == "GET" and (match := _COMMENTS.match(request.path)):
            return self._listing(request, parent=match["object"])
        if request.method == "GET" and (match := _OBJECT.match(request.path)):
            with self.lock:
                found = self._objects.get(match["object"])
            if found is None:
                return graph_error(100)
            return Reply.json(
                200,
                {
                    "id": found.id,
                    "message": found.message,
                    "created_time": found.created_time.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                },
            )
        return graph_error(100)

    def _listing(self, request: IncomingRequest, parent: str | None) -> Reply:
        try:
            limit = max(1, min(100, int((request.query.get("limit") or ["25"])[0])))
        except ValueError:
            return graph_error(100)
        with self.lock:
            chosen = [o for o in self._objects.values() if o.parent == parent]
        chosen.sort(key=lambda o: (o.created_time, o.id), reverse=True)
        return Reply.json(
            200,
            {
                "data": [
                    {
                        "id": o.id,
                        "message": o.message,
                        "created_time": o.created_time.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                    }
                    for o in chosen[:limit]
                ]
            },
        )

    def _create(self, form: dict[str, str], parent: str | None, prefix: str) -> Reply:
        message = form.get("message", "")
        if not message.strip() and not form.get("link"):
            return Reply.json(
                400,
                {"error": {"message": "(#100) Missing message or attachment", "code": 100}},
            )
        with self._id_lock:
            object_id = f"{prefix}_{next(self._ids)}"
        with self.lock:
            self._objects[object_id] = GraphObject(
                object_id, message, form.get("link"), parent, self.now()
            )
        return Reply.json(200, {"id": object_id})

    def reset(self) -> None:
        super().reset()
        with self.lock:
            self._objects.clear()
            self._codes.clear()


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() in ("bearer", "oauth") else None
