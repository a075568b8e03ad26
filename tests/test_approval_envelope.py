"""Who a message appears to come from is approved bytes too (issue 22, principle 1).

The real CLI against the local Twilio and SMTP peers: bob approves, then channels.yaml's
email From and Reply-To, or the SMS sender id, is edited; the send is refused naming the
channel and the field, nothing leaves, and what goes out after a new approval carries the
headers bob saw. Every channel type names the fields that address it.
"""

from __future__ import annotations

import pytest

from broadcast.channels import channel_types
from tests.test_approval import nothing_sent, require_approval, said
from tests.world import PHONES, World

# The slow tier (tests/conftest.py): approve-and-send cycles, seconds each.
pytestmark = pytest.mark.slow

SPOOFED_FROM = 'from: "Préfecture du Nord - URGENCE <alertes@example.com>"'


def edit_config(world: World, old: str, new: str) -> None:
    path = world.folder / "channels.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_email_sender_edited_after_approval_is_refused(world: World) -> None:
    require_approval(world)
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    edit_config(world, 'from: "Service client <alertes@example.com>"', SPOOFED_FROM)
    edit_config(world, "reply_to: service.client@example.com", "reply_to: attacker@evil.example")
    result = world.run("send", "incident.yaml", "--yes", "--as", "alice")
    assert result.exit_code == 2, result.output
    text = said(result)
    assert "email · from" in text and "email · reply_to" in text
    assert "sms · from" not in text  # what did not change is not named
    assert "broadcast approve incident.yaml" in text and "Traceback" not in text
    assert nothing_sent(world)
    # Approved as edited (bob is shown the new headers), it goes out with them.
    approved = world.run("approve", "incident.yaml", "--yes", "--as", "bob")
    assert approved.exit_code == 0, approved.output
    shown = said(approved)
    assert "email · from: Préfecture du Nord - URGENCE <alertes@example.com>" in shown
    assert "email · reply_to: attacker@evil.example" in shown
    assert "twitter · access_token: ${X_ACCESS_TOKEN}" in shown  # the reference, not the secret
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "alice")
    assert code == 0, doc
    message = world.smtp.received[0].message
    assert message["From"].addresses[0].display_name == "Préfecture du Nord - URGENCE"
    assert str(message["Reply-To"]) == "attacker@evil.example"


def test_an_sms_sender_id_edited_after_approval_is_refused(world: World) -> None:
    require_approval(world)
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    edit_config(world, 'from: "+15005550006"', 'from: "GENDARMERIE"')
    for args in (("--channel", "sms"), ()):
        result = world.run("send", "incident.yaml", "--yes", "--as", "alice", *args)
        assert result.exit_code == 2, result.output
        assert "sms · from" in said(result)
        assert nothing_sent(world)
    # Put back as bob approved it, the send goes, from the approved sender.
    edit_config(world, 'from: "GENDARMERIE"', 'from: "+15005550006"')
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "alice")
    assert code == 0, doc
    assert len(world.twilio.messages()) == len(PHONES)


def test_every_channel_type_names_the_fields_that_address_it() -> None:
    # A new channel type that forgets to say who it sends as would send as anyone.
    for name, kind in channel_types().items():
        assert "ADDRESSING" in vars(kind) and kind.ADDRESSING, name
        for field in kind.ADDRESSING:
            assert field in kind.model_fields, (name, field)
