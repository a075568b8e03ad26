"""A person is counted once, however they came to be reached: a subscriber whose number is
also a row of the channel's list gets one message (``with_subscribers``), so the preview, the
dry run, --json and the real send's confirmation count them once too, and the send reaches
exactly the number said. The real send's confirmation says how many subscribers it read (not
"read when sending"); the per-language counts are of those the area targets; and a preview
reads the last wording and the subscribers through one opening of the ledger.
"""

from __future__ import annotations

import os

import pytest

from tests.test_send import terminal_send
from tests.world import World

# The list's Camille Martin (06 12 34 56 78) signed up too, written as serve normalises it;
# two others are subscribers only.
BOTH = "+33612345678"
ONLY = ["+33699000001", "+33699000002"]


def _sign_up(world: World, postcodes: dict[str, str] | None = None) -> None:
    from broadcast.ledger.sqlite import Ledger
    from tests.test_ledger import T0

    postcodes = postcodes or {}
    ledger = Ledger(world.folder / ".broadcast", environ={**os.environ, **world.engine})
    try:
        for number in (BOTH, *ONLY):
            postcode = postcodes.get(number, "59000")
            ledger.subscribe_confirmed("phone", number, "fr", postcode, "INSCRIRE", T0, "sms")
    finally:
        ledger.close()


def _with_subscribers(world: World) -> None:
    config = world.folder / "channels.yaml"
    text = config.read_text(encoding="utf-8").replace(
        "    recipients: contacts.csv\n", "    recipients: [contacts.csv, subscribers]\n", 1
    )
    config.write_text(text, encoding="utf-8")


def test_a_subscriber_also_in_the_list_is_counted_once_everywhere(world: World) -> None:
    _with_subscribers(world)
    _sign_up(world)
    # The list's four phones, and the two subscribers who are not among them.
    expected = 4 + len(ONLY)

    code, doc = world.run_json("preview", "incident.yaml", "--channel", "sms")
    assert code == 0, doc
    [sms] = doc["channels"]
    assert sms["recipients"] == expected and sms["recipients_listed"] == 4
    assert sms["subscribers"] == len(ONLY) and sms["subscribers_also_listed"] == 1
    assert doc["delivery_plan"][0]["recipients"] == expected
    wide = {"COLUMNS": "200"}
    said = " ".join(
        world.run("preview", "incident.yaml", "--channel", "sms", env=wide).output.split()
    )
    assert "3 recipients in fr + 2 subscribers, 1 more already in the list" in said, said

    code, dry = world.run_json("send", "incident.yaml", "--dry-run", "--channel", "sms")
    assert code == 0, dry
    assert dry["channels"][0]["recipients"] == expected
    assert dry["channels"][0]["subscribers"] == len(ONLY)
    said = " ".join(
        world.run("send", "incident.yaml", "--dry-run", "--channel", "sms").output.split()
    )
    assert "+ 2 subscribers, 1 more already in the list" in said, said

    code, sent = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0, sent
    messages = world.twilio.messages()
    assert len(messages) == expected == len({m.to for m in messages})
    assert [m.to for m in messages].count(BOTH) == 1


def test_the_same_person_in_the_area_is_counted_once_at_the_top(world: World) -> None:
    """--json's top-level area counts unique people: the list's row and the same number
    subscribed are one person."""
    _with_subscribers(world)
    _sign_up(world)
    incident = world.folder / "incident.yaml"
    incident.write_text(
        incident.read_text(encoding="utf-8").replace(
            "translations:\n",
            'area:\n  postcodes: ["59000"]\n  unlocated: include\ntranslations:\n',
            1,
        ),
        encoding="utf-8",
    )
    code, doc = world.run_json("preview", "incident.yaml", "--channel", "sms")
    assert code == 0, doc
    [sms] = doc["channels"]
    # The list's rows have no place (unlocated, included); the three subscribers are in,
    # one of whom is a row already.
    assert sms["recipients"] == 4 + len(ONLY), sms
    assert (doc["area"]["in"], doc["area"]["unlocated"]) == (len(ONLY), 4), doc["area"]


def test_the_per_language_counts_are_of_those_the_area_targets(world: World) -> None:
    contacts = world.folder / "contacts.csv"
    rows = contacts.read_text(encoding="utf-8").splitlines()
    # A postcode per row: the English reader lives outside the area.
    placed = [rows[0] + ",postcode"] + [
        row + (",SW1A 1AA" if row.endswith(",en") else ",59000") for row in rows[1:]
    ]
    contacts.write_text("\n".join(placed) + "\n", encoding="utf-8")
    incident = world.folder / "incident.yaml"
    incident.write_text(
        incident.read_text(encoding="utf-8").replace(
            "translations:\n", 'area:\n  postcodes: ["59000"]\ntranslations:\n', 1
        ),
        encoding="utf-8",
    )
    code, doc = world.run_json("preview", "incident.yaml", "--channel", "sms")
    assert code == 0, doc
    [sms] = doc["channels"]
    assert sms["recipients"] == 3
    assert sms["recipients_by_language"].get("en", 0) == 0, sms["recipients_by_language"]
    said = " ".join(world.run("preview", "incident.yaml", "--channel", "sms").output.split())
    assert "3 recipients in fr" in said and "0 recipients in en" in said, said
    # The delivery plan's parts count those it sends to, each in their language.
    [planned] = doc["delivery_plan"]
    assert planned["recipients"] == 3
    assert planned["parts"] == 3 * sms["segments"]


@pytest.mark.slow
def test_the_real_send_s_confirmation_says_the_subscribers_it_read(world: World) -> None:
    _with_subscribers(world)
    _sign_up(world)
    code, screen = terminal_send(world, b"n\n", "--channel", "sms", columns="200")
    assert code == 0, screen
    flat = " ".join(screen.split())
    assert "About to send" in flat
    assert "read when sending" not in flat, flat
    assert "+ 2 subscribers, 1 more already in the list" in flat, flat
    assert world.twilio.requests() == []


def test_a_preview_reads_the_wording_and_the_subscribers_through_one_opening(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from broadcast.api import previews
    from broadcast.delivery import recorded, subscribers

    _with_subscribers(world)
    assert world.run("send", "incident.yaml", "--yes", "--channel", "sms").exit_code == 0
    _sign_up(world)
    seen: dict[str, list[object]] = {"wording": [], "subscribers": []}
    real_wording, real_confirmed = recorded.last_wording, subscribers._confirmed

    def last_wording(ledger, incident_id):  # type: ignore[no-untyped-def]
        seen["wording"].append(ledger)  # kept: no id reused
        return real_wording(ledger, incident_id)

    def confirmed(ledger, kind):  # type: ignore[no-untyped-def]
        seen["subscribers"].append(ledger)
        return real_confirmed(ledger, kind)

    monkeypatch.setattr(recorded, "last_wording", last_wording)
    monkeypatch.setattr(subscribers, "_confirmed", confirmed)
    monkeypatch.chdir(world.folder)
    for name, value in {"BROADCAST_NOW": "2026-11-22T09:50:00+01:00", **world.engine}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("BROADCAST_CONFIG", raising=False)
    result = previews.preview(world.folder / "incident.yaml", world.folder / "channels.yaml")
    [sms] = [c for c in result.plan.channels if c.name == "sms"]
    assert sms.subscriber_count is not None and sms.subscriber_count.sent == len(ONLY)
    # Both read (the last wording, the subscribers of each kind), from one opened ledger.
    assert seen["wording"] and seen["subscribers"], seen
    assert len({id(ledger) for ledger in (*seen["wording"], *seen["subscribers"])}) == 1, seen


def test_an_email_written_otherwise_in_the_list_is_one_person(world: World) -> None:
    """The list writes Karim's address in capitals on one row; he signed up in lower case."""
    from broadcast.ledger.sqlite import Ledger
    from tests.test_ledger import T0

    config = world.folder / "channels.yaml"
    text = config.read_text(encoding="utf-8")
    start = text.index("  email:\n")
    at = text.index("    recipients: contacts.csv\n", start)
    text = text[:at] + "    recipients: [contacts.csv, subscribers]\n" + text[at + 29 :]
    # Every email to a subscriber carries an unsubscribe link to serve.
    text = text.replace(
        "channels:\n", 'serve: {public_url: "https://alerts.example.org"}\nchannels:\n', 1
    )
    config.write_text(text, encoding="utf-8")
    ledger = Ledger(world.folder / ".broadcast", environ={**os.environ, **world.engine})
    try:
        for address in ("karim.benali@example.org", "new.reader@example.net"):
            ledger.subscribe_confirmed("email", address, "fr", "59000", "ok", T0, "web")
    finally:
        ledger.close()
    code, doc = world.run_json("preview", "incident.yaml", "--channel", "email")
    problems = [p for c in doc["channels"] for p in c["problems"]] + doc["problems"]
    assert code == 0, [p["message"] for p in problems]
    [email] = doc["channels"]
    assert email["recipients_listed"] == 3
    assert email["subscribers"] == 1 and email["subscribers_also_listed"] == 1
    assert email["recipients"] == 4
