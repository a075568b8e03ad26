"""A sign-up by SMS on ``/twilio/sms``: "INSCRIRE 59000" or "JOIN 59000". The message itself
proves the number (Twilio signed that it came from it), so the sign-up is confirmed at once,
with the message's own words as the consent given; the answer, one TwiML ``<Message>`` in the
keyword's language, says how to stop. A keyword without a postcode is answered with how to
write one, and records nothing. STOP from the number ends its sign-up (``end_by_stop``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from broadcast.ledger.sqlite import Ledger
    from broadcast.serve.webhook import Served

ANSWERS = {
    "fr": {
        "done": "{org} : inscription confirmée pour le {postcode}. Vous recevrez nos alertes à "
        "ce numéro. Pour arrêter, envoyez STOP.",
        "how": "{org} : pour recevoir nos alertes, envoyez INSCRIRE suivi de votre code postal, "
        "par exemple INSCRIRE 59000. Pour arrêter, envoyez STOP.",
        "consent": "Inscription par SMS au {number} de {org} : « {text} »",
    },
    "en": {
        "done": "{org}: signed up for {postcode}. You will get our alerts at this number. To "
        "stop, send STOP.",
        "how": "{org}: to get our alerts, send JOIN and your postcode, like JOIN 59000. To stop, "
        "send STOP.",
        "consent": 'Sign-up by SMS to {org}\'s number {number}: "{text}"',
    },
}


def sign_up_by_sms(
    ledger: Ledger, served: Served, number: str, to: str, text: str, language: str, postcode: str
) -> str:
    """Record the sign-up (when a postcode is given) and the answer to send back."""
    words = ANSWERS.get(language, ANSWERS["en"])
    org = served.config.organisation
    if not postcode:
        return words["how"].format(org=org)
    consent = words["consent"].format(org=org, number=to, text=text.strip())
    ledger.subscribe_confirmed("phone", number, language, postcode, consent, served.clock(), "sms")
    # A consent given now supersedes a STOP sent before: the sends skip the number no more.
    ledger.opt_in(number)
    return words["done"].format(org=org, postcode=postcode)


def end_by_stop(ledger: Ledger, number: str) -> bool:
    """STOP: the opt-out every SMS send honours, and the number's sign-up erased."""
    changed = ledger.opt_out(number)
    ledger.forget_address(number)
    return changed
