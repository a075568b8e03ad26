"""One id, one incident: a copied file that kept the id, or an old id reused, is refused.

``tick`` refuses a folder where two files share an id (and sends the others); ``send``
refuses a file whose id the ledger knows from another file, or that reopens an incident
resolved more than a day ago, unless ``--continue-incident`` says it really continues it.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from tests.conftest import NOW
from tests.world import PHONES, World


def at(hours: float) -> dict[str, str]:
    return {"BROADCAST_NOW": (NOW + timedelta(hours=hours)).isoformat()}


def test_tick_refuses_two_files_with_one_id_and_sends_the_others(world: World) -> None:
    incidents = world.folder / "incidents"
    incidents.mkdir()
    shutil.move(world.folder / "incident.yaml", incidents / "nord.yaml")
    copy = (
        (incidents / "nord.yaml").read_text().replace("status: investigating", "status: identified")
    )
    (incidents / "nord-copie.yaml").write_text(copy)
    storm = (Path(__file__).parent.parent / "examples" / "storm-en.yaml").read_text()
    (incidents / "storm.yaml").write_text(
        storm.replace("started_at: 2026-12-05", "started_at: 2026-11-21")
    )
    for tick in range(2):
        result = world.run("tick", "incidents", "--yes", env=at(tick))
        assert result.exit_code == 2
        words = " ".join(result.output.split())
        assert "nord-copie.yaml" in words and "nord.yaml" in words
        assert "same id panne-nord-2026-11-22" in words
    # Only the storm went out, once: nothing of the two clashing files.
    bodies = [m.body for m in world.twilio.messages()]
    assert bodies and not [b for b in bodies if "Lille" in b]
    assert len(bodies) == len({m.to for m in world.twilio.messages()})


def test_a_copied_file_that_kept_the_id_is_refused_unless_it_continues_the_incident(
    world: World,
) -> None:
    assert world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")[0] == 0
    text = (world.folder / "incident.yaml").read_text()
    (world.folder / "nouvel-incident.yaml").write_text(
        text.replace("status: investigating", "status: identified")
    )
    result = world.run("send", "nouvel-incident.yaml", "--yes", "--channel", "sms", env=at(1))
    assert result.exit_code == 2
    words = " ".join(result.output.split())
    assert "nouvel-incident.yaml:8" in words and "field id" in words
    assert "first sent at 2026-11-22 09:40 CET from" in words  # the incident's zone, as status
    assert str((world.folder / "incident.yaml").resolve()) in words.replace(" ", "")
    assert "--continue-incident" in words and "Traceback" not in words
    assert len(world.twilio.messages()) == len(PHONES)
    code, doc = world.run_json(
        "send",
        "nouvel-incident.yaml",
        "--yes",
        "--channel",
        "sms",
        "--continue-incident",
        env=at(1),
    )
    assert (code, doc["action"]) == (0, "new")
    assert len(world.twilio.messages()) == 2 * len(PHONES)
    # From now on the incident speaks through the new file; the old copy is the stranger.
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=at(2))
    assert code == 2 and "nouvel-incident.yaml" in doc["problems"][0]["message"]


def test_an_incident_resolved_long_ago_is_not_reopened_silently(world: World) -> None:
    path = world.folder / "incident.yaml"
    text = path.read_text()
    path.write_text(text.replace("status: investigating", "status: resolved"))
    assert world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")[0] == 0
    # A correction of the resolved message is fine.
    path.write_text(
        text.replace("status: investigating", "status: resolved")
        .replace("8h10", "8h15")
        .replace("08:10", "08:15")  # in both languages, or they disagree (#25)
    )
    assert (
        world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=at(30))[1][
            "action"
        ]
        == "new"
    )
    # Months later the same file, the same id, a new outage: refused, nothing sent.
    path.write_text(text.replace("8h10", "7h00").replace("08:10", "07:00"))
    sent = len(world.twilio.messages())
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--channel", "sms", env=at(24 * 90)
    )
    assert code == 2
    (problem,) = doc["problems"]
    status_line = 1 + text.splitlines().index("status: investigating")
    assert problem["field"] == "status" and problem["line"] == status_line
    assert "was resolved on 2026-11-23" in problem["message"]
    assert len(world.twilio.messages()) == sent
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--channel", "sms", "--continue-incident", env=at(24 * 90)
    )
    assert (code, doc["action"]) == (0, "new")


def test_reopening_within_a_day_of_the_resolution_needs_no_flag(world: World) -> None:
    path = world.folder / "incident.yaml"
    text = path.read_text()
    path.write_text(text.replace("status: investigating", "status: resolved"))
    assert world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")[0] == 0
    path.write_text(text)  # the power went off again an hour later
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=at(1))
    assert (code, doc["action"]) == (0, "new")
