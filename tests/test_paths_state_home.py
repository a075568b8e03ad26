"""The test suite never writes to the user's real state folder (~/.local/state/broadcast).

The product keeps a machine registry of incidents under ``$XDG_STATE_HOME`` (ledger.registry).
Each test has its own (conftest ``incident_registry_home``), but a fixture of a wider scope, or
a process started outside a test function, saw the session's environment: without
``XDG_STATE_HOME`` there, a real ``broadcast send`` it ran wrote to ~/.local/state. The session
now has one of its own (``session_state_home``), and a guard fails a run that wrote there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import NOW, REPO, real_state_folder
from tests.world import SECRETS, World


@pytest.fixture(scope="module")
def module_environment() -> dict[str, str]:
    """The environment as a module-scoped fixture sees it (before any test's own fixtures)."""
    return dict(os.environ)


@pytest.mark.slow
def test_a_send_run_outside_a_test_function_keeps_to_the_sessions_state_home(
    module_environment: dict[str, str], world: World, tmp_path: Path
) -> None:
    state = module_environment.get("XDG_STATE_HOME", "")
    # Checked before anything runs: on the old conftest the send below would write to
    # the real ~/.local/state.
    assert state and Path(state).is_absolute(), "no XDG_STATE_HOME for the session"
    assert Path(module_environment.get("XDG_CONFIG_HOME", "")).is_absolute()
    real = real_state_folder({k: v for k, v in module_environment.items() if k != "XDG_STATE_HOME"})
    assert not Path(state).resolve().is_relative_to(real.parent.resolve())
    env = {
        **module_environment,
        **SECRETS,
        "BROADCAST_NOW": NOW.isoformat(),
        "BROADCAST_CONFIG": "",
    }
    done = subprocess.run(
        [sys.executable, "-m", "broadcast", "send", "incident.yaml", "--yes", "--json"],
        cwd=world.folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["action"] == "new"
    # The process ran this checkout's code, whatever the virtualenv has installed.
    ran = subprocess.run(
        [sys.executable, "-c", "import broadcast; print(broadcast.__file__)"],
        cwd=world.folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert Path(ran.stdout.strip()) == REPO / "broadcast" / "__init__.py", ran
    registry = Path(state) / "broadcast" / "incidents" / "panne-nord-2026-11-22.json"
    said = json.loads(registry.read_text(encoding="utf-8"))
    assert any(s["folder"] == str(world.folder) for s in said["senders"]), said
    # The recipient key (sealed contacts) likewise went to the session's config home.
    assert (Path(module_environment["XDG_CONFIG_HOME"]) / "broadcast" / "key").is_file()
