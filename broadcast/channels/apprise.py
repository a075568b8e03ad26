"""The long tail of team channels through Apprise: Slack, Teams, Telegram, Mattermost, ntfy...

``urls`` in channels.yaml lists Apprise URLs, each a ``${VAR}`` secret (a webhook URL holds its
token). Each URL is one delivery in the ledger, with its own outcome and retries: the
dispatcher retries, not Apprise (which does not retry by default either). The title and the
body come from ``apprise_title.txt.j2`` and ``apprise.txt.j2``.

Apprise is imported only when this channel really sends: loading its plugins costs about
0.3 s, which previews and cron runs that send nothing must not pay.

Apprise answers a notification with True or False; why it failed is in what it logs. The
warnings logged by this thread during the call are read back, the URL's secrets removed, and
an HTTP status in them decides: a 4xx proves the service did nothing (429 is retried, the other
4xx refusals are permanent), as does a connection that could not be opened (retried). A 5xx, a
timeout or any failure Apprise does not explain may come after the service posted the message:
the services offer no lookup, so such a delivery is held as uncertain (re-sent only with
``--resend-uncertain``), never retried blindly.
"""

from __future__ import annotations

import re
import threading
from typing import Any, ClassVar, Literal

from broadcast.channels import register
from broadcast.channels.base import Adapter, Answer, DeliveryError, Outgoing, Target, answer_of
from broadcast.channels.model import ChannelConfig, PreviewBlock
from broadcast.input.schema import Field


@register
class AppriseChannel(ChannelConfig):
    """Team channels through Apprise URLs (Slack, Teams, Telegram, Mattermost, ntfy...).

    Every URL holds a token, so each is a ``${VAR}`` secret, read only when sending.
    """

    ADAPTER: ClassVar[str] = "AppriseAdapter"

    CREDENTIALS: ClassVar[tuple[str, ...]] = ("urls",)
    ENV_ONLY: ClassVar[tuple[str, ...]] = ("urls",)
    TEMPLATES: ClassVar[dict[str, str]] = {
        "title": "apprise_title.txt.j2",
        "body": "apprise.txt.j2",
    }
    # Team channels: staff read the headline and the next news there; the instructions are
    # the public's texts.
    CARRIES: ClassVar[dict[str, tuple[str, ...]]] = {"body": ("what", "next")}
    # The team channels themselves: a drill posts only to other URLs (exercise: {urls: [...]}).
    DESTINATION: ClassVar[tuple[str, ...]] = ("urls",)
    AUDIENCE: ClassVar[str] = "team channels"

    ADDRESSING: ClassVar[tuple[str, ...]] = ("urls",)

    type: Literal["apprise"]
    urls: list[str] = Field(min_length=1, max_length=50)

    def credential_refs(self) -> dict[str, str]:
        return {f"urls.{index}": ref for index, ref in enumerate(self.urls)}

    @classmethod
    def summary(cls, parts: dict[str, str], measures: dict[str, Any], languages: int) -> str:
        return parts.get("title", "")

    @classmethod
    def preview_blocks(cls, parts: dict[str, str], measures: dict[str, Any]) -> list[PreviewBlock]:
        blocks = []
        if parts.get("title"):
            blocks.append(PreviewBlock("note", parts["title"], style="bold"))
        if parts.get("body"):
            blocks.append(PreviewBlock("text", parts["body"]))
        return blocks


_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_HTTP_STATUS = re.compile(r"error[=\s](\d{3})\b|\b(\d{3})\b\s*-\s*error|HTTP (\d{3})")
_CONNECTION = re.compile(r"connection|timed out|timeout|resolve", re.IGNORECASE)
# A connection that was never opened: nothing reached the service.
_NOT_REACHED = re.compile(
    r"connection refused|failed to establish|name or service not known|"
    r"nodename nor servname|no route to host|network is unreachable|resolve",
    re.IGNORECASE,
)


def _thread_log() -> Any:
    """A handler keeping in memory Apprise's warnings logged by this thread (the one
    delivering); logging is imported only when a channel sends."""
    import logging

    class ThreadLog(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.WARNING)
            self.thread = threading.get_ident()
            self.lines: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            if record.thread == self.thread:
                self.lines.append(record.getMessage())

    return ThreadLog()


class AppriseAdapter(Adapter):
    """Hands the title and body to each Apprise URL; one URL, one delivery."""

    recipient_kind = AppriseChannel.CONTACT
    default_concurrency = AppriseChannel.DEFAULT_CONCURRENCY

    config: AppriseChannel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._services: dict[str, Any] = {}

    def fixed_targets(self) -> list[Target]:
        """One per URL, known by the name of its variable (``SLACK_WEBHOOK``), never its value."""
        targets = []
        for number, ref in enumerate(self.config.urls, start=1):
            match = _REF.match(ref)
            targets.append(Target(address=match[1] if match else f"url{number}", name=ref))
        return targets

    def deliver(self, message: Outgoing, target: Target) -> str:
        url = self._url_of(target)
        service = self._service(url, target)
        import logging

        log = _thread_log()
        logger = logging.getLogger("apprise")
        logger.addHandler(log)
        previous = logger.level
        if logger.getEffectiveLevel() > logging.WARNING:
            logger.setLevel(logging.WARNING)
        try:
            sent = service.notify(
                body=message.parts.get("body", ""), title=message.parts.get("title", "")
            )
        finally:
            logger.removeHandler(log)
            logger.setLevel(previous)
        if sent:
            return target.address
        said = _without_secrets(" ".join(log.lines), url) or "the service did not take it"
        raise _classify(said)

    def _url_of(self, target: Target) -> str:
        for index, ref in enumerate(self.config.urls):
            if ref == target.name:
                return self.credentials[f"urls.{index}"]
        raise DeliveryError("unknown", f"no URL for {target.address}", transient=False)

    def _service(self, url: str, target: Target) -> Any:
        """The Apprise object for ``url``, built once per worker."""
        if url not in self._services:
            import apprise  # only when really sending: its plugins take 0.3 s to load

            # The service's plugin itself, not an Apprise() set: a set notifies from worker
            # threads, and the warnings that say why must be read from this one.
            service = apprise.Apprise.instantiate(url)
            if service is None:
                raise DeliveryError(
                    "bad_url",
                    f"{target.address} is not an Apprise URL this version understands "
                    "(see the Apprise wiki for the service's URL form)",
                    transient=False,
                )
            self._services[url] = service
        return self._services[url]

    def close(self) -> None:
        self._services.clear()


def _classify(said: str) -> DeliveryError:
    match = _HTTP_STATUS.search(said)
    status = next((int(g) for g in match.groups() if g), None) if match else None
    if status is not None:
        transient = status == 429 or status >= 500
        answer = answer_of(status)
        what = "failed" if answer is Answer.MAYBE_SENT else "refused"
        return DeliveryError(str(status), f"{what} ({said})", transient=transient, answer=answer)
    if _NOT_REACHED.search(said):
        return DeliveryError("connection", f"could not reach the service ({said})", transient=True)
    if _CONNECTION.search(said):
        return DeliveryError(
            "connection",
            f"the connection to the service failed ({said})",
            transient=True,
            answer=Answer.MAYBE_SENT,
            answered=False,
        )
    return DeliveryError(
        "failed", f"not confirmed ({said})", transient=True, answer=Answer.MAYBE_SENT
    )


def _without_secrets(text: str, url: str) -> str:
    """``text`` without the URL or any long piece of it (tokens, webhook ids, passwords)."""
    text = text.replace(url, "…")
    for piece in sorted(re.split(r"[/:@?&=#,]+", url), key=len, reverse=True):
        if len(piece) >= 6:
            text = text.replace(piece, "…")
    return text.strip()
