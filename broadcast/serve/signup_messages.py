"""What the sign-up pages send a person, and through what: a code by SMS through the SMS
channel's Twilio sender, a link by email through the email channel's SMTP server, both read from
channels.yaml (the first channel of that type), their credentials from the environment.

These are not an incident's messages: no approval, no ledger row of a delivery. They are sent
after the page has answered (a background task), so a page takes the same time whether the
address was known or not, and a provider's fault never shows on the page: it is logged.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from broadcast.channels import adapter_class
from broadcast.channels.base import DeliveryContext, Outgoing, Target

if TYPE_CHECKING:
    from broadcast.input.config import Config

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "code_sms": "{org} : votre code d'inscription aux alertes est {code}. Il expire dans "
        "15 minutes.",
        "known_sms": "{org} : ce numéro est déjà inscrit aux alertes. Pour arrêter, envoyez STOP.",
        "link_subject": "{org} : confirmez votre inscription aux alertes",
        "link_text": "Bonjour,\n\nPour recevoir les alertes de {org}, confirmez votre inscription"
        " (le lien expire dans 15 minutes) :\n\n{link}\n\nSi vous n'avez rien demandé, "
        "ignorez ce message : rien ne vous sera envoyé.\n",
        "known_subject": "{org} : vous êtes déjà inscrit aux alertes",
        "known_text": "Bonjour,\n\nCette adresse est déjà inscrite aux alertes de {org}. Voir "
        "ou effacer ce que nous gardons sur vous :\n\n{link}\n",
        "me_subject": "{org} : ce que nous gardons sur vous",
        "me_text": "Bonjour,\n\nVoir ou effacer votre inscription aux alertes de {org} :\n\n"
        "{link}\n",
        "me_sms": "{org} : voir ou effacer votre inscription : {link}",
    },
    "en": {
        "code_sms": "{org}: your alerts sign-up code is {code}. It expires in 15 minutes.",
        "known_sms": "{org}: this number is already signed up for alerts. To stop, send STOP.",
        "link_subject": "{org}: confirm your sign-up for alerts",
        "link_text": "Hello,\n\nTo receive {org}'s alerts, confirm your sign-up (the link "
        "expires in 15 minutes):\n\n{link}\n\nIf you asked for nothing, ignore this message: "
        "nothing will be sent to you.\n",
        "known_subject": "{org}: you are already signed up for alerts",
        "known_text": "Hello,\n\nThis address is already signed up for {org}'s alerts. See or "
        "erase what we hold about you:\n\n{link}\n",
        "me_subject": "{org}: what we hold about you",
        "me_text": "Hello,\n\nSee or erase your sign-up for {org}'s alerts:\n\n{link}\n",
        "me_sms": "{org}: see or erase your sign-up: {link}",
    },
}


def words(language: str, name: str, **values: str) -> str:
    table = WORDS.get(language, WORDS["en"])
    return table[name].format(**values)


def channel_of(config: Config, kind: str) -> str | None:
    """The first channel of type ``sms`` or ``email`` in channels.yaml."""
    return next((name for name, c in config.channels.items() if c.type == kind), None)


def _send(config: Config, kind: str, address: str, parts: dict[str, str]) -> str:
    from broadcast.input.config import resolve_credentials

    name = channel_of(config, kind)
    if name is None:
        raise LookupError(f"no {kind} channel in channels.yaml")
    credentials, missing = resolve_credentials(config, name, os.environ)
    if missing:
        raise LookupError(f"the {kind} channel's credentials are not set")
    context = DeliveryContext(config_folder=config.folder, now=datetime.now(UTC))
    adapter = adapter_class(config.channels[name].type)(
        name, config.channels[name], credentials, context
    )
    try:
        return adapter.deliver(Outgoing(channel=name, parts=parts), Target(address=address))
    finally:
        close = getattr(adapter, "close", None)
        if close is not None:
            close()


def send_sms(config: Config, number: str, text: str) -> str:
    return _send(config, "sms", number, {"text": text})


def send_email(config: Config, address: str, subject: str, text: str) -> str:
    from html import escape

    html = "<p>" + "</p><p>".join(escape(p).replace("\n", "<br>") for p in text.split("\n\n"))
    return _send(config, "email", address, {"subject": subject, "text": text, "html": html})
