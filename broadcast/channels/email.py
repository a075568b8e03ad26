"""Email: one rendered message to one address over SMTP, on a connection kept open.

The adapter builds a multipart/alternative message (the text and HTML parts exactly as the
preview showed them) and hands it to the channel's SMTP server with MAIL, RCPT and DATA. Each
dispatch worker has its own adapter, hence its own connection: opened on the first delivery,
reused for the next ones, closed with QUIT by ``close``. A kept-open connection can die
quietly between two deliveries (server idle timeout, restart); when the server hangs up before
the message was handed over, the adapter redials once and sends it again.

Replies are classified for the dispatcher: 4xx replies and network trouble are transient,
5xx replies permanent with the SMTP code as the error code; TLS and credential problems are
permanent, since retrying cannot fix a configuration. Every reply is a clear answer (SMTP's
reply to the end of the data is the acceptance or the refusal); only a connection lost while
the server was taking the message, before it replied, is "maybe sent": SMTP has no lookup, so
the delivery is held as uncertain (re-sent only with ``--resend-uncertain``).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from broadcast.channels import register
from broadcast.channels.base import (
    Adapter,
    Answer,
    DeliveryContext,
    DeliveryError,
    Outgoing,
    Target,
)
from broadcast.channels.email_address import (
    header_address,
    recipient_address,
    refuse_control_characters,
    split_address,
)
from broadcast.channels.email_message import Envelope, list_unsubscribe_headers, mime_body
from broadcast.channels.model import ChannelConfig, Measuring, PreviewBlock
from broadcast.content.greeting import NAME_SLOT, greeting_name
from broadcast.input.recipients import unsafe_characters
from broadcast.input.schema import Field, field_validator, model_validator
from broadcast.problems import Problem

if TYPE_CHECKING:
    import smtplib
    import ssl
    from email.headerregistry import Address


@register
class EmailChannel(ChannelConfig):
    ADAPTER: ClassVar[str] = "EmailAdapter"
    DEFAULT_CONCURRENCY: ClassVar[int] = 4
    FALLBACK_TARGET: ClassVar[bool] = True
    AUDIENCE: ClassVar[str] = "fallback only"
    CREDENTIALS: ClassVar[tuple[str, ...]] = ("username", "password")
    ENV_ONLY: ClassVar[tuple[str, ...]] = ("password",)
    TEMPLATES: ClassVar[dict[str, str]] = {
        "subject": "email_subject.txt.j2",
        "text": "email.txt.j2",
        "html": "email.html.j2",
    }
    # The email has room for everything: each of its two forms carries every element.
    CARRIES: ClassVar[dict[str, tuple[str, ...]]] = {
        "text": ("what", "who", "do", "next"),
        "html": ("what", "who", "do", "next"),
    }
    DESTINATION: ClassVar[tuple[str, ...]] = ("recipients",)
    CONTACT: ClassVar[Literal["phone", "email"] | None] = "email"

    ADDRESSING: ClassVar[tuple[str, ...]] = ("from_", "reply_to", "list_unsubscribe")

    type: Literal["email"]
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool | None = None  # default: on unless ssl is
    ssl: bool = False
    from_: str = Field(alias="from")
    reply_to: str | None = None
    username: str | None = None
    password: str | None = None
    # None: the channel only serves as another channel's fallback (same CSV row's email).
    recipients: str | None = None
    list_unsubscribe: str | None = None
    # A CA bundle for an SMTP server whose certificate a private authority signed.
    ca_file: str | None = None
    timeout: float = Field(default=30.0, gt=0, le=600)

    @field_validator("from_", "reply_to")
    @classmethod
    def _one_address(cls, value: str | None) -> str | None:
        if value is not None:
            split_address(value)
        return value

    @field_validator("list_unsubscribe")
    @classmethod
    def _unsubscribe_uris(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for uri in (part.strip().strip("<>") for part in value.split(",")):
            if not re.match(r"^(https://\S+|mailto:\S+@\S+)$", uri):
                raise ValueError(
                    f"'{uri}' is not an https:// or mailto: address for List-Unsubscribe"
                )
        return value

    @model_validator(mode="after")
    def _one_tls_mode(self) -> EmailChannel:
        if self.ssl and self.starttls:  # both said explicitly
            raise ValueError(
                "choose one of ssl: true (implicit TLS, usually port 465) and starttls: true "
                "(usually port 587); set the other to false"
            )
        return self

    @property
    def use_starttls(self) -> bool:
        return self.starttls if self.starttls is not None else not self.ssl

    def render_context(self, config: Any) -> dict[str, Any]:
        return {
            "recipient_name": NAME_SLOT,
            "contact": config.contact,
            "unsubscribe_url": unsubscribe_url(self.list_unsubscribe),
        }

    def measure(self, parts: dict[str, str], at: Measuring, problems: list[Any]) -> dict[str, Any]:
        if "subject" not in parts:
            return {}
        where = {"file": at.config.path, "channel": at.name}
        which = f" ({at.label})" if at.label else ""
        subject = parts["subject"]
        if unsafe := unsafe_characters(subject):
            problems.append(
                Problem(
                    f"the email subject{which} has a line break or another control character "
                    f"({', '.join(unsafe)}); a subject is one line (check the subject template "
                    "and the title)",
                    line=at.config.line_of("channels", at.name),
                    field="subject",
                    **where,
                )
            )
        if not subject.strip():
            problems.append(Problem(f"the email subject{which} is empty", field="subject", **where))
        return {}

    @classmethod
    def summary(cls, parts: dict[str, str], measures: dict[str, Any], languages: int) -> str:
        return parts.get("subject", "")

    @classmethod
    def preview_blocks(cls, parts: dict[str, str], measures: dict[str, Any]) -> list[PreviewBlock]:
        blocks = []
        if "subject" in parts:
            blocks.append(PreviewBlock("line", parts["subject"], "Subject: "))
        if "text" in parts:
            blocks.append(PreviewBlock("box", parts["text"], "text part"))
        if "html" in parts:
            blocks.append(PreviewBlock("html", parts["html"], "HTML part"))
        return blocks


def unsubscribe_url(list_unsubscribe: str | None) -> str | None:
    """The address the email's footer shows: the https one of List-Unsubscribe, else mailto."""
    if not list_unsubscribe:
        return None
    uris = [part.strip().strip("<>") for part in list_unsubscribe.split(",")]
    return next((u for u in uris if u.startswith("https://")), uris[0])


Stage = Literal["MAIL", "RCPT", "DATA"]
_REFUSED_WHAT: dict[Stage, str] = {
    "MAIL": "the sender",
    "RCPT": "the recipient",
    "DATA": "the message",
}
# The server is closing the channel (RFC 5321 4.2.2): the connection cannot be reused.
SERVICE_CLOSING = 421


# Connection failures that are the channel's, not a recipient's (see ``DeliveryError``).
CHANNEL_FAULTS = frozenset({"auth", "tls"})


class _HungUp(DeliveryError):
    """The server hung up before the message was handed over, so sending again is safe."""

    def __init__(self, message: str, code: str = "disconnected") -> None:
        super().__init__(code, message, transient=True)


class EmailAdapter(Adapter):
    """Send each message through the channel's SMTP server (``host``, ``port``, TLS, login)."""

    recipient_kind = EmailChannel.CONTACT
    # One SMTP connection per worker: four keep most relays busy without tripping their
    # per-client connection limits.
    default_concurrency = EmailChannel.DEFAULT_CONCURRENCY
    default_rate = EmailChannel.DEFAULT_RATE

    config: EmailChannel

    def __init__(
        self,
        name: str,
        config: EmailChannel,
        credentials: Mapping[str, str],
        context: DeliveryContext,
        *,
        reuse_connection: bool = True,
    ) -> None:
        """``reuse_connection=False`` sends QUIT after every message (for benchmarks only)."""
        super().__init__(name, config, credentials, context)
        self.reuse_connection = reuse_connection
        self._smtp: smtplib.SMTP | None = None
        self._tls: ssl.SSLContext | None = None
        self._sender: Address | None = None
        self._list_headers: bytes | None = None
        # The MIME body of the message being sent, by greeting name: "Bonjour Camille," and
        # "Bonjour Karim," differ only there.
        self._common_for: tuple[Outgoing, dict[str, bytes]] | None = None
        self._secrets = _secret_forms(credentials.get("username"), credentials.get("password"))

    # -- the Adapter interface ------------------------------------------------------------------

    def deliver(self, message: Outgoing, target: Target) -> str:
        envelope = self.envelope(message, target)
        try:
            try:
                self._transfer(envelope)
            except _HungUp:
                # Nothing was handed over: one fresh connection settles a connection that died
                # while idle. If that one hangs up too, the dispatcher sees a transient error.
                self._transfer(envelope)
        finally:
            if not self.reuse_connection:
                self.close()
        return envelope.message_id

    def close(self) -> None:
        import smtplib

        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass  # the server already went away: nothing left to be polite to
        finally:
            smtp.close()

    # -- the message ------------------------------------------------------------------------

    def envelope(self, message: Outgoing, target: Target) -> Envelope:
        """Build the message for ``target``; raise ``DeliveryError`` for unsafe headers."""
        from email.policy import SMTP, SMTPUTF8
        from email.utils import make_msgid

        # The recipients file is cleaned as it is read; this guards any other way in. A
        # contact is personal data: the refusal does not quote it.
        refuse_control_characters("recipient name", target.name, quote=False)
        refuse_control_characters("recipient address", target.address, quote=False)
        sender = self._sender_address()
        recipient = recipient_address(target)
        smtputf8 = not (sender.username.isascii() and recipient.username.isascii())
        policy = SMTPUTF8 if smtputf8 else SMTP
        message_id = make_msgid(domain=sender.domain)
        to = policy.fold_binary("To", policy.header_store_parse("To", recipient)[1])
        common = self._common(message, greeting_name(target.name or ""))
        own = (
            self.context.unsubscribe_link(target.address) if self.context.unsubscribe_link else None
        )
        if own:
            # A subscriber's own one-click link instead of the channel's (RFC 8058).
            common = list_unsubscribe_headers(own) + common[len(self._list_unsubscribe_headers()) :]
        return Envelope(
            sender=sender.addr_spec,
            recipient=recipient.addr_spec,
            data=to + f"Message-ID: {message_id}\r\n".encode("ascii") + common,
            message_id=message_id,
            smtputf8=smtputf8,
        )

    def _common(self, message: Outgoing, name: str) -> bytes:
        """The headers and MIME body every recipient of ``message`` gets, built once.

        Building a MIME message with the email package costs about a millisecond, three
        times the SMTP exchange with a local relay; under the GIL it would cap all workers
        together. Only To, Message-ID and the name in the greeting differ from one recipient
        to the next.
        """
        if self._common_for is None or self._common_for[0] != message:
            self._common_for = (message, {})
        built = self._common_for[1]
        if name in built:
            return built[name]
        body = mime_body(
            message.parts, name, self._sender_address(), self.config.reply_to, self.context.now
        )
        common = self._list_unsubscribe_headers() + body
        if len(built) > 1000:  # a bound on memory: many distinct first names start over
            built.clear()
        built[name] = common
        return common

    def _sender_address(self) -> Address:
        if self._sender is None:
            self._sender = header_address("from", self.config.from_)
        return self._sender

    def _list_unsubscribe_headers(self) -> bytes:
        """The channel's List-Unsubscribe headers, worked out once."""
        if self._list_headers is None:
            self._list_headers = list_unsubscribe_headers(self.config.list_unsubscribe)
        return self._list_headers

    # -- the conversation ---------------------------------------------------------------------

    def _transfer(self, envelope: Envelope) -> None:

        import smtplib

        smtp = self._connection()
        stage: Stage = "MAIL"
        try:
            options: list[str] = []
            if envelope.smtputf8:
                if not smtp.has_extn("smtputf8"):
                    raise DeliveryError(
                        "smtputf8",
                        "the recipient has a non-ASCII local part and "
                        f"{self._server} does not offer SMTPUTF8",
                        transient=False,
                    )
                options.append("SMTPUTF8")
            code, reply = smtp.mail(envelope.sender, options)
            if code != 250:
                raise self._refused(smtp, stage, code, reply)
            stage = "RCPT"
            code, reply = smtp.rcpt(envelope.recipient)
            if code not in (250, 251):
                raise self._refused(smtp, stage, code, reply)
            stage = "DATA"
            code, reply = smtp.data(envelope.data)
            if code != 250:
                raise self._refused(smtp, stage, code, reply)
        except smtplib.SMTPDataError as exc:  # DATA itself answered with something else than 354
            raise self._refused(smtp, stage, exc.smtp_code, exc.smtp_error) from None
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            # smtplib turns every socket error and timeout into SMTPServerDisconnected.
            self._discard()
            reason = self._scrub(str(exc)) or "connection closed"
            if stage == "DATA":
                raise DeliveryError(
                    "disconnected",
                    f"{self._server} hung up while taking the message ({reason}); it may or "
                    "may not have accepted it",
                    transient=True,
                    answer=Answer.MAYBE_SENT,
                    answered=False,
                ) from None
            raise _HungUp(f"{self._server} hung up ({reason})") from None

    def _refused(self, smtp: smtplib.SMTP, stage: Stage, code: int, reply: bytes) -> DeliveryError:
        text = self._scrub(reply.decode("utf-8", "replace"))
        message = f"{self._server} refused {_REFUSED_WHAT[stage]}: {code} {text}"
        if code == SERVICE_CLOSING:
            self._discard()
            if stage != "DATA":
                return _HungUp(message, str(code))
        elif stage != "DATA":
            self._reset(smtp)
        return _classified(code, message)

    def _reset(self, smtp: smtplib.SMTP) -> None:
        """End a refused transaction so the connection can carry the next message."""
        import smtplib

        try:
            code, _ = smtp.rset()
        except (smtplib.SMTPException, OSError):
            code = 0
        if code != 250:
            self._discard()

    # -- the connection -----------------------------------------------------------------------

    @property
    def _server(self) -> str:
        return f"{self.config.host}:{self.config.port}"

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            self._smtp = self._connect()
        return self._smtp

    def _discard(self) -> None:
        """Drop the connection without QUIT: it is broken or the server is closing it."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def _connect(self) -> smtplib.SMTP:
        import smtplib

        config = self.config
        username = self.credentials.get("username")
        password = self.credentials.get("password")
        smtp: smtplib.SMTP | None = None
        step = "connect"
        try:
            if config.ssl:
                smtp = smtplib.SMTP_SSL(
                    config.host,
                    config.port,
                    local_hostname=_ehlo_name(),
                    timeout=config.timeout,
                    context=self._tls_context(),
                )
            else:
                smtp = smtplib.SMTP(
                    config.host, config.port, local_hostname=_ehlo_name(), timeout=config.timeout
                )
            step = "ehlo"
            smtp.ehlo_or_helo_if_needed()
            if not config.ssl and config.use_starttls:
                step = "starttls"
                smtp.starttls(context=self._tls_context())
                smtp.ehlo_or_helo_if_needed()  # RFC 3207: forget what was said in clear
            if username and password:
                step = "login"
                smtp.login(username, password)
        except Exception as exc:
            if smtp is not None:
                smtp.close()
            error = self._connect_error(step, exc)
            if error is None:
                raise  # not a network, TLS or protocol failure: a bug, keep the traceback
            if error.code in CHANNEL_FAULTS and not error.transient:
                # Refused credentials or TLS refuse every recipient alike: the channel's fault.
                error.channel_fault = True
            raise error from None
        return smtp

    def _connect_error(self, step: str, exc: Exception) -> DeliveryError | None:
        import smtplib
        import ssl

        server = self._server
        if isinstance(exc, DeliveryError):
            return exc
        if isinstance(exc, ssl.SSLCertVerificationError):
            return DeliveryError(
                "tls",
                f"the TLS certificate of {server} is not trusted ({exc.verify_message}); if a "
                "private authority signed it, set ca_file to that authority's certificate",
                transient=False,
            )
        if isinstance(exc, ssl.SSLError):
            mode = "implicit TLS" if self.config.ssl else "STARTTLS"
            return DeliveryError(
                "tls",
                f"TLS with {server} failed ({exc.reason or exc}); check that this port "
                f"speaks {mode}",
                transient=False,
            )
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            text = self._scrub(exc.smtp_error.decode("utf-8", "replace"))
            user = self.credentials.get("username")
            return DeliveryError(
                "auth",
                f"credentials refused (SMTP {exc.smtp_code}): {server} refused the credentials "
                f"of {user!r}: {text}",
                transient=400 <= exc.smtp_code < 500,  # 454: temporary authentication failure
                keep=[user] if user else [],
            )
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            reason = self._scrub(str(exc)) or "connection closed"
            return DeliveryError(
                "connection", f"{server} hung up during {step} ({reason})", transient=True
            )
        if isinstance(exc, smtplib.SMTPNotSupportedError) and step == "starttls":
            return DeliveryError(
                "tls",
                f"{server} does not offer STARTTLS; not sending in clear (set starttls: false "
                "only for a server reached over a trusted network)",
                transient=False,
            )
        if isinstance(exc, smtplib.SMTPResponseException):
            text = self._scrub(exc.smtp_error.decode("utf-8", "replace"))
            return _classified(exc.smtp_code, f"{server} refused {step}: {exc.smtp_code} {text}")
        if isinstance(exc, smtplib.SMTPException):
            # "SMTP AUTH extension not supported", "No suitable authentication method found".
            code = "auth" if step == "login" else "protocol"
            return DeliveryError(
                code, f"{step} with {server} failed: {self._scrub(str(exc))}", transient=False
            )
        if isinstance(exc, TimeoutError):
            return DeliveryError(
                "timeout",
                f"{server} did not answer within {self.config.timeout:g}s",
                transient=True,
            )
        if isinstance(exc, OSError):  # refused, unreachable, unknown host: all worth a retry
            reason = exc.strerror or str(exc) or type(exc).__name__
            return DeliveryError("connection", f"cannot reach {server}: {reason}", transient=True)
        return None

    def _tls_context(self) -> ssl.SSLContext:
        import ssl

        if self._tls is None:
            ca_file = self.config.ca_file
            cafile: Path | None = None
            if ca_file:
                cafile = Path(ca_file).expanduser()
                if not cafile.is_absolute():
                    cafile = self.context.config_folder / cafile
            try:
                self._tls = ssl.create_default_context(cafile=cafile)
            except FileNotFoundError:
                raise DeliveryError(
                    "tls", f"ca_file {cafile} does not exist", transient=False
                ) from None
            except ssl.SSLError as exc:
                raise DeliveryError(
                    "tls",
                    f"ca_file {cafile} holds no usable PEM certificate ({exc.reason or exc})",
                    transient=False,
                ) from None
        return self._tls

    def _scrub(self, text: str) -> str:
        """Server replies are quoted in errors; make sure none of them echoes the password."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _classified(code: int, message: str) -> DeliveryError:
    if 400 <= code < 500:
        return DeliveryError(str(code), message, transient=True)
    if 500 <= code < 600:
        return DeliveryError(str(code), message, transient=False)
    # smtplib reports -1 for a reply it could not parse: a confused server, try again later.
    return DeliveryError("protocol", message, transient=True)


def _secret_forms(username: str | None, password: str | None) -> tuple[str, ...]:
    """The password as AUTH LOGIN and AUTH PLAIN put it on the wire, and as is."""
    if not password:
        return ()
    forms = [password, base64.b64encode(password.encode()).decode()]
    if username:
        plain = f"\0{username}\0{password}".encode()
        forms.append(base64.b64encode(plain).decode())
    return tuple(forms)


@cache
def _ehlo_name() -> str:
    """What smtplib would say in EHLO, worked out once: it asks DNS for it on every connect."""
    import socket

    fqdn = socket.getfqdn()
    if "." in fqdn:
        return fqdn
    try:
        return f"[{socket.gethostbyname(socket.gethostname())}]"
    except OSError:
        return "[127.0.0.1]"
