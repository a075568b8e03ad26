"""The correction email is an email like the others: the same frame, read on a phone, in the dark.

Every HTML email (the update, the reminder, the correction) imports one frame,
``templates/*/_email.html.j2``: the dark styles, the preheader, the greeting by name, the
signature (``signed_by``, else ``sign_off``), the footer with the unsubscribe link, and the place
of a drill's notice, inside the 600 px card and in its font. Checked on what the SMTP peer
received (parsed with the email package) and in Chromium, at 375 px, light and dark.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from broadcast.content.render import SHIPPED_TEMPLATES
from tests.conftest import at, write
from tests.test_correction import cancel
from tests.test_web_surfaces import axe_available, open_page  # noqa: F401 (a fixture)
from tests.world import World

pytest_plugins = ["tests.browser"]

CAMILLE = "camille.martin@example.com"
EMMA = "emma.wilson@example.co.uk"
UNSUBSCRIBE = "https://www.example.com/alertes/desabonnement"


def with_footer_facts(world: World) -> None:
    """A contact and a List-Unsubscribe, as an organisation that mails the public has."""
    config = world.folder / "channels.yaml"
    text = config.read_text(encoding="utf-8")
    text = text.replace(
        "organisation: Énergie Nord\n", "organisation: Énergie Nord\ncontact: 09 69 32 15 15\n"
    )
    text = text.replace(
        "    reply_to: service.client@example.com\n",
        f"    reply_to: service.client@example.com\n    list_unsubscribe: {UNSUBSCRIBE}\n",
    )
    config.write_text(text, encoding="utf-8")


def body(message: EmailMessage, kind: str) -> str:
    return message.get_body((kind,)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]


def signature_html(html: str) -> str:
    return re.findall(r'<p style="margin:28px 0 0;">(.*?)</p>', html)[-1]


@pytest.fixture
def update_and_correction(world: World) -> tuple[dict[str, EmailMessage], dict[str, EmailMessage]]:
    """The update then its correction, each as the SMTP peer received it, by recipient."""
    with_footer_facts(world)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "email")
    assert code == 0, doc
    first = {r.recipients[0]: r.message for r in world.smtp.received}
    cancel(world)
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "email", env=at(20))
    assert (code, doc["action"]) == (0, "new"), doc
    later = world.smtp.received[len(first) :]
    correction = {r.recipients[0]: r.message for r in later}
    assert set(correction) == set(first)
    assert all(
        str(m["Subject"]).startswith("[Rect") or "Correction" in str(m["Subject"])
        for m in correction.values()
    )
    return first, correction


def test_the_correction_greets_signs_and_ends_like_the_update(
    update_and_correction: tuple[dict[str, EmailMessage], dict[str, EmailMessage]],
) -> None:
    first, correction = update_and_correction
    for address, hello in ((CAMILLE, "Bonjour Camille,"), (EMMA, "Hello Emma,")):
        text, html = body(correction[address], "plain"), body(correction[address], "html")
        # The greeting by name, as the update said it (not "Bonjour," to everyone).
        assert f"\n{hello}\n" in text and f">{hello}</p>" in html
        assert f">{hello}</p>" in body(first[address], "html")
        # Signed as the update is (sign_off), never the generic team.
        assert signature_html(html) == signature_html(body(first[address], "html"))
        assert "L&#39;équipe" not in html and "team</p>" not in html
        # The footer: why you get this, how to reach us, how to stop.
        assert UNSUBSCRIBE in text and "09 69 32 15 15" in text
        assert f'href="{UNSUBSCRIBE}"' in html
        # The MIME headers still offer one-click unsubscribe.
        assert UNSUBSCRIBE in str(correction[address]["List-Unsubscribe"])
    fr = body(correction[CAMILLE], "html")
    assert signature_html(fr) == "Le service client d&#39;Énergie Nord"
    assert "Vous recevez ce message parce que" in fr
    assert '<meta name="color-scheme" content="light dark">' in fr
    assert "@media (prefers-color-scheme: dark)" in fr


@pytest.mark.usefixtures("axe_available")
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_correction_reads_on_a_phone_in_light_and_dark(
    browser: Browser,
    update_and_correction: tuple[dict[str, EmailMessage], dict[str, EmailMessage]],
    tmp_path: Path,
    scheme: str,
) -> None:
    _, correction = update_and_correction
    page_file = tmp_path / "correction.html"
    page_file.write_text(body(correction[CAMILLE], "html"), encoding="utf-8")
    checked = open_page(browser, {"width": 375, "height": 800}, color_scheme=scheme)
    page = checked.page
    page.goto(page_file.as_uri())
    # The preheader: what the inbox shows after the subject, hidden in the message. It says
    # what to know now (the correction), not the wrong message.
    preheader = page.locator("body > div").first
    expect(preheader).to_be_hidden()
    assert page.evaluate("document.body.firstElementChild.textContent").startswith(
        "Il n'y a pas de coupure à Lille"
    )
    footer = page.locator(".em-foot")
    expect(footer).to_contain_text("Vous recevez ce message parce que")
    expect(footer.get_by_role("link", name="se désabonner")).to_have_attribute("href", UNSUBSCRIBE)
    card = page.locator(".em-card").evaluate("e => getComputedStyle(e).backgroundColor")
    assert card == ("rgb(28, 28, 28)" if scheme == "dark" else "rgb(255, 255, 255)")
    # The correction's bar stays apart from a dark card (not #1a1a1a on #1c1c1c).
    bar = page.locator(".em-bar-corrected").evaluate("e => getComputedStyle(e).backgroundColor")
    assert bar == ("rgb(236, 236, 236)" if scheme == "dark" else "rgb(26, 26, 26)")
    assert checked.overflow() == 0
    assert checked.axe() == []
    page.context.close()


DRILL = "name,phone,email,locale\nLucie Exercice,,lucie.exercice@example.net,fr\n"


@pytest.mark.usefixtures("axe_available")
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_drill_notice_sits_inside_the_card_in_its_font(
    browser: Browser, world: World, tmp_path: Path, scheme: str
) -> None:
    write(world.folder / "drill.csv", DRILL)
    config = world.folder / "channels.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(
            "    recipients: contacts.csv\n  twitter:",
            "    recipients: contacts.csv\n    exercise_recipients: drill.csv\n  twitter:",
        ),
        encoding="utf-8",
    )
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "email", "--exercise")
    assert code == 0, doc
    [received] = world.smtp.received
    html = body(received.message, "html")
    assert "<!--broadcast:notice-->" not in html  # the slot was filled
    page_file = tmp_path / "drill.html"
    page_file.write_text(html, encoding="utf-8")
    checked = open_page(browser, {"width": 375, "height": 800}, color_scheme=scheme)
    page = checked.page
    page.goto(page_file.as_uri())
    notice = page.locator("p.exercise")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("EXERCICE")
    # Inside the 600 px card (its first child), in the card's font, not the default serif.
    assert notice.evaluate("e => e.parentElement.classList.contains('em-card')")
    font = notice.evaluate("e => getComputedStyle(e).fontFamily")
    assert font == page.locator(".em-card").evaluate("e => getComputedStyle(e).fontFamily")
    assert "Arial" in font
    card, box = page.locator(".em-card").bounding_box(), notice.bounding_box()
    assert (
        card
        and box
        and card["x"] <= box["x"]
        and box["x"] + box["width"] <= card["x"] + card["width"]
    )
    assert checked.overflow() == 0
    assert checked.axe() == []  # the dark card's light text does not reach the yellow notice
    page.context.close()


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    "name", ["email.html.j2", "reminder_email.html.j2", "correction_email.html.j2"]
)
def test_every_html_email_is_built_on_the_one_frame(language: str, name: str) -> None:
    """The rule behind the three: an HTML email takes every piece of its frame from
    _email.html.j2, so a new kind of email cannot leave out the footer or the dark styles."""
    source = (SHIPPED_TEMPLATES / language / name).read_text(encoding="utf-8")
    assert f'{{% import "{language}/_email.html.j2" as e with context %}}' in source
    for piece in (
        "e.head(",
        "e.preheader(",
        "e.notice_slot()",
        "e.greeting(",
        "e.signed()",
        "e.footer()",
    ):
        assert piece in source, f"{language}/{name} lacks {piece}"
    assert "L'équipe" not in source and "team{%" not in source
