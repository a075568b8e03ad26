"""The auto-answer to a reply (the incident's ``reply:``), end to end: a real ``broadcast
serve`` (uvicorn) posted to as Twilio posts, after real sends through the local Twilio peer.

The answer is one of the SMS channel's texts (its ``reply`` part): previewed, measured like
the SMS, read by the wording checks, approved and recorded with the version, and only those
recorded bytes are ever answered; once per number and version, to a reply that is no keyword.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from tests.conftest import at
from tests.test_approval import require_approval
from tests.test_serve import CAMILLE, EMMA, Answer, Serving, send_sms, start_serving
from tests.world import World, edit

pytestmark = [pytest.mark.slow, pytest.mark.both_engines]

FRENCH = "Merci, votre message est bien arrivé. Nos équipes le lisent. Urgence vitale : 15 ou 112."
ENGLISH = "Thank you, your message has arrived. Our teams read it. In an emergency, call 15 or 112."
OFFLINE_FR = 'offline: "Sans internet : 0 800 000 000, gratuit."'
OFFLINE_EN = "    offline: No internet? 0 800 000 000, free."


def with_reply(world: World, french: str = FRENCH, english: str = ENGLISH) -> None:
    edit(world, OFFLINE_FR, f'{OFFLINE_FR}\nreply: "{french}"', 1)
    edit(world, OFFLINE_EN, f'{OFFLINE_EN}\n    reply: "{english}"', 1)


def answered(answer: Answer) -> str | None:
    """The ``<Message>`` a 200 answers, or None for a 204."""
    if answer.status == 204:
        return None
    assert answer.status == 200, answer
    assert answer.content_type.startswith("text/xml")
    root = ET.fromstring(answer.body)
    (message,) = root.iter("Message")
    return message.text


@pytest.fixture
def replying(world: World) -> Iterator[Serving]:
    with_reply(world)
    send_sms(world)
    running = start_serving(world)
    try:
        yield running
    finally:
        running.stop()


def test_a_reply_gets_the_approved_answer_once_per_number_and_version(
    world: World, replying: Serving
) -> None:
    assert answered(replying.sms(CAMILLE, "Quand revient le courant ?")) == FRENCH
    # Once per number and version: her next reply is kept, and answered by nothing.
    assert answered(replying.sms(CAMILLE, "Merci, et pour la rue Nationale ?")) is None
    # Another number, in its own language.
    assert answered(replying.sms(EMMA, "Is my street included?")) == ENGLISH
    # Keywords keep their own answers, never the auto-answer.
    help_text = answered(replying.sms(EMMA, "HELP"))
    assert help_text is not None and ENGLISH not in help_text
    assert answered(replying.sms(CAMILLE, "STOP")) is None
    assert answered(replying.sms(CAMILLE, "START")) is None
    # A number the incident never reached: nothing to answer for.
    assert answered(replying.sms("+33699999999", "Qui êtes-vous ?")) is None
    code, listed = world.run_json("replies", "incident.yaml")
    assert code == 0 and listed["count"] == 3  # every reply kept, answered or not
    # A new version: its first reply from her is answered again, with its own answer.
    edit(world, "status: investigating", "status: identified")
    edit(world, f'reply: "{FRENCH}"', 'reply: "Merci. La cause est trouvée, la réparation avance."')
    send_sms(world, 30)
    second = answered(replying.sms(CAMILLE, "Et maintenant ?"))
    assert second == "Merci. La cause est trouvée, la réparation avance."
    assert answered(replying.sms(CAMILLE, "Merci")) is None


def test_without_reply_nothing_is_answered(world: World) -> None:
    send_sms(world)
    running = start_serving(world)
    try:
        assert answered(running.sms(CAMILLE, "Quand revient le courant ?")) is None
    finally:
        running.stop()


def test_only_the_approved_answer_is_recorded_and_said(world: World) -> None:
    """An answer edited after its approval is not sent, nor answered: the send is refused
    naming the reply's text, and serve answers what the ledger recorded, never the file."""
    require_approval(world)
    with_reply(world)
    code, preview = world.run_json("send", "incident.yaml", "--dry-run")
    assert code == 0, preview
    (sms,) = [c for c in preview["channels"] if c["channel"] == "sms"]
    assert (sms["reply"], sms["variants"]["en"]["reply"]) == (FRENCH, ENGLISH)
    assert sms["reply_measures"]["segments"] == 1
    approve = world.run("approve", "incident.yaml", "--yes", "--as", "bob")
    assert approve.exit_code == 0, approve.output
    edit(world, "Nos équipes le lisent.", "Nos équipes le lisent tous.")
    refused = world.run("send", "incident.yaml", "--yes", "--as", "alice", "--channel", "sms")
    assert refused.exit_code == 2, refused.output
    assert "sms · fr · reply" in " ".join(refused.output.split())
    assert not world.twilio.messages()
    edit(world, "Nos équipes le lisent tous.", "Nos équipes le lisent.")
    sent = world.run("send", "incident.yaml", "--yes", "--as", "alice", "--channel", "sms")
    assert sent.exit_code == 0, sent.output
    # The file now says something else: serve still answers the approved, recorded bytes.
    edit(world, "Nos équipes le lisent.", "Brouillon jamais approuvé.")
    running = start_serving(world)
    try:
        assert answered(running.sms(CAMILLE, "Quand ?")) == FRENCH
    finally:
        running.stop()


def test_an_answer_longer_than_the_sms_allows_is_refused_on_its_line(world: World) -> None:
    long = " ".join(["Merci, votre message est bien arrivé."] * 13)
    with_reply(world, french=long)
    result = world.run("send", "incident.yaml", "--yes", env=at(0))
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    # A French file's problem is French throughout, its place too (issue 25).
    assert "erreur : incident.yaml:" in said and "canal sms, champ reply :" in said, said
    assert "au-delà de son max_segments de 3" in said, said
    assert not world.twilio.messages()
