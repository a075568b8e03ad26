"""Signed tokens for the links sent to a subscriber (confirm, unsubscribe, see and erase) and
for the sign-up forms' CSRF tokens: ``payload.signature``, the payload a compact JSON (its
purpose, what it names, when it ends), the signature an HMAC-SHA-256 with a key derived from the
ledger's recipient secret (``Ledger.derived_key``): never stored, the same on every host sharing
the ledger, and a token made for one purpose is refused for another. Here, in the ledger's
package, because both ``broadcast serve`` (which checks them) and a send (whose emails carry an
unsubscribe link) make them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import quote

# A form's CSRF token lives this long (a person filling the form slowly still succeeds).
CSRF_SECONDS = 2 * 3600
# The label of the key every link and form token is signed with.
LINKS_KEY = "signup links"


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


def unsubscribe_link(public_url: str, signer: Signer, subscriber_id: int) -> str:
    """The RFC 8058 one-click link of one subscriber (``POST`` ends the subscription)."""
    token = signer.make("unsubscribe", None, i=subscriber_id)
    return f"{public_url.rstrip('/')}/unsubscribe?token={quote(token)}"
