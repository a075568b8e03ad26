"""Checking one value against a field's declared type and bounds, for ``input.schema``'s models.

The types a field may have are those listed in ``SCALARS``, ``Any``, ``Literal``, unions (a
tagged one chosen by a field such as ``type``), ``list``, ``dict`` and models; ``unsupported``
says, when a model is defined, why a field's type or bounds cannot be checked. Scalars from
YAML arrive as text: a number, a truth value, a date or a duration is read from its text, as
pydantic's lax mode does. Problems are recorded as pydantic's error items (``Problems``).
"""

from __future__ import annotations

import operator
import re
import types
import typing
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, ClassVar

Location = tuple[str | int, ...]
MISSING: Any = object()


class FieldInfo:
    """What ``Field(...)`` declares of one field."""

    __slots__ = (
        "alias",
        "annotation",
        "default",
        "default_factory",
        "discriminator",
        "exclude",
        "ge",
        "gt",
        "le",
        "lt",
        "max_length",
        "min_length",
        "name",
        "pattern",
    )

    def __init__(
        self,
        default: Any = MISSING,
        *,
        default_factory: Callable[[], Any] | None = None,
        alias: str | None = None,
        exclude: bool = False,
        discriminator: str | None = None,
        ge: float | None = None,
        gt: float | None = None,
        le: float | None = None,
        lt: float | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        pattern: str | None = None,
    ) -> None:
        self.default = default
        self.default_factory = default_factory
        self.alias = alias
        self.exclude = exclude
        self.discriminator = discriminator
        self.ge, self.gt, self.le, self.lt = ge, gt, le, lt
        self.min_length, self.max_length = min_length, max_length
        self.pattern = pattern
        self.annotation: Any = None  # read from the class's annotations when first needed
        self.name = ""

    @property
    def required(self) -> bool:
        return self.default is MISSING and self.default_factory is None

    def default_value(self) -> Any:
        if self.default_factory is not None:
            return self.default_factory()
        return self.default


class Problems:
    """The error items found while checking one model, with the location they are at."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(
        self, kind: str, loc: Location, msg: str, given: Any, ctx: dict[str, Any] | None = None
    ) -> None:
        item: dict[str, Any] = {"type": kind, "loc": loc, "msg": msg, "input": given}
        if ctx is not None:
            item["ctx"] = ctx
        self.items.append(item)

    def guarded(self, call: Callable[[], Any], loc: Location, given: Any) -> Any:
        """``call()`` (a validator or a type's check); whatever it raises is the problem at
        ``loc``: a ``ValueError`` says what is wrong; any other exception (an overflow, a bug
        in a check) is still a problem with this value, never a traceback for the person."""
        try:
            return call()
        except Invalid:
            raise
        except Exception as error:
            words = str(error) or type(error).__name__
            self.add("value_error", loc, f"Value error, {words}", given, {"error": error})
            raise Invalid from None


class Invalid(Exception):
    """A value did not pass; the problems are already recorded."""


class CheckedModel:
    """What checking a value needs of a model class (``schema.BaseModel``): its fields and its
    own check. Declared here so that this module needs nothing of the models' module."""

    model_fields: ClassVar[dict[str, FieldInfo]] = {}

    @classmethod
    def _check(cls, data: Any, loc: Location, problems: Problems) -> Any:
        raise NotImplementedError


# -- checking one value against its annotation --------------------------------------------------

_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})
# As pydantic reads a whole number from text: digits grouped by _, a zero fraction ("5.0").
_INTEGER = re.compile(r"^\s*([+-]?\d+(?:_\d+)*)(?:\.0+)?\s*$")
# The patterns of text read only now and then are compiled at their first use (re's cache), not
# at each start. Text that is a number of seconds since 1970 (pydantic reads it as a unix time).
_TIMESTAMP = r"^[+-]?(?:\d+|(?=\.?\d)\d*\.\d*(?:[eE][+-]?\d+)?)$"
# Past this, a unix time is in milliseconds (pydantic's rule: 2e10 s is the year 2603).
_MILLISECONDS_FROM = 2e10
# A duration as text: ISO 8601 (what ``model_dump(mode="json")`` writes: ``PT2H``,
# ``P1DT0.5S``), or ``[-][N day[s][,] ]HH:MM[:SS[.f]]`` (what ``str(timedelta)`` writes).
_NUMBER = r"\d+(?:\.\d+)?"
_ISO_DURATION = (
    rf"^(?P<sign>[+-]?)P(?:(?P<years>{_NUMBER})Y)?(?:(?P<months>{_NUMBER})M)?"
    rf"(?:(?P<weeks>{_NUMBER})W)?(?:(?P<days>{_NUMBER})D)?"
    rf"(?:T(?:(?P<hours>{_NUMBER})H)?(?:(?P<minutes>{_NUMBER})M)?(?:(?P<seconds>{_NUMBER})S)?)?$"
)
_CLOCK_DURATION = (
    r"^(?P<sign>[+-]?)(?:(?P<days>\d+) ?d(?:ays?)?,? ?)?"
    r"(?:(?P<hours>\d{2}):(?P<minutes>\d{2})(?::(?P<seconds>\d{2}(?:\.\d{1,6})?))?)?$"
)
# In days, as pydantic counts them.
_DURATION_UNITS = {"years": 365, "months": 30, "weeks": 7, "days": 1}
_TIME_OF_DAY = r"^\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?$"
# Field bound → what a value within it passes, the error's kind, and its words.
_NUMBER_BOUNDS = {
    "ge": (operator.ge, "greater_than_equal", "greater than or equal to"),
    "gt": (operator.gt, "greater_than", "greater than"),
    "le": (operator.le, "less_than_equal", "less than or equal to"),
    "lt": (operator.lt, "less_than", "less than"),
}


def check_value(
    annotation: Any, info: FieldInfo, given: Any, loc: Location, problems: Problems, strip: bool
) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _check_annotated(annotation, info, given, loc, problems, strip)
    if origin in (typing.Union, types.UnionType):
        return _check_union(annotation, info, given, loc, problems, strip)
    if origin is typing.Literal:
        return _check_literal(annotation, given, loc, problems)
    if origin is list:
        return _check_list(annotation, info, given, loc, problems, strip)
    if origin is dict:
        return _check_dict(annotation, info, given, loc, problems, strip)
    if is_model(annotation):
        return annotation._check(given, loc, problems)
    return _check_scalar(annotation, info, given, loc, problems, strip)


def _check_annotated(
    annotation: Any, info: FieldInfo, given: Any, loc: Location, problems: Problems, strip: bool
) -> Any:
    inner, *extras = typing.get_args(annotation)
    extra_info = next((e for e in extras if isinstance(e, FieldInfo)), None)
    if extra_info is not None and extra_info.discriminator:
        return _check_tagged(inner, extra_info.discriminator, given, loc, problems)
    return check_value(inner, extra_info or info, given, loc, problems, strip)


def _check_union(
    annotation: Any, info: FieldInfo, given: Any, loc: Location, problems: Problems, strip: bool
) -> Any:
    members = typing.get_args(annotation)
    if given is None and type(None) in members:
        return None
    others = [m for m in members if m is not type(None)]
    if info.discriminator:
        return _check_tagged(annotation, info.discriminator, given, loc, problems)
    # As pydantic's "smart" union: a member the value already is wins ("5" stays text
    # in ``int | str``); else the first, left to right, that accepts it.
    exact = [m for m in others if _is_exactly(given, m)]
    tried = exact + [m for m in others if m not in exact]
    for member in tried[:-1]:
        try:
            return check_value(member, info, given, loc, Problems(), strip)
        except Invalid:
            continue
    return check_value(tried[-1], info, given, loc, problems, strip)


def _check_literal(annotation: Any, given: Any, loc: Location, problems: Problems) -> Any:
    options = typing.get_args(annotation)
    if given in options:
        return given
    expected = _either(repr(o) for o in options)
    problems.add("literal_error", loc, f"Input should be {expected}", given, {"expected": expected})
    raise Invalid


def _check_list(
    annotation: Any, info: FieldInfo, given: Any, loc: Location, problems: Problems, strip: bool
) -> list[Any]:
    if not isinstance(given, list | tuple):
        problems.add("list_type", loc, "Input should be a valid list", given)
        raise Invalid
    (item_type,) = typing.get_args(annotation) or (Any,)
    items, failed = [], False
    for index, item in enumerate(given):
        try:
            items.append(check_value(item_type, FieldInfo(), item, (*loc, index), problems, strip))
        except Invalid:
            failed = True
    if failed:
        raise Invalid
    _check_length(items, info, loc, problems, "List", "item")
    return items


def _check_dict(
    annotation: Any, info: FieldInfo, given: Any, loc: Location, problems: Problems, strip: bool
) -> dict[Any, Any]:
    if not isinstance(given, dict):
        problems.add("dict_type", loc, "Input should be a valid dictionary", given)
        raise Invalid
    key_type, value_type = typing.get_args(annotation) or (Any, Any)
    out, failed = {}, False
    for key, item in given.items():
        # The key and its value are each checked: a bad key does not hide a bad value.
        checked = []
        for kind, given_part, where in (
            (key_type, key, (*loc, key, "[key]")),
            (value_type, item, (*loc, key)),
        ):
            try:
                checked.append(check_value(kind, FieldInfo(), given_part, where, problems, strip))
            except Invalid:
                failed = True
        if len(checked) == 2:
            out[checked[0]] = checked[1]
    if failed:
        raise Invalid
    _check_length(out, info, loc, problems, "Dictionary", "item")
    return out


def _check_scalar(
    annotation: Any, info: FieldInfo, given: Any, loc: Location, problems: Problems, strip: bool
) -> Any:
    checker = SCALARS.get(annotation)
    if checker is None:
        if annotation is Any:
            return given
        raise TypeError(f"the model declares a type it cannot check: {annotation!r}")
    value = problems.guarded(partial(checker, given, loc, problems, strip), loc, given)
    if isinstance(value, str):
        _check_text_limits(value, info, loc, problems)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _check_number_bounds(value, info, given, loc, problems)
    return value


def _check_text_limits(value: str, info: FieldInfo, loc: Location, problems: Problems) -> None:
    _check_length(value, info, loc, problems, "String", "character")
    if info.pattern is not None and not re.search(info.pattern, value):
        problems.add(
            "string_pattern_mismatch",
            loc,
            f"String should match pattern '{info.pattern}'",
            value,
            {"pattern": info.pattern},
        )
        raise Invalid


def _check_number_bounds(
    value: float, info: FieldInfo, given: Any, loc: Location, problems: Problems
) -> None:
    for bound, (passes, kind, words) in _NUMBER_BOUNDS.items():
        limit = getattr(info, bound)
        if limit is not None and not passes(value, limit):
            problems.add(kind, loc, f"Input should be {words} {limit}", given, {bound: limit})
            raise Invalid


def is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, CheckedModel)


def _is_exactly(given: Any, member: Any) -> bool:
    """``given`` is already of the union's ``member``, with nothing to convert."""
    if typing.get_origin(member) is typing.Literal:
        return any(given == o and type(given) is type(o) for o in typing.get_args(member))
    if is_model(member):
        return isinstance(given, member)
    origin = typing.get_origin(member) or member
    return isinstance(origin, type) and type(given) is origin


def spelled(annotation: Any) -> str:
    """An annotation as a person reads it: ``int``, ``list[str]``."""
    return annotation.__name__ if isinstance(annotation, type) else repr(annotation)


# The ``Field`` bounds each kind of value can have; any other set on it is a mistake.
CONSTRAINTS = ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern")
_ALLOWED_CONSTRAINTS = {
    str: ("min_length", "max_length", "pattern"),
    list: ("min_length", "max_length"),
    dict: ("min_length", "max_length"),
    int: ("ge", "gt", "le", "lt"),
    float: ("ge", "gt", "le", "lt"),
}


def unsupported(annotation: Any, info: FieldInfo) -> str | None:
    """Why ``check_value`` cannot check values of ``annotation`` with ``info``'s bounds, or
    None: read when a model is defined, so a mistake is the developer's at import."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        extra = next((e for e in args[1:] if isinstance(e, FieldInfo)), None)
        if extra is not None and extra.discriminator:
            return _untagged(args[0], extra.discriminator)
        return unsupported(args[0], extra or info)
    if origin in (typing.Union, types.UnionType):
        if info.discriminator:
            return _untagged(annotation, info.discriminator)
        members = [m for m in args if m is not type(None)]
        return next((why for m in members if (why := unsupported(m, info))), None)
    if origin is typing.Literal:
        kind: Any = typing.Literal
    elif origin in (list, dict):
        kind = origin
        inner = args or ((Any,) if origin is list else (Any, Any))
        why = next((w for a in inner if (w := unsupported(a, FieldInfo()))), None)
        if why is not None:
            return why
    elif annotation is Any or annotation in SCALARS or is_model(annotation):
        kind = annotation
    else:
        known = ", ".join(t.__name__ for t in SCALARS)
        return (
            f"{annotation!r} is not a type input.schema can check; use one of {known}, Any, "
            "Literal, a union, list, dict or a model"
        )
    allowed = _ALLOWED_CONSTRAINTS.get(kind, ())
    wrong = [c for c in CONSTRAINTS if getattr(info, c) is not None and c not in allowed]
    if wrong:
        return f"{', '.join(wrong)} cannot bound a value of {spelled(annotation)}"
    return None


def _untagged(union: Any, tag_field: str) -> str | None:
    """Why ``union`` cannot be told apart by ``tag_field``, or None."""
    for member in typing.get_args(union):
        if not (is_model(member)):
            return f"{member!r} in a union chosen by {tag_field!r} is not a model"
        field = member.model_fields.get(tag_field)
        if field is None or typing.get_origin(field.annotation) is not typing.Literal:
            return f"{member.__name__} has no {tag_field!r} field of Literal values"
    return None


def _check_tagged(union: Any, tag_field: str, given: Any, loc: Location, problems: Problems) -> Any:
    """One of several models, chosen by the value of its ``tag_field`` (a channel's type)."""
    members = models_by_tag(union, tag_field)
    expected = ", ".join(repr(t) for t in members)
    if not isinstance(given, dict):
        problems.add(
            "model_attributes_type",
            loc,
            "Input should be a valid dictionary or object to extract fields from",
            given,
        )
        raise Invalid
    if tag_field not in given:
        problems.add(
            "union_tag_not_found",
            loc,
            f"Unable to extract tag using discriminator '{tag_field}'",
            given,
            {"discriminator": repr(tag_field), "expected_tags": expected},
        )
        raise Invalid
    tag = given[tag_field]
    member = members.get(tag) if isinstance(tag, str) else None
    if member is None:
        problems.add(
            "union_tag_invalid",
            loc,
            f"Input tag '{tag}' found using '{tag_field}' does not match any of the expected "
            f"tags: {expected}",
            given,
            {"discriminator": repr(tag_field), "tag": tag, "expected_tags": expected},
        )
        raise Invalid
    return member._check(given, (*loc, tag), problems)


@lru_cache(maxsize=8)
def models_by_tag(union: Any, tag_field: str) -> dict[str, type[CheckedModel]]:
    """Each tag (a ``Literal`` value of ``tag_field``) of the union's models → its model."""
    members = {}
    for member in typing.get_args(union):
        for tag in typing.get_args(member.model_fields[tag_field].annotation):
            members[tag] = member
    return members


def _check_length(
    value: Any, info: FieldInfo, loc: Location, problems: Problems, kind: str, unit: str
) -> None:
    for bound, limit, words, breaks in (
        ("min_length", info.min_length, "at least", operator.lt),
        ("max_length", info.max_length, "at most", operator.gt),
    ):
        if limit is None or not breaks(len(value), limit):
            continue
        short = bound == "min_length"
        wanted = f"{kind} should have {words} {limit} {unit}{'' if limit == 1 else 's'}"
        if kind == "String":
            kind_name = "string_too_short" if short else "string_too_long"
            problems.add(kind_name, loc, wanted, value, {bound: limit})
        else:
            ctx = {"field_type": kind, bound: limit, "actual_length": len(value)}
            msg = f"{wanted} after validation, not {len(value)}"
            problems.add("too_short" if short else "too_long", loc, msg, value, ctx)
        raise Invalid


def _either(options: Iterable[str]) -> str:
    listed = list(options)
    return listed[0] if len(listed) == 1 else f"{', '.join(listed[:-1])} or {listed[-1]}"


def _text(given: Any, loc: Location, problems: Problems, strip: bool) -> str:
    if not isinstance(given, str):
        problems.add("string_type", loc, "Input should be a valid string", given)
        raise Invalid
    return given.strip() if strip else given


def _integer(given: Any, loc: Location, problems: Problems, strip: bool) -> int:
    if isinstance(given, bool):
        return int(given)
    if isinstance(given, int):
        return given
    if isinstance(given, float):
        if given.is_integer():
            return int(given)
        problems.add(
            "int_from_float",
            loc,
            "Input should be a valid integer, got a number with a fractional part",
            given,
        )
        raise Invalid
    if isinstance(given, str) and (digits := _INTEGER.match(given)):
        return int(digits[1])
    if isinstance(given, str):
        msg = "Input should be a valid integer, unable to parse string as an integer"
        problems.add("int_parsing", loc, msg, given)
    else:
        problems.add("int_type", loc, "Input should be a valid integer", given)
    raise Invalid


def _number(given: Any, loc: Location, problems: Problems, strip: bool) -> float:
    if isinstance(given, int | float):
        return float(given)
    if isinstance(given, str):
        try:
            return float(given.strip())
        except ValueError:
            pass
        msg = "Input should be a valid number, unable to parse string as a number"
        problems.add("float_parsing", loc, msg, given)
    else:
        problems.add("float_type", loc, "Input should be a valid number", given)
    raise Invalid


def _truth(given: Any, loc: Location, problems: Problems, strip: bool) -> bool:
    if isinstance(given, bool):
        return given
    if isinstance(given, int | float) and given in (0, 1):
        return bool(given)
    if isinstance(given, str):
        word = given.lower()  # " yes " is not a truth value (nor is it to pydantic)
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    msg = "Input should be a valid boolean, unable to interpret input"
    problems.add("bool_parsing", loc, msg, given)
    raise Invalid


def _moment(given: Any, loc: Location, problems: Problems, strip: bool) -> datetime:
    if isinstance(given, datetime):
        return given
    if isinstance(given, str) and re.match(_TIMESTAMP, given):
        given = float(given)
    if isinstance(given, int | float) and not isinstance(given, bool):
        seconds = given / 1000 if abs(given) > _MILLISECONDS_FROM else given
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            msg = "Input should be a valid datetime, dates after 9999 are not supported as unix "
            msg += "timestamps"
            problems.add("datetime_parsing", loc, msg, given)
            raise Invalid from None
    if isinstance(given, str):
        text = given.strip()
        try:
            return datetime.fromisoformat(text.replace(" ", "T", 1).replace("Z", "+00:00"))
        except ValueError:
            pass
        msg = "Input should be a valid datetime, unable to parse the text as a date and time"
        problems.add("datetime_parsing", loc, msg, given)
        raise Invalid
    problems.add("datetime_type", loc, "Input should be a valid datetime", given)
    raise Invalid


def _duration(given: Any, loc: Location, problems: Problems, strip: bool) -> timedelta:
    """A duration: a ``timedelta``, seconds, or text as ``_ISO_DURATION`` and
    ``_CLOCK_DURATION`` read it (what this module writes, it reads back)."""
    if isinstance(given, timedelta):
        return given
    if isinstance(given, int | float) and not isinstance(given, bool):
        return timedelta(seconds=given)
    if isinstance(given, str):
        parts = re.match(_ISO_DURATION, given) or re.match(_CLOCK_DURATION, given)
        found = {k: v for k, v in parts.groupdict().items() if v} if parts else {}
        sign = -1 if found.pop("sign", "") == "-" else 1
        if found:
            amounts = {k: float(v) for k, v in found.items()}
            days = sum(amounts.pop(unit, 0) * n for unit, n in _DURATION_UNITS.items())
            return sign * timedelta(days=days, **amounts)
        problems.add("time_delta_parsing", loc, "Input should be a valid timedelta", given)
        raise Invalid
    problems.add("time_delta_type", loc, "Input should be a valid timedelta", given)
    raise Invalid


def _clock(given: Any, loc: Location, problems: Problems, strip: bool) -> time:
    """A time of day: ``18:00``, ``18:00:05``, with an offset or ``Z`` (as written)."""
    if isinstance(given, time):
        return given
    if isinstance(given, str) and re.match(_TIME_OF_DAY, given):
        try:
            return time.fromisoformat(given.replace("Z", "+00:00"))
        except ValueError:
            pass
        problems.add("time_parsing", loc, "Input should be in a valid time format", given)
        raise Invalid
    problems.add("time_type", loc, "Input should be a valid time", given)
    raise Invalid


def _path(given: Any, loc: Location, problems: Problems, strip: bool) -> Path:
    if isinstance(given, Path):
        return given
    if isinstance(given, str):
        return Path(given)
    problems.add("path_type", loc, "Input is not a valid path", given)
    raise Invalid


SCALARS: dict[Any, Callable[[Any, Location, Problems, bool], Any]] = {
    str: _text,
    int: _integer,
    float: _number,
    bool: _truth,
    datetime: _moment,
    timedelta: _duration,
    time: _clock,
    Path: _path,
}
