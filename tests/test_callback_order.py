"""Status callbacks in every order and repeated leave the same ledger (the fast tier: the
real ledger and ``delivery.callbacks``, no server; tests/test_status_callbacks.py posts them
to a real ``broadcast serve``).

The rule: a delivery only moves forwards, and the first final word stands. So for every
permutation of a message's callbacks, each posted once or twice, the ledger ends as it does
for Twilio's own order: ``delivered`` stays ``delivered`` after a late ``sent``, a call's
``no-answer`` counts once, and what is not final records nothing.
"""

from __future__ import annotations

from itertools import permutations
from pathlib import Path

import pytest

from broadcast.delivery.callbacks import PRECEDENCE, record_callback
from broadcast.input.config import load_config
from broadcast.ledger.sqlite import Ledger
from tests.conftest import write
from tests.peers.twilio_callbacks import call_steps, message_steps
from tests.test_ledger import new_version

ACCOUNT = "AC" + "0" * 32
NUMBER = "+33612345678"


@pytest.fixture
def config(tmp_path: Path):  # type: ignore[no-untyped-def]
    write(tmp_path / "contacts.csv", f"name,phone\nCamille,{NUMBER}\n")
    return load_config(
        write(
            tmp_path / "channels.yaml",
            """\
organisation: Énergie Nord
channels:
  sms:
    type: sms
    from: "+15005550006"
    recipients: contacts.csv
    account_sid: AC00000000000000000000000000000000
    auth_token: "${TWILIO_AUTH_TOKEN}"
    fallback: voice
  voice:
    type: voice
    from: "+15005550006"
    account_sid: AC00000000000000000000000000000000
    auth_token: "${TWILIO_AUTH_TOKEN}"
""",
        ),
        {"TWILIO_AUTH_TOKEN": "x"},
    )


def sent_delivery(ledger: Ledger, channel: str, sid: str) -> int:
    version = new_version(ledger, content_hash=sid)
    delivery_id, _ = ledger.claim(version.id, channel, NUMBER, 2)
    ledger.mark_outcome(delivery_id, "sent", sid)
    return delivery_id


def state(ledger: Ledger, delivery_id: int) -> tuple[str, str | None, int]:
    found = ledger.delivery(delivery_id)
    assert found is not None
    return found.state, found.error_code, found.unanswered


@pytest.mark.parametrize(
    "final, expected",
    [
        (("delivered", None), ("delivered", None, 0)),
        (("undelivered", 30003), ("undelivered", "30003", 0)),
        (("failed", 30008), ("undelivered", "30008", 0)),
    ],
)
def test_any_order_of_a_messages_callbacks_ends_the_same(
    tmp_path: Path,
    config,
    final,
    expected,  # type: ignore[no-untyped-def]
) -> None:
    ledger = Ledger(tmp_path / "state")
    try:
        for number, order in enumerate(permutations(range(3))):
            sid = f"SM{number:032x}"
            delivery_id = sent_delivery(ledger, "sms", sid)
            steps = message_steps(sid, ACCOUNT, NUMBER, "+15005550006", final)
            for index in order:
                for _ in range(2):  # each one twice
                    record_callback(ledger, config, steps[index])
            assert state(ledger, delivery_id) == expected, order
    finally:
        ledger.close()


def test_the_first_final_word_stands_and_says_whether_it_moved(tmp_path: Path, config) -> None:  # type: ignore[no-untyped-def]
    ledger = Ledger(tmp_path / "state")
    try:
        sid = "SM" + "a" * 32
        delivery_id = sent_delivery(ledger, "sms", sid)
        queued, sent, delivered = message_steps(sid, ACCOUNT, NUMBER, None, ("delivered", None))
        assert record_callback(ledger, config, sent).moved is False  # not final: nothing
        assert state(ledger, delivery_id) == ("sent", None, 0)
        moved = record_callback(ledger, config, delivered)
        assert (moved.known, moved.moved, moved.state, moved.follow_up) == (
            True,
            True,
            "delivered",
            None,
        )
        late = {**delivered, "MessageStatus": "undelivered", "ErrorCode": "30003"}
        assert record_callback(ledger, config, late).moved is False
        assert record_callback(ledger, config, queued).moved is False
        assert state(ledger, delivery_id) == ("delivered", None, 0)
        # An undelivered to a landline asks for the follow-up of its incident (fallback).
        other = "SM" + "b" * 32
        sent_delivery(ledger, "sms", other)
        *_, undelivered = message_steps(other, ACCOUNT, NUMBER, None, ("undelivered", 30006))
        assert record_callback(ledger, config, undelivered).follow_up == "panne-nord"
        # A SID the ledger never handed over: unknown, nothing recorded.
        *_, stranger = message_steps("SM" + "c" * 32, ACCOUNT, NUMBER, None, ("failed", 30003))
        assert record_callback(ledger, config, stranger).known is False
    finally:
        ledger.close()


def test_a_calls_no_answer_counts_once_and_completed_is_delivered(tmp_path: Path, config) -> None:  # type: ignore[no-untyped-def]
    ledger = Ledger(tmp_path / "state")
    try:
        sid = "CA" + "d" * 32
        delivery_id = sent_delivery(ledger, "voice", sid)
        (no_answer,) = call_steps(sid, ACCOUNT, NUMBER, "+15005550006", "no-answer")
        for _ in range(3):
            record_callback(ledger, config, no_answer)
        assert state(ledger, delivery_id) == ("unanswered", "no-answer", 1)
        # A message's fields naming the call's SID are not a call's callback.
        assert (
            record_callback(ledger, config, {"MessageSid": sid, "MessageStatus": "delivered"}).known
            is False
        )
        answered = "CA" + "e" * 32
        other = sent_delivery(ledger, "voice", answered)
        ringing = {"CallSid": answered, "CallStatus": "ringing"}
        assert record_callback(ledger, config, ringing).moved is False
        (completed,) = call_steps(answered, ACCOUNT, NUMBER, "+15005550006", "completed")
        record_callback(ledger, config, completed)
        assert state(ledger, other) == ("delivered", None, 0)
    finally:
        ledger.close()


def test_every_status_twilio_documents_has_a_rank() -> None:
    documented = {
        "accepted", "scheduled", "queued", "sending", "sent", "delivered", "read",
        "undelivered", "failed", "canceled", "initiated", "ringing", "in-progress",
        "completed", "busy", "no-answer",
    }  # fmt: skip
    assert documented <= set(PRECEDENCE)
    assert PRECEDENCE["sent"] < PRECEDENCE["delivered"] == PRECEDENCE["undelivered"]
