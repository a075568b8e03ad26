"""The call-in line end to end: a real ``broadcast serve`` (uvicorn) on 127.0.0.1, an inbound
call posted exactly as Twilio posts it (form fields, ``X-Twilio-Signature`` over the public
URL), its TwiML parsed with ``xml.etree``.

What is said is what the ledger recorded when a version went out (the voice channel's text),
in the caller's recorded language or after a one-key menu in the incident's order of
languages; never the text of a version that was not approved and sent.
"""

from __future__ import annotations

import os
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from tests.conftest import NOW, at
from tests.test_approval import require_approval
from tests.test_serve import OUR_NUMBER, Answer, Serving, free_port, start_serving
from tests.test_voice_fallback import SPOKEN_HEADLINE, with_voice
from tests.world import SECRETS, World, edit

pytestmark = pytest.mark.slow

VOICE = "/twilio/voice"
CAMILLE = "+33612345678"  # fr in the world's contacts
EMMA = "+447400123456"  # en
STRANGER = "+33799999999"  # in no recipients file
ENGLISH_HEADLINE = "Power cut in Lille and Roubaix since 08:10."


def call(serving: Serving, caller: str, digits: str | None = None) -> ET.Element:
    form = {
        "CallSid": "CA" + "1" * 32,
        "AccountSid": SECRETS["TWILIO_ACCOUNT_SID"],
        "From": caller,
        "To": OUR_NUMBER,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }
    if digits is not None:
        form["Digits"] = digits
    answer: Answer = serving.post(VOICE, form)
    assert answer.status == 200, answer.body
    assert answer.content_type.startswith("text/xml")
    root = ET.fromstring(answer.body)
    assert root.tag == "Response"
    return root


def says(element: ET.Element) -> list[tuple[str, str]]:
    """(language, text) of every ``<Say>`` under ``element``, in order."""
    return [(say.get("language", ""), say.text or "") for say in element.iter("Say")]


def spoken(element: ET.Element) -> str:
    return " ".join(text for _, text in says(element))


@pytest.fixture
def sent(world: World) -> Iterator[Serving]:
    """The example incident sent by SMS (with a voice channel standing by), then serve."""
    with_voice(world, "")
    code, doc = world.run_json("send", "incident.yaml", "--yes")
    assert code == 0, doc
    running = start_serving(world)
    try:
        yield running
    finally:
        running.stop()


def test_a_known_caller_hears_the_latest_message_in_their_language(sent: Serving) -> None:
    root = call(sent, CAMILLE)
    assert root.find("Gather") is None  # no menu: the ledger knows her language
    assert {lang for lang, _ in says(root)} == {"fr-FR"}
    text = spoken(root)
    assert text.startswith("Bonjour, ici Énergie Nord")
    assert text.count(SPOKEN_HEADLINE) == 2  # the outbound call's words: said twice
    assert "https://" not in text
    assert text.endswith("Au revoir. Pour réécouter ces informations, rappelez ce numéro.")

    root = call(sent, EMMA)
    assert root.find("Gather") is None
    assert {lang for lang, _ in says(root)} == {"en-GB"}
    assert spoken(root).count(ENGLISH_HEADLINE) == 2
    assert SPOKEN_HEADLINE not in spoken(root)


def test_a_stranger_gets_a_one_key_menu_in_the_incidents_order_of_languages(
    sent: Serving,
) -> None:
    root = call(sent, STRANGER)
    gather = root.find("Gather")
    assert gather is not None
    assert (gather.get("numDigits"), gather.get("action"), gather.get("method")) == (
        "1",
        VOICE,
        "POST",
    )
    # Each key's prompt in its own language, French first as the incident lists it.
    assert says(gather) == [
        ("fr-FR", "Pour le français, appuyez sur 1."),
        ("en-GB", "For English, press 2."),
    ]
    # No key pressed: the menu falls through to the first language.
    after = [child for child in root if child.tag != "Gather"]
    assert SPOKEN_HEADLINE in " ".join(say.text or "" for say in after if say.tag == "Say")

    english = call(sent, STRANGER, digits="2")
    assert english.find("Gather") is None
    assert {lang for lang, _ in says(english)} == {"en-GB"}
    assert spoken(english).count(ENGLISH_HEADLINE) == 2
    french = call(sent, STRANGER, digits="1")
    assert {lang for lang, _ in says(french)} == {"fr-FR"}
    assert spoken(french).count(SPOKEN_HEADLINE) == 2
    # A key with no language: the first one, not an error.
    assert {lang for lang, _ in says(call(sent, STRANGER, digits="7"))} == {"fr-FR"}


def test_no_incident_in_progress_is_said_so(world: World) -> None:
    running = start_serving(world)
    try:
        root = call(running, STRANGER)
    finally:
        running.stop()
    assert root.find("Gather") is None
    assert says(root) == [
        ("fr-FR", "Bonjour, ici Énergie Nord. Aucun incident n'est en cours. Au revoir.")
    ]


def test_a_version_not_approved_is_never_said(world: World, sent: Serving) -> None:
    require_approval(world)
    edit(world, "Coupure de courant", "Brouillon pas encore approuvé")
    code, doc = world.run_json("send", "incident.yaml", "--yes", env=at(20))
    assert code == 2, doc  # waiting for a second person: nothing sent
    for caller in (CAMILLE, STRANGER):
        text = spoken(call(sent, caller, "1"))
        assert "Brouillon" not in text and "approuvé" not in text
        assert text.count(SPOKEN_HEADLINE) == 2  # still the version that went out


def test_a_resolved_incident_is_no_longer_in_progress(world: World, sent: Serving) -> None:
    edit(world, "status: investigating", "status: resolved", 1)
    edit(world, "Rétablissement prévu vers 14h.", "Le courant est revenu partout.", 1)
    edit(world, "We are restoring it; back around 14:00.", "Power is back everywhere.", 1)
    code, doc = world.run_json("send", "incident.yaml", "--yes", env=at(200))
    assert code == 0, doc
    text = spoken(call(sent, CAMILLE))
    assert text == "Bonjour, ici Énergie Nord. Aucun incident n'est en cours. Au revoir."


def test_the_call_in_number_is_every_channels_offline_way(world: World) -> None:
    with_voice(world, "")
    config = world.folder / "channels.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "channels:\n",
            'serve: {public_url: "https://alerts.example.org", call_in_number: "+33 3 20 00 00 00"}'
            "\nchannels:\n",
            1,
        ),
        encoding="utf-8",
    )
    code, preview = world.run_json("send", "incident.yaml", "--dry-run")
    assert code == 0, preview
    shown = {c["channel"]: c for c in preview["channels"]}
    french = "Sans internet, écoutez le dernier message au +33 3 20 00 00 00."
    english = "No internet? Hear the latest message on +33 3 20 00 00 00."
    for channel in ("sms", "email", "banner", "voice"):
        assert french in shown[channel]["text"], channel
    for channel in ("sms", "email", "voice"):  # those carrying the English translation
        assert english in shown[channel]["variants"]["en"]["text"], channel
    # What is sent is what was shown: the SMS carries it.
    code, sent = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0, sent
    assert all("+33 3 20 00 00 00" in m.body for m in world.twilio.messages())


# -- the line's bounds ------------------------------------------------------------------------

BUSY_FR = (
    "Bonjour, ici Énergie Nord. La ligne est très demandée. "
    "Merci de rappeler dans quelques minutes. Au revoir."
)


def held_back(root: ET.Element) -> bool:
    """The short "call again later" answer: one French ``<Say>``, then ``<Hangup/>``."""
    if says(root) != [("fr-FR", BUSY_FR)]:
        return False
    assert [child.tag for child in root] == ["Say", "Hangup"]
    return True


def ledger_rows(world: World) -> dict[str, int]:
    """Rows of every table of the world's ledger (SQLite): what a call could have added."""
    from broadcast.ledger.sqlite import Ledger

    ledger = Ledger(world.folder / ".broadcast", environ={**os.environ, **world.engine})
    try:
        db = ledger.db
        names = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        tables = [row["name"] for row in names]
        return {t: db.execute(f'SELECT count(*) AS n FROM "{t}"').fetchone()["n"] for t in tables}
    finally:
        ledger.close()


def test_a_flood_of_calls_from_one_number_is_answered_short_and_reads_nothing(
    world: World, sent: Serving
) -> None:
    """One number calling again and again (a redialler, a loop): 10 full answers a minute, as
    for its messages; every further call still gets valid TwiML, a short message in the
    incident's language, and neither the ledger nor the other callers feel it."""
    before = ledger_rows(world)
    answers: list[ET.Element] = []
    lock = threading.Lock()

    def flood(count: int) -> None:
        for _ in range(count):
            root = call(sent, CAMILLE)
            with lock:
                answers.append(root)

    threads = [threading.Thread(target=flood, args=(30,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    full = [root for root in answers if SPOKEN_HEADLINE in spoken(root)]
    short = [root for root in answers if held_back(root)]
    assert (len(full), len(short)) == (10, 110)
    # Her English neighbour is not held back by her flood, and hears his own language.
    assert spoken(call(sent, EMMA)).count(ENGLISH_HEADLINE) == 2
    # An English caller held back hears the incident's language (French), like everyone.
    for _ in range(9):
        call(sent, EMMA, digits="2")
    assert held_back(call(sent, EMMA))
    assert ledger_rows(world) == before
    log = sent.log.read_text(encoding="utf-8")
    assert log.count('"reason": "calls of the caller"') == 111
    assert CAMILLE not in log and EMMA not in log


def test_the_line_is_bounded_overall_and_hidden_callers_share_one_count(
    world: World, sent: Serving
) -> None:
    """The real application under uvicorn in this process, with small bounds: per caller,
    the hidden callers together, the whole line; what is refused by one count is counted by
    none."""
    import uvicorn

    from broadcast.input.config import load_config
    from broadcast.ledger.sqlite import Ledger
    from broadcast.serve.app import create_app
    from broadcast.serve.limits import CallLimits
    from broadcast.serve.logs import EventLog

    sent.stop()  # its channels.yaml has the serve: section; this test serves in process
    ledger = Ledger(world.folder / ".broadcast", environ={**os.environ, **world.engine})
    log = world.folder / "in-process.log"
    with log.open("w", encoding="utf-8") as stream:
        app = create_app(
            load_config(world.folder / "channels.yaml", {**os.environ, **SECRETS}),
            ledger,
            auth_token=SECRETS["TWILIO_AUTH_TOKEN"],
            clock=lambda: NOW,
            log=EventLog(stream),
            calls=CallLimits(per_number=2, hidden=3, overall=10),
        )
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, port=port, log_config=None, lifespan="off", access_log=False)
        )
        thread = threading.Thread(target=server.run)
        thread.start()
        try:
            while not server.started:
                time.sleep(0.02)
            line = Serving(world, port, None, log)  # type: ignore[arg-type]
            # One number: 2 answered, 3 held back (not counted against the line).
            one = [call(line, CAMILLE) for _ in range(5)]
            assert [held_back(root) for root in one] == [False] * 2 + [True] * 3
            # Hidden callers (no number, "anonymous", Twilio's placeholders) share one count.
            hidden = [call(line, caller) for caller in ("", "anonymous", "+266696687") * 2]
            assert [held_back(root) for root in hidden] == [False] * 3 + [True] * 3
            # Five more answered, then the line is full for everyone, known or not.
            others = [call(line, f"+3361000{n:04d}") for n in range(8)]
            assert [held_back(root) for root in others] == [False] * 5 + [True] * 3
            assert held_back(call(line, EMMA))
            full = [r for r in one + hidden + others if not held_back(r)]
            assert len(full) == 10
            assert all(SPOKEN_HEADLINE in spoken(r) for r in full)
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            ledger.close()
    logged = log.read_text(encoding="utf-8")
    assert logged.count('"reason": "calls of the caller"') == 6
    assert logged.count('"reason": "calls of the line"') == 4
