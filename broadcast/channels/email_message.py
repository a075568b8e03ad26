"""The bytes of one email: its headers and its MIME body, ready for SMTP's DATA.

The text and HTML parts go out exactly as the preview showed them, with the recipient's name
in the greeting; ``email``'s adapter builds them once per message and name, and adds To and
Message-ID per recipient. The email package is imported when a message is built, not when the
channel is declared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from broadcast.channels.base import DeliveryError
from broadcast.channels.email_address import header_address, refuse_control_characters
from broadcast.content.greeting import with_recipient_name

if TYPE_CHECKING:
    from datetime import datetime
    from email.headerregistry import Address


@dataclass(frozen=True)
class Envelope:
    """One message ready for the wire: SMTP envelope, bytes and the Message-ID to report."""

    sender: str
    recipient: str
    data: bytes
    message_id: str
    smtputf8: bool  # a non-ASCII local part: only a server offering SMTPUTF8 can take it


def mime_body(
    parts: Mapping[str, str], name: str, sender: Address, reply_to: str | None, now: datetime
) -> bytes:
    """The headers (Subject, From, Reply-To, Date) and the MIME body of a message's text and
    HTML parts, with ``name`` in the greeting; raise ``DeliveryError`` for an unsafe header."""
    from email.message import EmailMessage
    from email.policy import SMTP, SMTPUTF8
    from email.utils import format_datetime

    subject = parts["subject"]
    refuse_control_characters("subject", subject)
    email = EmailMessage(policy=SMTP if sender.username.isascii() else SMTPUTF8)
    email["Subject"] = subject
    email["From"] = sender
    if reply_to:
        email["Reply-To"] = header_address("reply_to", reply_to)
    email["Date"] = format_datetime(now)
    # RFC 3834: tells vacation responders not to answer, so thousands of "I am away"
    # replies do not bury the real ones in the Reply-To mailbox during a crisis. The
    # message is machine-generated from a template, which is what "auto-generated" says.
    email["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps the body 7-bit: no dependence on the server's 8BITMIME, and
    # long HTML lines are wrapped losslessly.
    text = with_recipient_name(parts["text"], name)
    email.set_content(text, cte="quoted-printable")
    html = with_recipient_name(parts["html"], name, markup=True)
    email.add_alternative(html, subtype="html", cte="quoted-printable")
    for part in email.iter_parts():
        del part["MIME-Version"]  # add_alternative copies it into the part; it belongs on top
    return email.as_bytes()


def list_unsubscribe_headers(value: str | None) -> bytes:
    """List-Unsubscribe (RFC 2369) and, for an https link, one-click (RFC 8058).

    Written by hand: the email package would turn a URL longer than a line into
    RFC 2047 encoded-words, which no mailbox provider decodes in this header.
    """
    if not value:
        return b""
    uris = [uri.strip().strip("<>").strip() for uri in value.split(",")]
    uris = [uri for uri in uris if uri]
    for uri in uris:
        if not uri.isascii() or any(c.isspace() or c in "<>" for c in uri):
            raise DeliveryError(
                "header",
                f"list_unsubscribe: {uri!r} is not a URI (ASCII, no spaces); "
                "write https://... or mailto:..., several separated by commas",
                transient=False,
            )
    lines = "List-Unsubscribe: " + ",\r\n ".join(f"<{uri}>" for uri in uris) + "\r\n"
    if any(uri.lower().startswith("https://") for uri in uris):
        lines += "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    return lines.encode("ascii")
