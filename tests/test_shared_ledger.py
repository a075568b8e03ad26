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
from datetime import timedelta

from broadcast.content.measure import sms_segments
from broadcast.ledger.key import new_key_text
from tests.conftest import NOW, at, write
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
    assert out, (process.returncode, err)
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


def _sms_parts(world: World) -> list[tuple[float, int]]:
    """When each text reached the peer, and its parts (segments) as Twilio counts them."""
    return sorted(
        (r.received_at, sms_segments(r.form()["Body"][0]))
        for r in world.twilio.requests()
        if r.method == "POST" and r.path.endswith("/Messages.json") and r.status == 201
    )


def _busiest_second_in_parts(arrivals: list[tuple[float, int]]) -> int:
    """The most parts that reached the peer within any 1-s window (both ends included)."""
    moments = [moment for moment, _ in arrivals]
    return max(
        sum(parts for _, parts in arrivals[i : bisect.bisect_right(moments, t + 1.0)])
        for i, t in enumerate(moments)
    )


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


def test_two_hosts_together_keep_the_channels_rate_counted_in_message_parts(
    world: World, postgres_ledger: str
) -> None:
    """Each process alone sends far above 40 parts a second to the local peer; together,
    sharing the rate row, they stay within it (shown failing without it, in the commit)."""
    shared = _hosts_world(world, postgres_ledger, 160, "40/s", lease=10)
    one = _host(world, shared, "host-a", "send", "incident.yaml", "--yes")
    two = _host(world, shared, "host-b", "send", "incident.yaml", "--yes")
    (code_one, doc_one), (code_two, doc_two) = _finish(one), _finish(two)
    assert (code_one, code_two) == (0, 0), (doc_one, doc_two)
    sent = [m.to for m in world.twilio.messages()]
    assert len(sent) == len(set(sent)) == 160  # every number exactly once
    assert all(doc["delivery"][0]["sent"] for doc in (doc_one, doc_two))  # both sent
    arrivals = _sms_parts(world)
    assert {parts for _, parts in arrivals} == {2}  # the rate is counted in parts, not texts
    assert _busiest_second_in_parts(arrivals) <= 40


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
    # A lease of 6 s (renewed every 2 s): host-a must be seen alive while it sends, and a
    # loaded machine can starve its renewing thread for longer than a 2 s lease allows. At
    # 10/s host-a's 300 take 30 s: room for the two processes of host-b below to start and
    # end on a loaded machine before host-a is killed with some of its list still to send.
    shared = _hosts_world(world, postgres_ledger, 300, "10/s", lease=6)
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
    # host-a's primary lease has 6 minutes to run (the clock stands still), but its run died
    # holding the incident: once that run's lease (6 s here, 30 s by default) has ended, the
    # standby's next cron run takes over and sends the rest, without waiting for the 6 minutes.
    deadline = time.monotonic() + 60
    while True:
        code, doc = _finish(
            _host(world, shared, "host-b", "tick", "incidents", "--yes", "--lock-timeout", "0")
        )
        if code != 3 or time.monotonic() > deadline:
            break
        assert "host-a" in json.dumps(doc)
    assert code == 0, doc
    sent = [m.to for m in world.twilio.messages()]
    assert len(sent) == len(set(sent)) == 300
    code, said = _finish(_host(world, shared, "host-a", "status", "incidents/incident.yaml"))
    assert said["primary"]["host"].endswith("@host-b"), said


def test_only_the_host_holding_an_incident_records_its_next_version(
    world: World, postgres_ledger: str, tmp_path
) -> None:
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


def test_a_standby_stands_by_between_the_primary_hosts_cron_runs_until_its_lease_ends(
    world: World, postgres_ledger: str
) -> None:
    """No run is alive between two cron runs of a healthy primary: the standby still waits,
    for the primary's host lease (6 min by default), and takes over once it has ended."""
    incidents = world.folder / "incidents"
    incidents.mkdir()
    (world.folder / "incident.yaml").rename(incidents / "incident.yaml")
    shared = {"BROADCAST_LEDGER": postgres_ledger, "BROADCAST_KEY": new_key_text()}

    def tick(host: str, minutes: int) -> tuple[int, dict]:
        return world.run_json(
            "tick",
            "incidents",
            "--yes",
            "--lock-timeout",
            "0",
            env=at(minutes, **shared, BROADCAST_HOST=host, BROADCAST_STATE=host),
        )

    def primary(host: str, minutes: int) -> dict:
        code, said = world.run_json(
            "status",
            "incidents/incident.yaml",
            env=at(minutes, **shared, BROADCAST_HOST=host, BROADCAST_STATE=host),
        )
        assert code == 0, said
        return said["primary"]

    code, doc = tick("host-a", 0)
    assert code == 0, doc
    assert sorted(m.to for m in world.twilio.messages()) == sorted(PHONES)
    # host-a's run is over; its cron line comes again in 5 minutes: host-b stands by.
    code, doc = tick("host-b", 1)
    assert code == 3, doc
    said = " ".join(json.dumps(doc).split())
    assert "host-a holds panne-nord-2026-11-22 as its primary host" in said, said
    assert "lease ends at 09:46:00" in said, said  # 09:40 Paris + 6 min
    assert primary("host-b", 1) == {
        "host": primary("host-a", 1)["host"],
        "lease_ends_at": "2026-11-22T09:46:00+01:00",
    }
    assert primary("host-b", 1)["host"].endswith("@host-a")
    # host-a's next cron run renews its lease, nothing new to send: host-b keeps standing by.
    code, doc = tick("host-a", 5)
    assert code == 0, doc
    assert primary("host-b", 5)["lease_ends_at"] == "2026-11-22T09:51:00+01:00"
    code, doc = tick("host-b", 10)
    assert code == 3, doc
    assert len(world.twilio.messages()) == len(PHONES)
    # host-a stops running (its host is in the outage): once its lease has ended, host-b's
    # cron run takes over, and host-a, should it come back, stands by in turn.
    code, doc = tick("host-b", 12)
    assert code == 0, doc
    assert primary("host-a", 12)["host"].endswith("@host-b")
    code, doc = tick("host-a", 13)
    assert code == 3, doc
    assert "host-b holds" in json.dumps(doc)
    sent = [m.to for m in world.twilio.messages()]
    assert len(sent) == len(set(sent)) == len(PHONES)  # nobody twice across the hand-over
