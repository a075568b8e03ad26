"""Calls placed once, or held uncertain by name: a lost answer, a killed run and a fallback
whose answer was lost are looked up in Twilio's Calls list before anyone is called again. A
listed call carries nothing of what created it, so the lookup never takes one for this
attempt's: a list with no call since the attempt began means it was not placed (placed now);
a list with one holds the delivery uncertain, for ``--resend-uncertain``. Call outcomes are
receipts.

The real CLI (and real processes for kill -9) with the real twilio SDK against the local
Twilio peer.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from tests.conftest import NOW, write
from tests.test_voice_fallback import LANDLINE, with_voice
from tests.world import PHONES, SECRETS, World

# The slow tier (tests/conftest.py): kill -9 during 1,000 calls, lookups that wait for the provider.
pytestmark = pytest.mark.slow


def call_lookups(world: World) -> int:
    return sum(
        1 for r in world.twilio.requests() if r.method == "GET" and r.path.endswith("/Calls.json")
    )


def voice_only(world: World, numbers: list[str]) -> None:
    write(
        world.folder / "contacts.csv",
        "name,phone\n" + "".join(f"N{i},{n}\n" for i, n in enumerate(numbers)),
    )
    with_voice(world, "    recipients: contacts.csv\n    default_region: FR\n", sms_fallback=None)


def test_a_lost_answer_to_a_call_is_held_uncertain_by_name_never_placed_twice_blindly(
    world: World,
) -> None:
    numbers = [f"+336123{i:05d}" for i in range(200)]
    voice_only(world, numbers)
    lost = numbers[::10]
    world.twilio.drop_first_answer_to(*lost)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "voice")
    assert code == 1, doc  # some are uncertain: said, and the exit says so
    counts = Counter(c.to for c in world.twilio.calls())
    assert set(counts) == set(numbers) and set(counts.values()) == {1}
    (voice,) = doc["delivery"]
    assert voice["sent"] == 180, voice
    assert voice["looked_up"] == {"found_sent": 0, "resent": 0, "held_uncertain": 20}
    held = {item["recipient"]: item["why"] for item in doc["uncertain"]}
    assert set(held) == {"…" + n[-4:] for n in lost}
    assert all("cannot tell whose call it is" in why for why in held.values())
    assert call_lookups(world) == 20  # one lookup per lost answer, none otherwise

    # Those who decide (the operator) place them again: the documented risk, only there.
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--channel", "voice", "--resend-uncertain"
    )
    assert (code, doc["uncertain"]) == (0, []), doc
    counts = Counter(c.to for c in world.twilio.calls())
    assert {n for n, k in counts.items() if k == 2} == set(lost)
    assert {n for n, k in counts.items() if k == 1} == set(numbers) - set(lost)


def test_call_outcomes_are_receipts_read_by_reconcile(world: World) -> None:
    with_voice(world, "    recipients: contacts.csv\n    default_region: FR\n", sms_fallback=None)
    world.twilio.set_call_outcome(PHONES[0], "busy")
    world.twilio.set_call_outcome(PHONES[1], "failed")
    assert world.run_json("send", "incident.yaml", "--yes", "--channel", "voice")[0] == 0

    code, doc = world.run_json("reconcile", "incident.yaml")
    assert code == 1, doc  # one call failed, one was not answered
    (voice,) = doc["channels"]
    assert voice["channel"] == "voice"
    assert (voice["asked"], voice["delivered"], voice["unanswered"]) == (len(PHONES), 2, 1)
    assert voice["undelivered_by_code"] == {"failed": 1}
    assert voice["lookup_errors"] == {}
    code, status = world.run_json("status", "incident.yaml")
    counts = status["channels"]["voice"]
    assert (counts["delivered"], counts["unanswered"], counts["undelivered"]) == (2, 1, 1)
    assert status["waiting_for_receipt"]["voice"] == 0
    _, report = world.run_json("report", "incident.yaml")
    reach = report["reach"]["voice"]
    assert (reach["sent"], reach["delivered"], reach["reached_percent"]) == (4, 2, 50.0)
    assert reach["to_50_percent_seconds"] is not None and reach["to_90_percent_seconds"] is None


def test_a_fallback_call_whose_answer_was_lost_is_not_placed_twice(world: World) -> None:
    with_voice(world, "")
    world.twilio.mark_not_mobile(LANDLINE)
    world.twilio.drop_first_answer_to(LANDLINE)  # the SMS is refused first: the call drops
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 1  # the SMS did fail; the call stands in for it
    # Its answer lost, the call listed at Twilio may be anyone's: held uncertain, not counted.
    assert doc["follow_up"]["fallbacks"] == {}, doc
    assert doc["follow_up"]["held_uncertain"] == 1, doc
    assert len(world.twilio.calls_to(LANDLINE)) == 1
    assert call_lookups(world) == 1
    _, status = world.run_json("status", "incident.yaml")
    assert status["channels"]["voice"]["uncertain"] == 1
    # Later runs look again and still cannot tell: never a second call on their own.
    world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert len(world.twilio.calls_to(LANDLINE)) == 1


def test_kill_9_during_calls_then_a_plain_rerun_calls_every_number_once(world: World) -> None:
    numbers = [f"+3361234{i:04d}" for i in range(1000)]
    voice_only(world, numbers)
    config = world.folder / "channels.yaml"
    config.write_text(
        config.read_text().replace(
            "    recipients: contacts.csv\n    default_region: FR\n",
            # timeout: the re-run's lookups trust "not found" after 2 x 5 + 5 s, not 35.
            "    recipients: contacts.csv\n    default_region: FR\n    concurrency: 8\n"
            "    timeout: 5\n",
        )
    )
    world.twilio.latency = 0.01
    env = {**os.environ, **SECRETS, "BROADCAST_NOW": NOW.isoformat()}
    env.pop("BROADCAST_CONFIG", None)
    command = [sys.executable, "-m", "broadcast", "send", "incident.yaml", "--yes", "--json"]
    command += ["--channel", "voice"]

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            command,
            cwd=world.folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    process = start()
    target = random.Random(20261128).uniform(50, 700)
    deadline = time.monotonic() + 20
    while len(world.twilio.calls()) < target and time.monotonic() < deadline:
        time.sleep(0.01)
    if process.poll() is not None:
        raise AssertionError(process.communicate())
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    placed_before = len(world.twilio.calls())
    assert 0 < placed_before < len(numbers)

    rerun = start()
    out, err = rerun.communicate(timeout=180)
    assert "Traceback" not in err, err
    doc = json.loads(out)
    held = {item["recipient"] for item in doc["uncertain"]}
    assert doc["action"] == "continue"
    assert rerun.returncode == (1 if held else 0)
    assert len(held) <= 8  # at most one in flight per worker
    counts = Counter(c.to for c in world.twilio.calls())
    assert set(counts.values()) == {1}, "a number was called twice"
    # Everyone was called once, or is named as uncertain (their call may be the one listed).
    assert {"…" + n[-4:] for n in numbers if not counts[n]} <= held
    assert all(counts[n] == 1 for n in numbers if "…" + n[-4:] in held)
