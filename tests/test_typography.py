"""GSM-7 typography: look-alikes replaced before an SMS is measured and sent, as Twilio's
Smart Encoding does; ``smart_encoding: false`` and ``transliterate: true``; checked against
the segments the local Twilio peer counts for the text it actually received."""

from __future__ import annotations

from broadcast.content.measure import gsm_typography, sms_segments
from tests.world import PHONES, World

TYPED = (
    "headline: «\u202fCoupure de courant\u202f» à Lille et Roubaix depuis 8h10 – "  # noqa: RUF001
    "rétablissement prévu vers 14h… Nous l’avons signalé.\n"  # noqa: RUF001
)


def test_look_alikes_become_gsm7_and_the_rest_is_named_with_its_cost() -> None:
    text = "L’équipe « répare » – vite…\u00a0: être là 😀"  # noqa: RUF001
    done = gsm_typography(text)
    assert done.text == 'L\'équipe " répare " - vite... : être là 😀'
    assert [(old, new) for old, new, _ in done.replaced] == [
        ("’", "'"),  # noqa: RUF001
        ("«", '"'),
        ("»", '"'),
        ("–", "-"),  # noqa: RUF001
        ("…", "..."),
        ("\u00a0", " "),
    ]
    assert done.kept == ("ê", "😀")  # no look-alike: kept, and named
    assert done.segments_without_kept == 1 and done.segments == 1
    folded = gsm_typography("Prévenez vos proches âgés, même sans télé" * 4, transliterate=True)
    assert "ê" not in folded.text and "â" not in folded.text and "é" in folded.text  # é is GSM
    assert folded.kept == () and folded.segments < folded.segments_before
    untouched = gsm_typography(text, smart=False)
    assert untouched.text == text and untouched.replaced == ()
    assert gsm_typography("œuvre ça", transliterate=True).text == "oeuvre ca"


def _typed_incident(world: World) -> None:
    path = world.folder / "incident.yaml"
    lines = [
        TYPED if line.startswith("headline:") else line
        for line in path.read_text(encoding="utf-8").splitlines(keepends=True)
    ]
    path.write_text("".join(lines), encoding="utf-8")


def _sms_option(world: World, option: str) -> None:
    path = world.folder / "channels.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("    rate: unlimited\n", f"    rate: unlimited\n    {option}\n", 1)
    )


def test_the_text_sent_is_the_replaced_one_and_its_segments_are_saved(world: World) -> None:
    _typed_incident(world)
    preview = world.run("preview", "incident.yaml", "--channel", "sms", env={"COLUMNS": "200"})
    assert 'Replaced for GSM-7: « → ", [narrow no-break space] → [space] (2 times)' in (
        preview.output
    )
    # Fitted after the typography: the apology and the link fit once the look-alikes are
    # replaced, so they stay (they were dropped to fit a UCS-2 text that is never sent).
    assert "’ → '; 3 segments" in preview.output  # noqa: RUF001
    assert "désolés" in preview.output and "Infos : https://" in preview.output
    assert "Left out" not in preview.output

    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0
    sms = next(c for c in doc["channels"] if c["channel"] == "sms")
    typography = sms["typography"]
    assert sms["encoding"] == "GSM-7"
    assert typography["segments_saved"] == typography["segments_before"] - sms["segments"] > 0
    french = [m for m in world.twilio.messages() if m.to != PHONES[-1]]
    assert french and all(m.body == sms["text"] for m in french)
    assert not set("«»–…’\u202f") & set(french[0].body)  # noqa: RUF001
    # The peer counts the segments of what it received, independently of broadcast.
    assert {m.num_segments for m in french} == {sms["segments"]}
    assert all("SmartEncoded" not in m.params for m in french)


def test_smart_encoding_false_sends_the_typography_as_written(world: World) -> None:
    _typed_incident(world)
    _sms_option(world, "smart_encoding: false")
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0
    sms = next(c for c in doc["channels"] if c["channel"] == "sms")
    assert sms["encoding"] == "UCS-2" and sms["typography"]["replaced"] == []
    sent = next(m for m in world.twilio.messages() if m.to == PHONES[0])
    assert "«\u202fCoupure" in sent.body and "…" in sent.body
    assert sent.num_segments == sms["segments"] == sms_segments(sent.body)
    assert sent.params["SmartEncoded"] == ("false",)  # nor may Twilio replace it


def test_transliterate_folds_accents_for_more_segments_saved(world: World) -> None:
    path = world.folder / "incident.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("depuis 8h10.", "depuis 8h10 ; même les écoles, à côté, sont touchées.", 1),
        encoding="utf-8",
    )
    code, plain = world.run_json("send", "incident.yaml", "--dry-run", "--channel", "sms")
    plain_sms = plain["channels"][0]
    assert plain_sms["encoding"] == "UCS-2"
    assert set(plain_sms["typography"]["kept"]) >= {"ê", "ô"}
    assert plain_sms["typography"]["kept_cost"] > 0

    _sms_option(world, "transliterate: true")
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0
    sms = doc["channels"][0]
    assert sms["encoding"] == "GSM-7" and sms["typography"]["kept"] == []
    sent = next(m for m in world.twilio.messages() if m.to == PHONES[0])
    assert "meme les écoles, à coté, sont touchées" in sent.body  # é, à are GSM-7: kept
    assert sent.num_segments == sms["segments"] < plain_sms["segments"]
