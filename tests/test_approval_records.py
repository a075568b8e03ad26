"""Issue 22 principle 1, follow-ups: what the ledger and every view say about a send under an
approval is true, and an incident once under approval stays under it.

The real CLI against the local Twilio, X and SMTP peers (and PostgreSQL where marked):

- a send renders at its approval's moment, yet it went out later: ``status`` (table and JSON),
  the report and the ledger say when it was handed out, and apart from it the moment its texts
  speak for and when it was approved;
- lowering the severity below ``approval.min_severity`` (or raising the rule) does not lift
  the second person's check from an incident that went out under one;
- the sender's signature is kept with the version, and ``status`` says who signed.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from broadcast.delivery.approval import sender_message
from tests.conftest import at
from tests.test_approval import nothing_sent, require_approval, said
from tests.test_approval_principles import CHEMICAL, custom_template, keys  # noqa: F401
from tests.world import PHONES, World, edit

# The slow tier (tests/conftest.py): approve-and-send cycles, seconds each.
pytestmark = pytest.mark.slow


def query(world: World, sql: str) -> list[tuple[Any, ...]]:
    """Rows of the ledger, on SQLite or PostgreSQL."""
    url = world.engine.get("BROADCAST_LEDGER")
    if url:
        import psycopg

        with psycopg.connect(url) as connection:
            return [tuple(row) for row in connection.execute(sql).fetchall()]
    db = sqlite3.connect(world.folder / ".broadcast" / "ledger.sqlite3")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def version_rows(world: World) -> list[dict[str, Any]]:
    """The versions as the ledger stores them."""
    names = ["id", "sent_by", "created_at", "sent_at", "approval_id", "sender_signature"]
    rows = query(world, f"SELECT {', '.join(names)} FROM versions ORDER BY id")
    return [dict(zip(names, row, strict=True)) for row in rows]


def sms_count(world: World) -> int:
    return len(world.twilio.messages())


# -- a. the time a version went out is the time it was handed out -------------------------


@pytest.mark.both_engines
def test_a_send_under_an_approval_says_when_it_went_out_and_when_its_texts_speak_for(
    world: World,
) -> None:
    require_approval(world)
    # bob approves at 09:40 (Paris); alice sends at 09:45: the texts say 09:40, as approved.
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "alice", env=at(5))
    assert (code, doc["action"]) == (0, "new")
    code, status = world.run_json("status", "incident.yaml", env=at(6))
    (version,) = status["versions"]
    assert version["sent_at"].startswith("2026-11-22T09:45")
    assert version["texts_at"].startswith("2026-11-22T09:40")
    assert version["approved_at"].startswith("2026-11-22T09:40")
    # The promise is counted from the moment the texts speak for, as they say it.
    assert version["next_update_at"].startswith("2026-11-22T11:40")
    shown = said(world.run("status", "incident.yaml", env=at(6)))
    assert "#1 update (investigating) sent at 2026-11-22 09:45 CET" in shown
    assert (
        "#1: sent by alice, approved by bob at 2026-11-22 09:40 CET; its texts speak for "
        "2026-11-22 09:40 CET, as approved"
    ) in shown
    # The ledger keeps both moments.
    (row,) = version_rows(world)
    assert str(row["sent_at"]).startswith("2026-11-22T08:45")
    assert str(row["created_at"]).startswith("2026-11-22T08:40")
    # The report: the texts' moment, and when it went out.
    code, report = world.run_json("report", "incident.yaml", env=at(7))
    (reported,) = report["versions"]
    assert reported["sent_at"].startswith("2026-11-22T09:45")
    assert reported["texts_at"].startswith("2026-11-22T09:40")
    markdown = said(world.run("report", "incident.yaml", "--format", "md", env=at(7)))
    assert "textes à" in markdown and "| 09:40 |" in markdown and "| 09:45 |" in markdown


def test_a_copy_of_an_approved_incident_is_refused_naming_when_it_went_out(world: World) -> None:
    require_approval(world)
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    assert world.run_json("send", "incident.yaml", "--yes", "--as", "alice", env=at(5))[0] == 0
    # Another content under the same id (the same content would be that incident, #22.17).
    copy = world.folder / "copy.yaml"
    text = (world.folder / "incident.yaml").read_text(encoding="utf-8")
    copy.write_text(text.replace("headline: ", "headline: Copie. ", 1), encoding="utf-8")
    result = world.run("send", "copy.yaml", "--yes", "--as", "alice", env=at(6))
    assert result.exit_code == 2
    assert "first sent at 2026-11-22 09:45 CET" in said(result), result.output


def test_a_reminder_sent_late_by_cron_says_when_it_went_out(world: World) -> None:
    require_approval(world)
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    assert world.run_json("send", "incident.yaml", "--yes", "--as", "alice")[0] == 0
    # Cron runs 7 minutes late: the reminder speaks for 11:40 (its due moment), sent at 11:47.
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "cron", env=at(127))
    assert (code, doc["action"]) == (0, "reminder"), doc
    code, status = world.run_json("status", "incident.yaml", env=at(128))
    reminder = status["versions"][-1]
    assert reminder["kind"] == "reminder"
    assert reminder["texts_at"].startswith("2026-11-22T11:40")
    assert reminder["sent_at"].startswith("2026-11-22T11:47")
    shown = said(world.run("status", "incident.yaml", env=at(128)))
    assert "#2 reminder (investigating) sent at 2026-11-22 11:47 CET" in shown
    assert "#2: sent by cron, approved by bob" in shown
    assert "its texts speak for 2026-11-22 11:40 CET" in shown
    # The status page is one of the approved texts: it names the moment they speak for.
    page = (world.folder / "public" / "status" / "panne-nord-2026-11-22.html").read_text()
    assert "11h40" in page and "11h47" not in page


def test_a_send_without_approval_went_out_when_its_texts_say(world: World) -> None:
    assert world.run_json("send", "incident.yaml", "--yes", "--as", "alice", env=at(5))[0] == 0
    _, status = world.run_json("status", "incident.yaml", env=at(6))
    (version,) = status["versions"]
    assert version["sent_at"][:16] == version["texts_at"][:16] == "2026-11-22T09:45"
    shown = said(world.run("status", "incident.yaml", env=at(6)))
    assert "#1 update (investigating) sent at 2026-11-22 09:45 CET" in shown
    assert "#1: sent by alice" in shown and "speak for" not in shown


# -- b. once under approval, always under approval ----------------------------------------


def min_severity(world: World, level: str = "major") -> None:
    require_approval(world, f"{{min_severity: {level}}}")


def approved_and_sent(world: World, incident: str = "incident.yaml") -> None:
    assert world.run("approve", incident, "--yes", "--as", "bob").exit_code == 0
    code, doc = world.run_json("send", incident, "--yes", "--as", "alice", env=at(1))
    assert (code, doc["action"]) == (0, "new"), doc
    assert sms_count(world) == len(PHONES)


@pytest.mark.both_engines
def test_lowering_the_severity_does_not_lift_the_approval(world: World) -> None:
    min_severity(world)
    (world.folder / "cron").mkdir()
    (world.folder / "incident.yaml").rename(world.folder / "cron" / "incident.yaml")
    incident = "cron/incident.yaml"
    approved_and_sent(world, incident)
    # The next version says "minor": below min_severity, but the incident went out under
    # bob's approval, so this version needs one too.
    path = world.folder / incident
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("severity: major", "severity: minor", 1).replace(
            # (words, not a fact: a time moved in French alone would be a wording error)
            "Coupure de courant à Lille",
            "Panne de courant à Lille",
            1,
        ),
        encoding="utf-8",
    )
    # A dry run says so already.
    dry = world.run("send", incident, "--dry-run", "--as", "alice", env=at(10))
    assert "below approval.min_severity" in said(dry), dry.output
    result = world.run("send", incident, "--yes", "--as", "alice", env=at(10))
    assert result.exit_code == 2, result.output
    text = said(result)
    assert "severity is now minor, below approval.min_severity (major)" in text
    assert "went out under bob's approval" in text
    assert f"broadcast approve {incident}" in text and "Traceback" not in text
    assert sms_count(world) == len(PHONES)
    # cron's tick does not send it either.
    result = world.run("tick", "cron", "--yes", env=at(11, BROADCAST_USER="mallory"))
    assert result.exit_code == 2 and "below approval.min_severity" in said(result)
    assert sms_count(world) == len(PHONES)
    # bob approves the minor version: then it goes, under his approval.
    assert world.run("approve", incident, "--yes", "--as", "bob", env=at(12)).exit_code == 0
    code, doc = world.run_json("send", incident, "--yes", "--as", "alice", env=at(13))
    assert (code, doc["action"]) == (0, "new"), doc
    assert sms_count(world) == 2 * len(PHONES)
    rows = version_rows(world)
    assert [bool(r["approval_id"]) for r in rows] == [True, True]


def test_a_correction_of_an_approved_incident_needs_approval_at_any_severity(
    world: World,
) -> None:
    from tests.test_correction import cancel

    min_severity(world)
    approved_and_sent(world)
    cancel(world)
    edit(world, "severity: major", "severity: minor")
    result = world.run("send", "incident.yaml", "--yes", "--as", "alice", env=at(10))
    assert result.exit_code == 2 and "below approval.min_severity" in said(result)
    assert sms_count(world) == len(PHONES)


def test_a_rule_raised_after_an_approved_send_still_checks_its_reminders(world: World) -> None:
    min_severity(world)
    approved_and_sent(world)
    # channels.yaml now asks approval for critical incidents only, and the reminder template
    # is edited: the reminder is not a text bob approved, so it waits.
    path = world.folder / "channels.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "approval: {min_severity: major}", "approval: {min_severity: critical}"
        ),
        encoding="utf-8",
    )
    custom_template(world, "reminder_sms.txt.j2", CHEMICAL + "\n")
    result = world.run("send", "incident.yaml", "--yes", "--as", "mallory", env=at(121))
    assert result.exit_code == 2, result.output
    text = said(result)
    assert "sms · fr · text" in text and "went out under bob's approval" in text
    assert not any("CHIMIQUE" in m.body for m in world.twilio.messages())
    # Put back, the reminder bob approved goes.
    (world.folder / "templates" / "fr" / "reminder_sms.txt.j2").unlink()
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "mallory", env=at(122))
    assert (code, doc["action"]) == (0, "reminder"), doc


def test_a_minor_incident_never_approved_still_goes_without_approval(world: World) -> None:
    min_severity(world)
    edit(world, "severity: major", "severity: minor")
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "alice", env=at(1))
    assert (code, doc["action"]) == (0, "new"), doc
    # A change of words, not of a fact (a time moved in French alone would be a wording error).
    edit(world, "Coupure de courant à Lille", "Panne de courant à Lille")
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "alice", env=at(5))
    assert (code, doc["action"]) == (0, "new"), doc


# -- c. who sent, and whether they signed --------------------------------------------------


def verify(signers: Path, principal: str, signature: str, message: bytes) -> bool:
    folder = signers.parent
    sig = folder / "stored.sig"
    sig.write_text(signature)
    done = subprocess.run(
        [
            "ssh-keygen",
            "-Y",
            "verify",
            "-f",
            str(signers),
            "-I",
            principal,
            "-n",
            "broadcast",
            "-s",
            str(sig),
        ],
        input=message,
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@pytest.mark.both_engines
def test_the_senders_signature_is_kept_and_status_says_who_signed(
    world: World,
    keys: dict[str, Path],  # noqa: F811 (the fixture of test_approval_principles)
) -> None:
    bob, alice = str(keys["bob"]), str(keys["alice"])
    assert (
        world.run("approve", "incident.yaml", "--yes", "--as", "bob", "--key", bob).exit_code == 0
    )
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--as", "alice", "--key", alice, env=at(1)
    )
    assert (code, doc["action"]) == (0, "new")
    shown = said(world.run("status", "incident.yaml", env=at(2)))
    assert "#1 update (investigating) sent at 2026-11-22 09:41 CET" in shown
    assert "#1: sent by alice (signed), approved by bob (signed) at" in shown
    code, status = world.run_json("status", "incident.yaml", env=at(2))
    (version,) = status["versions"]
    assert (version["sender_signed"], version["approval_signed"]) == (True, True)
    # The ledger keeps alice's signature: it proves, later, that she sent under bob's
    # approval (of these very texts, as a real alert), and it is not bob's.
    (row,) = version_rows(world)
    signature = row["sender_signature"]
    assert signature.startswith("-----BEGIN SSH SIGNATURE-----")
    (texts,) = query(world, "SELECT texts_hash FROM approvals")
    approval = hashlib.sha256(texts[0].encode()).hexdigest()
    signers = world.folder / "allowed_signers"
    message = sender_message("panne-nord-2026-11-22", "real", approval, "alice")
    assert verify(signers, "alice", signature, message)
    assert not verify(signers, "bob", signature, message)
    assert not verify(signers, "alice", signature, message.replace(b"real", b"exercise"))
    code, report = world.run_json("report", "incident.yaml", env=at(4))
    assert report["versions"][0]["sender_signed"] is True
    markdown = said(world.run("report", "incident.yaml", "--format", "md", env=at(4)))
    assert "n°1 envoyé par alice (signé), approuvé par bob (signé)." in markdown


@pytest.mark.both_engines
def test_who_sent_the_rest_of_a_version_is_kept_with_their_signature(
    world: World,
    keys: dict[str, Path],  # noqa: F811 (the fixture of test_approval_principles)
) -> None:
    bob, alice = str(keys["bob"]), str(keys["alice"])
    assert (
        world.run("approve", "incident.yaml", "--yes", "--as", "bob", "--key", bob).exit_code == 0
    )
    # alice sends the SMS at 09:41 with her key; carol, whose key nobody lists, cannot send the
    # rest; at 09:50 alice sends the rest, signed again.
    code, doc = world.run_json(
        "send",
        "incident.yaml",
        "--yes",
        "--as",
        "alice",
        "--key",
        alice,
        "--channel",
        "sms",
        env=at(1),
    )
    assert (code, doc["action"]) == (0, "new")
    result = world.run("send", "incident.yaml", "--yes", "--as", "carol", env=at(5))
    assert result.exit_code == 2 and "the sender must prove who they are" in said(result)
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--as", "alice", "--key", alice, env=at(10)
    )
    assert (code, doc["action"]) == (0, "continue"), doc
    code, status = world.run_json("status", "incident.yaml", env=at(11))
    (version,) = status["versions"]
    (later,) = version["continued_by"]
    assert (later["by"], later["signed"]) == ("alice", True)
    assert later["at"].startswith("2026-11-22T09:50")
    shown = said(world.run("status", "incident.yaml", env=at(11)))
    assert (
        "#1: sent by alice (signed), continued by alice (signed) at 2026-11-22 09:50 CET, "
        "approved by bob (signed)"
    ) in shown
    (signature,) = query(world, "SELECT sender_signature FROM continued_by")[0]
    assert signature.startswith("-----BEGIN SSH SIGNATURE-----")


def test_a_rest_sent_by_another_person_names_them(world: World) -> None:
    require_approval(world)
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    code, _ = world.run_json(
        "send", "incident.yaml", "--yes", "--as", "alice", "--channel", "sms", env=at(1)
    )
    assert code == 0
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "carol", env=at(3))
    assert (code, doc["action"]) == (0, "continue"), doc
    shown = said(world.run("status", "incident.yaml", env=at(4)))
    assert "#1: sent by alice, continued by carol at 2026-11-22 09:43 CET, approved by bob" in (
        shown
    )


def test_an_unsigned_send_says_so(world: World) -> None:
    require_approval(world)
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    assert world.run_json("send", "incident.yaml", "--yes", "--as", "alice", env=at(1))[0] == 0
    shown = said(world.run("status", "incident.yaml", env=at(2)))
    assert "#1: sent by alice, approved by bob at" in shown and "(signed)" not in shown
    (row,) = version_rows(world)
    assert row["sender_signature"] is None
    assert not nothing_sent(world)
