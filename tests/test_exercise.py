"""Exercises end to end: the real CLI, the local Twilio, X and SMTP peers.

A drill reaches only each channel's exercise list, every text starts with the marker, public
channels stay out unless pointed elsewhere, and it is kept apart in the ledger: a later real
send is a new version, and the report says it evaluated a drill.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import at, write
from tests.world import PHONES, World

DRILL = """\
name,phone,email,locale
Cellule de crise,06 99 00 00 01,cellule@example.net,fr
Duty officer,+44 7400 999999,duty@example.net,en
"""
DRILL_PHONES = ["+33699000001", "+447400999999"]
DRILL_EMAILS = ["cellule@example.net", "duty@example.net"]
DASH = "\u2013"


def with_drill_list(world: World) -> World:
    """``world`` with ``drill.csv`` (other people) as the exercise list of SMS and email."""
    write(world.folder / "drill.csv", DRILL)
    path = world.folder / "channels.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "    recipients: contacts.csv\n",
        "    recipients: contacts.csv\n    exercise_recipients: drill.csv\n",
    )
    path.write_text(text, encoding="utf-8")
    return world


@pytest.fixture
def drill(world: World) -> World:
    """The world with an exercise list on SMS and email, and the banner pointed elsewhere."""
    with_drill_list(world)
    path = world.folder / "channels.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "    output_dir: public/status\n",
        "    output_dir: public/status\n    exercise: {output_dir: drill/status}\n",
    )
    path.write_text(text, encoding="utf-8")
    return world


def said(result) -> str:
    return " ".join(result.output.split())


def test_an_exercise_reaches_only_the_exercise_list_with_the_marker_everywhere(
    drill: World,
) -> None:
    code, doc = drill.run_json("send", "incident.yaml", "--yes", "--exercise")
    assert (code, doc["action"]) == (0, "new"), json.dumps(doc)[:1500]
    assert doc["incident"]["id"] == "panne-nord-2026-11-22--exercise"
    # Only the exercise list; the real contacts get nothing.
    assert sorted(m.to for m in drill.twilio.messages()) == sorted(DRILL_PHONES)
    assert sorted(r for m in drill.smtp.received for r in m.recipients) == sorted(DRILL_EMAILS)
    # Every text starts with the marker, in the reader's language (an SMS carries a hyphen:
    # the en dash is not in GSM-7).
    bodies = {m.to: m.body for m in drill.twilio.messages()}
    assert bodies["+33699000001"].startswith("EXERCICE - ")
    assert bodies["+447400999999"].startswith("EXERCISE - ")
    for received in drill.smtp.received:
        subject = str(received.message["Subject"])
        assert subject.startswith(("EXERCICE " + DASH, "EXERCISE " + DASH)), subject
        text = received.message.get_body(("plain",)).get_content()
        html = received.message.get_body(("html",)).get_content()
        assert text.startswith(("EXERCICE " + DASH, "EXERCISE " + DASH))
        assert "EXERCICE " + DASH in html or "EXERCISE " + DASH in html
    # X has no exercise account: skipped, nothing posted. The banner went to the drill folder.
    assert drill.x.posts() == []
    assert {s["channel"] for s in doc["skipped_channels"]} == {"twitter"}
    banner = json.loads((drill.folder / "drill" / "status" / "banner.json").read_text())
    assert "EXERCICE" in json.dumps(banner, ensure_ascii=False)
    assert not (drill.folder / "public" / "status" / "banner.json").exists()
    page = (drill.folder / "drill" / "status" / f"{doc['incident']['id']}.html").read_text()
    assert "EXERCICE " + DASH in page


def test_the_preview_says_which_channels_sit_the_exercise_out(drill: World) -> None:
    result = drill.run("preview", "incident.yaml", "--exercise")
    assert result.exit_code == 0, result.output
    assert "twitter: skips this version: not in this exercise: a public channel" in said(result)
    assert "EXERCICE" in result.output
    # Without an exercise list, a channel with recipients sits it out too.
    path = drill.folder / "channels.yaml"
    path.write_text(
        path.read_text().replace("    exercise_recipients: drill.csv\n", "", 1), encoding="utf-8"
    )
    code, doc = drill.run_json("preview", "incident.yaml", "--exercise")
    assert code == 0
    skipped = {s["channel"]: s["reason"] for s in doc["skipped_channels"]}
    assert "exercise_recipients" in skipped["sms"]
    assert [c["channel"] for c in doc["channels"]] == ["email", "banner"]


def test_a_public_channel_with_an_exercise_block_takes_part_marked(drill: World) -> None:
    path = drill.folder / "channels.yaml"
    path.write_text(
        path.read_text().replace(
            "    type: twitter\n",
            '    type: twitter\n    exercise: {access_token: "${X_DRILL_ACCESS_TOKEN}"}\n',
        ),
        encoding="utf-8",
    )
    code, doc = drill.run_json("preview", "incident.yaml", "--exercise")
    assert code == 0
    twitter = next(c for c in doc["channels"] if c["channel"] == "twitter")
    assert twitter["text"].startswith("EXERCICE " + DASH)
    assert not doc["skipped_channels"]


def test_the_call_says_it_first(drill: World) -> None:
    path = drill.folder / "channels.yaml"
    path.write_text(
        path.read_text()
        + """\
  voice:
    type: voice
    from: "+15005550006"
    recipients: contacts.csv
    exercise_recipients: drill.csv
    default_region: FR
    account_sid: "${TWILIO_ACCOUNT_SID}"
    auth_token: "${TWILIO_AUTH_TOKEN}"
""",
        encoding="utf-8",
    )
    code, doc = drill.run_json("preview", "incident.yaml", "--exercise", "--channel", "voice")
    assert code == 0, doc
    (voice,) = doc["channels"]
    assert voice["text"].startswith("EXERCICE " + DASH)
    assert voice["recipients"] == 2


def test_an_exercise_lives_apart_and_a_later_real_send_is_a_new_version(drill: World) -> None:
    # The file itself may say it is a drill.
    incident = drill.folder / "incident.yaml"
    real = incident.read_text(encoding="utf-8")
    incident.write_text(real + "exercise: true\n", encoding="utf-8")
    assert drill.run_json("send", "incident.yaml", "--yes")[0] == 0
    drilled = len(drill.twilio.messages())
    assert drilled == len(DRILL_PHONES)
    # The same words, for real: a new version, to the real contacts, without the marker.
    incident.write_text(real, encoding="utf-8")
    code, doc = drill.run_json("send", "incident.yaml", "--yes", env=at(5))
    assert (code, doc["action"]) == (0, "new")
    real_messages = drill.twilio.messages()[drilled:]
    assert sorted(m.to for m in real_messages) == sorted(PHONES)
    assert not any("EXERCI" in m.body for m in real_messages)
    assert len(drill.x.posts()) == 1
    # The real incident's status knows one version; the drill's is apart.
    code, status = drill.run_json("status", "incident.yaml")
    assert (len(status["versions"]), status["exercise"]) == (1, False)
    code, drilled_status = drill.run_json("status", "incident.yaml", "--exercise")
    assert (len(drilled_status["versions"]), drilled_status["exercise"]) == (1, True)
    # A second drill run with nothing new sends nothing: the drill has its own history.
    code, again = drill.run_json("send", "incident.yaml", "--yes", "--exercise", env=at(6))
    assert (code, again["action"]) == (0, "nothing")


def test_the_report_on_an_exercise_evaluates_the_drill_and_says_so(drill: World) -> None:
    assert drill.run_json("send", "incident.yaml", "--yes", "--exercise")[0] == 0
    result = drill.run("report", "incident.yaml", "--exercise", "--format", "md")
    assert result.exit_code == 0, result.output
    assert "Ceci était un EXERCICE" in result.output
    assert "Premier message" in result.output
    code, data = drill.run_json("report", "incident.yaml", "--exercise")
    assert code == 0
    assert data["exercise"] is True
    assert data["speed"]["first_message"] is not None
    real = drill.run("report", "incident.yaml", "--format", "md")
    assert "EXERCICE" not in real.output
    assert "Rien n'a encore été envoyé" in real.output
