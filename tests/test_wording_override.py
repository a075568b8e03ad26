"""A wording error stops ``broadcast send`` (exit 2, nothing at any peer), said with the check,
the file, the line and how to override it; ``--accept-wording "reason"`` lets it out, and the
ledger keeps the reason, who, when and the findings, shown by ``status``. An empty reason is
refused. Real CLI processes against the local peers, on both ledger engines.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import NOW
from tests.world import World, broadcast, edit

pytestmark = pytest.mark.both_engines

REASON = "The prefecture's own words, checked by the duty manager"


def resolved_with_the_old_headline(world: World) -> int:
    """The first version sent, then the file moved to resolved with its headline left word for
    word (the ``unchanged`` check: an error). The headline's line in the file."""
    code, _, err = broadcast(world, "send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0, err
    edit(world, "status: investigating", "status: resolved")
    lines = (world.folder / "incident.yaml").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if line.startswith("headline:"))


def test_a_wording_error_blocks_the_send_and_a_reason_lets_it_out(world: World) -> None:
    line = resolved_with_the_old_headline(world)
    first = len(world.twilio.messages())
    assert first == 4

    # Blocked: exit 2, nothing more at the peer; the check, the file, the line, the way out.
    code, out, err = broadcast(world, "send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 2, err
    said = " ".join((out + err).split())
    assert f"incident.yaml:{line}" in said
    assert "unchanged" in said and "--accept-wording" in said
    assert "mot pour mot" in said  # in the file's language (French)
    assert len(world.twilio.messages()) == first

    code, out, _ = broadcast(world, "send", "incident.yaml", "--yes", "--json", "--channel", "sms")
    assert code == 2
    document = json.loads(out)
    # The headline, and its English translation, left as sent.
    found = [p for p in document["problems"] if p["check"] == "unchanged"]
    assert [p["field"] for p in found] == ["headline", "translations.en.headline"]
    finding = found[0]
    assert (finding["severity"], finding["line"]) == ("error", line)
    assert finding["file"].endswith("incident.yaml")
    assert document["accepted_wording"] is None
    assert len(world.twilio.messages()) == first

    # An override without a reason is refused, and sends nothing.
    for empty in ("", "   "):
        code, _, err = broadcast(
            world, "send", "incident.yaml", "--yes", "--channel", "sms", "--accept-wording", empty
        )
        assert code == 2
        assert "--accept-wording needs a reason" in " ".join(err.split())
        assert len(world.twilio.messages()) == first

    # With a reason, it goes; the reason is said in the result and kept in the ledger.
    code, out, err = broadcast(
        world,
        "send",
        "incident.yaml",
        "--yes",
        "--json",
        "--channel",
        "sms",
        "--accept-wording",
        REASON,
        "--as",
        "Ana Duty",
    )
    assert code == 0, err
    document = json.loads(out)
    assert document["accepted_wording"]["reason"] == REASON
    assert {f["check"] for f in document["accepted_wording"]["findings"]} == {"unchanged"}
    assert len(world.twilio.messages()) == first + 4

    code, out, _ = broadcast(world, "status", "incident.yaml", "--json")
    assert code == 0
    versions = json.loads(out)["versions"]
    assert versions[0]["wording_accepted"] == []
    (accepted,) = versions[-1]["wording_accepted"]
    assert (accepted["reason"], accepted["accepted_by"]) == (REASON, "Ana Duty")
    assert accepted["accepted_at"].startswith(NOW.date().isoformat())
    assert [(f["check"], f["field"]) for f in accepted["findings"]] == [
        ("unchanged", "headline"),
        ("unchanged", "translations.en.headline"),
    ]

    code, out, _ = broadcast(world, "status", "incident.yaml")
    said = " ".join(out.split())
    assert "sent despite the wording errors unchanged (2), accepted by Ana Duty" in said
    assert REASON in said

    # The post-incident report says it, in the incident's language.
    code, out, err = broadcast(world, "report", "incident.yaml", "--format", "md")
    assert code == 0, err
    said = " ".join(out.split())
    assert (
        "n°2 est parti malgré des erreurs de rédaction (unchanged), acceptées par Ana Duty" in said
    )
    assert REASON in said


def test_a_dry_run_says_what_the_reason_would_let_out(world: World) -> None:
    resolved_with_the_old_headline(world)
    code, out, _ = broadcast(world, "send", "incident.yaml", "--dry-run", "--json")
    assert code == 2 and not json.loads(out)["ok"]
    code, out, _ = broadcast(
        world, "send", "incident.yaml", "--dry-run", "--json", "--accept-wording", REASON
    )
    assert code == 0, out
    assert json.loads(out)["accepted_wording"]["reason"] == REASON
    assert len(world.twilio.messages()) == 4  # the first version only: a dry run sends nothing


@pytest.mark.slow
def test_the_confirmation_shows_the_warnings_and_the_errors_answered_for(world: World) -> None:
    from tests.test_send import terminal_send

    # A warning (exclamation marks) is said under the question, and sends nothing unasked.
    edit(world, "Rétablissement prévu vers 14h.", "Rétablissement prévu vers 14h !")
    code, screen = terminal_send(world, b"n\n", "--channel", "sms", columns="300")
    said = " ".join(screen.split())
    assert code == 0 and "Send now? [y/N]" in said
    assert "To send with" in said and "retirez les points d'exclamation" in said
    assert world.twilio.requests() == []

    # An error answered for: said with the reason before the question.
    edit(world, "Rétablissement prévu vers 14h !", "Rétablissement prévu vers 14h.")
    resolved_with_the_old_headline(world)
    sent = len(world.twilio.messages())
    code, screen = terminal_send(
        world, b"n\n", "--channel", "sms", "--accept-wording", REASON, columns="300"
    )
    said = " ".join(screen.split())
    assert code == 0
    assert f'To send despite 2 wording errors, for the reason "{REASON}"' in said
    assert "mot pour mot" in said
    assert len(world.twilio.messages()) == sent


def test_cron_keeps_the_promise_of_a_version_sent_despite_a_wording_error(world: World) -> None:
    """The reason given for these words covers the reminders cron sends at night (nobody is
    there to give it again); a new version of the file is judged afresh."""
    source = Path(__file__).parent / "bad_incidents" / "complete-action-fr-gaz.yaml"
    text = source.read_text(encoding="utf-8")
    text = text.replace(
        'started_at: "2026-11-22T09:00:00+01:00"', 'started_at: "2026-11-22T09:20:00+01:00"'
    )
    text = text.replace('next_update: "11:00"', "next_update: 1h")
    text = text.replace("prochain point à 11h", "prochain point dans l'heure")
    (world.folder / "cron").mkdir()
    incident = world.folder / "cron" / "gaz.yaml"
    incident.write_text(text, encoding="utf-8")

    code, out, err = broadcast(
        world, "send", "cron/gaz.yaml", "--yes", "--json", "--channel", "sms"
    )
    assert code == 2, err
    assert any(p["check"] == "complete_action" for p in json.loads(out)["problems"])
    assert world.twilio.requests() == []
    code, _, err = broadcast(world, "send", "cron/gaz.yaml", "--yes", "--accept-wording", REASON)
    assert code == 0, err
    first = len(world.twilio.messages())
    assert first == 4

    # An hour and five minutes later, cron's tick keeps the promise under that reason.
    later = (NOW + timedelta(minutes=65)).isoformat()
    code, out, err = broadcast(world, "tick", "cron", "--yes", "--json", now=later)
    assert code == 0, out + err
    (ticked,) = json.loads(out)["incidents"]
    assert ticked["action"] == "reminder"
    assert ticked["accepted_wording"]["reason"] == REASON
    assert len(world.twilio.messages()) == first + 4

    # The file edited (a new version): judged afresh, refused until fixed or answered for.
    incident.write_text(text.replace("Le gaz est coupé", "Le gaz reste coupé"), encoding="utf-8")
    later = (NOW + timedelta(minutes=70)).isoformat()
    code, out, _ = broadcast(world, "tick", "cron", "--yes", "--json", now=later)
    assert code == 2
    assert len(world.twilio.messages()) == first + 4


@pytest.mark.slow
def test_under_approval_the_approver_sees_the_wording_error_and_the_sender_answers_for_it(
    world: World,
) -> None:
    """An approval is not an override: the approver sees the error and approves the texts;
    the send still stops until the sender fixes it or gives a reason, recorded."""
    path = world.folder / "channels.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "approval: {required: true}\n", "utf-8")
    source = Path(__file__).parent / "bad_incidents" / "complete-action-fr-gaz.yaml"
    text = source.read_text(encoding="utf-8").replace('next_update: "11:00"', "next_update: 1h")
    text = text.replace("prochain point à 11h", "prochain point dans l'heure")
    (world.folder / "incident.yaml").write_text(text, encoding="utf-8")

    code, out, err = broadcast(world, "approve", "incident.yaml", "--yes", "--as", "bob")
    said = " ".join((out + err).split())
    assert code == 0, said
    # The approver sees the error, in the file's language, before approving.
    assert "aucun texte ne dit aux gens quoi faire" in said
    assert "Approved by bob" in said

    code, out, _ = broadcast(world, "send", "incident.yaml", "--yes", "--json", "--as", "alice")
    assert code == 2
    assert any(p["check"] == "complete_action" for p in json.loads(out)["problems"])
    assert world.twilio.requests() == []

    code, out, err = broadcast(
        world,
        "send",
        "incident.yaml",
        "--yes",
        "--json",
        "--as",
        "alice",
        "--accept-wording",
        REASON,
    )
    assert code == 0, err
    document = json.loads(out)
    assert document["action"] == "new" and document["accepted_wording"]["reason"] == REASON
    assert len(world.twilio.messages()) == 4
    code, out, _ = broadcast(world, "status", "incident.yaml", "--json")
    (version,) = json.loads(out)["versions"]
    assert version["approved_by"] == "bob"
    assert version["wording_accepted"][0]["accepted_by"] == "alice"
