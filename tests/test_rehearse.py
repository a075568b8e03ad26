"""The rehearsal a team runs before a real crisis night (``python -m tests.rehearse DIR``,
docs/rehearse.md), tried as a new user would: the launcher as a process, then the real CLI's
preview, approval and send against it, and what the stand-ins received.
"""

from __future__ import annotations

import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest
import yaml

from tests.conftest import REPO

READY = "Rehearsal ready"
PEERS = {"twilio sms", "twilio call", "smtp", "x", "facebook", "apprise"}


def read_lines(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def until(lines: queue.Queue[str], seen: list[str], wanted: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not any(wanted in line for line in seen):
        left = deadline - time.monotonic()
        assert left > 0, f"the rehearsal never said {wanted!r}:\n{''.join(seen)}"
        try:
            seen.append(lines.get(timeout=left))
        except queue.Empty:
            continue


def sourced(env_file: Path) -> dict[str, str]:
    """The variables ``. ./rehearsal.env`` exports, as a shell would read them."""
    names: dict[str, str] = {}
    for line in env_file.read_text(encoding="utf-8").splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            names[name] = shlex.split(value)[0]
    return names


def broadcast(folder: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "broadcast", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_a_team_rehearses_a_crisis_night_with_nothing_real(tmp_path: Path) -> None:
    folder = tmp_path / "rehearsal"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("BROADCAST_", "TWILIO_"))}
    base |= {"PYTHONPATH": str(REPO), "COLUMNS": "120"}
    launcher = subprocess.Popen(
        [sys.executable, "-m", "tests.rehearse", str(folder)],
        cwd=REPO,
        env=base,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert launcher.stdout is not None
    threading.Thread(target=read_lines, args=(launcher.stdout, lines), daemon=True).start()
    seen: list[str] = []
    try:
        until(lines, seen, "Ctrl-C stops", 60)
        said = "".join(seen)
        assert READY in said
        for step in ("broadcast preview", "broadcast approve", "broadcast send", "received.jsonl"):
            assert step in said, said

        # Every channel of the copied starter points at a stand-in or a local folder.
        config = yaml.safe_load((folder / "channels.yaml").read_text(encoding="utf-8"))
        assert config["approval"] == {"required": True}
        channels = config["channels"]
        assert {c["type"] for c in channels.values()} >= {
            "sms", "voice", "email", "twitter", "web_banner", "facebook", "apprise",
        }  # fmt: skip
        for name, channel in channels.items():
            address = channel.get("api_base_url") or channel.get("host") or ""
            if channel["type"] in ("sms", "voice", "twitter", "facebook"):
                assert address.startswith("http://127.0.0.1:"), (name, address)
            if channel["type"] == "email":
                assert address == "127.0.0.1", (name, address)

        env = {**base, **sourced(folder / "rehearsal.env")}
        assert env["XDG_STATE_HOME"].startswith(str(folder))
        incident = "incidents/utility-fr.yaml"
        for args in (
            ("preview", incident),
            ("approve", incident, "--as", "bob", "--yes"),
            ("send", incident, "--as", "alice", "--yes"),
        ):
            done = broadcast(folder, env, *args)
            assert done.returncode == 0, (args, done.stdout + done.stderr)

        # What the stand-ins received, as the launcher logs it, once each.
        log = folder / "received.jsonl"
        deadline = time.monotonic() + 30
        while True:
            received = (
                [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
                if log.exists()
                else []
            )
            if {m["peer"] for m in received} >= PEERS and len(received) >= 12:
                break
            assert time.monotonic() < deadline, received
            time.sleep(0.3)
        sms = [m for m in received if m["peer"] == "twilio sms"]
        assert sorted(m["to"] for m in sms) == [
            "+33612345678", "+33612345679", "+33612345680", "+447400123456",
        ]  # fmt: skip
        assert all(m["text"].startswith("Lumea Énergie") for m in sms), sms
        # The landline the stand-in refuses an SMS (21614, as Twilio does) is called instead.
        calls = [m for m in received if m["peer"] == "twilio call"]
        assert [m["to"] for m in calls] == ["+33320000000"], calls
        assert "Lumea Énergie" in calls[0]["text"] and "<" not in calls[0]["text"], calls
        emails = [m for m in received if m["peer"] == "smtp"]
        assert len(emails) == 4 and "camille.martin@example.com" in {m["to"] for m in emails}
        assert (folder / "public" / "status" / "banner.json").is_file()
        until(lines, seen, "[twilio sms] to +33612345678", 10)
        assert len(received) == len({json.dumps(m, sort_keys=True) for m in received})
    finally:
        launcher.send_signal(signal.SIGINT)
        try:
            launcher.wait(timeout=20)
        finally:
            if launcher.poll() is None:
                launcher.kill()
    until(lines, seen, "Rehearsal over", 5)
    assert launcher.returncode == 0, "".join(seen)


def test_the_rehearsal_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "incident.yaml").write_text("id: x\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "tests.rehearse", str(tmp_path)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "is not empty" in done.stderr
    assert (tmp_path / "incident.yaml").read_text(encoding="utf-8") == "id: x\n"
