"""Delivery receipts, reconcile, exactly-once SMS after a lost answer, and validity: the real
CLI and twilio SDK against the local Twilio peer, a real SQLite ledger."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import write
from tests.world import PHONES, World

# The ledger's guarantees end to end: every test here runs on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines

UNREACHABLE = PHONES[3]


def send_sms(world: World, *args: str) -> tuple[int, dict]:
    return world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", *args)


def test_reconcile_records_delivered_and_undelivered_with_the_code(world: World) -> None:
    world.twilio.deliver_after = 0.0
    world.twilio.mark_undelivered(UNREACHABLE, code=30003)
    code, _ = send_sms(world)
    assert code == 0

    code, doc = world.run_json("reconcile", "incident.yaml")
    assert code == 1, doc  # one receipt reports a failure
    (sms,) = doc["channels"]
    assert (sms["asked"], sms["delivered"], sms["undelivered"]) == (4, 3, 1)
    assert sms["undelivered_by_code"] == {"30003": 1}
    assert doc["complete"] is True

    code, status = world.run_json("status", "incident.yaml")
    assert code == 0
    counts = status["channels"]["sms"]
    assert (counts["sent"], counts["delivered"], counts["undelivered"]) == (0, 3, 1)
    assert status["undelivered_by_code"] == {"sms": {"30003": 1}}
    assert status["waiting_for_receipt"] == {"sms": 0}

    # Everything is final: nothing left to ask, nothing new went wrong.
    code, doc = world.run_json("reconcile", "incident.yaml")
    assert (code, doc["asked"]) == (0, 0)
    gets = [r for r in world.twilio.requests() if r.method == "GET"]
    assert len(gets) == 4  # the second run asked nothing


def test_reconcile_exit_codes_all_delivered_bad_input_and_no_credentials(world: World) -> None:
    world.twilio.deliver_after = 0.0
    assert send_sms(world)[0] == 0
    # Without the auth token it cannot ask: not "everything asked", so 1, and it says why.
    code, doc = world.run_json("reconcile", "incident.yaml", env={"TWILIO_AUTH_TOKEN": ""})
    assert code == 1 and doc["complete"] is False
    assert "TWILIO_AUTH_TOKEN" in doc["channels"][0]["problems"][0]["message"]

    code, doc = world.run_json("reconcile", "incident.yaml")
    assert (code, doc["delivered"], doc["undelivered"]) == (0, 4, 0)

    result = world.run("reconcile", "missing.yaml")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_receipts_are_read_at_the_start_of_the_next_send(world: World) -> None:
    assert send_sms(world)[0] == 0  # queued at the peer: no receipt yet
    code, status = world.run_json("status", "incident.yaml")
    assert status["waiting_for_receipt"] == {"sms": 4}

    world.twilio.deliver_after = 0.0
    world.twilio.mark_undelivered(UNREACHABLE, code=30006, status="failed")
    code, doc = send_sms(world)  # nothing new to say, but the receipts are read
    assert (code, doc["action"]) == (0, "nothing")
    assert (doc["receipts"]["delivered"], doc["receipts"]["undelivered"]) == (3, 1)
    code, status = world.run_json("status", "incident.yaml")
    assert status["channels"]["sms"]["delivered"] == 3
    assert status["undelivered_by_code"] == {"sms": {"30006": 1}}
    assert status["waiting_for_receipt"] == {"sms": 0}


def test_report_shows_reached_against_sent_and_time_to_50_and_90_percent(world: World) -> None:
    world.twilio.deliver_after = 0.0
    world.twilio.mark_undelivered(UNREACHABLE, code=30003)
    send_sms(world)
    world.run_json("reconcile", "incident.yaml")
    code, report = world.run_json("report", "incident.yaml")
    assert code == 0
    reach = report["reach"]["sms"]
    assert (reach["sent"], reach["delivered"], reach["undelivered"]) == (4, 3, 1)
    assert reach["reached_percent"] == 75.0
    assert reach["to_50_percent_seconds"] is not None and reach["to_50_percent_seconds"] >= 0
    assert reach["to_90_percent_seconds"] is None  # 3 of 4 never make 90 %
    text = world.run("report", "incident.yaml").output
    assert "Reçus (accusés de réception)" in text and "75 %" in text


@pytest.mark.slow
def test_a_lost_answer_is_looked_up_not_sent_again(world: World) -> None:
    numbers = [f"+336123{i:05d}" for i in range(200)]
    write(
        world.folder / "contacts.csv",
        "name,phone\n" + "".join(f"N{i},{n}\n" for i, n in enumerate(numbers)),
    )
    # 10 % of first attempts: Twilio takes the message, the answer never comes back.
    world.twilio.drop_first_answer_to(*numbers[::10])
    code, doc = send_sms(world)
    assert code == 0, doc
    counts = Counter(m.to for m in world.twilio.messages())
    assert set(counts) == set(numbers)
    assert set(counts.values()) == {1}
    assert doc["delivery"][0]["sent"] == 200 and doc["uncertain"] == []
    lookups = [r for r in world.twilio.requests() if r.method == "GET"]
    assert len(lookups) == 20  # one lookup per lost answer, none otherwise


def test_every_sms_carries_a_validity_period_until_the_promised_update(world: World) -> None:
    assert send_sms(world)[0] == 0
    # The example promises its next update in 2 h.
    validity = {m.params["ValidityPeriod"] for m in world.twilio.messages()}
    assert validity == {("7200",)}

    config = world.folder / "channels.yaml"
    config.write_text(
        config.read_text().replace("rate: unlimited", "rate: unlimited\n    validity: 30m", 1)
    )
    world.twilio.reset()
    path = world.folder / "incident.yaml"
    path.write_text(path.read_text().replace("headline: Coupure", "headline: Nouvelle coupure", 1))
    assert send_sms(world)[0] == 0
    assert {m.params["ValidityPeriod"] for m in world.twilio.messages()} == {("1800",)}


@pytest.mark.parametrize("value", ["soon", "20h"])
def test_a_bad_validity_is_refused_with_file_line_and_field(world: World, value: str) -> None:
    config = world.folder / "channels.yaml"
    config.write_text(
        config.read_text().replace("rate: unlimited", f"rate: unlimited\n    validity: {value}", 1)
    )
    result = world.run("send", "incident.yaml", "--yes", "--channel", "sms")
    assert result.exit_code == 2
    assert "channels.yaml" in result.output and "validity" in result.output
    line = config.read_text().splitlines().index(f"    validity: {value}") + 1
    assert f":{line}" in result.output
    assert world.twilio.messages() == []
