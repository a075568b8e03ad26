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
from playwright.sync_api import Browser

from tests.browser import StaticServer
from tests.conftest import at
from tests.test_channel_cap import CAP_CHANNEL, NS, valid
from tests.test_exercise import drill  # noqa: F401  (the fixture)
from tests.test_web_surfaces import CSP, PHONE, axe_available, open_page  # noqa: F401
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


@pytest.mark.both_engines
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


@pytest.mark.slow
@pytest.mark.both_engines
def test_an_approved_correction_is_sent_as_approved_with_its_quote(world: World) -> None:
    """Approve, the approval check and the send all quote the same recorded message, so the
    texts approved are the texts sent (on SQLite and on a shared PostgreSQL ledger)."""
    path = world.folder / "channels.yaml"
    path.write_text(path.read_text() + "approval: {required: true}\n", encoding="utf-8")
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    assert world.run_json("send", "incident.yaml", "--yes", "--as", "alice")[0] == 0
    cancel_with_new_headline(world)
    approved = world.run("approve", "incident.yaml", "--yes", "--as", "bob", env=at(20))
    assert approved.exit_code == 0, approved.output
    shown = " ".join(approved.output.replace("│", " ").split())
    assert "Notre message de 9h40 disait : « Coupure de courant" in shown
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--as", "alice", env=at(21))
    assert (code, doc["action"]) == (0, "new"), doc
    fr = email_text(world, "camille.martin@example.com")
    assert f"Notre message de 9h40 disait : « {WRONG_FR} »" in fr, fr


@pytest.mark.both_engines
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


def test_a_correction_that_kept_the_wrong_headline_never_lists_it_as_current(
    world: World,
) -> None:
    send(world, 0)
    cancel_with_new_headline(world)
    edit(world, f'headline: "{NEW_FR}"', f"headline: {WRONG_FR}")  # left as it was
    # In both languages: one left wrong beside a corrected translation says two different
    # things, which the wording checks refuse (translation_fact, #25).
    edit(world, f"    headline: {NEW_EN}", f"    headline: {WRONG_EN}")
    send(world, 25)
    index = page(world, "index.html")
    listed = words(index.xpath("//li[@lang='fr']/p[not(@class)]")[0])
    assert "Il n'y a pas de coupure à Lille" in listed and WRONG_FR not in listed, listed
    timeline = [words(li) for li in page(world).xpath("//ol[@class='timeline']/li")]
    assert WRONG_FR not in timeline[0] and "Il n'y a pas de coupure" in timeline[0], timeline


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
    # The folder's feed speaks the organisation's language (defaults.locale: fr).
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    assert feed.find("atom:title", NS).text == "Énergie Nord\u00a0: alertes CAP"
    titles = [e.text for e in feed.iterfind(".//atom:entry/atom:title", NS)]
    assert titles[0].startswith("Annulé à 10h05.") and "Il n'y a pas de coupure" in titles[0]


# -- 4. The end is ended_at on every surface ---------------------------------------------

RESOLVED_FR = "Le courant est revenu à Lille et Roubaix depuis 13h20."
RESOLVED_EN = "Power is back in Lille and Roubaix since 13:20."


def resolve_at_1320(world: World) -> None:
    edit(world, "status: investigating", "status: resolved")
    edit(world, f"headline: {WRONG_FR}", f"headline: {RESOLVED_FR}")
    edit(world, f"    headline: {WRONG_EN}", f"    headline: {RESOLVED_EN}")
    edit(world, "next_update: dans 2h\n", "ended_at: 2026-11-22 13:20\n")


def test_the_end_and_the_duration_come_from_ended_at_not_the_publication(world: World) -> None:
    send(world, 0)
    resolve_at_1320(world)
    send(world, 250)  # 13:50 in Paris: published half an hour after the end

    status = page(world)
    facts = dict(
        zip(
            [words(dt) for dt in status.xpath("//dl/dt")],
            [words(dd) for dd in status.xpath("//dl/dd")],
            strict=True,
        )
    )
    assert facts["Fin de l'incident"] == "22 novembre 2026 à 13h20 CET", facts
    assert facts["Durée"] == "5 heures 10 minutes", facts  # 8h10 to 13h20, not "6 heures"
    assert facts["Publication"] == "22 novembre 2026 à 13h50 CET", facts
    ended = status.xpath("//dl/dd/time")[1].get("datetime")
    assert ended == "2026-11-22T13:20:00+01:00"
    assert "revenue à la normale à 13h20" in words(status)

    index = page(world, "index.html")
    line = words(index.xpath("//li/p[@class='org']")[0])
    assert "Fin 22 nov. 2026, 13:20 CET" in line and "Mise à jour 22 nov. 2026, 13:50 CET" in line
    assert not re.search(r"\d\d:\d\d:\d\d", line), line  # no seconds

    code, report = world.run_json("report", "incident.yaml")
    assert code == 0
    assert report["ended_status"] == "resolved"
    assert report["resolved_at"] == report["ended_at"] == "2026-11-22T13:20:00+01:00"
    assert report["duration_seconds"] == 5 * 3600 + 10 * 60
    assert report["end_published_at"].startswith("2026-11-22T13:5")
    md = " ".join(world.run("report", "incident.yaml", "--format", "md").output.split())
    assert "résolu 13:20, au bout de 5 h 10 min" in md, md
    assert "La fin a été annoncée à 13:5" in md
    # Every message says the same end.
    assert all("13h20" in m.body or "13:20" in m.body for m in world.twilio.messages()[4:])


# -- 5. The index speaks the organisation's language -------------------------------------


def test_the_index_and_feed_keep_the_organisations_language_after_an_english_incident(
    world: World,
) -> None:
    send(world, 0)
    english = (world.folder / "incident.yaml").parent / "storm.yaml"
    example = (world.folder / "incident.yaml").read_text(encoding="utf-8")
    assert "locale: fr" in example
    storm = example.replace("id: panne-nord-2026-11-22", "id: storm-2026-11-22")
    storm = storm.replace("locale: fr\n", "locale: en_GB\n").replace(
        "timezone: Europe/Paris", "timezone: Europe/London"
    )
    # English words throughout: the translation becomes the original.
    storm = storm.replace(f"headline: {WRONG_FR}", f"headline: {WRONG_EN}")
    english.write_text(storm.split("translations:")[0], encoding="utf-8")
    code, doc = world.run_json("send", "storm.yaml", "--yes", "--channel", "banner", env=at(10))
    assert code == 0, doc
    index = page(world, "index.html")
    assert index.get("lang") == "fr"
    assert words(index.xpath("//h1")[0]) == "État des services"
    entries = {li.get("lang"): words(li) for li in index.xpath("//li[@lang]")}
    assert set(entries) == {"fr", "en"}, entries
    assert "Perturbation importante" in entries["fr"] and "Début" in entries["fr"]
    # An English entry: English labels and dates, not French ones under lang="en".
    assert "Major disruption" in entries["en"] and "Started" in entries["en"], entries["en"]
    assert "Début" not in entries["en"] and "nov." not in entries["en"]
    feed = etree.fromstring((world.folder / STATUS / "feed.xml").read_bytes())
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    langs = [
        e.get("{http://www.w3.org/XML/1998/namespace}lang")
        for e in feed.iterfind("{http://www.w3.org/2005/Atom}entry")
    ]
    assert langs == ["en", None], langs


def test_site_locale_sets_the_index_language(world: World) -> None:
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
    index = page(world, "index.html")
    assert index.get("lang") == "en" and words(index.xpath("//h1")[0]) == "Service status"
    assert [li.get("lang") for li in index.xpath("//li[@lang]")] == ["fr"]


# -- 11. Labels and versions -------------------------------------------------------------


def test_the_report_of_a_cancelled_incident_says_cancelled(world: World, tmp_path) -> None:
    send(world, 0)
    cancel_with_new_headline(world)
    send(world, 25)
    out = world.folder / "report.html"
    result = world.run("report", "incident.yaml", "--format", "html", "--output", str(out))
    assert result.exit_code == 0, result.output
    report = lxml.html.fromstring(out.read_bytes())
    facts = dict(
        zip(
            [words(dt) for dt in report.xpath("//dl[@class='facts']/dt")],
            [words(dd) for dd in report.xpath("//dl[@class='facts']/dd")],
            strict=True,
        )
    )
    assert "Résolu" not in facts, facts
    assert facts["Annulé"].startswith("10:05"), facts
    page_words = words(report)
    assert "pas encore" not in page_words
    assert "aucune (résolu)" not in page_words and "aucune (annulé)" in page_words
    assert "annulé 10:05 (un rectificatif)" in page_words


def test_status_numbers_versions_as_the_report_does(world: World) -> None:
    # Another incident first, so the ledger's own ids and the incident's numbers differ.
    other = world.folder / "other.yaml"
    other.write_text(
        (world.folder / "incident.yaml")
        .read_text(encoding="utf-8")
        .replace("id: panne-nord-2026-11-22", "id: autre-2026-11-22"),
        encoding="utf-8",
    )
    assert world.run_json("send", "other.yaml", "--yes", "--channel", "banner")[0] == 0
    send(world, 5)
    code, status = world.run_json("status", "incident.yaml")
    assert code == 0
    assert [v["number"] for v in status["versions"]] == [1]
    assert status["versions"][0]["id"] != 1
    shown = world.run("status", "incident.yaml").output
    assert re.search(r"^#1 update ", shown, re.M), shown
    md = world.run("report", "incident.yaml", "--format", "md").output
    assert "| 1 |" in md


def test_the_english_email_signs_in_english(world: World) -> None:
    # A French sign_off and an English translation that gives none of its own.
    edit(world, "    sign_off: Énergie Nord customer service\n", "")
    send(world, 0)
    en = email_text(world, "emma.wilson@example.co.uk")
    assert "The Énergie Nord team" in en, en[-200:]
    assert "Le service client" not in en
    fr = email_text(world, "camille.martin@example.com")
    assert "Le service client d'Énergie Nord" in fr


def test_an_exercise_report_says_exercise_in_its_title(drill: World) -> None:  # noqa: F811
    assert drill.run_json("send", "incident.yaml", "--yes", "--exercise")[0] == 0
    md = drill.run("report", "incident.yaml", "--exercise", "--format", "md").output
    # French typography: a no-break space before the colon.
    assert md.startswith("# EXERCICE \u2013 Bilan de l'incident\u00a0: "), md[:80]
    out = drill.folder / "drill.html"
    result = drill.run(
        "report", "incident.yaml", "--exercise", "--format", "html", "--output", str(out)
    )
    assert result.exit_code == 0, result.output
    report = lxml.html.fromstring(out.read_bytes())
    for heading in (report.xpath("//title")[0], report.xpath("//h1")[0]):
        assert words(heading).startswith("EXERCICE \u2013 Bilan"), words(heading)
    terminal = drill.run("report", "incident.yaml", "--exercise").output
    assert terminal.lstrip().startswith("EXERCICE \u2013 Bilan"), terminal[:80]


@pytest.mark.slow
def test_the_send_says_the_approval_time_in_the_incidents_zone(world: World) -> None:
    path = world.folder / "channels.yaml"
    path.write_text(path.read_text() + "approval: {required: true}\n", encoding="utf-8")
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    result = world.run("send", "incident.yaml", "--yes", "--as", "alice", env=at(5))
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert re.search(r"Approved by bob at 2026-11-22 09:4\d CET", said), said
    assert "UTC" not in said


# -- The pages that changed, in a browser --------------------------------------------------


def test_the_correction_page_and_the_index_pass_the_browser_checks(
    browser: Browser,
    world: World,
    axe_available: None,  # noqa: F811
) -> None:
    send(world, 0)
    cancel_with_new_headline(world)
    send(world, 25)
    root = world.folder / "public"
    with StaticServer(root, headers={"Content-Security-Policy": CSP}) as server:
        for name in (PAGE, "index.html"):
            checked = open_page(browser, PHONE)
            checked.page.goto(f"{server.url}/status/{name}")
            assert checked.page.locator("h1").count() == 1
            assert not checked.violations(), checked.violations()
            assert checked.axe() == [], (name, checked.axe())
            assert checked.overflow() <= 0, name
            checked.page.context.close()


@pytest.mark.slow
def test_a_voided_approval_says_its_time_in_the_incidents_zone(
    world: World,
) -> None:
    path = world.folder / "channels.yaml"
    path.write_text(path.read_text() + "approval: {required: true}\n", encoding="utf-8")
    assert world.run("approve", "incident.yaml", "--yes", "--as", "bob").exit_code == 0
    # A change of words, not of a fact (a time moved in French alone would be a wording error).
    edit(world, "Coupure de courant à Lille", "Panne de courant à Lille")
    result = world.run("send", "incident.yaml", "--yes", "--as", "alice", env=at(5))
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "bob approved the texts at 2026-11-22 09:40 CET" in said, said
