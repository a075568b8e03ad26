"""``broadcast send`` end to end: the real CLI, the real SDKs, real local peers on 127.0.0.1.

What the dry run shows is compared with what each peer received, byte for byte.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time

import pytest

from broadcast.content.greeting import with_recipient_name
from broadcast.delivery.dispatch import Dispatcher
from broadcast.delivery.sending import SendRun
from tests.conftest import NOW, write
from tests.postgres_server import new_database
from tests.test_maybe_sent import set_option
from tests.world import EMAILS, PHONES, SECRETS, World

# The ledger's guarantees end to end: every test here runs on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines


def test_a_sends_start_up_runs_without_the_cycle_collector_and_its_deliveries_with_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading and planning a send make objects that live as long as it: the cyclic garbage
    collector, which would rescan them every few hundred allocations, is paused until the
    deliveries start, and runs for them (and after, in this long-lived process)."""
    start_up = {SendRun.__enter__.__code__}
    in_start_up: list[int] = []
    collecting_while_sending: list[bool] = []

    def count(phase: str, info: dict[str, int]) -> None:
        frame = sys._getframe(1)
        while phase == "start" and frame is not None:
            if frame.f_code in start_up:
                in_start_up.append(info["generation"])
            frame = frame.f_back

    send_all = Dispatcher.run

    def look_then_send(dispatcher: Dispatcher) -> list:
        collecting_while_sending.append(gc.isenabled())
        return send_all(dispatcher)

    monkeypatch.setattr(Dispatcher, "run", look_then_send)
    assert gc.isenabled()
    gc.callbacks.append(count)
    try:
        code, sent = world.run_json("send", "incident.yaml", "--yes")
    finally:
        gc.callbacks.remove(count)
    assert code == 0, sent
    assert len(world.twilio.messages()) == len(PHONES)
    assert in_start_up == []
    assert collecting_while_sending == [True]
    assert gc.isenabled()


def test_what_the_dry_run_shows_is_exactly_what_is_sent(world: World) -> None:
    code, preview = world.run_json("send", "incident.yaml", "--dry-run")
    assert code == 0
    assert world.twilio.messages() == [] and world.x.posts() == [] and world.smtp.received == []
    shown = {c["channel"]: c for c in preview["channels"]}

    code, sent = world.run_json("send", "incident.yaml", "--yes")
    assert code == 0, sent
    delivery = {d["channel"]: d for d in sent["delivery"]}

    # SMS: each distinct valid number once, the exact previewed text.
    messages = world.twilio.messages()
    assert sorted(m.to for m in messages) == sorted(PHONES)
    # Each in their language: Emma's row asks for English, the others get French.
    bodies = {m.to: m.body for m in messages}
    assert bodies.pop("+447400123456") == shown["sms"]["variants"]["en"]["text"]
    assert set(bodies.values()) == {shown["sms"]["text"]}
    assert "Power cut in Lille" in shown["sms"]["variants"]["en"]["text"]
    assert {m.from_ for m in messages} == {"+15005550006"}
    assert delivery["sms"] | {"failures": []} == delivery["sms"]
    assert (delivery["sms"]["sent"], delivery["sms"]["duplicates"], delivery["sms"]["skipped"]) == (
        4,
        1,
        1,
    )

    # Email: both parts and the subject as previewed.
    received = {r.recipients[0]: r.message for r in world.smtp.received}
    assert sorted(received) == sorted(EMAILS)
    message = received["camille.martin@example.com"]
    assert message["Subject"] == shown["email"]["subject"]

    def part(kind: str) -> str:  # SMTP carries CRLF line ends
        return message.get_body((kind,)).get_content().replace("\r\n", "\n").rstrip("\n")

    # As previewed, the name slot of the greeting filled with hers.
    assert part("plain") == with_recipient_name(shown["email"]["text"], "Camille Martin")
    assert part("html") == with_recipient_name(
        shown["email"]["html"].rstrip("\n"), "Camille Martin", markup=True
    )
    assert "Bonjour Camille," in part("plain")
    assert message["To"] == "Camille Martin <camille.martin@example.com>"
    english = received["emma.wilson@example.co.uk"]
    assert english["Subject"] == shown["email"]["variants"]["en"]["subject"]
    assert "Power cut" in english["Subject"]

    # X: the previewed post.
    (post,) = world.x.posts()
    assert post.text == shown["twitter"]["text"]
    assert delivery["twitter"]["provider_ids"] == [post.id]

    # Banner: the status page as previewed, and the JSON the banner script reads.
    status = world.folder / "public" / "status"
    page = status / f"{preview['incident']['id']}.html"
    assert page.read_text(encoding="utf-8") == shown["banner"]["html"]
    banner = json.loads((status / "banner.json").read_text(encoding="utf-8"))
    assert banner["active"] is True
    assert banner["incidents"][0]["headline"] == shown["banner"]["text"]
    assert sent["sent"] == 4 + 3 + 1 + 1
    # The contact centre's script: the same FAQ answers as the written messages.
    script = (status / "agent-script.md").read_text(encoding="utf-8")
    assert (
        script == shown["banner"]["agent_script"] + "\n"
        or script == shown["banner"]["agent_script"]
    )
    assert "## Questions fréquentes" in script
    # French typography: a narrow no-break space before the question mark.
    assert "Les aliments de mon congélateur vont-ils se perdre\u202f?" in script


def test_a_problem_anywhere_means_nothing_is_sent_anywhere(world: World) -> None:
    # A problem of what would be said (an SMS too long for its limit) stops every channel.
    # (A secret missing on this host only sets that channel apart: test_operations.)
    write(world.folder / "templates" / "sms.txt.j2", "{{ headline }} " + "x" * 600)
    code, doc = world.run_json("send", "incident.yaml", "--yes")
    assert code == 2
    sms = next(c for c in doc["channels"] if c["channel"] == "sms")
    assert {p["field"] for p in sms["problems"] if p["severity"] == "error"} == {"max_segments"}
    assert world.twilio.requests() == []
    assert world.x.requests() == []
    assert world.smtp.received == []
    assert not (world.folder / "public").exists()


def test_without_a_terminal_yes_is_required(world: World) -> None:
    result = world.run("send", "incident.yaml")
    assert result.exit_code == 2
    assert "--yes" in result.output
    assert world.twilio.requests() == []


def test_only_the_chosen_channels_send(world: World) -> None:
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0
    assert [d["channel"] for d in doc["delivery"]] == ["sms"]
    assert len(world.twilio.messages()) == 4
    assert world.x.posts() == [] and world.smtp.received == []


@pytest.mark.slow
def test_failures_are_classified_retried_or_not_and_exit_1(world: World) -> None:
    world.twilio.mark_invalid("+33612345679")  # 21211: permanent, never retried
    world.twilio.mark_unsubscribed("+447400123456")  # 21610: permanent
    # 429s: refusals that prove nothing was taken, retried as they are (a 5xx is maybe sent,
    # looked up first: tests/test_maybe_sent.py).
    world.twilio.rate_limit_next(retry_after=0, times=2)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 1
    (sms,) = doc["delivery"]
    assert sms["sent"] == 2
    assert sms["failed_by_reason"] == {"21211": 1, "21610": 1}
    assert sms["retries"] == 2
    assert {f["code"]: f["permanent"] for f in sms["failures"]} == {"21211": True, "21610": True}
    # Once the invalid number was refused (a 429 may have come first), it was never asked again.
    asked = [r.status for r in world.twilio.requests() if "To=%2B33612345679" in r.body.decode()]
    assert asked[-1] == 400
    assert asked.count(400) == 1
    assert sorted(m.to for m in world.twilio.messages()) == ["+33612345678", "+33612345680"]
    # The summary masks addresses.
    assert all("…" in f["target"] for f in sms["failures"])


@pytest.mark.slow
def test_a_rate_limit_is_honoured_and_everyone_gets_it_once(world: World) -> None:
    # The dropped answer's lookup trusts "not found" after 2 x timeout + 5 s: 11 s, not 35.
    set_option(world, "sms", "timeout: 3")
    world.twilio.rate_limit_next(retry_after=1, times=1)
    world.twilio.drop_next(times=1)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0, doc
    assert sorted(m.to for m in world.twilio.messages()) == sorted(PHONES)
    assert doc["delivery"][0]["retries"] == 2


def test_a_duplicate_post_is_a_permanent_failure(world: World) -> None:
    assert world.run_json("send", "incident.yaml", "--yes", "--channel", "twitter")[0] == 0
    # Another ledger does not know the first post, so X itself refuses the same text again.
    other = (
        {"BROADCAST_LEDGER": new_database(world.engine["BROADCAST_LEDGER"].rsplit("/", 1)[0])}
        if world.engine
        else {}
    )
    code, doc = world.run_json(
        "send",
        "incident.yaml",
        "--yes",
        "--channel",
        "twitter",
        "--state",
        "other-state",
        "--other-ledger",  # this machine otherwise refuses another ledger's incident
        env=other,
    )
    assert code == 1
    assert doc["delivery"][0]["failed_by_reason"] == {"duplicate": 1}
    assert len(world.x.posts()) == 1


def test_no_secret_in_any_output(world: World) -> None:
    world.twilio.mark_invalid("+33612345679")
    result = world.run("send", "incident.yaml", "--yes")
    _, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    for text in (result.output, json.dumps(doc)):
        for secret in SECRETS.values():
            assert secret not in text


def test_refused_credentials_stop_the_channel_at_once(world: World) -> None:
    rows = "".join(f"N{i},+3361111{i:04d},\n" for i in range(200))
    write(world.folder / "contacts.csv", "name,phone,email\n" + rows)
    config = world.folder / "channels.yaml"
    config.write_text(
        config.read_text().replace("rate: unlimited", "rate: unlimited\n    concurrency: 2")
    )
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--channel", "sms", env={"TWILIO_AUTH_TOKEN": "wrong"}
    )
    assert code == 1
    (sms,) = doc["delivery"]
    assert sms["failed"] == 0  # the channel was refused, not the recipients
    assert sms["stopped"] is True
    assert "nothing more sent on this channel" in sms["problems"][0]["message"]
    # The first delivery goes alone: one refused request, the other 199 never tried.
    assert len(world.twilio.requests()) == 1
    assert world.twilio.messages() == []


# A --json send in its own process: which of the terminal's modules it loaded by its end.
TERMINAL_MODULES = """
import sys
from broadcast.cli import app
try:
    app(["send", "incident.yaml", "--channel", "sms", "--yes", "--json"])
except SystemExit as done:
    print("EXIT", done.code, file=sys.stderr)
loaded = [m for m in sys.modules if m.split(".")[0] == "rich" or m.startswith("broadcast.terminal")]
print("TERMINAL", len(loaded), file=sys.stderr)
"""


def test_a_json_send_never_loads_the_terminals_modules(world: World) -> None:
    """A --json send prints nothing before its end: rich and broadcast.terminal (about 40 ms
    before the first message) stay out of a cron run."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", TERMINAL_MODULES],
        cwd=world.folder,
        env=world.process_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "EXIT 0" in done.stderr, done.stderr
    assert json.loads(done.stdout)["delivery"][0]["sent"] == len(world.twilio.messages()) > 0
    assert "TERMINAL 0" in done.stderr


def terminal_send(
    world: World,
    answer: bytes,
    *args: str,
    columns: str = "100",
    without: tuple[str, ...] = (),
) -> tuple[int, str]:
    """Run ``broadcast send incident.yaml *args`` on a real pseudo-terminal, without the
    environment variables ``without``, and answer its question."""
    import select
    import subprocess
    import sys

    master, slave = os.openpty()
    env = {
        **os.environ,
        **SECRETS,
        **world.engine,
        "BROADCAST_NOW": NOW.isoformat(),
        "COLUMNS": columns,
    }
    for name in ("BROADCAST_CONFIG", *without):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "broadcast", "send", "incident.yaml", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=world.folder,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    seen = b""
    answered = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        if not answered and b"Send now?" in seen:
            os.write(master, answer)
            answered = True
        if process.poll() is not None and not ready:
            break
    os.close(master)
    return process.wait(timeout=30), seen.decode(errors="replace")


@pytest.mark.slow
def test_on_a_terminal_it_shows_what_goes_where_and_asks(world: World) -> None:
    code, screen = terminal_send(world, b"n\n", "--channel", "sms")
    assert code == 0
    assert "About to send" in screen and "4 recipients" in screen
    assert "Send now? [y/N]" in screen
    assert "To send with 1 warning:" in screen  # the skipped row of contacts.csv
    assert "Nothing was sent" in screen
    assert world.twilio.requests() == []

    code, screen = terminal_send(world, b"y\n", "--channel", "sms")
    assert code == 0, screen
    assert len(world.twilio.messages()) == 4
    assert "4 sent, 0 failed" in screen


def test_a_missing_ca_file_is_found_before_anything_leaves(world: World) -> None:
    config = world.folder / "channels.yaml"
    config.write_text(config.read_text().replace("starttls: false", "ca_file: relay-ca.pem"))
    code, doc = world.run_json("send", "incident.yaml", "--yes")
    assert code == 2
    email = next(c for c in doc["channels"] if c["channel"] == "email")
    assert [p["field"] for p in email["problems"] if p["severity"] == "error"] == ["ca_file"]
    assert world.twilio.requests() == [] and world.smtp.received == []
