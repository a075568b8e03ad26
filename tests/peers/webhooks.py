"""A local receiver for the webhooks Apprise posts to: JSON (``json://``), ntfy (``ntfy://``)
and Mattermost incoming webhooks (``mmost://``), all plain HTTP POSTs on 127.0.0.1.

It answers 200 ``{"ok": true}`` and records every request (:class:`PeerServer` does). A path
given to ``refuse`` is answered with that status instead, every time; one-shot failures use the
base's ``fail_next`` (5xx) and ``rate_limit_next`` (429).
"""

from __future__ import annotations

from .base import IncomingRequest, PeerServer, Reply


class WebhookServer(PeerServer):
    """Takes any POST; ``refuse(path, status)`` makes one path fail for good."""

    name = "webhooks"

    def __init__(self, *, latency: float = 0.0) -> None:
        super().__init__(latency=latency)
        self._refused: dict[str, int] = {}

    def refuse(self, path: str, status: int) -> None:
        with self.lock:
            self._refused[path] = status

    def posts_to(self, path: str) -> list:
        return [r for r in self.requests() if r.path == path and r.status == 200]

    def handle(self, request: IncomingRequest) -> Reply:
        with self.lock:
            status = self._refused.get(request.path)
        if status is not None:
            return Reply.json(status, {"error": "refused by the test"})
        if request.method != "POST":
            return Reply.json(405, {"error": "POST only"})
        return Reply.json(200, {"ok": True})
