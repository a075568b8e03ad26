"""A pager gateway: a channel defined in the test tree, to prove that a channel is one module.

Its model and facts at the top (what channels.yaml may say of it, its template, how a preview
measures it), its adapter below (a JSON POST to the gateway, with the token read from the
environment only when it sends). ``register`` makes broadcast read it; nothing in broadcast's
package names it. Its template lives beside it, in ``templates/``; an organisation installs
it in the ``templates/`` folder beside its channels.yaml, as the test does.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, ClassVar, Literal

from broadcast.channels import register
from broadcast.channels.base import Adapter, DeliveryError, Outgoing, Target
from broadcast.channels.model import ChannelConfig, Measuring
from broadcast.input.schema import Field
from broadcast.problems import Problem

# A pager shows this many characters; longer messages are refused by the gateway.
PAGER_LIMIT = 240


@register
class PagerChannel(ChannelConfig):
    """The on-call team's pagers, through a gateway taking one JSON POST per message."""

    ADAPTER: ClassVar[str] = "PagerAdapter"
    CREDENTIALS: ClassVar[tuple[str, ...]] = ("token",)
    ENV_ONLY: ClassVar[tuple[str, ...]] = ("token",)
    TEMPLATES: ClassVar[dict[str, str]] = {"text": "pager.txt.j2"}
    DESTINATION: ClassVar[tuple[str, ...]] = ("url",)
    ADDRESSING: ClassVar[tuple[str, ...]] = ("url", "group")
    AUDIENCE: ClassVar[str] = "on-call pagers"

    type: Literal["pager"]
    url: str = Field(pattern=r"^http://127\.0\.0\.1:\d+/\S*$")
    group: str = Field(default="on-call", min_length=1)
    token: str

    def measure(self, parts: dict[str, str], at: Measuring, problems: list[Any]) -> dict[str, Any]:
        text = parts.get("text", "")
        if len(text) > PAGER_LIMIT:
            problems.append(
                Problem(
                    f"the page is {len(text)} characters; a pager shows {PAGER_LIMIT}",
                    at.config.path,
                    at.config.line_of("channels", at.name),
                    "template",
                    channel=at.name,
                )
            )
        return {"characters": len(text), "limit": PAGER_LIMIT}

    @classmethod
    def measure_line(cls, measures: dict[str, Any]) -> list[str]:
        return [f"{measures['characters']}/{measures['limit']} pager characters"]


class PagerAdapter(Adapter):
    """POSTs ``{"group", "text"}`` to the gateway; its answer's ``id`` is the provider's id."""

    config: PagerChannel

    def single_target(self) -> Target:
        return Target(address=self.config.group)

    def deliver(self, message: Outgoing, target: Target) -> str:
        body = json.dumps({"group": target.address, "text": message.parts["text"]}).encode()
        request = urllib.request.Request(
            self.config.url,
            data=body,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.credentials['token']}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.request_timeout()) as answer:
                return str(json.load(answer)["id"])
        except urllib.error.HTTPError as exc:
            # A 4xx is a clear refusal; a 5xx may come after the gateway paged: maybe sent.
            raise DeliveryError(
                str(exc.code),
                f"the gateway answered {exc.code}",
                transient=exc.code >= 500,
                maybe_sent=exc.code >= 500,
            ) from None
        except OSError as exc:  # no answer (refused, reset, timed out): maybe sent
            raise DeliveryError(
                "network",
                f"no answer from the gateway ({type(exc).__name__})",
                transient=True,
                maybe_sent=True,
                answered=False,
            ) from None
