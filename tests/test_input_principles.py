"""Input is what the person meant, or an error; a drill never reaches the public.

Each case runs the real CLI (``python -m broadcast``) as a process, in a world of local peers
(Twilio, X, the Graph API, SMTP), with a generous timeout: it must end as the principle says,
with the message a person needs, no traceback, and nothing published or sent where it must
not be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import NOW, REPO, write
from tests.peers.graph_api import DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN, GraphAPIServer
from tests.world import SECRETS, World

# A hang guard, not a speed test: each of these runs takes a few seconds on a busy machine.
TIMEOUT = 90
FB_ENV = {"FB_PAGE_TOKEN": DEFAULT_PAGE_TOKEN}
DRILL = "name,phone,email,locale\nCellule de crise,06 99 00 00 01,cellule@example.net,fr\n"


class Ran:
    """A finished run of the CLI."""

    def __init__(self, done: subprocess.CompletedProcess[str], seconds: float) -> None:
        self.code = done.returncode
        self.out = done.stdout
        self.err = done.stderr
        self.seconds = seconds

    @property
    def said(self) -> str:
        """Everything it printed, on one line per paragraph, spaces folded."""
        return " ".join((self.out + "\n" + self.err).split())

    def json(self) -> dict:
        return json.loads(self.out)

    def no_traceback(self) -> None:
        assert "Traceback" not in self.out + self.err, self.err[-3000:]


def cli(folder: Path, *args: str, env: dict[str, str] | None = None, timeout: float = TIMEOUT):
    """``python -m broadcast ARGS`` in ``folder``, the clock pinned at ``NOW``."""
    import time

    environment = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "BROADCAST_NOW": NOW.isoformat(),
        "BROADCAST_CONFIG": "",
        "COLUMNS": "200",
        "NO_COLOR": "1",
        **SECRETS,
        **FB_ENV,
        **(env or {}),
    }
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "broadcast", *args],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    ran = Ran(done, time.monotonic() - start)
    ran.no_traceback()
    return ran


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.write(text)


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- 10: a public channel takes part in a drill only with a destination of its own -------


@pytest.fixture
def public_world(world: World, graph_server: GraphAPIServer) -> Iterator[World]:
    """Every public channel type (X, the banner, CAP, a Facebook Page), and an SMS channel
    with an exercise list so that a drill has somewhere to go."""
    write(world.folder / "drill.csv", DRILL)
    config = world.folder / "channels.yaml"
    replace(
        config,
        "    recipients: contacts.csv\n    default_region: FR\n",
        "    recipients: contacts.csv\n    exercise_recipients: drill.csv\n"
        "    default_region: FR\n",
    )
    append(
        config,
        "  facebook:\n"
        "    type: facebook\n"
        f"    page_id: '{DEFAULT_PAGE_ID}'\n"
        '    access_token: "${FB_PAGE_TOKEN}"\n'
        f"    api_base_url: {graph_server.url}\n"
        "  alerts:\n"
        "    type: cap\n"
        "    output_dir: public/cap\n"
        "    sender: alertes@energie-nord.example\n",
    )
    world.graph = graph_server  # type: ignore[attr-defined]
    yield world


def set_exercise(world: World, channel_line: str, block: str) -> None:
    """Give the channel whose ``type:`` line is ``channel_line`` an exercise block."""
    replace(world.folder / "channels.yaml", channel_line, f"{channel_line}    exercise: {block}\n")


def nothing_public(world: World) -> None:
    """Nothing on X, on the Page, in the real status folder or the real CAP folder."""
    assert world.x.posts() == []
    assert world.graph.posts() == []  # type: ignore[attr-defined]
    for folder in ("public/status", "public/cap"):
        real = world.folder / folder
        assert not real.exists() or not any(real.iterdir()), sorted(real.iterdir())


def test_an_exercise_block_without_a_destination_of_its_own_publishes_nothing(
    public_world: World,
) -> None:
    world = public_world
    set_exercise(world, "    type: twitter\n", "{rate: 1/s}")
    set_exercise(world, "    type: facebook\n", "{timeout: 10}")
    set_exercise(world, "    type: cap\n", '{contact: "0 800 000 111"}')
    set_exercise(world, "    type: web_banner\n", "{output_dir: ./public/status}")

    preview = cli(world.folder, "preview", "incident.yaml", "--exercise", "--json")
    assert preview.code == 0, preview.err
    skipped = {s["channel"]: s["reason"] for s in preview.json()["skipped_channels"]}
    assert set(skipped) >= {"twitter", "facebook", "alerts", "banner"}, skipped
    assert "sets only rate, not access_token" in skipped["twitter"]
    assert "sets only timeout, not page_id" in skipped["facebook"]
    assert "sets only contact, not output_dir" in skipped["alerts"]
    assert "output_dir ./public/status is its own real output_dir" in skipped["banner"]
    assert "after following links" in skipped["banner"]

    sent = cli(world.folder, "send", "incident.yaml", "--exercise", "--yes", "--json")
    assert sent.code == 0, sent.out[-3000:] + sent.err[-3000:]
    # The drill went where it may (the exercise list), and nowhere public.
    assert [m.to for m in world.twilio.messages()] == ["+33699000001"]
    nothing_public(world)


def test_a_drill_folder_that_leads_to_the_real_one_or_a_shared_account_is_refused(
    public_world: World,
) -> None:
    world = public_world
    # A link to the real folder, a folder inside another public channel's real folder, the
    # real Page and the real account under another variable's name.
    (world.folder / "public" / "status").mkdir(parents=True)
    (world.folder / "drill").mkdir()
    (world.folder / "drill" / "status").symlink_to(world.folder / "public" / "status")
    set_exercise(world, "    type: web_banner\n", "{output_dir: drill/status}")
    set_exercise(world, "    type: cap\n", "{output_dir: public/status/drill-cap}")
    set_exercise(world, "    type: facebook\n", f"{{page_id: '{DEFAULT_PAGE_ID}'}}")
    set_exercise(world, "    type: twitter\n", '{access_token: "${X_DRILL_ACCESS_TOKEN}"}')
    same_account = {"X_DRILL_ACCESS_TOKEN": SECRETS["X_ACCESS_TOKEN"]}

    preview = cli(
        world.folder, "preview", "incident.yaml", "--exercise", "--json", env=same_account
    )
    assert preview.code == 0, preview.err
    skipped = {s["channel"]: s["reason"] for s in preview.json()["skipped_channels"]}
    assert "drill/status is its own real output_dir" in skipped["banner"], skipped
    assert "lies inside channel banner's real output_dir" in skipped["alerts"], skipped
    assert "page_id is its own real one" in skipped["facebook"], skipped
    assert "access_token is its own real one" in skipped["twitter"], skipped
    # The secret itself is never said.
    assert SECRETS["X_ACCESS_TOKEN"] not in preview.out + preview.err

    sent = cli(
        world.folder, "send", "incident.yaml", "--exercise", "--yes", "--json", env=same_account
    )
    assert sent.code == 0, sent.out[-3000:] + sent.err[-3000:]
    nothing_public(world)
    assert not any((world.folder / "drill" / "status").iterdir())


def test_a_drill_destination_of_its_own_takes_part_marked(public_world: World) -> None:
    world = public_world
    set_exercise(world, "    type: web_banner\n", "{output_dir: drill/status}")
    set_exercise(world, "    type: cap\n", "{output_dir: drill/cap}")
    sent = cli(
        world.folder, "send", "incident.yaml", "--exercise", "--yes", "--json",
        "--channel", "banner", "--channel", "alerts",
    )  # fmt: skip
    assert sent.code == 0, sent.out[-3000:] + sent.err[-3000:]
    assert "EXERCICE" in (world.folder / "drill/status/banner.json").read_text("utf-8")
    assert "<status>Exercise</status>" in (world.folder / "drill/cap/latest.xml").read_text()
    nothing_public(world)
