"""Every surface true on the less-travelled paths (issue 23): a correction quotes what was
sent, a CAP Cancel carries the correction, the end time is ``ended_at`` everywhere, the index
speaks the organisation's language, and the labels of a report and of ``status`` say what
happened.

Real CLI runs against the local peers write the status folder, the CAP folder, the emails and
the report; the outputs are parsed (lxml for HTML and XML, the CAP 1.2 XSD for CAP).
"""

from __future__ import annotations

import re
from functools import partial

import lxml.html
import pytest
from lxml import etree

from tests.conftest import at
from tests.test_channel_cap import CAP_CHANNEL, NS, valid
from tests.world import World
from tests.world import edit as edit_all

edit = partial(edit_all, count=1)
WRONG_FR = "Coupure de courant à Lille et Roubaix depuis 8h10. Rétablissement prévu vers 14h."
WRONG_EN = "Power cut in Lille and Roubaix since 08:10. We are restoring it; back around 14:00."
# As the example file advises: once cancelled, the headline is rewritten as the correction.
NEW_FR = "Il n'y a pas de coupure à Lille : notre message de 9h40 était une erreur."
NEW_EN = "There is no power cut in Lille; our 9:40 message was a mistake."
CORRECTION = (
    "correction: >\n"
    "  Il n'y a pas de coupure à Lille : notre message de 9h40 était une erreur.\n"
    "  Vous n'avez rien à faire.\n"
)
STATUS = "public/status"
PAGE = "panne-nord-2026-11-22.html"


@pytest.fixture
def cap_world(world: World) -> World:
    with (world.folder / "channels.yaml").open("a", encoding="utf-8") as out:
        out.write(CAP_CHANNEL)
    return world


def send(world: World, minutes: int) -> dict:
    code, doc = world.run_json("send", "incident.yaml", "--yes", env=at(minutes))
    assert code == 0, doc
    return doc


def cancel_with_new_headline(world: World) -> None:
    edit(world, "status: investigating", "status: cancelled")
    edit(world, f"headline: {WRONG_FR}", f'headline: "{NEW_FR}"')
    edit(world, f"    headline: {WRONG_EN}", f"    headline: {NEW_EN}")
    edit(
        world,
        "translations:\n  en:\n",
        "translations:\n  en:\n    correction: There is no power cut in Lille. Nothing to do.\n",
    )
    with (world.folder / "incident.yaml").open("a", encoding="utf-8") as out:
        out.write(CORRECTION)


def page(world: World, name: str = PAGE) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((world.folder / STATUS / name).read_bytes())


def words(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def email_text(world: World, address: str) -> str:
    message = world.smtp.messages_to(address)[-1].message
    return " ".join(message.get_body(("plain",)).get_content().split())


def email_html(world: World, address: str) -> lxml.html.HtmlElement:
    message = world.smtp.messages_to(address)[-1].message
    return lxml.html.fromstring(message.get_body(("html",)).get_content())


# -- 1. A correction quotes what was sent ------------------------------------------------


def test_a_correction_quotes_the_message_sent_not_the_rewritten_headline(
    cap_world: World,
) -> None:
    world = cap_world
    send(world, 0)
    cancel_with_new_headline(world)
    send(world, 25)

    status = page(world)
    was = words(status.xpath("//p[@class='was']")[0])
    assert WRONG_FR in was and "9h40" in was, was
    assert NEW_FR not in was
    # What is struck out is the wrong message, never the correction.
    struck = [words(s) for s in status.iter("s")]
    assert struck and all(NEW_FR not in s for s in struck), struck
    assert any(WRONG_FR in s for s in struck)
    h1 = words(status.xpath("//h1")[0])
    assert h1.startswith("Rectificatif") and WRONG_FR not in h1, h1
    # The page keeps the history of updates: the correction, then the message it corrects.
    timeline = [words(li) for li in status.xpath("//ol[@class='timeline']/li")]
    assert len(timeline) == 2, timeline
    assert "Rectificatif" in timeline[0] and "Incident en cours" in timeline[1]

    # The correction email, in each reader's language, quotes what that reader was sent.
    fr = email_text(world, "camille.martin@example.com")
    assert f"Notre message de 9h40 disait : « {WRONG_FR} »" in fr, fr
    assert f"« {NEW_FR} »" not in fr
    en = email_text(world, "emma.wilson@example.co.uk")
    assert f"Our 09:40 message said: “{WRONG_EN}”" in en, en
    assert NEW_EN not in en
    struck_fr = [words(s) for s in email_html(world, "camille.martin@example.com").iter("s")]
    assert struck_fr == [f"« {WRONG_FR} »"], struck_fr

    # The index says "Rectificatif" once, not "Rectificatif · Rectificatif".
    index = page(world, "index.html")
    labels = [words(s) for s in index.xpath("//li/span[@class='severity']")]
    assert labels and all(label.count("Rectificatif") == 1 for label in labels), labels


def test_a_second_correction_still_quotes_the_wrong_message_not_the_first_correction(
    world: World,
) -> None:
    send(world, 0)
    cancel_with_new_headline(world)
    send(world, 25)
    edit(world, "Vous n'avez rien à faire.", "Vous n'avez rien à faire, rien n'est coupé.")
    send(world, 40)
    was = words(page(world).xpath("//p[@class='was']")[0])
    assert WRONG_FR in was and NEW_FR not in was, was


def test_the_preview_of_a_correction_quotes_what_the_ledger_recorded(world: World) -> None:
    send(world, 0)
    cancel_with_new_headline(world)
    result = world.run("preview", "incident.yaml", "--channel", "email", env=at(25))
    shown = " ".join(result.output.replace("│", " ").split())
    assert "Notre message de 9h40 disait : « Coupure de courant à Lille et Roubaix" in shown
    assert f"disait : « {NEW_FR}" not in shown


# -- 2. A CAP Cancel carries the correction --------------------------------------------


def test_a_cap_cancel_carries_the_correction_in_every_language(cap_world: World) -> None:
    world = cap_world
    send(world, 0)
    cancel_with_new_headline(world)
    send(world, 25)
    alert = valid((world.folder / "public/cap/latest.xml").read_bytes())
    assert alert.find("cap:msgType", NS).text == "Cancel"
    infos = alert.findall("cap:info", NS)
    assert [i.find("cap:language", NS).text for i in infos] == ["fr-FR", "en-GB"]
    # What the wrong message said as fact, in each language: never re-asserted by the Cancel.
    false = {
        "fr-FR": ("Depuis 8h10 ce matin", "Nos techniciens sont sur place", "congélateur"),
        "en-GB": ("Since 08:10 this morning", "Our technicians have been on site", "freezer"),
    }
    corrections = {
        "fr-FR": "Il n'y a pas de coupure à Lille",
        "en-GB": "There is no power cut in Lille",
    }
    for info in infos:
        language = info.find("cap:language", NS).text
        headline = info.find("cap:headline", NS).text
        description = info.find("cap:description", NS).text
        instruction = info.find("cap:instruction", NS).text
        assert headline.startswith(("Annulé à 10h05.", "Cancelled at 10:05.")), headline
        assert corrections[language] in headline and corrections[language] in description
        for text in (headline, description, instruction):
            for claim in false[language]:
                assert claim not in text, (language, text)
        # The wrong message is only ever quoted as what was said.
        wrong = WRONG_FR if language == "fr-FR" else WRONG_EN
        assert wrong not in headline
        assert re.search(r"(disait|said)\W+" + re.escape(wrong[:20]), description), description
    # The Atom index of the CAP folder names the Cancel by its correction.
    feed = etree.fromstring((world.folder / "public/cap/alerts.atom").read_bytes())
    titles = [e.text for e in feed.iterfind(".//atom:entry/atom:title", NS)]
    assert titles[0].startswith("Annulé à 10h05.") and "Il n'y a pas de coupure" in titles[0]
