"""Refused credentials are the channel's failure, not the recipients': nobody is lost.

A wrong Twilio token or X key costs one request, stops the channel, says what to fix, and
leaves every delivery pending: the next ``send`` after the fix reaches everyone, once.
"""

from __future__ import annotations

from collections import Counter

from tests.conftest import write
from tests.world import World

NUMBERS = [f"+3361111{i:04d}" for i in range(60)]


def many_phones(world: World) -> None:
    rows = "".join(f"N{i},{n},\n" for i, n in enumerate(NUMBERS))
    write(world.folder / "contacts.csv", "name,phone,email\n" + rows)


def test_a_wrong_twilio_token_costs_one_request_and_the_fixed_send_reaches_everyone(
    world: World,
) -> None:
    many_phones(world)
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--channel", "sms", env={"TWILIO_AUTH_TOKEN": "wrong"}
    )
    assert code == 1
    (sms,) = doc["delivery"]
    (problem,) = sms["problems"]
    assert problem["channel"] == "sms"
    assert problem["message"].startswith("credentials refused (HTTP 401)")
    assert "nothing more sent on this channel" in problem["message"]
    assert "fix TWILIO_ACCOUNT_SID or TWILIO_AUTH_TOKEN and run send again" in problem["message"]
    assert "wrong" not in problem["message"]
    # Ten workers, but the first refusal stops them all: one request in total.
    assert len(world.twilio.requests()) == 1
    assert sms["failed"] == 0  # no recipient failed: the channel did
    code, status = world.run_json("status", "incident.yaml")
    assert status["channels"]["sms"]["failed-permanent"] == 0
    assert status["channels"]["sms"]["pending"] >= 1
    text = world.run(
        "send", "incident.yaml", "--yes", "--channel", "sms", env={"TWILIO_AUTH_TOKEN": "wrong"}
    ).output
    assert "channel sms: credentials refused (HTTP 401)" in " ".join(text.split())
    # Fixed: the next send finishes the same version and reaches every number exactly once.
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert (code, doc["action"], doc["sent"]) == (0, "continue", len(NUMBERS))
    assert Counter(m.to for m in world.twilio.messages()) == Counter(NUMBERS)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert (code, doc["action"], doc["sent"]) == (0, "nothing", 0)


def test_refused_x_keys_leave_the_post_pending_for_the_send_after_the_fix(world: World) -> None:
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--channel", "twitter", env={"X_ACCESS_TOKEN": "nope"}
    )
    assert code == 1
    (x,) = doc["delivery"]
    assert "credentials refused (HTTP 401)" in x["problems"][0]["message"]
    assert "X_ACCESS_TOKEN" in x["problems"][0]["message"]
    assert world.x.posts() == []
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "twitter")
    assert (code, doc["action"], doc["sent"]) == (0, "continue", 1)
    assert len(world.x.posts()) == 1
