"""The small holes of issue #7 (point 11), each closed end to end with the real CLI and peers.

A recipients path that is not a CSV must not echo its content; failure lists mask addresses and
names wherever they go; a sender's display name with a colon arrives whole; control characters
in names never reach a header; ``output_dir`` is never empty and ``~`` means home; every time
shown is in the incident's zone, with the zone said; a number that replied STOP is reported
once, then counted as opted out instead of failing every later run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import at, write
from tests.world import World


def edit_config(world: World, old: str, new: str) -> None:
    path = world.folder / "channels.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def ledger_bytes(world: World, state: str = ".broadcast") -> bytes:
    folder = world.folder / state
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file())


# -- a. a file that is not a recipients CSV is named, never quoted ---------------------------


def test_a_recipients_path_at_a_secrets_file_never_shows_its_content(world: World) -> None:
    token = "tok_9f8e7d6c5b4a39281706"
    write(world.folder / ".env", f"TWILIO_AUTH_TOKEN={token}\nSMTP_PASSWORD=hunter2-hunter2\n")
    edit_config(world, "recipients: contacts.csv", "recipients: .env")

    shown = world.run("validate", "incident.yaml", "--channel", "sms")
    assert shown.exit_code == 2
    sent = world.run("send", "incident.yaml", "--yes", "--channel", "sms", "--log-file", "cron.log")
    assert sent.exit_code == 2
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 2
    log = (world.folder / "cron.log").read_text(encoding="utf-8")
    for text in (shown.output, sent.output, json.dumps(doc, ensure_ascii=False), log):
        assert token not in text and "TWILIO_AUTH_TOKEN" not in text
        assert "hunter2" not in text
    # The file, the line and what was expected instead.
    (problem,) = [p for p in doc["problems"] + doc["channels"][0]["problems"] if p["line"]]
    assert (Path(problem["file"]).name, problem["line"], problem["field"]) == (".env", 1, "phone")
    assert "name, phone, email, locale" in problem["message"]
    assert world.twilio.requests() == []


def test_a_header_missing_a_column_names_only_the_known_columns_it_has(tmp_path: Path) -> None:
    from broadcast.input.recipient_count import count_recipients
    from broadcast.problems import InputError

    path = write(tmp_path / "c.csv", "Name,Mobile,EMAIL,k3y=s3cr3t\nA,1,a@example.com,\n")
    try:
        count_recipients(path, "phone", "FR", "sms")
    except InputError as exc:
        (problem,) = exc.problems
    else:
        raise AssertionError("a file without a phone column was accepted")
    assert "s3cr3t" not in problem.message and "k3y" not in problem.message
    assert "Name, Mobile, EMAIL (1 more field not shown)" in problem.message
    assert "no 'phone' column" in problem.message


# -- b. masked everywhere --------------------------------------------------------------------


def test_failures_and_skipped_rows_are_masked_in_every_output(world: World) -> None:
    write(
        world.folder / "contacts.csv",
        "name,phone,email,locale\n"
        "Camille Martin,06 12 34 56 78,camille.martin@example.com,fr\n"
        "Faute Defrappe,06 98,pas-une-adresse@,fr\n"
        "Karim Benali,+33 6 12 34 56 79,karim.benali@example.org,fr\n",
    )
    world.smtp.refuse_recipient(
        "camille.martin@example.com",
        "550 5.1.1 <camille.martin@example.com>: Recipient address rejected (Camille Martin)",
    )
    world.twilio.set_number_error("+33612345679", 21612)  # Twilio's text quotes the number
    # A passing refusal, retried: the ledger keeps it while waiting, masked too.
    world.smtp.refuse_recipient(
        "karim.benali@example.org", "450 4.2.0 <karim.benali@example.org>: try later", times=1
    )

    validated = world.run("validate", "incident.yaml")
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--log-file", "cron.log")
    assert code == 1
    status = world.run("status", "incident.yaml")
    _, status_doc = world.run_json("status", "incident.yaml")
    # Another ledger for the same incident: refused unless told the ledger was lost.
    again = world.run(
        "send",
        "incident.yaml",
        "--yes",
        "--state",
        "other",
        "--ledger-lost",
        "--log-file",
        "cron.log",
    )
    assert again.exit_code == 1

    outputs = {
        "validate": validated.output,
        "send --json": json.dumps(doc, ensure_ascii=False),
        "send": again.output,
        "status": status.output + json.dumps(status_doc, ensure_ascii=False),
        "log": (world.folder / "cron.log").read_text(encoding="utf-8"),
        "ledger": ledger_bytes(world).decode("utf-8", "replace")
        + ledger_bytes(world, "other").decode("utf-8", "replace"),
    }
    secrets = (
        "camille.martin",
        "Camille Martin",
        "karim.benali",
        "Faute",
        "Defrappe",
        "pas-une-adresse",
        "06 98",
        "612345679",
        "612345678",
    )
    for where, text in outputs.items():
        assert not [s for s in secrets if s in text], where
    # Still enough to recognise the row: its line, and a masked form.
    email = next(d for d in doc["delivery"] if d["channel"] == "email")
    (failure,) = email["failures"]
    assert failure["line"] == 2 and failure["target"].endswith("@example.com")
    assert "Recipient address rejected" in failure["error"]
    skipped = [p for p in doc["channels"][1]["problems"] if p["line"] == 3]
    assert skipped and "skipped" in skipped[0]["message"]


def test_masked_forms() -> None:
    from broadcast.input.contact_masks import mask_address, mask_name

    # The forms docs/sending.md gives: the first letter and the domain, or the last four digits.
    assert mask_address("camille.martin@example.com") == "c…@example.com"
    assert mask_address("+33612345678") == "…5678"
    assert mask_address("06 98") == "…"
    assert mask_address("pas-une-adresse@") == "p…@"
    assert mask_address("pas-une-adresse") == "p…"
    assert mask_name("Camille Martin") == "C. M."
    assert mask_name("") == ""


# -- c. a display name with a colon ------------------------------------------------------------


def test_a_sender_name_with_a_colon_arrives_whole(world: World) -> None:
    edit_config(
        world,
        'from: "Service client <alertes@example.com>"',
        'from: "Urgence: Energie Nord <alertes@example.com>"',
    )
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "email")
    assert code == 0, doc
    received = world.smtp.received[0]
    (sender,) = received.message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "Urgence: Energie Nord",
        "alertes@example.com",
    )
    assert received.mail_from == "alertes@example.com"


def test_a_from_that_is_not_one_address_is_a_located_config_error(world: World) -> None:
    edit_config(
        world,
        'from: "Service client <alertes@example.com>"',
        'from: "Urgence: Energie Nord <alertes@exa mple.com>"',
    )
    code, doc = world.run_json("validate", "incident.yaml")
    assert code == 2
    (problem,) = [p for p in doc["problems"] if p["field"] == "from"]
    assert problem["channel"] == "email" and problem["line"]


# -- d. control characters ---------------------------------------------------------------------


def test_control_characters_in_names_never_reach_a_header(world: World) -> None:
    write(
        world.folder / "contacts.csv",
        "name,phone,email,locale\n"
        "Camille\x0bMartin\x0c,,camille.martin@example.com,fr\n"
        '"Karim\x1cBenali\u202e\u2028Bcc: x@evil.example",,karim.benali@example.org,fr\n'
        "Zo\u200dé,,zoe@example.org,fr\n",
    )
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "email")
    assert code == 0, doc
    received = {r.recipients[0]: r for r in world.smtp.received}
    assert str(received["camille.martin@example.com"].message["To"]) == (
        "Camille Martin <camille.martin@example.com>"
    )
    karim = received["karim.benali@example.org"]
    assert karim.message["To"].addresses[0].display_name == "Karim Benali Bcc: x@evil.example"
    assert "Bcc" not in karim.message
    for r in received.values():
        assert not re.search(rb"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]", r.raw)
        assert "\u202e" not in r.raw.decode("utf-8", "replace")
    # What a script needs is kept: the zero-width joiner.
    assert received["zoe@example.org"].message["To"].addresses[0].display_name == "Zo\u200dé"


def test_a_control_character_in_the_subject_is_refused_before_sending(world: World) -> None:
    path = world.folder / "incident.yaml"
    text = path.read_text(encoding="utf-8")
    # A YAML escape: the file itself stays printable, the title gets a vertical tab.
    title = 'title: "Coupure\\vd\'électricité"'
    path.write_text(re.sub(r"^title: .*$", lambda _: title, text, count=1, flags=re.M), "utf-8")
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "email")
    assert code == 2
    # Refused where it was written, the title, as every text with a control character is.
    problems = [p for p in doc["problems"] if p["field"] == "title"]
    assert problems and "U+000B" in problems[0]["message"], doc["problems"]
    # Said in the file's language (the example is French).
    assert "caractères de contrôle" in problems[0]["message"]
    assert world.smtp.received == []


# -- e. output_dir -----------------------------------------------------------------------------


def test_an_empty_output_dir_is_a_located_error(world: World) -> None:
    edit_config(world, "output_dir: public/status", 'output_dir: ""')
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "banner")
    assert code == 2
    (problem,) = [p for p in doc["problems"] if p["field"] == "output_dir"]
    lines = (world.folder / "channels.yaml").read_text(encoding="utf-8").splitlines()
    assert problem["channel"] == "banner"
    assert lines[problem["line"] - 1].strip() == 'output_dir: ""'
    assert not (world.folder / "banner.json").exists()


def test_a_tilde_in_output_dir_means_home(world: World, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path_factory.mktemp("home")
    edit_config(world, "output_dir: public/status", "output_dir: ~/site/status")
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--channel", "banner", env={"HOME": str(home)}
    )
    assert code == 0, doc
    assert (home / "site" / "status" / "banner.json").is_file()
    assert not (world.folder / "~").exists()


# -- f. one time zone --------------------------------------------------------------------------


def test_every_time_shown_is_in_the_incidents_zone_and_says_so(world: World) -> None:
    first = world.run("send", "incident.yaml", "--yes", "--channel", "sms")
    assert first.exit_code == 0
    nothing = world.run("send", "incident.yaml", "--yes", "--channel", "sms", env=at(10))
    _, nothing_doc = world.run_json(
        "send", "incident.yaml", "--yes", "--channel", "sms", env=at(11)
    )
    status = world.run("status", "incident.yaml", env=at(12))
    ahead = world.run("send", "incident.yaml", "--dry-run", "--channel", "sms", env=at(125))
    reminder = world.run("send", "incident.yaml", "--yes", "--channel", "sms", env=at(125))
    texts = {
        where: " ".join(text.split())  # as read, whatever the terminal's width
        for where, text in {
            "first": first.output,
            "nothing": nothing.output,
            "nothing --json": nothing_doc["reason"],
            "status": status.output,
            "dry run": ahead.output,
            "reminder": reminder.output,
        }.items()
    }
    for where, text in texts.items():
        assert "UTC" not in text, where
    # 09:40 in Paris is when it went out, 11:40 the promise: the same wherever it is shown.
    sent_at, promised = "2026-11-22 09:40 CET", "2026-11-22 11:40 CET"
    for where in ("nothing", "nothing --json"):
        assert f"update of {sent_at}; the next update is due at {promised}" in texts[where]
    assert sent_at in texts["status"]
    assert f"Next update promised for {promised}" in texts["status"]
    assert "11:40 CET" in texts["dry run"] and "11:40 CET" in texts["reminder"]


# -- g. STOP -----------------------------------------------------------------------------------


def test_an_unsubscribed_number_fails_once_then_counts_as_opted_out(world: World) -> None:
    world.twilio.mark_unsubscribed("+447400123456")
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 1
    assert doc["delivery"][0]["failed_by_reason"] == {"21610": 1}

    # The reminder and a new update reach the others and exit 0; the number is not asked again.
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=at(125))
    assert (code, doc["action"]) == (0, "reminder")
    (sms,) = doc["delivery"]
    assert (sms["sent"], sms["failed"], sms["opted_out"]) == (3, 0, 1)
    path = world.folder / "incident.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("status: investigating", "status: identified"),
        encoding="utf-8",
    )
    result = world.run("send", "incident.yaml", "--yes", "--channel", "sms", env=at(130))
    assert result.exit_code == 0, result.output
    assert "opted out" in result.output
    asked = [r for r in world.twilio.requests() if "To=%2B447400123456" in r.body.decode()]
    assert len(asked) == 1
    assert (
        world.run("send", "incident.yaml", "--yes", "--channel", "sms", env=at(140)).exit_code == 0
    )

    code, status = world.run_json("status", "incident.yaml", env=at(140))
    # One name for "never send this again": the opt-out is a suppression (issue 27), and the
    # incident's recipients opted out now are counted apart.
    assert status["channels"]["sms"]["suppressed"] == 1
    assert status["opted_out"] == 1
    assert status["channels"]["sms"]["failed-permanent"] == 0
    assert status["failures"] == {}
    wide = {**at(140), "COLUMNS": "200"}  # every column header whole
    shown = world.run("status", "incident.yaml", env=wide).output
    assert "suppressed" in shown and "opted out now (STOP): 1" in shown
