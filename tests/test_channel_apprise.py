"""The long tail through Apprise, end to end: the real Apprise posting to json://, ntfy:// and
mmost:// endpoints on 127.0.0.1; each URL one delivery with its own outcome and retries; the
URLs are secrets; Apprise is never imported unless the channel sends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.peers.webhooks import WebhookServer
from tests.world import World

TOKEN = "yobjmukpaw3r3urc5h6i369yima"


@pytest.fixture
def team_world(world: World, webhook_server: WebhookServer) -> World:
    with (world.folder / "channels.yaml").open("a", encoding="utf-8") as out:
        out.write(
            "  teams:\n"
            "    type: apprise\n"
            '    urls: ["${JSON_HOOK}", "${NTFY_TOPIC}", "${MATTERMOST_HOOK}"]\n'
        )
    port = webhook_server.port
    world.hooks = webhook_server  # type: ignore[attr-defined]
    world.hook_env = {  # type: ignore[attr-defined]
        "JSON_HOOK": f"json://127.0.0.1:{port}/crisis",
        "NTFY_TOPIC": f"ntfy://127.0.0.1:{port}/energie-nord-crise",
        "MATTERMOST_HOOK": f"mmost://127.0.0.1:{port}/{TOKEN}",
    }
    return world


def send(world: World, *args: str) -> tuple[int, dict]:
    return world.run_json(
        "send",
        "incident.yaml",
        "--yes",
        "--channel",
        "teams",
        *args,
        env=world.hook_env,  # type: ignore[attr-defined]
    )


def test_each_url_gets_the_title_and_body_and_is_one_delivery(team_world: World) -> None:
    hooks: WebhookServer = team_world.hooks  # type: ignore[attr-defined]
    code, doc = send(team_world)
    assert code == 0, doc
    outcome = doc["delivery"][0]
    assert (outcome["sent"], outcome["failed"]) == (3, 0)
    [posted] = hooks.posts_to("/crisis")
    body = posted.json()
    assert body["title"] == "Énergie Nord · Coupure d'électricité dans le secteur Nord"
    assert body["message"].startswith("Coupure de courant à Lille et Roubaix depuis 8h10.")
    [topic] = [r for r in hooks.requests() if r.path == "/" and r.status == 200]
    assert topic.json()["topic"] == "energie-nord-crise"
    [mattermost] = hooks.posts_to(f"/hooks/{TOKEN}")
    assert "Coupure de courant" in mattermost.json()["text"]

    status = team_world.run("status", "incident.yaml", "--json", env=team_world.hook_env)
    assert json.loads(status.stdout)["channels"]["teams"]["sent"] == 3
    # The URLs are secrets: not in the output, not in the ledger.
    ledger = b"".join(
        p.read_bytes() for p in (team_world.folder / ".broadcast").rglob("*") if p.is_file()
    )
    for url in team_world.hook_env.values():  # type: ignore[attr-defined]
        assert url not in status.stdout and url.encode() not in ledger
    assert TOKEN.encode() not in ledger
    # A re-run sends nothing more.
    assert send(team_world)[1]["action"] == "nothing"
    assert len(hooks.posts_to("/crisis")) == 1


def test_one_refusing_url_fails_alone_and_a_busy_one_is_retried(team_world: World) -> None:
    hooks: WebhookServer = team_world.hooks  # type: ignore[attr-defined]
    hooks.refuse("/crisis", 404)
    # The first request of the run: json:// (the first URL) is told to slow down, which proves
    # nothing was posted (a 5xx would be maybe sent, held: tests/test_maybe_sent.py).
    hooks.rate_limit_next(retry_after=0)
    code, doc = send(team_world)
    assert code == 1
    outcome = doc["delivery"][0]
    assert (outcome["sent"], outcome["failed_by_reason"]) == (2, {"404": 1})
    [failure] = outcome["failures"]
    assert failure["permanent"] is True and failure["attempts"] == 2  # 429, then 404
    assert "error=404" in failure["error"] and "127.0.0.1" not in failure["error"]
    assert outcome["retries"] == 1
    assert len(hooks.posts_to(f"/hooks/{TOKEN}")) == 1


def test_a_url_written_in_the_file_is_refused_and_not_echoed(world: World) -> None:
    secret = f"mmost://127.0.0.1:1/{TOKEN}"
    with (world.folder / "channels.yaml").open("a", encoding="utf-8") as out:
        out.write(f"  teams:\n    type: apprise\n    urls: ['{secret}']\n")
    result = world.run("send", "incident.yaml", "--dry-run")
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "secrets come from the environment" in said and "TEAMS_URLS_1" in said
    assert TOKEN not in result.output


def test_a_missing_variable_names_it_and_sends_nothing(team_world: World) -> None:
    hooks: WebhookServer = team_world.hooks  # type: ignore[attr-defined]
    env = {k: v for k, v in team_world.hook_env.items() if k != "NTFY_TOPIC"}  # type: ignore[attr-defined]
    result = team_world.run("send", "incident.yaml", "--yes", "--channel", "teams", env=env)
    assert result.exit_code == 2
    assert "NTFY_TOPIC is not set" in " ".join(result.output.split())
    assert hooks.requests() == []


def test_preview_never_imports_apprise(tmp_path: Path) -> None:
    (tmp_path / "channels.yaml").write_text(
        "organisation: Énergie Nord\n"
        "defaults: {locale: fr, timezone: Europe/Paris}\n"
        'channels:\n  teams: {type: apprise, urls: ["${SLACK_WEBHOOK}"]}\n',
        encoding="utf-8",
    )
    probe = (
        "import sys\n"
        "from broadcast.cli import app\n"
        "try:\n"
        f"    app(['preview', {str(REPO / 'examples' / 'panne-nord.yaml')!r}, '--json'])\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0, done.code\n"
        "print('APPRISE', 'apprise' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "BROADCAST_NOW": "2026-11-22T08:40:00+00:00", "BROADCAST_CONFIG": ""},
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "APPRISE False" in done.stdout
