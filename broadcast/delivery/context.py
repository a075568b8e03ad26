"""What an adapter is handed besides its channel's configuration and credentials, built in
one place for every run that delivers (the dispatcher, the follow-up, the receipts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from broadcast.channels.base import DeliveryContext


def public_url(config: Any) -> str | None:
    """``serve: public_url`` of channels.yaml (no trailing ``/``), when configured: the base
    URL ``broadcast serve`` answers under, where providers post their status callbacks."""
    serve = getattr(config, "serve", None)
    url = getattr(serve, "public_url", None) if serve is not None else None
    return str(url).rstrip("/") if url else None


def delivery_context(config: Any, now: datetime) -> DeliveryContext:
    """The context of ``config``'s adapters at ``now``."""
    return DeliveryContext(config_folder=config.folder, now=now, public_url=public_url(config))
