"""The recipient's name in an email's greeting ("Bonjour Camille,"), filled in per recipient.

A message is rendered, previewed, approved and recorded once for everyone; only the name in
its greeting differs from one recipient to the next. The templates write ``recipient_name``
where the name goes (``Bonjour{{ recipient_name }},``); for an email it renders as
``NAME_SLOT``, which the email channel replaces for each recipient: `` Camille`` (the first
word of the recipients file's ``name`` column) or nothing when there is no name.

Standard library only: the email channel imports it.
"""

from __future__ import annotations

import html

# Word joiners around a visible placeholder: what a preview shows, and nothing an incident's
# text or a template would write by accident.
NAME_SLOT = "\u2060 \u27e8name\u27e9\u2060"


def greeting_name(name: str) -> str:
    """The name a greeting uses: the first word of the ``name`` column ("Camille Martin")."""
    words = name.split()
    return words[0] if words else ""


def with_recipient_name(text: str, name: str, markup: bool = False) -> str:
    """``text`` with its name slot filled: `` Camille``, or nothing without a name."""
    if NAME_SLOT not in text:
        return text
    first = greeting_name(name)
    filled = f" {html.escape(first) if markup else first}" if first else ""
    return text.replace(NAME_SLOT, filled)
