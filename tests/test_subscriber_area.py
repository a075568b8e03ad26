"""A subscriber is placed in an incident's area by one rule (``area_reach.subscriber_verdicts``):
the preview's count and the send's choice both go through it, so the number a preview states
is the number a send reaches, whatever way the postcode was written. Postcodes compare without
spaces and case ("59 000", " 59000", "sw1a 1aa"), as the CSV's and the area's own list do; a
postcode of spaces alone is no postcode (unlocated), not one the area leaves out.
"""

from __future__ import annotations

import os

import pytest

from broadcast.delivery.area_reach import subscriber_in_area, subscriber_verdicts
from broadcast.delivery.subscribers import with_subscribers
from broadcast.input.area_target import AreaTarget, Place
from broadcast.input.cap_area import Area
from tests.world import World

# (phone, postcode as the ledger holds it, verdict against the area 59000 + SW1A 1AA)
EDGES = [
    ("+33611220001", "59000", "in"),
    ("+33611220002", "59 000", "in"),
    ("+33611220003", " 59000 ", "in"),
    ("+33611220004", "59000\t", "in"),
    ("+33611220005", "sw1a 1aa", "in"),
    ("+33611220006", "SW1A1AA", "in"),
    ("+33611220007", "59001", "out"),
    ("+33611220008", "5900", "out"),
    ("+33611220009", "", "unlocated"),
    ("+33611220010", "   ", "unlocated"),
]
AREA = '\narea:\n  description: Lille\n  postcodes: ["59000", "sw1a 1AA"]\n'


def _target(unlocated: str = "exclude") -> AreaTarget:
    return AreaTarget.of(Area(postcodes=["59000", "sw1a 1AA"], unlocated=unlocated))


def test_edge_postcodes_get_one_verdict_however_written() -> None:
    target = _target()
    assert subscriber_verdicts(target, [code for _, code, _ in EDGES]) == [v for *_, v in EDGES]
    # A CSV's row is placed the same way: the rule is the area's, not the subscriber's.
    assert target.classify([Place(postcode="59 000"), Place(postcode="59001")]) == ["in", "out"]


@pytest.mark.parametrize("unlocated", ["exclude", "include"])
def test_the_send_s_choice_is_the_preview_s_verdict(unlocated: str) -> None:
    target = _target(unlocated)
    takes = subscriber_in_area(target)
    verdicts = subscriber_verdicts(target, [code for _, code, _ in EDGES])
    assert [takes(code) for _, code, _ in EDGES] == [target.takes(v) for v in verdicts]
    assert takes(None) is (unlocated == "include")


def _sign_up(world: World) -> None:
    from broadcast.ledger.sqlite import Ledger
    from tests.test_ledger import T0

    ledger = Ledger(world.folder / ".broadcast", environ={**os.environ, **world.engine})
    try:
        for phone, postcode, _ in EDGES:
            ledger.subscribe_confirmed("phone", phone, "fr", postcode, "INSCRIRE", T0, "sms")
        # Read back as the ledger holds them: the test is about these very strings.
        held = {s.address: s.postcode for s in ledger.confirmed_subscribers("phone")}
    finally:
        ledger.close()
    assert held == {phone: postcode for phone, postcode, _ in EDGES}


@pytest.mark.parametrize("unlocated", ["exclude", "include"])
def test_the_preview_counts_whom_the_send_reaches_on_edge_postcodes(
    world: World, unlocated: str
) -> None:
    config = world.folder / "channels.yaml"
    text = config.read_text(encoding="utf-8").replace(
        "    recipients: contacts.csv\n", "    recipients: subscribers\n", 1
    )
    config.write_text(text, encoding="utf-8")
    incident = world.folder / "incident.yaml"
    text = incident.read_text(encoding="utf-8")
    text = text.replace("translations:\n", AREA + f"  unlocated: {unlocated}\ntranslations:\n", 1)
    # A translation carries the area's words too.
    text = text.replace("  en:\n", "  en:\n    area:\n      description: Lille\n", 1)
    incident.write_text(text, encoding="utf-8")
    _sign_up(world)
    expected = {
        phone
        for phone, _, verdict in EDGES
        if verdict == "in" or (verdict == "unlocated" and unlocated == "include")
    }

    code, preview = world.run_json("preview", "incident.yaml", "--channel", "sms")
    assert code == 0, preview
    [sms] = preview["channels"]
    assert sms["subscribers"] == len(expected) == sms["recipients"]
    assert sms["area"]["subscribers"] == {"in": 6, "out": 2, "unlocated": 2, "confirmed": 10}
    code, dry = world.run_json("send", "incident.yaml", "--dry-run", "--channel", "sms")
    assert code == 0, dry
    assert dry["channels"][0]["subscribers"] == len(expected)

    result = world.run("send", "incident.yaml", "--yes", "--channel", "sms")
    assert result.exit_code == 0, result.output
    assert {m.to for m in world.twilio.messages()} == expected
    assert len(world.twilio.messages()) == len(expected)


def test_with_subscribers_skips_those_the_area_does_not_take(world: World) -> None:
    """The send's own generator, on the ledger, with the send's predicate."""
    from broadcast.ledger.sqlite import Ledger

    _sign_up(world)
    ledger = Ledger(world.folder / ".broadcast", environ={**os.environ, **world.engine})
    try:
        takes = subscriber_in_area(_target())
        picked = [t.address for t in with_subscribers(None, ledger, "phone", takes)]
    finally:
        ledger.close()
    assert sorted(picked) == sorted(phone for phone, _, v in EDGES if v == "in")
