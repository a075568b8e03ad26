"""Cron-safe updates end to end: re-runs, new versions, reminders, locks, status, retry, tick.

The real CLI against the local Twilio, X and SMTP peers, with the clock pinned by
BROADCAST_NOW instead of sleeps.
"""

from __future__ import annotations

import fcntl
import json
import shutil
from pathlib import Path

import pytest

from broadcast.ledger.sqlite import Ledger
from tests.conftest import at
from tests.world import PHONES, SECRETS, World, edit

# The ledger's guarantees end to end: every test here runs on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines


def test_a_rerun_with_an_unchanged_file_sends_nothing_and_says_so(world: World) -> None:
    code, first = world.run_json("send", "incident.yaml", "--yes")
    assert (code, first["action"]) == (0, "new")
    counts = (len(world.twilio.messages()), len(world.smtp.received), len(world.x.posts()))
    code, second = world.run_json("send", "incident.yaml", "--yes", env=at(10))
    assert (code, second["action"], second["sent"]) == (0, "nothing", 0)
    assert "nothing new" in second["reason"]
    assert (len(world.twilio.messages()), len(world.smtp.received), len(world.x.posts())) == counts
    result = world.run("send", "incident.yaml", "--yes", env=at(11))
    assert result.exit_code == 0
    assert "Nothing to send" in result.output


def test_an_edited_incident_is_a_new_version_everywhere_and_a_reply_on_x(world: World) -> None:
    assert world.run_json("send", "incident.yaml", "--yes")[0] == 0
    edit(world, "status: investigating", "status: identified")
    code, doc = world.run_json("send", "incident.yaml", "--yes", env=at(30))
    assert (code, doc["action"]) == (0, "new")
    assert len(world.twilio.messages()) == 2 * len(PHONES)
    first, second = world.x.posts()
    assert second.in_reply_to == first.id
    assert first.text != second.text


def test_the_promise_is_kept_by_a_reminder_and_never_after_resolved(world: World) -> None:
    code, doc = world.run_json("send", "incident.yaml", "--yes")
    promised = doc["incident"]["next_update_at"]
    assert promised == "2026-11-22T11:40:00+01:00"
    # Before the promise: nothing. When it falls due: a reminder, rendered by its own templates.
    assert world.run_json("send", "incident.yaml", "--yes", env=at(119))[1]["action"] == "nothing"
    code, reminder = world.run_json("send", "incident.yaml", "--yes", env=at(121))
    assert (code, reminder["action"], reminder["reminder"]) == (0, "reminder", True)
    sms = next(c for c in reminder["channels"] if c["channel"] == "sms")
    update_text = world.twilio.messages()[0].body
    assert sms["text"] != update_text
    # The time it announces is the time the next reminder fires.
    assert reminder["incident"]["next_update_at"] == "2026-11-22T13:41:00+01:00"
    assert world.run_json("send", "incident.yaml", "--yes", env=at(240))[1]["action"] == "nothing"
    assert world.run_json("send", "incident.yaml", "--yes", env=at(242))[1]["action"] == "reminder"
    # Resolved: the last word, and no reminder after it. (A new headline too: an unchanged one
    # is refused once resolved.)
    edit(world, "status: investigating", "status: resolved")
    edit(world, "Rétablissement prévu vers 14h.", "Le courant est revenu partout.")
    edit(world, "We are restoring it; back around 14:00.", "Power is back everywhere.")
    assert world.run_json("send", "incident.yaml", "--yes", env=at(250))[1]["action"] == "new"
    code, doc = world.run_json("send", "incident.yaml", "--yes", env=at(600))
    assert (code, doc["action"]) == (0, "nothing")


def test_a_second_run_waits_for_the_lock_then_gives_up_with_a_clear_message(
    world: World,
) -> None:
    assert world.run_json("send", "incident.yaml", "--yes", "--channel", "banner")[0] == 0
    edit(world, "status: investigating", "status: identified")
    if world.engine:
        # A shared ledger: another host's live run holds the incident (its lease, not a file).
        other = Ledger(world.folder / "other-host", environ=world.engine)
        assert other.hold_incident("panne-nord-2026-11-22") is None
        try:
            result = world.run("send", "incident.yaml", "--yes", "--lock-timeout", "0.3")
        finally:
            other.close()
        said = "holds panne-nord-2026-11-22 (its lease runs"
    else:
        lock = world.folder / ".broadcast" / "locks" / "panne-nord-2026-11-22.lock"
        with lock.open("a") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            result = world.run("send", "incident.yaml", "--yes", "--lock-timeout", "0.3")
        said = "another broadcast is sending panne-nord-2026-11-22"
    assert result.exit_code == 3
    assert said in " ".join(result.output.split())
    assert world.twilio.requests() == []


@pytest.mark.slow
def test_retry_sends_the_transient_failures_again(world: World) -> None:
    world.twilio.set_number_error("+33612345680", 21611)  # the sender's queue is full: transient
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 1
    assert doc["delivery"][0]["failed_by_reason"] == {"21611": 1}
    code, status = world.run_json("status", "incident.yaml")
    assert status["channels"]["sms"]["sent"] == 3
    assert status["channels"]["sms"]["failed-transient"] == 1
    assert status["failures"] == {"sms": {"21611": 1}}
    world.twilio.clear_number_errors()
    assert world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")[1]["action"] == (
        "nothing"
    )
    code, doc = world.run_json("retry", "incident.yaml", "--yes", "--channel", "sms")
    assert (code, doc["sent"], doc["delivery"][0]["already"]) == (0, 1, 3)
    assert sorted(m.to for m in world.twilio.messages()) == sorted(PHONES)


def test_status_reports_versions_and_the_promise(world: World) -> None:
    code, status = world.run_json("status", "incident.yaml")
    assert (code, status["versions"]) == (0, [])
    world.run_json("send", "incident.yaml", "--yes")
    code, status = world.run_json("status", "incident.yaml", env=at(150))
    assert [v["kind"] for v in status["versions"]] == ["update"]
    assert status["channels"]["email"]["sent"] == 3
    assert status["overdue"] is True and status["overdue_by_minutes"] == 30
    result = world.run("status", "incident.yaml", env=at(150))
    assert "OVERDUE by 30 min" in result.output


def test_tick_keeps_every_incident_in_a_folder(world: World) -> None:
    incidents = world.folder / "incidents"
    incidents.mkdir()
    shutil.move(world.folder / "incident.yaml", incidents / "nord.yaml")
    storm = (Path(__file__).parent.parent / "examples" / "storm-en.yaml").read_text()
    (incidents / "storm.yaml").write_text(
        storm.replace("started_at: 2026-12-05", "started_at: 2026-11-21")
    )
    (incidents / "notes.txt").write_text("not an incident")
    result = world.run("tick", "incidents", "--yes", "--log-file", "cron.log")
    assert result.exit_code == 0, result.output
    again = world.run("tick", "incidents", "--yes", "--log-file", "cron.log", env=at(5))
    assert again.exit_code == 0
    assert again.output.count("Nothing to send") == 2
    events = [json.loads(line) for line in (world.folder / "cron.log").read_text().splitlines()]
    runs = [e["action"] for e in events if e["event"] == "run"]
    assert runs == ["new", "new", "nothing", "nothing"]
    deliveries = [e for e in events if e["event"] == "delivery"]
    assert {e["channel"] for e in deliveries} == {"sms", "email", "twitter", "banner"}
    text = (world.folder / "cron.log").read_text()
    assert "612345678" not in text  # hints only: the last four digits
    assert "…5678" in text
    assert not [secret for secret in SECRETS.values() if secret in text]
    ledger = b"".join(
        p.read_bytes() for p in (world.folder / ".broadcast").iterdir() if p.is_file()
    )
    assert not [s for s in SECRETS.values() if s.encode() in ledger]


def test_report_command_in_every_format(world: World) -> None:
    assert world.run_json("send", "incident.yaml", "--yes")[0] == 0
    code, data = world.run_json("report", "incident.yaml", env=at(60))
    assert code == 0
    assert set(data) >= {"speed", "versions", "promises", "channels", "reminders"}
    result = world.run("report", "incident.yaml", "--format", "md", "-o", "report.md")
    assert result.exit_code == 0, result.output
    assert (world.folder / "report.md").read_text().startswith("#")
    result = world.run("report", "incident.yaml", "--format", "html", "-o", "report.html")
    assert result.exit_code == 0
    page = (world.folder / "report.html").read_text()
    assert "<svg" in page and "<script" not in page
    assert '<link rel="stylesheet" href="report.css">' in page
    assert (world.folder / "report.css").is_file()  # beside the page it styles
    result = world.run("report", "incident.yaml", "--format", "pdf")
    assert result.exit_code == 2


def test_a_dry_run_says_what_a_real_send_would_do_now(world: World) -> None:
    code, doc = world.run_json("send", "incident.yaml", "--dry-run")
    assert (code, doc["action"]) == (0, "new")
    if world.engine:  # a dry run records nothing in the shared ledger
        assert world.run_json("status", "incident.yaml")[1]["versions"] == []
    else:  # a dry run writes nothing
        assert not (world.folder / ".broadcast").exists()
    world.run_json("send", "incident.yaml", "--yes")
    code, doc = world.run_json("send", "incident.yaml", "--dry-run", env=at(30))
    assert (code, doc["action"], doc["sent"]) == (0, "nothing", 0)
    # When the promise falls due, the dry run shows the reminder a real send would carry.
    code, doc = world.run_json("send", "incident.yaml", "--dry-run", env=at(125))
    assert (doc["action"], doc["reminder"]) == ("reminder", True)
    sms = next(c for c in doc["channels"] if c["channel"] == "sms")
    assert sms["text"] != world.twilio.messages()[0].body
    result = world.run("send", "incident.yaml", "--dry-run", env=at(125))
    assert "A real send now would send this reminder" in result.output
    assert len(world.twilio.messages()) == 4  # and it sent nothing
