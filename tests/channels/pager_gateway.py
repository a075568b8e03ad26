"""The pager gateway the test channel talks to: a local HTTP peer on 127.0.0.1.

It takes ``POST /pages`` with ``{"group", "text"}`` and the gateway's bearer token, answers
``{"id": "page-N"}``, and records every request (:class:`PeerServer` does); a wrong token is a
401, a pager's 240 characters exceeded a 413.
"""

from __future__ import annotations

import json
import threading

from tests.peers.base import IncomingRequest, PeerServer, Reply

TOKEN = "pager-token-7f3c9d"


class PagerGateway(PeerServer):
    name = "pager"

    def __init__(self) -> None:
        super().__init__()
        self._count = 0
        self._counting = threading.Lock()

    def pages(self) -> list[dict]:
        return [r.json() for r in self.requests() if r.path == "/pages" and r.status == 200]

    def handle(self, request: IncomingRequest) -> Reply:
        if request.method != "POST" or request.path != "/pages":
            return Reply.json(404, {"error": "POST /pages only"})
        if request.header("Authorization") != f"Bearer {TOKEN}":
            return Reply.json(401, {"error": "bad token"})
        page = json.loads(request.body)
        if len(page["text"]) > 240:
            return Reply.json(413, {"error": "a pager shows 240 characters"})
        with self._counting:
            self._count += 1
            return Reply.json(200, {"id": f"page-{self._count}"})
