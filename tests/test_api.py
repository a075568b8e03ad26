"""The library under the command line: ``broadcast.preview(...)``, ``broadcast.send(...)`` and
the others return results, print nothing, and say what the commands say (their ``--json``
document is the result's ``to_json()``). Real files in tmp_path, the real local peers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import pytest

import broadcast
from broadcast.api import QuietWatch, Sent
from broadcast.problems import InputError
from tests.conftest import NOW, REPO, write
from tests.world import PHONES, SECRETS, World


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROADCAST_NOW", NOW.isoformat())
    monkeypatch.delenv("BROADCAST_CONFIG", raising=False)


@pytest.fixture
def in_world(world: World, monkeypatch: pytest.MonkeyPatch, pinned: None) -> World:
    """The world's secrets and ledger engine in this process's environment, as a library
    caller's would be."""
    for name, value in {**SECRETS, **world.engine}.items():
        monkeypatch.setenv(name, value)
    return world


def test_a_preview_is_a_result_the_command_prints(
    project: Path, pinned: None, capsys: pytest.CaptureFixture[str]
) -> None:
    incident, config = project / "examples" / "panne-nord.yaml", project / "channels.yaml"
    shown = broadcast.preview(incident, config)
    assert capsys.readouterr() == ("", "")  # the library prints nothing
    assert shown.exit_code == 0
    assert shown.plan.ok
    assert [c.name for c in shown.plan.channels] == [
        c["channel"] for c in shown.to_json()["channels"]
    ]
    printed = subprocess.run(
        [sys.executable, "-m", "broadcast", "preview", str(incident), "-c", str(config), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "BROADCAST_NOW": NOW.isoformat()},
        timeout=120,
        check=True,
    )
    assert json.loads(printed.stdout) == json.loads(json.dumps(shown.to_json()))


def test_a_broken_incident_is_a_result_with_its_problems(project: Path, pinned: None) -> None:
    incident = write(
        project / "broken.yaml",
        (project / "examples" / "panne-nord.yaml")
        .read_text(encoding="utf-8")
        .replace("status:", "statut:", 1),
    )
    checked = broadcast.validate(incident, project / "channels.yaml")
    assert checked.exit_code == 2
    assert not checked.plan.ok
    errors = [p for p in checked.plan.all_problems if p.is_error]
    assert errors and all(p.file is not None and p.file.name == "broken.yaml" for p in errors)


def test_a_clock_that_is_not_a_date_is_the_users_mistake(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROADCAST_NOW", "tomorrow morning")
    with pytest.raises(InputError) as refused:
        broadcast.preview(project / "examples" / "panne-nord.yaml", project / "channels.yaml")
    assert "BROADCAST_NOW='tomorrow morning' is not an ISO date" in str(refused.value)


def test_send_then_status_and_report_from_the_library(
    in_world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world = in_world
    incident, config = world.folder / "incident.yaml", world.folder / "channels.yaml"
    sent = broadcast.send(incident, config)
    assert capsys.readouterr().out == ""
    assert (sent.kind, sent.exit_code) == ("sent", 0)
    assert sorted(m.to for m in world.twilio.messages()) == sorted(PHONES)
    document = sent.to_json()
    assert document is not None and document["action"] == "new"
    assert {o.name: o.sent for o in sent.outcomes}["sms"] == len(PHONES)

    again = broadcast.send(incident, config)
    assert (again.kind, again.exit_code) == ("nothing", 0)
    assert len(world.twilio.messages()) == len(PHONES)  # nothing twice

    status = broadcast.status(incident, config)
    code, printed = world.run_json("status", "incident.yaml")
    assert code == 0
    assert json.loads(json.dumps(status.to_json())) == printed
    assert len(status.to_json()["versions"]) == 1

    evaluation = broadcast.post_incident_report(incident, config)
    code, printed = world.run_json("report", "incident.yaml")
    assert code == 0
    assert json.loads(json.dumps(evaluation.to_json())) == printed
    assert evaluation.data["incident"] in evaluation.markdown()
    assert evaluation.data["incident"] in evaluation.html()


class Declining(QuietWatch):
    """A caller asked before anything goes, who says no, and who saw every step."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def planned(self, run: object, ask: bool) -> None:
        self.seen.append(f"planned ask={ask}")

    def about_to_send(self, run: object, ask: bool) -> str:  # type: ignore[override]
        self.seen.append("asked")
        return "declined"

    def progress(self, plan: object) -> AbstractContextManager[Callable[[object], None]]:
        self.seen.append("progress")
        return nullcontext(lambda event: None)


def test_a_send_asks_its_watch_and_a_no_sends_nothing(in_world: World) -> None:
    world = in_world
    watch = Declining()
    sent = broadcast.send(
        world.folder / "incident.yaml", world.folder / "channels.yaml", ask=True, watch=watch
    )
    assert (sent.kind, sent.exit_code, sent.document) == ("declined", 0, None)
    assert watch.seen == ["planned ask=True", "asked"]
    assert world.twilio.messages() == []


def test_tick_gives_every_incidents_result(in_world: World) -> None:
    world = in_world
    folder = world.folder / "incidents"
    folder.mkdir()
    (world.folder / "incident.yaml").rename(folder / "incident.yaml")
    write(folder / "incident.yaml~", "an editor's copy")
    done = broadcast.tick(folder, world.folder / "channels.yaml")
    assert [(s.incident.name, s.kind) for s in done.sent] == [("incident.yaml", "sent")]
    assert isinstance(done.sent[0], Sent)
    assert done.exit_code == 0
    assert done.to_json()["incidents"][0]["file"] == str(folder / "incident.yaml")
    assert [p.name for p in done.left_out] == ["incident.yaml~"]


def test_the_operations_load_only_when_used() -> None:
    """``import broadcast`` (and so ``python -m broadcast``) pays nothing for the library's
    operations, and asking for one loads only its own module (a preview's, not a send's);
    ``broadcast.report`` stays the report stage's package."""
    probe = (
        "import sys, broadcast\n"
        "print('broadcast.api' in sys.modules)\n"
        "broadcast.preview\n"
        "print('broadcast.api' in sys.modules, 'broadcast.api.sends' in sys.modules,\n"
        "      'broadcast.delivery.sending' in sys.modules)\n"
        "import broadcast.report.status\n"
        "print(type(broadcast.report).__name__, broadcast.post_incident_report.__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
        check=True,
    )
    assert done.stdout.split("\n")[:3] == ["False", "True False False", "module report"]


def test_tick_sends_neither_of_two_files_sharing_an_id(in_world: World) -> None:
    world = in_world
    folder = world.folder / "incidents"
    folder.mkdir()
    (world.folder / "incident.yaml").rename(folder / "a.yaml")
    (folder / "b.yaml").write_bytes((folder / "a.yaml").read_bytes())
    done = broadcast.tick(folder, world.folder / "channels.yaml")
    assert sorted((s.incident.name, s.kind) for s in done.sent) == [
        ("a.yaml", "shared id"),
        ("b.yaml", "shared id"),
    ]
    assert done.exit_code == 2
    assert world.twilio.messages() == []
