"""Defence in depth at every output (#22.14): whatever a text holds and wherever it comes
from (a history written by an older version, a template's own output, a recipient's name, a
provider's words), a published XML file stays well-formed and the terminal never writes a
control sequence that came from data.

The input refuses control characters; these tests plant them where the input never looks.
"""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree

from broadcast.channels.voice import twiml_for
from tests.conftest import at
from tests.test_channel_cap import CAP_CHANNEL, valid
from tests.world import World, edit

HOSTILE = "\x1b[31mrouge\x1b]8;;http://evil\x1b\\lien\x1b]8;;\x1b\\ \x08\x00\ufffe\ud800fin"


def _poison(path: Path, fields: tuple[str, ...]) -> None:
    """What an older version wrote: control characters in every entry's texts."""
    entries = json.loads(path.read_text(encoding="utf-8"))
    for entry in entries:
        for name in fields:
            entry[name] = f"{entry[name]} {HOSTILE}"
    path.write_text(json.dumps(entries), encoding="utf-8")


def _well_formed(path: Path) -> etree._Element:
    # lxml, a strict parser: a forbidden character is an error here, not silently read.
    return etree.fromstring(path.read_bytes(), etree.XMLParser(recover=False))


def test_a_history_with_control_characters_does_not_make_the_next_clean_version_malformed(
    world: World,
) -> None:
    with (world.folder / "channels.yaml").open("a", encoding="utf-8") as out:
        out.write(CAP_CHANNEL)
    channels = ("--channel", "banner", "--channel", "alerts")
    result = world.run("send", "incident.yaml", "--yes", *channels, env=at(0))
    assert result.exit_code == 0, result.output
    status, cap = world.folder / "public/status", world.folder / "public/cap"
    _poison(status / "history.json", ("headline", "title", "banner_text"))
    _poison(cap / "cap-index.json", ("headline",))

    edit(world, "status: investigating", "status: identified")
    result = world.run("send", "incident.yaml", "--yes", *channels, env=at(30))
    assert result.exit_code == 0, result.output

    feed = _well_formed(status / "feed.xml")
    atom = "{http://www.w3.org/2005/Atom}"
    titles = [t.text for t in feed.iter(f"{atom}title")]
    # The old entry is still there, its words kept, only what XML cannot hold removed.
    assert any("rouge" in t and "[31m" in t for t in titles), titles
    assert not any("\x1b" in t or "\x08" in t for t in titles)
    index = _well_formed(cap / "alerts.atom")
    assert len(index.findall(f"{atom}entry")) == 2
    for message in cap.glob("*.xml"):
        valid(message.read_bytes())  # well-formed, and CAP 1.2 by the OASIS schema
    assert (cap / "latest.xml").read_bytes() != b""


def test_twiml_holds_only_what_xml_allows() -> None:
    twiml = twiml_for(f"Coupure {HOSTILE}\n\nDeuxième paragraphe", "fr\x1b")
    root = etree.fromstring(twiml.encode(), etree.XMLParser(recover=False))
    said = [s.text for s in root.iter("Say")]
    assert len(said) == 2 and "rouge" in said[0] and "\x1b" not in said[0]
    assert {s.get("language") for s in root.iter("Say")} == {"fr"}

