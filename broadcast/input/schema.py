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
validators before and after a field and after the whole model. How one value is read and
checked against its field's type is ``input.field_checks``.

Each field's type is read and checked when its class is defined: a type or a bound this module
cannot check is a ``TypeError`` at import, for the developer, never a surprise at the first file
that uses the field. Whatever a field's check raises is a problem at that field's location.
``tests/test_schema_differential.py`` holds it to pydantic 2's results on the same declarations.
"""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import cache, partial
from pathlib import Path
from typing import Any, ClassVar

from broadcast.input.field_checks import (
    MISSING,
    CheckedModel,
    FieldInfo,
    Invalid,
    Location,
    Problems,
    check_value,
    unsupported,
)


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


def Field(
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


@typing.dataclass_transform(kw_only_default=True, field_specifiers=(Field, FieldInfo))
class BaseModel(CheckedModel):
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
        # The class's own annotations (as inspect.get_annotations reads them, without
        # importing inspect, ~10 ms at each start).
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063
            text = annotation if isinstance(annotation, str) else repr(annotation)
            if name.startswith("_") or "ClassVar" in text or name == "model_config":
                continue
            declared = cls.__dict__.get(name, MISSING)
            info = declared if isinstance(declared, FieldInfo) else FieldInfo(default=declared)
            info.name = name
            try:
                hint = eval(_compiled(text), namespace, own) if text is annotation else annotation
            except NameError as error:
                raise TypeError(
                    f"{cls.__qualname__}.{name}: its type {text!r} names {error.name!r}, which "
                    "is not defined before the class: define it first"
                ) from None
            if (why := unsupported(hint, info)) is not None:
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
        problems = Problems()
        try:
            return cls._check(data, (), problems)
        except Invalid:
            raise ValidationError(cls.__name__, problems.items) from None

    @classmethod
    def _check(cls, data: Any, loc: Location, problems: Problems) -> typing.Self:
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
            raise Invalid
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
            except Invalid:
                failed = True
        if cls.model_config.get("extra") == "forbid":
            for key in data:
                if key not in used:
                    problems.add(
                        "extra_forbidden", (*loc, key), "Extra inputs are not permitted", data[key]
                    )
                    failed = True
        if failed:
            raise Invalid
        instance = cls.__new__(cls)
        object.__setattr__(instance, "__dict__", values)
        for validator in cls._validators:
            if validator.whole_model and validator.mode == "after":
                instance = problems.guarded(validator.__get__(instance, cls), loc, data)
        return instance

    @classmethod
    def _check_field(cls, info: FieldInfo, given: Any, loc: Location, problems: Problems) -> Any:
        mine = [v for v in cls._validators if not v.whole_model and info.name in v.fields]
        for validator in mine:
            if validator.mode == "before":
                given = problems.guarded(partial(validator.__get__(None, cls), given), loc, given)
        strip = cls.model_config.get("str_strip_whitespace", False)
        value = check_value(info.annotation, info, given, loc, problems, strip)
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


@cache
def _compiled(annotation: str) -> types.CodeType:
    """An annotation's text compiled once: many fields share theirs (``str | None``)."""
    return compile(annotation, "<annotation>", "eval")


__all__ = [
    "BaseModel",
    "ConfigDict",
    "Field",
    "FieldInfo",
    "ValidationError",
    "field_validator",
    "model_validator",
]
