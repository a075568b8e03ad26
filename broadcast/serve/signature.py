"""Twilio's signature on a webhook (``X-Twilio-Signature``), checked with the SDK's own
``RequestValidator`` against the URL Twilio called: the configured public base URL and the
path (with its query), never the address the request reached behind the reverse proxy, which
Twilio never signed. A request signed for another URL (a replay elsewhere) fails."""

from __future__ import annotations

from collections.abc import Mapping

TOKEN_ENV = "TWILIO_AUTH_TOKEN"


class Signatures:
    """Checks signatures with the account's auth token (from the environment only)."""

    def __init__(self, auth_token: str, public_url: str) -> None:
        from twilio.request_validator import RequestValidator

        self._validator = RequestValidator(auth_token)
        self.public_url = public_url.rstrip("/")

    def url_for(self, path: str, query: str = "") -> str:
        return self.public_url + path + (f"?{query}" if query else "")

    def valid(self, path: str, query: str, form: Mapping[str, str], signature: str) -> bool:
        if not signature:
            return False
        return bool(self._validator.validate(self.url_for(path, query), dict(form), signature))
