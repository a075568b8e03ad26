"""The Twilio peer's status callbacks: what Twilio posts to a message's or a call's
``StatusCallback`` as its status changes, signed as Twilio signs it.

Each post is form-encoded (``application/x-www-form-urlencoded``) with the fields Twilio
documents (a message: ``MessageSid``, ``SmsSid``, ``AccountSid``, ``From``, ``To``,
``MessageStatus``, ``SmsStatus``, ``ApiVersion`` and ``ErrorCode`` on a failure; a call:
``CallSid``, ``AccountSid``, ``From``, ``To``, ``CallStatus``, ``Direction``, ``ApiVersion``,
``CallDuration``, ``Timestamp``, ``CallbackSource``, ``SequenceNumber``), and an
``X-Twilio-Signature`` computed by the SDK's ``RequestValidator`` with the account's auth token
over the URL the callback names: behind a proxy that is the public URL, not the address the
post reaches (:meth:`StatusCallbacks.reach` says where a public base URL is served from here).

A message goes ``queued`` → ``sent`` → its final status (``delivered``, or ``undelivered`` /
``failed`` with the code :meth:`TwilioAPIServer.mark_undelivered` set), ``step`` seconds
apart; a call posts its final status once (Twilio's default ``StatusCallbackEvent`` is
``completed``, whose ``CallStatus`` is the outcome: completed, busy, no-answer, failed).

Faults, as Twilio's retries and networks produce them: ``out_of_order`` posts a message's
statuses last first (the final one before a late ``sent`` and ``queued``), ``repeat`` posts
each of them that many times. Only loopback URLs, or public ones mapped by ``reach``, are
posted to: a test naming ``https://example.org/...`` reaches nothing outside this machine.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

import requests
from twilio.request_validator import RequestValidator

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class PostedCallback:
    """One status callback the peer posted: where, what, and what it got back."""

    url: str  # the URL signed (the one the resource named)
    reached: str  # where the post went
    fields: Mapping[str, str]
    status: int | None  # None: no answer (refused, reset, timeout)


class StatusCallbacks:
    """Posts scheduled callbacks from one thread, a few at a time, at their times."""

    def __init__(self, auth_token: str, workers: int = 4) -> None:
        self.validator = RequestValidator(auth_token)
        self.step = 0.05  # seconds between a message's statuses
        self.out_of_order = False
        self.repeat = 1
        self.posted: list[PostedCallback] = []
        self._routes: dict[str, str] = {}
        self._queue: list[tuple[float, int, str, dict[str, str]]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._stopping = False
        self._pending = 0
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="twilio-callback")
        self._session = requests.Session()
        self._thread = threading.Thread(target=self._run, name="twilio-callbacks", daemon=True)
        self._thread.start()

    def reach(self, public_base: str, local_base: str) -> None:
        """Callbacks to ``public_base`` (``https://alerts.example.org``) are posted to
        ``local_base`` (``http://127.0.0.1:8080``), still signed over the public URL: the
        reverse proxy in front of ``broadcast serve``."""
        self._routes[public_base.rstrip("/")] = local_base.rstrip("/")

    def schedule(self, url: str, steps: list[dict[str, str]]) -> None:
        """Post ``steps`` (each a callback's fields) to ``url``, ``step`` seconds apart, in
        order unless ``out_of_order``, each ``repeat`` times."""
        if self.out_of_order:
            steps = list(reversed(steps))
        now = time.monotonic()
        with self._wake:
            for index, fields in enumerate(steps):
                for _ in range(self.repeat):
                    heapq.heappush(
                        self._queue, (now + (index + 1) * self.step, next(self._order), url, fields)
                    )
                    self._pending += 1
            self._wake.notify()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Every scheduled callback was posted (True), or ``timeout`` passed."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self._pending and time.monotonic() < deadline:
                self._wake.wait(0.05)
            return not self._pending

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        self._thread.join(5)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._session.close()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopping and (
                    not self._queue or self._queue[0][0] > time.monotonic()
                ):
                    wait = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._wake.wait(wait)
                if self._stopping:
                    return
                _, _, url, fields = heapq.heappop(self._queue)
            self._pool.submit(self._post, url, fields)

    def _post(self, url: str, fields: dict[str, str]) -> None:
        try:
            target = self._where(url)
            status: int | None = None
            if target is not None:
                signature = self.validator.compute_signature(url, fields)
                try:
                    answer = self._session.post(
                        target,
                        data=fields,
                        headers={"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1"},
                        timeout=10,
                    )
                    status = answer.status_code
                except requests.RequestException:
                    status = None
                self.posted.append(PostedCallback(url, target, dict(fields), status))
        finally:
            with self._wake:
                self._pending -= 1
                self._wake.notify_all()

    def _where(self, url: str) -> str | None:
        for public, local in self._routes.items():
            if url == public or url.startswith(public + "/"):
                return local + url[len(public) :]
        return url if urlsplit(url).hostname in LOOPBACK else None


def message_steps(
    sid: str,
    account_sid: str,
    to: str,
    from_: str | None,
    final: tuple[str, int | None] | None,
) -> list[dict[str, str]]:
    """A message's callbacks: queued, sent, then ``final`` (status, error code) if given."""
    base = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": account_sid,
        "To": to,
        "From": from_ or "",
        "ApiVersion": "2010-04-01",
    }
    statuses: list[tuple[str, int | None]] = [("queued", None), ("sent", None)]
    if final is not None:
        statuses.append(final)
    steps = []
    for status, code in statuses:
        fields = {**base, "MessageStatus": status, "SmsStatus": status}
        if code is not None:
            fields["ErrorCode"] = str(code)
        steps.append(fields)
    return steps


def call_steps(
    sid: str, account_sid: str, to: str, from_: str, outcome: str
) -> list[dict[str, str]]:
    """A call's callback at its end (``StatusCallbackEvent`` ``completed``, Twilio's default)."""
    return [
        {
            "CallSid": sid,
            "AccountSid": account_sid,
            "To": to,
            "From": from_,
            "CallStatus": outcome,
            "Direction": "outbound-api",
            "ApiVersion": "2010-04-01",
            "CallDuration": "42" if outcome == "completed" else "0",
            "Timestamp": format_datetime(datetime.now(UTC)),
            "CallbackSource": "call-progress-events",
            "SequenceNumber": "0",
        }
    ]
