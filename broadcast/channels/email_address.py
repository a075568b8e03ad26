"""Email addresses as people write them in channels.yaml and as a message's headers carry them.

``split_address`` reads ``Urgence: Énergie Nord <alertes@example.com>`` as a person means it
(channels.yaml's check and the adapter agree on it); the others build the headers' addresses,
refusing what would let a header value start another header.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from broadcast.channels.base import DeliveryError, Target
from broadcast.input.recipients import unsafe_characters

if TYPE_CHECKING:
    from email.headerregistry import Address

_NAMED_ADDRESS = re.compile(r"^(?P<name>.*?)\s*<(?P<address>[^<>]*)>$", re.DOTALL)
_ADDR_SPEC = re.compile(r'[^\s@<>()\[\],;:"\\]+@[^\s@<>()\[\],;:"\\]+')


def split_address(value: str) -> tuple[str, str]:
    """``Urgence: Énergie Nord <alertes@example.com>`` → display name and address.

    Read the way a person writes it, not as RFC 5322 would: there, ``Urgence:`` starts a group
    and the mail would leave without it. The display name is quoted when the header is built.
    ``ValueError`` says what is wrong.
    """

    from broadcast.input.recipients import unsafe_characters

    if unsafe := unsafe_characters(value):
        raise ValueError(
            f"{value!r} is not one email address: it contains a line break or another control "
            f"character ({', '.join(unsafe)})"
        )
    text = value.strip()
    match = _NAMED_ADDRESS.match(text)
    name, address = (match["name"].strip(), match["address"].strip()) if match else ("", text)
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if not _ADDR_SPEC.fullmatch(address) or "<" in name or ">" in name:
        raise ValueError(
            f"'{value}' is not one email address; write it like "
            '"Service client <alertes@example.com>"'
        )
    return name, address


def refuse_control_characters(what: str, value: str, quote: bool = True) -> None:
    # A CR or LF in a header value would let the text start a header of its own (Bcc: ...);
    # so would the other characters some mail software takes for a line break (VT, FF, FS,
    # U+2028...).
    unsafe = unsafe_characters(value)
    if unsafe:
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise DeliveryError(
            "header",
            f"the {what} {f'({shown!r}) ' if quote else ''}contains a line break or another "
            f"control character ({', '.join(unsafe)}); a header value is one plain line",
            transient=False,
        )


def header_address(what: str, value: str) -> Address:
    """The channel's ``from`` or ``reply_to``, its display name kept whole (``Urgence: ...``).

    The email package would read ``Urgence: Énergie Nord <...>`` as an RFC 5322 group named
    ``Urgence`` and drop it; split by hand, the name is quoted when the header is written.
    """
    from email.headerregistry import Address

    try:
        name, address = split_address(value)
    except ValueError as exc:
        raise DeliveryError("header", f"the channel's {what}: {exc}", transient=False) from None
    local, _, domain = address.rpartition("@")
    try:
        return Address(name, local, ascii_domain(what, domain))
    except ValueError as exc:
        raise DeliveryError(
            "header", f"the channel's {what} ({value!r}) is not an address ({exc})", transient=False
        ) from None


def recipient_address(target: Target) -> Address:
    from email.headerregistry import Address

    local, at, domain = target.address.rpartition("@")
    if not at or not local or not domain:
        raise DeliveryError("address", "the recipient is not an email address", transient=False)
    try:
        return Address(target.name, local, ascii_domain("recipient", domain))
    except ValueError as exc:
        raise DeliveryError(
            "address", f"the recipient is not an email address ({exc})", transient=False
        ) from None


def ascii_domain(what: str, domain: str) -> str:
    """``électricité.fr`` → ``xn--lectricit-93aj.fr``: DNS and most servers want the A-label."""
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise DeliveryError(
            "address", f"the {what} domain {domain!r} is not a valid domain name", transient=False
        ) from None
