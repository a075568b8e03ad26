"""The command line, end to end: the real commands on real files, as a user runs them."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from broadcast.api.previews import _prepare
from broadcast.cli import app
from broadcast.terminal.preview import show_preview
from tests.conftest import NOW, write

NO_SECRETS = {
    name: ""
    for name in (
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "SMTP_USER",
        "SMTP_PASSWORD",
        "X_CONSUMER_KEY",
        "X_CONSUMER_SECRET",
        "X_ACCESS_TOKEN",
        "X_ACCESS_TOKEN_SECRET",
    )
}
ENV = {"BROADCAST_NOW": NOW.isoformat(), "BROADCAST_CONFIG": "", "COLUMNS": "100", **NO_SECRETS}


def run(project: Path, *args: str, env: dict[str, str] | None = None):
    """Run the CLI in ``project`` as the current directory, as a user would."""
    old = Path.cwd()
    os.chdir(project)
    try:
        return CliRunner().invoke(app, list(args), env={**ENV, **(env or {})})
    finally:
        os.chdir(old)


def run_json(project: Path, *args: str) -> tuple[int, dict]:
    result = run(project, *args, "--json")
    return result.exit_code, json.loads(result.stdout)


def test_validate_the_shipped_example(project: Path) -> None:
    result = run(project, "validate", "examples/panne-nord.yaml")
    assert result.exit_code == 0, result.output
    assert "ready on 4 channels" in result.output


def test_a_preview_shows_brackets_and_colons_as_written(project: Path) -> None:
    """Square brackets and :words: in a text are what the channel sends: the preview must not
    read them as terminal markup or emoji codes."""
    incident = project / "examples" / "panne-nord.yaml"
    text = incident.read_text(encoding="utf-8")
    said = "Coupure de courant à Lille et Roubaix depuis 8h10."
    incident.write_text(text.replace(said, f"{said} [urgent] :fire:.", 1), encoding="utf-8")
    result = run(project, "preview", "examples/panne-nord.yaml", env={"COLUMNS": "200"})
    assert result.exit_code in (0, 2), result.output
    assert "🔥" not in result.output
    # The SMS, the email's text part, the X post and the banner each show it as written.
    assert result.output.count("[urgent] :fire:") >= 4, result.output


def test_json_document_has_every_channel_and_measure(project: Path) -> None:
    code, doc = run_json(project, "preview", "examples/panne-nord.yaml")
    assert code == 0
    assert doc["ok"] is True
    assert doc["incident"]["next_update_at"] == "2026-11-22T11:40:00+01:00"
    channels = {c["channel"]: c for c in doc["channels"]}
    assert {c: channels[c]["type"] for c in channels} == {
        "sms": "sms",
        "email": "email",
        "twitter": "twitter",
        "banner": "web_banner",
    }
    headline = "Coupure de courant à Lille et Roubaix depuis 8h10. Rétablissement prévu vers 14h."
    for name in ("sms", "twitter", "banner"):
        assert headline in channels[name]["text"]
    assert headline in channels["email"]["text"]
    assert channels["sms"]["encoding"] in ("GSM-7", "UCS-2")
    assert 1 <= channels["sms"]["segments"] <= 3
    assert 0 < channels["twitter"]["weighted_length"] <= 280
    assert "\n" not in channels["email"]["subject"]
    assert channels["email"]["html"].lstrip().lower().startswith("<!doctype html")
    # examples/contacts.csv: four rows with a phone, four with an email.
    assert (channels["sms"]["recipients"], channels["email"]["recipients"]) == (4, 4)
    assert channels["twitter"]["recipients"] is None
    assert all(c["problems"] == [] for c in doc["channels"])


def test_preview_shows_each_panel_with_its_measures(project: Path) -> None:
    result = run(project, "preview", "examples/panne-nord.yaml")
    assert result.exit_code == 0, result.output
    for label in ("sms · sms · fr", "email · email", "twitter · twitter", "banner · web_banner"):
        assert label in result.output
    assert "segment" in result.output
    assert "/280 weighted" in result.output
    # contacts.csv: three French readers and one English one, each shown their message.
    assert "3 recipients in fr" in result.output
    assert "1 recipient in en" in result.output
    assert "sms · sms · en" in result.output
    assert "Subject:" in result.output


def test_one_channel_only_and_an_unknown_one(project: Path) -> None:
    code, doc = run_json(project, "preview", "examples/panne-nord.yaml", "--channel", "sms")
    assert code == 0
    assert [c["channel"] for c in doc["channels"]] == ["sms"]
    code, doc = run_json(project, "preview", "examples/panne-nord.yaml", "--channel", "smss")
    assert code == 2
    (problem,) = doc["problems"]
    assert "did you mean 'sms'" in problem["message"]


def test_dry_run_needs_no_credentials_and_sends_nothing(project: Path) -> None:
    result = run(project, "send", "examples/panne-nord.yaml", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was sent" in result.output
    code, doc = run_json(project, "send", "examples/panne-nord.yaml", "--dry-run")
    assert (code, doc["dry_run"], doc["sent"]) == (0, True, 0)


def test_real_send_names_each_missing_credential(project: Path) -> None:
    code, doc = run_json(project, "send", "examples/panne-nord.yaml", "--channel", "sms")
    assert code == 2
    problems = doc["channels"][0]["problems"]
    assert {p["field"] for p in problems} == {"account_sid", "auth_token"}
    assert all(p["channel"] == "sms" and p["line"] for p in problems)


def test_undefined_template_variable_names_template_and_line(project: Path) -> None:
    override = write(
        project / "templates" / "fr" / "sms.txt.j2", "{{ organisation }}\n{{ headlin }}\n"
    )
    code, doc = run_json(project, "validate", "examples/panne-nord.yaml")
    assert code == 2
    sms = next(c for c in doc["channels"] if c["channel"] == "sms")
    (problem,) = sms["problems"]
    assert Path(problem["file"]) == override
    assert (problem["line"], problem["field"]) == (2, "template")
    assert "headlin" in problem["message"]


def test_user_templates_override_the_shipped_ones(project: Path) -> None:
    write(project / "templates" / "fr" / "tweet.txt.j2", "ALERTE {{ headline }}")
    code, doc = run_json(project, "preview", "examples/panne-nord.yaml", "--channel", "twitter")
    assert code == 0
    assert doc["channels"][0]["text"].startswith("ALERTE Coupure de courant")


def test_sms_over_max_segments_is_refused(project: Path) -> None:
    config = project / "channels.yaml"
    config.write_text(config.read_text().replace("max_segments: 3", "max_segments: 1"))
    # The example fits one segment once the link and the apology are dropped (they may be):
    # a longer headline, which is never dropped, does not.
    incident = project / "examples" / "panne-nord.yaml"
    incident.write_text(
        incident.read_text(encoding="utf-8").replace(
            "Rétablissement prévu vers 14h.",
            "Nos techniciens réparent le câble abîmé rue de la Gare, retour prévu vers 14h.",
        ),
        encoding="utf-8",
    )
    code, doc = run_json(project, "send", "examples/panne-nord.yaml", "--dry-run")
    assert code == 2
    sms = next(c for c in doc["channels"] if c["channel"] == "sms")
    assert any(p["field"] == "max_segments" for p in sms["problems"])


def test_preview_and_dry_run_say_what_the_sms_left_out(project: Path) -> None:
    """The core reports what it dropped to fit max_segments; the terminal shows it."""
    config = project / "channels.yaml"
    code, doc = run_json(project, "preview", "examples/panne-nord.yaml", "--channel", "sms")
    assert code == 0 and doc["channels"][0]["dropped"] == []
    config.write_text(config.read_text().replace("max_segments: 3", "max_segments: 1"))
    code, doc = run_json(project, "preview", "examples/panne-nord.yaml", "--channel", "sms")
    assert code == 0
    sms = doc["channels"][0]
    # In the documented order: thanks (not in this SMS), the link, then the short apology.
    assert sms["dropped"] == ["the status page link", "the short apology"]
    assert "https://" not in sms["text"] and sms["segments"] == 1
    assert sms["variants"]["en"]["dropped"] == sms["dropped"]
    for command in (("preview",), ("send", "--dry-run")):
        result = run(project, *command, "examples/panne-nord.yaml", "--channel", "sms")
        assert result.exit_code == 0, result.output
        said = "Left out to fit 1 segment: the status page link, the short apology."
        assert result.output.count(said) == 2, result.output  # French and English


def test_headline_too_long_for_one_post(project: Path) -> None:
    incident = project / "examples" / "panne-nord.yaml"
    text = incident.read_text(encoding="utf-8")
    long_headline = "Coupure " + "très longue " * 30
    lines = [
        f"headline: {long_headline}" if line.startswith("headline:") else line
        for line in text.splitlines()
    ]
    incident.write_text("\n".join(lines), encoding="utf-8")
    code, doc = run_json(project, "validate", "examples/panne-nord.yaml")
    assert code == 2
    (problem,) = [p for p in doc["problems"] if p["field"] == "headline" and "280" in p["message"]]
    assert problem["line"] == 1 + next(
        i for i, line in enumerate(lines) if line.startswith("headline:")
    )
    assert "280" in problem["message"]


def test_subject_with_a_line_break_is_a_problem(project: Path) -> None:
    write(project / "templates" / "fr" / "email_subject.txt.j2", "{{ title }}\nsecond line")
    code, doc = run_json(project, "validate", "examples/panne-nord.yaml")
    assert code == 2
    email = next(c for c in doc["channels"] if c["channel"] == "email")
    assert [p["field"] for p in email["problems"]] == ["subject"]


def test_config_from_environment_variable(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run(
        elsewhere,
        "validate",
        str(project / "examples" / "panne-nord.yaml"),
        env={"BROADCAST_CONFIG": str(project / "channels.yaml")},
    )
    assert result.exit_code == 0, result.output


def test_init_writes_a_working_starter(tmp_path: Path) -> None:
    target = tmp_path / "crisis"
    result = run(tmp_path, "init", str(target))
    assert result.exit_code == 0, result.output
    assert (target / "channels.yaml").is_file()
    assert (target / "templates" / "fr" / "sms.txt.j2").is_file()
    code, doc = run_json(
        tmp_path,
        "validate",
        str(target / "examples" / "panne-nord.yaml"),
        "--config",
        str(target / "channels.yaml"),
    )
    assert code == 0, doc
    again = run(tmp_path, "init", str(target))
    assert again.exit_code == 2
    # The terminal folds the paragraph at its width, wherever a long temporary path ends.
    assert "already there" in " ".join(again.output.split())


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("id: x\ntitle: Coupure: Nord\n", ":2"),
        # No locale: channels.yaml's default (fr) says the file's language, and its errors'.
        ("id: x\nstatus: investigating\n", "manque"),
        ("- just\n- a list\n", "champ: valeur"),
    ],
)
def test_bad_incident_exits_2_with_a_located_message_and_no_traceback(
    project: Path, content: str, words: str
) -> None:
    """A real process, so what the user sees on the terminal is what we check."""
    write(project / "bad.yaml", content)
    done = subprocess.run(
        [sys.executable, "-m", "broadcast", "validate", "bad.yaml"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        timeout=60,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output
    assert "bad.yaml" in output
    assert words in output


def test_missing_incident_file_is_bad_input(project: Path) -> None:
    result = run(project, "preview", "nope.yaml")
    assert result.exit_code == 2
    # Said in the language of channels.yaml's default locale (French): the file has none.
    assert "le fichier d'incident est introuvable" in " ".join(result.output.split())


def test_preview_path_never_imports_the_provider_sdks(project: Path) -> None:
    """twilio and tweepy cost most of a second at import: cron and previews must not pay it."""
    probe = (
        "import sys\n"
        "from broadcast.cli import app\n"
        "for command in ('preview', 'validate'):\n"
        "    try:\n"
        "        app([command, 'examples/panne-nord.yaml', '--json'])\n"
        "    except SystemExit as done:\n"
        "        assert done.code == 0, done.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('twilio', 'tweepy'))\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stdout


# What a second preview of the shipped example must not load: the provider SDKs and their HTTP
# stack, the PostgreSQL driver, the address checks (the recipients were counted by the first
# preview), the ledger's sealing, the sending machinery, importlib.metadata (a scan of every
# installed package's metadata), and pydantic (our models check themselves: input.schema).
NOT_FOR_A_PREVIEW = (
    "pydantic",
    "twilio",
    "tweepy",
    "requests",
    "apprise",
    "psycopg",
    "email_validator",
    "cryptography",
    "broadcast.delivery.sending",
    "broadcast.delivery.dispatch",
    "broadcast.ledger.sqlite",
    "importlib.metadata",
    # A channel is one module (broadcast.channels.*) whose model and facts every stage reads,
    # a preview included; what its adapter sends with is imported only when it sends: the SDKs
    # above, and the standard library's mail and logging machinery.
    "smtplib",
    "email.message",
    "logging",
    # rich's table of emoji codes: every title and text is shown as written, not ":fire:" as 🔥.
    "rich._emoji_codes",
    # The send's set of addresses already queued (a preview counts an unchanged list from cache).
    "sqlite3",
)


def test_a_preview_at_a_terminal_loads_only_what_it_shows(project: Path) -> None:
    """The real command in a new process, every module it imports listed by ``-X importtime``:
    its start-up is what a person waits for (see bench/bench_preview.py). The second preview
    is looked at, as when someone edits an incident and looks again: the first counted the
    recipients (checking every address) and compiled the templates."""
    command = [sys.executable, "-m", "broadcast", "preview", "examples/panne-nord.yaml"]
    for options in ([], ["-X", "importtime"]):
        done = subprocess.run(
            [command[0], *options, *command[1:]],
            cwd=project,
            capture_output=True,
            text=True,
            env={**os.environ, **ENV},
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert {"broadcast.delivery.preflight", "broadcast.terminal.preview"} <= imported
    loaded = sorted(
        name
        for name in imported
        if any(name == heavy or name.startswith(heavy + ".") for heavy in NOT_FOR_A_PREVIEW)
    )
    assert loaded == []


def test_a_preview_runs_without_the_cycle_collector_and_gives_it_back(project: Path) -> None:
    """A preview is all start-up: the cyclic garbage collector, which would rescan what the
    imports made, is paused while it runs (about a tenth of its CPU), and running again after,
    as a long-lived process (this one) needs it."""
    collections: list[int] = []
    in_the_preview: list[int] = []
    work = {_prepare.__code__, show_preview.__code__}

    def count(phase: str, info: dict[str, int]) -> None:
        if phase != "start":
            return
        collections.append(info["generation"])
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code in work:
                in_the_preview.append(info["generation"])
            frame = frame.f_back

    assert gc.isenabled()
    gc.callbacks.append(count)
    try:
        result = run(project, "preview", "examples/panne-nord.yaml")
        collections.clear()
        gc.collect()
    finally:
        gc.callbacks.remove(count)
    assert result.exit_code == 0, result.output
    assert in_the_preview == []
    assert gc.isenabled()
    assert collections == [2]


def test_a_command_that_runs_long_has_the_cycle_collector(tmp_path: Path) -> None:
    """``python -m broadcast`` loads the command line with the collector paused; every command
    but a preview or a validation (a send, a tick...) runs with it."""
    gc.disable()
    try:
        result = run(tmp_path, "init", "crisis")
        collecting = gc.isenabled()
    finally:
        gc.enable()
    assert result.exit_code == 0, result.output
    assert collecting


def test_init_with_a_sector_and_a_misspelt_one(tmp_path: Path) -> None:
    result = run(tmp_path, "init", "crisis", "--sector", "public")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "crisis" / "examples" / "public-fr.yaml").is_file()
    assert "public-fr.yaml" in result.output
    wrong = run(tmp_path, "init", "other", "--sector", "banque")
    assert wrong.exit_code == 2
    assert "did you mean 'bank'" in wrong.output
    assert not (tmp_path / "other").exists()
