"""Approved texts that announce as still to come a time now passed are not sent (issue 22,
principle 1): the real CLI against the local Twilio peer.

Texts go out as rendered at the approval's moment. bob approves at 09:40 texts saying the power
is back around 14h; sent at 15:30 they would say it still, where the same file rendered then
says the repair is taking longer than expected. Such a send, and cron's reminder, is refused,
saying to update the file and approve again.
"""

from __future__ import annotations

import pytest

from tests.conftest import at
from tests.test_approval import nothing_sent, require_approval, said
from tests.world import PHONES, World, edit

# The slow tier (tests/conftest.py): approve-and-send cycles, seconds each.
pytestmark = pytest.mark.slow


def late_promise(world: World) -> None:
    """The next update promised far ahead (17:40), so the eta (14:00) passes first."""
    require_approval(world)
    edit(world, "next_update: dans 2h", "next_update: dans 8h")


def test_an_approved_eta_passed_before_the_send_is_refused(world: World) -> None:
    late_promise(world)
    approved = world.run("approve", "incident.yaml", "--yes", "--as", "bob")
    assert approved.exit_code == 0, approved.output
    # 15:30 in Paris: the eta, 14:00, has passed.
    result = world.run("send", "incident.yaml", "--yes", "--as", "alice", env=at(350))
    assert result.exit_code == 2, result.output
    text = said(result)
    assert "the expected end at" in text and "14:00" in text and "has passed" in text
    assert "Update the file" in text and "broadcast approve incident.yaml" in text
    assert "Traceback" not in text
    assert nothing_sent(world)
    # The dry run says the same, before anyone tries.
    dry = world.run("send", "incident.yaml", "--dry-run", "--as", "alice", env=at(350))
    assert "the expected end at" in said(dry)
    # Before 14:00 the approved texts are still true: they go.
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "alice", env=at(200))
    assert code == 0, doc
    assert len(world.twilio.messages()) == len(PHONES)


def test_an_approved_reminder_whose_eta_passed_is_refused_through_cron(world: World) -> None:
    late_promise(world)
    edit(world, "next_update: dans 8h", "next_update: dans 2h")  # reminders every 2 h
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    assert world.run_json("send", "incident.yaml", "--yes", "--as", "alice")[0] == 0
    (world.folder / "cron").mkdir()
    (world.folder / "incident.yaml").rename(world.folder / "cron" / "incident.yaml")
    # The 11:40 reminder, at 11:45: its eta (14:00) is still to come, it goes.
    result = world.run("tick", "cron", "--yes", env=at(125, BROADCAST_USER="cron"))
    assert result.exit_code == 0, result.output
    sent = len(world.twilio.messages())
    assert sent == 2 * len(PHONES)
    # The 13:40 reminder (approved: the eta 14:00 still to come) runs late, at 14:10.
    result = world.run("tick", "cron", "--yes", env=at(270, BROADCAST_USER="cron"))
    assert result.exit_code == 2, result.output
    text = said(result)
    assert "the expected end at" in text and "14:00" in text and "Update the file" in text
    assert len(world.twilio.messages()) == sent
