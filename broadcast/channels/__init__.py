"""The one registry of channels: channel type name → its model, which declares the rest.

A channel is one module of this package (its model and facts at the top, its adapter below)
plus its templates. Config, preflight, planner, terminal and report all ask this registry;
none of them names a channel type. The modules below are read when the registry is first
asked; a channel defined elsewhere (a test's, an organisation's own) calls ``register``.

Reading a model imports no provider SDK: an adapter's SDK is imported only when it sends, so
previews never load twilio or tweepy (they take most of a second to import).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from broadcast.channels.base import Adapter
    from broadcast.channels.model import ChannelConfig

# The channels that ship with broadcast, by module; each registers its model when read.
BUILT_IN = ("sms", "voice", "email", "twitter", "web_banner", "cap", "facebook", "apprise")

_registered: dict[str, type[ChannelConfig]] = {}
Model = TypeVar("Model", bound="type[ChannelConfig]")


def register(model: Model) -> Model:
    """Make ``model`` a channel type (a class decorator): channels.yaml may then name it."""
    from broadcast.channels.model import type_name

    if model.__module__ not in {f"{__name__}.{module}" for module in BUILT_IN}:
        channel_types()  # the built-in channels first: another may not take their names
    name = type_name(model)
    known = _registered.get(name)
    if known is not None and (known.__module__, known.__qualname__) != (
        model.__module__,
        model.__qualname__,
    ):
        # Two channels answering to one type: channels.yaml could not say which it means.
        raise TypeError(
            f"channel type '{name}' is {known.__module__}.{known.__qualname__} already; "
            f"{model.__module__}.{model.__qualname__} needs another name"
        )
    _registered[name] = model
    return model


def channel_types() -> dict[str, type[ChannelConfig]]:
    """Every channel type, built-in ones first, by the name channels.yaml gives it."""
    if not all(name in _registered for name in BUILT_IN):
        for name in BUILT_IN:
            import_module(f"broadcast.channels.{name}")
    return {**{name: _registered[name] for name in BUILT_IN}, **_registered}


def channel_model(channel_type: str) -> type[ChannelConfig]:
    return channel_types()[channel_type]


def adapter_class(channel_type: str) -> type[Adapter]:
    """The adapter of a channel type, read from its module (where its SDK is imported)."""
    model = channel_model(channel_type)
    return getattr(import_module(model.__module__), model.ADAPTER)
