"""Status callbacks end to end: a real ``broadcast serve`` (uvicorn) on 127.0.0.1, the local
Twilio peer posting each message's and call's ``StatusCallback`` as Twilio does (form fields,
``X-Twilio-Signature`` made by the SDK's ``RequestValidator`` over the public URL, through the
"reverse proxy" that maps it to the local port), the real CLI sending.

Receipts arrive without ``reconcile``; the same callbacks twice and in any order leave the
same ledger (a late ``sent`` never takes back ``delivered``); a SID the ledger does not know
records nothing and is answered like any other; an SMS undelivered to a landline starts the
call that stands in for it, from the callback, without another run.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs

import pytest

from broadcast.ledger.sqlite import Ledger
from tests.conftest import at
from tests.peers.twilio_callbacks import message_steps
from tests.test_serve import PUBLIC_URL, Serving, start_serving
from tests.test_voice_fallback import LANDLINE, SPOKEN_HEADLINE, said, with_voice
from tests.world import PHONES, SECRETS, World

pytestmark = [pytest.mark.slow, pytest.mark.both_engines]

STATUS = "/twilio/status"


@pytest.fixture
def serve(world: World) -> Iterator[Callable[[], Serving]]:
    """Starts ``broadcast serve`` over the world as its channels.yaml stands then."""
    started: list[Serving] = []

    def start() -> Serving:
        running = start_serving(world)
        # Twilio calls the public URL; the proxy in front of serve is the peer's route to it.
        world.twilio.callbacks.reach(PUBLIC_URL, f"http://127.0.0.1:{running.port}")
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def serving(serve: Callable[[], Serving]) -> Serving:
    return serve()


def ledger_states(world: World) -> dict[str, tuple[str, str | None, str | None]]:
    """provider id → (state, error code, receipt time) of every delivery handed over, read
    from the world's ledger on its engine."""
    ledger = Ledger(world.folder / ".broadcast", environ={**os.environ, **world.engine})
    try:
        rows = ledger.db.execute(
            "SELECT provider_id, state, error_code, receipt_at FROM deliveries"
            " WHERE provider_id IS NOT NULL"
        ).fetchall()
    finally:
        ledger.close()
    return {r["provider_id"]: (r["state"], r["error_code"], r["receipt_at"]) for r in rows}


def wait_for(check, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)


def test_every_sms_and_call_names_serve_as_its_status_callback(
    world: World, serve: Callable[[], Serving]
) -> None:
    with_voice(world, "")
    serve()
    world.twilio.mark_undelivered(LANDLINE, code=30003)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0, doc
    assert {m.status_callback for m in world.twilio.messages()} == {PUBLIC_URL + STATUS}
    wait_for(lambda: len(world.twilio.calls()) == 1)
    (call,) = world.twilio.calls()
    assert call.params["StatusCallback"] == (PUBLIC_URL + STATUS,)


def test_receipts_arrive_as_they_happen_without_reconcile(world: World, serving: Serving) -> None:
    world.twilio.mark_undelivered(PHONES[1], code=30008)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0, doc
    assert world.twilio.callbacks.wait_idle()
    posted = world.twilio.callbacks.posted
    assert len(posted) == 3 * len(PHONES)  # queued, sent, final: each signed and taken
    assert {p.status for p in posted} == {204}
    assert {p.url for p in posted} == {PUBLIC_URL + STATUS}
    code, status = world.run_json("status", "incident.yaml", env=at(1))
    sms = status["channels"]["sms"]
    assert (sms["delivered"], sms["undelivered"]) == (len(PHONES) - 1, 1)
    states = ledger_states(world)
    assert sorted(s for s, _, _ in states.values()) == ["delivered"] * 3 + ["undelivered"]
    assert [c for s, c, _ in states.values() if s == "undelivered"] == ["30008"]
    # Nobody asked Twilio: no GET of a message was made.
    assert not [r for r in world.twilio.requests() if r.method == "GET"]


def test_callbacks_twice_and_out_of_order_leave_delivered_delivered(
    world: World, serving: Serving
) -> None:
    world.twilio.callbacks.out_of_order = True  # delivered first, then a late sent and queued
    world.twilio.callbacks.repeat = 2  # and each of them twice
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0, doc
    assert world.twilio.callbacks.wait_idle()
    posted = world.twilio.callbacks.posted
    assert len(posted) == 6 * len(PHONES) and {p.status for p in posted} == {204}
    first = {}
    for p in posted:
        first.setdefault(p.fields["MessageSid"], p.fields["MessageStatus"])
    assert set(first.values()) == {"delivered"}  # the final word came first, for every one
    states = ledger_states(world)
    assert {s for s, _, _ in states.values()} == {"delivered"}
    # By hand now: an undelivered after delivered, and the same delivered again, change
    # nothing, not even when the receipt came.
    sid = next(iter(states))
    message = world.twilio.message(sid)
    assert message is not None
    (queued, sent, undelivered) = message_steps(
        sid, SECRETS["TWILIO_ACCOUNT_SID"], message.to, message.from_, ("undelivered", 30003)
    )
    for fields in (undelivered, sent, queued, {**undelivered, "MessageStatus": "delivered"}):
        if fields["MessageStatus"] == "delivered":
            fields.pop("ErrorCode", None)
        assert serving.post(STATUS, fields).status == 204
    assert ledger_states(world) == states
    code, status = world.run_json("status", "incident.yaml", env=at(1))
    assert status["channels"]["sms"]["delivered"] == len(PHONES)


def test_a_sid_the_ledger_does_not_know_records_nothing_and_is_answered_alike(
    world: World, serving: Serving
) -> None:
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0, doc
    assert world.twilio.callbacks.wait_idle()
    before = ledger_states(world)
    unknown = message_steps(
        "SM" + "f" * 32, SECRETS["TWILIO_ACCOUNT_SID"], PHONES[0], "+15005550006", ("failed", 30003)
    )[-1]
    answer = serving.post(STATUS, unknown)
    known = serving.post(STATUS, {**unknown, "MessageSid": next(iter(before))})
    assert (answer.status, answer.body) == (known.status, known.body) == (204, "")
    assert ledger_states(world) == before
    # A call's SID on a message's row is not a message's callback.
    call_shaped = {"CallSid": next(iter(before)), "CallStatus": "busy", "AccountSid": "AC"}
    assert serving.post(STATUS, call_shaped).status == 204
    assert ledger_states(world) == before
    # Unsigned: refused, nothing recorded (the skeleton's check, on this path too).
    assert serving.post(STATUS, unknown, signature="").status == 403


def test_a_callback_that_comes_before_the_sender_recorded_the_sid_is_read_again(
    world: World, serving: Serving
) -> None:
    # Twilio takes the message and calls back at once, while its answer to the sender is
    # still on its way (held 2 s): serve does not know the SID yet when the callbacks come.
    world.twilio.hold_first_answer_to(PHONES[0], seconds=2.0)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0, doc
    (slow,) = world.twilio.messages_to(PHONES[0])
    first = [p for p in world.twilio.callbacks.posted if p.fields["MessageSid"] == slow.sid]
    assert first and all(p.status == 204 for p in first)
    # Read again a little later, once the sender recorded it: delivered, without reconcile.
    wait_for(lambda: ledger_states(world).get(slow.sid, ("",))[0] == "delivered")
    assert not [r for r in world.twilio.requests() if r.method == "GET"]


def test_an_undelivered_sms_callback_starts_the_call_that_stands_in_for_it(
    world: World, serve: Callable[[], Serving]
) -> None:
    with_voice(world, "")
    running = serve()
    world.twilio.mark_undelivered(LANDLINE, code=30003)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0, doc
    # No other run: serve's callback handler places the call.
    wait_for(lambda: len(world.twilio.calls()) == 1)
    (text,) = said(world, LANDLINE)
    assert text.count(SPOKEN_HEADLINE) == 2
    assert world.twilio.callbacks.wait_idle()
    # The call's own callback (answered) came back to serve: its receipt is in, once.
    wait_for(lambda: "delivered" in {s for s, _, _ in ledger_states(world).values()})
    code, status = world.run_json("status", "incident.yaml", env=at(1))
    assert status["fallbacks"] == {"voice": {"handed_over": 1, "reached": 1}}
    assert status["channels"]["sms"]["undelivered"] == 1
    # The next run finds it done: nobody is called twice.
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=at(5))
    assert doc["follow_up"]["fallbacks"] == {}
    assert len(world.twilio.calls()) == 1
    assert [parse_qs(r.body.decode()).get("To") for r in world.twilio.requests()].count(
        [LANDLINE]
    ) == 2  # the SMS, and the one call
    # serve's log says what its pass did, without the number.
    code, log = running.stop()
    assert code == 0
    passes = [json.loads(line) for line in log.splitlines() if '"follow-up"' in line]
    assert [(p["incident"], p["fallbacks"]) for p in passes] == [
        ("panne-nord-2026-11-22", {"voice": 1})
    ]
    assert LANDLINE not in log and LANDLINE[-9:] not in log
