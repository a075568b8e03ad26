"""Status callbacks: ``POST /twilio/status``, what became of a message or a call sent.

Every SMS and call is created with ``StatusCallback={public_url}/twilio/status`` (see
``SmsAdapter.status_callback``); Twilio posts each change of its status here. The delivery it
names moves to its final state at once, through the ledger's receipt path
(``broadcast.delivery.callbacks``: in any order, any number of times, the first final word
stands), and an SMS undelivered for a reason a call gets around starts the fallback to voice
in the background, under the incident's hold, instead of waiting for the next cron run.

The answer is 204 whatever the callback named: one of ours or not, moved or already final,
nothing in it tells what the ledger knows.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from broadcast.delivery.callbacks import Callback, FollowUps, is_final, record_callback
from broadcast.ledger.sqlite import Ledger
from broadcast.serve.webhook import Served, Webhook

# Where the application keeps its follow-up runner (one per process), made with the first
# callback that calls for one.
RUNNER = "_follow_ups"


async def status_callback(hook: Webhook) -> Response:
    served = hook.served
    done: Callback = await run_in_threadpool(
        served.with_ledger, lambda ledger: record_callback(ledger, served.config, hook.form)
    )
    if done.moved:
        served.log(
            "receipt", state=done.state, kind="call" if "CallSid" in hook.form else "message"
        )
    if done.follow_up is not None:
        follow_ups(served).request(done.follow_up)
    elif not done.known and is_final(hook.form):
        # Twilio may call back before the sender has recorded its answer: read it again soon.
        follow_ups(served).read_again(hook.form)
    return Response(status_code=204)


def follow_ups(served: Served) -> FollowUps:
    """The application's follow-up runner (its passes open their own ledger)."""
    runner: FollowUps | None = getattr(served, RUNNER, None)
    if runner is None:
        ledger = served.ledger
        runner = FollowUps(
            served.config,
            ledger.folder,
            lambda: Ledger(ledger.folder, environ=ledger.environ, address=ledger.address),
            ledger.environ,
            served.clock,
            served.log,
        )
        setattr(served, RUNNER, runner)
    return runner
