"""The habits of a modern command line: --version, -h, completion, plain metavars, one JSON
document from tick, singular and plural said right."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from broadcast import __version__
from broadcast.terminal.console import count_of
from tests.world import World

COMMANDS = ("validate", "preview", "send", "retry", "tick", "status", "report", "init")


def broadcast(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "broadcast", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "100", "PATH": "/usr/bin:/bin"},
    )


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_is_printed(flag: str) -> None:
    done = broadcast(flag)
    assert (done.returncode, done.stdout.strip()) == (0, f"broadcast {__version__}")


def test_every_command_answers_h_with_plain_metavars() -> None:
    for command in COMMANDS:
        done = broadcast(command, "-h")
        assert done.returncode == 0, (command, done.stderr)
        usage = done.stdout.splitlines()[0]
        assert usage.startswith(f"Usage: python -m broadcast {command} [OPTIONS]"), usage
        # No {INCIDENT} brace expansion in the usage, no <list[str]> or <float> type names.
        assert "{" not in usage, usage
        assert not re.search(r"<(list|float|path|text|str)", done.stdout), (command, done.stdout)


def test_shell_completion_is_offered() -> None:
    done = broadcast("--help")
    assert "--install-completion" in done.stdout and "--show-completion" in done.stdout
    assert "-h, --help" in done.stdout


def test_tick_json_is_one_document_naming_each_file(world: World) -> None:
    incidents = world.folder / "incidents"
    incidents.mkdir()
    shutil.move(world.folder / "incident.yaml", incidents / "nord.yaml")
    (incidents / "broken.yaml").write_text("id: broken\nstatus: nonsense\n")
    result = world.run("tick", "incidents", "--yes", "--json")
    document = json.loads(result.stdout)  # one document, not several after one another
    assert result.exit_code == document["exit_code"] == 2
    files = {Path(item["file"]).name: item for item in document["incidents"]}
    assert set(files) == {"broken.yaml", "nord.yaml"}
    assert files["broken.yaml"]["exit_code"] == 2 and files["broken.yaml"]["ok"] is False
    assert files["nord.yaml"]["exit_code"] == 0 and files["nord.yaml"]["action"] == "new"
    assert files["nord.yaml"]["sent"] > 0


def test_counts_are_said_in_the_singular_and_the_plural() -> None:
    assert count_of(1, "delivery", "deliveries") == "1 delivery"
    assert count_of(3, "delivery", "deliveries") == "3 deliveries"
    assert count_of(0, "segment") == "0 segments"
    assert count_of(1, "segment") == "1 segment"


def test_warnings_are_said_on_a_real_send_and_written_to_the_cron_log(world: World) -> None:
    incident = world.folder / "incident.yaml"
    # 09:00 Paris is 08:00 UTC, before NOW (08:40 UTC): a promise already broken.
    incident.write_text(
        incident.read_text().replace(
            "next_update: dans 2h", "next_update: 2026-11-22T09:00:00+01:00"
        )
    )
    result = world.run("send", "incident.yaml", "--yes", "--channel", "sms", "--log-file", "c.log")
    assert result.exit_code == 0, result.output
    summary = result.output[result.output.index("4 sent, 0 failed.") :]
    assert "Sent with 2 warnings:" in summary
    # In the file's language (French: input.error_words).
    assert "champ next_update : l'heure promise du prochain point est passée" in " ".join(
        summary.split()
    )
    # The skipped row is named by its line; its value is masked (it is personal data).
    assert "field phone: the phone on this line is not a valid phone" in " ".join(summary.split())
    events = [json.loads(line) for line in (world.folder / "c.log").read_text().splitlines()]
    warnings = [e for e in events if e["event"] == "warning"]
    promise_line = 1 + next(
        n for n, line in enumerate(incident.read_text().splitlines()) if line.startswith("next_")
    )
    assert [(w["field"], w["line"]) for w in warnings] == [
        ("next_update", promise_line),
        ("phone", 6),
    ]

    incident.write_text(incident.read_text().replace("headline: ", "headline: Mise à jour. ", 1))
    code, document = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0 and document["sent"] == 4
    # The French headline changed and its English translation did not: said too.
    assert [w["field"] for w in document["warnings"]] == [
        "next_update",
        "translations.en.headline",
        "phone",
    ]


CLI = Path(__file__).resolve().parent.parent / "broadcast" / "cli.py"


def test_the_command_line_is_thin() -> None:
    """broadcast/cli.py parses arguments, calls broadcast.api and hands the results to the
    writer chosen when the command starts (broadcast/output.py): it imports no terminal view,
    branches on no --json, and stays small enough to read."""
    import ast

    text = CLI.read_text(encoding="utf-8")
    tree = ast.parse(text)
    views = [
        f"line {node.lineno}: {node.module}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("broadcast.terminal")
    ]
    json_branches = [
        f"line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.If | ast.IfExp)
        and any(isinstance(n, ast.Name) and n.id == "as_json" for n in ast.walk(node.test))
    ]
    long_functions = [
        f"{node.name}: {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > 80
    ]
    assert (views, json_branches, long_functions) == ([], [], [])
    assert len(text.splitlines()) <= 600
