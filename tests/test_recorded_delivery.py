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

import os
import secrets
import sqlite3
from collections import Counter

from tests.world import PHONES, World


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
    with sqlite3.connect(world.folder / ".broadcast" / "ledger.sqlite3") as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'sealed'", (secrets.token_hex(32),))
        if not canary:
            db.execute("DELETE FROM meta WHERE key = 'secret_check'")


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
    assert "does not open the ledger's own rows" in message and "ledger.sqlite3" in message
    assert "Nothing was sent" in message and "backup" in message
    assert phones_reached(world) == Counter(PHONES)  # nobody twice
    assert world.smtp.received == [] and world.x.posts() == []  # nothing at all
    result = run(world, "status", "incident.yaml")
    assert result.exit_code == 2 and "does not open" in paragraph(result.output)


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
