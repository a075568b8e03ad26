"""``affected``: who or what the incident touches, as a sentence or as a list of the services or
areas with their impact, as status pages show them::

    affected: About 8,500 homes in Millbrook and Eastfield.

    affected:
      - name: Tap water
        impact: major_outage
        detail: about 8,500 homes
      - name: Customer line
        impact: degraded

A list is checked item by item (each problem names its file, line and field, e.g.
``affected.1.impact``), then worded as a text in the incident's language (one line per item:
"Tap water: major outage (about 8,500 homes)"): every template, wording check and CAP alert
that reads ``affected`` keeps reading a text. The items themselves travel beside it
(``affected_items``), for the status site; they are left out of the incident's content hash,
which the text they make already covers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, get_args

from broadcast.input.error_words import say
from broadcast.input.schema import BaseModel, ConfigDict, Field
from broadcast.problems import Problem

if TYPE_CHECKING:  # the status site reads impact_word without loading YAML
    from broadcast.input.yamlfile import YamlDocument

Impact = Literal["major_outage", "partial_outage", "degraded", "operational"]
IMPACTS: tuple[str, ...] = get_args(Impact)
# How each impact reads, by language; another language gets the English words.
IMPACT_WORDS = {
    "fr": {
        "major_outage": "interruption totale",
        "partial_outage": "interruption partielle",
        "degraded": "service dégradé",
        "operational": "fonctionne normalement",
    },
    "en": {
        "major_outage": "major outage",
        "partial_outage": "partial outage",
        "degraded": "degraded",
        "operational": "operational",
    },
}
_COLON = {"fr": "\u00a0: ", "en": ": "}
_KEYS = ("name", "impact", "detail")
# As the other one-line texts (the title: read at a glance); detail as a short sentence.
MAX_ITEMS = 30


class AffectedItem(BaseModel):
    """One service or area the incident touches, and how."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    name: str = Field(min_length=1)
    impact: Impact
    detail: str | None = None


def impact_word(impact: str, language: str) -> str:
    return IMPACT_WORDS.get(language, IMPACT_WORDS["en"]).get(impact, impact)


def affected_text(items: list[AffectedItem], language: str) -> str:
    """The items as the text every channel reads: one line per item, in ``language``."""
    colon = _COLON.get(language, ": ")
    lines = []
    for item in items:
        line = f"{item.name}{colon}{impact_word(item.impact, language)}"
        lines.append(f"{line} ({item.detail})" if item.detail else line)
    return "\n".join(lines)


def read_affected(
    data: dict[str, Any], doc: YamlDocument, said_in: str = "en"
) -> tuple[dict[str, Any], list[Problem]]:
    """``data`` with each ``affected`` written as a list (the incident's, its translations')
    turned into its text, and the items beside it (``affected_items``); the problems of the
    lists, each at its line, said in ``said_in`` (the file's language)."""
    problems: list[Problem] = []
    out = dict(data)
    places: list[tuple[tuple[str | int, ...], dict[str, Any], str]] = [
        ((), out, _language(out.get("locale")))
    ]
    translations = out.get("translations")
    if isinstance(translations, dict):
        out["translations"] = dict(translations)
        for code, translation in translations.items():
            if isinstance(translation, dict):
                copy = dict(translation)
                out["translations"][code] = copy
                places.append((("translations", code), copy, _language(code)))
    for loc, block, language in places:
        if "affected_items" in block:
            # Made from a list under affected, never written: one place says who is affected.
            problems.append(
                _problem(doc, (*loc, "affected_items"), say(said_in, "affected_items_field"))
            )
            continue
        value = block.get("affected")
        if not isinstance(value, list):
            continue
        items = _items(value, (*loc, "affected"), doc, problems, said_in)
        if items is not None:
            block["affected"] = affected_text(items, language)
            block["affected_items"] = [item.model_dump() for item in items]
    return out, problems


def _items(
    value: list[Any],
    loc: tuple[str | int, ...],
    doc: YamlDocument,
    problems: list[Problem],
    said_in: str,
) -> list[AffectedItem] | None:
    """The list's items, or None (its problems added to ``problems``) when one is wrong."""
    if not value:
        problems.append(_problem(doc, loc, say(said_in, "affected_empty")))
        return None
    if len(value) > MAX_ITEMS:
        problems.append(
            _problem(doc, loc, say(said_in, "affected_too_many", count=len(value), limit=MAX_ITEMS))
        )
        return None
    items = []
    for index, raw in enumerate(value):
        found = _item_problems(raw, (*loc, index), doc, said_in)
        problems += found
        if not found:
            items.append(
                AffectedItem(name=raw["name"], impact=raw["impact"], detail=raw.get("detail"))
            )
    return items if len(items) == len(value) else None


def _item_problems(
    raw: Any, where: tuple[str | int, ...], doc: YamlDocument, said_in: str
) -> list[Problem]:
    if not isinstance(raw, dict):
        number = int(where[-1]) + 1
        return [_problem(doc, where, say(said_in, "affected_item_shape", number=number))]
    found = [
        _problem(doc, (*where, str(key)), say(said_in, "affected_item_key", key=key))
        for key in raw
        if key not in _KEYS
    ]
    name, impact, detail = raw.get("name"), raw.get("impact"), raw.get("detail")
    if not isinstance(name, str) or not name.strip():
        found.append(_problem(doc, (*where, "name"), say(said_in, "affected_no_name")))
    elif "\n" in name:
        found.append(_problem(doc, (*where, "name"), say(said_in, "affected_name_line")))
    if impact not in IMPACTS:
        impacts = ", ".join(IMPACTS)
        said = (
            say(said_in, "affected_no_impact", impacts=impacts)
            if impact is None
            else say(said_in, "affected_bad_impact", impact=impact, impacts=impacts)
        )
        found.append(_problem(doc, (*where, "impact"), said))
    if detail is not None and (not isinstance(detail, str) or "\n" in detail):
        found.append(_problem(doc, (*where, "detail"), say(said_in, "affected_detail_line")))
    return found


def _problem(doc: YamlDocument, loc: tuple[str | int, ...], message: str) -> Problem:
    field = ".".join(str(part) for part in loc)
    return Problem(message, doc.path, doc.line_of(loc), field)


def _language(locale: Any) -> str:
    return str(locale or "en").replace("-", "_").split("_")[0].lower()
