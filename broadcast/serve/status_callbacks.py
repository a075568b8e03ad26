"""Status callbacks: ``POST /twilio/status`` (what became of a message or a call sent)."""

from __future__ import annotations

from starlette.responses import Response

from broadcast.serve.webhook import Webhook


async def status_callback(hook: Webhook) -> Response:
    return Response(status_code=204)
