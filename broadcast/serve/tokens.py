"""What the sign-up pages sign and check: links sent to a person (confirm, unsubscribe, see and
erase), the CSRF token of every form, and who the client is behind the reverse proxy.

A token is ``payload.signature``: the payload a compact JSON (its purpose, what it names, when
it ends), the signature an HMAC-SHA-256 with a key derived from the ledger's recipient secret
(``Ledger.derived_key``): never stored, the same on every host sharing the ledger, and a token
made for one purpose is refused for another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from collections.abc import Sequence
from typing import Any

# A form's CSRF token lives this long (a person filling the form slowly still succeeds).
CSRF_SECONDS = 2 * 3600
CSRF_COOKIE = "broadcast_csrf"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Makes and checks tokens with one key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest()[:20])

    def make(self, purpose: str, seconds: float | None = None, **fields: Any) -> str:
        data: dict[str, Any] = {"p": purpose, **fields}
        if seconds is not None:
            data["x"] = int(time.time() + seconds)
        payload = _b64(json.dumps(data, separators=(",", ":")).encode())
        return f"{payload}.{self._mac(payload)}"

    def read(self, token: str, purpose: str) -> dict[str, Any] | None:
        """The token's fields when it is ours, for ``purpose``, and not expired; else None."""
        if len(token) > 1000 or token.count(".") != 1:
            return None
        payload, mac = token.split(".")
        if not hmac.compare_digest(self._mac(payload), mac):
            return None
        try:
            data = json.loads(_unb64(payload))
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("p") != purpose:
            return None
        if "x" in data and time.time() > float(data["x"]):
            return None
        return data

    # -- CSRF: a signed token naming a random value the browser also holds in a cookie -------

    def new_csrf(self) -> tuple[str, str]:
        """(the cookie's value, the form's token)."""
        nonce = secrets.token_urlsafe(16)
        return nonce, self.make("csrf", CSRF_SECONDS, n=nonce)

    def csrf_ok(self, token: str, cookie: str) -> bool:
        data = self.read(token, "csrf")
        return data is not None and bool(cookie) and hmac.compare_digest(str(data["n"]), cookie)


def client_address(peer: str, forwarded_for: str, trusted: Sequence[str]) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy; then the
    rightmost X-Forwarded-For entry that is not a trusted proxy (the leftmost ones are the
    client's own words, which anyone can write)."""
    networks = [ipaddress.ip_network(item, strict=False) for item in trusted]

    def is_trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in network for network in networks)

    if not networks or not is_trusted(peer):
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if not is_trusted(hop):
            return hop
    return peer
