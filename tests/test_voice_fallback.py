"""Voice calls, fallback to another channel and suppression, end to end.

The real CLI and the real twilio SDK against the local Twilio peer (Messages and Calls), with
the clock moved by BROADCAST_NOW instead of sleeps.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import parse_qs

from broadcast.channels.voice import twiml_for
from broadcast.ledger.sqlite import UNDELIVERED, Ledger
from tests.conftest import NOW, at
from tests.world import PHONES, World

LANDLINE = "+33612345680"  # Sophie Leroy's row of the world's contacts
SPOKEN_HEADLINE = "Coupure de courant à Lille et Roubaix depuis 8 heures 10."


def with_voice(world: World, voice: str, sms_fallback: str | None = "voice") -> None:
    """Add a voice channel to the world's channels.yaml, and the SMS channel's fallback."""
    path = world.folder / "channels.yaml"
    text = path.read_text(encoding="utf-8")
    if sms_fallback:
        text = text.replace(
            "    default_region: FR\n", f"    default_region: FR\n    fallback: {sms_fallback}\n", 1
        )
    block = f"""\
  voice:
    type: voice
    from: "+15005550006"
    rate: unlimited
    account_sid: "${{TWILIO_ACCOUNT_SID}}"
    auth_token: "${{TWILIO_AUTH_TOKEN}}"
    api_base_url: {world.twilio.url}
{voice}"""
    path.write_text(text.replace("  email:\n", block + "  email:\n", 1), encoding="utf-8")


def sms_posts_to(world: World, number: str) -> int:
    """Requests that asked the peer for an SMS to ``number`` (accepted or refused)."""
    return sum(
        1
        for r in world.twilio.requests()
        if r.path.endswith("/Messages.json") and parse_qs(r.body.decode()).get("To") == [number]
    )


def said(world: World, number: str) -> list[str]:
    """The texts of the calls placed to ``number``, as their TwiML says them."""
    out = []
    for call in world.twilio.calls_to(number):
        assert call.twiml is not None
        root = ET.fromstring(call.twiml)
        out.append(" ".join(say.text or "" for say in root.iter("Say")))
    return out


def test_an_undelivered_sms_falls_back_to_a_call_that_says_the_same_headline(
    world: World,
) -> None:
    with_voice(world, "")
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert (code, doc["sent"]) == (0, len(PHONES))
    assert world.twilio.calls() == []  # a fallback-only channel calls nobody by itself
    # The receipt says the handset was unreachable (Twilio 30003).
    ledger = Ledger(world.folder / ".broadcast")
    try:
        version = ledger.latest_version("panne-nord-2026-11-22")
        assert version is not None and "voice" in version.channels
        key = ledger.recipient_key(LANDLINE)
        (failed,) = [d for d in ledger.deliveries(version.id, "sms") if d.recipient_key == key]
        ledger.record_receipt(failed.id, UNDELIVERED, "30003")
    finally:
        ledger.close()

    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=at(5))
    assert (code, doc["action"]) == (0, "nothing")
    assert doc["follow_up"]["fallbacks"] == {"voice": 1}
    (text,) = said(world, LANDLINE)
    assert text.count(SPOKEN_HEADLINE) == 2  # the same headline, said twice
    assert text.startswith("Bonjour, ici Énergie Nord")
    assert "https://" not in text
    (call,) = world.twilio.calls()
    assert '<Say language="fr-FR">' in (call.twiml or "")
    # Once: a later run does not call again.
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=at(10))
    assert doc["follow_up"]["fallbacks"] == {}
    assert len(world.twilio.calls()) == 1
    code, status = world.run_json("status", "incident.yaml", env=at(11))
    assert status["fallbacks"] == {"voice": {"handed_over": 1, "reached": 1}}
    assert status["channels"]["sms"]["undelivered"] == 1
    code, report = world.run_json("report", "incident.yaml", env=at(12))
    every = report["delivery"]["all_versions"]
    assert (every["voice"]["sent"], every["voice"]["fallback"]) == (1, 1)
    assert every["sms"]["failed_by_reason"] == {"30003": 1}
    result = world.run("report", "incident.yaml", env={**at(12), "COLUMNS": "200"})
    assert "1 atteint(s) par un canal de secours (1 par voice)." in result.output


def test_a_landline_gets_a_call_not_an_sms_now_and_in_the_next_version(world: World) -> None:
    with_voice(world, "")
    world.twilio.mark_not_mobile(LANDLINE)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0  # the SMS failed, and the call reached her: everyone was reached
    assert doc["delivery"][0]["failed_by_reason"] == {}
    assert doc["delivery"][0]["reached_by_fallback"] == {"voice": 1}
    assert doc["follow_up"]["fallbacks"] == {"voice": 1}
    assert world.twilio.messages_to(LANDLINE) == []
    assert [c.to for c in world.twilio.calls()] == [LANDLINE]
    assert SPOKEN_HEADLINE in said(world, LANDLINE)[0]

    path = world.folder / "incident.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("status: investigating", "status: identified"),
        encoding="utf-8",
    )
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=at(30))
    assert (code, doc["action"]) == (0, "new")
    assert doc["delivery"][0]["suppressed"] == 1
    assert sms_posts_to(world, LANDLINE) == 1  # the first attempt only: never asked again
    assert len(world.twilio.calls_to(LANDLINE)) == 2  # the new version, by phone
    code, status = world.run_json("status", "incident.yaml", env=at(31))
    assert status["channels"]["sms"]["suppressed"] == 1


def test_an_opted_out_number_is_not_contacted_by_the_next_version(world: World) -> None:
    with_voice(world, "")
    opted_out, invalid = PHONES[1], PHONES[2]
    world.twilio.mark_unsubscribed(opted_out)
    world.twilio.mark_invalid(invalid)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert doc["delivery"][0]["failed_by_reason"] == {"21610": 1, "21211": 1}
    world.twilio.clear_number_errors()  # the peer would take them now: the ledger must refuse
    path = world.folder / "incident.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("status: investigating", "status: identified"),
        encoding="utf-8",
    )
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=at(30))
    assert (code, doc["action"], doc["sent"]) == (0, "new", len(PHONES) - 2)
    assert (doc["delivery"][0]["opted_out"], doc["delivery"][0]["suppressed"]) == (1, 1)
    assert (sms_posts_to(world, opted_out), sms_posts_to(world, invalid)) == (1, 1)
    assert world.twilio.messages_to(opted_out) == world.twilio.messages_to(invalid) == []
    assert world.twilio.calls() == []  # neither is a reason to call instead
    code, status = world.run_json("status", "incident.yaml", env=at(31))
    # One name for "never send this again" (issue 27): the invalid number and the opt-out are
    # both suppressed; the incident's recipients opted out now are counted apart.
    assert status["channels"]["sms"]["suppressed"] == 2
    assert status["opted_out"] == 1
    result = world.run("status", "incident.yaml", env={**at(31), "COLUMNS": "200"})
    assert "suppressed" in result.output


def test_an_unanswered_call_is_placed_again_after_retry_after_and_no_more(
    world: World,
) -> None:
    with_voice(
        world,
        "    recipients: contacts.csv\n    default_region: FR\n"
        "    retry_unanswered: 2\n    retry_after: 15m\n",
        sms_fallback=None,
    )
    world.twilio.set_call_outcome(LANDLINE, "no-answer")
    send = ("send", "incident.yaml", "--yes", "--channel", "voice")
    code, doc = world.run_json(*send)
    assert (code, doc["sent"]) == (0, len(PHONES))
    # 5 min later: the outcomes are read with the receipts; too early to call again.
    code, doc = world.run_json(*send, env=at(5))
    (voice,) = doc["receipts"]["channels"]
    assert (voice["asked"], voice["delivered"], voice["unanswered"]) == (4, 3, 1)
    assert doc["follow_up"] | {"problems": []} == {
        "looked_up": 0,
        "held_uncertain": 0,
        "called_again": 0,
        "fallbacks": {},
        "failed": 0,
        "problems": [],
    }
    assert len(world.twilio.calls_to(LANDLINE)) == 1
    calls = []
    for minutes in (16, 20, 32, 50, 70, 100):
        world.run_json(*send, env=at(minutes))
        calls.append(len(world.twilio.calls_to(LANDLINE)))
    # Again at 16 (15 min after the first), at 32 (15 after the second), then no more.
    assert calls == [2, 2, 3, 3, 3, 3]
    assert len(world.twilio.calls()) == len(PHONES) + 2
    code, status = world.run_json("status", "incident.yaml", env=at(101))
    assert status["channels"]["voice"]["delivered"] == 3
    assert status["channels"]["voice"]["unanswered"] == 1


def test_a_voice_preview_shows_the_spoken_text_and_its_length(world: World) -> None:
    with_voice(world, "")
    code, doc = world.run_json("preview", "incident.yaml", "--channel", "voice")
    assert code == 0
    (voice,) = doc["channels"]
    assert voice["text"].count(SPOKEN_HEADLINE) == 2
    assert "https://" not in voice["text"] and "11 heures 40" in voice["text"]
    assert voice["words_per_minute"] == 150
    assert voice["spoken_seconds"] == round(len(voice["text"].split()) * 60 / 150)
    assert voice["recipients"] is None
    result = world.run("preview", "incident.yaml", "--channel", "voice")
    assert f"spoken: about {voice['spoken_seconds']} s" in result.output
    # Above a minute: a warning, not an error.
    path = world.folder / "incident.yaml"
    text = path.read_text(encoding="utf-8")
    long_headline = "Coupure de courant" + " et de gaz" * 25 + "."  # fits a post, not a call
    path.write_text(
        text.replace(
            "headline: Coupure de courant à Lille et Roubaix depuis 8h10. Rétablissement prévu "
            "vers 14h.",
            f"headline: {long_headline}",
        ),
        encoding="utf-8",
    )
    code, doc = world.run_json("preview", "incident.yaml", "--channel", "voice")
    (voice,) = doc["channels"]
    assert voice["spoken_seconds"] > 60
    assert any("more than 60 s" in p["message"] for p in voice["problems"])


def test_a_fallback_naming_a_channel_that_cannot_stand_in_is_refused(world: World) -> None:
    with_voice(world, "", sms_fallback="twitter")
    result = world.run("send", "incident.yaml", "--yes")
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert "channels.yaml:9, channel sms, field fallback: 'twitter' is a twitter channel" in output
    assert "Traceback" not in output
    assert world.twilio.requests() == []


def test_the_call_text_is_escaped_for_xml() -> None:
    twiml = twiml_for('Eau & gaz <coupés> "ici"\n\nSecond', "fr")
    root = ET.fromstring(twiml)
    assert [s.text for s in root.iter("Say")] == ['Eau & gaz <coupés> "ici"', "Second"]
    assert [s.get("language") for s in root.iter("Say")] == ["fr-FR", "fr-FR"]
    assert json.dumps(twiml)  # one string, no control characters


def test_a_landline_falls_back_to_an_email_to_the_same_row(world: World) -> None:
    """``fallback: email`` to a channel with no recipients: the failing row's own email."""
    path = world.folder / "channels.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    default_region: FR\n", "    default_region: FR\n    fallback: mail\n")
    mail = text.split("  email:\n", 1)[1].split("  twitter:\n", 1)[0]
    mail = mail.replace("    recipients: contacts.csv\n", "")
    path.write_text(text.replace("  twitter:\n", "  mail:\n" + mail + "  twitter:\n"), "utf-8")
    camille, sophie = PHONES[0], LANDLINE  # Sophie's row has no email
    world.twilio.mark_not_mobile(camille, sophie)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert (code, doc["follow_up"]["fallbacks"]) == (1, {"mail": 1})
    (message,) = world.smtp.received
    assert message.recipients == ("camille.martin@example.com",)
    body = message.message.get_body(("plain",))
    assert body is not None and "Coupure de courant à Lille et Roubaix" in body.get_content()
    assert world.twilio.calls() == []


def test_spoken_times_in_english_and_french(world: World) -> None:
    from broadcast.content.render import Renderer
    from broadcast.input.incident import load_incident

    incident, _ = load_incident(world.folder / "incident.yaml", {"timezone": "Europe/Paris"})
    fr = Renderer(incident, NOW, "Énergie Nord", locale="fr")
    noon = NOW.replace(hour=11, minute=0)  # 12:00 in Paris
    assert fr.text_env.filters["spoken_time"](noon) == "midi"
    us = Renderer(incident, NOW, "Énergie Nord", locale="en_US")
    assert us.text_env.filters["spoken_time"](noon + timedelta(minutes=30)) == "12:30 pm"
    assert us.text_env.filters["spoken_time"](noon) == "noon"
    # en_GB (a bare "en" channel's default) says times on the clock its messages write them in,
    # never "am" beside "14:00".
    gb = Renderer(incident, NOW, "Énergie Nord", locale="en_GB")
    assert gb.text_env.filters["spoken_time"](noon + timedelta(hours=2, minutes=30)) == "14:30"
    assert gb.text_env.filters["spoken_time"](noon + timedelta(days=1)) == "tomorrow at 12:00"
    assert fr.text_env.filters["spoken_time"](noon + timedelta(days=1, hours=2)) == (
        "demain à 14 heures"
    )
    assert fr.text_env.filters["spoken"]("Retour vers 14h, voir https://x.example/a.") == (
        "Retour vers 14 heures, voir"
    )
