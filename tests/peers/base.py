"""Threaded loopback HTTP server shared by the provider peers.

A :class:`PeerServer` owns a ``ThreadingHTTPServer`` bound to 127.0.0.1 on an OS-chosen port,
served from a background thread, and usable as a context manager. It takes care of everything
that is not provider specific:

* **Scripted one-shot behaviours.** :meth:`PeerServer.script` queues :class:`ServerError`,
  :class:`RateLimit`, :class:`DropConnection` and :class:`Delay` items; each incoming request
  (whatever its route or credentials, in arrival order) pops at most one item off the queue.
  The provider subclass decides what a 5xx or 429 looks like on the wire.
* **Answers that are not a clear refusal.** :class:`AcceptThenFail` lets the provider do the
  work (a message stored, a post published) and then answers a 5xx; :class:`AcceptThenDrop`
  does the work and hangs up without answering; :class:`Delay` holds a request before doing
  it (a slow commit, past the client's timeout).
* **Another clock.** ``clock_offset`` seconds shift the peer's clock: its ``Date`` header and
  every time it stamps on a resource (:meth:`PeerServer.now`), as a provider whose clock is
  behind (negative) or ahead of ours.
* **Latency.** A per-request delay (``latency`` seconds) applied before every response, for
  benchmarks.
* **Recording.** Every request - accepted, rejected or dropped - is kept as a
  :class:`RecordedRequest`. Records are written *before* the response is sent, so once an SDK
  call has returned, what the server saw is already visible to the test.
* **Clean shutdown.** :meth:`PeerServer.stop` ends the accept loop, interrupts scripted delays
  and latency sleeps, closes idle keep-alive connections and joins the handler threads with a
  timeout. Exceptions raised by the provider code are turned into a 500 *and* re-raised from
  ``__exit__`` (see :class:`PeerError`) so that peer bugs do not masquerade as provider faults.

All mutable state is guarded by one re-entrant lock; subclasses use :attr:`PeerServer.lock`
for their own state so that check-then-act sequences (duplicate detection, quotas) are atomic.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import parse_qs, urlsplit

LOOPBACK_HOST = "127.0.0.1"
MAX_SCRIPTED_SECONDS = 60.0
MAX_SCRIPT_TIMES = 10_000
JOIN_TIMEOUT = 5.0


class PeerError(AssertionError):
    """Raised when the peer itself crashed while handling a request (a bug in the test peer)."""


@dataclass(frozen=True)
class ServerError:
    """Answer the next request with this 5xx status (body chosen by the provider peer)."""

    status: int = 500

    def __post_init__(self) -> None:
        if not 500 <= self.status <= 599:
            raise ValueError(f"ServerError status must be 5xx, got {self.status}")


@dataclass(frozen=True)
class RateLimit:
    """Answer the next request with 429; ``retry_after`` seconds until the limit resets."""

    retry_after: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.retry_after <= 86_400:
            raise ValueError(f"retry_after out of range: {self.retry_after}")


@dataclass(frozen=True)
class DropConnection:
    """Read the next request fully, then close the socket without sending any response."""


@dataclass(frozen=True)
class Delay:
    """Hold the next request for ``seconds`` (on top of ``latency``), then answer it normally."""

    seconds: float

    def __post_init__(self) -> None:
        if not 0 <= self.seconds <= MAX_SCRIPTED_SECONDS:
            raise ValueError(f"Delay must be within 0..{MAX_SCRIPTED_SECONDS}s: {self.seconds}")


@dataclass(frozen=True)
class AcceptThenFail:
    """Handle the next request normally (the provider acts on it), then answer this 5xx
    instead of the real answer: a provider that took a message and failed to say so."""

    status: int = 500

    def __post_init__(self) -> None:
        if not 500 <= self.status <= 599:
            raise ValueError(f"AcceptThenFail status must be 5xx, got {self.status}")


@dataclass(frozen=True)
class AcceptThenDrop:
    """Handle the next request normally (the provider acts on it), then close the connection
    without answering: the answer to a request the provider took is lost on the way back."""


Behaviour = ServerError | RateLimit | DropConnection | Delay | AcceptThenFail | AcceptThenDrop


@dataclass(frozen=True)
class IncomingRequest:
    """A parsed request as handed to the provider peer.

    ``headers`` keys are lower-cased; ``path`` excludes the query string (kept raw in
    ``query_string`` and parsed in ``query``).
    """

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    query_string: str = ""

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass(frozen=True)
class Reply:
    """A response to write back: status, raw body and extra headers."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    # Close the connection instead of writing this reply: the provider did the work (a
    # message accepted) and the answer got lost on the way back.
    dropped: bool = False

    @classmethod
    def json(
        cls,
        status: int,
        payload: Any,
        *,
        content_type: str = "application/json; charset=utf-8",
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        extra = [("Content-Type", content_type), *(headers or {}).items()]
        return cls(status, json.dumps(payload).encode(), tuple(extra))

    @classmethod
    def html(cls, status: int, title: str) -> Reply:
        """A non-JSON error page, as gateways and load balancers return them."""
        page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        return cls(status, page.encode(), (("Content-Type", "text/html; charset=utf-8"),))


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it, and what it answered.

    ``status`` is ``None`` when the connection was dropped on purpose; ``scripted`` names the
    scripted behaviour that was applied (``None`` for normal handling).
    """

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    status: int | None
    scripted: str | None
    received_at: float
    reply_headers: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode(), keep_blank_values=True)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # benchmarks open many connections at once
    peer: PeerServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        # Clients hanging up (timeouts in tests, SDKs giving up) are expected, not bugs.
        if exc is None or isinstance(exc, OSError):
            return
        self.peer._note_internal_error(traceback.format_exception(exc))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' pooled sessions expect
    server: _HTTPServer

    def setup(self) -> None:
        self.timeout = self.server.peer.request_timeout
        super().setup()
        # Headers and body go out in two writes; without this, Nagle + delayed ACK add ~40 ms
        # to every response on a reused keep-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.peer._register_connection(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.peer._unregister_connection(self.connection)

    def _dispatch(self) -> None:
        self.server.peer._dispatch(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header, on the peer's own clock (see ``PeerServer.clock_offset``)."""
        return super().date_time_string(time.time() + self.server.peer.clock_offset)


class PeerServer:
    """Base class for a provider peer; subclasses implement :meth:`handle`.

    Args:
        latency: seconds to wait before answering every request (benchmarks).
        request_timeout: socket timeout per connection, bounds idle keep-alive and slow clients.
    """

    name: ClassVar[str] = "peer"

    def __init__(self, *, latency: float = 0.0, request_timeout: float = 10.0) -> None:
        self._check_seconds("latency", latency)
        self.host = LOOPBACK_HOST  # loopback only, port chosen by the OS
        self.request_timeout = request_timeout
        self.lock = threading.RLock()
        self._latency = latency
        # Seconds the peer's clock is ahead of ours (negative: behind).
        self.clock_offset = 0.0
        self._script: deque[Behaviour] = deque()
        self._requests: list[RecordedRequest] = []
        self._internal_errors: list[str] = []
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        if self._httpd is not None:
            raise RuntimeError(f"{self.name} peer already started")
        self._stopping.clear()
        httpd = _HTTPServer((self.host, 0), _Handler)
        httpd.peer = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"{self.name}-peer",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stopping.set()  # wakes scripted delays and latency sleeps
        httpd.shutdown()
        with self.lock:
            connections = list(self._connections.items())
        for sock, _ in connections:
            with suppress(OSError):  # unblocks handlers waiting on keep-alive reads
                sock.shutdown(socket.SHUT_RDWR)
        for _, handler_thread in connections:
            handler_thread.join(JOIN_TIMEOUT)
        httpd.server_close()
        if thread is not None:
            thread.join(JOIN_TIMEOUT)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        if exc_type is None:
            self.raise_internal_errors()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError(f"{self.name} peer is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    # -- scripting -----------------------------------------------------------------------------

    @property
    def latency(self) -> float:
        with self.lock:
            return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._check_seconds("latency", seconds)
        with self.lock:
            self._latency = seconds

    def script(self, *behaviours: Behaviour) -> None:
        """Queue one-shot behaviours; each of the next requests consumes one, in order."""
        with self.lock:
            if len(self._script) + len(behaviours) > MAX_SCRIPT_TIMES:
                raise ValueError("script queue too long")
            self._script.extend(behaviours)

    def fail_next(self, status: int = 500, times: int = 1) -> None:
        self.script(*[ServerError(status)] * self._check_times(times))

    def rate_limit_next(self, retry_after: int = 1, times: int = 1) -> None:
        self.script(*[RateLimit(retry_after)] * self._check_times(times))

    def drop_next(self, times: int = 1) -> None:
        self.script(*[DropConnection()] * self._check_times(times))

    def delay_next(self, seconds: float, times: int = 1) -> None:
        self.script(*[Delay(seconds)] * self._check_times(times))

    def accept_then_fail_next(self, status: int = 500, times: int = 1) -> None:
        self.script(*[AcceptThenFail(status)] * self._check_times(times))

    def accept_then_drop_next(self, times: int = 1) -> None:
        self.script(*[AcceptThenDrop()] * self._check_times(times))

    def now(self) -> datetime:
        """The time on the peer's clock: ours shifted by ``clock_offset``."""
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset)

    def pending_script(self) -> list[Behaviour]:
        with self.lock:
            return list(self._script)

    def clear_script(self) -> None:
        with self.lock:
            self._script.clear()

    # -- recorded data -------------------------------------------------------------------------

    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a snapshot copy)."""
        with self.lock:
            return list(self._requests)

    def statuses(self) -> list[int | None]:
        """The status answered to each request so far (``None`` = dropped)."""
        return [r.status for r in self.requests()]

    def open_connections(self) -> int:
        """Client connections currently held open (keep-alive included)."""
        with self.lock:
            return len(self._connections)

    def internal_errors(self) -> list[str]:
        with self.lock:
            return list(self._internal_errors)

    def raise_internal_errors(self) -> None:
        errors = self.internal_errors()
        if errors:
            raise PeerError(f"{self.name} peer crashed {len(errors)} time(s):\n{errors[0]}")

    def reset(self) -> None:
        """Forget recorded requests and pending script (subclasses also drop provider state)."""
        with self.lock:
            self._requests.clear()
            self._script.clear()
            self._internal_errors.clear()

    # -- provider hooks ------------------------------------------------------------------------

    def handle(self, request: IncomingRequest) -> Reply:
        raise NotImplementedError

    def server_error_reply(self, status: int) -> Reply:
        return Reply.json(status, {"status": status})

    def rate_limit_reply(self, retry_after: int) -> Reply:
        return Reply.json(429, {"status": 429}, headers={"Retry-After": str(retry_after)})

    # -- internals -----------------------------------------------------------------------------

    @staticmethod
    def _check_seconds(what: str, seconds: float) -> None:
        if not 0 <= seconds <= MAX_SCRIPTED_SECONDS:
            raise ValueError(f"{what} must be within 0..{MAX_SCRIPTED_SECONDS}s: {seconds}")

    @staticmethod
    def _check_times(times: int) -> int:
        if not 1 <= times <= MAX_SCRIPT_TIMES:
            raise ValueError(f"times must be within 1..{MAX_SCRIPT_TIMES}: {times}")
        return times

    def _register_connection(self, sock: socket.socket) -> None:
        with self.lock:
            self._connections[sock] = threading.current_thread()

    def _unregister_connection(self, sock: socket.socket) -> None:
        with self.lock:
            self._connections.pop(sock, None)

    def _note_internal_error(self, lines: Iterable[str]) -> None:
        with self.lock:
            self._internal_errors.append("".join(lines))

    def _record(
        self, request: IncomingRequest, reply: Reply | None, scripted: Behaviour | None, at: float
    ) -> None:
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            query=request.query,
            headers=request.headers,
            body=request.body,
            status=None if reply is None else reply.status,
            scripted=None if scripted is None else repr(scripted),
            received_at=at,
            reply_headers={} if reply is None else dict(reply.headers),
        )
        with self.lock:
            self._requests.append(record)

    def _dispatch(self, handler: _Handler) -> None:
        received_at = time.time()
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length > 0 else b""
        parts = urlsplit(handler.path)
        request = IncomingRequest(
            method=handler.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
            query_string=parts.query,
        )
        with self.lock:
            behaviour = self._script.popleft() if self._script else None
            latency = self._latency
        if latency > 0:
            self._stopping.wait(latency)
        if isinstance(behaviour, Delay):
            self._stopping.wait(behaviour.seconds)

        if isinstance(behaviour, DropConnection):
            self._record(request, None, behaviour, received_at)
            handler.close_connection = True
            with suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return

        if isinstance(behaviour, AcceptThenFail | AcceptThenDrop):
            try:
                done = self.handle(request)  # done, whatever it would have said
            except Exception as exc:
                self._note_internal_error(traceback.format_exception(exc))
                done = Reply(500)
            reply = (
                self.server_error_reply(behaviour.status)
                if isinstance(behaviour, AcceptThenFail)
                else Reply(done.status, dropped=True)
            )
        elif isinstance(behaviour, ServerError):
            reply = self.server_error_reply(behaviour.status)
        elif isinstance(behaviour, RateLimit):
            reply = self.rate_limit_reply(behaviour.retry_after)
        else:
            try:
                reply = self.handle(request)
            except Exception as exc:
                self._note_internal_error(traceback.format_exception(exc))
                reply = self.server_error_reply(500)
        self._record(request, reply, behaviour, received_at)
        if reply.dropped:
            handler.close_connection = True
            with suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
        self._write(handler, reply)

    def _write(self, handler: _Handler, reply: Reply) -> None:
        try:
            handler.send_response(reply.status)
            for name, value in reply.headers:
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(reply.body)))
            if self._stopping.is_set():
                handler.send_header("Connection", "close")
                handler.close_connection = True
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(reply.body)
        except OSError:
            handler.close_connection = True  # the client went away (e.g. its timeout fired)
