"""A PostgreSQL ledger shared by hosts, end to end: the real CLI, a real PostgreSQL server,
the local Twilio, X and SMTP peers."""

from __future__ import annotations

from broadcast.ledger.key import new_key_text
from tests.world import EMAILS, PHONES, World


def test_a_send_on_a_postgresql_ledger_reaches_everyone_once(
    world: World, postgres_ledger: str
) -> None:
    host = {"BROADCAST_LEDGER": postgres_ledger, "BROADCAST_KEY": new_key_text()}
    code, sent = world.run_json("send", "incident.yaml", "--yes", env=host)
    assert code == 0, sent
    assert sorted(m.to for m in world.twilio.messages()) == sorted(PHONES)
    assert sorted(r.recipients[0] for r in world.smtp.received) == sorted(EMAILS)
    assert not (world.folder / ".broadcast" / "ledger.sqlite3").exists()
    # The same run again has nothing to say; the ledger is the database.
    code, again = world.run_json("send", "incident.yaml", "--yes", env=host)
    assert code == 0, again
    assert len(world.twilio.messages()) == len(PHONES)
    code, status = world.run_json("status", "incident.yaml", env=host)
    assert code == 0, status
    assert status["incident"] == "panne-nord-2026-11-22"


def test_a_shared_ledger_without_the_hosts_key_sends_nothing(
    world: World, postgres_ledger: str
) -> None:
    result = world.run("send", "incident.yaml", "--yes", env={"BROADCAST_LEDGER": postgres_ledger})
    assert result.exit_code != 0
    said = " ".join(result.output.split())
    assert "set BROADCAST_KEY to it on every host" in said and "Nothing was sent" in said
    assert "Traceback" not in result.output
    assert world.twilio.messages() == [] and world.smtp.received == []


def test_a_password_in_channels_yaml_is_refused_naming_the_line(world: World) -> None:
    config = world.folder / "channels.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "channels:\n",
            "ledger: postgresql://broadcast:hunter2@db.example.org/broadcast\nchannels:\n",
            1,
        ),
        encoding="utf-8",
    )
    result = world.run("send", "incident.yaml", "--yes")
    assert result.exit_code == 2
    assert "channels.yaml" in result.output and "ledger" in result.output
    assert "PGPASSWORD" in result.output
    assert "hunter2" not in result.output
    assert world.twilio.messages() == []
