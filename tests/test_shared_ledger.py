"""A PostgreSQL ledger shared by hosts, end to end: the real CLI, a real PostgreSQL server,
the local Twilio, X and SMTP peers."""

from __future__ import annotations

import bisect
import json
import os
import signal
import subprocess
import sys
import time

from broadcast.ledger.key import new_key_text
from tests.conftest import NOW, write
from tests.world import EMAILS, PHONES, SECRETS, World


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


# -- several hosts on one ledger: real processes, each with its own state folder and name --

RECIPIENTS = 2000


def _hosts_world(
    world: World, postgres_ledger: str, count: int, rate: str, lease: float = 2
) -> dict[str, str]:
    """channels.yaml with one SMS channel to ``count`` numbers at ``rate``; the environment
    every host shares (the ledger, the key, the secrets, a lease of ``lease`` seconds: short,
    so a dead host's work is taken over within the test, yet renewed in time on a busy
    machine)."""
    numbers = [f"+336{10000000 + i:08d}" for i in range(count)]
    write(world.folder / "many.csv", "phone\n" + "\n".join(numbers) + "\n")
    write(
        world.folder / "channels.yaml",
        f"""\
organisation: Énergie Nord
defaults: {{locale: fr, timezone: Europe/Paris}}
channels:
  sms:
    type: sms
    from: "+15005550006"
    recipients: many.csv
    default_region: FR
    rate: {rate}
    account_sid: "${{TWILIO_ACCOUNT_SID}}"
    auth_token: "${{TWILIO_AUTH_TOKEN}}"
    api_base_url: {world.twilio.url}
""",
    )
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("BROADCAST_")},
        **SECRETS,
        "BROADCAST_NOW": NOW.isoformat(),
        "BROADCAST_LEDGER": postgres_ledger,
        "BROADCAST_KEY": new_key_text(),
        "BROADCAST_LEASE_SECONDS": str(lease),
    }


def _host(world: World, shared: dict[str, str], name: str, *args: str) -> subprocess.Popen:
    """``broadcast ARGS --json`` as host ``name``: its own process and state folder."""
    env = {**shared, "BROADCAST_HOST": name, "BROADCAST_STATE": str(world.folder / name)}
    return subprocess.Popen(
        [sys.executable, "-m", "broadcast", *args, "--json"],
        cwd=world.folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen) -> tuple[int, dict]:
    out, err = process.communicate(timeout=120)
    assert "Traceback" not in err, err
    return process.returncode, json.loads(out)


def _sms_posts(world: World) -> list[float]:
    return [
        r.received_at
        for r in world.twilio.requests()
        if r.method == "POST" and r.path.endswith("/Messages.json") and r.status == 201
    ]


def _busiest_second(moments: list[float]) -> int:
    moments = sorted(moments)
    return max(bisect.bisect_right(moments, t + 1.0) - i for i, t in enumerate(moments))


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_two_hosts_share_one_list_never_twice_and_within_the_rate_in_total(
    world: World, postgres_ledger: str
) -> None:
    shared = _hosts_world(world, postgres_ledger, RECIPIENTS, "400/s", lease=10)
    one = _host(world, shared, "host-a", "send", "incident.yaml", "--yes")
    two = _host(world, shared, "host-b", "send", "incident.yaml", "--yes")
    (code_one, doc_one), (code_two, doc_two) = _finish(one), _finish(two)
    assert (code_one, code_two) == (0, 0), (doc_one, doc_two)
    sent = [m.to for m in world.twilio.messages()]
    assert len(sent) == len(set(sent)) == RECIPIENTS  # everyone, nobody twice
    by_host = [doc["delivery"][0]["sent"] for doc in (doc_one, doc_two)]
    assert sum(by_host) == RECIPIENTS
    assert min(by_host) > RECIPIENTS // 10, by_host  # the work was shared
    # The provider's limit is the sender's: 400 a second in total, not per host.
    assert _busiest_second(_sms_posts(world)) <= 400


def test_a_host_killed_mid_send_is_finished_by_another_each_number_once(
    world: World, postgres_ledger: str
) -> None:
    shared = _hosts_world(world, postgres_ledger, 300, "100/s")
    first = _host(world, shared, "host-a", "send", "incident.yaml", "--yes")
    _wait_for(lambda: len(world.twilio.messages()) >= 60)
    first.send_signal(signal.SIGKILL)
    first.wait()
    code, doc = _finish(_host(world, shared, "host-b", "send", "incident.yaml", "--yes"))
    assert code == 0, doc
    sent = [m.to for m in world.twilio.messages()]
    assert len(sent) == len(set(sent)) == 300


def test_a_standby_waits_while_the_sending_host_lives_and_takes_over_when_it_dies(
    world: World, postgres_ledger: str
) -> None:
    shared = _hosts_world(world, postgres_ledger, 300, "20/s")
    incidents = world.folder / "incidents"
    incidents.mkdir()
    (world.folder / "incident.yaml").rename(incidents / "incident.yaml")
    first = _host(world, shared, "host-a", "tick", "incidents", "--yes")
    _wait_for(lambda: len(world.twilio.messages()) >= 10)
    # While host-a lives, status names it and the standby's cron line does nothing.
    code, said = _finish(_host(world, shared, "host-b", "status", "incidents/incident.yaml"))
    assert code == 0 and said["held_by"]["host"].endswith("@host-a"), said
    code, doc = _finish(
        _host(world, shared, "host-b", "tick", "incidents", "--yes", "--lock-timeout", "0.5")
    )
    assert code == 3, doc
    assert "host-a holds" in json.dumps(doc)
    first.send_signal(signal.SIGKILL)
    first.wait()
    before = len(world.twilio.messages())
    assert before < 300
    # The next cron run on the standby: host-a's lease ends within a second, then it sends.
    code, doc = _finish(
        _host(world, shared, "host-b", "tick", "incidents", "--yes", "--lock-timeout", "10")
    )
    assert code == 0, doc
    sent = [m.to for m in world.twilio.messages()]
    assert len(sent) == len(set(sent)) == 300


def test_only_the_host_holding_an_incident_records_its_next_version(
    world: World, postgres_ledger: str, tmp_path
) -> None:
    from datetime import timedelta

    from broadcast.ledger.sqlite import Ledger

    host = {"BROADCAST_LEDGER": postgres_ledger, "BROADCAST_KEY": new_key_text()}
    code, sent = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=host)
    assert code == 0, sent
    # Another host's run holds the incident (alive: its lease is renewed) when the promised
    # update falls due here: this host must not send a reminder of its own beside it.
    other = Ledger(tmp_path / "other-host", environ=host, address=postgres_ledger)
    assert other.hold_incident("panne-nord-2026-11-22") is None
    later = {**host, "BROADCAST_NOW": (NOW + timedelta(hours=3)).isoformat()}
    try:
        code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=later)
        assert code == 3, doc
        assert "holds panne-nord-2026-11-22" in doc["message"]
        assert len(world.twilio.messages()) == len(PHONES)
    finally:
        other.close()
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=later)
    assert code == 0, doc
    assert len(world.twilio.messages()) == 2 * len(PHONES)  # the reminder, once each
