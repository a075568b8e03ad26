"""Wording checks against the last version sent (its ``wording_snapshot``, kept by the ledger):
a resolved or monitoring headline left as it was (an error: people would read the old
situation), and a translation left unchanged when its original changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from broadcast.content.wording.messages import EXAMPLES
from broadcast.content.wording.moved_times import promise_snapshot
from broadcast.content.wording.texts import TEXT_FIELDS, Says, yaml_key
from broadcast.input.yamlfile import YamlDocument
from broadcast.problems import Problem

if TYPE_CHECKING:
    from broadcast.input.incident import Incident

# A headline unchanged from the last version is an error once the incident reaches these. (Not
# cancelled: a correction says what was wrong in its own words, ``correction``.)
_MOVED_ON = ("monitoring", "resolved")


# How a stale FAQ entry is named in the warning, in the file's language.
_FAQ_PART = {
    "en": {"q": "FAQ question {number}", "a": "the answer to FAQ question {number}"},
    "fr": {"q": "la question {number} de la FAQ", "a": "la réponse {number} de la FAQ"},
}


# Fields whose translation must follow a change (the ones the ledger's snapshot keeps).
_SNAPSHOT_FIELDS = TEXT_FIELDS


def wording_snapshot(incident: Incident) -> dict[str, Any]:
    """What the next version's checks compare with: status, texts per language, and the
    promised times (eta, next_update).

    The ledger keeps it with each version sent, so a later ``send`` can tell a headline left
    unchanged, or a translation that did not follow its original.
    """
    texts = {incident.language: _snapshot_texts(incident)}
    for code, translation in incident.translations.items():
        texts[code] = _snapshot_texts(translation)
    # With the promised times (``moved_times``): a snapshot kept before them lacks both keys.
    return {
        "status": incident.status,
        "language": incident.language,
        "texts": texts,
        **promise_snapshot(incident),
    }


def _snapshot_texts(wording: Any) -> dict[str, Any]:
    texts: dict[str, Any] = {f: getattr(wording, f, None) for f in _SNAPSHOT_FIELDS}
    texts["faq"] = [{"q": entry.q, "a": entry.a} for entry in getattr(wording, "faq", None) or ()]
    return texts


def against_previous(
    incident: Incident, doc: YamlDocument, says: Says, previous: dict[str, Any]
) -> Iterator[Problem]:
    """What only the last version sent can tell: a headline left as it was once the situation
    moved on (an error), and a translation that did not follow its original."""
    before = previous.get("texts") or {}
    before_status = previous.get("status")
    now_texts = wording_snapshot(incident)["texts"]
    if incident.status in _MOVED_ON and before_status != incident.status:
        for code, fields in now_texts.items():
            old = (before.get(code) or {}).get("headline")
            if old and fields.get("headline") == old:
                at = () if code == incident.language else ("translations", yaml_key(doc, code))
                examples = EXAMPLES.get(code, EXAMPLES["en"])
                yield says(
                    "unchanged",
                    (*at, "headline"),
                    severity="error",
                    status=incident.status,
                    previous=before_status,
                    example=examples["unchanged"],
                )
    original_now = now_texts.get(incident.language, {})
    original_before = before.get(previous.get("language") or incident.language) or {}
    for code, fields in now_texts.items():
        if code == incident.language or code not in before:
            continue
        for name in _SNAPSHOT_FIELDS:
            if (
                original_now.get(name)
                and original_before.get(name)
                and original_now.get(name) != original_before.get(name)
                and fields.get(name)
                and fields.get(name) == before[code].get(name)
            ):
                yield says(
                    "stale",
                    ("translations", yaml_key(doc, code), name),
                    field=name,
                    language=code,
                )
        # The FAQ, entry by entry (a snapshot from before FAQs were kept has none to compare).
        entries = zip(
            original_now.get("faq") or (),
            original_before.get("faq") or (),
            fields.get("faq") or (),
            before[code].get("faq") or (),
            strict=False,
        )
        for index, (original, original_was, translated, translated_was) in enumerate(entries):
            for part in ("q", "a"):
                if (
                    original[part] != original_was[part]
                    and translated[part] == translated_was[part]
                ):
                    yield says(
                        "stale",
                        ("translations", yaml_key(doc, code), "faq", index, part),
                        field=_FAQ_PART[says.language][part].format(number=index + 1),
                        language=code,
                    )
