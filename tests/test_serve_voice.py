"""The call-in line end to end: a real ``broadcast serve`` (uvicorn) on 127.0.0.1, an inbound
call posted exactly as Twilio posts it (form fields, ``X-Twilio-Signature`` over the public
URL), its TwiML parsed with ``xml.etree``.

What is said is what the ledger recorded when a version went out (the voice channel's text),
in the caller's recorded language or after a one-key menu in the incident's order of
languages; never the text of a version that was not approved and sent.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from tests.conftest import at
from tests.test_approval import require_approval
from tests.test_serve import OUR_NUMBER, Answer, Serving, start_serving
from tests.test_voice_fallback import SPOKEN_HEADLINE, with_voice
from tests.world import SECRETS, World, edit

pytestmark = pytest.mark.slow

VOICE = "/twilio/voice"
CAMILLE = "+33612345678"  # fr in the world's contacts
EMMA = "+447400123456"  # en
STRANGER = "+33799999999"  # in no recipients file
ENGLISH_HEADLINE = "Power cut in Lille and Roubaix since 08:10."


def call(serving: Serving, caller: str, digits: str | None = None) -> ET.Element:
    form = {
        "CallSid": "CA" + "1" * 32,
        "AccountSid": SECRETS["TWILIO_ACCOUNT_SID"],
        "From": caller,
        "To": OUR_NUMBER,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }
    if digits is not None:
        form["Digits"] = digits
    answer: Answer = serving.post(VOICE, form)
    assert answer.status == 200, answer.body
    assert answer.content_type.startswith("text/xml")
    root = ET.fromstring(answer.body)
    assert root.tag == "Response"
    return root


def says(element: ET.Element) -> list[tuple[str, str]]:
    """(language, text) of every ``<Say>`` under ``element``, in order."""
    return [(say.get("language", ""), say.text or "") for say in element.iter("Say")]


def spoken(element: ET.Element) -> str:
    return " ".join(text for _, text in says(element))


@pytest.fixture
def sent(world: World) -> Iterator[Serving]:
    """The example incident sent by SMS (with a voice channel standing by), then serve."""
    with_voice(world, "")
    code, doc = world.run_json("send", "incident.yaml", "--yes")
    assert code == 0, doc
    running = start_serving(world)
    try:
        yield running
    finally:
        running.stop()


def test_a_known_caller_hears_the_latest_message_in_their_language(sent: Serving) -> None:
    root = call(sent, CAMILLE)
    assert root.find("Gather") is None  # no menu: the ledger knows her language
    assert {lang for lang, _ in says(root)} == {"fr-FR"}
    text = spoken(root)
    assert text.startswith("Bonjour, ici Énergie Nord")
    assert text.count(SPOKEN_HEADLINE) == 2  # the outbound call's words: said twice
    assert "https://" not in text
    assert text.endswith("Au revoir. Pour réécouter ces informations, rappelez ce numéro.")

    root = call(sent, EMMA)
    assert root.find("Gather") is None
    assert {lang for lang, _ in says(root)} == {"en-GB"}
    assert spoken(root).count(ENGLISH_HEADLINE) == 2
    assert SPOKEN_HEADLINE not in spoken(root)


def test_a_stranger_gets_a_one_key_menu_in_the_incidents_order_of_languages(
    sent: Serving,
) -> None:
    root = call(sent, STRANGER)
    gather = root.find("Gather")
    assert gather is not None
    assert (gather.get("numDigits"), gather.get("action"), gather.get("method")) == (
        "1",
        VOICE,
        "POST",
    )
    # Each key's prompt in its own language, French first as the incident lists it.
    assert says(gather) == [
        ("fr-FR", "Pour le français, appuyez sur 1."),
        ("en-GB", "For English, press 2."),
    ]
    # No key pressed: the menu falls through to the first language.
    after = [child for child in root if child.tag != "Gather"]
    assert SPOKEN_HEADLINE in " ".join(say.text or "" for say in after if say.tag == "Say")

    english = call(sent, STRANGER, digits="2")
    assert english.find("Gather") is None
    assert {lang for lang, _ in says(english)} == {"en-GB"}
    assert spoken(english).count(ENGLISH_HEADLINE) == 2
    french = call(sent, STRANGER, digits="1")
    assert {lang for lang, _ in says(french)} == {"fr-FR"}
    assert spoken(french).count(SPOKEN_HEADLINE) == 2
    # A key with no language: the first one, not an error.
    assert {lang for lang, _ in says(call(sent, STRANGER, digits="7"))} == {"fr-FR"}


def test_no_incident_in_progress_is_said_so(world: World) -> None:
    running = start_serving(world)
    try:
        root = call(running, STRANGER)
    finally:
        running.stop()
    assert root.find("Gather") is None
    assert says(root) == [
        ("fr-FR", "Bonjour, ici Énergie Nord. Aucun incident n'est en cours. Au revoir.")
    ]


def test_a_version_not_approved_is_never_said(world: World, sent: Serving) -> None:
    require_approval(world)
    edit(world, "Coupure de courant", "Brouillon pas encore approuvé")
    code, doc = world.run_json("send", "incident.yaml", "--yes", env=at(20))
    assert code == 2, doc  # waiting for a second person: nothing sent
    for caller in (CAMILLE, STRANGER):
        text = spoken(call(sent, caller, "1"))
        assert "Brouillon" not in text and "approuvé" not in text
        assert text.count(SPOKEN_HEADLINE) == 2  # still the version that went out


def test_a_resolved_incident_is_no_longer_in_progress(world: World, sent: Serving) -> None:
    edit(world, "status: investigating", "status: resolved", 1)
    edit(world, "Rétablissement prévu vers 14h.", "Le courant est revenu partout.", 1)
    edit(world, "We are restoring it; back around 14:00.", "Power is back everywhere.", 1)
    code, doc = world.run_json("send", "incident.yaml", "--yes", env=at(200))
    assert code == 0, doc
    text = spoken(call(sent, CAMILLE))
    assert text == "Bonjour, ici Énergie Nord. Aucun incident n'est en cours. Au revoir."


def test_the_call_in_number_is_every_channels_offline_way(world: World) -> None:
    with_voice(world, "")
    config = world.folder / "channels.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "channels:\n",
            'serve: {public_url: "https://alerts.example.org", call_in_number: "+33 3 20 00 00 00"}'
            "\nchannels:\n",
            1,
        ),
        encoding="utf-8",
    )
    code, preview = world.run_json("send", "incident.yaml", "--dry-run")
    assert code == 0, preview
    shown = {c["channel"]: c for c in preview["channels"]}
    french = "Sans internet, écoutez le dernier message au +33 3 20 00 00 00."
    english = "No internet? Hear the latest message on +33 3 20 00 00 00."
    for channel in ("sms", "email", "banner", "voice"):
        assert french in shown[channel]["text"], channel
    for channel in ("sms", "email", "voice"):  # those carrying the English translation
        assert english in shown[channel]["variants"]["en"]["text"], channel
    # What is sent is what was shown: the SMS carries it.
    code, sent = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0, sent
    assert all("+33 3 20 00 00 00" in m.body for m in world.twilio.messages())
