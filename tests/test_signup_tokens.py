"""The sign-up pages' signed tokens and who the client is: a token is refused for another
purpose, once expired, or changed by one character; a CSRF token holds only with its own
cookie; X-Forwarded-For is believed only from a trusted proxy, and only its rightmost entry
that is not one (the leftmost are the client's own words)."""

from __future__ import annotations

from broadcast.ledger.signed_links import Signer, unsubscribe_link
from broadcast.serve.tokens import client_address


def test_a_token_holds_for_its_purpose_only_and_not_once_changed_or_expired() -> None:
    signer = Signer(b"k" * 32)
    token = signer.make("me", None, i=7)
    assert signer.read(token, "me") == {"p": "me", "i": 7}
    assert signer.read(token, "unsubscribe") is None
    payload, mac = token.split(".")
    assert signer.read(payload + "." + mac[:-1] + ("A" if mac[-1] != "A" else "B"), "me") is None
    assert Signer(b"x" * 32).read(token, "me") is None  # another ledger's key
    expired = signer.make("confirm", -1, k="abc")
    assert signer.read(expired, "confirm") is None
    assert signer.read("not a token", "me") is None
    link = unsubscribe_link("https://alerts.example.org/", signer, 3)
    assert link.startswith("https://alerts.example.org/unsubscribe?token=")


def test_a_csrf_token_holds_only_with_its_own_cookie() -> None:
    signer = Signer(b"k" * 32)
    cookie, token = signer.new_csrf()
    other_cookie, other_token = signer.new_csrf()
    assert signer.csrf_ok(token, cookie)
    assert not signer.csrf_ok(token, other_cookie)
    assert not signer.csrf_ok(other_token, cookie)
    assert not signer.csrf_ok(token, "")
    assert not signer.csrf_ok(signer.make("me", None, n=cookie), cookie)


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    forged = "6.6.6.6, 203.0.113.7"
    # No trusted proxy, or a peer that is not one: the peer itself, whatever the header says.
    assert client_address("198.51.100.1", forged, []) == "198.51.100.1"
    assert client_address("198.51.100.1", forged, ["127.0.0.1"]) == "198.51.100.1"
    # From the proxy: the rightmost entry not a proxy (the proxy appended the real client).
    assert client_address("127.0.0.1", forged, ["127.0.0.1"]) == "203.0.113.7"
    assert client_address("10.0.0.5", "203.0.113.7, 10.0.0.9", ["10.0.0.0/8"]) == "203.0.113.7"
    # Nothing usable in the header: the proxy's own address.
    assert client_address("127.0.0.1", "", ["127.0.0.1"]) == "127.0.0.1"
