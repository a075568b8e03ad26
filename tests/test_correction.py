"""Corrections end to end: the real CLI, the local Twilio, X and SMTP peers.

``status: cancelled`` with a ``correction:`` reaches everyone who received an earlier version,
on the channels they got it on, even after they left the recipients file; on X it replies in
the incident's thread; the banner and the status page are replaced; approval applies as for
any version; the report shows the time from the wrong message to the correction.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import at, write
from tests.world import CONTACTS, EMAILS, PHONES, World

CORRECTION = (
    "correction: >\n"
    "  Il n'y a pas de coupure à Lille : notre message de 9h40 était une erreur.\n"
    "  Vous n'avez rien à faire.\n"
)


def cancel(world: World) -> None:
    path = world.folder / "incident.yaml"
    text = path.read_text(encoding="utf-8")
    assert "status: investigating" in text
    text = text.replace("status: investigating", "status: cancelled").replace(
        "translations:\n  en:\n",
        "translations:\n  en:\n    correction: There is no power cut in Lille. Nothing to do.\n",
    )
    path.write_text(text + CORRECTION, encoding="utf-8")


def test_a_correction_reaches_every_earlier_recipient_even_one_removed_since(
    world: World,
) -> None:
    assert world.run_json("send", "incident.yaml", "--yes")[0] == 0
    first_post = world.x.posts()[0]
    # Camille leaves the recipients file; Nadia joins it after the wrong message.
    contacts = CONTACTS.replace("Camille Martin,06 12 34 56 78,camille.martin@example.com,fr\n", "")
    write(world.folder / "contacts.csv", contacts + "Nadia,06 12 34 56 99,nadia@example.com,fr\n")
    cancel(world)
    code, doc = world.run_json("send", "incident.yaml", "--yes", env=at(20))
    assert (code, doc["action"]) == (0, "new"), doc
    corrections = world.twilio.messages()[len(PHONES) :]
    assert sorted(m.to for m in corrections) == sorted(PHONES)  # Camille's number included
    # Said without capitals (the capitals check forbids them), with an apology.
    assert all("Rectificatif" in m.body or "correction" in m.body for m in corrections)
    assert all("excuses" in m.body or "apologise" in m.body for m in corrections)
    assert any("erreur" in m.body for m in corrections)
    assert not world.twilio.messages_to("+33612345699")  # Nadia never got the wrong message
    emails = world.smtp.received[len(EMAILS) :]
    assert sorted(r for m in emails for r in m.recipients) == sorted(EMAILS)
    subjects = {str(m.message["Subject"]) for m in emails}
    assert any(s.startswith("[Rectificatif]") for s in subjects), subjects
    # X: a reply in the incident's thread.
    reply = world.x.posts()[-1]
    assert reply.in_reply_to == first_post.id
    assert reply.text.startswith("Annulé à 10h. Rectificatif à notre message précédent.")
    # The banner and the status page now carry the correction.
    status = world.folder / "public" / "status"
    assert "Rectificatif" in (status / "banner.json").read_text(encoding="utf-8")
    page = (status / f"{doc['incident']['id']}.html").read_text(encoding="utf-8")
    assert "Rectificatif" in page and "Vous n&#39;avez rien à faire" in page.replace(
        "&#x27;", "&#39;"
    )


def test_the_ledger_alone_reveals_nobody_though_it_can_reach_them_again(world: World) -> None:
    assert world.run_json("send", "incident.yaml", "--yes")[0] == 0
    files = b"".join(p.read_bytes() for p in (world.folder / ".broadcast").iterdir() if p.is_file())
    for address in [*PHONES, *EMAILS]:
        assert address.encode() not in files
    assert b"Camille" not in files


def test_the_report_shows_the_time_from_the_wrong_message_to_the_correction(
    world: World,
) -> None:
    assert world.run_json("send", "incident.yaml", "--yes")[0] == 0
    cancel(world)
    assert world.run_json("send", "incident.yaml", "--yes", env=at(38))[0] == 0
    code, data = world.run_json("report", "incident.yaml")
    assert code == 0
    correction = data["correction"]
    assert correction["version"] == 2
    assert correction["reached"] == len(PHONES) + len(EMAILS) + 2  # SMS, email, X, banner
    # Sent 38 minutes apart on the pinned clock (the run's clock moves on with real time).
    assert 37 * 60 <= correction["to_first_seconds"] <= 39 * 60
    assert correction["to_last_seconds"] >= correction["to_first_seconds"]
    result = world.run("report", "incident.yaml", "--format", "md")
    summary = " ".join(result.output.split())
    assert re.search(
        r"Rectificatif \(n°2\) : il a commencé à atteindre les destinataires 3[78] min", summary
    ), summary
    # A cancelled incident promises nothing more: no reminder afterwards.
    code, later = world.run_json("send", "incident.yaml", "--yes", env=at(600))
    assert (code, later["action"]) == (0, "nothing")


@pytest.mark.slow
def test_a_correction_needs_approval_like_any_version(world: World) -> None:
    path = world.folder / "channels.yaml"
    path.write_text(path.read_text() + "approval: {required: true}\n", encoding="utf-8")
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    assert world.run_json("send", "incident.yaml", "--yes", "--as", "alice")[0] == 0
    cancel(world)
    result = world.run("send", "incident.yaml", "--yes", "--as", "alice", env=at(10))
    assert result.exit_code == 2 and "waiting for approval" in result.output
    assert len(world.twilio.messages()) == len(PHONES)
    approved = world.run("approve", "incident.yaml", "--yes", "--as", "bob", env=at(11))
    assert approved.exit_code == 0
    assert "Rectificatif" in approved.output  # the approver saw the correction's texts
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "alice", env=at(12))
    assert (code, doc["action"]) == (0, "new")
    assert len(world.twilio.messages()) == 2 * len(PHONES)


def test_a_cancelled_incident_needs_its_correction_and_ships_english_templates(
    world: World,
) -> None:
    path = world.folder / "incident.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("status: investigating", "status: cancelled"), encoding="utf-8")
    result = world.run("validate", "incident.yaml")
    assert result.exit_code == 2
    assert "correction" in result.output
    path.write_text(text, encoding="utf-8")
    # A correction corrects a message that went out (a first one is refused: nothing to correct).
    assert world.run_json("send", "incident.yaml", "--yes")[0] == 0
    cancel(world)
    code, doc = world.run_json("preview", "incident.yaml", "--channel", "email", env=at(10))
    assert code == 0, doc
    (email,) = doc["channels"]
    english = email["variants"]["en"] if "variants" in email else email
    assert english["subject"].startswith("[Correction]")
    assert "There is no power cut in Lille. Nothing to do." in english["text"]


def test_those_a_fallback_call_reached_get_the_correction_by_phone(world: World) -> None:
    from tests.test_voice_fallback import LANDLINE, with_voice
    from tests.test_voice_fallback import said as spoken

    with_voice(world, "")
    world.twilio.mark_not_mobile(LANDLINE)
    # The landline is reached by the fallback call: everyone reached, exit 0.
    assert world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")[0] == 0
    assert len(world.twilio.calls_to(LANDLINE)) == 1  # reached only by the fallback call
    cancel(world)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=at(20))
    assert (code, doc["action"]) == (0, "new"), doc
    calls = spoken(world, LANDLINE)
    assert len(calls) == 2 and "rectificatif" in calls[1]
    corrections = [
        m for m in world.twilio.messages() if "Rectificatif" in m.body or "correction" in m.body
    ]
    assert sorted(m.to for m in corrections) == sorted(p for p in PHONES if p != LANDLINE)
