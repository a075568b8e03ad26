"""Inbound SMS: ``POST /twilio/sms``."""

from __future__ import annotations

from starlette.responses import Response

from broadcast.serve.webhook import Webhook


async def inbound_sms(hook: Webhook) -> Response:
    return Response(status_code=204)
