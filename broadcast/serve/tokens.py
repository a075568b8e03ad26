"""Who the client of a sign-up page is behind the reverse proxy; the tokens themselves are
``broadcast.ledger.signed_links`` (a send makes unsubscribe links with the same key)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from broadcast.ledger.signed_links import CSRF_SECONDS as CSRF_SECONDS
from broadcast.ledger.signed_links import LINKS_KEY as LINKS_KEY
from broadcast.ledger.signed_links import Signer as Signer

CSRF_COOKIE = "broadcast_csrf"


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
