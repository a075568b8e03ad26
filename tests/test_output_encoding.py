"""Defence in depth at every output (#22.14): whatever a text holds and wherever it comes
from (a history written by an older version, a template's own output, a recipient's name, a
provider's words), a published XML file stays well-formed and the terminal never writes a
control sequence that came from data.

The input refuses control characters; these tests plant them where the input never looks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from broadcast.channels.voice import twiml_for
from tests.conftest import at
from tests.test_channel_cap import CAP_CHANNEL, valid
from tests.world import PHONES, World, edit

# The slow tier (tests/conftest.py): real CLI processes on a pseudo-terminal.
pytestmark = pytest.mark.slow

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
    # The pages rebuilt from the same history carry none of it either.
    pages = [*status.glob("*.html"), status / "banner.json"]
    assert len(pages) >= 3
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "\x1b" not in text and "\x08" not in text and "\\u001b" not in text, page.name


def test_twiml_holds_only_what_xml_allows() -> None:
    twiml = twiml_for(f"Coupure {HOSTILE}\n\nDeuxième paragraphe", "fr\x1b")
    root = etree.fromstring(twiml.encode(), etree.XMLParser(recover=False))
    said = [s.text for s in root.iter("Say")]
    assert len(said) == 2 and "rouge" in said[0] and "\x1b" not in said[0]
    assert {s.get("language") for s in root.iter("Say")} == {"fr"}


def _run(world: World, *args: str) -> str:
    """The real process, its output captured as bytes would reach a terminal."""
    env = world.process_env()
    done = subprocess.run(
        [sys.executable, "-m", "broadcast", *args],
        cwd=world.folder,
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    output = (done.stdout + done.stderr).decode("utf-8", errors="replace")
    assert "Traceback" not in output, output[-3000:]
    return output


ACTING = ("\x1b", "\x08", "\x9b", "\u202e", "\r")


def test_the_terminal_shows_the_controls_of_a_provider_error_without_acting(
    world: World,
) -> None:
    # A carrier's error text: where the input never looks. (A name in the recipients file
    # with a control character is refused by the input, with its line.)
    world.twilio.set_number_error("+33612345678", 21266, "Carrier says \x1b[2J\x1b[31mno\r")
    world.twilio.set_number_error("+33612345679", 21266, "blocked \x9b31m \u202eevil")

    outputs = {
        "preview": _run(world, "preview", "incident.yaml", "--channel", "sms"),
        "send": _run(world, "send", "incident.yaml", "--yes", "--channel", "sms"),
        "status": _run(world, "status", "incident.yaml"),
        "report": _run(world, "report", "incident.yaml"),
    }
    for command, output in outputs.items():
        acting = [c for c in ACTING if c in output]
        assert not acting, (command, acting, output[-2000:])
    # Shown, not hidden: the approver sees that something odd is there.
    assert "Carrier says ␛[2J␛[31mno" in outputs["send"], outputs["send"][-2000:]
    assert "<U+202E>evil" in outputs["send"]


def test_the_console_keeps_its_own_styles_and_shows_the_data_controls() -> None:
    import io

    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    from broadcast.terminal.console import SafeConsole, visible

    buffer = io.StringIO()
    out = SafeConsole(
        file=buffer, force_terminal=True, color_system="standard", width=80, highlight=False
    )
    table = Table("recipient")
    table.add_row("Camille \x1b]8;;http://evil\x1b\\Martin\x1b]8;;\x1b\\")
    out.print(Panel(Text("\u202eevil\x08", style="red")), table, "plain \x1b[2J str")
    written = buffer.getvalue()
    # Rich's own colours still act (its SGR), the data's sequences are shown, not run.
    assert "\x1b[31m" in written
    assert "]8;;" not in written.replace("␛]8;;", "")
    assert "\x1b[2J" not in written and "\x08" not in written and "\u202e" not in written
    assert "␛]8;;http://evil␛\\Martin" in written and "<U+202E>evil" in written
    assert visible("a\tb\nc\rd\x7f\x85") == "a\tb\nc␍d␡<U+0085>"


def _controls(text: str) -> list[str]:
    """What no provider may be handed: C0 (but newline and tab), DEL, C1, bidi overrides."""
    return [
        f"U+{ord(c):04X}"
        for c in text
        if (ord(c) < 0x20 and c not in "\n\t")
        or 0x7F <= ord(c) <= 0x9F
        or 0x202A <= ord(c) <= 0x202E
    ]


def test_a_template_writing_control_characters_hands_none_to_a_provider(world: World) -> None:
    # The input refuses ESC in the incident; a template's own output goes through the one
    # guard where every channel's text is rendered.
    for name in ("tweet.txt.j2", "sms.txt.j2"):
        template = world.folder / "templates" / "fr" / name
        template.parent.mkdir(parents=True, exist_ok=True)
        template.write_text(
            "{{ headline }} {{ '\\x1b[31m' }}rouge{{ '\\x1b]8;;http://evil\\x1b\\\\' }}lien"
            "{{ '\\x9b\\u202e\\x08\\x00' }} fin\n",
            encoding="utf-8",
        )
    result = world.run("send", "incident.yaml", "--yes", env=at(0))
    assert result.exit_code == 0, result.output
    texts = [p.text for p in world.x.posts()] + [m.body for m in world.twilio.messages()]
    assert len(texts) == 1 + len(PHONES)
    assert not [text for text in texts if _controls(text)]
    # The words stay, as approved (the English SMS has the shipped template).
    words = "[31mrouge]8;;http://evil\\lien fin"
    assert sum(words in text for text in texts) == len(texts) - 1, texts


def test_a_correction_quoting_what_an_older_version_recorded_goes_without_its_controls(
    world: World,
) -> None:
    import sqlite3

    from tests.test_correction import cancel

    assert world.run("send", "incident.yaml", "--yes", env=at(0)).exit_code == 0
    # An older version let ESC into the headline it sent: the ledger's wording snapshot, which
    # a correction quotes, holds it. The author cannot change what was sent.
    with sqlite3.connect(world.folder / ".broadcast" / "ledger.sqlite3") as ledger:
        changed = ledger.execute(
            'UPDATE renders SET text = replace(text, \'"headline": "\', '
            "'\"headline\": \"\\u001b[31m') WHERE channel = '.wording'"
        )
        assert changed.rowcount == 1
    mailed = len(world.smtp.received)
    cancel(world)
    result = world.run("send", "incident.yaml", "--yes", env=at(20))
    assert result.exit_code == 0, result.output  # the correction is not blocked...
    emails = world.smtp.received[mailed:]
    assert emails
    # Email lines end in CRLF on the wire: the line ends are not what is looked for.
    corrections = [
        m.message.get_body(("plain",)).get_content().replace("\r\n", "\n") for m in emails
    ]
    page = world.folder / "public" / "status" / "panne-nord-2026-11-22.html"
    corrections.append(page.read_text(encoding="utf-8"))
    for text in corrections:
        assert "[31mCoupure de courant" in text or "[31mPower cut" in text, text  # ...quoted...
        assert not _controls(text), text  # ...without its controls
