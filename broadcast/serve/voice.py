"""The call-in line: ``POST /twilio/voice``, an inbound call and its ``<Gather>`` answers.

Someone without internet calls ``serve.call_in_number`` (pointed at this path in Twilio's
console) and hears the latest message of every incident in progress, in their language or
after a one-key menu: TwiML built by ``broadcast.delivery.call_in`` from what the ledger
recorded when each version went out, never from an incident file.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from broadcast.delivery.call_in import answer
from broadcast.serve.webhook import Webhook


async def inbound_call(hook: Webhook) -> Response:
    served = hook.served
    config = served.config
    kinds = {name: channel.type for name, channel in config.channels.items()}
    digits = hook.field("Digits") or None
    twiml: str = await run_in_threadpool(
        served.with_ledger,
        lambda ledger: answer(
            ledger,
            kinds,
            config.organisation,
            hook.field("From") or None,
            digits,
            config.defaults.locale,
        ),
    )
    served.log("call", menu="Gather" in twiml and digits is None, key=digits or "")
    return Response(twiml, status_code=200, media_type="text/xml")
