"""Turning validation errors (``input.schema``'s, shaped as pydantic's) into plain-language
problems with file, line and field."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from broadcast.input.yamlfile import YamlDocument, dotted
from broadcast.problems import Problem

if TYPE_CHECKING:
    from broadcast.input.schema import ValidationError


def problems_from_validation(
    error: ValidationError,
    doc: YamlDocument,
    prefix: tuple[str | int, ...] = (),
    known_fields: dict[tuple[str | int, ...], Iterable[str]] | None = None,
    channel: str | None = None,
    clean_location: Callable[[tuple[str | int, ...]], tuple[str | int, ...]] = lambda loc: loc,
) -> list[Problem]:
    """One ``Problem`` per validation error, located in ``doc``.

    ``known_fields`` maps a location (relative to ``prefix``) to the field names allowed there,
    so an unknown key gets a "did you mean" hint.
    """
    problems = []
    for item in error.errors(include_url=False):
        loc = clean_location(tuple(part for part in item["loc"] if not _is_union_tag(part)))
        full = (*prefix, *loc)
        message = _message(item, loc, known_fields or {})
        problems.append(
            Problem(message, doc.path, doc.line_of(full), dotted(full) or None, channel=channel)
        )
    return problems


def _is_union_tag(part: Any) -> bool:
    # The chosen member of a tagged union ("sms", "function-after[...]") in loc.
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def _message(
    item: Any, loc: tuple[str | int, ...], known: dict[tuple[str | int, ...], Iterable[str]]
) -> str:
    kind = item["type"]
    ctx = item.get("ctx") or {}
    given = _shortened(item.get("input"))
    if kind == "missing":
        return "this required field is missing"
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else "?"
        allowed = sorted(known.get(loc[:-1], ()))
        guess = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        hint = f"; did you mean '{guess[0]}'?" if guess else ""
        listing = f". Known fields here: {', '.join(allowed)}" if allowed and not guess else ""
        return f"unknown field '{name}'{hint}{listing}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",")]
        guess = difflib.get_close_matches(str(given), options, n=1, cutoff=0.6)
        hint = f"; did you mean '{guess[0]}'?" if guess else "."
        return f"'{given}' is not allowed here{hint} Use one of {expected}."
    if kind in ("datetime_parsing", "datetime_from_date_parsing", "datetime_type"):
        return (
            f"'{given}' is not a date and time; write it like 2026-11-22T14:00:00+01:00 "
            "(or 2026-11-22 14:00, read in the incident's timezone)"
        )
    if kind == "string_pattern_mismatch":
        return f"'{given}' has the wrong form ({_pattern_words(ctx.get('pattern', ''))})"
    if kind in ("string_type", "model_type", "dict_type", "list_type"):
        wanted = {
            "string_type": "text",
            "model_type": "a group of fields",
            "dict_type": "a group of fields",
            "list_type": "a list",
        }[kind]
        return f"expected {wanted} here, not {_shape(given)}"
    if kind in ("int_parsing", "int_type"):
        return f"'{given}' is not a whole number"
    if kind in ("bool_parsing", "bool_type"):
        if given is None:  # "exercise: ~" or "exercise:" with nothing after
            return "this field is empty: write true or false"
        return f"'{given}' is not true or false"
    if kind == "string_too_short":
        return "this field is empty"
    if kind == "union_tag_invalid":
        tag = ctx.get("tag", given)
        expected = str(ctx.get("expected_tags", "")).replace("'", "")
        names = [t.strip() for t in expected.split(",")]
        guess = difflib.get_close_matches(str(tag), names, n=1, cutoff=0.5)
        hint = f"; did you mean '{guess[0]}'?" if guess else "."
        return f"unknown channel type '{tag}'{hint} Known types: {expected}."
    if kind == "union_tag_not_found":
        expected = str(ctx.get("expected_tags", "")).replace("'", "")
        return f"this channel has no 'type'; give one of {expected}"
    if kind == "value_error":
        return str(ctx.get("error", item["msg"]))
    if kind == "greater_than" or kind == "greater_than_equal":
        return f"'{given}' is too small: {item['msg'].lower()}"
    if kind == "less_than_equal" or kind == "less_than":
        return f"'{given}' is too large: {item['msg'].lower()}"
    return item["msg"]


# A value quoted back in a message is cut to this many characters: a paragraph, not a page.
_QUOTED_MAX = 80


def _shortened(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _QUOTED_MAX:
        return value[: _QUOTED_MAX - 1] + "…"
    return value


def _pattern_words(pattern: str) -> str:
    if pattern.startswith("^[a-z0-9]"):
        return "use lower-case letters, digits and hyphens, e.g. panne-nord-2026-11-22"
    return f"expected to match {pattern}"


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        return "a group of fields"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"'{value}'"
