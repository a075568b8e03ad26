"""Per-channel rules through real sends: ``send_on`` (which versions a channel carries) and
``min_severity``; preview, the dry run, the summary and ``--json`` say who skips and why."""

from __future__ import annotations

from tests.conftest import at
from tests.world import PHONES, World


def edit(world: World, path: str, old: str, new: str) -> None:
    file = world.folder / path
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def skipped(doc: dict) -> dict[str, str]:
    return {s["channel"]: s["reason"] for s in doc["skipped_channels"]}


def test_sms_only_when_the_incident_opens_and_closes(world: World) -> None:
    edit(
        world,
        "channels.yaml",
        "    rate: unlimited\n",
        "    rate: unlimited\n    send_on: [new, resolved, cancelled]\n",
    )
    code, first = world.run_json("send", "incident.yaml", "--yes")
    assert (code, first["action"], skipped(first)) == (0, "new", {})
    assert len(world.twilio.messages()) == len(PHONES)

    edit(world, "incident.yaml", "status: investigating", "status: identified")
    code, dry = world.run_json("send", "incident.yaml", "--dry-run", env=at(30))
    assert skipped(dry) == {"sms": "this version is update; send_on is new, resolved, cancelled"}
    assert [c["channel"] for c in dry["channels"]] == ["email", "twitter", "banner"]
    preview = world.run("preview", "incident.yaml", env=at(30))
    assert "sms: skips this version: this version is update; send_on is new, resolved" in (
        preview.output.replace("\n", " ")
    )
    code, update = world.run_json("send", "incident.yaml", "--yes", env=at(30))
    assert (code, update["action"]) == (0, "new")
    assert "sms" in skipped(update)
    assert "sms" not in [d["channel"] for d in update["delivery"]]
    assert len(world.twilio.messages()) == len(PHONES)  # nobody texted about the update
    assert len(world.x.posts()) == 2

    # The skipped channel is not "missing" from the version: a re-run has nothing to do.
    code, again = world.run_json("send", "incident.yaml", "--yes", env=at(31))
    assert (code, again["action"]) == (0, "nothing")

    edit(world, "incident.yaml", "status: identified", "status: resolved")
    # Resolved says so in a new headline (an unchanged one is refused).
    edit(world, "incident.yaml", "Rétablissement prévu vers 14h.", "Le courant est revenu partout.")
    edit(world, "incident.yaml", "We are restoring it; back around 14:00.", "Power is back.")
    result = world.run("send", "incident.yaml", "--yes", env=at(90))
    assert result.exit_code == 0, result.output
    assert "skips this version" not in result.output
    assert len(world.twilio.messages()) == 2 * len(PHONES)
    assert world.twilio.messages()[-1].body != world.twilio.messages()[0].body


def test_min_severity_keeps_a_minor_incident_off_sms_and_says_so(world: World) -> None:
    edit(
        world,
        "channels.yaml",
        "    rate: unlimited\n",
        "    rate: unlimited\n    min_severity: major\n",
    )
    edit(world, "incident.yaml", "severity: major", "severity: minor")
    result = world.run("send", "incident.yaml", "--yes")
    assert result.exit_code == 0, result.output
    assert "sms: skips this version: the incident is minor; min_severity is major." in (
        result.output
    )
    assert world.twilio.messages() == []
    assert world.smtp.received  # the other channels carried it
    # Raised to major: a new version, and the SMS goes out as an update.
    edit(world, "incident.yaml", "severity: minor", "severity: major")
    code, doc = world.run_json("send", "incident.yaml", "--yes", env=at(20))
    assert (code, skipped(doc)) == (0, {})
    assert len(world.twilio.messages()) == len(PHONES)


def test_reminders_only_where_send_on_has_them(world: World) -> None:
    edit(
        world,
        "channels.yaml",
        "    type: email\n",
        "    type: email\n    send_on: [new, update, resolved]\n",
    )
    assert world.run_json("send", "incident.yaml", "--yes")[0] == 0
    mails = len(world.smtp.received)
    code, reminder = world.run_json("send", "incident.yaml", "--yes", env=at(121))
    assert (code, reminder["action"]) == (0, "reminder")
    assert skipped(reminder) == {
        "email": "this version is reminder; send_on is new, update, resolved"
    }
    assert len(world.smtp.received) == mails
    assert len(world.twilio.messages()) == 2 * len(PHONES)


def test_a_send_on_that_names_no_moment_is_refused_with_its_line(world: World) -> None:
    edit(
        world,
        "channels.yaml",
        "    rate: unlimited\n",
        "    rate: unlimited\n    send_on: [new, closed]\n",
    )
    result = world.run("send", "incident.yaml", "--dry-run")
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "channels.yaml:10, channel sms, field send_on[1]: 'closed' is not allowed" in said
    assert "'new', 'update', 'reminder', 'resolved' or 'cancelled'" in said
    assert world.twilio.messages() == []
