"""A lost ledger, a lost or wrong key: refused with what was found, never a silent resend.

The real CLI against the local peers; what counts is what the peers received.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from broadcast.ledger.key import new_key_text
from tests.world import PHONES, World


def run(world: World, *args: str, env: dict[str, str] | None = None):
    """The CLI with wide lines: a path is never cut where 80 columns would cut it."""
    return world.run(*args, env={"COLUMNS": "400", **(env or {})})


def phones_reached(world: World) -> Counter[str]:
    return Counter(m.to for m in world.twilio.messages())


def paragraph(output: str) -> str:
    assert "Traceback" not in output, output
    return " ".join(output.split())


def test_a_deleted_ledger_is_refused_naming_the_traces_then_sent_again_only_if_asked(
    world: World,
) -> None:
    # A first run that failed its checks leaves a lock and a ledger but sent nothing: the
    # next run is not mistaken for one after a lost ledger.
    result = run(
        world, "send", "incident.yaml", "--yes", "--channel", "sms", env={"TWILIO_AUTH_TOKEN": ""}
    )
    assert result.exit_code == 2 and (world.folder / ".broadcast" / "locks").is_dir()
    assert run(world, "send", "incident.yaml", "--yes").exit_code == 0
    state = world.folder / ".broadcast"
    for name in ("ledger.sqlite3", "ledger.sqlite3-wal", "ledger.sqlite3-shm"):
        (state / name).unlink(missing_ok=True)

    result = run(world, "send", "incident.yaml", "--yes")
    message = paragraph(result.output)
    assert result.exit_code == 2, message
    assert "has no record of panne-nord-2026-11-22" in message
    assert "history.json lists 1 update of it" in message  # the banner's history
    assert "sent/panne-nord-2026-11-22 was written" in message  # the marker beside the ledger
    assert "locks/panne-nord-2026-11-22.lock" in message
    assert "--ledger-lost" in message and "Nothing was sent." in message
    assert phones_reached(world) == Counter(PHONES)  # once each, from the first run
    assert len(world.x.posts()) == 1

    code, doc = world.run_json("send", "incident.yaml", "--yes", "--ledger-lost")
    # X itself refuses the same post twice; every other channel sends again.
    failed = {d["channel"]: d["failed_by_reason"] for d in doc["delivery"] if d["failed"]}
    assert (code, failed) == (1, {"twitter": {"duplicate": 1}}), doc
    assert doc["action"] == "new"
    assert "everyone gets the current version again" in doc["reason"]
    assert phones_reached(world) == Counter({phone: 2 for phone in PHONES})
    # From then on the new ledger knows it: nothing more.
    code, doc = world.run_json("send", "incident.yaml", "--yes")
    assert (code, doc["action"]) == (0, "nothing")


def test_a_deleted_state_folder_is_caught_by_the_banner_history(world: World) -> None:
    assert run(world, "send", "incident.yaml", "--yes").exit_code == 0
    shutil.rmtree(world.folder / ".broadcast")
    result = run(world, "send", "incident.yaml", "--yes")
    message = paragraph(result.output)
    assert result.exit_code == 2, message
    assert "public/status/history.json lists 1 update" in message
    assert "lock" not in message  # only what is really there is named
    assert phones_reached(world) == Counter(PHONES)
    # The cron line (tick) refuses the same way.
    incidents = world.folder / "incidents"
    incidents.mkdir()
    shutil.copyfile(world.folder / "incident.yaml", incidents / "nord.yaml")
    result = run(world, "tick", "incidents", "--yes")
    assert result.exit_code == 2
    assert "has no record of panne-nord-2026-11-22" in paragraph(result.output)
    assert phones_reached(world) == Counter(PHONES)


def test_a_wrong_key_or_an_invalid_one_stops_the_send_before_anything_leaves(
    world: World, recipient_key_home: Path
) -> None:
    assert run(world, "send", "incident.yaml", "--yes", "--channel", "sms").exit_code == 0
    key_file = recipient_key_home / "broadcast" / "key"
    assert key_file.is_file()
    path = world.folder / "incident.yaml"
    path.write_text(path.read_text().replace("status: investigating", "status: identified"))

    result = run(world, "send", "incident.yaml", "--yes", env={"BROADCAST_KEY": new_key_text()})
    message = paragraph(result.output)
    assert result.exit_code == 2, message
    assert "BROADCAST_KEY is not the one" in message and "ledger.sqlite3" in message

    result = run(world, "send", "incident.yaml", "--yes", env={"BROADCAST_KEY": "tooshort"})
    message = paragraph(result.output)
    assert result.exit_code == 2, message
    assert "44 characters" in message and "tooshort" not in message

    key_file.unlink()
    for command in (("send", "incident.yaml", "--yes"), ("status", "incident.yaml")):
        result = run(world, *command)
        message = paragraph(result.output)
        assert result.exit_code == 2, (command, message)
        assert str(key_file) in message and "backup" in message
    assert phones_reached(world) == Counter(PHONES)  # only the first run's
