"""The email adapter against a real SMTP server on 127.0.0.1 (aiosmtpd, see tests/smtp_peer.py).

Each test sends through ``EmailAdapter`` exactly as a dispatch worker would and then looks at
what the server received: the MIME structure and headers, the TLS and login it saw, how many
connections it counted, and how each refusal came back as a ``DeliveryError``.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from broadcast.channels.base import DeliveryContext, DeliveryError, Outgoing, Target
from broadcast.channels.email import EmailAdapter
from broadcast.input.config import EmailChannel
from broadcast.input.schema import ValidationError
from tests.smtp_peer import (  # noqa: F401 - pytest finds these fixtures by their names
    PASSWORD,
    USERNAME,
    Certificate,
    SmtpPeer,
    other_certificate_fixture,
    smtp_certificate_fixture,
    smtp_server_fixture,
    smtp_starttls_server_fixture,
    smtp_tls_server_fixture,
)

NOW = datetime(2026, 11, 22, 8, 40, tzinfo=UTC)
SUBJECT = "Coupure d'électricité à Lille — mise à jour"
TEXT = "Bonjour,\n\nLe courant est rétabli rue de Béthune.\n.Une ligne qui commence par un point."
HTML = (
    '<!DOCTYPE html>\n<html lang="fr"><body>\n'
    "<p>Le courant est rétabli rue de Béthune.</p>\n"
    "<p>Texte cité : &lt;script&gt;alert(1)&lt;/script&gt; &amp; co</p>\n"
    f"<p>{'Une très longue ligne sans retour. ' * 12}</p>\n"
    "</body></html>"
)
MESSAGE = Outgoing(channel="email", parts={"subject": SUBJECT, "text": TEXT, "html": HTML})
ELODIE = Target(address="elodie.dupre@example.org", name="Élodie Dupré", line=2)
UNSUBSCRIBE = "https://alertes.example.com/desabonnement?liste=panne-nord&jeton=" + "x" * 60


def channel(peer: SmtpPeer, **fields: Any) -> EmailChannel:
    settings: dict[str, Any] = {
        "type": "email",
        "host": peer.host,
        "port": peer.port,
        "starttls": False,
        "from": "Service client <alertes@example.com>",
        "recipients": "examples/contacts.csv",
        "timeout": 5,
    }
    return EmailChannel.model_validate(settings | fields)


@pytest.fixture
def make_adapter(tmp_path: Path) -> Iterator[Any]:
    """Adapters for a channel, closed (QUIT) at the end of the test like dispatch does."""
    made: list[EmailAdapter] = []

    def make(
        config: EmailChannel, credentials: dict[str, str] | None = None, **options: Any
    ) -> EmailAdapter:
        context = DeliveryContext(config_folder=tmp_path, now=NOW)
        adapter = EmailAdapter("email", config, credentials or {}, context, **options)
        made.append(adapter)
        return adapter

    yield make
    for adapter in made:
        adapter.close()


def as_sent(content: str) -> str:
    """A MIME text part as the renderer's text: LF line ends, the final line break MIME adds."""
    return content.replace("\r\n", "\n")


def refusal(adapter: EmailAdapter, target: Target = ELODIE) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        adapter.deliver(MESSAGE, target)
    return caught.value


# -- the message ---------------------------------------------------------------------------


def test_message_is_multipart_alternative_with_text_and_html_exactly_as_rendered(
    smtp_server: SmtpPeer, make_adapter: Any
) -> None:
    make_adapter(channel(smtp_server)).deliver(MESSAGE, ELODIE)

    (received,) = smtp_server.received
    message = received.message
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    assert as_sent(text.get_content()) == TEXT + "\n"
    assert as_sent(html.get_content()) == HTML + "\n"
    # The escaped text stays escaped: the adapter passes the rendered HTML through untouched.
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html.get_content()
    assert "<script>" not in html.get_content()
    # 7-bit on the wire (quoted-printable), so no server needs 8BITMIME.
    assert received.raw.isascii()
    assert max(len(line) for line in received.raw.split(b"\r\n")) <= 78


def test_headers_subject_from_to_reply_to_date_and_envelope(
    smtp_server: SmtpPeer, make_adapter: Any
) -> None:
    config = channel(smtp_server, reply_to="service.client@example.com")
    message_id = make_adapter(config).deliver(MESSAGE, ELODIE)

    (received,) = smtp_server.received
    message = received.message
    assert message["Subject"] == SUBJECT
    head = received.raw.split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?" in head  # RFC 2047 encoded words, not raw UTF-8
    assert message["From"] == "Service client <alertes@example.com>"
    (to,) = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Élodie Dupré", "elodie.dupre@example.org")
    assert message["Reply-To"] == "service.client@example.com"
    assert message["Date"].datetime == NOW
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"] == message_id
    assert message_id.startswith("<") and message_id.endswith("@example.com>")
    assert "List-Unsubscribe" not in message
    assert received.mail_from == "alertes@example.com"
    assert received.recipients == ("elodie.dupre@example.org",)


def test_each_message_gets_its_own_message_id(smtp_server: SmtpPeer, make_adapter: Any) -> None:
    adapter = make_adapter(channel(smtp_server))
    ids = [adapter.deliver(MESSAGE, ELODIE) for _ in range(3)]

    assert len(set(ids)) == 3
    assert [r.message["Message-ID"] for r in smtp_server.received] == ids


def test_a_new_message_through_the_same_adapter_carries_its_own_subject_and_body(
    smtp_server: SmtpPeer, make_adapter: Any
) -> None:
    update = Outgoing(
        channel="email",
        parts={
            "subject": "Fin de la coupure à Lille",
            "text": "Rétabli.",
            "html": "<p>Rétabli.</p>",
        },
    )
    adapter = make_adapter(channel(smtp_server))
    adapter.deliver(MESSAGE, ELODIE)
    adapter.deliver(update, ELODIE)
    adapter.deliver(MESSAGE, ELODIE)

    received = [r.message for r in smtp_server.received]
    assert [m["Subject"] for m in received] == [SUBJECT, update.parts["subject"], SUBJECT]
    assert as_sent(received[1].get_body(("plain",)).get_content()) == "Rétabli.\n"
    assert as_sent(received[1].get_body(("html",)).get_content()) == "<p>Rétabli.</p>\n"


def test_list_unsubscribe_https_offers_one_click(smtp_server: SmtpPeer, make_adapter: Any) -> None:
    config = channel(smtp_server, list_unsubscribe=UNSUBSCRIBE + ", mailto:stop@example.com")
    make_adapter(config).deliver(MESSAGE, ELODIE)

    message = smtp_server.received[0].message
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>, <mailto:stop@example.com>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # A URL longer than a line must stay a URL, not become RFC 2047 encoded words.
    assert f"<{UNSUBSCRIBE}>".encode() in smtp_server.received[0].raw


def test_list_unsubscribe_mailto_only_has_no_one_click(
    smtp_server: SmtpPeer, make_adapter: Any
) -> None:
    config = channel(smtp_server, list_unsubscribe="mailto:stop@example.com?subject=stop")
    make_adapter(config).deliver(MESSAGE, ELODIE)

    message = smtp_server.received[0].message
    assert message["List-Unsubscribe"] == "<mailto:stop@example.com?subject=stop>"
    assert "List-Unsubscribe-Post" not in message


def test_internationalised_domain_goes_out_as_its_ascii_form(
    smtp_server: SmtpPeer, make_adapter: Any
) -> None:
    target = Target(address="contact@électricité.fr", name="Contact")
    make_adapter(channel(smtp_server)).deliver(MESSAGE, target)

    (received,) = smtp_server.received
    assert received.recipients == ("contact@xn--lectricit-93aj.fr",)
    assert received.message["To"].addresses[0].domain == "xn--lectricit-93aj.fr"


def test_non_ascii_local_part_is_sent_with_smtputf8(
    smtp_server: SmtpPeer, make_adapter: Any
) -> None:
    target = Target(address="josé@example.org", name="José")
    make_adapter(channel(smtp_server)).deliver(MESSAGE, target)

    (received,) = smtp_server.received
    assert received.recipients == ("josé@example.org",)
    assert "SMTPUTF8" in received.mail_options
    assert received.message["To"].addresses[0].addr_spec == "josé@example.org"
    assert received.message["Subject"] == SUBJECT


def test_non_ascii_local_part_without_smtputf8_is_permanent(make_adapter: Any) -> None:
    with SmtpPeer(smtputf8=False) as peer:
        error = refusal(make_adapter(channel(peer)), Target(address="josé@example.org"))

        assert (error.code, error.transient) == ("smtputf8", False)
        assert peer.received == []


@pytest.mark.parametrize(
    ("parts", "target"),
    [
        ({"subject": "Panne\r\nBcc: everyone@example.org"}, ELODIE),
        ({"subject": "Panne\nX-Injected: yes"}, ELODIE),
        ({"subject": "Panne\rsecond line"}, ELODIE),
        ({}, Target(address="elodie@example.org", name="Élodie\r\nBcc: everyone@example.org")),
        ({}, Target(address="elodie@example.org\r\nBcc: everyone@example.org")),
        ({}, Target(address="elodie@example.org\n", name="Élodie")),
    ],
    ids=["subject-crlf", "subject-lf", "subject-cr", "name-crlf", "address-crlf", "address-lf"],
)
def test_line_breaks_in_headers_are_refused_before_anything_is_sent(
    smtp_server: SmtpPeer, make_adapter: Any, parts: dict[str, str], target: Target
) -> None:
    message = Outgoing(channel="email", parts={**MESSAGE.parts, **parts})
    adapter = make_adapter(channel(smtp_server))

    with pytest.raises(DeliveryError) as caught:
        adapter.deliver(message, target)

    assert (caught.value.code, caught.value.transient) == ("header", False)
    assert "line break" in caught.value.message
    assert smtp_server.received == []
    assert smtp_server.connections == 0


def test_line_break_in_configured_reply_to_is_refused(
    smtp_server: SmtpPeer, make_adapter: Any
) -> None:
    injected = "a@example.com\r\nBcc: everyone@example.org"
    # channels.yaml is checked when it is read...
    with pytest.raises(ValidationError, match="not one email address"):
        channel(smtp_server, reply_to=injected)
    # ...and the adapter refuses it again should a configuration ever skip that check.
    config = channel(smtp_server).model_copy(update={"reply_to": injected})

    error = refusal(make_adapter(config))

    assert (error.code, error.transient) == ("header", False)
    assert smtp_server.received == []


# -- the connection ------------------------------------------------------------------------


def test_one_connection_carries_twenty_messages_and_close_says_quit(
    smtp_server: SmtpPeer, make_adapter: Any
) -> None:
    adapter = make_adapter(channel(smtp_server))
    for n in range(20):
        adapter.deliver(MESSAGE, Target(address=f"habitant{n}@example.org"))
    adapter.close()

    assert len(smtp_server.received) == 20
    assert smtp_server.connections == 1
    assert {r.connection for r in smtp_server.received} == {1}
    assert smtp_server.quits == 1


def test_without_reuse_every_message_has_its_own_connection(
    smtp_server: SmtpPeer, make_adapter: Any
) -> None:
    adapter = make_adapter(channel(smtp_server), reuse_connection=False)
    for n in range(3):
        adapter.deliver(MESSAGE, Target(address=f"habitant{n}@example.org"))

    assert [r.connection for r in smtp_server.received] == [1, 2, 3]
    assert smtp_server.quits == 3


def test_connection_dropped_between_messages_is_redialled_once(make_adapter: Any) -> None:
    with SmtpPeer(drop_after=1) as peer:
        adapter = make_adapter(channel(peer))
        ids = [adapter.deliver(MESSAGE, Target(address=f"h{n}@example.org")) for n in range(3)]

        assert [r.connection for r in peer.received] == [1, 2, 3]
        assert [r.message["Message-ID"] for r in peer.received] == ids


def test_421_at_mail_is_retried_on_a_fresh_connection(
    smtp_server: SmtpPeer, make_adapter: Any
) -> None:
    adapter = make_adapter(channel(smtp_server))
    adapter.deliver(MESSAGE, ELODIE)
    smtp_server.refuse_mail("421 4.4.2 Idle timeout, closing connection", times=1)

    adapter.deliver(MESSAGE, ELODIE)

    assert [r.connection for r in smtp_server.received] == [1, 2]


def test_server_closing_again_after_the_redial_is_transient(
    smtp_server: SmtpPeer, make_adapter: Any
) -> None:
    smtp_server.refuse_mail("421 4.3.2 Shutting down", times=2)

    error = refusal(make_adapter(channel(smtp_server)))

    assert (error.code, error.transient) == ("421", True)
    assert "Shutting down" in error.message
    assert smtp_server.connections == 2
    assert smtp_server.received == []


def test_server_not_listening_is_transient(make_adapter: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once the probe closes: nothing listens there
    config = EmailChannel.model_validate(
        {
            "type": "email",
            "host": "127.0.0.1",
            "port": port,
            "starttls": False,
            "from": "alertes@example.com",
            "recipients": "contacts.csv",
        }
    )

    error = refusal(make_adapter(config))

    assert (error.code, error.transient) == ("connection", True)
    assert f"127.0.0.1:{port}" in error.message


# -- refusals ------------------------------------------------------------------------------


def test_550_unknown_user_is_permanent_and_the_connection_stays_usable(
    smtp_server: SmtpPeer, make_adapter: Any
) -> None:
    smtp_server.refuse_recipient("nobody@example.org", "550 5.1.1 No such user here")
    adapter = make_adapter(channel(smtp_server))

    error = refusal(adapter, Target(address="nobody@example.org"))
    adapter.deliver(MESSAGE, ELODIE)

    assert (error.code, error.transient) == ("550", False)
    assert "recipient" in error.message and "5.1.1 No such user here" in error.message
    assert [r.recipients for r in smtp_server.received] == [("elodie.dupre@example.org",)]
    assert smtp_server.connections == 1


def test_451_is_transient_and_the_retry_goes_through(
    smtp_server: SmtpPeer, make_adapter: Any
) -> None:
    smtp_server.refuse_recipient(ELODIE.address, "451 4.3.0 Try again later", times=1)
    adapter = make_adapter(channel(smtp_server))

    error = refusal(adapter)
    adapter.deliver(MESSAGE, ELODIE)

    assert (error.code, error.transient, error.retry_after) == ("451", True, None)
    assert len(smtp_server.received) == 1


@pytest.mark.parametrize(
    ("reply", "code", "transient"),
    [("554 5.7.1 Message rejected", "554", False), ("452 4.3.1 Insufficient storage", "452", True)],
)
def test_refusal_after_data_is_classified_by_its_code(
    smtp_server: SmtpPeer, make_adapter: Any, reply: str, code: str, transient: bool
) -> None:
    smtp_server.refuse_data(reply)

    error = refusal(make_adapter(channel(smtp_server)))

    assert (error.code, error.transient) == (code, transient)
    assert "refused the message" in error.message


def test_553_sender_refused_is_permanent(smtp_server: SmtpPeer, make_adapter: Any) -> None:
    smtp_server.refuse_mail("553 5.7.1 Sender address rejected: not owned by user")

    error = refusal(make_adapter(channel(smtp_server)))

    assert (error.code, error.transient) == ("553", False)
    assert "refused the sender" in error.message


# -- TLS and login -------------------------------------------------------------------------


def test_starttls_with_login_verifies_the_certificate_from_a_relative_ca_file(
    smtp_starttls_server: SmtpPeer,
    smtp_certificate: Certificate,
    make_adapter: Any,
    tmp_path: Path,
) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "relay-ca.pem").write_bytes(smtp_certificate.cert_file.read_bytes())
    config = channel(smtp_starttls_server, starttls=True, ca_file="certs/relay-ca.pem")
    credentials = {"username": USERNAME, "password": PASSWORD}

    make_adapter(config, credentials).deliver(MESSAGE, ELODIE)

    (received,) = smtp_starttls_server.received
    assert (received.tls, received.login) == (True, USERNAME)


def test_implicit_tls_with_login(
    smtp_tls_server: SmtpPeer, smtp_certificate: Certificate, make_adapter: Any
) -> None:
    config = channel(smtp_tls_server, ssl=True, ca_file=str(smtp_certificate.cert_file))
    adapter = make_adapter(config, {"username": USERNAME, "password": PASSWORD})

    adapter.deliver(MESSAGE, ELODIE)
    adapter.deliver(MESSAGE, ELODIE)

    assert [(r.tls, r.login, r.connection) for r in smtp_tls_server.received] == [
        (True, USERNAME, 1),
        (True, USERNAME, 1),
    ]


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
def test_untrusted_certificate_is_a_permanent_tls_error(
    smtp_certificate: Certificate,
    other_certificate: Certificate,
    make_adapter: Any,
    mode: str,
) -> None:
    with SmtpPeer(tls=mode, certificate=smtp_certificate, require_auth=True) as peer:  # type: ignore[arg-type]
        config = channel(
            peer,
            starttls=mode == "starttls",
            ssl=mode == "implicit",
            ca_file=str(other_certificate.cert_file),
        )
        error = refusal(make_adapter(config, {"username": USERNAME, "password": PASSWORD}))

        assert (error.code, error.transient) == ("tls", False)
        assert "not trusted" in error.message and "ca_file" in error.message
        assert peer.received == [] and peer.auth_failures == 0


def test_missing_ca_file_is_a_permanent_tls_error(
    smtp_starttls_server: SmtpPeer, make_adapter: Any
) -> None:
    config = channel(smtp_starttls_server, starttls=True, ca_file="certs/absent.pem")

    error = refusal(make_adapter(config))

    assert (error.code, error.transient) == ("tls", False)
    assert "absent.pem does not exist" in error.message


def test_server_without_starttls_is_refused_rather_than_sent_in_clear(
    smtp_server: SmtpPeer, make_adapter: Any
) -> None:
    error = refusal(make_adapter(channel(smtp_server, starttls=True)))

    assert (error.code, error.transient) == ("tls", False)
    assert "does not offer STARTTLS" in error.message
    assert smtp_server.received == []


def test_wrong_password_is_permanent_and_never_quoted(
    smtp_starttls_server: SmtpPeer, smtp_certificate: Certificate, make_adapter: Any
) -> None:
    config = channel(smtp_starttls_server, starttls=True, ca_file=str(smtp_certificate.cert_file))
    wrong = "not-the-Pa55word"

    error = refusal(make_adapter(config, {"username": USERNAME, "password": wrong}))

    assert (error.code, error.transient, error.channel_fault) == ("auth", False, True)
    assert "refused the credentials" in error.message and "535" in error.message
    assert wrong not in error.message and wrong not in str(error)
    assert smtp_starttls_server.auth_failures >= 1  # smtplib tries each mechanism offered
    assert smtp_starttls_server.received == []


def test_a_server_echoing_the_password_does_not_get_it_into_the_error(
    smtp_certificate: Certificate, make_adapter: Any
) -> None:
    echo = "535 5.7.8 Bad credentials {login} / {password}"
    with SmtpPeer(
        tls="starttls", certificate=smtp_certificate, require_auth=True, auth_failure_reply=echo
    ) as peer:
        config = channel(peer, starttls=True, ca_file=str(smtp_certificate.cert_file))
        wrong = "not-the-Pa55word"

        error = refusal(make_adapter(config, {"username": USERNAME, "password": wrong}))

        assert error.code == "auth"
        assert f"Bad credentials {USERNAME} / ***" in error.message
        assert wrong not in error.message


def test_without_credentials_no_login_is_attempted(
    smtp_starttls_server: SmtpPeer, smtp_certificate: Certificate, make_adapter: Any
) -> None:
    config = channel(smtp_starttls_server, starttls=True, ca_file=str(smtp_certificate.cert_file))

    error = refusal(make_adapter(config))

    # This server wants a login before MAIL: the sender is refused, nothing was tried.
    assert (error.code, error.transient) == ("530", False)
    assert smtp_starttls_server.auth_failures == 0
