"""Operating it for real: a list the channel cannot mostly use, another folder's ledger, an
incident moved or held at another path, a tick folder with other YAML in it, a missing secret.

Real CLI runs against the local peers (``tests.world``); a real PostgreSQL for two hosts.
"""

from __future__ import annotations

import shutil
import signal

import pytest

from tests.conftest import at
from tests.test_send import terminal_send
from tests.world import PHONES, World


def _words(output: str) -> str:
    assert "Traceback" not in output, output
    return " ".join(output.split())


# -- 15. a channel that would skip most of its list is not ready --------------------------


def _without_region(world: World) -> None:
    config = world.folder / "channels.yaml"
    text = config.read_text(encoding="utf-8")
    assert "    default_region: FR\n" in text
    config.write_text(text.replace("    default_region: FR\n", ""), encoding="utf-8")


def test_a_list_of_national_numbers_without_a_region_is_not_ready(world: World) -> None:
    _without_region(world)  # 4 of the 6 numbers are national (06 ...): 2 could be reached
    result = world.run("validate", "incident.yaml")
    said = _words(result.output)
    assert result.exit_code == 2, said
    assert "ready" not in said.replace("not ready", "")
    assert "4 of the 6 phones in contacts.csv cannot be used" in said, said
    assert "no default_region" in said and "default_region: FR" in said
    code, doc = world.run_json("send", "incident.yaml", "--yes")
    assert code == 2
    sms = next(c for c in doc["channels"] if c["channel"] == "sms")
    errors = [p for p in sms["problems"] if p["severity"] == "error"]
    assert [p["field"] for p in errors] == ["default_region"], errors
    assert world.twilio.requests() == [] and world.smtp.received == []


def test_a_few_bad_rows_still_send_and_the_count_skipped_is_shown(world: World) -> None:
    preview = world.run("preview", "incident.yaml", "--channel", "sms", env={"COLUMNS": "200"})
    said = _words(preview.output)
    assert preview.exit_code == 0, said
    assert "4, 1 skipped" in said
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0, doc
    assert sorted(m.to for m in world.twilio.messages()) == sorted(PHONES)
    assert doc["channels"][0]["recipients_skipped"] == 1


# -- 17. an incident is its id and its content, not its path -------------------------------


def test_the_same_incident_at_another_path_is_that_incident_not_a_copy(world: World) -> None:
    assert world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")[0] == 0
    elsewhere = world.folder / "host-b"
    elsewhere.mkdir()
    shutil.copyfile(world.folder / "incident.yaml", elsewhere / "incident.yaml")
    code, doc = world.run_json("send", "host-b/incident.yaml", "--yes", "--channel", "sms")
    assert code == 0, doc
    assert doc["action"] == "nothing" and doc["sent"] == 0
    # At the promised time the reminder goes from there, once each.
    code, doc = world.run_json(
        "send", "host-b/incident.yaml", "--yes", "--channel", "sms", env=at(121)
    )
    assert (code, doc["action"]) == (0, "reminder"), doc
    assert len(world.twilio.messages()) == 2 * len(PHONES)
    # What another file says differently under the id is still refused as a copy.
    text = (elsewhere / "incident.yaml").read_text(encoding="utf-8")
    (world.folder / "copie.yaml").write_text(
        text.replace("status: investigating", "status: identified"), encoding="utf-8"
    )
    code, doc = world.run_json("send", "copie.yaml", "--yes", "--channel", "sms", env=at(130))
    assert code == 2 and "says something else" in doc["problems"][0]["message"]


def test_a_moved_incident_continued_with_nothing_to_send_is_run_by_cron_where_it_lies(
    world: World,
) -> None:
    assert world.run_json("send", "incident.yaml", "--yes")[0] == 0
    sent = len(world.twilio.messages())
    incidents = world.folder / "incidents"
    incidents.mkdir()
    shutil.move(world.folder / "incident.yaml", incidents / "incident.yaml")
    code, doc = world.run_json(
        "send", "incidents/incident.yaml", "--yes", "--continue-incident", env=at(1)
    )
    assert (code, doc["action"], doc["sent"]) == (0, "nothing", 0), doc
    # The file is edited where it now lies; cron (without the flag) sends it, then keeps the
    # promised update.
    path = incidents / "incident.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("status: investigating", "status: identified"),
        encoding="utf-8",
    )
    code, doc = world.run_json("tick", "incidents", "--yes", env=at(10))
    assert code == 0, doc
    assert doc["incidents"][0]["action"] == "new"
    assert len(world.twilio.messages()) == sent + len(PHONES)
    code, doc = world.run_json("tick", "incidents", "--yes", env=at(10 + 121))
    assert code == 0, doc
    assert doc["incidents"][0]["action"] == "reminder"
    assert len(world.twilio.messages()) == sent + 2 * len(PHONES)


def test_tick_takes_only_incident_files_and_says_once_what_it_left_out(world: World) -> None:
    (world.folder / "compose.yml").write_text("services:\n  web: {image: nginx}\n")
    result = world.run("tick", ".", "--yes")
    said = _words(result.output)
    assert result.exit_code == 0, said
    assert said.count("left out") == 1, said
    assert "channels.yaml (the configuration)" in said
    assert "compose.yml (no id, headline or status)" in said
    assert "error" not in said
    assert sorted(m.to for m in world.twilio.messages()) == sorted(PHONES)
    code, doc = world.run_json("tick", ".", "--yes", env=at(1))
    assert code == 0, doc
    assert [i["file"] for i in doc["incidents"]] == ["incident.yaml"]
    assert {x["reason"] for x in doc["left_out"]} == {
        "the configuration",
        "no id, headline or status",
    }
    # What cron must act on comes first: a secret missing here, before the files left out.
    result = world.run("tick", ".", "--yes", env={**at(2), "X_ACCESS_TOKEN": ""})
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert "X_ACCESS_TOKEN is not set" in lines[0] and "left out" not in lines[0]


def test_a_host_holding_the_incident_at_another_path_finishes_what_a_killed_host_began(
    world: World, postgres_ledger: str
) -> None:
    from tests.test_shared_ledger import _finish, _host, _hosts_world, _wait_for

    shared = _hosts_world(world, postgres_ledger, 300, "100/s")
    for host in ("a", "b"):
        (world.folder / host).mkdir()
        shutil.copyfile(world.folder / "incident.yaml", world.folder / host / "incident.yaml")
    first = _host(world, shared, "host-a", "send", "a/incident.yaml", "--yes")
    _wait_for(lambda: len(world.twilio.messages()) >= 60)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert len(world.twilio.messages()) < 300
    code, doc = _finish(_host(world, shared, "host-b", "send", "b/incident.yaml", "--yes"))
    assert code == 0, doc
    sent = [m.to for m in world.twilio.messages()]
    assert len(sent) == len(set(sent)) == 300


# -- 16. another folder's ledger does not send the same incident again ---------------------


@pytest.mark.slow
def test_another_folder_with_its_own_ledger_is_refused_naming_the_first_unless_told(
    world: World,
) -> None:
    code, doc = world.run_json("send", "incident.yaml", "--yes")
    assert code == 0, doc
    before = (len(world.twilio.messages()), len(world.x.requests()), len(world.smtp.received))
    other = world.folder / "ailleurs"
    other.mkdir()
    for name in ("channels.yaml", "contacts.csv", "incident.yaml"):
        shutil.copyfile(world.folder / name, other / name)
    again = ("send", "ailleurs/incident.yaml", "--config", "ailleurs/channels.yaml", "--yes")
    dry = world.run(*again[:-1], "--dry-run", env={**at(5), "COLUMNS": "200"})
    assert "a real send would be refused" in _words(dry.output), dry.output
    result = world.run(*again, env=at(5))
    said = _words(result.output)
    assert result.exit_code == 2, said
    assert "first sent from this machine at 2026-11-22 08:40 UTC by another ledger" in said
    assert str(world.folder / ".broadcast" / "ledger.sqlite3") in said.replace(" ", "")
    assert f"from the folder {world.folder} (file" in said
    assert "--other-ledger" in said and "nothing was sent" in said
    after = (len(world.twilio.messages()), len(world.x.requests()), len(world.smtp.received))
    assert after == before
    code, doc = world.run_json(*again, "--other-ledger", env=at(6))
    assert (code, doc["action"]) == (0, "new"), doc
    assert "as --other-ledger asks" in doc["reason"]
    assert len(world.twilio.messages()) == before[0] + len(PHONES)
    # From then on that folder's ledger sends the incident: its cron runs go on...
    code, doc = world.run_json(*again, env=at(7))
    assert (code, doc["action"]) == (0, "nothing"), doc
    # ...and the first folder's stop, or everyone would get each reminder twice.
    code, doc = world.run_json("send", "incident.yaml", "--yes", env=at(121))
    assert code == 2, doc
    said = doc["problems"][0]["message"]
    assert "was taken over at 2026-11-22 08:46 UTC by another ledger" in said, said
    assert str(other) in said and "--other-ledger" in said
    code, doc = world.run_json(*again, env=at(127))
    assert (code, doc["action"]) == (0, "reminder"), doc
    assert len(world.twilio.messages()) == before[0] + 2 * len(PHONES)
    # Taken back on purpose, the other way round.
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--other-ledger", env=at(128))
    assert code == 0, doc
    assert world.run_json(*again, env=at(129))[0] == 2


def test_a_wiped_state_folder_is_not_a_first_message_the_machine_remembers(
    world: World,
) -> None:
    assert world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")[0] == 0
    shutil.rmtree(world.folder / ".broadcast")  # ledger, markers and locks: every trace there
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=at(5))
    assert code == 2, doc
    assert "this machine's record of incidents" in doc["message"], doc
    assert "--ledger-lost" in doc["message"]
    assert len(world.twilio.messages()) == len(PHONES)


# -- 18. a secret missing on this host holds back only its channel ---------------------------


def test_with_yes_the_ready_channels_go_and_the_missing_variable_is_the_first_line(
    world: World,
) -> None:
    missing = {"X_ACCESS_TOKEN_SECRET": ""}
    result = world.run("send", "incident.yaml", "--yes", env=missing)
    assert result.exit_code == 1, result.output
    first = result.output.strip().splitlines()[0]
    assert "X_ACCESS_TOKEN_SECRET is not set" in first, result.output
    assert "not sent on twitter" in _words(result.output)
    assert sorted(m.to for m in world.twilio.messages()) == sorted(PHONES)
    assert len(world.smtp.received) == 3 and world.x.posts() == []
    assert (world.folder / "public" / "status").is_dir()
    # Still missing at the promised time: the reminder still goes on the others.
    code, doc = world.run_json("send", "incident.yaml", "--yes", env={**missing, **at(121)})
    assert (code, doc["action"]) == (1, "reminder"), doc
    assert doc["unavailable"][0]["channel"] == "twitter"
    assert len(world.twilio.messages()) == 2 * len(PHONES) and world.x.posts() == []
    # Once it is set, the next run sends X its part, and nothing twice elsewhere.
    code, doc = world.run_json("send", "incident.yaml", "--yes", env=at(125))
    assert code == 0, doc
    assert "twitter too" in doc["reason"] and len(world.x.posts()) == 1
    assert len(world.twilio.messages()) == 2 * len(PHONES) and len(world.smtp.received) == 6


@pytest.mark.slow
def test_on_a_terminal_the_confirmation_names_what_cannot_send_and_asks(world: World) -> None:
    code, screen = terminal_send(world, b"n\n", columns="120", without=("X_ACCESS_TOKEN_SECRET",))
    assert code == 0, screen
    said = " ".join(screen.split())
    assert "X_ACCESS_TOKEN_SECRET is not set" in said and "go if you confirm" in said
    assert said.index("X_ACCESS_TOKEN_SECRET") < said.index("Send now?")
    assert world.twilio.requests() == [] and world.x.requests() == []
    code, screen = terminal_send(world, b"y\n", columns="120", without=("X_ACCESS_TOKEN_SECRET",))
    assert code == 1, screen
    assert len(world.twilio.messages()) == len(PHONES) and world.x.posts() == []


def test_a_ledger_that_sent_before_the_registry_existed_is_recorded_by_its_next_run(
    world: World, incident_registry_home
) -> None:
    assert world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")[0] == 0
    shutil.rmtree(incident_registry_home)  # as before the registry existed
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=at(3))
    assert (code, doc["action"]) == (0, "nothing"), doc
    recorded = incident_registry_home / "broadcast" / "incidents" / "panne-nord-2026-11-22.json"
    assert "2026-11-22 08:40 UTC" in recorded.read_text(encoding="utf-8")
    other = world.folder / "ailleurs"
    other.mkdir()
    for name in ("channels.yaml", "contacts.csv", "incident.yaml"):
        shutil.copyfile(world.folder / name, other / name)
    code, doc = world.run_json(
        "send", "ailleurs/incident.yaml", "--config", "ailleurs/channels.yaml", "--yes", env=at(5)
    )
    assert code == 2 and "another ledger" in doc["problems"][0]["message"], doc
    assert len(world.twilio.messages()) == len(PHONES)


def test_when_no_chosen_channel_can_send_nothing_goes_and_the_variable_comes_first(
    world: World,
) -> None:
    result = world.run(
        "send", "incident.yaml", "--yes", "--channel", "twitter", env={"X_ACCESS_TOKEN": ""}
    )
    assert result.exit_code == 2, result.output
    assert "X_ACCESS_TOKEN is not set" in result.output.strip().splitlines()[0]
    assert world.x.requests() == [] and world.twilio.requests() == []


def test_under_approval_a_missing_secret_holds_back_only_its_channel_and_texts_stay_approved(
    world: World,
) -> None:
    config = world.folder / "channels.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "approval: {required: true}\n")
    code, doc = world.run_json("approve", "incident.yaml", "--yes", "--as", "bob")
    assert code == 0, doc
    missing = {"X_ACCESS_TOKEN_SECRET": "", **at(3)}
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "alice", env=missing)
    assert code == 1, doc
    assert doc["unavailable"][0]["channel"] == "twitter"
    assert sorted(m.to for m in world.twilio.messages()) == sorted(PHONES)
    assert world.x.posts() == []
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "alice", env=at(4))
    assert code == 0, doc
    assert len(world.x.posts()) == 1 and len(world.twilio.messages()) == len(PHONES)
