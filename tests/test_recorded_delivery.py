"""A delivery is what was recorded: (incident, version, channel, recipient key), with the text,
language and address fixed when it was first attempted.

- A re-run after a crash looks up and re-sends the recorded text only, whatever the contacts
  file says now (a locale or a name edited in between), and says what it does with each.
- A call looked up at Twilio is never taken for this attempt's on the strength of its number,
  caller id and time: the Calls list returns nothing of a call's own, so a call the lookup
  cannot attribute is held uncertain, and only a list showing none proves it was not placed.
- A ledger whose sealed secret no longer opens its own rows is refused: nothing sent.

Real CLI processes (kill -9, or an injected crash) against the local Twilio peer; what counts
is what the peer received.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import pytest

from tests.conftest import at, write
from tests.peers.base import Delay, ServerError
from tests.peers.fixtures import make_twilio_client
from tests.test_correction import cancel
from tests.test_maybe_sent import set_option
from tests.test_voice_fallback import said, with_voice
from tests.world import PHONES, World

# The slow tier (tests/conftest.py): kill -9 on real processes, lookups that wait for the provider.
pytestmark = pytest.mark.slow

CAMILLE, KARIM = "+33612345678", "+33612345679"


def run(world: World, *args: str, env: dict[str, str] | None = None):
    """The CLI with wide lines: a path is never cut where 80 columns would cut it."""
    return world.run(*args, env={"COLUMNS": "400", **(env or {})})


def paragraph(output: str) -> str:
    assert "Traceback" not in output, output
    return " ".join(output.split())


def phones_reached(world: World) -> Counter[str]:
    return Counter(m.to for m in world.twilio.messages())


# -- 9. a ledger whose secret no longer opens its own rows ---------------------------------


def swap_sealed_secret(world: World, canary: bool = True) -> None:
    """Replace the ledger's sealed secret by another one (a restore of the wrong meta row, a
    damaged byte...); without ``canary``, also drop the secret's canary, as in a ledger
    written before it existed."""
    if world.engine:  # a shared ledger (PostgreSQL)
        import psycopg

        with psycopg.connect(world.engine["BROADCAST_LEDGER"], autocommit=True) as db:
            db.execute("UPDATE meta SET value = %s WHERE key = 'sealed'", (secrets.token_hex(32),))
            if not canary:
                db.execute("DELETE FROM meta WHERE key = 'secret_check'")
        return
    with sqlite3.connect(world.folder / ".broadcast" / "ledger.sqlite3") as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'sealed'", (secrets.token_hex(32),))
        if not canary:
            db.execute("DELETE FROM meta WHERE key = 'secret_check'")


@pytest.mark.both_engines
def test_a_swapped_sealed_secret_is_refused_and_nobody_reached_gets_a_second_sms(
    world: World,
) -> None:
    assert run(world, "send", "incident.yaml", "--yes", "--channel", "sms").exit_code == 0
    assert phones_reached(world) == Counter(PHONES)
    swap_sealed_secret(world)

    # The same version goes to the other channels too: SMS would be "already" sent...
    result = run(world, "send", "incident.yaml", "--yes")
    message = paragraph(result.output)
    assert result.exit_code == 2, message
    assert "does not open the ledger's own rows" in message
    assert ("ledger.sqlite3" in message) != bool(world.engine)  # where: the file, or the database
    assert "Nothing was sent" in message and "backup" in message
    assert phones_reached(world) == Counter(PHONES)  # nobody twice
    assert world.smtp.received == [] and world.x.posts() == []  # nothing at all
    result = run(world, "status", "incident.yaml")
    assert result.exit_code == 2 and "does not open" in paragraph(result.output)


@pytest.mark.both_engines
def test_a_swapped_secret_in_a_ledger_without_its_canary_is_caught_by_its_rows(
    world: World,
) -> None:
    assert run(world, "send", "incident.yaml", "--yes", "--channel", "sms").exit_code == 0
    swap_sealed_secret(world, canary=False)
    result = run(world, "send", "incident.yaml", "--yes")
    assert result.exit_code == 2, result.output
    assert "does not open the ledger's own rows" in paragraph(result.output)
    assert phones_reached(world) == Counter(PHONES)


def test_a_ledger_without_a_canary_gets_one_once_its_rows_agree(world: World) -> None:
    assert run(world, "send", "incident.yaml", "--yes", "--channel", "sms").exit_code == 0
    ledger = world.folder / ".broadcast" / "ledger.sqlite3"
    with sqlite3.connect(ledger) as db:
        db.execute("DELETE FROM meta WHERE key = 'secret_check'")
    code, doc = world.run_json("send", "incident.yaml", "--yes")
    assert code == 0, doc
    assert phones_reached(world) == Counter(PHONES)
    with sqlite3.connect(ledger) as db:
        assert db.execute("SELECT count(*) FROM meta WHERE key = 'secret_check'").fetchone()[0]
    assert os.stat(ledger).st_size > 0


# -- 7. a contacts file edited between a crash and the re-run ------------------------------


def start(world: World, *args: str) -> subprocess.Popen[str]:
    """``broadcast send`` as a real process (to be killed), in the world's folder."""
    return subprocess.Popen(
        [sys.executable, "-m", "broadcast", "send", "incident.yaml", "--yes", "--json", *args],
        cwd=world.folder,
        env=world.process_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_while_waiting_for(world: World, number: str, *args: str) -> None:
    """Start a send whose answer for ``number`` Twilio holds, and kill -9 it once Twilio has
    created what it asked for: the ledger says ``sending``, Twilio holds the resource. The
    channel's timeout is 5 s: the re-run's lookup trusts "not found" 15 s (2 x 5 + 5) after the
    attempt began, not 35."""
    set_option(world, args[args.index("--channel") + 1], "timeout: 5")
    world.twilio.hold_first_answer_to(number, seconds=30)
    process = start(world, *args)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (
        world.twilio.messages_to(number) or world.twilio.calls_to(number)
    ):
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


# Emma reads English: the version records its English text too.
CONTACTS_FR = (
    f"name,phone,locale\nCamille Martin,{CAMILLE},fr\nKarim Benali,{KARIM},fr\n"
    "Emma Wilson,+447400123456,en\n"
)


@pytest.mark.parametrize(
    ("edited", "personalise"),
    [
        (CONTACTS_FR.replace(f"{CAMILLE},fr", f"{CAMILLE},en"), False),  # her locale fr -> en
        (CONTACTS_FR.replace("Camille Martin", "Claire Martin"), True),  # her name, greeted
    ],
    ids=["locale", "name"],
)
def test_a_contacts_file_edited_between_a_crash_and_the_rerun_sends_nobody_a_second_sms(
    world: World, edited: str, personalise: bool
) -> None:
    write(world.folder / "contacts.csv", CONTACTS_FR)
    if personalise:
        config = world.folder / "channels.yaml"
        config.write_text(
            config.read_text().replace(
                "    rate: unlimited\n", "    rate: unlimited\n    personalise: true\n", 1
            )
        )
    kill_while_waiting_for(world, CAMILLE, "--channel", "sms")
    (first,) = world.twilio.messages_to(CAMILLE)
    write(world.folder / "contacts.csv", edited)

    result = run(world, "send", "incident.yaml", "--yes", "--channel", "sms")
    output = paragraph(result.output)
    assert result.exit_code == 0, output
    # Found at Twilio by the text recorded for her, in her recorded language and name.
    assert [m.body for m in world.twilio.messages_to(CAMILLE)] == [first.body]
    assert len(world.twilio.messages_to(KARIM)) == 1
    # Said as done: looked up (not "re-sent only with --resend-uncertain").
    assert "1 delivery was in flight when an earlier run stopped" in output
    assert "sms: 1 uncertain delivery: each is looked up at the provider" in output
    assert "re-sent only with --resend-uncertain" not in output
    assert "sms: 1 maybe sent, looked up: 1 found sent" in output
    _, status = world.run_json("status", "incident.yaml")
    assert (status["channels"]["sms"]["sent"], status["channels"]["sms"]["uncertain"]) == (3, 0)


def test_a_delivery_never_handed_over_is_sent_with_its_recorded_text_too(world: World) -> None:
    """Killed before Twilio created it: not found, so sent; in the words recorded for her,
    not in the language the edited file gives her now."""
    write(world.folder / "contacts.csv", CONTACTS_FR)
    kill_while_waiting_for(world, CAMILLE, "--channel", "sms")
    (first,) = world.twilio.messages_to(CAMILLE)
    world.twilio.reset()  # as if Twilio never took it
    write(world.folder / "contacts.csv", CONTACTS_FR.replace(f"{CAMILLE},fr", f"{CAMILLE},en"))
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--channel", "sms", "--log-file", "run.jsonl"
    )
    assert code == 0, doc
    assert [m.body for m in world.twilio.messages_to(CAMILLE)] == [first.body]
    (sms,) = doc["delivery"]
    assert sms["looked_up"] == {"found_sent": 0, "resent": 1, "held_uncertain": 0}
    assert doc["uncertain_ahead"] == {"sms": {"count": 1, "action": "look up"}}
    # Cron's log says it too.
    lines = [json.loads(x) for x in (world.folder / "run.jsonl").read_text().splitlines()]
    (started,) = [x for x in lines if x["event"] == "run"]
    assert (started["uncertain_found"], started["uncertain_ahead"]) == (1, {"sms": "look up"})


def test_an_sms_whose_lookup_failed_is_looked_up_again_by_the_next_run(world: World) -> None:
    """The version finished with it uncertain (its answer lost, every lookup refused): the
    next run, with nothing new to say, still looks it up, finds it, and says so."""
    write(world.folder / "contacts.csv", f"name,phone,locale\nCamille Martin,{CAMILLE},fr\n")
    world.twilio.drop_first_answer_to(CAMILLE)
    # The message itself goes through (then its answer is lost); every lookup gets a 500.
    world.twilio.script(Delay(0), *[ServerError(500)] * 4)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 1, doc
    (item,) = doc["uncertain"]
    assert "the lookup failed" in item["why"]
    assert len(world.twilio.messages_to(CAMILLE)) == 1
    world.twilio.clear_script()  # Twilio answers lookups again

    result = run(world, "send", "incident.yaml", "--yes", "--channel", "sms", env=at(5))
    output = paragraph(result.output)
    assert result.exit_code == 0, output
    assert "1 uncertain delivery looked up" in output
    assert len(world.twilio.messages_to(CAMILLE)) == 1  # found: never sent twice
    _, status = world.run_json("status", "incident.yaml")
    assert (status["channels"]["sms"]["sent"], status["channels"]["sms"]["uncertain"]) == (1, 0)


# -- 8. a call lookup matches only a call of this attempt ----------------------------------


def voice_world(world: World) -> None:
    """Voice to the French contacts; a call dropped before Twilio took it is placed once its
    lookup finds nothing after 2 x timeout + 5 s: 11 s here, not 35."""
    write(world.folder / "contacts.csv", CONTACTS_FR)
    voice = "    recipients: contacts.csv\n    default_region: FR\n    timeout: 3\n"
    with_voice(world, voice, sms_fallback=None)


VOICE = ("send", "incident.yaml", "--yes", "--channel", "voice")


def test_a_correction_call_dropped_before_accept_is_placed_not_taken_for_the_first_call(
    world: World,
) -> None:
    voice_world(world)
    assert world.run_json(*VOICE)[0] == 0
    (first,) = world.twilio.calls_to(CAMILLE)
    cancel(world)
    world.twilio.drop_before_accept(CAMILLE)
    code, doc = world.run_json(*VOICE, env=at(1))
    assert code == 0, doc
    # The first call (known to the ledger as version 1's) is never this attempt's.
    calls = world.twilio.calls_to(CAMILLE)
    assert len(calls) == 2 and calls[0].sid == first.sid
    assert "erreur" in said(world, CAMILLE)[1]
    (voice,) = doc["delivery"]
    assert voice["looked_up"] == {"found_sent": 0, "resent": 1, "held_uncertain": 0}
    with sqlite3.connect(world.folder / ".broadcast" / "ledger.sqlite3") as db:
        sids = [r[0] for r in db.execute("SELECT provider_id FROM deliveries ORDER BY id")]
    assert calls[1].sid in sids and sids.count(first.sid) == 1


def test_two_incidents_calling_one_number_each_get_their_own_call(world: World) -> None:
    voice_world(world)
    assert world.run_json(*VOICE)[0] == 0
    other = world.folder / "other.yaml"
    other.write_text(
        (world.folder / "incident.yaml")
        .read_text(encoding="utf-8")
        .replace("id: panne-nord-2026-11-22", "id: fuite-gaz-2026-11-22")
        .replace("headline:", "headline: Second incident.", 1),
        encoding="utf-8",
    )
    world.twilio.drop_before_accept(CAMILLE)
    code, doc = world.run_json("send", "other.yaml", "--yes", "--channel", "voice")
    assert code == 0, doc
    assert len(world.twilio.calls_to(CAMILLE)) == 2  # one per incident
    assert doc["delivery"][0]["looked_up"]["resent"] == 1


def test_a_call_the_ledger_cannot_attribute_is_held_uncertain_by_name(world: World) -> None:
    """Someone else (another host, another ledger) called her from our caller id meanwhile:
    the listed call may be this attempt's or theirs; it is neither taken nor placed again."""
    voice_world(world)
    client = make_twilio_client(world.twilio)
    foreign = client.calls.create(to=CAMILLE, from_="+15005550006", twiml="<Response/>")
    world.twilio.drop_before_accept(CAMILLE)
    code, doc = world.run_json(*VOICE)
    assert code == 1, doc
    assert [c.sid for c in world.twilio.calls_to(CAMILLE)] == [foreign.sid]
    (item,) = doc["uncertain"]
    assert item["recipient"] == "…" + CAMILLE[-4:]
    assert "cannot tell whose call it is" in item["why"]
    result = run(world, "status", "incident.yaml")
    assert "uncertain" in result.output
    # A plain re-run (cron) has nothing new to say, and still names it: exit 1, no call.
    result = run(world, *VOICE)
    output = paragraph(result.output)
    assert result.exit_code == 1, output
    assert "voice: 1 uncertain delivery: held uncertain" in output
    assert f"voice: …{CAMILLE[-4:]} (line 2) uncertain: maybe placed" in output
    assert len(world.twilio.calls_to(CAMILLE)) == 1
    # The operator decides: --resend-uncertain places it.
    code, doc = world.run_json(*VOICE, "--resend-uncertain")
    assert (code, doc["uncertain"]) == (0, []), doc
    assert len(world.twilio.calls_to(CAMILLE)) == 2


def test_kill_9_at_random_then_every_contact_edited_still_one_sms_each(world: World) -> None:
    """Unnamed cases of the same rule: 400 recipients, kill -9 mid-send, then every name and
    every other language changed in the file: each number still gets exactly one SMS, in the
    words of its first attempt wherever one was made."""
    numbers = [f"+3361234{i:04d}" for i in range(400)]

    def contacts(edited: bool) -> str:
        rows = []
        for i, number in enumerate(numbers):
            locale = ("en" if i % 2 else "fr") if edited else ("fr" if i % 2 else "en")
            rows.append(f"{'Zoé' if edited else 'Anne'} {i},{number},{locale}\n")
        return "name,phone,locale\n" + "".join(rows)

    write(world.folder / "contacts.csv", contacts(edited=False))
    config = world.folder / "channels.yaml"
    config.write_text(
        config.read_text().replace(
            "    rate: unlimited\n",
            "    rate: unlimited\n    concurrency: 8\n    personalise: true\n    timeout: 5\n",
            1,
        )
    )
    world.twilio.latency = 0.01
    process = start(world, "--channel", "sms")
    target = random.Random(20261207).uniform(20, 300)
    deadline = time.monotonic() + 30
    while len(world.twilio.messages()) < target and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    first = {m.to: m.body for m in world.twilio.messages()}
    assert 0 < len(first) < len(numbers)

    write(world.folder / "contacts.csv", contacts(edited=True))
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert (code, doc["action"], doc["uncertain"]) == (0, "continue", []), doc
    counts = Counter(m.to for m in world.twilio.messages())
    assert set(counts) == set(numbers) and set(counts.values()) == {1}, "none or two"
    assert all(world.twilio.messages_to(n)[0].body == body for n, body in first.items())
