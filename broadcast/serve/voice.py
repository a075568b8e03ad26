"""The call-in line: ``POST /twilio/voice`` (an inbound call and its ``<Gather>`` answers)."""

from __future__ import annotations

from starlette.responses import Response

from broadcast.serve.webhook import Webhook


async def inbound_call(hook: Webhook) -> Response:
    return Response(status_code=204)
