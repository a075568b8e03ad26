"""A send with ``--yes`` streams its recipients: the first rows are checked before the first
message, the others as they are sent; the plan says at the end what the whole file held.

The real CLI against the local Twilio peer; the lists are longer than the rows read first
(``HEAD_ROWS``), so the rows further down are only ever read while sending.
"""

from __future__ import annotations

import json

import pytest

from broadcast.delivery.preflight import HEAD_ROWS
from tests.conftest import write
from tests.world import World

COUNT = 3 * HEAD_ROWS
NUMBERS = [f"+3361234{i:04d}" for i in range(COUNT)]
FAR = 2 * HEAD_ROWS  # a row well past the first rows (its line is FAR + 2)


def contacts(world: World, rows: list[str]) -> None:
    write(world.folder / "contacts.csv", "name,phone,email,locale\n" + "".join(rows))


def rows(bad_at: int | None = None, english_at: int | None = None) -> list[str]:
    out = []
    for i, number in enumerate(NUMBERS):
        phone = "06 12" if i == bad_at else number
        out.append(f"N{i},{phone},,{'en' if i == english_at else 'fr'}\n")
    return out


def log_lines(world: World) -> list[dict]:
    text = (world.folder / "cron.log").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.slow
def test_a_row_problem_past_the_first_rows_is_said_as_it_is_met(world: World) -> None:
    contacts(world, rows(bad_at=FAR))
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--channel", "sms", "--log-file", "cron.log"
    )
    assert code == 0, doc
    (sms,) = doc["delivery"]
    assert (sms["sent"], sms["skipped"]) == (COUNT - 1, 1)
    # The plan says what the whole file held, not only its first rows.
    (plan,) = doc["channels"]
    assert (plan["recipients"], plan["recipients_skipped"]) == (COUNT - 1, 1)
    assert "recipients_complete" not in plan
    (warning,) = [w for w in doc["warnings"] if w["field"] == "phone"]
    assert warning["line"] == FAR + 2
    # In the log, the warning comes before any delivery of the rows after it.
    events = log_lines(world)
    said = next(i for i, e in enumerate(events) if e.get("line") == FAR + 2)
    assert events[said]["event"] == "warning"
    later = [i for i, e in enumerate(events) if e["event"] == "delivery" and e["line"] > FAR + 2]
    assert later and min(later) > said
    assert len({m.to for m in world.twilio.messages()}) == COUNT - 1


def test_a_bad_byte_far_down_is_refused_before_the_first_message(world: World) -> None:
    path = world.folder / "contacts.csv"
    contacts(world, rows())
    lines = path.read_bytes().split(b"\n")
    lines[FAR] = lines[FAR].replace(b"N", b"\xe9", 1)  # Latin-1, as a spreadsheet exports it
    path.write_bytes(b"\n".join(lines))
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 2
    (problem,) = doc["channels"][0]["problems"]
    assert (problem["line"], problem["channel"]) == (FAR + 1, "sms")
    assert "UTF-8" in problem["message"]
    assert world.twilio.messages() == []


@pytest.mark.slow
def test_a_reader_far_down_gets_their_language(world: World) -> None:
    """The incident's translations are all rendered: the first rows do not say who reads what."""
    contacts(world, rows(english_at=FAR))
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0, doc
    bodies = {m.to: m.body for m in world.twilio.messages()}
    assert "Power cut in Lille" in bodies.pop(NUMBERS[FAR])
    assert len(bodies) == COUNT - 1
    assert all("Coupure de courant" in body for body in bodies.values())
    assert doc["channels"][0]["recipients_by_language"] == {"fr": COUNT - 1, "en": 1}


def test_the_confirmation_counts_every_row_first(world: World) -> None:
    """Without --yes (a dry run here) nothing streams: the counts shown are the file's."""
    contacts(world, rows(bad_at=FAR))
    code, doc = world.run_json("send", "incident.yaml", "--dry-run", "--channel", "sms")
    assert code == 0
    (plan,) = doc["channels"]
    assert (plan["recipients"], plan["recipients_skipped"]) == (COUNT - 1, 1)
