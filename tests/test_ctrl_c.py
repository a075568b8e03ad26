"""Ctrl-C on a real send: said at once, nothing new handed out, a second press stops waiting.

A real ``python -m broadcast send`` process against the local Twilio peer; SIGINT is what a
terminal sends on Ctrl-C. What counts is what the peer received and what the ledger says.
"""

from __future__ import annotations

import os
import select
import signal
import time

import pytest

from tests.test_crash import big, finish, start  # noqa: F401 - big is a fixture
from tests.world import World

# The slow tier (tests/conftest.py): SIGINT to a real send process.
pytestmark = pytest.mark.slow


def read_stderr_until(process, text: str, seconds: float) -> str:  # type: ignore[no-untyped-def]
    """Standard error as it comes, until ``text`` shows or ``seconds`` pass."""
    fd = process.stderr.fileno()
    seen = b""
    deadline = time.monotonic() + seconds
    while text.encode() not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            seen += chunk
    return seen.decode(errors="replace")


def rate_limited(world: World, rate: str) -> None:
    config = world.folder / "channels.yaml"
    config.write_text(config.read_text().replace("rate: unlimited", f"rate: {rate}", 1))


def test_one_ctrl_c_is_acknowledged_at_once_and_hands_out_nothing_new(big: World) -> None:  # noqa: F811
    # A slow rate: the queue of reserved rate slots the run once waited out after Ctrl-C
    # would take minutes here, so the bounds below tell it apart with room for a loaded CI
    # machine, which takes seconds longer, never minutes.
    rate_limited(big, "5/s")
    process = start(big)
    deadline = time.monotonic() + 60
    while len(big.twilio.messages()) < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    pressed = time.monotonic()
    said = read_stderr_until(process, "Stopping", 20)
    at_ack = len(big.twilio.messages())
    assert "Stopping: nothing new is handed out" in said
    assert time.monotonic() - pressed < 20
    code, doc = finish(process)
    # Workers waiting for a rate slot stop waiting: the run ends in seconds, not the minute
    # and more a queue of reserved slots used to take at this rate, and at most the 8
    # requests in flight still land.
    assert time.monotonic() - pressed < 30
    assert len(big.twilio.messages()) - at_ack <= 8
    assert code == 1
    (sms,) = doc["delivery"]
    assert sms["stopped"] is True and 0 < sms["sent"] < 2000
    assert doc["uncertain"] == []


def test_a_second_ctrl_c_stops_waiting_and_marks_the_requests_in_flight_uncertain(
    big: World,  # noqa: F811
) -> None:
    # Every request is held for 60 s: the run cannot end normally before the peer answers.
    big.twilio.delay_next(60, times=50)
    process = start(big, "--log-file", "cron.log")
    deadline = time.monotonic() + 20
    while len(big.twilio.pending_script()) == 50 and time.monotonic() < deadline:
        time.sleep(0.01)
    held = 50 - len(big.twilio.pending_script())
    assert held >= 1  # a request is in flight, held by the peer
    process.send_signal(signal.SIGINT)
    assert "Stopping" in read_stderr_until(process, "Stopping", 10)
    process.send_signal(signal.SIGINT)
    code, doc = finish(process)
    # It did not wait for the held requests: the peer has answered none of them yet.
    assert big.twilio.requests() == []
    assert code == 1
    assert 1 <= len(doc["uncertain"]) <= 8
    log = (big.folder / "cron.log").read_text()
    assert '"event": "stopping"' in log and '"event": "abandoned"' in log
    big.twilio.clear_script()
    code, status = big.run_json("status", "incident.yaml")
    assert status["channels"]["sms"]["uncertain"] == len(doc["uncertain"])
