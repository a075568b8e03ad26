"""Turning validation errors (``input.schema``'s, shaped as pydantic's) into plain-language
problems with file, line and field, in the language of the file (``input.error_words``)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from broadcast.input.error_words import Worded, say
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
    language: str = "en",
) -> list[Problem]:
    """One ``Problem`` per validation error, located in ``doc``, said in ``language`` (the
    incident file's: ``error_words.file_language``).

    ``known_fields`` maps a location (relative to ``prefix``) to the field names allowed there,
    so an unknown key gets a "did you mean" hint.
    """
    problems = []
    for item in error.errors(include_url=False):
        loc = clean_location(tuple(part for part in item["loc"] if not _is_union_tag(part)))
        full = (*prefix, *loc)
        message = _message(item, loc, known_fields or {}, language)
        problems.append(
            Problem(message, doc.path, doc.line_of(full), dotted(full) or None, channel=channel)
        )
    return problems


def _is_union_tag(part: Any) -> bool:
    # The chosen member of a tagged union ("sms", "function-after[...]") in loc.
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def _message(
    item: Any,
    loc: tuple[str | int, ...],
    known: dict[tuple[str | int, ...], Iterable[str]],
    language: str = "en",
) -> str:
    kind = item["type"]
    ctx = item.get("ctx") or {}
    given = _shortened(item.get("input"))
    words = partial(say, language)
    if kind == "missing":
        return words("missing")
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else "?"
        allowed = sorted(known.get(loc[:-1], ()))
        guess = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        hint = words("did_you_mean", guess=guess[0]) if guess else ""
        listing = words("known_fields", names=", ".join(allowed)) if allowed and not guess else ""
        return words("unknown_field", name=name, hint=hint, listing=listing)
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",")]
        guess = difflib.get_close_matches(str(given), options, n=1, cutoff=0.6)
        hint = words("did_you_mean", guess=guess[0]) if guess else "."
        if language == "fr":
            expected = expected.replace("' or '", "' ou '")
        return words("not_allowed", given=given, hint=hint, expected=expected)
    if kind in ("datetime_parsing", "datetime_from_date_parsing", "datetime_type"):
        return words("not_a_datetime", given=given)
    if kind == "string_pattern_mismatch":
        why = _pattern_words(ctx.get("pattern", ""), language)
        return words("wrong_form", given=given, why=why)
    if kind in ("string_type", "model_type", "dict_type", "list_type"):
        wanted = {
            "string_type": "shape_text",
            "model_type": "shape_group",
            "dict_type": "shape_group",
            "list_type": "shape_list",
        }[kind]
        return words("expected_shape", wanted=words(wanted), shape=_shape(given, language))
    if kind in ("int_parsing", "int_type"):
        return words("not_a_whole_number", given=given)
    if kind in ("bool_parsing", "bool_type"):
        if given is None:  # "exercise: ~" or "exercise:" with nothing after
            return words("bool_empty")
        return words("not_a_bool", given=given)
    if kind == "string_too_short":
        return words("empty")
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
        cause = ctx.get("error")
        if isinstance(cause, Worded):
            return cause.said_in(language)
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


def _pattern_words(pattern: str, language: str = "en") -> str:
    if pattern.startswith("^[a-z0-9]"):
        return say(language, "id_form")
    return f"expected to match {pattern}"


def _shape(value: Any, language: str = "en") -> str:
    if isinstance(value, dict):
        return say(language, "shape_group")
    if isinstance(value, list):
        return say(language, "shape_list")
    if value is None:
        return say(language, "shape_nothing")
    return f"« {value} »" if language == "fr" else f"'{value}'"
