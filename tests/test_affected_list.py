"""``affected`` as a list of services or areas with their impact, or as a sentence, as before.

A list is checked item by item, a wrong one refused naming its file, line and field (exit 2,
nothing sent); a right one is worded as a text in the incident's language that every channel,
wording check and CAP alert reads as they read a sentence, and its items reach the status page
and the index, shown with their impact. The shipped incidents, which write a sentence, keep
their content hashes (tests/test_content_hashes.py).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from broadcast.delivery.sending import content_hash
from broadcast.input.incident import load_incident
from broadcast.problems import InputError
from tests.browser import StaticServer
from tests.test_channel_cap import CAP_CHANNEL, NS, valid
from tests.test_web_surfaces import CSP, PHONE, axe_available, open_page  # noqa: F401
from tests.world import World

pytest_plugins = ["tests.browser"]

SENTENCE = "affected: Environ 12 000 foyers à Lille et Roubaix\n"
LIST = """\
affected:
  - name: Électricité à Lille
    impact: major_outage
    detail: environ 9 000 foyers
  - name: Électricité à Roubaix
    impact: partial_outage
  - name: Service client
    impact: degraded
"""
EN_LIST = """\
    affected:
      - name: Power in Lille
        impact: major_outage
        detail: about 9,000 homes
      - name: Power in Roubaix
        impact: partial_outage
      - name: Customer line
        impact: degraded
"""
WORDED = (
    "Électricité à Lille\u00a0: interruption totale (environ 9 000 foyers)\n"
    "Électricité à Roubaix\u00a0: interruption partielle\n"
    "Service client\u00a0: service dégradé"
)


def with_list(world: World) -> Path:
    path = world.folder / "incident.yaml"
    text = path.read_text(encoding="utf-8")
    assert SENTENCE in text
    text = text.replace(SENTENCE, LIST)
    english = "    affected: About 12,000 homes in Lille and Roubaix\n"
    assert english in text
    path.write_text(text.replace(english, EN_LIST), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("written", "line", "field", "words"),
    [
        (
            "  - name: Eau\n    impact: down\n",
            2,
            "affected.0.impact",
            "l'impact « down » est inconnu",
        ),
        ("  - name: Eau\n", 1, "affected.0.impact", "l'impact manque"),
        (
            "  - Eau potable\n",
            1,
            "affected.0",
            "l'élément 1 de affected n'est pas un service ou un secteur",
        ),
        (
            "  - name: Eau\n    impact: degraded\n  - impact: degraded\n    colour: red\n",
            4,
            "affected.1.colour",
            "« colour » n'est pas un champ d'un élément de affected",
        ),
        ("  - impact: degraded\n", 1, "affected.0.name", "le service ou le secteur n'a pas de nom"),
        (" []\n", 0, "affected", "affected est une liste vide"),
    ],
)
def test_a_wrong_list_is_refused_naming_file_line_and_field(
    tmp_path: Path, written: str, line: int, field: str, words: str
) -> None:
    """Said in the file's language: panne-nord is French."""
    source = (Path(__file__).parent.parent / "examples" / "panne-nord.yaml").read_text(
        encoding="utf-8"
    )
    start = source.index(SENTENCE)
    first = source[:start].count("\n") + 1  # the line of "affected:"; line counts from it
    path = tmp_path / "incident.yaml"
    body = "affected:" + ("\n" + written if not written.startswith(" [") else written)
    path.write_text(source.replace(SENTENCE, body), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_incident(path)
    found = [p for p in caught.value.problems if p.field == field]
    assert found, [p.where() + ": " + p.message for p in caught.value.problems]
    assert words in found[0].message
    assert found[0].file == path and found[0].line == first + line


def test_affected_items_cannot_be_written_for_itself(tmp_path: Path) -> None:
    source = (Path(__file__).parent.parent / "examples" / "panne-nord.yaml").read_text(
        encoding="utf-8"
    )
    path = tmp_path / "incident.yaml"
    path.write_text(source.replace(SENTENCE, SENTENCE + "affected_items: []\n"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_incident(path)
    assert [p.field for p in caught.value.problems] == ["affected_items"]


def test_a_list_is_worded_for_every_channel_and_hashed_as_its_text(tmp_path: Path) -> None:
    source = (Path(__file__).parent.parent / "examples" / "panne-nord.yaml").read_text(
        encoding="utf-8"
    )
    path = tmp_path / "incident.yaml"
    path.write_text(source.replace(SENTENCE, LIST), encoding="utf-8")
    incident, _ = load_incident(path)
    assert incident.affected == WORDED
    assert [i.impact for i in incident.affected_items] == [
        "major_outage",
        "partial_outage",
        "degraded",
    ]
    # The same words written as a sentence make the same incident, to the hash.
    path.write_text(
        source.replace(SENTENCE, "affected: >-\n  " + WORDED.replace("\n", "\n\n  ") + "\n"),
        encoding="utf-8",
    )
    as_text, _ = load_incident(path)
    assert as_text.affected == WORDED and not as_text.affected_items
    assert content_hash(as_text) == content_hash(incident)


def test_the_list_reaches_the_email_the_cap_alert_the_page_and_the_index(world: World) -> None:
    with_list(world)
    with (world.folder / "channels.yaml").open("a", encoding="utf-8") as out:
        out.write(CAP_CHANNEL)
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--channel", "email", "--channel", "banner",
        "--channel", "alerts",
    )  # fmt: skip
    assert code == 0, json.dumps(doc["problems"])
    # Email: the worded text, one line per item.
    by_address = {r.recipients[0]: r.message for r in world.smtp.received}
    plain = by_address["camille.martin@example.com"].get_body(("plain",)).get_content()
    assert "Électricité à Lille\u00a0: interruption totale (environ 9 000 foyers)" in plain
    english = by_address["emma.wilson@example.co.uk"].get_body(("plain",)).get_content()
    assert "Power in Lille: major outage (about 9,000 homes)" in english
    # CAP: a valid alert whose area is one line.
    alert = valid((world.folder / "public/cap/latest.xml").read_bytes())
    area = alert.find("cap:info/cap:area/cap:areaDesc", NS)
    assert area is not None and "\n" not in (area.text or "")
    assert "interruption partielle" in (area.text or "")
    # The status page and the index: the items with their impact.
    folder = world.folder / "public" / "status"
    page = (folder / "panne-nord-2026-11-22.html").read_text(encoding="utf-8")
    assert '<li class="impact-major_outage"><span class="name">Électricité à Lille</span>' in page
    assert '<span class="impact">Interruption totale</span>' in page
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert index.count('<li class="impact-') == 3
    ET.parse(folder / "feed.xml")


@pytest.mark.usefixtures("axe_available")
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_items_read_on_a_phone(browser: Browser, world: World, scheme: str) -> None:
    with_list(world)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "banner")
    assert code == 0, doc
    with StaticServer(world.folder / "public", headers={"Content-Security-Policy": CSP}) as site:
        checked = open_page(browser, PHONE, color_scheme=scheme)
        page = checked.page
        for name in ("index", "panne-nord-2026-11-22"):
            page.goto(f"{site.url}/status/{name}.html", wait_until="networkidle")
            items = page.locator("ul.affected > li")
            expect(items).to_have_count(3)
            expect(items.nth(0)).to_contain_text("Interruption totale")
            rule = items.nth(0).evaluate("e => getComputedStyle(e).borderLeftColor")
            assert rule == "rgb(164, 22, 26)"
            assert checked.overflow() == 0
            assert checked.axe() == [], name
        assert not checked.violations() and not checked.errors
        page.context.close()
