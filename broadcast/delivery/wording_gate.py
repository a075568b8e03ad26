"""The wording errors at the door of a send: they stop it, said with how to override them,
unless the sender gives a reason (``--accept-wording "reason"``), which the ledger keeps.

A wording check's level is declared in one table (``content.wording.messages.LEVEL``); an
error there is what an expert would not let out as it is. It blocks ``send`` like any other
error (exit 2, nothing sent), but it is a judgement on words, so the sender may take it on:
with a reason, recorded with who and when and the findings it covered. An approval shows
the errors to the approver and does not stop there: the sender decides, and answers for it.
"""

from __future__ import annotations

from broadcast.delivery.plan import Plan
from broadcast.problems import InputError, Problem

# A reason is a sentence or two: long enough to say why, short enough to read in `status`.
MAX_REASON = 1000

# Who found what: one check, or several (``{checks}``), and how many errors (``{count}``).
_FOUND = {
    "en": ("the wording check {checks} found {count}", "the wording checks {checks} found {count}"),
    "fr": (
        "la vérification de rédaction {checks} a trouvé {count}",
        "les vérifications de rédaction {checks} ont trouvé {count}",
    ),
}
_COUNT = {"en": ("1 error", "{n} errors"), "fr": ("1 erreur", "{n} erreurs")}
_BLOCKED = {
    "en": (
        "{found} (above): as written, the text would mislead or fail the people it is for, "
        "so nothing is sent. Fix it; or, if you judge it right as it is, send with "
        '--accept-wording "your reason": the reason, who you are and when are recorded in the '
        "ledger with the findings it covers, and shown by broadcast status"
    ),
    "fr": (
        "{found} (ci-dessus) : tel quel, le texte tromperait ou laisserait sans réponse ceux à "
        "qui il s'adresse, donc rien n'est envoyé. Corrigez-le ; ou, si vous le jugez juste "
        "tel quel, envoyez avec --accept-wording « votre raison » : la raison, votre nom et "
        "l'heure sont gardés dans le registre avec ce qu'elle couvre, et montrés par "
        "broadcast status"
    ),
}


def gate(plan: Plan) -> None:
    """When wording errors stop the send, say so once, with how to override them."""
    found = plan.wording_errors
    if not found or plan.accept_wording is not None or not plan.wording_blocks:
        return
    language = _language(plan)
    names = list(dict.fromkeys(p.check for p in found if p.check))
    one, many = _COUNT[language]
    count = one if len(found) == 1 else many.format(n=len(found))
    said = _FOUND[language][len(names) != 1].format(checks=", ".join(names), count=count)
    first = found[0]
    plan.problems.append(Problem(_BLOCKED[language].format(found=said), first.file, first.line))


def _language(plan: Plan) -> str:
    locale = plan.incident.locale if plan.incident is not None else ""
    return "fr" if locale.lower().startswith("fr") else "en"


def checked_reason(reason: str | None) -> str | None:
    """``--accept-wording``'s reason, trimmed; ``InputError`` when it says nothing (an
    override must say why) or runs beyond ``MAX_REASON`` characters."""
    if reason is None:
        return None
    said = " ".join(reason.split())
    if not said:
        raise InputError(
            [
                Problem(
                    "--accept-wording needs a reason: say in a few words why this text goes "
                    "out despite the wording errors (e.g. --accept-wording \"the prefecture's "
                    'wording, checked by the duty manager"); it is recorded in the ledger. '
                    "Nothing was sent",
                    field="--accept-wording",
                )
            ]
        )
    if len(said) > MAX_REASON:
        raise InputError(
            [
                Problem(
                    f"--accept-wording's reason is {len(said)} characters; say it in at most "
                    f"{MAX_REASON} (it is read in broadcast status). Nothing was sent",
                    field="--accept-wording",
                )
            ]
        )
    return said
