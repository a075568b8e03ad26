"""The sign-up pages' HTML, in French and English: plain forms, no script, no inline style, so
they work under ``Content-Security-Policy: default-src 'self'`` and in any browser."""

from __future__ import annotations

from html import escape

LANGUAGES = ("fr", "en")

TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Recevoir les alertes",
        "intro": "Inscrivez un numéro de téléphone mobile, une adresse email, ou les deux.",
        "phone": "Téléphone mobile",
        "email": "Adresse email",
        "language": "Langue des messages",
        "postcode": "Code postal",
        "consent": "J'accepte de recevoir les alertes de {org} à ces coordonnées, et que {org} "
        "garde mon numéro ou mon adresse, ma langue, mon code postal et ce consentement pour me "
        "les envoyer, jusqu'à ce que je me désinscrive.",
        "submit": "M'inscrire",
        "code_title": "Entrez le code reçu par SMS",
        "code_intro": "Si ce numéro peut recevoir nos alertes, un code à 6 chiffres vient de lui "
        "être envoyé. Il expire dans 15 minutes.",
        "email_sent": "Si cette adresse peut recevoir nos alertes, un lien de confirmation vient "
        "de lui être envoyé. Il expire dans 15 minutes.",
        "code": "Code",
        "confirm": "Confirmer",
        "confirm_title": "Confirmer l'inscription",
        "confirm_intro": "Appuyez sur le bouton pour confirmer votre inscription aux alertes.",
        "done_title": "Inscription confirmée",
        "done": "Vous recevrez les alertes de {org}. Pour arrêter : répondez STOP à un SMS, ou "
        "suivez le lien de désinscription présent dans chaque email.",
        "me_link": "Voir ou effacer ce que nous gardons sur vous",
        "wrong": "Ce code n'est pas le bon. Essais restants limités.",
        "dead": "Ce code ou ce lien n'est plus valable (expiré, ou trop d'essais). "
        "Inscrivez-vous à nouveau.",
        "missing": "Donnez un numéro de téléphone mobile ou une adresse email.",
        "bad_phone": "Ce numéro de téléphone n'est pas valide (écrivez-le avec l'indicatif, "
        "par ex. +33 6 12 34 56 78).",
        "bad_email": "Cette adresse email n'est pas valide.",
        "bad_postcode": "Donnez un code postal (par ex. 59000).",
        "no_consent": "Cochez la case d'accord pour vous inscrire.",
        "too_many": "Trop de tentatives. Réessayez dans 10 minutes.",
        "csrf": "Ce formulaire a expiré. Rechargez la page et recommencez.",
        "unsub_title": "Se désinscrire",
        "unsub_intro": "Appuyez sur le bouton pour ne plus recevoir les alertes à cette adresse.",
        "unsub_button": "Me désinscrire",
        "unsub_done": "C'est fait : vous ne recevrez plus les alertes à cette adresse, et nous "
        "n'en gardons plus rien.",
        "me_title": "Ce que nous gardons sur vous",
        "me_kind": "Type",
        "me_address": "Adresse",
        "me_language": "Langue",
        "me_postcode": "Code postal",
        "me_consent": "Consentement donné",
        "me_consent_at": "Le",
        "me_via": "Par",
        "me_confirmed": "Confirmé le",
        "me_pending": "en attente de confirmation",
        "me_delete": "Tout effacer et me désinscrire",
        "me_gone": "Rien n'est gardé pour ce lien (déjà effacé, ou lien non valable).",
        "me_erased": "Effacé : nous ne gardons plus rien de votre inscription.",
        "me_ask_title": "Recevoir le lien vers vos données",
        "me_ask_intro": "Donnez le numéro ou l'adresse inscrits : si nous le connaissons, un "
        "lien vous y sera envoyé.",
        "me_address_field": "Numéro de téléphone ou adresse email",
        "me_ask_button": "Envoyer le lien",
        "me_asked": "Si ce numéro ou cette adresse est inscrit, un lien vient de lui être envoyé.",
    },
    "en": {
        "title": "Get alerts",
        "intro": "Sign up a mobile phone number, an email address, or both.",
        "phone": "Mobile phone",
        "email": "Email address",
        "language": "Language of the messages",
        "postcode": "Postcode",
        "consent": "I agree to receive {org}'s alerts at these addresses, and that {org} keeps "
        "my number or address, my language, my postcode and this consent to send them to me, "
        "until I unsubscribe.",
        "submit": "Sign me up",
        "code_title": "Enter the code sent by SMS",
        "code_intro": "If this number can receive our alerts, a 6-digit code has just been sent "
        "to it. It expires in 15 minutes.",
        "email_sent": "If this address can receive our alerts, a confirmation link has just "
        "been sent to it. It expires in 15 minutes.",
        "code": "Code",
        "confirm": "Confirm",
        "confirm_title": "Confirm the sign-up",
        "confirm_intro": "Press the button to confirm your sign-up for alerts.",
        "done_title": "Sign-up confirmed",
        "done": "You will receive {org}'s alerts. To stop: reply STOP to an SMS, or follow the "
        "unsubscribe link in every email.",
        "me_link": "See or erase what we hold about you",
        "wrong": "This code is not the right one. Tries are limited.",
        "dead": "This code or link is no longer valid (expired, or too many tries). Sign up again.",
        "missing": "Give a mobile phone number or an email address.",
        "bad_phone": "This phone number is not valid (write it with its country code, like "
        "+44 7400 123456).",
        "bad_email": "This email address is not valid.",
        "bad_postcode": "Give a postcode (like 59000).",
        "no_consent": "Tick the consent box to sign up.",
        "too_many": "Too many attempts. Try again in 10 minutes.",
        "csrf": "This form has expired. Reload the page and start again.",
        "unsub_title": "Unsubscribe",
        "unsub_intro": "Press the button to stop receiving alerts at this address.",
        "unsub_button": "Unsubscribe me",
        "unsub_done": "Done: you will receive no more alerts at this address, and we keep "
        "nothing of it.",
        "me_title": "What we hold about you",
        "me_kind": "Kind",
        "me_address": "Address",
        "me_language": "Language",
        "me_postcode": "Postcode",
        "me_consent": "Consent given",
        "me_consent_at": "On",
        "me_via": "Through",
        "me_confirmed": "Confirmed on",
        "me_pending": "waiting for confirmation",
        "me_delete": "Erase everything and unsubscribe me",
        "me_gone": "Nothing is held for this link (erased already, or not a valid link).",
        "me_erased": "Erased: we hold nothing more of your sign-up.",
        "me_ask_title": "Get the link to your data",
        "me_ask_intro": "Give the number or address you signed up: if we know it, a link will "
        "be sent to it.",
        "me_address_field": "Phone number or email address",
        "me_ask_button": "Send the link",
        "me_asked": "If this number or address is signed up, a link has just been sent to it.",
    },
}


def t(language: str, key: str, **values: str) -> str:
    return TEXT.get(language, TEXT["en"])[key].format(**values)


def page(language: str, title: str, body: str) -> str:
    """A whole page: ``body`` is HTML already escaped by the caller."""
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n</head>\n<body>\n<main>\n<h1>{escape(title)}</h1>\n"
        f"{body}\n</main>\n</body>\n</html>\n"
    )


def notice(text: str, role: str = "status") -> str:
    return f'<p role="{role}">{escape(text)}</p>'


def subscribe_form(
    language: str, org: str, csrf: str, values: dict[str, str], errors: list[str]
) -> str:
    said = "".join(notice(e, "alert") for e in errors)
    options = "".join(
        f'<option value="{code}"{" selected" if values.get("language", language) == code else ""}>'
        f"{name}</option>"
        for code, name in (("fr", "Français"), ("en", "English"))
    )
    return (
        f"{said}<p>{escape(t(language, 'intro'))}</p>\n"
        f'<form method="post" action="/subscribe?lang={language}">\n'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">\n'
        f'<p><label for="phone">{escape(t(language, "phone"))}</label><br>'
        f'<input id="phone" name="phone" type="tel" autocomplete="tel" '
        f'value="{escape(values.get("phone", ""))}"></p>\n'
        f'<p><label for="email">{escape(t(language, "email"))}</label><br>'
        f'<input id="email" name="email" type="email" autocomplete="email" '
        f'value="{escape(values.get("email", ""))}"></p>\n'
        f'<p><label for="language">{escape(t(language, "language"))}</label><br>'
        f'<select id="language" name="language">{options}</select></p>\n'
        f'<p><label for="postcode">{escape(t(language, "postcode"))}</label><br>'
        f'<input id="postcode" name="postcode" autocomplete="postal-code" required '
        f'value="{escape(values.get("postcode", ""))}"></p>\n'
        f'<p><input id="consent" name="consent" type="checkbox" value="yes" required> '
        f'<label for="consent">{escape(t(language, "consent", org=org))}</label></p>\n'
        f'<p><button type="submit">{escape(t(language, "submit"))}</button></p>\n</form>'
    )


def code_form(language: str, csrf: str, ref: str, errors: list[str], email_too: bool) -> str:
    said = "".join(notice(e, "alert") for e in errors)
    also = notice(t(language, "email_sent")) if email_too else ""
    return (
        f"{said}<p>{escape(t(language, 'code_intro'))}</p>{also}\n"
        f'<form method="post" action="/subscribe/confirm?lang={language}">\n'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">\n'
        f'<input type="hidden" name="ref" value="{escape(ref)}">\n'
        f'<p><label for="code">{escape(t(language, "code"))}</label><br>'
        f'<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" '
        f'pattern="[0-9]{{6}}" maxlength="6" required></p>\n'
        f'<p><button type="submit">{escape(t(language, "confirm"))}</button></p>\n</form>'
    )


def button_form(action: str, csrf: str | None, fields: dict[str, str], label: str) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items()
    )
    if csrf is not None:
        hidden += f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
    return (
        f'<form method="post" action="{escape(action)}">{hidden}'
        f'<p><button type="submit">{escape(label)}</button></p></form>'
    )
