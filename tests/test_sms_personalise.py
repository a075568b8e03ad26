"""SMS greeted by name (``personalise: true``), end to end against the local Twilio peer.

A CSV of names: a short one, a long one, one outside GSM-7 (which would make the whole text
UCS-2), none at all, an English reader, and a number listed twice (one text, the first name).
Each recipient's text is counted on its own: the greeting goes for the one it would take over
``max_segments``, the preview and the planner say the count varies, and a lost answer is looked
up by the personalised body, never sent twice.
"""

from __future__ import annotations

from collections import Counter

import pytest

from broadcast.content.greeting import GREETING_MARK, NAME_SLOT
from broadcast.content.measure import sms_measure
from tests.conftest import write
from tests.world import World
from tests.world import edit as edit_all

CAMILLE, LONG, ANAIS, NAMELESS, EMMA = (
    "+33612345678",
    "+33612345679",
    "+33612345680",
    "+33612345681",
    "+447400123456",
)
NAMES = f"""\
name,phone,locale
Camille Martin,{CAMILLE},fr
Marie-Dominique-Alexandrine Delacourt,{LONG},fr
Anaïs Petit,{ANAIS},fr
,{NAMELESS},fr
Emma Wilson,{EMMA},en_GB
Camille again,{CAMILLE},fr
"""
MAX_SEGMENTS = 2


@pytest.fixture
def named(world: World) -> World:
    write(world.folder / "contacts.csv", NAMES)
    config = world.folder / "channels.yaml"
    config.write_text(
        config.read_text().replace(
            "    rate: unlimited\n",
            f"    rate: unlimited\n    personalise: true\n    max_segments: {MAX_SEGMENTS}\n",
            1,
        )
    )
    # A minor incident with no link: its SMS is one segment without a greeting, two with.
    edit_all(world, "severity: major", "severity: minor")
    edit_all(world, "link: https://status.example.com/panne-nord\n", "")
    return world


def test_the_preview_says_the_count_varies_per_recipient(named: World) -> None:
    code, doc = named.run_json("preview", "incident.yaml", "--channel", "sms")
    assert code == 0, doc
    sms = doc["channels"][0]
    assert sms["personalised"] is True
    # Camille and the long name greeted (2 segments); Anaïs would be UCS-2, and the nameless
    # has none: 1 segment each. Emma reads the English text.
    assert (sms["segments_min"], sms["segments_max"]) == (1, 2)
    assert (sms["greeted"], sms["readers"]) == (2, 4)
    assert sms["variants"]["en"]["greeted"] == 1
    assert f"{GREETING_MARK}Bonjour{NAME_SLOT}, {GREETING_MARK}Coupure" in sms["text"]

    wide = {"COLUMNS": "200"}
    shown = named.run("preview", "incident.yaml", "--channel", "sms", env=wide).output
    assert "151 chars + greeting · 1 to 2 segments each (max 2)" in shown
    assert "Greeted by name: 2 of 4; 2 without the greeting" in shown
    assert "\u2063" not in shown  # the greeting's marks are not shown
    # The planner counts each reader's own segments: 2 + 2 + 1 + 1 in French, 2 in English.
    planned = named.run("send", "incident.yaml", "--dry-run", "--channel", "sms", env=wide).output
    assert "│ sms     │       5 │             8 │" in planned, planned


def test_each_recipient_gets_their_own_text_once_even_when_the_answer_is_lost(
    named: World,
) -> None:
    # Twilio takes two messages and the answers never come back: the lookup must find the
    # personalised body, or the greeted recipient would get it twice.
    named.twilio.drop_first_answer_to(CAMILLE, EMMA)
    code, doc = named.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0, doc
    messages = named.twilio.messages()
    assert Counter(m.to for m in messages) == Counter(
        {CAMILLE: 1, LONG: 1, ANAIS: 1, NAMELESS: 1, EMMA: 1}
    )
    body = {m.to: m.body for m in messages}
    assert body[CAMILLE].startswith("Énergie Nord : Bonjour Camille, Coupure de courant")
    assert body[LONG].startswith("Énergie Nord : Bonjour Marie-Dominique-Alexandrine, Coupure")
    assert body[EMMA].startswith("Énergie Nord: Hello Emma, Power cut")
    # Anaïs's name would turn the text UCS-2 and over max_segments; none for the nameless.
    assert body[ANAIS] == body[NAMELESS]
    assert body[ANAIS].startswith("Énergie Nord : Coupure de courant")
    for text in body.values():
        assert "\u2063" not in text and "⟨name⟩" not in text
        assert sms_measure(text).segments <= MAX_SEGMENTS
    assert [sms_measure(body[n]).segments for n in (CAMILLE, ANAIS)] == [2, 1]
    lookups = [r for r in named.twilio.requests() if r.method == "GET"]
    assert len(lookups) == 2  # one per lost answer, each finding the personalised text
    assert doc["uncertain"] == []

    # A re-run sends nothing again.
    code, doc = named.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0
    assert len(named.twilio.messages()) == 5


# -- a name is unapproved text: only one that reads as a given name goes in -----------------

URL_NAME, SENTENCE_NAME, TITLED = "+33612345682", "+33612345683", "+33612345684"
HOSTILE = f"""\
name,phone,locale
Camille Martin,{CAMILLE},fr
https://evil.example/rembourse Martin,{URL_NAME},fr
Alerte-gaz-évacuez-appelez-0899123456,{SENTENCE_NAME},fr
Mme Marie-Hélène Petit,{TITLED},fr
"""


def test_only_a_given_name_is_put_in_the_approved_text(named: World) -> None:
    write(named.folder / "contacts.csv", HOSTILE)
    code, doc = named.run_json("preview", "incident.yaml", "--channel", "sms")
    assert code == 0, doc
    # Camille and Marie-Hélène (after "Mme") are greeted; the link and the sentence are not names.
    assert (doc["channels"][0]["greeted"], doc["channels"][0]["readers"]) == (2, 4)
    shown = named.run("preview", "incident.yaml", "--channel", "sms", env={"COLUMNS": "200"})
    assert "Greeted by name: 2 of 4; 2 without the greeting" in shown.output
    assert "read as a given name" in shown.output
    code, doc = named.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0, doc
    body = {m.to: m.body for m in named.twilio.messages()}
    assert body[CAMILLE].startswith("Énergie Nord : Bonjour Camille, Coupure")
    assert body[TITLED].startswith("Énergie Nord : Bonjour Marie-Hélène, Coupure")
    # The others get the approved text without a greeting: nothing of their "name" goes out.
    for number in (URL_NAME, SENTENCE_NAME):
        assert body[number].startswith("Énergie Nord : Coupure de courant"), body[number]
    everything = " ".join(body.values())
    assert "evil.example" not in everything and "0899123456" not in everything
    assert "Mme" not in everything
