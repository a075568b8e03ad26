"""retry re-sends what the version said, as recorded, never the file as it is now.

An operator edits the incident into a draft, then runs ``retry --yes`` for an earlier
failure: the failed recipient gets the recorded text of the version being retried, the draft
goes nowhere, and the run says the file has changed since.
"""

from __future__ import annotations

import pytest

from tests.conftest import at, write
from tests.world import PHONES, World, edit

# The slow tier (tests/conftest.py): sends, edits and retries, seconds each.
pytestmark = pytest.mark.slow

DRAFT = "BROUILLON ne pas envoyer"


def test_retry_after_the_file_became_a_draft_resends_the_recorded_version(world: World) -> None:
    world.twilio.set_number_error("+33612345680", 21611)  # the sender's queue is full: transient
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--channel", "sms", "--channel", "banner"
    )
    assert code == 1
    recorded = world.twilio.messages()[0].body
    banner = (world.folder / "public" / "status" / "banner.json").read_text()
    world.twilio.clear_number_errors()
    edit(world, "Coupure de courant à Lille et Roubaix depuis 8h10.", DRAFT + ".")
    edit(world, "status: investigating", "status: monitoring")
    # Monitoring in every language: an unchanged headline would be refused by send.
    edit(world, "We are restoring it; back around 14:00.", "Power is back; we are watching.")
    code, doc = world.run_json("retry", "incident.yaml", "--yes", "--channel", "sms", env=at(20))
    assert (code, doc["action"], doc["sent"]) == (0, "continue", 1)
    assert doc["note"] == (
        "the file has changed since version 1; retry re-sends version 1 as recorded; "
        "run send to publish the change"
    )
    bodies = [m.body for m in world.twilio.messages()]
    assert not [b for b in bodies if DRAFT in b]
    assert world.twilio.messages_to("+33612345680")[0].body == recorded
    result = world.run("retry", "incident.yaml", "--yes", "--channel", "sms", env=at(21))
    assert "the file has changed since version 1" in " ".join(result.output.split())
    # The banner's data (status, headline) of a continued version is the recorded one too.
    assert (world.folder / "public" / "status" / "banner.json").read_text() == banner
    # send publishes the change, as a new version, to everyone. (The draft's French still gives
    # 14h where its English says power is back: a wording error send stops at, unless the
    # sender takes it on; retry, which re-sends the recorded texts, was not stopped by it.)
    code, doc = world.run_json(
        "send",
        "incident.yaml",
        "--yes",
        "--channel",
        "sms",
        "--accept-wording",
        "the draft goes out as it is, for this test",
        env=at(22),
    )
    assert (code, doc["action"], doc["sent"]) == (0, "new", len(PHONES))


def test_finishing_an_unfinished_version_uses_its_recorded_texts(world: World) -> None:
    world.twilio.set_number_error("+33612345680", 21611)
    assert world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")[0] == 1
    recorded = world.twilio.messages()[0].body
    world.twilio.clear_number_errors()
    # The template changes; the file does not: the version is the same, its text too.
    # A templates/ folder beside channels.yaml wins over the shipped templates.
    write(world.folder / "templates" / "sms.txt.j2", "NOUVEAU MODELE {{ headline }} {{ link }}")
    code, doc = world.run_json("send", "incident.yaml", "--dry-run", "--channel", "sms")
    assert "NOUVEAU MODELE" in doc["channels"][0]["text"]
    code, doc = world.run_json("retry", "incident.yaml", "--yes", "--channel", "sms", env=at(5))
    assert (code, doc["sent"]) == (0, 1)
    assert world.twilio.messages_to("+33612345680")[0].body == recorded
