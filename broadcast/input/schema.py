"""Declared models for channels.yaml and the incident, checked field by field.

The part of pydantic's model API this program uses, written out so that a preview does not pay
for pydantic at each start (its import and the building of our models cost ~0.4 s of CPU, more
than the rest of a preview). A model is a class with annotated fields; ``model_validate`` turns
the plain data read from YAML into an instance or raises ``ValidationError`` listing every
problem, as pydantic's error items (``type``, ``loc``, ``msg``, ``input``, ``ctx``), which
``model_errors`` words for people.

What is supported is what the models use: ``str`` (stripped), ``int``, ``float``, ``bool``,
``datetime``, ``timedelta``, ``time``, ``Path``, ``Any``, ``Literal``, ``X | None`` and other
unions, ``list``, ``dict`` (with a key pattern), nested models and a union chosen by a ``type``
field; ``Field`` bounds (``ge``, ``gt``, ``le``, lengths, ``pattern``), aliases, defaults;
validators before and after a field and after the whole model. Scalars from YAML arrive as
text: a number, a truth value or a date is read from its text, as pydantic's lax mode does.

Each field's type is read and checked when its class is defined: a type or a bound this module
cannot check is a ``TypeError`` at import, for the developer, never a surprise at the first file
that uses the field. Whatever a field's check raises is a problem at that field's location.
``tests/test_schema_differential.py`` holds it to pydantic 2's results on the same declarations.
"""

from __future__ import annotations

import inspect
import operator
import re
import sys
import types
import typing
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time, timedelta
from functools import cache, lru_cache, partial
from pathlib import Path
from typing import Any, ClassVar

Location = tuple[str | int, ...]
_MISSING: Any = object()


class ValidationError(ValueError):
    """Every problem found in the data, as pydantic-style error items."""

    def __init__(self, title: str, items: list[dict[str, Any]]) -> None:
        self.title = title
        self._items = items
        lines = [f"{len(items)} problem(s) validating {title}"]
        lines += [f"{'.'.join(map(str, i['loc'])) or '(model)'}: {i['msg']}" for i in items]
        super().__init__("\n".join(lines))

    def errors(self, include_url: bool = False) -> list[dict[str, Any]]:
        return list(self._items)


def ConfigDict(**settings: Any) -> dict[str, Any]:
    """A model's settings: ``extra="forbid"``, ``str_strip_whitespace``, ``frozen``,
    ``populate_by_name``."""
    return settings


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
        default: Any = _MISSING,
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
        return self.default is _MISSING and self.default_factory is None

    def default_value(self) -> Any:
        if self.default_factory is not None:
            return self.default_factory()
        return self.default


def Field(
    default: Any = _MISSING,
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
) -> Any:
    """A field's declaration, pydantic's spelling (the models read as they did). Typed as
    returning ``Any`` so that ``count: int = Field(ge=1)`` type-checks as it does with
    pydantic; it is the field specifier of ``BaseModel``'s ``dataclass_transform``."""
    return FieldInfo(**locals())


class _Validator:
    """A validator declared in a model's body; it stays callable as the method it wraps."""

    __slots__ = ("fields", "function", "mode", "whole_model")

    def __init__(self, function: Any, fields: tuple[str, ...], mode: str, whole_model: bool):
        self.function = function
        self.fields = fields
        self.mode = mode
        self.whole_model = whole_model

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        return self.function.__get__(instance, owner)


def field_validator(*fields: str, mode: str = "after") -> Callable[[Any], _Validator]:
    """Run the decorated classmethod on ``fields``' values, before or after their type check;
    a ``ValueError`` it raises is a problem with that field."""
    return lambda function: _Validator(function, fields, mode, whole_model=False)


def model_validator(*, mode: str) -> Callable[[Any], _Validator]:
    """Run the decorated method on the raw data (``before``, a classmethod) or on the checked
    model (``after``); a ``ValueError`` it raises is a problem with the model."""
    return lambda function: _Validator(function, (), mode, whole_model=True)


class _Problems:
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
        except _Invalid:
            raise
        except Exception as error:
            words = str(error) or type(error).__name__
            self.add("value_error", loc, f"Value error, {words}", given, {"error": error})
            raise _Invalid from None


class _Invalid(Exception):
    """A value did not pass; the problems are already recorded."""


@typing.dataclass_transform(kw_only_default=True, field_specifiers=(Field, FieldInfo))
class BaseModel:
    """A model checked by ``model_validate``; its instances are read-only when ``frozen``.

    Each field's type is read and checked when the class is defined: a type this module
    cannot check is a ``TypeError`` for the developer at import, never a surprise at the first
    file that uses the field."""

    model_config: ClassVar[dict[str, Any]] = {}
    model_fields: ClassVar[dict[str, FieldInfo]] = {}
    _validators: ClassVar[list[_Validator]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        config: dict[str, Any] = {}
        fields: dict[str, FieldInfo] = {}
        # By name, as methods are: a subclass's validator (or plain method) of the same name
        # replaces its base's, which must not also run.
        validators: dict[str, _Validator] = {}
        for base in reversed(cls.__mro__):
            if not issubclass(base, BaseModel) or base is BaseModel:
                continue
            config.update(base.__dict__.get("model_config", {}))
            if base is not cls:
                fields.update(base.model_fields)
            for name, value in base.__dict__.items():
                if isinstance(value, _Validator):
                    validators[name] = value
                else:
                    validators.pop(name, None)
        namespace = sys.modules[cls.__module__].__dict__
        own = dict(vars(cls))
        for name, annotation in inspect.get_annotations(cls).items():
            text = annotation if isinstance(annotation, str) else repr(annotation)
            if name.startswith("_") or "ClassVar" in text or name == "model_config":
                continue
            declared = cls.__dict__.get(name, _MISSING)
            info = declared if isinstance(declared, FieldInfo) else FieldInfo(default=declared)
            info.name = name
            try:
                hint = eval(_compiled(text), namespace, own) if text is annotation else annotation
            except NameError as error:
                raise TypeError(
                    f"{cls.__qualname__}.{name}: its type {text!r} names {error.name!r}, which "
                    "is not defined before the class: define it first"
                ) from None
            if (why := _unsupported(hint, info)) is not None:
                raise TypeError(f"{cls.__qualname__}.{name}: {why}")
            info.annotation = hint
            fields[name] = info
            if isinstance(declared, FieldInfo):
                delattr(cls, name)  # an instance's value, never the class's declaration
        for validator in validators.values():
            unknown = [f for f in validator.fields if f not in fields]
            if unknown:
                raise TypeError(
                    f"{cls.__qualname__}: a validator names {', '.join(unknown)}, not a field"
                )
        cls.model_config = config
        cls.model_fields = fields
        cls._validators = list(validators.values())

    def __init__(self, **data: Any) -> None:
        checked = type(self).model_validate(data)
        object.__setattr__(self, "__dict__", checked.__dict__)

    # -- checking ---------------------------------------------------------------------------

    @classmethod
    def model_validate(cls, data: Any) -> typing.Self:
        problems = _Problems()
        try:
            return cls._check(data, (), problems)
        except _Invalid:
            raise ValidationError(cls.__name__, problems.items) from None

    @classmethod
    def _check(cls, data: Any, loc: Location, problems: _Problems) -> typing.Self:
        for validator in cls._validators:
            if validator.whole_model and validator.mode == "before":
                data = problems.guarded(partial(validator.__get__(None, cls), data), loc, data)
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            problems.add(
                "model_type",
                loc,
                f"Input should be a valid dictionary or instance of {cls.__name__}",
                data,
                {"class_name": cls.__name__},
            )
            raise _Invalid
        by_name = cls.model_config.get("populate_by_name", False)
        values: dict[str, Any] = {}
        used: set[str] = set()
        failed = False
        for name, info in cls.model_fields.items():
            key = info.alias or name
            if key in data:
                given = data[key]
                used.add(key)
            elif by_name and name in data:
                given = data[name]
                used.add(name)
                key = info.alias or name
            else:
                if info.required:
                    problems.add("missing", (*loc, key), "Field required", data)
                    failed = True
                else:
                    values[name] = info.default_value()
                continue
            try:
                values[name] = cls._check_field(info, given, (*loc, key), problems)
            except _Invalid:
                failed = True
        if cls.model_config.get("extra") == "forbid":
            for key in data:
                if key not in used:
                    problems.add(
                        "extra_forbidden", (*loc, key), "Extra inputs are not permitted", data[key]
                    )
                    failed = True
        if failed:
            raise _Invalid
        instance = cls.__new__(cls)
        object.__setattr__(instance, "__dict__", values)
        for validator in cls._validators:
            if validator.whole_model and validator.mode == "after":
                instance = problems.guarded(validator.__get__(instance, cls), loc, data)
        return instance

    @classmethod
    def _check_field(cls, info: FieldInfo, given: Any, loc: Location, problems: _Problems) -> Any:
        mine = [v for v in cls._validators if not v.whole_model and info.name in v.fields]
        for validator in mine:
            if validator.mode == "before":
                given = problems.guarded(partial(validator.__get__(None, cls), given), loc, given)
        strip = cls.model_config.get("str_strip_whitespace", False)
        value = _check_value(info.annotation, info, given, loc, problems, strip)
        for validator in mine:
            if validator.mode == "after":
                value = problems.guarded(partial(validator.__get__(None, cls), value), loc, value)
        return value

    # -- the rest of pydantic's model API that this program uses --------------------------------

    @classmethod
    def model_construct(cls, **values: Any) -> typing.Self:
        """An instance from ``values`` and the defaults, unchecked."""
        instance = cls.__new__(cls)
        filled = {
            name: values[name] if name in values else info.default_value()
            for name, info in cls.model_fields.items()
            if name in values or not info.required
        }
        object.__setattr__(instance, "__dict__", filled)
        return instance

    def model_copy(self, update: dict[str, Any] | None = None) -> typing.Self:
        """A copy with ``update``'s values, unchecked (as pydantic's)."""
        copy = type(self).__new__(type(self))
        object.__setattr__(copy, "__dict__", {**self.__dict__, **(update or {})})
        return copy

    def model_dump(
        self, mode: str = "python", by_alias: bool = False, exclude_none: bool = False
    ) -> dict[str, Any]:
        """The fields as plain data; ``mode="json"`` writes dates and durations as text."""
        out: dict[str, Any] = {}
        for name, info in self.model_fields.items():
            if info.exclude or name not in self.__dict__:
                continue
            value = self.__dict__[name]
            if exclude_none and value is None:
                continue
            out[(info.alias or name) if by_alias else name] = _dump(
                value, mode, by_alias, exclude_none
            )
        return out

    def __setattr__(self, name: str, value: Any) -> None:
        if self.model_config.get("frozen"):
            raise TypeError(f"{type(self).__name__} is read-only; use model_copy(update=...)")
        object.__setattr__(self, name, value)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        if not self.model_config.get("frozen"):
            raise TypeError(f"unhashable type: '{type(self).__name__}'")
        return hash(tuple(_hashable(v) for v in self.__dict__.values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({shown})"


def _hashable(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple((k, _hashable(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def _dump(value: Any, mode: str, by_alias: bool, exclude_none: bool) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode, by_alias, exclude_none)
    if isinstance(value, dict):
        return {k: _dump(v, mode, by_alias, exclude_none) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_dump(v, mode, by_alias, exclude_none) for v in value]
    if mode != "json":
        return value
    if isinstance(value, datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, timedelta):
        return _iso_duration(value)
    if isinstance(value, time):
        return value.isoformat(timespec="minutes")
    if isinstance(value, Path):
        return str(value)
    return value


def _iso_duration(value: timedelta) -> str:
    """``PT1H30M``, ``P1D``, ``PT0S``: a duration as pydantic writes it in JSON."""
    sign = "-" if value < timedelta(0) else ""
    value = abs(value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{sign}P" + (f"{value.days}D" if value.days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or value.microseconds:
        fraction = f".{value.microseconds:06d}".rstrip("0") if value.microseconds else ""
        clock += f"{seconds}{fraction}S"
    if clock:
        text += "T" + clock
    return text if text != f"{sign}P" else "PT0S"


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


def _check_value(
    annotation: Any, info: FieldInfo, given: Any, loc: Location, problems: _Problems, strip: bool
) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *extras = typing.get_args(annotation)
        extra_info = next((e for e in extras if isinstance(e, FieldInfo)), None)
        if extra_info is not None and extra_info.discriminator:
            return _check_tagged(inner, extra_info.discriminator, given, loc, problems)
        return _check_value(inner, extra_info or info, given, loc, problems, strip)
    if origin in (typing.Union, types.UnionType):
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
                return _check_value(member, info, given, loc, _Problems(), strip)
            except _Invalid:
                continue
        return _check_value(tried[-1], info, given, loc, problems, strip)
    if origin is typing.Literal:
        options = typing.get_args(annotation)
        if given in options:
            return given
        expected = _either(repr(o) for o in options)
        problems.add(
            "literal_error", loc, f"Input should be {expected}", given, {"expected": expected}
        )
        raise _Invalid
    if origin is list:
        if not isinstance(given, list | tuple):
            problems.add("list_type", loc, "Input should be a valid list", given)
            raise _Invalid
        (item_type,) = typing.get_args(annotation) or (Any,)
        items, failed = [], False
        for index, item in enumerate(given):
            try:
                items.append(
                    _check_value(item_type, FieldInfo(), item, (*loc, index), problems, strip)
                )
            except _Invalid:
                failed = True
        if failed:
            raise _Invalid
        _check_length(items, info, loc, problems, "List", "item")
        return items
    if origin is dict:
        if not isinstance(given, dict):
            problems.add("dict_type", loc, "Input should be a valid dictionary", given)
            raise _Invalid
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
                    checked.append(
                        _check_value(kind, FieldInfo(), given_part, where, problems, strip)
                    )
                except _Invalid:
                    failed = True
            if len(checked) == 2:
                out[checked[0]] = checked[1]
        if failed:
            raise _Invalid
        _check_length(out, info, loc, problems, "Dictionary", "item")
        return out
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation._check(given, loc, problems)
    checker = _SCALARS.get(annotation)
    if checker is None:
        if annotation is Any:
            return given
        raise TypeError(f"the model declares a type it cannot check: {annotation!r}")
    value = problems.guarded(partial(checker, given, loc, problems, strip), loc, given)
    if isinstance(value, str):
        _check_length(value, info, loc, problems, "String", "character")
        if info.pattern is not None and not re.search(info.pattern, value):
            problems.add(
                "string_pattern_mismatch",
                loc,
                f"String should match pattern '{info.pattern}'",
                value,
                {"pattern": info.pattern},
            )
            raise _Invalid
    elif isinstance(value, int | float) and not isinstance(value, bool):
        for bound, (passes, kind, words) in _NUMBER_BOUNDS.items():
            limit = getattr(info, bound)
            if limit is not None and not passes(value, limit):
                problems.add(kind, loc, f"Input should be {words} {limit}", given, {bound: limit})
                raise _Invalid
    return value


@cache
def _compiled(annotation: str) -> types.CodeType:
    """An annotation's text compiled once: many fields share theirs (``str | None``)."""
    return compile(annotation, "<annotation>", "eval")


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_exactly(given: Any, member: Any) -> bool:
    """``given`` is already of the union's ``member``, with nothing to convert."""
    if typing.get_origin(member) is typing.Literal:
        return any(given == o and type(given) is type(o) for o in typing.get_args(member))
    if isinstance(member, type) and issubclass(member, BaseModel):
        return isinstance(given, member)
    origin = typing.get_origin(member) or member
    return isinstance(origin, type) and type(given) is origin


def _spelled(annotation: Any) -> str:
    """An annotation as source text, for a class that does not use postponed annotations."""
    return annotation.__name__ if isinstance(annotation, type) else repr(annotation)


# The ``Field`` bounds each kind of value can have; any other set on it is a mistake.
_CONSTRAINTS = ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern")
_ALLOWED_CONSTRAINTS = {
    str: ("min_length", "max_length", "pattern"),
    list: ("min_length", "max_length"),
    dict: ("min_length", "max_length"),
    int: ("ge", "gt", "le", "lt"),
    float: ("ge", "gt", "le", "lt"),
}


def _unsupported(annotation: Any, info: FieldInfo) -> str | None:
    """Why ``_check_value`` cannot check values of ``annotation`` with ``info``'s bounds, or
    None: read when a model is defined, so a mistake is the developer's at import."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        extra = next((e for e in args[1:] if isinstance(e, FieldInfo)), None)
        if extra is not None and extra.discriminator:
            return _untagged(args[0], extra.discriminator)
        return _unsupported(args[0], extra or info)
    if origin in (typing.Union, types.UnionType):
        if info.discriminator:
            return _untagged(annotation, info.discriminator)
        members = [m for m in args if m is not type(None)]
        return next((why for m in members if (why := _unsupported(m, info))), None)
    if origin is typing.Literal:
        kind: Any = typing.Literal
    elif origin in (list, dict):
        kind = origin
        inner = args or ((Any,) if origin is list else (Any, Any))
        why = next((w for a in inner if (w := _unsupported(a, FieldInfo()))), None)
        if why is not None:
            return why
    elif annotation is Any or annotation in _SCALARS or _is_model(annotation):
        kind = annotation
    else:
        known = ", ".join(t.__name__ for t in _SCALARS)
        return (
            f"{annotation!r} is not a type input.schema can check; use one of {known}, Any, "
            "Literal, a union, list, dict or a model"
        )
    allowed = _ALLOWED_CONSTRAINTS.get(kind, ())
    wrong = [c for c in _CONSTRAINTS if getattr(info, c) is not None and c not in allowed]
    if wrong:
        return f"{', '.join(wrong)} cannot bound a value of {_spelled(annotation)}"
    return None


def _untagged(union: Any, tag_field: str) -> str | None:
    """Why ``union`` cannot be told apart by ``tag_field``, or None."""
    for member in typing.get_args(union):
        if not (isinstance(member, type) and issubclass(member, BaseModel)):
            return f"{member!r} in a union chosen by {tag_field!r} is not a model"
        field = member.model_fields.get(tag_field)
        if field is None or typing.get_origin(field.annotation) is not typing.Literal:
            return f"{member.__name__} has no {tag_field!r} field of Literal values"
    return None


def _check_tagged(
    union: Any, tag_field: str, given: Any, loc: Location, problems: _Problems
) -> Any:
    """One of several models, chosen by the value of its ``tag_field`` (a channel's type)."""
    members = _models_by_tag(union, tag_field)
    expected = ", ".join(repr(t) for t in members)
    if not isinstance(given, dict):
        problems.add(
            "model_attributes_type",
            loc,
            "Input should be a valid dictionary or object to extract fields from",
            given,
        )
        raise _Invalid
    if tag_field not in given:
        problems.add(
            "union_tag_not_found",
            loc,
            f"Unable to extract tag using discriminator '{tag_field}'",
            given,
            {"discriminator": repr(tag_field), "expected_tags": expected},
        )
        raise _Invalid
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
        raise _Invalid
    return member._check(given, (*loc, tag), problems)


@lru_cache(maxsize=8)
def _models_by_tag(union: Any, tag_field: str) -> dict[str, type[BaseModel]]:
    """Each tag (a ``Literal`` value of ``tag_field``) of the union's models → its model."""
    members = {}
    for member in typing.get_args(union):
        for tag in typing.get_args(member.model_fields[tag_field].annotation):
            members[tag] = member
    return members


def _check_length(
    value: Any, info: FieldInfo, loc: Location, problems: _Problems, kind: str, unit: str
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
        raise _Invalid


def _either(options: Iterable[str]) -> str:
    listed = list(options)
    return listed[0] if len(listed) == 1 else f"{', '.join(listed[:-1])} or {listed[-1]}"


def _text(given: Any, loc: Location, problems: _Problems, strip: bool) -> str:
    if not isinstance(given, str):
        problems.add("string_type", loc, "Input should be a valid string", given)
        raise _Invalid
    return given.strip() if strip else given


def _integer(given: Any, loc: Location, problems: _Problems, strip: bool) -> int:
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
        raise _Invalid
    if isinstance(given, str) and (digits := _INTEGER.match(given)):
        return int(digits[1])
    if isinstance(given, str):
        msg = "Input should be a valid integer, unable to parse string as an integer"
        problems.add("int_parsing", loc, msg, given)
    else:
        problems.add("int_type", loc, "Input should be a valid integer", given)
    raise _Invalid


def _number(given: Any, loc: Location, problems: _Problems, strip: bool) -> float:
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
    raise _Invalid


def _truth(given: Any, loc: Location, problems: _Problems, strip: bool) -> bool:
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
    raise _Invalid


def _moment(given: Any, loc: Location, problems: _Problems, strip: bool) -> datetime:
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
            raise _Invalid from None
    if isinstance(given, str):
        text = given.strip()
        try:
            return datetime.fromisoformat(text.replace(" ", "T", 1).replace("Z", "+00:00"))
        except ValueError:
            pass
        msg = "Input should be a valid datetime, unable to parse the text as a date and time"
        problems.add("datetime_parsing", loc, msg, given)
        raise _Invalid
    problems.add("datetime_type", loc, "Input should be a valid datetime", given)
    raise _Invalid


def _duration(given: Any, loc: Location, problems: _Problems, strip: bool) -> timedelta:
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
        raise _Invalid
    problems.add("time_delta_type", loc, "Input should be a valid timedelta", given)
    raise _Invalid


def _clock(given: Any, loc: Location, problems: _Problems, strip: bool) -> time:
    """A time of day: ``18:00``, ``18:00:05``, with an offset or ``Z`` (as written)."""
    if isinstance(given, time):
        return given
    if isinstance(given, str) and re.match(_TIME_OF_DAY, given):
        try:
            return time.fromisoformat(given.replace("Z", "+00:00"))
        except ValueError:
            pass
        problems.add("time_parsing", loc, "Input should be in a valid time format", given)
        raise _Invalid
    problems.add("time_type", loc, "Input should be a valid time", given)
    raise _Invalid


def _path(given: Any, loc: Location, problems: _Problems, strip: bool) -> Path:
    if isinstance(given, Path):
        return given
    if isinstance(given, str):
        return Path(given)
    problems.add("path_type", loc, "Input is not a valid path", given)
    raise _Invalid


_SCALARS: dict[Any, Callable[[Any, Location, _Problems, bool], Any]] = {
    str: _text,
    int: _integer,
    float: _number,
    bool: _truth,
    datetime: _moment,
    timedelta: _duration,
    time: _clock,
    Path: _path,
}

__all__ = [
    "BaseModel",
    "ConfigDict",
    "Field",
    "FieldInfo",
    "ValidationError",
    "field_validator",
    "model_validator",
]
