"""Issue 22, principle 1 (and point 11): what was approved is exactly what goes out, in the
mode it was approved in, and the approver is not the sender.

The real CLI against the local Twilio, X and SMTP peers, with ssh-keygen keys made here: a
template that changes with the clock, an edited reminder template, a sender using the
approver's key or a look-alike name, a drill approved as real.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from broadcast.problems import InputError
from tests.conftest import REPO, at, write
from tests.test_approval import keypair, nothing_sent, require_approval, said
from tests.test_exercise import DRILL_PHONES, with_drill_list
from tests.world import PHONES, World, edit

# The slow tier (tests/conftest.py): approve-and-send cycles, seconds each.
pytestmark = pytest.mark.slow

EVACUATE = "EVACUEZ IMMEDIATEMENT. Quittez Lille et Roubaix."
CHEMICAL = "ALERTE CHIMIQUE. Confinez-vous, fermez les fenêtres."


def custom_template(world: World, name: str, text: str) -> Path:
    return write(world.folder / "templates" / "fr" / name, text)


def clock_template(world: World) -> None:
    """The shipped SMS template, but from 10:00 (Paris) on it orders an evacuation."""
    shipped = (REPO / "templates" / "fr" / "sms.txt.j2").read_text(encoding="utf-8")
    branch = "{% else %}\n{{ organisation }} : "
    assert branch in shipped
    custom_template(
        world,
        "sms.txt.j2",
        shipped.replace(branch, "{% elif updated_at.hour >= 10 %}\n" + EVACUATE + "\n" + branch, 1),
    )


def bodies(world: World) -> list[str]:
    return [m.body for m in world.twilio.messages()]


# -- 1. a template that changes with the clock ---------------------------------------------


def test_a_template_that_changes_with_the_clock_sends_the_texts_approved(world: World) -> None:
    require_approval(world)
    clock_template(world)
    # 09:40 in Paris: bob sees the usual SMS, and approves it.
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    # Sent at 10:10 in Paris: the template would now say something else. What goes out is
    # what bob approved, byte for byte, rendered at his moment.
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "alice", env=at(30))
    assert (code, doc["action"]) == (0, "new")
    sent = bodies(world)
    assert len(sent) == len(PHONES)
    assert not any("EVACUEZ" in body for body in sent)
    # The approved SMS: rendered at bob's moment, it promises the next update at 11h40 (one
    # rendered at the send's moment would say 12h10).
    assert all("11h40" in body for body in sent if "Énergie Nord :" in body)
    assert not any("12h10" in body for body in sent)


def test_a_template_edited_after_approval_is_refused_naming_the_text(world: World) -> None:
    require_approval(world)
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    custom_template(world, "sms.txt.j2", EVACUATE + "\n")  # after bob's approval
    result = world.run("send", "incident.yaml", "--yes", "--as", "alice", env=at(30))
    assert result.exit_code == 2
    text = said(result)
    assert "not the bytes approved" in text and "sms · fr · text" in text
    assert "broadcast approve incident.yaml" in text and "Traceback" not in text
    assert nothing_sent(world)
    # A template that renders the very bytes bob approved at his moment changes nothing.
    (world.folder / "templates" / "fr" / "sms.txt.j2").unlink()
    clock_template(world)
    assert world.run("send", "incident.yaml", "--yes", "--as", "alice", env=at(31)).exit_code == 0
    assert not any("EVACUEZ" in body for body in bodies(world))


# -- 2. reminders are approved texts too ----------------------------------------------------


def test_an_edited_reminder_template_is_refused_until_approved(world: World) -> None:
    require_approval(world)
    (world.folder / "cron").mkdir()
    (world.folder / "incident.yaml").rename(world.folder / "cron" / "incident.yaml")
    incident = "cron/incident.yaml"
    assert world.run("approve", incident, "--yes", "--as", "bob").exit_code == 0
    assert world.run_json("send", incident, "--yes", "--as", "alice")[0] == 0
    assert len(bodies(world)) == len(PHONES)
    custom_template(world, "reminder_sms.txt.j2", CHEMICAL + "\n")
    # The promised update falls due: cron's reminder is not the text bob approved.
    code, doc = world.run_json("send", incident, "--yes", "--as", "mallory", env=at(125))
    assert code == 2 and doc["sent"] == 0
    problem = doc["problems"][0]["message"]
    assert "sms · fr · text" in problem and f"broadcast approve {incident}" in problem
    # The same through tick, cron's command.
    result = world.run("tick", "cron", "--yes", env=at(126, BROADCAST_USER="mallory"))
    assert result.exit_code == 2 and "sms · fr · text" in said(result)
    assert len(bodies(world)) == len(PHONES)
    assert not any("CHIMIQUE" in body for body in bodies(world))
    # bob is shown the new reminder and approves it: then, and only then, it goes.
    approved = world.run("approve", incident, "--yes", "--as", "bob", env=at(127))
    assert approved.exit_code == 0 and "CHIMIQUE" in said(approved)
    result = world.run("tick", "cron", "--yes", env=at(128, BROADCAST_USER="mallory"))
    assert result.exit_code == 0, result.output
    assert sum("CHIMIQUE" in body for body in bodies(world)) == 3  # the French readers


@pytest.mark.both_engines
def test_a_reminder_goes_at_its_due_moment_with_the_approved_text(world: World) -> None:
    require_approval(world)
    code, approval = world.run_json("approve", "incident.yaml", "--yes", "--as", "bob")
    assert code == 0
    # The version's promise is 11:40 (Paris); its reminders follow every 2 h for a day.
    assert approval["reminders"][:2] == ["2026-11-22T11:40:00+01:00", "2026-11-22T13:40:00+01:00"]
    assert len(approval["reminders"]) == 12
    assert world.run_json("send", "incident.yaml", "--yes", "--as", "alice")[0] == 0
    # Cron runs 7 minutes late: the reminder still speaks for 11:40, and promises 13:40.
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "cron", env=at(127))
    assert (code, doc["action"]) == (0, "reminder"), doc
    reminders = bodies(world)[len(PHONES) :]
    assert len(reminders) == len(PHONES)
    assert all("13h40" in body or "13:40" in body for body in reminders)
    assert not any("13h47" in body or "13:47" in body for body in reminders)
    # The next one, whose status page now lists the first reminder (as approve foresaw it):
    # approved too, so it goes.
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "cron", env=at(243))
    assert (code, doc["action"]) == (0, "reminder"), doc
    assert all("15h40" in b or "15:40" in b for b in bodies(world)[2 * len(PHONES) :])


def test_reminders_after_the_approved_day_wait_for_a_new_approval(world: World) -> None:
    require_approval(world)
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    assert world.run_json("send", "incident.yaml", "--yes", "--as", "alice")[0] == 0
    # 26 h later: the reminders bob approved covered the first 24 h only.
    result = world.run("send", "incident.yaml", "--yes", "--as", "cron", env=at(26 * 60 + 1))
    assert result.exit_code == 2
    assert "not among the texts bob approved" in said(result)
    sent = len(bodies(world))
    # bob approves the reminders to come (the file is the version already sent).
    code, again = world.run_json(
        "approve", "incident.yaml", "--yes", "--as", "bob", env=at(26 * 60 + 2)
    )
    assert code == 0 and again["version"] is False and again["reminders"]
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--as", "cron", env=at(26 * 60 + 3)
    )
    assert (code, doc["action"]) == (0, "reminder"), doc
    assert len(bodies(world)) == sent + len(PHONES)


def test_an_approved_edited_reminder_is_one_the_approver_was_shown(world: World) -> None:
    require_approval(world)
    custom_template(world, "reminder_sms.txt.j2", CHEMICAL + "\n")
    approved = world.run("approve", "incident.yaml", "--yes", "--as", "bob")
    assert approved.exit_code == 0
    # The approver saw the reminder's text before approving it.
    assert "CHIMIQUE" in said(approved) and "reminders keep the promise" in said(approved)


def test_a_correction_template_edited_after_its_approval_is_refused(world: World) -> None:
    from tests.test_correction import cancel

    require_approval(world)
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    assert world.run_json("send", "incident.yaml", "--yes", "--as", "alice")[0] == 0
    cancel(world)
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob", env=at(10)).exit_code == 0
    custom_template(world, "correction_sms.txt.j2", CHEMICAL + "\n")
    result = world.run("send", "incident.yaml", "--yes", "--as", "alice", env=at(11))
    assert result.exit_code == 2 and "sms · fr · text" in said(result)
    assert len(bodies(world)) == len(PHONES)


def test_a_channel_added_to_an_approved_version_sends_only_approved_texts(world: World) -> None:
    require_approval(world)
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--as", "alice", "--channel", "sms", env=at(1)
    )
    assert (code, doc["action"]) == (0, "new")
    # The email template changes before the email goes: the rest of the version is refused.
    custom_template(world, "email_subject.txt.j2", CHEMICAL + "\n")
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "alice", env=at(2))
    assert code == 2 and doc["sent"] == 0
    assert "email · fr · subject" in doc["problems"][0]["message"]
    assert world.smtp.received == []
    # Put back, the approved texts go: the rest of the same version, as approved.
    (world.folder / "templates" / "fr" / "email_subject.txt.j2").unlink()
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "alice", env=at(3))
    assert (code, doc["action"]) == (0, "continue"), doc
    assert len(world.smtp.received) == 3


def test_a_fallback_call_says_the_approved_text(world: World) -> None:
    from tests.test_voice_fallback import LANDLINE, with_voice
    from tests.test_voice_fallback import said as spoken

    with_voice(world, "")
    require_approval(world)
    # A call template that, from 10:00 (Paris) on, orders an evacuation.
    shipped = (REPO / "templates" / "fr" / "voice.txt.j2").read_text(encoding="utf-8")
    custom_template(
        world,
        "voice.txt.j2",
        shipped + "{% if updated_at.hour >= 10 %}" + EVACUATE + "{% endif %}\n",
    )
    world.twilio.mark_not_mobile(LANDLINE)
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    # Sent at 10:10: the landline's SMS fails and the call stands in, with bob's words.
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--as", "alice", "--channel", "sms", env=at(30)
    )
    assert code == 0  # the landline's SMS failed; the call reached her (counted as reached)
    assert doc["follow_up"]["fallbacks"] == {"voice": 1}, doc
    (text,) = spoken(world, LANDLINE)
    assert "EVACUEZ" not in text and "Énergie Nord" in text


# -- 3. the sender is not the approver ------------------------------------------------------


@pytest.fixture
def keys(world: World, tmp_path: Path) -> dict[str, Path]:
    """bob's and alice's keys, each listed for its owner in allowed_signers."""
    folder = tmp_path / "keys"
    folder.mkdir()
    made = {name: keypair(folder, name) for name in ("bob", "alice")}
    lines = []
    for name, key in made.items():
        kind, public = key.with_suffix(".pub").read_text().split()[:2]
        lines.append(f"{name} {kind} {public}\n")
    (world.folder / "allowed_signers").write_text("".join(lines))
    require_approval(world, "{required: true, allowed_signers: allowed_signers}")
    return made


def approve_signed(world: World, keys: dict[str, Path]) -> None:
    result = world.run(
        "approve", "incident.yaml", "--yes", "--as", "bob", "--key", str(keys["bob"])
    )
    assert result.exit_code == 0, result.output


@pytest.mark.both_engines
def test_the_approver_cannot_send_under_another_name_with_their_key(
    world: World, keys: dict[str, Path]
) -> None:
    approve_signed(world, keys)
    result = world.run(
        "send", "incident.yaml", "--yes", "--as", "alice", "--key", str(keys["bob"]), env=at(1)
    )
    assert result.exit_code == 2
    assert "the sender must prove who they are" in said(result)
    assert nothing_sent(world)
    # Without a key at all: refused, saying how to sign.
    result = world.run("send", "incident.yaml", "--yes", "--as", "alice", env=at(1))
    assert result.exit_code == 2 and "--key FILE" in said(result)
    assert nothing_sent(world)
    # alice, with her own key: it goes.
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--as", "alice", "--key", str(keys["alice"]), env=at(2)
    )
    assert (code, doc["action"]) == (0, "new")
    assert len(bodies(world)) == len(PHONES)


def test_one_key_listed_for_two_names_is_one_person(world: World, keys: dict[str, Path]) -> None:
    signers = world.folder / "allowed_signers"
    kind, public = keys["bob"].with_suffix(".pub").read_text().split()[:2]
    signers.write_text(signers.read_text() + f"alice {kind} {public}\n")
    approve_signed(world, keys)
    result = world.run(
        "send", "incident.yaml", "--yes", "--as", "alice", "--key", str(keys["bob"]), env=at(1)
    )
    assert result.exit_code == 2
    assert "signed with the key that signed bob's approval" in said(result)
    assert nothing_sent(world)


def test_tick_signs_with_the_key_in_its_environment(world: World, keys: dict[str, Path]) -> None:
    (world.folder / "cron").mkdir()
    (world.folder / "incident.yaml").rename(world.folder / "cron" / "incident.yaml")
    bob = str(keys["bob"])
    assert (
        world.run("approve", "cron/incident.yaml", "--yes", "--as", "bob", "--key", bob).exit_code
        == 0
    )
    code, _ = world.run_json(
        "send", "cron/incident.yaml", "--yes", "--as", "alice", "--key", str(keys["alice"])
    )
    assert code == 0
    # The reminder falls due; cron runs as alice but without her key: refused, nothing sent.
    result = world.run("tick", "cron", "--yes", env=at(121, BROADCAST_USER="alice"))
    assert result.exit_code == 2 and "BROADCAST_SIGNING_KEY" in said(result)
    assert len(bodies(world)) == len(PHONES)
    result = world.run(
        "tick",
        "cron",
        "--yes",
        env=at(122, BROADCAST_USER="alice", BROADCAST_SIGNING_KEY=str(keys["alice"])),
    )
    assert result.exit_code == 0, result.output
    assert len(bodies(world)) == 2 * len(PHONES)


@pytest.mark.parametrize("alias", ["b\u03bfb", "B\u043eB", "\uff42\uff4f\uff42", " Bob "])
def test_a_look_alike_name_is_not_another_person(world: World, alias: str) -> None:
    require_approval(world)
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    result = world.run("send", "incident.yaml", "--yes", "--as", alias, env=at(1))
    assert result.exit_code == 2, result.output
    text = said(result)
    assert "several scripts" in text or "bob's own" in text
    assert nothing_sent(world)


def test_an_approver_name_mixing_scripts_is_refused(world: World) -> None:
    require_approval(world)
    result = world.run("approve", "incident.yaml", "--yes", "--as", "b\u03bfb")
    assert result.exit_code == 2 and "several scripts" in said(result)
    assert "GREEK SMALL LETTER OMICRON" in said(result)


# -- 11. an approval holds only in its mode -------------------------------------------------


@pytest.fixture
def drill(world: World) -> World:
    require_approval(with_drill_list(world))
    return world


def test_a_drills_hint_says_exercise_and_a_drill_approval_does_not_send_for_real(
    drill: World,
) -> None:
    result = drill.run("send", "incident.yaml", "--yes", "--exercise", "--as", "alice")
    assert result.exit_code == 2
    assert "broadcast approve incident.yaml --exercise" in said(result)
    # The approver follows the hint: the drill's texts, approved as a drill.
    code, approval = drill.run_json(
        "approve", "incident.yaml", "--yes", "--exercise", "--as", "bob"
    )
    assert (code, approval["mode"], approval["exercise"]) == (0, "exercise", True)
    # The sender forgets --exercise: that approval does not send a real alert.
    result = drill.run("send", "incident.yaml", "--yes", "--as", "alice", env=at(1))
    assert result.exit_code == 2
    assert "waiting for approval" in said(result)
    assert "broadcast approve incident.yaml" in said(result)
    assert nothing_sent(drill)
    code, doc = drill.run_json(
        "send", "incident.yaml", "--yes", "--exercise", "--as", "alice", env=at(2)
    )
    assert (code, doc["action"]) == (0, "new")
    assert sorted(m.to for m in drill.twilio.messages()) == sorted(DRILL_PHONES)
    assert all(
        m.body.startswith("EXERCICE") or "EXERCISE" in m.body for m in drill.twilio.messages()
    )


def test_a_real_approval_does_not_cover_the_drill_and_the_prompt_says_the_mode(
    drill: World,
) -> None:
    approved = drill.run("approve", "incident.yaml", "--yes", "--as", "bob")
    assert approved.exit_code == 0 and "as a real alert" in said(approved)
    result = drill.run("send", "incident.yaml", "--yes", "--exercise", "--as", "alice", env=at(1))
    assert result.exit_code == 2
    assert "--exercise" in said(result)
    assert nothing_sent(drill)


def test_a_file_that_says_it_is_a_drill_is_approved_and_sent_as_one(drill: World) -> None:
    edit(drill, "status: investigating", "exercise: true\nstatus: investigating", 1)
    code, approval = drill.run_json("approve", "incident.yaml", "--yes", "--as", "bob")
    assert (code, approval["mode"]) == (0, "exercise")
    # No --exercise on the command line: the file says it, so it goes as a drill.
    code, doc = drill.run_json("send", "incident.yaml", "--yes", "--as", "alice", env=at(1))
    assert (code, doc["action"]) == (0, "new")
    assert sorted(m.to for m in drill.twilio.messages()) == sorted(DRILL_PHONES)
    assert all("EXERCI" in m.body for m in drill.twilio.messages())


def test_ssh_keygen_that_does_not_finish_is_a_clear_refusal_not_a_traceback(
    world: World, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A passphrase nobody types, a machine too busy: ssh-keygen's time runs out (a bound
    far shorter than it needs, so it always does), and the send is refused, saying so."""
    from broadcast.delivery import signatures

    approve_signed(world, keys)
    monkeypatch.setattr(signatures, "SSH_KEYGEN_SECONDS", 0.0001)
    result = world.run(
        "send", "incident.yaml", "--yes", "--as", "alice", "--key", str(keys["alice"]), env=at(1)
    )
    # Refused (2), not an exception out of the command (1) or its traceback.
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    # The approval's signature, checked first, does not count unchecked: nothing goes out.
    assert "its signature could not be checked" in said(result), said(result)
    assert "did not finish" in said(result)
    assert nothing_sent(world)
    # Signing is refused the same way, naming the key.
    with pytest.raises(InputError) as refused:
        signatures.sign(keys["alice"], b"texts", world.folder / "incident.yaml")
    assert "ssh-keygen could not sign" in refused.value.problems[0].message
    assert "did not finish" in refused.value.problems[0].message
