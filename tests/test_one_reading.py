"""A command reads the incident file once: what it decides, checks, renders and shows comes from
that one reading, handed down (``delivery.dry_run.load_inputs``), never from a second reading
of a file that may have been edited in between.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

import broadcast.delivery.sending  # noqa: F401 (every module that reads an incident, loaded)
from broadcast.input import incident as incident_module
from tests.test_approval import require_approval
from tests.world import World, edit


def count_readings(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every reading of an incident file from now on, wherever the reader imported it from."""
    original = incident_module.load_incident
    readings: list[Path] = []

    def reading(path: Path, *args: Any, **kwargs: Any) -> Any:
        readings.append(Path(path))
        return original(path, *args, **kwargs)

    for module in list(sys.modules.values()):
        if getattr(module, "load_incident", None) is original:
            monkeypatch.setattr(module, "load_incident", reading)
    return readings


def test_a_dry_run_reads_the_incident_once(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    assert world.run("send", "incident.yaml", "--yes").exit_code == 0
    edit(world, "status: investigating", "status: identified")
    readings = count_readings(monkeypatch)
    code, doc = world.run_json("send", "incident.yaml", "--dry-run")
    assert code == 0, doc
    assert doc["action"] == "new" and doc["sent"] == 0
    assert [path.name for path in readings] == ["incident.yaml"]


def test_an_approval_renders_the_version_and_its_reminders_from_one_reading(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_approval(world)
    readings = count_readings(monkeypatch)
    code, doc = world.run_json("approve", "incident.yaml", "--yes", "--as", "bob")
    assert code == 0, doc
    assert len(doc["reminders"]) > 1  # the version and each reminder rendered: one reading
    assert [path.name for path in readings] == ["incident.yaml"]


def test_a_preview_after_a_send_reads_the_incident_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert world.run("send", "incident.yaml", "--yes").exit_code == 0
    edit(world, "status: investigating", "status: identified")
    readings = count_readings(monkeypatch)
    result = world.run("preview", "incident.yaml")
    assert result.exit_code == 0, result.output
    assert [path.name for path in readings] == ["incident.yaml"]
