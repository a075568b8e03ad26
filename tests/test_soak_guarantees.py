"""Issue 22's closing check: every guarantee at once, over a 2,000-recipient send.

Approval by a second person (bob approves, alice sends), faults sprinkled on chosen numbers
(answers lost after Twilio took the message, connections dropped before it took it, answers
held while a kill lands, numbers Twilio refuses, and, where the peer has them, a 5xx after
accepting and a provider clock running behind), the contacts file edited between a crash and
the re-run, kill -9 at random moments, and plain re-runs until each version is complete; then
an update approved and sent the same way, and a drill to the exercise list.

What counts is what the local Twilio peer took, checked against the ledger's recorded texts
and the approval's hashes of them:

- every recipient has exactly one SMS per version, or is listed uncertain by name (the run's
  ``--json``), or is a number Twilio refused (none then);
- every SMS body is one of the texts bob approved for its version, in the recipient's
  language (one of the two an edited row had);
- no drill text reached a real recipient, and every drill text carries the marker.

A failure names its random seed: set ``SOAK_SEED`` to replay it.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import timedelta

import pytest

from broadcast.input.config import SmsChannel
from tests.conftest import NOW, write
from tests.test_crash import finish
from tests.test_exercise import DRILL, DRILL_PHONES
from tests.world import World

pytestmark = pytest.mark.slow

RECIPIENTS = 2000
# Last four digits all different, so the ledger's hint ("…0042") names one number each.
NUMBERS = [f"+3361234{i:04d}" for i in range(RECIPIENTS)]
SEED = int(os.environ.get("SOAK_SEED") or random.SystemRandom().randrange(1, 10**9))
HEADLINE_2 = "Panne de courant à Lille et Roubaix depuis 8h10. Rétablissement prévu vers 14h."


def replay() -> str:
    return f"(replay with SOAK_SEED={SEED})"


def contacts(names: dict[int, str], locales: dict[int, str]) -> str:
    return "name,phone,locale\n" + "".join(
        f"{names[i]},{n},{locales[i]}\n" for i, n in enumerate(NUMBERS)
    )


def configure(world: World) -> None:
    """SMS only (to the contacts, a drill to its own list), under approval by a second
    person; eight workers, as a real send."""
    write(world.folder / "drill.csv", DRILL)
    # Where a channel's ``timeout`` exists (with the maybe-sent lookups, h/maybesent), a short
    # one: a lookup that finds nothing after a request with no answer waits twice the timeout
    # and 5 s before it trusts that (15 s by default: minutes over this many faults).
    timeout = "    timeout: 3\n" if "timeout" in SmsChannel.model_fields else ""
    write(
        world.folder / "channels.yaml",
        f"""\
organisation: Énergie Nord
defaults: {{locale: fr, timezone: Europe/Paris}}
approval: {{required: true}}
channels:
  sms:
    type: sms
    from: "+15005550006"
    recipients: contacts.csv
    exercise_recipients: drill.csv
    default_region: FR
    rate: unlimited
    concurrency: 8
{timeout}    account_sid: "${{TWILIO_ACCOUNT_SID}}"
    auth_token: "${{TWILIO_AUTH_TOKEN}}"
    api_base_url: {world.twilio.url}
""",
    )


def env_at(world: World, minutes: int) -> dict[str, str]:
    return world.process_env((NOW + timedelta(minutes=minutes)).isoformat())


def cli(world: World, minutes: int, *args: str) -> tuple[int, dict]:
    done = subprocess.run(
        [sys.executable, "-m", "broadcast", *args, "--json"],
        cwd=world.folder,
        env=env_at(world, minutes),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def start(world: World, minutes: int, *args: str) -> subprocess.Popen[str]:
    # A suite started in the background inherits SIGINT ignored; keep the default (as
    # test_crash does) so nothing here depends on how pytest was started.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "broadcast",
            "send",
            "incident.yaml",
            "--yes",
            "--json",
            "--as",
            "alice",
            *args,
        ],
        cwd=world.folder,
        env=env_at(world, minutes),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_at(world: World, process: subprocess.Popen[str], taken: int) -> None:
    """kill -9 once the peer holds ``taken`` messages (or the run ends first)."""
    deadline = time.monotonic() + 30
    while (
        len(world.twilio.messages()) < taken
        and process.poll() is None
        and time.monotonic() < deadline
    ):
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.communicate()


def sprinkle_faults(world: World, chance: random.Random) -> set[str]:
    """Faults on chosen numbers for the next version; returns the numbers Twilio refuses."""
    picked = chance.sample(NUMBERS, 70)
    world.twilio.drop_first_answer_to(*picked[0:25])  # taken, the answer lost
    # Hung up before taking it: few, as each one's lookup waits for Twilio to settle.
    world.twilio.drop_before_accept(*picked[25:33])
    world.twilio.hold_first_answer_to(*picked[33:39], seconds=2.0)  # taken, answer held
    refused = set(picked[39:43])
    for number in refused:
        world.twilio.set_number_error(number, 21610)  # unsubscribed: a clear refusal
    # The maybe-sent modes of the peer (merged from h/maybesent): used where present.
    if hasattr(world.twilio, "fail_first_answer_to"):
        world.twilio.fail_first_answer_to(*picked[43:68], status=500)  # taken, then a 500
    if "timeout" in SmsChannel.model_fields:
        # A slow accept: the next request is held past the channel's 3 s timeout, then done.
        world.twilio.delay_next(4.0)
    if hasattr(world.twilio, "clock_offset"):
        world.twilio.clock_offset = -300.0  # Twilio's clock five minutes behind ours
    return refused


def approved_texts(world: World, exercise: bool) -> dict[int, dict[str, set[str]]]:
    """Per version (of the real incident, or of the drill): language -> the SMS texts the
    ledger recorded, each checked against the hash its approval holds."""
    with sqlite3.connect(world.folder / ".broadcast" / "ledger.sqlite3") as db:
        db.row_factory = sqlite3.Row
        versions = db.execute(
            "SELECT id, approval_id FROM versions WHERE exercise = ? ORDER BY id", (int(exercise),)
        ).fetchall()
        out: dict[int, dict[str, set[str]]] = {}
        for version in versions:
            assert version["approval_id"] is not None, "a version went out unapproved"
            (manifest,) = db.execute(
                "SELECT texts_hash FROM approvals WHERE id = ?", (version["approval_id"],)
            ).fetchone()
            hashes = json.loads(manifest)["update"]
            languages: dict[str, set[str]] = defaultdict(set)
            for row in db.execute(
                "SELECT locale, part, text FROM renders WHERE version_id = ? AND channel = 'sms'",
                (version["id"],),
            ):
                if row["part"].startswith("_"):
                    continue  # the renderer's own notes (facts it was given), never sent
                key = f"sms/{row['locale']}/{row['part']}"
                digest = hashlib.sha256(row["text"].encode()).hexdigest()
                assert hashes.get(key) == digest, f"{key} recorded is not the text approved"
                languages[row["locale"]].add(row["text"])
            out[version["id"]] = languages
    return out


def send_version(
    world: World,
    chance: random.Random,
    minutes: int,
    kills: int,
    between_crashes: Callable[[], None] | None = None,
) -> dict[str, str]:
    """Approve (bob), then send (alice) with ``kills`` kill -9 at random moments, then plain
    re-runs until the version is complete. Returns, per recipient hint, why the last run
    still holds it uncertain."""
    code, approval = cli(world, minutes, "approve", "incident.yaml", "--yes", "--as", "bob")
    assert (code, approval["approved"]) == (0, True), approval
    before = len(world.twilio.messages())
    for kill in range(kills):
        taken = len(world.twilio.messages()) - before
        target = before + taken + int(chance.uniform(5, max(6, (RECIPIENTS - taken) * 0.7)))
        kill_at(world, start(world, minutes), target)
        print(
            f"killed at {len(world.twilio.messages()) - before} taken (aimed at {target - before})"
        )
        if kill == 0 and between_crashes is not None:
            between_crashes()
    held: dict[str, str] = {}
    for _ in range(5):
        code, doc = finish(start(world, minutes))
        held = {item["recipient"]: item["why"] for item in doc["uncertain"]}
        print(f"re-run: exit {code}, {doc['action']}, {len(held)} uncertain: {held}")
        assert code in (0, 1), doc
        if code == 0 or doc["action"] == "nothing":
            break
    return held


def test_every_guarantee_at_once_over_2000_recipients_with_kill_9(world: World) -> None:
    chance = random.Random(SEED)
    print(f"soak seed: {SEED}")
    configure(world)
    world.twilio.latency = 0.01
    names = {i: f"N{i}" for i in range(RECIPIENTS)}
    locales = {i: ("en" if chance.random() < 0.1 else "fr") for i in range(RECIPIENTS)}
    languages = {n: {locales[i]} for i, n in enumerate(NUMBERS)}
    write(world.folder / "contacts.csv", contacts(names, locales))

    def edit_contacts() -> None:
        # Between the crash and the re-run: some readers change language, some their name.
        for i in chance.sample(range(RECIPIENTS), 60):
            locales[i] = "en" if locales[i] == "fr" else "fr"
            languages[NUMBERS[i]].add(locales[i])
        for i in chance.sample(range(RECIPIENTS), 60):
            names[i] = f"Renamed {i}"
        write(world.folder / "contacts.csv", contacts(names, locales))

    # -- version 1 ------------------------------------------------------------------------
    refused_1 = sprinkle_faults(world, chance)
    held_1 = send_version(world, chance, 0, kills=2, between_crashes=edit_contacts)
    taken_by_version_1 = len(world.twilio.messages())
    # -- version 2: an update, approved and sent the same way ------------------------------
    path = world.folder / "incident.yaml"
    text = path.read_text(encoding="utf-8")
    # New words, not a new fact: a time moved in French alone would be a translation that
    # disagrees, a wording error the send stops at.
    assert "Coupure de courant à Lille" in text
    path.write_text(
        text.replace("Coupure de courant à Lille", "Panne de courant à Lille", 1), encoding="utf-8"
    )
    # Twilio still refuses the numbers it refused, and a few more now.
    refused_2 = refused_1 | sprinkle_faults(world, chance)
    held_2 = send_version(world, chance, 30, kills=1)
    # -- a drill, approved as a drill, to the exercise list --------------------------------
    code, approval = cli(
        world, 40, "approve", "incident.yaml", "--yes", "--as", "bob", "--exercise"
    )
    assert (code, approval["exercise"]) == (0, True), approval
    code, drill = finish(start(world, 40, "--exercise"))
    assert code == 0, drill

    world.twilio.raise_internal_errors()
    # The faults did fire: lost answers were looked up in Twilio's list, not sent again.
    lookups = [r for r in world.twilio.requests() if r.method == "GET"]
    assert any(r.path.endswith("/Messages.json") for r in lookups), replay()
    real = approved_texts(world, exercise=False)
    drills = approved_texts(world, exercise=True)
    assert len(real) == 2 and len(drills) == 1, (real.keys(), drills.keys(), replay())
    (v1, v2) = sorted(real)
    assert not set().union(*real[v1].values()) & set().union(*real[v2].values()), replay()

    # Nothing unapproved or unmarked leaves: each body is a recorded, approved text of its
    # version in a language the recipient had; a drill's only to the drill list.
    got: dict[int, Counter[str]] = {v1: Counter(), v2: Counter()}
    drill_texts = {t for texts in drills[next(iter(drills))].values() for t in texts}
    for message in world.twilio.messages():
        if message.to in DRILL_PHONES:
            assert message.body in drill_texts, (message.body, replay())
            assert message.body.startswith(("EXERCICE", "EXERCISE")), (message.body, replay())
            continue
        assert "EXERCI" not in message.body.upper(), (message.to, message.body, replay())
        assert message.body not in drill_texts, (message.to, replay())
        owners = [
            (v, lang) for v in (v1, v2) for lang, texts in real[v].items() if message.body in texts
        ]
        assert len(owners) == 1, (message.to, message.body, replay())
        ((version, language),) = owners
        assert language in languages[message.to], (message.to, language, replay())
        got[version][message.to] += 1
    assert Counter(m.to for m in world.twilio.messages() if m.to in DRILL_PHONES) == Counter(
        DRILL_PHONES
    ), replay()
    assert {"EXERCICE", "EXERCISE"} <= {b.split()[0] for b in drill_texts}, replay()

    # Every recipient: exactly one per version, or named uncertain, or refused by Twilio.
    for version, held, refused in ((v1, held_1, refused_1), (v2, held_2, refused_2)):
        counts = got[version]
        twice = sorted(n for n, k in counts.items() if k > 1)
        assert not twice, (f"version {version}: sent twice", twice, replay())
        missing = sorted(n for n in NUMBERS if counts[n] == 0 and n not in refused)
        unnamed = [n for n in missing if "…" + n[-4:] not in held]
        assert not unnamed, (f"version {version}: lost, not named uncertain", unnamed, replay())
        assert all(counts[n] == 0 for n in refused), replay()
        # At most what eight workers had in flight at each kill is left to a person to decide.
        assert len(held) <= 8 * 2, (held, replay())
    # Nothing of version 1 went out once its runs were over (no killed run lingering on).
    assert taken_by_version_1 == sum(got[v1].values()), replay()
    code, status = cli(world, 41, "status", "incident.yaml")
    assert status["channels"]["sms"]["uncertain"] == len(held_2), (status, replay())
