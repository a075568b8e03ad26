"""A real SMTP server on 127.0.0.1 for email delivery tests and benchmarks.

:class:`SmtpPeer` runs aiosmtpd in a background thread and records every message it accepts
(envelope, raw bytes, parsed message, which connection carried it). It can speak plain SMTP,
STARTTLS or implicit TLS with a throwaway self-signed certificate (:func:`make_certificate`,
made with the ``openssl`` command so the tests need no extra package), require AUTH LOGIN/PLAIN
with one fixed user, refuse chosen recipients or messages with scripted replies, and hang up
after a number of messages per connection, the way a server with an idle timeout or a
per-connection limit does.

Test modules import the fixtures they use (nothing here is auto-registered); each fixture
function is ``<name>_fixture`` so that importing it does not clash with the parameter::

    from tests.smtp_peer import smtp_server_fixture  # noqa: F401 - provides smtp_server
"""

from __future__ import annotations

import email
import email.policy
import logging
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.conftest import missing

LOOPBACK_HOST = "127.0.0.1"
USERNAME = "alertes@example.com"
PASSWORD = "s3cret-pa55"

TlsMode = Literal["none", "starttls", "implicit"]


class _QuietLoginData(logging.Filter):
    """aiosmtpd logs a deprecation of its own attribute, which it sets itself, on every AUTH."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_QuietLoginData())


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost: the server's and the client's CA."""

    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_certificate(folder: Path, name: str = "server") -> Certificate:
    """Write ``name.pem`` and ``name.key`` in ``folder`` with the ``openssl`` command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        missing("openssl", "the TLS tests need the openssl command: apt-get install openssl")
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(
        [
            openssl, "req", "-x509", "-nodes", "-days", "2",
            # An EC key takes milliseconds where RSA takes up to a second.
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            # Python 3.13's strict verification wants a CA certificate to say what it may sign.
            "-addext", "keyUsage=critical,digitalSignature,keyCertSign",
            "-keyout", str(key_file), "-out", str(cert_file),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return Certificate(cert_file=cert_file, key_file=key_file)


@dataclass(frozen=True)
class Received:
    """One message the peer accepted."""

    mail_from: str
    recipients: tuple[str, ...]
    mail_options: tuple[str, ...]  # MAIL FROM parameters, e.g. ("SMTPUTF8",)
    raw: bytes
    message: EmailMessage  # raw, parsed with the email package's default policy
    connection: int  # 1 for the first client connection, 2 for the next, ...
    login: str | None  # the authenticated user, if any
    tls: bool  # whether the message travelled encrypted


@dataclass
class _Script:
    """A reply to give instead of accepting; ``times`` None means every time."""

    reply: str
    times: int | None

    def take(self) -> str | None:
        if self.times == 0:
            return None
        if self.times is not None:
            self.times -= 1
        return self.reply


class _PeerSMTP(SMTP):
    """aiosmtpd's protocol, one instance per connection, with the peer's per-connection counts."""

    connection: int | None = None
    messages: int = 0


class _PeerController(Controller):
    def factory(self) -> SMTP:
        return _PeerSMTP(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        # Port 0 means "any free port": learn the real one before the readiness probe uses it.
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpPeer:
    """A running SMTP server recording what it receives; use as a context manager.

    ``tls``: "none", "starttls" (offered, and required when ``require_auth``) or "implicit".
    ``require_auth``: AUTH LOGIN/PLAIN with :data:`USERNAME`/:data:`PASSWORD` before MAIL.
    ``drop_after``: close each connection, without a word, after it has carried that many
    messages (the reply to the last one is sent first).
    ``smtputf8``: offer the SMTPUTF8 extension (RFC 6531).
    ``auth_failure_reply``: the reply to a failed AUTH; ``{login}`` and ``{password}`` in it
    are replaced by what the client sent, to play a server that echoes secrets.
    ``record``: keep every message in :attr:`received` (benchmarks only count, in
    :attr:`accepted`).
    """

    def __init__(
        self,
        *,
        tls: TlsMode = "none",
        certificate: Certificate | None = None,
        require_auth: bool = False,
        username: str = USERNAME,
        password: str = PASSWORD,
        drop_after: int | None = None,
        smtputf8: bool = True,
        auth_failure_reply: str = "535 5.7.8 Authentication credentials invalid",
        record: bool = True,
    ) -> None:
        if tls != "none" and certificate is None:
            raise ValueError(f"tls={tls!r} needs a certificate (see make_certificate)")
        self.tls = tls
        self.certificate = certificate
        self.require_auth = require_auth
        self.username = username
        self.password = password
        self.drop_after = drop_after
        self._lost_answers = 0
        self.auth_failure_reply = auth_failure_reply
        self.record = record
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.accepted = 0
        self.connections = 0  # client connections that said EHLO or HELO
        self.auth_failures = 0
        self.quits = 0  # connections the client ended politely
        self._recipient_scripts: dict[str, _Script] = {}
        self._data_scripts: list[_Script] = []
        self._mail_scripts: list[_Script] = []
        context = certificate.server_context() if certificate else None
        smtp_options: dict[str, Any] = {
            "server_hostname": "localhost",  # else aiosmtpd asks DNS for the FQDN per connection
            "enable_SMTPUTF8": smtputf8,
            "authenticator": self._authenticate,
            # aiosmtpd only counts STARTTLS as encryption: under implicit TLS its own AUTH
            # checks would refuse everyone, so handle_MAIL enforces require_auth instead.
            "auth_require_tls": tls == "starttls",
        }
        if tls == "starttls":
            smtp_options |= {"tls_context": context, "require_starttls": require_auth}
        self._controller = _PeerController(
            self,
            hostname=LOOPBACK_HOST,
            port=0,
            ssl_context=context if tls == "implicit" else None,
            **smtp_options,
        )

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return LOOPBACK_HOST

    @property
    def port(self) -> int:
        return self._controller.port

    def start(self) -> Self:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- scripting ---------------------------------------------------------------------------

    def refuse_recipient(self, address: str, reply: str, *, times: int | None = None) -> None:
        """Answer RCPT TO for ``address`` with ``reply`` (``"550 5.1.1 No such user"``)."""
        with self.lock:
            self._recipient_scripts[address.lower()] = _Script(reply, times)

    def refuse_mail(self, reply: str, *, times: int | None = 1) -> None:
        """Answer the next MAIL FROM (whatever the connection) with ``reply``."""
        with self.lock:
            self._mail_scripts.append(_Script(reply, times))

    def refuse_data(self, reply: str, *, times: int | None = 1) -> None:
        """Answer the end of the next message's data with ``reply`` instead of accepting it."""
        with self.lock:
            self._data_scripts.append(_Script(reply, times))

    def lose_answer_after_data(self, times: int = 1) -> None:
        """Take the next ``times`` messages, then cut the connection before replying: the
        client cannot tell whether they were accepted."""
        with self.lock:
            self._lost_answers += times

    def messages_to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address.lower() in map(str.lower, r.recipients)]

    # -- aiosmtpd handler hooks ---------------------------------------------------------------

    async def handle_EHLO(
        self,
        server: _PeerSMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        self._count_connection(server)
        session.host_name = hostname
        return responses

    async def handle_HELO(
        self, server: _PeerSMTP, session: Session, envelope: Envelope, hostname: str
    ) -> str:
        self._count_connection(server)
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_QUIT(self, server: _PeerSMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            self.quits += 1
        return "221 Bye"

    async def handle_MAIL(
        self,
        server: _PeerSMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if self.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        with self.lock:
            reply = _first_reply(self._mail_scripts)
        if reply is not None:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: _PeerSMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        with self.lock:
            script = self._recipient_scripts.get(address.lower())
            reply = script.take() if script else None
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: _PeerSMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            reply = _first_reply(self._data_scripts)
        if reply is not None:
            return reply
        raw = envelope.original_content or b""
        received = self._received(server, session, envelope, raw) if self.record else None
        with self.lock:
            if received is not None:
                self.received.append(received)
            self.accepted += 1
            server.messages += 1
            hang_up = self.drop_after is not None and server.messages >= self.drop_after
            lose = self._lost_answers > 0
            self._lost_answers -= lose
        if lose and server.transport is not None:
            server.transport.abort()  # taken, and no reply goes out
            return "250 OK queued"
        if hang_up and server.transport is not None:
            # Runs after the 250 below is written: the client learns of the hang-up next time.
            server.loop.call_soon(server.transport.close)
        return "250 OK queued"

    # -- internals ---------------------------------------------------------------------------

    def _received(
        self, server: _PeerSMTP, session: Session, envelope: Envelope, raw: bytes
    ) -> Received:
        smtputf8 = any(option.upper() == "SMTPUTF8" for option in envelope.mail_options)
        if smtputf8:
            # RFC 6532 headers are raw UTF-8, which the bytes parser would leave undecoded.
            parsed = email.message_from_string(raw.decode("utf-8"), policy=email.policy.default)
        else:
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        auth = session.auth_data
        return Received(
            mail_from=envelope.mail_from or "",
            recipients=tuple(envelope.rcpt_tos),
            mail_options=tuple(envelope.mail_options),
            raw=raw,
            message=parsed,
            connection=server.connection or 0,
            login=auth.login.decode() if isinstance(auth, LoginPassword) else None,
            tls=session.ssl is not None or self.tls == "implicit",
        )

    def _count_connection(self, server: _PeerSMTP) -> None:
        with self.lock:
            if server.connection is None:  # EHLO comes again after STARTTLS
                self.connections += 1
                server.connection = self.connections

    def _authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        if (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        ):
            return AuthResult(success=True, auth_data=auth_data)
        with self.lock:
            self.auth_failures += 1
        sent = auth_data if isinstance(auth_data, LoginPassword) else None
        reply = self.auth_failure_reply.format(
            login=sent.login.decode(errors="replace") if sent else "",
            password=sent.password.decode(errors="replace") if sent else "",
        )
        return AuthResult(success=False, handled=False, message=reply)


def _first_reply(scripts: list[_Script]) -> str | None:
    for script in scripts:
        reply = script.take()
        if reply is not None:
            return reply
    return None


# -- pytest fixtures (function-scoped; the certificates are made once per session) -----------


@pytest.fixture(scope="session", name="smtp_certificate")
def smtp_certificate_fixture(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """The certificate the TLS peers present; give its ``cert_file`` to clients as CA file."""
    return make_certificate(tmp_path_factory.mktemp("smtp-tls"), "server")


@pytest.fixture(scope="session", name="other_certificate")
def other_certificate_fixture(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A certificate no peer uses: a CA file that does not vouch for the peers."""
    return make_certificate(tmp_path_factory.mktemp("smtp-other-ca"), "other")


@pytest.fixture(name="smtp_server")
def smtp_server_fixture() -> Iterator[SmtpPeer]:
    """Plain SMTP, no authentication."""
    with SmtpPeer() as peer:
        yield peer


@pytest.fixture(name="smtp_starttls_server")
def smtp_starttls_server_fixture(smtp_certificate: Certificate) -> Iterator[SmtpPeer]:
    """STARTTLS required, then AUTH with USERNAME/PASSWORD required."""
    with SmtpPeer(tls="starttls", certificate=smtp_certificate, require_auth=True) as peer:
        yield peer


@pytest.fixture(name="smtp_tls_server")
def smtp_tls_server_fixture(smtp_certificate: Certificate) -> Iterator[SmtpPeer]:
    """Implicit TLS from the first byte (port 465 style), AUTH required."""
    with SmtpPeer(tls="implicit", certificate=smtp_certificate, require_auth=True) as peer:
        yield peer
