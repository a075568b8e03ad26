"""The call-in line: ``POST /twilio/voice``, an inbound call and its ``<Gather>`` answers.

Someone without internet calls ``serve.call_in_number`` (pointed at this path in Twilio's
console) and hears the latest message of every incident in progress, in their language or
after a one-key menu: TwiML built by ``broadcast.delivery.call_in`` from what the ledger
recorded when each version went out, never from an incident file.

Each full answer reads the ledger, so the line is bounded as inbound messages are
(``broadcast.serve.limits.CallLimits``): per caller (10 a minute: a call and its key press
are two), the hidden callers together, and the whole line. A call held back is still
answered 200 with valid TwiML (Twilio would otherwise play its own error to a person): a
short "call again in a few minutes" in the line's language, then ``<Hangup/>``, built from
constants, with nothing read or recorded.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from broadcast.delivery.call_in import Answered, answered, busy
from broadcast.input.recipients import language_of
from broadcast.serve.limits import hidden_caller
from broadcast.serve.logs import masked
from broadcast.serve.webhook import Webhook


async def inbound_call(hook: Webhook) -> Response:
    served = hook.served
    config = served.config
    caller = hook.field("From").strip()
    hidden = hidden_caller(caller)
    held = served.calls.admit(None if hidden else served.ledger.recipient_key(caller))
    if held is not None:
        served.log("refused", path=hook.path, reason=f"calls of the {held}", number=masked(caller))
        language = served.call_language or language_of(config.defaults.locale) or "en"
        return _twiml(busy(language, config.organisation))
    kinds = {name: channel.type for name, channel in config.channels.items()}
    digits = hook.field("Digits") or None
    result: Answered = await run_in_threadpool(
        served.with_ledger,
        lambda ledger: answered(
            ledger,
            kinds,
            config.organisation,
            None if hidden else caller,
            digits,
            config.defaults.locale,
        ),
    )
    served.call_language = result.language
    served.log("call", menu="Gather" in result.twiml and digits is None, key=digits or "")
    return _twiml(result.twiml)


def _twiml(twiml: str) -> Response:
    return Response(twiml, status_code=200, media_type="text/xml")
