"""A drill reaches only destinations declared for the drill, different from the real ones
(issue 22, Principle 3), through the real CLI and the local peers.

Every channel type names its destination (``DESTINATION``): a team channel's Apprise ``urls``,
a personal channel's recipients file. A channel whose drill destination is missing, the real
one (same file after links, same content, or mostly the same addresses) stays out, and
preview, plan and send say why. A file saying ``exercise: false`` with ``--exercise`` is an
error, never a silent drill.
"""

from __future__ import annotations

import pytest

from tests.conftest import at, write
from tests.peers.webhooks import WebhookServer
from tests.test_exercise import DRILL, DRILL_PHONES, said, with_drill_list
from tests.world import PHONES, World


@pytest.fixture
def drill(world: World) -> World:
    """The world with an exercise list on SMS and email (another file, other people)."""
    return with_drill_list(world)


def test_exercise_false_in_the_file_and_exercise_on_the_command_line_is_an_error(
    drill: World,
) -> None:
    incident = drill.folder / "incident.yaml"
    incident.write_text(incident.read_text(encoding="utf-8") + "exercise: false\n", "utf-8")
    line = len(incident.read_text(encoding="utf-8").splitlines())
    for command in (
        ("send", "incident.yaml", "--yes", "--exercise"),
        ("send", "--dry-run", "incident.yaml", "--exercise"),
        ("preview", "incident.yaml", "--exercise"),
    ):
        result = drill.run(*command)
        assert result.exit_code == 2, (command, result.output)
        assert f"incident.yaml:{line}, champ exercise" in said(result), result.output
        assert "contredisent" in result.output  # the file is French: so is its error
        assert "Traceback" not in result.output
    assert drill.twilio.messages() == [] and drill.smtp.received == []
    # Without --exercise the file is a real alert, as it says.
    result = drill.run("send", "--dry-run", "incident.yaml")
    assert result.exit_code == 0, result.output
    # And exercise: true with --exercise agree: a drill, to the drill list only.
    incident.write_text(
        incident.read_text(encoding="utf-8").replace("exercise: false\n", "exercise: true\n"),
        "utf-8",
    )
    assert drill.run_json("send", "incident.yaml", "--yes", "--exercise")[0] == 0
    assert sorted(m.to for m in drill.twilio.messages()) == sorted(DRILL_PHONES)


def test_a_team_channel_without_drill_urls_of_its_own_stays_out_of_the_drill(
    drill: World, webhook_server: WebhookServer
) -> None:
    with (drill.folder / "channels.yaml").open("a", encoding="utf-8") as out:
        out.write('  teams:\n    type: apprise\n    urls: ["${TEAM_HOOK}"]\n')
    port = webhook_server.port
    env = {
        "TEAM_HOOK": f"json://127.0.0.1:{port}/crisis",
        "DRILL_HOOK": f"json://127.0.0.1:{port}/drill",
        "SAME_HOOK": f"json://127.0.0.1:{port}/crisis",
    }
    # No exercise: block: out, and the dry run and the preview say why.
    for command in (("send", "--dry-run"), ("preview",)):
        code, doc = drill.run_json(*command, "incident.yaml", "--exercise", env=env)
        assert code == 0, doc
        skipped = {s["channel"]: s["reason"] for s in doc["skipped_channels"]}
        assert "urls" in skipped["teams"], skipped
        assert "teams" not in [c["channel"] for c in doc["channels"]]
    code, doc = drill.run_json("send", "incident.yaml", "--yes", "--exercise", env=env)
    assert code == 0, doc
    assert webhook_server.requests() == []
    # Drill URLs that are the real ones (as written, or once read from the environment): out.
    path = drill.folder / "channels.yaml"
    real = path.read_text(encoding="utf-8")
    for urls in ('["${TEAM_HOOK}"]', '["${DRILL_HOOK}", "${SAME_HOOK}"]'):
        path.write_text(real + f"    exercise: {{urls: {urls}}}\n", encoding="utf-8")
        code, doc = drill.run_json("preview", "incident.yaml", "--exercise", env=env)
        skipped = {s["channel"]: s["reason"] for s in doc["skipped_channels"]}
        assert "real urls" in skipped.get("teams", ""), (urls, skipped)
    assert drill.run_json("send", "incident.yaml", "--yes", "--exercise", env=at(5, **env))[0] == 0
    assert webhook_server.requests() == []
    # URLs of its own: the drill goes there only, marked.
    path.write_text(real + '    exercise: {urls: ["${DRILL_HOOK}"]}\n', encoding="utf-8")
    code, doc = drill.run_json("send", "incident.yaml", "--yes", "--exercise", env=at(10, **env))
    assert code == 0, doc
    assert webhook_server.posts_to("/crisis") == []
    [posted] = webhook_server.posts_to("/drill")
    assert posted.json()["message"].startswith("EXERCICE"), posted.json()


def with_list(world: World, exercise_recipients: str) -> None:
    path = world.folder / "channels.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "exercise_recipients: drill.csv\n", f"exercise_recipients: {exercise_recipients}\n"
    )
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    "listed",
    [
        "contacts.csv",  # the real list itself
        "./sub/../contacts.csv",  # the same file, written another way
        "copy.csv",  # a byte-identical copy under another name
        "linked.csv",  # a link to it
        "edited.csv",  # a copy with one row changed and the rows in another order
    ],
)
def test_a_drill_list_that_is_the_real_one_reaches_nobody(drill: World, listed: str) -> None:
    real = (drill.folder / "contacts.csv").read_text(encoding="utf-8")
    (drill.folder / "sub").mkdir()
    write(drill.folder / "copy.csv", real)
    (drill.folder / "linked.csv").symlink_to(drill.folder / "contacts.csv")
    header, *rows = real.splitlines()
    rows[0] = "Cellule de crise,06 99 00 00 01,cellule@example.net,fr"
    write(drill.folder / "edited.csv", "\n".join([header, *reversed(rows)]) + "\n")
    with_list(drill, listed)
    for command in (("send", "--dry-run"), ("preview",)):
        code, doc = drill.run_json(*command, "incident.yaml", "--exercise")
        assert code == 0, doc
        skipped = {s["channel"]: s["reason"] for s in doc["skipped_channels"]}
        assert {"sms", "email"} <= set(skipped), skipped
        assert "real recipients" in skipped["sms"], skipped
        if listed == "edited.csv":
            # Named how many (Camille replaced; Karim twice; Sophie has no email).
            assert "3 of its 4 phone numbers" in skipped["sms"], skipped
            assert "2 of its 3 email addresses" in skipped["email"], skipped
    result = drill.run("send", "incident.yaml", "--yes", "--exercise")
    assert result.exit_code == 0, result.output
    assert "not in this exercise" in said(result)
    assert drill.twilio.messages() == [] and drill.smtp.received == []


def test_a_drill_list_sharing_a_few_real_addresses_takes_part_with_a_warning(
    drill: World,
) -> None:
    # The duty officer is also a customer: one of three drill numbers is on the real list.
    write(drill.folder / "drill.csv", DRILL + "Camille (astreinte),06 12 34 56 78,,fr\n")
    code, doc = drill.run_json("preview", "incident.yaml", "--exercise")
    assert code == 0, doc
    assert "sms" not in {s["channel"] for s in doc["skipped_channels"]}
    warned = [p["message"] for p in doc["problems"] if p.get("channel") == "sms"]
    assert any("1 of its 3 phone numbers is also on" in m for m in warned), doc["problems"]
    code, doc = drill.run_json("send", "incident.yaml", "--yes", "--exercise")
    assert code == 0, doc
    assert sorted(m.to for m in drill.twilio.messages()) == sorted([*DRILL_PHONES, "+33612345678"])


def test_tick_leaves_out_hidden_files_and_editor_copies_and_says_so(world: World) -> None:
    code, doc = world.run_json("tick", ".", "--yes")
    assert code == 0, doc
    sent = len(world.twilio.messages())
    assert sent == len(PHONES)
    # An editor opens the incident: its lock/backup and its backup copy hold the same id.
    real = (world.folder / "incident.yaml").read_text(encoding="utf-8")
    write(world.folder / ".#incident.yaml", real)
    write(world.folder / "incident.yaml~", real)
    write(world.folder / ".incident.yaml.swp", real)
    result = world.run("tick", ".", "--yes", env=at(121))
    said_ = said(result)
    assert result.exit_code == 0, said_
    # The reminder went, once per recipient; the copies blocked nothing and were not sent.
    assert len(world.twilio.messages()) == sent + len(PHONES)
    assert said_.count("left out") == 1, said_
    for name in (".#incident.yaml", "incident.yaml~", ".incident.yaml.swp"):
        assert f"{name} (hidden or an editor's copy)" in said_, said_
    code, doc = world.run_json("tick", ".", "--yes", env=at(122))
    assert code == 0, doc
    assert [i["file"] for i in doc["incidents"]] == ["incident.yaml"]
    assert "hidden or an editor's copy" in {x["reason"] for x in doc["left_out"]}


def test_drill_urls_are_secrets_too(drill: World, webhook_server: WebhookServer) -> None:
    url = f"json://127.0.0.1:{webhook_server.port}/drill-token-123"
    with (drill.folder / "channels.yaml").open("a", encoding="utf-8") as out:
        out.write(
            f'  teams:\n    type: apprise\n    urls: ["${{TEAM_HOOK}}"]\n'
            f'    exercise: {{urls: ["{url}"]}}\n'
        )
    result = drill.run("send", "incident.yaml", "--yes", "--exercise")
    assert result.exit_code == 2, result.output
    assert "field exercise.urls[0]" in said(result) and "TEAMS_DRILL_URLS_1" in result.output
    assert "drill-token-123" not in result.output
    assert webhook_server.requests() == [] and drill.twilio.messages() == []
