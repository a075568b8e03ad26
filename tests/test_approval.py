"""Two-person approval end to end: the real CLI, the local Twilio, X and SMTP peers.

A version that needs approval goes out only once a person other than the sender approved
exactly its texts; an edit voids the approval; reminders need none; a signed approval is
checked against OpenSSH's allowed_signers with ssh-keygen.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from broadcast.ledger.sqlite import Contact
from tests.conftest import NOW, at, ssh_keygen
from tests.test_ledger import LedgerMaker, open_ledger  # noqa: F401 (a fixture)
from tests.world import PHONES, World, edit

# The slow tier (tests/conftest.py): approve-and-send cycles, seconds each.
pytestmark = pytest.mark.slow


def require_approval(world: World, rule: str = "{required: true}") -> None:
    path = world.folder / "channels.yaml"
    path.write_text(path.read_text(encoding="utf-8") + f"approval: {rule}\n", encoding="utf-8")


def said(result) -> str:
    """The output with the terminal's line wrapping undone."""
    return " ".join(result.output.split())


def nothing_sent(world: World) -> bool:
    return not (world.twilio.messages() or world.smtp.received or world.x.posts())


def test_without_approval_nothing_is_sent_and_the_refusal_says_why(world: World) -> None:
    require_approval(world)
    result = world.run("send", "incident.yaml", "--yes", "--as", "alice")
    assert result.exit_code == 2
    assert "waiting for approval by a second person" in said(result)
    assert "nobody has approved" in said(result)
    assert "Traceback" not in said(result)
    assert nothing_sent(world)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "alice")
    assert code == 2 and doc["sent"] == 0
    assert doc["problems"][0]["field"] == "approval"


def test_approval_off_by_default_and_below_min_severity(world: World) -> None:
    require_approval(world, "{min_severity: critical}")  # the example is major
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "alice")
    assert (code, doc["action"]) == (0, "new")
    assert len(world.twilio.messages()) == len(PHONES)


def test_the_sender_cannot_approve_their_own_version(world: World) -> None:
    require_approval(world)
    approved = world.run("approve", "incident.yaml", "--yes", "--as", "alice")
    assert approved.exit_code == 0, approved.output
    assert "Approved by alice" in said(approved)
    # The approval showed the texts it approved: the SMS panel is there.
    assert "sms · sms · fr" in said(approved)
    result = world.run("send", "incident.yaml", "--yes", env=at(3, BROADCAST_USER="alice"))
    assert result.exit_code == 2
    assert "alice's own" in said(result) and "two different people" in said(result)
    assert nothing_sent(world)


def test_a_second_persons_approval_lets_it_go_and_the_ledger_keeps_both(world: World) -> None:
    require_approval(world)
    code, approval = world.run_json("approve", "incident.yaml", "--yes", "--as", "bob")
    assert (code, approval["approved_by"], approval["signed"]) == (0, "bob", False)
    # Sent five minutes later: the approved texts go out, as approved (their "updated at" and
    # their promise are those of the approval's moment, 09:40).
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "alice", env=at(5))
    assert (code, doc["action"]) == (0, "new")
    assert len(world.twilio.messages()) == len(PHONES)
    assert len(world.x.posts()) == 1
    code, status = world.run_json("status", "incident.yaml")
    (version,) = status["versions"]
    assert (version["sent_by"], version["approved_by"]) == ("alice", "bob")
    assert version["approved_at"].startswith("2026-11-22T09:40")
    # The version speaks for the moment its texts were approved (their time, their promise),
    # and went out when alice sent it.
    assert version["texts_at"].startswith("2026-11-22T09:40")
    assert version["sent_at"].startswith("2026-11-22T09:45")
    assert version["next_update_at"].startswith("2026-11-22T11:40")
    shown = world.run("status", "incident.yaml")
    assert "approved by" in said(shown) and "bob at" in said(shown)
    report = world.run("report", "incident.yaml", "--format", "md")
    assert "n°1 envoyé par alice, approuvé par bob." in said(report)


def test_an_edit_after_approval_voids_it(world: World) -> None:
    require_approval(world)
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    # (A change of words, not of a fact: a time changed in French alone would disagree with
    # the English, a wording error that stops the send before approval is asked.)
    edit(world, "Coupure de courant à Lille", "Panne de courant à Lille")
    result = world.run("send", "incident.yaml", "--yes", "--as", "alice", env=at(2))
    assert result.exit_code == 2
    assert "bob approved the texts" in said(result) and "changed since" in said(result)
    assert nothing_sent(world)
    # Approved again as it is now: it goes.
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob", env=at(3)).exit_code == 0
    assert world.run("send", "incident.yaml", "--yes", "--as", "alice", env=at(4)).exit_code == 0
    assert "Panne de courant" in world.twilio.messages()[0].body


def test_a_reminder_and_the_rest_of_an_approved_version_need_no_new_approval(
    world: World,
) -> None:
    require_approval(world)
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    assert world.run_json("send", "incident.yaml", "--yes", "--as", "alice")[0] == 0
    # The promised update falls due with nothing new: a reminder, sent by cron alone.
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "cron", env=at(121))
    assert (code, doc["action"]) == (0, "reminder")
    assert len(world.twilio.messages()) == 2 * len(PHONES)
    # A channel added to the same version later is the rest of that version: no approval.
    # (A new version, on the other hand, needs one again.)
    edit(world, "status: investigating", "status: identified")
    result = world.run("send", "incident.yaml", "--yes", "--as", "alice", env=at(130))
    assert result.exit_code == 2 and "waiting for approval" in said(result)


def test_approve_without_a_terminal_needs_yes(world: World) -> None:
    require_approval(world)
    result = world.run("approve", "incident.yaml", "--as", "bob")
    assert result.exit_code == 2
    assert "no terminal" in said(result)
    assert (
        not (world.folder / ".broadcast" / "ledger.sqlite3").exists()
        or not sqlite3.connect(world.folder / ".broadcast" / "ledger.sqlite3")
        .execute("SELECT count(*) FROM approvals")
        .fetchone()[0]
    )


def keypair(folder: Path, name: str) -> Path:
    key = folder / name
    subprocess.run(
        [ssh_keygen(), "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
        check=True,
        capture_output=True,
    )
    return key


@pytest.fixture
def signed_world(world: World, tmp_path: Path) -> tuple[World, Path, Path]:
    """Approval with allowed_signers listing bob's key; a stranger's key beside it."""
    keys = tmp_path / "keys"
    keys.mkdir()
    bob, stranger, alice = keypair(keys, "bob"), keypair(keys, "stranger"), keypair(keys, "alice")
    lines = []
    for name, key in (("bob", bob), ("alice", alice)):
        public = key.with_suffix(".pub").read_text().split()
        lines.append(f"{name} {public[0]} {public[1]}\n")
    (world.folder / "allowed_signers").write_text("".join(lines))
    require_approval(world, "{required: true, allowed_signers: allowed_signers}")
    # The sender signs too: alice's key, listed for her, for every run that sends.
    world.engine = {**world.engine, "BROADCAST_SIGNING_KEY": str(alice)}
    return world, bob, stranger


def test_a_signed_approval_by_a_listed_key_lets_it_go(signed_world) -> None:
    world, bob, _ = signed_world
    # An existing .sig beside the key must not be taken for this signature.
    bob.with_suffix(".sig").write_text("stale")
    code, approval = world.run_json(
        "approve", "incident.yaml", "--yes", "--as", "bob", "--key", str(bob)
    )
    assert (code, approval["signed"]) == (0, True)
    stored = sqlite3.connect(world.folder / ".broadcast" / "ledger.sqlite3").execute(
        "SELECT signature FROM approvals"
    )
    assert stored.fetchone()[0].startswith("-----BEGIN SSH SIGNATURE-----")
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "alice", env=at(1))
    assert (code, doc["action"]) == (0, "new"), json.dumps(doc)[:2000]
    assert world.run_json("status", "incident.yaml")[1]["versions"][0]["approval_signed"]


def test_a_signature_by_a_key_outside_allowed_signers_is_refused(signed_world) -> None:
    world, _, stranger = signed_world
    result = world.run("approve", "incident.yaml", "--yes", "--as", "bob", "--key", str(stranger))
    assert result.exit_code == 0
    result = world.run("send", "incident.yaml", "--yes", "--as", "alice", env=at(1))
    assert result.exit_code == 2
    assert "waiting for approval by a second person" in said(result)
    assert "allowed_signers" in said(result)
    assert nothing_sent(world)


def test_an_unsigned_approval_is_refused_when_signatures_are_required(signed_world) -> None:
    world, _, _ = signed_world
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    result = world.run("send", "incident.yaml", "--yes", "--as", "alice", env=at(1))
    assert result.exit_code == 2 and "not signed" in said(result)
    assert nothing_sent(world)


def test_a_signature_of_other_texts_is_refused(signed_world) -> None:
    world, bob, _ = signed_world
    assert (
        world.run("approve", "incident.yaml", "--yes", "--as", "bob", "--key", str(bob)).exit_code
        == 0
    )
    # Someone swaps the signed hash in the ledger for the hash of texts bob never saw.
    ledger = world.folder / ".broadcast" / "ledger.sqlite3"
    edit(world, "Coupure de courant à Lille", "Panne de courant à Lille")
    code, new = world.run_json("approve", "incident.yaml", "--yes", "--as", "mallory")
    assert code == 0 and new["approved_by"] == "mallory"
    with sqlite3.connect(ledger) as db:
        db.execute(
            "UPDATE approvals SET texts_hash = (SELECT texts_hash FROM approvals WHERE "
            "approved_by = 'mallory'), approved_by = 'bob' WHERE approved_by = 'bob'"
        )
        db.execute("DELETE FROM approvals WHERE approved_by = 'mallory'")
    result = world.run("send", "incident.yaml", "--yes", "--as", "alice", env=at(1))
    assert result.exit_code == 2 and "signature" in said(result)
    assert nothing_sent(world)


def test_a_dry_run_says_a_real_send_would_wait_for_approval(world: World) -> None:
    require_approval(world)
    code, doc = world.run_json("send", "incident.yaml", "--dry-run", "--as", "alice")
    assert (code, doc["action"]) == (0, "new")
    assert "waiting for approval by a second person" in doc["note"]
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    code, doc = world.run_json("send", "incident.yaml", "--dry-run", "--as", "alice")
    assert doc["note"] == ""
    result = world.run("send", "incident.yaml", "--dry-run", "--as", "bob")
    assert "Note: waiting for approval by a second person" in said(result)
    assert nothing_sent(world)


def test_the_ledger_keeps_approvals_and_sealed_contacts_on_both_engines(
    tmp_path: Path,
    open_ledger: LedgerMaker,  # noqa: F811 (the fixture imported above)
) -> None:
    ledger = open_ledger(tmp_path / "state")
    approval = ledger.add_approval("panne-nord", "abc", NOW, "bob", None, NOW)
    assert ledger.approvals("panne-nord") == [approval]
    assert (approval.approved_by, approval.rendered_at) == ("bob", NOW)
    version = ledger.add_version(
        "panne-nord",
        "h1",
        "update",
        "investigating",
        NOW,
        None,
        ["sms"],
        [],
        approval_id=approval.id,
        sent_by="alice",
    )
    assert (version.approval_id, version.sent_by, version.exercise) == (approval.id, "alice", False)
    delivery, _ = ledger.claim(version.id, "sms", "+33612345678", 2, "Camille", "fr")
    ledger.mark_outcome(delivery, "sent", "SM1")
    later = ledger.add_version("panne-nord", "h2", "update", "cancelled", NOW, None, ["sms"], [])
    contacts, lost = ledger.earlier_recipients("panne-nord", "sms", later.id)
    assert (contacts, lost) == ([Contact("+33612345678", "Camille", "fr", 2)], 0)
