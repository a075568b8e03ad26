"""Exactly-once calls: a lost answer, a killed run and a fallback whose answer was lost are
looked up in Twilio's Calls list before anyone is called again; call outcomes are receipts.

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

from tests.conftest import NOW, write
from tests.test_voice_fallback import LANDLINE, with_voice
from tests.world import PHONES, SECRETS, World


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


def test_a_lost_answer_to_a_call_is_looked_up_not_called_again(world: World) -> None:
    numbers = [f"+336123{i:05d}" for i in range(200)]
    voice_only(world, numbers)
    world.twilio.drop_first_answer_to(*numbers[::10])
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "voice")
    assert code == 0, doc
    counts = Counter(c.to for c in world.twilio.calls())
    assert set(counts) == set(numbers) and set(counts.values()) == {1}
    assert doc["delivery"][0]["sent"] == 200 and doc["uncertain"] == []
    assert call_lookups(world) == 20  # one lookup per lost answer, none otherwise


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
    assert code == 0  # the SMS failed; the call (found by its lookup) reached her
    assert doc["follow_up"]["fallbacks"] == {"voice": 1}, doc
    assert len(world.twilio.calls_to(LANDLINE)) == 1
    assert call_lookups(world) == 1
    _, status = world.run_json("status", "incident.yaml")
    assert status["channels"]["voice"]["sent"] == 1


def test_kill_9_during_calls_then_a_plain_rerun_calls_every_number_once(world: World) -> None:
    numbers = [f"+3361234{i:04d}" for i in range(1000)]
    voice_only(world, numbers)
    config = world.folder / "channels.yaml"
    config.write_text(
        config.read_text().replace(
            "    recipients: contacts.csv\n    default_region: FR\n",
            "    recipients: contacts.csv\n    default_region: FR\n    concurrency: 8\n",
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
    assert (rerun.returncode, doc["action"], doc["uncertain"]) == (0, "continue", [])
    counts = Counter(c.to for c in world.twilio.calls())
    assert set(counts) == set(numbers)
    assert set(counts.values()) == {1}, "a number was called twice"
