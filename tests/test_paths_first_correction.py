"""A correction as an incident's first message in this ledger: there is nothing it corrects.

A correction (``status: cancelled`` with ``correction:``) reaches those an earlier version
reached, on the channels they got it on. With no earlier version in the ledger it would reach
nobody, so the preview, ``approve``, ``send --dry-run``, the real send and cron all refuse it
the same way (exit 2, saying why and what to do), instead of a send that reports nothing sent
as complete.
"""

from __future__ import annotations

from tests.conftest import at
from tests.test_correction import cancel
from tests.world import PHONES, World

# The incident is French: so is why it is refused (input.error_words, nothing_to_correct).
WHY = "aucun message antérieur de panne-nord-2026-11-22 à corriger"


def said(output: str) -> str:
    return " ".join(output.split())


def test_a_first_message_correction_is_refused_alike_by_preview_dry_run_and_send(
    world: World,
) -> None:
    cancel(world)
    for args in (
        ("preview", "incident.yaml"),
        ("send", "incident.yaml", "--dry-run"),
        ("approve", "incident.yaml", "--yes", "--as", "bob"),
        ("send", "incident.yaml", "--yes"),
    ):
        result = world.run(*args, env=at(60))
        assert result.exit_code == 2, (args, result.output)
        assert WHY in said(result.output), (args, result.output)
        assert "would reach sms" not in said(result.output)
        assert "Traceback" not in result.output
    code, doc = world.run_json("send", "incident.yaml", "--yes", env=at(61))
    assert code == 2 and WHY in said(str(doc)), doc
    assert not world.twilio.messages() and not world.x.posts() and not world.smtp.received
    # Nothing recorded as sent: no version in the status, no "complete".
    status = said(world.run("status", "incident.yaml", env=at(62)).output)
    assert "complete" not in status and "#1" not in status, status


def test_a_correction_after_a_real_message_still_goes_to_those_it_reached(world: World) -> None:
    assert world.run_json("send", "incident.yaml", "--yes")[0] == 0
    cancel(world)
    preview = world.run("send", "incident.yaml", "--dry-run", env=at(30))
    assert preview.exit_code == 0 and WHY not in said(preview.output), preview.output
    code, doc = world.run_json("send", "incident.yaml", "--yes", env=at(31))
    assert (code, doc["action"]) == (0, "new"), doc
    assert len(world.twilio.messages()) == 2 * len(PHONES)


def test_cron_refuses_a_first_message_correction_too_and_says_why(world: World) -> None:
    cancel(world)
    result = world.run("tick", ".", "--yes", env=at(60))
    assert result.exit_code == 2, result.output
    assert WHY in said(result.output), result.output
    assert not world.twilio.messages() and not world.x.posts() and not world.smtp.received
