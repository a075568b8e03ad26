"""Contacts as reports show them: enough to recognise one, not to harvest it.

``mask_address`` and ``mask_name`` for a recipient's own contact and name; ``mask_contacts``
for every email address and phone number inside a provider's free text, before it is kept or
shown anywhere (the ledger, the log, the terminal).
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def mask_address(address: str) -> str:
    """Enough of a contact to recognise it in a report, not to harvest it.

    ``c…@example.com`` for an address, ``…5678`` for a phone number; for a value that is
    neither, at most its first letter (and its domain, after an @).
    """
    if "@" in address:
        local, _, domain = address.rpartition("@")
        shown = domain if re.fullmatch(r"[\w.-]{0,100}", domain) else "…"
        return f"{local[:1]}…@{shown}"
    if re.fullmatch(r"\+[0-9]{8,15}", address):
        return f"…{address[-4:]}"
    return f"{address[:1]}…" if address[:1].isalpha() else "…"


# In a provider's free text: an email address, or what is left alone though made of digits (a
# date, a time, an IP address and port) tried first, or a run of digits with the separators
# phone numbers are written with in any country (spaces, dots, dashes, brackets).
# Bounded (an address's local part is at most 64 characters, a phone number a few dozen), so a
# long provider text costs linear time, not quadratic.
_EMAIL_IN_TEXT = r"(?<![\w.+%'-])[\w.+%'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}"


_NOT_A_PHONE = (
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}[./]\d{1,2}[./]\d{4}(?![.\d])"
    r"|\d{1,3}(?:\.\d{1,3}){3}(?![.\d])(?::\d+)?"
    r"|\d{1,2}:\d{2}(?::\d{2})?"
)


_PHONE_IN_TEXT = r"(?<![\w+])(?:\+|\(\+?)?\d[\d()\u00a0\u202f\t .-]{0,40}\d"


_CONTACT_IN_TEXT = re.compile(
    f"(?P<email>{_EMAIL_IN_TEXT})|(?P<keep>{_NOT_A_PHONE})|(?P<phone>{_PHONE_IN_TEXT})"
)


def mask_contacts(text: str, keep: Iterable[str] = ()) -> str:
    """``text`` (a provider's words) with every email address and phone number in it masked.

    Providers quote whom they refused, in any form: ``+33612345678``, ``06 12 34 56 78``,
    ``(555) 123-4567``, ``camille@example.com``, and not always the recipient's own. Whatever
    of a provider's text is kept or shown (the ledger, the log, the terminal) goes through here,
    so it never holds a contact in clear. A phone number is 8 to 15 digits (E.164's most); a run
    of 13 or more digits written without a separator or a ``+`` is left: that is an id.
    ``keep``: the organisation's own identities (an SMTP login, a sender number), which are
    not personal data and which the person fixing the channel needs to read.
    """
    kept = {k.lower() for k in keep} | {re.sub(r"\D", "", k) for k in keep if "@" not in k}
    kept.discard("")

    def masked(found: re.Match[str]) -> str:
        if found["email"]:
            email = found["email"]
            return email if email.lower() in kept else mask_address(email)
        run = found["phone"]
        if not run:
            return found[0]
        digits = re.sub(r"\D", "", run)
        if digits in kept:
            return run
        plain = run.isdigit() and not run.startswith("0")
        if not 8 <= len(digits) <= 15 or (plain and len(digits) > 12):
            return run
        return f"…{digits[-4:]}"

    return _CONTACT_IN_TEXT.sub(masked, text)


def mask_name(name: str) -> str:
    """``Camille Martin`` → ``C. M.``."""
    return " ".join(f"{word[0]}." for word in name.split() if word[0].isalnum())
