"""The smaller holes of issue #22 (point 20), each closed end to end through the real CLI.

A provider's words never hold a contact in clear, in any national form; the state folder, its
lock and the public files refuse planted symlinks; a recipient the fallback call reached is
reached; a missing PostgreSQL driver names its extra; reserved device names are no ids; the
Markdown outputs carry no raw HTML; ``report -o`` writes only what it owns; ``status`` reads
at 80 columns; a send limited to some channels says what it left for the next tick.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import NOW, REPO, write
from tests.world import SECRETS, World, edit

# -- a. a provider's text is masked, whatever form the contact takes -------------------------


def test_a_providers_text_quoting_contacts_is_masked_everywhere(world: World) -> None:
    carrier = (
        "Carrier: 06 12 34 56 79 unreachable; forwarded to 07.11.22.33.44 and "
        "(555) 123-4567, contact jean.dupont@example.net or +44 7400 123456"
    )
    world.twilio.set_number_error("+33612345679", 21266, carrier)  # its words kept
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--channel", "sms", "--log-file", "cron.log"
    )
    assert code == 1, doc
    shown = world.run("status", "incident.yaml")
    # The next version fails the same way, in a terminal.
    edit(world, "status: investigating", "status: identified")
    terminal = world.run("send", "incident.yaml", "--yes", "--channel", "sms")
    assert terminal.exit_code == 1 and "…5679" in terminal.output, terminal.output
    log = (world.folder / "cron.log").read_text(encoding="utf-8")
    assert "…5679" in log  # the failure is logged, masked
    db = sqlite3.connect(world.folder / ".broadcast" / "ledger.sqlite3")
    stored = " ".join(
        str(row[0]) for row in db.execute("SELECT error_message FROM deliveries") if row[0]
    )
    db.close()
    assert "unreachable" in stored  # the provider's words are kept, their contacts masked
    texts = {
        "ledger": stored,
        "send --json": json.dumps(doc, ensure_ascii=False),
        "status": shown.output,
        "log": log,
        "terminal": terminal.output,
    }
    for where, text in texts.items():
        for clear in ("06 12 34 56 79", "07.11.22.33.44", "123-4567", "jean.dupont", "7400 123"):
            assert clear not in text, (where, clear)
    (failure,) = next(d for d in doc["delivery"] if d["channel"] == "sms")["failures"]
    assert "…5679" in failure["error"] and "j…@example.net" in failure["error"]


def test_a_masking_leaves_dates_addresses_and_ids_alone() -> None:
    from broadcast.input.contact_masks import mask_contacts

    kept = (
        "HTTP 503 at 2026-11-22 08:40:00 from 192.168.100.200:8080 on 22.11.2026, "
        "post 123456789012345_987654321012345, tweet 1876543210987654321, error 21612"
    )
    assert mask_contacts(kept) == kept
    assert mask_contacts("0033 6 12 34 56 78 / 0612345678 / (+33) 6 12 34 56 78") == (
        "…5678 / …5678 / …5678"
    )
    # The channel's own login is not personal data: kept for whoever fixes the channel.
    assert mask_contacts(
        "535 Bad credentials for Alertes@Example.com (camille@example.com)",
        keep=["alertes@example.com"],
    ) == ("535 Bad credentials for Alertes@Example.com (c…@example.com)")


# -- b. planted symbolic links are refused, never followed -----------------------------------

INCIDENT_ID = "panne-nord-2026-11-22"


def test_b_a_symlinked_lock_is_refused_and_nothing_is_sent(world: World, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    locks = world.folder / ".broadcast" / "locks"
    locks.mkdir(parents=True)
    (locks / f"{INCIDENT_ID}.lock").symlink_to(elsewhere / "created-by-broadcast")
    sent = world.run("send", "incident.yaml", "--yes", "--channel", "sms")
    assert sent.exit_code != 0
    assert "symbolic link" in sent.output and "Traceback" not in sent.output
    assert not (elsewhere / "created-by-broadcast").exists()
    assert world.twilio.messages() == []
    # A planted locks folder is refused the same way.
    (locks / f"{INCIDENT_ID}.lock").unlink()
    locks.rmdir()
    locks.symlink_to(elsewhere)
    again = world.run("send", "incident.yaml", "--yes", "--channel", "sms")
    assert again.exit_code != 0 and "symbolic link" in again.output
    assert list(elsewhere.iterdir()) == [] and world.twilio.messages() == []


# -- d. the state folder is private, whoever makes it ----------------------------------------


def test_d_the_state_folder_is_created_0700_and_an_open_one_tightened(world: World) -> None:
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "banner")
    assert code == 0, doc
    state = world.folder / ".broadcast"
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "locks").stat().st_mode) == 0o700
    state.chmod(0o755)
    (state / "locks").chmod(0o755)
    edit(world, "status: investigating", "status: identified")
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "banner")
    assert code == 0, doc
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "locks").stat().st_mode) == 0o700


def test_b_a_symlinked_output_dir_or_public_file_is_refused(world: World, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (world.folder / "public").mkdir()
    (world.folder / "public" / "status").symlink_to(elsewhere)
    shown = world.run("validate", "incident.yaml", "--channel", "banner")
    assert shown.exit_code == 2 and "symbolic link" in shown.output
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "banner")
    assert code != 0
    assert "symbolic link" in json.dumps(doc)
    assert list(elsewhere.iterdir()) == []

    # A real folder, with one public file planted as a link to a file outside: not written
    # through, not read back (its history would be published), and the channel stops.
    (world.folder / "public" / "status").unlink()
    (world.folder / "public" / "status").mkdir()
    secret = write(
        elsewhere / "keep.json",
        '[{"updated_at": "2026-11-22T09:00:00+01:00", "headline": "PLANTED", '
        '"status": "investigating", "id": "panne-nord-2026-11-22"}]',
    )
    (world.folder / "public" / "status" / "history.json").symlink_to(secret)
    preview = world.run("preview", "incident.yaml", "--channel", "banner")
    assert preview.exit_code == 0 and "PLANTED" not in preview.output
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "banner")
    assert code != 0 and "symbolic link" in json.dumps(doc)
    assert "PLANTED" in secret.read_text()
    assert sorted(p.name for p in (world.folder / "public" / "status").iterdir()) == [
        "history.json"
    ]
    # Once the link is gone, the next run publishes.
    (world.folder / "public" / "status" / "history.json").unlink()
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "banner")
    assert code == 0, doc
    assert (world.folder / "public" / "status" / "banner.json").is_file()


def test_b_a_cap_latest_xml_planted_as_a_link_is_refused(world: World, tmp_path: Path) -> None:
    with (world.folder / "channels.yaml").open("a", encoding="utf-8") as out:
        out.write(
            "  alerts:\n    type: cap\n    output_dir: public/cap\n"
            "    sender: alertes@energie-nord.example\n"
        )
    victim = write(tmp_path / "victim.xml", "<keep/>")
    (world.folder / "public" / "cap").mkdir(parents=True)
    (world.folder / "public" / "cap" / "latest.xml").symlink_to(victim)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "alerts")
    assert code != 0 and "symbolic link" in json.dumps(doc)
    assert victim.read_text() == "<keep/>"
    assert [p.name for p in (world.folder / "public" / "cap").iterdir()] == ["latest.xml"]


def test_b_the_preview_names_the_folder_the_public_files_go_to(
    world: World, tmp_path: Path
) -> None:
    real = tmp_path / "www"
    real.mkdir()
    (world.folder / "public").symlink_to(real)  # a parent may be a link: it is named
    shown = world.run("preview", "incident.yaml", "--channel", "banner", env={"COLUMNS": "400"})
    assert shown.exit_code == 0, shown.output
    assert f"files in {real / 'status'}" in shown.output
    _, doc = world.run_json("validate", "incident.yaml", "--channel", "banner")
    assert doc["channels"][0]["folder"] == str(real / "status")


# -- h. a recipient the fallback reached is reached ------------------------------------------

LANDLINE = "+33612345680"  # Sophie Leroy's row of the world's contacts


def with_voice_fallback(world: World) -> None:
    path = world.folder / "channels.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    default_region: FR\n", "    default_region: FR\n    fallback: voice\n")
    block = f"""\
  voice:
    type: voice
    from: "+15005550006"
    rate: unlimited
    account_sid: "${{TWILIO_ACCOUNT_SID}}"
    auth_token: "${{TWILIO_AUTH_TOKEN}}"
    api_base_url: {world.twilio.url}
"""
    path.write_text(text.replace("  email:\n", block + "  email:\n", 1), encoding="utf-8")


def test_h_a_landline_reached_by_the_fallback_call_is_reached(world: World) -> None:
    with_voice_fallback(world)
    world.twilio.mark_not_mobile(LANDLINE)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0, doc  # everyone was reached, one way or the other
    (sms,) = [d for d in doc["delivery"] if d["channel"] == "sms"]
    assert (sms["failed"], sms["reached_by_fallback"]) == (0, {"voice": 1})
    assert [c.to for c in world.twilio.calls()] == [LANDLINE]

    # In a terminal: said plainly, and a failure the fallback did not cover still fails.
    world.twilio.mark_not_mobile("+33612345678")  # Camille: a landline too, called as well
    world.twilio.mark_invalid("+447400123456")  # Emma: no call stands in for an invalid number
    edit(world, "status: investigating", "status: identified")
    shown = world.run("send", "incident.yaml", "--yes", "--channel", "sms", env={"COLUMNS": "200"})
    assert shown.exit_code == 1, shown.output
    assert "reached by call" in shown.output
    assert "1 failed, 1 reached by call." in shown.output


# -- j. a send limited by --channel says what it left for the next tick ----------------------


def test_j_a_channel_limited_send_names_what_the_next_tick_sends(world: World) -> None:
    (world.folder / "incidents").mkdir()
    (world.folder / "incident.yaml").rename(world.folder / "incidents" / "incident.yaml")
    incident = "incidents/incident.yaml"
    wide = {"COLUMNS": "200"}
    shown = world.run("send", incident, "--yes", "--channel", "sms", env=wide)
    assert shown.exit_code == 0, shown.output
    assert "Not sent on email, twitter, banner" in shown.output
    assert "next `broadcast tick`" in shown.output
    status = world.run("status", incident, env=wide)
    assert "Not sent on email, twitter, banner" in status.output
    _, doc = world.run_json("status", incident)
    assert doc["not_sent_on"] == ["email", "twitter", "banner"]
    # What was said is what tick does: the same update on the other channels, then nothing left.
    ticked = world.run("tick", "incidents", "--yes", env=wide)
    assert world.x.posts() and world.smtp.received, ticked.output
    _, doc = world.run_json("status", incident)
    assert doc["not_sent_on"] == []
    # A send on every channel has nothing to say of it.
    _, sent = world.run_json("send", incident, "--yes")
    assert not sent.get("not_sent_on")


# -- e. a PostgreSQL ledger without its driver names the extra -------------------------------

NO_PSYCOPG = """\
import sys


class _Absent:
    \"\"\"As if the [postgresql] extra were not installed: psycopg cannot be imported.\"\"\"

    def find_spec(self, name, path=None, target=None):
        if name == "psycopg" or name.startswith("psycopg."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _Absent())
"""


def test_e_a_postgresql_ledger_without_psycopg_names_the_extra(
    world: World, tmp_path: Path
) -> None:
    from broadcast.ledger.key import new_key_text

    blocker = write(tmp_path / "blocker" / "sitecustomize.py", NO_PSYCOPG).parent
    env = {
        **os.environ,
        **SECRETS,
        "PYTHONPATH": os.pathsep.join([str(blocker), str(REPO)]),
        "BROADCAST_NOW": NOW.isoformat(),
        "BROADCAST_LEDGER": "postgresql://broadcast@127.0.0.1:9/ledger",
        "BROADCAST_KEY": new_key_text(),
    }
    env.pop("BROADCAST_CONFIG", None)
    command = [sys.executable, "-m", "broadcast", "send", "incident.yaml", "--yes"]
    done = subprocess.run(
        [*command, "--channel", "sms"],
        cwd=world.folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 2, said
    assert "Traceback" not in said and "ModuleNotFoundError" not in said
    assert "pip install 'broadcast[postgresql]'" in " ".join(said.split())
    assert world.twilio.messages() == []
    for other in ("status", "reconcile", "report"):
        done = subprocess.run(
            [sys.executable, "-m", "broadcast", other, "incident.yaml"],
            cwd=world.folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        said = done.stdout + done.stderr
        assert done.returncode == 2 and "Traceback" not in said, (other, said)
        assert "broadcast[postgresql]" in said, other


# -- g. the Markdown outputs carry no raw HTML ----------------------------------------------


def test_g_a_link_with_markup_is_refused(world: World) -> None:
    edit(world, "link: ", 'link: "https://www.example.com/x<script>alert(1)</script>"\n#', 1)
    code, doc = world.run_json("validate", "incident.yaml", "--channel", "banner")
    assert code == 2
    assert [p["field"] for p in doc["problems"]] == ["link"], doc["problems"]
    code, _ = world.run_json("send", "incident.yaml", "--yes", "--channel", "banner")
    assert code == 2
    assert not (world.folder / "public" / "status" / "agent-script.md").exists()


def test_g_agent_script_md_never_carries_raw_html(world: World) -> None:
    # A user's own template that forgets the md filter: the output is still inert.
    write(
        world.folder / "templates" / "fr" / "agent_script.md.j2",
        "# {{ title }}\n\n{{ headline }}\n\n{{ summary | md }}\n",
    )
    edit(world, "headline: ", "headline: <script>alert(1)</script><img src=x onerror=alert(2)> ", 1)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "banner")
    assert code == 0, doc
    script = (world.folder / "public" / "status" / "agent-script.md").read_text("utf-8")
    assert "<script" not in script and "<img" not in script and "<" not in script
    assert "&lt;script>alert(1)&lt;/script>" in script  # said, not run


# -- c. report -o writes only what it owns ---------------------------------------------------


def test_c_report_output_never_follows_a_link_nor_replaces_a_foreign_stylesheet(
    world: World, tmp_path: Path
) -> None:
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "banner")
    assert code == 0, doc
    victim = write(tmp_path / "victim.txt", "precious\n")
    (world.folder / "linked.html").symlink_to(victim)
    for fmt in ("html", "md", "terminal"):
        done = world.run("report", "incident.yaml", "--format", fmt, "-o", "linked.html")
        assert done.exit_code == 2 and "symbolic link" in done.output, (fmt, done.output)
    assert victim.read_text() == "precious\n"

    site = world.folder / "site"
    theirs = write(site / "report.css", "body { color: hotpink; }\n")
    done = world.run("report", "incident.yaml", "--format", "html", "-o", "site/report.html")
    assert done.exit_code == 2 and "report.css" in done.output
    assert theirs.read_text() == "body { color: hotpink; }\n"
    assert not (site / "report.html").exists()

    # A folder of its own: written, and written again over its own files.
    for _ in range(2):
        done = world.run("report", "incident.yaml", "--format", "html", "-o", "out/report.html")
        assert done.exit_code == 0, done.output
    assert "panne-nord" in (world.folder / "out" / "report.html").read_text("utf-8")
    assert (world.folder / "out" / "report.css").read_text("utf-8").startswith("/*")


# -- i. status reads at 80 columns -----------------------------------------------------------


@pytest.mark.slow
def test_i_status_is_readable_at_80_columns(world: World) -> None:
    world.twilio.mark_invalid("+447400123456")
    world.twilio.mark_not_mobile("+33612345680")
    world.smtp.refuse_recipient("karim.benali@example.org", "450 4.2.0 try later", times=10)
    world.run("send", "incident.yaml", "--yes")
    shown = world.run("status", "incident.yaml", env={"COLUMNS": "80"})
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in shown.output, shown.output
    for word in ("channel", "failed-", "permanent", "transient", "complete", "investigating"):
        assert word in shown.output, word
    for channel in ("banner", "email", "sms", "twitter"):
        assert any(line.startswith(f"│ {channel} ") for line in lines), channel
    assert "1 x 21211" in shown.output and "1 x 21614" in shown.output


# -- f. an id is a file name on every system ---------------------------------------------------


def test_f_windows_device_names_are_refused_as_ids(world: World) -> None:
    written = INCIDENT_ID
    for device in ("con", "nul", "aux", "prn", "com1", "lpt9"):
        edit(world, f"id: {written}", f"id: {device}")
        written = device
        code, doc = world.run_json("validate", "incident.yaml")
        assert code == 2, device
        (problem,) = [p for p in doc["problems"] if p["field"] == "id"]
        assert "device name on Windows" in problem["message"] and problem["line"], problem
    # A longer id holding one is a plain name everywhere: accepted.
    edit(world, f"id: {written}", "id: con-1")
    code, doc = world.run_json("validate", "incident.yaml", "--channel", "banner")
    assert code == 0, doc
    assert world.run("send", "incident.yaml", "--yes", "--channel", "banner").exit_code == 0
    assert (world.folder / "public" / "status" / "con-1.html").is_file()


def test_a_masking_a_long_text_takes_linear_time() -> None:
    import time

    from broadcast.input.contact_masks import mask_contacts

    started = time.perf_counter()
    for text in ("a" * 100_000, "1-" * 50_000, ("x" * 50 + "@") * 2_000, "a." * 50_000):
        mask_contacts(text)
    # About 0.15 s here; quadratic, "a" * 100_000 alone took ~25 s. The bound sits between, far
    # from both: a loaded CI machine runs it several times slower, never a hundred.
    assert time.perf_counter() - started < 5
