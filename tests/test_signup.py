"""Residents who sign themselves up on a real ``broadcast serve`` (uvicorn on 127.0.0.1): the
form, the code by SMS read at the local Twilio peer, the link by email read at the SMTP peer,
the limits, the SMS keyword, unsubscribing and erasure; every test on SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from urllib.parse import urlencode, urlsplit

import pytest

from tests.test_serve import PUBLIC_URL, Serving, replies_kept, start_serving
from tests.world import World

pytestmark = [pytest.mark.slow, pytest.mark.both_engines]

NEW_PHONE = "+33611223344"
NEW_EMAIL = "resident@example.net"


class Browserless:
    """A client with its own cookies, as one browser is; ``forwarded_for`` plays a client
    behind the trusted proxy (the test process, 127.0.0.1)."""

    def __init__(self, serving: Serving, forwarded_for: str | None = None) -> None:
        self.base = f"http://127.0.0.1:{serving.port}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.forwarded_for = forwarded_for

    def request(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str, dict]:
        data = urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base + path, data=data)
        if self.forwarded_for:
            request.add_header("X-Forwarded-For", self.forwarded_for)
        try:
            with self.opener.open(request, timeout=30) as answer:
                return answer.status, answer.read().decode(), dict(answer.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), dict(error.headers)

    def csrf(self, path: str = "/subscribe") -> str:
        status, body, headers = self.request(path)
        assert status == 200
        assert "default-src 'self'" in headers["content-security-policy"]
        return html.unescape(re.search(r'name="csrf" value="([^"]+)"', body).group(1))

    def sign_up(self, **fields: str) -> tuple[int, str]:
        form = {"postcode": "59000", "language": "fr", "consent": "yes", **fields}
        form.setdefault("csrf", self.csrf())
        status, body, _ = self.request("/subscribe", form)
        return status, body


def hidden(body: str, name: str) -> str:
    return html.unescape(re.search(rf'name="{name}" value="([^"]+)"', body).group(1))


def local(link: str, serving: Serving) -> str:
    """The public link (behind the proxy) as the path the local serve answers."""
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_URL
    return f"{parts.path}?{parts.query}"


def wait_for(find, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = find()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("not there in time")


def sms_code(world: World, number: str, count: int = 1) -> str:
    messages = wait_for(lambda: len(world.twilio.messages_to(number)) >= count or None)
    assert messages
    body = world.twilio.messages_to(number)[count - 1].body
    return re.search(r"\b(\d{6})\b", body).group(1)


def email_link(world: World, address: str, count: int = 1) -> str:
    wait_for(lambda: len(world.smtp.messages_to(address)) >= count or None)
    message = world.smtp.messages_to(address)[count - 1].message
    text = message.get_body(("plain",)).get_content()
    return re.search(r"https://\S+", text).group(0)


def subscribers(world: World, kind: str) -> list:
    import os

    from broadcast.ledger.sqlite import Ledger

    ledger = Ledger(world.folder / ".broadcast", environ={**os.environ, **world.engine})
    try:
        return list(ledger.confirmed_subscribers(kind))  # type: ignore[arg-type]
    finally:
        ledger.close()


@pytest.fixture
def serving(world: World) -> Iterator[Serving]:
    config = world.folder / "channels.yaml"
    text = config.read_text(encoding="utf-8").replace(
        "channels:\n",
        f'serve: {{public_url: "{PUBLIC_URL}", trusted_proxies: ["127.0.0.1"]}}\nchannels:\n',
        1,
    )
    config.write_text(text, encoding="utf-8")
    running = start_serving(world)
    try:
        yield running
    finally:
        running.stop()


def test_a_phone_is_confirmed_by_the_code_sent_by_sms(world: World, serving: Serving) -> None:
    client = Browserless(serving)
    status, body = client.sign_up(phone="06 11 22 33 44")
    assert status == 200 and 'name="code"' in body
    code = sms_code(world, NEW_PHONE)
    assert subscribers(world, "phone") == []  # pending until the code comes back
    form = {"csrf": hidden(body, "csrf"), "ref": hidden(body, "ref"), "code": code}
    status, done, _ = client.request("/subscribe/confirm", form)
    assert status == 200, done
    [held] = subscribers(world, "phone")
    assert (held.address, held.language, held.postcode, held.via) == (
        NEW_PHONE,
        "fr",
        "59000",
        "web",
    )
    assert held.consent_text.startswith("J'accepte de recevoir les alertes de Énergie Nord")
    # Sealed: the number is nowhere in the ledger's own rows.
    assert NEW_PHONE not in str(_rows(world))


def opted_out(world: World, number: str) -> bool:
    import os

    from broadcast.ledger.sqlite import Ledger

    ledger = Ledger(world.folder / ".broadcast", environ={**os.environ, **world.engine})
    try:
        return ledger.is_opted_out(number)
    finally:
        ledger.close()


def _rows(world: World) -> list:
    import os

    from broadcast.ledger.sqlite import Ledger

    ledger = Ledger(world.folder / ".broadcast", environ={**os.environ, **world.engine})
    try:
        return [dict(row) for row in ledger.db.execute("SELECT * FROM subscribers").fetchall()]
    finally:
        ledger.close()


def test_the_email_link_page_confirms_nothing_until_its_button_is_pressed(
    world: World, serving: Serving
) -> None:
    client = Browserless(serving)
    status, body = client.sign_up(email="Resident@Example.net", language="en")
    assert status == 200 and 'name="code"' not in body
    link = email_link(world, NEW_EMAIL)
    # A mail scanner fetches the link: nothing is confirmed, however many times.
    scanner = Browserless(serving)
    for _ in range(3):
        status, page, _ = scanner.request(local(link, serving))
        assert status == 200 and "<button" in page
    assert subscribers(world, "email") == []
    status, page, _ = client.request(local(link, serving))
    form = {"csrf": hidden(page, "csrf"), "token": hidden(page, "token")}
    status, done, _ = client.request("/subscribe/confirm", form)
    assert status == 200, done
    [held] = subscribers(world, "email")
    assert (held.address, held.language) == (NEW_EMAIL, "en")


def test_a_wrong_code_five_times_kills_the_code(world: World, serving: Serving) -> None:
    client = Browserless(serving)
    _, body = client.sign_up(phone=NEW_PHONE)
    code = sms_code(world, NEW_PHONE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    form = {"csrf": hidden(body, "csrf"), "ref": hidden(body, "ref"), "code": wrong}
    answers = [client.request("/subscribe/confirm", form)[0] for _ in range(5)]
    assert answers == [400] * 5
    status, page, _ = client.request("/subscribe/confirm", {**form, "code": code})
    assert status == 400 and "plus valable" in page
    assert subscribers(world, "phone") == []


def test_the_sixth_attempt_from_a_client_or_for_an_address_is_refused(
    world: World, serving: Serving
) -> None:
    one_client = Browserless(serving, forwarded_for="203.0.113.7")
    statuses = [one_client.sign_up(email=f"person{i}@example.net")[0] for i in range(6)]
    assert statuses == [200] * 5 + [429]
    # One address from six clients (a forged X-Forwarded-For by the trusted proxy's word).
    statuses = [
        Browserless(serving, forwarded_for=f"198.51.100.{i}").sign_up(email=NEW_EMAIL)[0]
        for i in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    # Six messages for the six addresses, five for the address asked six times.
    wait_for(lambda: len(world.smtp.messages_to(NEW_EMAIL)) >= 5 or None)
    time.sleep(0.3)
    assert len(world.smtp.messages_to(NEW_EMAIL)) == 5


def test_a_form_without_its_csrf_token_is_refused(world: World, serving: Serving) -> None:
    client = Browserless(serving)
    status, _ = client.sign_up(phone=NEW_PHONE, csrf="forged.token")
    assert status == 403
    # A token from another browser (another cookie) is refused too.
    other = Browserless(serving).csrf()
    status, _ = client.sign_up(phone=NEW_PHONE, csrf=other)
    assert status == 403
    time.sleep(0.3)
    assert world.twilio.messages_to(NEW_PHONE) == []


def test_a_known_and_an_unknown_address_get_the_same_answer(world: World, serving: Serving) -> None:
    client = Browserless(serving)
    _, body = client.sign_up(phone=NEW_PHONE)
    code = sms_code(world, NEW_PHONE)
    form = {"csrf": hidden(body, "csrf"), "ref": hidden(body, "ref"), "code": code}
    assert client.request("/subscribe/confirm", form)[0] == 200

    def answer(number: str) -> tuple[int, str, float]:
        started = time.monotonic()
        status, page = Browserless(serving).sign_up(phone=number)
        page = re.sub(r'value="[^"]+"', 'value=""', page)  # the tokens differ, nothing else
        return status, page, time.monotonic() - started

    # The messages leave after the page: Twilio holds its answer to each for `held` seconds, so
    # a page that waited for its message could not come sooner (a bound on the page's own
    # time would say nothing here, where an SMS takes milliseconds, and break on a loaded CI).
    held = 10.0
    world.twilio.hold_first_answer_to(NEW_PHONE, "+33611223355", seconds=held)
    known = answer(NEW_PHONE)
    unknown = answer("+33611223355")
    assert known[:2] == unknown[:2]
    assert known[2] < held and unknown[2] < held

    # Wrong codes typed on each code form: the same answers, down to the fifth (dead).
    def wrong_codes(number: str) -> list[tuple[int, str]]:
        client = Browserless(serving)
        _, body = client.sign_up(phone=number)
        form = {"csrf": hidden(body, "csrf"), "ref": hidden(body, "ref"), "code": "000000"}
        said = []
        for _ in range(5):
            status, page, _ = client.request("/subscribe/confirm", form)
            said.append((status, re.sub(r'value="[^"]+"', 'value=""', page)))
        return said

    assert wrong_codes(NEW_PHONE) == wrong_codes("+33611223366")
    # The known number is told, never the asker: an SMS saying it is signed up already.
    wait_for(lambda: len(world.twilio.messages_to(NEW_PHONE)) >= 2 or None)
    assert "déjà inscrit" in world.twilio.messages_to(NEW_PHONE)[1].body


def test_the_sms_keyword_signs_the_number_up_and_stop_ends_it(
    world: World, serving: Serving
) -> None:
    answer = serving.sms(NEW_PHONE, "Inscrire 59000")
    assert answer.status == 200 and "text/xml" in answer.content_type
    assert "STOP" in answer.body and "59000" in answer.body
    assert answer.body.count("<Message>") == 1
    [held] = subscribers(world, "phone")
    assert (held.address, held.language, held.postcode, held.via) == (
        NEW_PHONE,
        "fr",
        "59000",
        "sms",
    )
    english = serving.sms("+447400123499", "JOIN SW1A 1AA")
    assert "To stop, send STOP" in english.body
    without = serving.sms("+447400123498", "join")
    assert "JOIN 59000" in without.body
    assert len(subscribers(world, "phone")) == 2
    assert serving.sms(NEW_PHONE, "STOP").status == 204
    assert [s.address for s in subscribers(world, "phone")] == ["+447400123499"]
    assert opted_out(world, NEW_PHONE)
    # Signing up again is a consent that supersedes the STOP.
    assert serving.sms(NEW_PHONE, "INSCRIRE 59000").status == 200
    assert not opted_out(world, NEW_PHONE)
    assert replies_kept(world) == 0  # a sign-up is no reply


def test_what_is_held_is_shown_and_erased_by_the_link(world: World, serving: Serving) -> None:
    serving.sms(NEW_PHONE, "INSCRIRE 59000")
    client = Browserless(serving)
    csrf = client.csrf("/me")
    status, page, _ = client.request("/me", {"csrf": csrf, "address": NEW_PHONE})
    unknown = Browserless(serving)
    status_unknown, page_unknown, _ = unknown.request(
        "/me", {"csrf": unknown.csrf("/me"), "address": "+33611223399"}
    )
    assert (status, page) == (status_unknown, page_unknown)
    sent = wait_for(lambda: world.twilio.messages_to(NEW_PHONE)[-1:] or None)
    link = re.search(r"https://\S+", sent[0].body).group(0)
    status, page, _ = client.request(local(link, serving))
    assert status == 200 and NEW_PHONE in page and "59000" in page and "INSCRIRE" in page
    form = {"csrf": hidden(page, "csrf")}
    status, gone, _ = client.request(local(link, serving), form)
    assert status == 200 and "Effacé" in gone
    assert subscribers(world, "phone") == [] and _rows(world) == []
    assert client.request(local(link, serving))[0] == 404


def subscribed_by_email(world: World, serving: Serving, address: str, language: str) -> None:
    client = Browserless(serving)
    client.sign_up(email=address, language=language)
    link = email_link(world, address)
    _, page, _ = client.request(local(link, serving))
    form = {"csrf": hidden(page, "csrf"), "token": hidden(page, "token")}
    assert client.request("/subscribe/confirm", form)[0] == 200


def test_a_send_to_subscribers_reaches_them_once_and_the_one_click_post_ends_it(
    world: World, serving: Serving
) -> None:
    camille = "+33612345678"  # in contacts.csv too: one message, not two
    for number in (NEW_PHONE, camille):
        assert serving.sms(number, "INSCRIRE 59000").status == 200
    subscribed_by_email(world, serving, NEW_EMAIL, "en")
    config = world.folder / "channels.yaml"
    text = config.read_text(encoding="utf-8")
    text = text.replace(
        "    recipients: contacts.csv\n", "    recipients: [contacts.csv, subscribers]\n", 1
    )
    text = text.replace("    recipients: contacts.csv\n", "    recipients: subscribers\n", 1)
    config.write_text(text, encoding="utf-8")
    before = len(world.twilio.messages_to(camille))
    result = world.run("send", "incident.yaml", "--yes", "--channel", "sms", "--channel", "email")
    assert result.exit_code == 0, result.output
    assert len(world.twilio.messages_to(NEW_PHONE)) == 1
    assert len(world.twilio.messages_to(camille)) == before + 1
    assert world.twilio.messages_to("+33612345679")  # the CSV's people still get it
    # The email channel names subscribers only: the CSV's addresses get nothing.
    assert world.smtp.messages_to("camille.martin@example.com") == []
    [_confirmation, alert] = world.smtp.messages_to(NEW_EMAIL)
    # In the subscriber's language, though the channel has no CSV to ask for it.
    assert "Subject" in alert.message and alert.message["Content-Language"] in (None, "en")
    english = alert.message.get_body(("plain",)).get_content()
    assert english != "" and "Bonjour" not in english
    header = alert.message["List-Unsubscribe"]
    assert header.startswith(f"<{PUBLIC_URL}/unsubscribe?token=")
    assert alert.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = local(header.strip("<>"), serving)
    # A scanner's GET of the link unsubscribes nobody: it shows a button.
    status, page, _ = Browserless(serving).request(path)
    assert status == 200 and "<button" in page
    assert [s.address for s in subscribers(world, "email")] == [NEW_EMAIL]
    # The mailbox provider's one-click POST: no cookie, no form of ours, the token proves it.
    status, _, _ = Browserless(serving).request(path, {"List-Unsubscribe": "One-Click"})
    assert status == 200
    assert subscribers(world, "email") == []
    assert {s.address for s in subscribers(world, "phone")} == {NEW_PHONE, camille}


@pytest.mark.browser
def test_the_form_driven_in_chromium_under_the_strict_csp(
    world: World, serving: Serving, page
) -> None:
    """A phone by its SMS code and an email by its link, as a resident does it in a browser;
    the pages' headers say ``default-src 'self'`` and the browser reports no violation."""
    violations: list[str] = []
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    base = f"http://127.0.0.1:{serving.port}"
    answer = page.goto(base + "/subscribe?lang=fr")
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    page.fill("#phone", "06 11 22 33 44")
    page.fill("#postcode", "59000")
    page.check("#consent")
    page.click("button[type=submit]")
    page.wait_for_selector("#code")
    page.fill("#code", sms_code(world, NEW_PHONE))
    page.click("button[type=submit]")
    assert "Inscription confirmée" in page.inner_text("h1")
    # The email, in English, by its link.
    page.goto(base + "/subscribe?lang=en")
    page.fill("#email", NEW_EMAIL)
    page.select_option("#language", "en")
    page.fill("#postcode", "59350")
    page.check("#consent")
    page.click("button[type=submit]")
    assert "confirmation link has just been sent" in page.inner_text("main")
    page.goto(base + local(email_link(world, NEW_EMAIL), serving))
    assert subscribers(world, "email") == []  # the link's page alone confirms nothing
    page.click("button[type=submit]")
    assert "Sign-up confirmed" in page.inner_text("h1")
    assert [(s.address, s.postcode) for s in subscribers(world, "email")] == [(NEW_EMAIL, "59350")]
    assert [s.address for s in subscribers(world, "phone")] == [NEW_PHONE]
    assert violations == []


def test_a_drill_never_reaches_the_subscribers(world: World, serving: Serving) -> None:
    from tests.test_exercise import DRILL_PHONES, with_drill_list

    assert serving.sms(NEW_PHONE, "JOIN 59000").status == 200
    with_drill_list(world)
    config = world.folder / "channels.yaml"
    text = config.read_text(encoding="utf-8").replace(
        "    recipients: contacts.csv\n", "    recipients: [contacts.csv, subscribers]\n", 1
    )
    config.write_text(text, encoding="utf-8")
    result = world.run("send", "incident.yaml", "--yes", "--exercise", "--channel", "sms")
    assert result.exit_code == 0, result.output
    assert sorted(m.to for m in world.twilio.messages()) == sorted(DRILL_PHONES)
    # The real send reaches the subscriber.
    result = world.run("send", "incident.yaml", "--yes", "--channel", "sms")
    assert result.exit_code == 0, result.output
    assert len(world.twilio.messages_to(NEW_PHONE)) == 1


def test_preview_and_dry_run_of_a_channel_of_subscribers_only(world: World) -> None:
    config = world.folder / "channels.yaml"
    text = config.read_text(encoding="utf-8").replace(
        "    recipients: contacts.csv\n", "    recipients: subscribers\n", 1
    )
    config.write_text(text, encoding="utf-8")
    assert world.run("validate", "incident.yaml").exit_code == 0
    assert world.run("preview", "incident.yaml").exit_code == 0
    result = world.run("send", "incident.yaml", "--dry-run", "--channel", "sms")
    assert result.exit_code == 0, result.output
    # No ledger yet: nobody has signed up, and the preview says so in numbers.
    assert "sms: 0 subscribers" in " ".join(result.output.split())
    code, doc = world.run_json("send", "incident.yaml", "--dry-run", "--channel", "sms")
    assert code == 0, doc
    [sms] = [c for c in doc["channels"] if c["channel"] == "sms"]
    assert sms["subscribers"] == 0 and sms["recipients"] == 0


def _signed_up(world: World) -> None:
    """Confirmed subscribers in the world's ledger, as serve records them (the ledger's own
    subscribe_confirmed, as tests/test_subscribers_ledger.py does): phones in 59000 (two),
    62300 and none given, an email in 59000, and a phone still pending (never counted)."""
    import os

    from broadcast.ledger.sqlite import Ledger
    from tests.test_ledger import T0

    ledger = Ledger(world.folder / ".broadcast", environ={**os.environ, **world.engine})
    try:
        for number, postcode in (
            (NEW_PHONE, "59000"),
            ("+33611223366", "59000"),
            ("+33611223355", "62300"),
            ("+33611223377", ""),
        ):
            ledger.subscribe_confirmed("phone", number, "fr", postcode, "INSCRIRE", T0, "sms")
        ledger.subscribe_confirmed("email", NEW_EMAIL, "en", "59000", "ok", T0, "web")
        ledger.sign_up("phone", "+33611223388", "fr", "59000", "ok", T0)  # pending
    finally:
        ledger.close()


def test_the_preview_counts_the_subscribers_within_the_area(world: World) -> None:
    """A channel naming subscribers counts the confirmed ones of its kind read from the
    ledger, those the incident's area takes by their postcode, in the terminal preview, in
    --json (recipients, subscribers, the area's counts) and in the dry run; the send then
    reaches as many."""
    config = world.folder / "channels.yaml"
    text = config.read_text(encoding="utf-8").replace(
        "    recipients: contacts.csv\n", "    recipients: [contacts.csv, subscribers]\n", 1
    )
    config.write_text(text, encoding="utf-8")
    _signed_up(world)

    code, doc = world.run_json("preview", "incident.yaml", "--channel", "sms")
    assert code == 0, doc
    [sms] = [c for c in doc["channels"] if c["channel"] == "sms"]
    # No area: the CSV's four phones and the four confirmed (not the pending one, not the
    # email).
    assert sms["subscribers"] == 4 and sms["recipients"] == 8 and sms["recipients_listed"] == 4
    said = " ".join(world.run("preview", "incident.yaml", "--channel", "sms").output.split())
    assert "3 recipients in fr + 4 subscribers" in said  # all four asked for French
    assert "1 recipient in en + 0 subscribers" in said
    assert "8 (with 4" in said  # the delivery plan's reach, in a cell that may wrap
    _, doc = world.run_json("preview", "incident.yaml", "--channel", "sms")
    [planned] = doc["delivery_plan"]
    assert planned["recipients"] == 8 and planned["parts"] == 16  # two segments each

    incident = world.folder / "incident.yaml"
    incident.write_text(
        incident.read_text(encoding="utf-8") + '\narea:\n  postcodes: ["59000"]\n',
        encoding="utf-8",
    )
    code, doc = world.run_json("preview", "incident.yaml", "--channel", "sms")
    assert code == 0, doc
    [sms] = [c for c in doc["channels"] if c["channel"] == "sms"]
    # The CSV's rows have no place (unlocated, excluded); of the subscribers, 59000 is in,
    # 62300 out and the one who gave no postcode unlocated.
    assert sms["subscribers"] == 2 and sms["recipients"] == 2
    assert sms["area"]["subscribers"] == {"in": 2, "out": 1, "unlocated": 1, "confirmed": 4}
    # The top-level counts hold them too: the CSV's four phones and one subscriber unlocated.
    assert (doc["area"]["in"], doc["area"]["out"], doc["area"]["unlocated"]) == (2, 1, 5)
    said = " ".join(world.run("preview", "incident.yaml", "--channel", "sms").output.split())
    assert "2 (with 2" in said
    said = " ".join(
        world.run("send", "incident.yaml", "--dry-run", "--channel", "sms").output.split()
    )
    assert "+ 2 subscribers in the area (of 4 confirmed)" in said
    code, dry = world.run_json("send", "incident.yaml", "--dry-run", "--channel", "sms")
    assert code == 0, dry
    [sms] = [c for c in dry["channels"] if c["channel"] == "sms"]
    assert sms["subscribers"] == 2 and sms["recipients"] == 2

    result = world.run("send", "incident.yaml", "--yes", "--channel", "sms")
    assert result.exit_code == 0, result.output
    assert sorted(m.to for m in world.twilio.messages()) == sorted([NEW_PHONE, "+33611223366"])


def test_an_incident_in_a_subscriber_s_postcode_reaches_them_and_one_elsewhere_does_not(
    world: World, serving: Serving
) -> None:
    """Subscribers are placed by the postcode they signed up with, through the incident's area
    as the CSV's rows are: in when it is listed, out when the area lists postcodes and theirs is
    not."""
    assert serving.sms(NEW_PHONE, "INSCRIRE 59000").status == 200
    elsewhere = "+33611223355"
    assert serving.sms(elsewhere, "INSCRIRE 62300").status == 200
    config = world.folder / "channels.yaml"
    text = config.read_text(encoding="utf-8").replace(
        "    recipients: contacts.csv\n", "    recipients: subscribers\n", 1
    )
    config.write_text(text, encoding="utf-8")
    incident = world.folder / "incident.yaml"
    base = incident.read_text(encoding="utf-8")
    incident.write_text(base + '\narea:\n  postcodes: ["59000"]\n', encoding="utf-8")
    result = world.run("send", "incident.yaml", "--yes", "--channel", "sms")
    assert result.exit_code == 0, result.output
    # (The keyword was answered in TwiML: the peer holds only what the send created.)
    [alert] = world.twilio.messages_to(NEW_PHONE)
    assert "Coupure" in alert.body
    assert world.twilio.messages_to(elsewhere) == []
