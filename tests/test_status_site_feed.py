"""The status site's Atom feed carries every update's full text, as its page says it.

Real sends of the example incident (French, with an English translation) through the CLI; the
feed read back as XML: well-formed, in Atom's namespace, one entry per published update, its
ids the same each time the feed is written again, each entry's content the update's full text
(what happens, who is affected, since when and until when, what is done and what to do, the
next update) in the feed's language, word for word as the incident's page shows it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import lxml.html

from tests.conftest import at
from tests.world import World, edit

ATOM = "{http://www.w3.org/2005/Atom}"
XHTML = "{http://www.w3.org/1999/xhtml}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
STATUS = "public/status"
PAGE = "panne-nord-2026-11-22.html"


def send(world: World, minutes: int) -> None:
    code, doc = world.run_json("send", "incident.yaml", "--yes", env=at(minutes))
    assert code == 0, doc


def feed(world: World) -> ET.Element:
    """feed.xml parsed: a parse error fails the test (it is not well-formed)."""
    raw = (world.folder / STATUS / "feed.xml").read_bytes()
    assert raw.startswith(b"<?xml")
    root = ET.fromstring(raw)
    assert root.tag == f"{ATOM}feed"
    return root


def entries(root: ET.Element) -> list[ET.Element]:
    found = root.findall(f"{ATOM}entry")
    # Every element of an entry is Atom's, except the XHTML inside its content.
    for entry in found:
        for child in entry:
            assert child.tag.startswith(ATOM), child.tag
        content = entry.find(f"{ATOM}content")
        assert content is not None and content.get("type") == "xhtml"
        (div,) = list(content)
        assert div.tag == f"{XHTML}div"
    return found


def content(entry: ET.Element) -> list[str]:
    """The entry's content, block by block (headings, paragraphs, items), spaces folded."""
    div = entry.find(f"{ATOM}content/{XHTML}div")
    assert div is not None
    blocks = [e for e in div.iter() if e.tag in (f"{XHTML}h3", f"{XHTML}p", f"{XHTML}li")]
    return [" ".join("".join(e.itertext()).split()) for e in blocks]


def page_section(world: World, heading: str) -> list[str]:
    """The paragraphs under ``heading`` (an ``<h2>``) on the incident's page, spaces folded."""
    page = lxml.html.fromstring((world.folder / STATUS / PAGE).read_bytes())
    (h2,) = page.xpath(f"//main/h2[normalize-space(.) = {heading!r}]")
    said = []
    for sibling in h2.itersiblings():
        if sibling.tag != "p":
            break
        said.append(" ".join(sibling.text_content().split()))
    return said


def page_fact(world: World, label: str) -> str:
    page = lxml.html.fromstring((world.folder / STATUS / PAGE).read_bytes())
    (dd,) = page.xpath(f"//dl/dt[normalize-space(.) = {label!r}]/following-sibling::dd[1]")
    time = dd.find("time")
    return " ".join((time if time is not None else dd).text_content().split())


def test_each_entry_carries_the_full_update_as_its_page_says_it(world: World) -> None:
    send(world, 0)
    first = entries(feed(world))
    assert len(first) == 1
    said = content(first[0])
    assert said[0] == (
        "Coupure de courant à Lille et Roubaix depuis 8h10. Rétablissement prévu vers 14h."
    )
    # Every part of the page's update, word for word, under the page's own headings.
    for heading in ("Ce qui se passe", "Qui est concerné", "Ce que nous faisons"):
        paragraphs = page_section(world, heading)
        assert paragraphs, heading
        at_heading = said.index(heading)
        assert said[at_heading + 1 : at_heading + 1 + len(paragraphs)] == paragraphs, heading
    assert "Si votre appareil médical n'a pas de batterie de secours" in " ".join(said)
    for label in ("Depuis quand", "Fin prévue", "Prochaine mise à jour"):
        assert said[said.index(label) + 1] == page_fact(world, label), label
    assert "Sans internet : 0 800 000 000, gratuit." in " ".join(said).replace("\u00a0", " ")
    # The banner's short text stays the entry's summary.
    assert first[0].findtext(f"{ATOM}summary", "").startswith("Coupure de courant")

    edit(world, "status: investigating", "status: identified")
    edit(world, "autour de la rue de la Gare.", "autour de la rue de la Gare. Un câble a cédé.")
    send(world, 30)
    edit(world, "status: identified", "status: resolved")
    edit(world, "Rétablissement prévu vers 14h.", "Le courant est revenu partout.", 1)
    edit(world, "We are restoring it; back around 14:00.", "Power is back everywhere.", 1)
    send(world, 200)
    third = entries(feed(world))
    # One entry per published update, newest first, and the ids the feed gave each update
    # before are the ids it gives them once written again.
    assert len(third) == 3
    ids = [e.findtext(f"{ATOM}id") for e in third]
    assert len(set(ids)) == 3 and ids[-1] == first[0].findtext(f"{ATOM}id")
    assert [e.findtext(f"{ATOM}updated") for e in third] == sorted(
        (e.findtext(f"{ATOM}updated") or "" for e in third), reverse=True
    )
    middle = content(third[1])
    assert "Un câble a cédé." in " ".join(middle)
    resolved = content(third[0])
    assert resolved[0].endswith("Le courant est revenu partout.")
    # Once over, the page's past tense, the end and how long it lasted; no promise of news.
    for heading in ("Ce qui s'est passé", "Fin de l'incident", "Durée"):
        assert heading in resolved, resolved
    assert "Prochaine mise à jour" not in resolved and "Fin prévue" not in resolved
    send(world, 200)  # nothing new: the feed is unchanged, its ids with it
    again = entries(feed(world))
    assert [e.findtext(f"{ATOM}id") for e in again] == ids


def test_the_feed_speaks_the_site_s_language_from_the_incident_s_translation(
    world: World,
) -> None:
    path = world.folder / "channels.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "    output_dir: public/status\n",
            "    output_dir: public/status\n    site_locale: en\n",
        ),
        encoding="utf-8",
    )
    send(world, 0)
    root = feed(world)
    assert root.get(XML_LANG) == "en"
    (entry,) = entries(root)
    assert entry.get(XML_LANG) is None  # the feed's language: said in English
    assert entry.findtext(f"{ATOM}title") == "Ongoing incident · Power cut in the North area"
    said = content(entry)
    joined = " ".join(said)
    assert said[0].startswith("Power cut in Lille and Roubaix since 08:10.")
    for piece in (
        "What is happening",
        "part of Lille and Roubaix, around rue de la Gare, has had no electricity.",
        "Who is affected",
        "About 12,000 homes in Lille and Roubaix",
        "What we are doing",
        "If your medical equipment has no backup battery, call 0 800 000 000;",
        "Expected end",
        "We expect everything to be back to normal by 22 November 2026 at 14:00.",
        "Next update",
        "No internet? 0 800 000 000, free.",
    ):
        assert piece in joined, piece
    assert "Coupure" not in joined and "foyers" not in joined and "Ce qui se passe" not in joined
