"""The application Twilio calls: its route table, and what every webhook passes first.

Every ``POST /twilio/...`` is read in pieces up to 64 KB (413 beyond, as soon as it is passed),
then its ``X-Twilio-Signature`` is checked against ``serve.public_url`` and the path (403 when
missing or wrong: nothing is recorded, one log line with the number masked); only then is its
handler called, with the form Twilio posted (``broadcast.serve.webhook.Webhook``).

``GET /healthz`` answers 200 when the ledger answers a query, 503 otherwise, for a load
balancer or systemd's watchdog; it says nothing else.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from broadcast.serve import signup, sms, status_callbacks, voice
from broadcast.serve.limits import MAX_BODY, CallLimits, RateLimit, TooLarge, read_bounded
from broadcast.serve.logs import EventLog, masked
from broadcast.serve.signature import Signatures
from broadcast.serve.webhook import Served, Webhook

if TYPE_CHECKING:
    from broadcast.input.config import Config
    from broadcast.ledger.sqlite import Ledger

# Seconds /healthz waits for the ledger's answer.
HEALTH_SECONDS = 5.0

Handler = Callable[[Webhook], Awaitable[Response]]

# The webhooks, by path: what Twilio posts to each (docs/serve.md).
WEBHOOKS: dict[str, Handler] = {
    "/twilio/sms": sms.inbound_sms,
    "/twilio/voice": voice.inbound_call,
    "/twilio/status": status_callbacks.status_callback,
}


def create_app(
    config: Config,
    ledger: Ledger,
    *,
    auth_token: str,
    clock: Callable[[], datetime],
    log: EventLog | None = None,
    inbound: RateLimit | None = None,
    calls: CallLimits | None = None,
) -> Starlette:
    """The ASGI application over ``config`` (channels.yaml, with its ``serve:``) and ``ledger``
    (open, this process's own)."""
    assert config.serve is not None  # broadcast.serve.server refuses a file without it
    served = Served(
        config=config,
        ledger=ledger,
        clock=clock,
        log=log or EventLog(),
        inbound=inbound or RateLimit(),
        calls=calls or CallLimits(),
    )
    signatures = Signatures(auth_token, config.serve.public_url)
    routes = [
        Route(path, _webhook(path, handler, served, signatures), methods=["POST"])
        for path, handler in WEBHOOKS.items()
    ]
    routes.append(Route("/healthz", _health(served), methods=["GET"]))
    # The residents' sign-up pages: not Twilio's, so no signature (their own CSRF and limits).
    routes.extend(signup.routes(served))
    app = Starlette(routes=routes)
    app.state.served = served
    return app


def _webhook(
    path: str, handler: Handler, served: Served, signatures: Signatures
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        started = time.monotonic()
        declared = request.headers.get("content-length", "")
        try:
            if declared.isdigit() and int(declared) > MAX_BODY:
                raise TooLarge
            body = await read_bounded(request.stream())
        except TooLarge:
            served.log("refused", path=path, status=413, reason="body over 64 KB")
            return PlainTextResponse("Request body too large", status_code=413)
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        signature = request.headers.get("x-twilio-signature", "")
        if not signatures.valid(path, request.url.query, form, signature):
            served.log(
                "refused",
                path=path,
                status=403,
                reason="missing signature" if not signature else "wrong signature",
                number=masked(form.get("From", "")),
            )
            return PlainTextResponse("Forbidden", status_code=403)
        try:
            response = await handler(Webhook(path, form, served))
        except Exception as fault:
            # The ledger failed (a database down, a full disk): Twilio is told (500, which its
            # debugger shows the team), the log says what, never with whom or what was said.
            served.log("failed", path=path, status=500, reason=type(fault).__name__)
            return PlainTextResponse("Internal Server Error", status_code=500)
        if response.status_code >= 400:
            return response  # the handler said why, once
        served.log(
            "answered",
            path=path,
            status=response.status_code,
            ms=round((time.monotonic() - started) * 1000, 1),
        )
        return response

    return endpoint


def _health(served: Served) -> Callable[[Request], Awaitable[Response]]:
    def ask() -> bool:
        answer = served.with_ledger(lambda ledger: ledger.db.execute("SELECT 1").fetchone())
        return answer is not None

    async def healthz(request: Request) -> Response:
        try:
            # A ledger that does not answer in time is as unhealthy as one that fails.
            ok = await asyncio.wait_for(run_in_threadpool(ask), HEALTH_SECONDS)
        except Exception as fault:  # any fault of the ledger is "not healthy", said as such
            served.log("unhealthy", reason=type(fault).__name__)
            ok = False
        return JSONResponse({"ok": ok}, status_code=200 if ok else 503)

    return healthz
