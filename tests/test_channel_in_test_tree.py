"""A channel is one module and its template: the pager channel, defined in the test tree
(tests/channels/pager.py) and registered there, goes through preview, send, status and report
by the real command line, talking to its local gateway, with nothing in broadcast's package
naming it. Without its registration, channels.yaml naming it is refused like any unknown type.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest

from broadcast.channels import channel_types, register
from broadcast.channels.model import ChannelConfig
from tests.channels.pager_gateway import TOKEN, PagerGateway
from tests.conftest import NOW, REPO, write

HERE = Path(__file__).resolve().parent


@pytest.fixture
def gateway() -> Iterator[PagerGateway]:
    with PagerGateway() as server:
        yield server


@pytest.fixture
def pager_project(tmp_path: Path, gateway: PagerGateway) -> Path:
    shutil.copyfile(REPO / "examples" / "panne-nord.yaml", tmp_path / "incident.yaml")
    # The channel's template, installed where an organisation keeps its own.
    (tmp_path / "templates").mkdir()
    shutil.copyfile(
        HERE / "channels" / "templates" / "pager.txt.j2", tmp_path / "templates" / "pager.txt.j2"
    )
    write(
        tmp_path / "channels.yaml",
        f"""\
organisation: Énergie Nord
defaults: {{locale: fr, timezone: Europe/Paris}}
channels:
  oncall:
    type: pager
    url: {gateway.url}/pages
    group: astreinte-reseau
    token: "${{PAGER_TOKEN}}"
""",
    )
    return tmp_path


def cli(
    project: Path, *args: str, module: str = "tests.channels.cli"
) -> subprocess.CompletedProcess:
    """The real command line in a new process, in ``project``: with the test tree's channels
    registered (``tests.channels.cli``), or broadcast's own (``broadcast``)."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "PYTHONPATH": str(REPO),
            "BROADCAST_NOW": NOW.isoformat(),
            "BROADCAST_CONFIG": "",
            "COLUMNS": "120",
            "PAGER_TOKEN": TOKEN,
        },
    )


def test_a_channel_defined_in_the_test_tree_previews_sends_and_reports(
    pager_project: Path, gateway: PagerGateway
) -> None:
    preview = cli(pager_project, "preview", "incident.yaml", "--json")
    assert preview.returncode == 0, preview.stderr
    [channel] = json.loads(preview.stdout)["channels"]
    assert (channel["channel"], channel["type"]) == ("oncall", "pager")
    text = channel["text"]
    assert text.startswith("[MAJOR] Coupure de courant à Lille et Roubaix depuis 8h10.")
    # Its own measure, declared in its module.
    assert (channel["characters"], channel["limit"]) == (len(text), 240)
    shown = cli(pager_project, "preview", "incident.yaml")
    assert shown.returncode == 0, shown.stderr
    assert "oncall · pager" in shown.stdout
    assert f"{len(text)}/240 pager characters" in shown.stdout
    assert gateway.requests() == []  # a preview sends nothing

    sent = cli(pager_project, "send", "incident.yaml", "--yes", "--json")
    assert sent.returncode == 0, sent.stderr
    [outcome] = json.loads(sent.stdout)["delivery"]
    assert (outcome["channel"], outcome["sent"], outcome["failed"]) == ("oncall", 1, 0)
    # The approved bytes, to the group channels.yaml names, with the token from the environment.
    assert gateway.pages() == [{"group": "astreinte-reseau", "text": text}]

    status = cli(pager_project, "status", "incident.yaml", "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["channels"]["oncall"]["sent"] == 1

    report = cli(pager_project, "report", "incident.yaml", "--format", "md")
    assert report.returncode == 0, report.stderr
    assert "oncall" in report.stdout

    # Sent once: a second run has nothing to do.
    again = cli(pager_project, "send", "incident.yaml", "--yes", "--json")
    assert json.loads(again.stdout)["action"] == "nothing", again.stdout
    assert len(gateway.pages()) == 1
    # The token is a secret: in no output, nowhere in the state folder.
    state = b"".join(p.read_bytes() for p in pager_project.rglob("*") if p.is_file())
    for done in (preview, shown, sent, status, report, again):
        assert TOKEN not in done.stdout + done.stderr
    assert TOKEN.encode() not in state


def test_without_its_registration_the_type_is_unknown(pager_project: Path) -> None:
    """Nothing in broadcast's package knows the pager: only its registration makes it a type."""
    done = cli(pager_project, "validate", "incident.yaml", module="broadcast")
    assert done.returncode == 2, done.stdout + done.stderr
    said = done.stdout + done.stderr
    assert "unknown channel type" in said and "'pager'" in said and "sms" in said, said
    assert "Traceback" not in said


def test_a_page_over_its_limit_is_refused_before_anything_is_sent(
    pager_project: Path, gateway: PagerGateway
) -> None:
    """The channel's own measure stops a send as the built-in channels' do."""
    incident = pager_project / "incident.yaml"
    text = incident.read_text(encoding="utf-8")
    long_headline = "Coupure de courant à Lille et Roubaix " + "et dans les communes voisines " * 8
    incident.write_text(
        text.replace(
            "headline: Coupure de courant à Lille et Roubaix depuis 8h10. "
            "Rétablissement prévu vers 14h.",
            f"headline: {long_headline.strip()}.",
        ),
        encoding="utf-8",
    )
    done = cli(pager_project, "send", "incident.yaml", "--yes")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "a pager shows 240" in done.stdout + done.stderr
    assert gateway.requests() == []


def test_two_channels_cannot_answer_to_one_type() -> None:
    """A second model registered under a type already taken is refused where it is declared:
    channels.yaml could not say which of the two it means."""

    class AnotherSms(ChannelConfig):
        type: Literal["sms"]

    taken = re.escape("channel type 'sms' is broadcast.channels.sms.SmsChannel already")
    with pytest.raises(TypeError, match=taken):
        register(AnotherSms)
    assert channel_types()["sms"].__module__ == "broadcast.channels.sms"
