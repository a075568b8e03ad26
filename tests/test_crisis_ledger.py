"""What only the ledger knows, end to end: the last version sent, against the file now.

The real CLI against the local Twilio peer. A resolved headline left as the crisis one is
refused (exit 2, nothing sent) by validate and send alike; a translation that did not follow
its original is a warning; an expected end already passed is a warning, an error with
--strict, and the reminder says the repair takes longer without repeating the passed time.
"""

from __future__ import annotations

from functools import partial

from tests.conftest import at
from tests.world import PHONES, World
from tests.world import edit as edit_all

edit = partial(edit_all, count=1)  # the first occurrence only


def test_a_resolved_headline_left_unchanged_is_refused(world: World) -> None:
    assert world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")[0] == 0
    sent = len(world.twilio.messages())
    edit(world, "status: investigating", "status: resolved")

    code, doc = world.run_json("validate", "incident.yaml", env=at(200))
    assert code == 2
    unchanged = [p for p in doc["problems"] if "mot pour mot" in p["message"]]
    assert [p["field"] for p in unchanged] == ["headline", "translations.en.headline"]
    assert all(p["severity"] == "error" for p in unchanged)
    assert "« Le courant est revenu à Lille et Roubaix depuis 13h20. »" in unchanged[0]["message"]

    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=at(200))
    assert code == 2
    assert len(world.twilio.messages()) == sent, "nothing is sent"

    edit(world, "Rétablissement prévu vers 14h.", "Le courant est revenu partout.")
    edit(world, "We are restoring it; back around 14:00.", "Power is back everywhere.")
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=at(200))
    assert (code, doc["action"]) == (0, "new")
    bodies = [m.body for m in world.twilio.messages()[sent:]]
    assert len(bodies) == len(PHONES)
    # The end first, with its time: 8:40 UTC + 200 min is 13h00 in Paris.
    assert all(
        b.startswith(("Énergie Nord : Résolu à 13h.", "Énergie Nord: Resolved at 13:00."))
        for b in bodies
    ), bodies


def test_a_translation_left_behind_is_a_warning(world: World) -> None:
    assert world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")[0] == 0
    edit(world, "autour de la rue de la Gare.", "autour de la rue de la Paix.")
    code, doc = world.run_json("validate", "incident.yaml", env=at(20))
    assert code == 0
    stale = [p for p in doc["problems"] if "pas sa traduction" in p["message"]]
    assert [(p["field"], p["severity"]) for p in stale] == [("translations.en.summary", "warning")]
    assert "summary a changé depuis la dernière version envoyée" in stale[0]["message"]


def test_a_faq_translation_left_behind_is_a_warning(world: World) -> None:
    """The ledger keeps each version's FAQ too: an answer that changed while its translation
    did not is flagged on that entry."""
    assert world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")[0] == 0
    edit(world, "En cas d'urgence vitale, appelez", "En cas d'urgence, appelez")
    code, doc = world.run_json("validate", "incident.yaml", env=at(20))
    assert code == 0
    stale = [p for p in doc["problems"] if "pas sa traduction" in p["message"]]
    assert [p["field"] for p in stale] == ["translations.en.faq[1].a"], stale
    assert stale[0]["message"].startswith("la réponse 2 de la FAQ a changé")


def test_an_expected_end_passed_is_said_honestly(world: World) -> None:
    assert world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")[0] == 0
    sent = len(world.twilio.messages())
    late = at(6 * 60)  # 14h40 in Paris: the expected end (14h) has passed
    code, doc = world.run_json("validate", "incident.yaml", "--strict", env=late)
    assert code == 2
    (eta,) = [p for p in doc["problems"] if p["field"] == "eta"]
    # In the file's language (French: input.error_words).
    assert eta["severity"] == "error" and "donnez une nouvelle valeur à eta" in eta["message"]
    code, _ = world.run_json(
        "send", "incident.yaml", "--yes", "--channel", "sms", "--strict", env=late
    )
    assert code == 2 and len(world.twilio.messages()) == sent

    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms", env=late)
    assert (code, doc["action"]) == (0, "reminder")
    assert any(p["field"] == "eta" and p["severity"] == "warning" for p in doc["problems"])
    bodies = [m.body for m in world.twilio.messages()[sent:]]
    french = [b for b in bodies if b.startswith("Énergie Nord : ")]
    assert french and all("La réparation prend plus de temps que prévu." in b for b in french)
    assert not [b for b in bodies if "14h" in b or "14:00" in b], bodies
