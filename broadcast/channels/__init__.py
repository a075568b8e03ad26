"""The registry of channel adapters: channel type name → adapter class.

Adapters are imported only when a channel really sends, so previews never load the provider
SDKs (twilio and tweepy take most of a second to import). A new channel type is one module
in this package plus one line here (and its model in ``broadcast.input.config``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from broadcast.channels.base import Adapter

ADAPTERS: dict[str, str] = {
    "sms": "broadcast.channels.sms:SmsAdapter",
    "voice": "broadcast.channels.voice:VoiceAdapter",
    "email": "broadcast.channels.email:EmailAdapter",
    "twitter": "broadcast.channels.twitter:TwitterAdapter",
    "web_banner": "broadcast.channels.web_banner:WebBannerAdapter",
    "cap": "broadcast.channels.cap:CapAdapter",
    "facebook": "broadcast.channels.facebook:FacebookAdapter",
    "apprise": "broadcast.channels.apprise:AppriseAdapter",
}


def adapter_class(channel_type: str) -> type[Adapter]:
    module_name, _, class_name = ADAPTERS[channel_type].partition(":")
    return getattr(import_module(module_name), class_name)
