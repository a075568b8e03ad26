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

from tests.conftest import write
from tests.test_exercise import DRILL, DRILL_PHONES, said
from tests.world import World


@pytest.fixture
def drill(world: World) -> World:
    """The world with an exercise list on SMS and email (another file, other people)."""
    write(world.folder / "drill.csv", DRILL)
    path = world.folder / "channels.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "    recipients: contacts.csv\n",
        "    recipients: contacts.csv\n    exercise_recipients: drill.csv\n",
    )
    path.write_text(text, encoding="utf-8")
    return world


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
        assert f"incident.yaml:{line}, field exercise" in said(result), result.output
        assert "contradict" in result.output
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
