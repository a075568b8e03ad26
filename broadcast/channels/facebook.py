"""Posts on a Facebook Page through the Graph API; later versions are comments on the first post.

``POST /{version}/{page_id}/feed`` (``message``, and ``link`` for the preview card) publishes
the first message about an incident; each later version is ``POST /{version}/{post_id}/comments``
on that post (``facts["reply_to"]``, the post id the ledger kept), so the whole story stays under
one post, as the X thread does. The Page access token travels in the request body, never in a
URL that a proxy might log.

Plain ``requests`` rather than ``python-facebook-api`` (``pyfacebook``): two POSTs are all we
need, requests is already installed (twilio and tweepy use it), and it leaves timeouts, the
base URL and the mapping of Graph's error codes to the dispatcher's retries in our hands.

Graph errors (``{"error": {"code": ...}}``): 190 (the token is invalid or expired) and 10/200
(missing permission) refuse the channel itself; 368 (blocked for abuse) and 100 (bad request)
are permanent; 4 (application limit), 17 (user limit), 32 (Page limit), 613, 80001 and
``is_transient`` errors, 1/2 (temporary) and any 5xx are transient. A 4xx proves nothing was
posted and is retried as it is; a 5xx, a timeout or a connection lost once the request was
out may hide a post Facebook published: it is looked up (``find_sent``) in the Page's feed, or
among the comments of the incident's post, by its exact text, created since the attempt
began on Facebook's clock (the ``Date`` of its answer), before anything is posted again.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from broadcast.channels import register
from broadcast.channels.base import (
    ClientAdapter,
    DeliveryError,
    Outgoing,
    Target,
    answer_of,
    clock_offset,
    on_provider_clock,
    request_left,
)
from broadcast.channels.model import ChannelConfig, Measuring
from broadcast.input.schema import Field, field_validator
from broadcast.problems import Problem

if TYPE_CHECKING:
    import requests


# The most characters a Facebook post holds.
FACEBOOK_LIMIT = 63_206


@register
class FacebookChannel(ChannelConfig):
    """Posts on a Facebook Page (Graph API); later versions are comments on the first post."""

    ADAPTER: ClassVar[str] = "FacebookAdapter"

    CREDENTIALS: ClassVar[tuple[str, ...]] = ("access_token",)
    ENV_ONLY: ClassVar[tuple[str, ...]] = ("access_token",)
    TEMPLATES: ClassVar[dict[str, str]] = {"text": "facebook.txt.j2"}
    # The Page says who speaks; the post has room for the instruction.
    CARRIES: ClassVar[dict[str, tuple[str, ...]]] = {"text": ("what", "do", "next")}
    PUBLIC: ClassVar[bool] = True
    AUDIENCE: ClassVar[str] = "public post"
    # Every update is a comment on the first post: the story stays in one place.
    REPLIES_TO: ClassVar[Literal["latest", "first"] | None] = "first"
    DESTINATION: ClassVar[tuple[str, ...]] = ("page_id",)

    ADDRESSING: ClassVar[tuple[str, ...]] = ("page_id",)

    type: Literal["facebook"]
    page_id: str = Field(pattern=r"^\d{5,20}$")
    access_token: str
    api_version: str = Field(default="v23.0", pattern=r"^v\d+\.\d+$")
    api_base_url: str = "https://graph.facebook.com"
    # Attach the incident's link to the first post (Facebook shows it as a preview card).
    link: bool = True
    timeout: float = Field(default=15.0, gt=0, le=120)

    @field_validator("api_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+(/\S*)?$", value):
            raise ValueError(f"'{value}' is not a web address starting with https://")
        return value.rstrip("/")

    def measure(self, parts: dict[str, str], at: Measuring, problems: list[Any]) -> dict[str, Any]:
        if "text" not in parts:
            return {}
        where = {"file": at.config.path, "channel": at.name}
        which = f" ({at.label})" if at.label else ""
        measures = {"characters": len(parts["text"]), "limit": FACEBOOK_LIMIT}
        if len(parts["text"]) > FACEBOOK_LIMIT:
            problems.append(
                Problem(
                    f"the Facebook post{which} is {len(parts['text'])} characters; a Page post "
                    f"holds {FACEBOOK_LIMIT} at most: shorten the template or the incident",
                    line=at.config.line_of("channels", at.name),
                    field="template",
                    **where,
                )
            )
        if not parts["text"].strip():
            problems.append(
                Problem(f"the Facebook post{which} is empty", field="template", **where)
            )
        return measures

    @classmethod
    def measure_line(cls, measures: dict[str, Any]) -> list[str]:
        return [f"{measures['characters']} characters"] if "characters" in measures else []

    @classmethod
    def summary(cls, parts: dict[str, str], measures: dict[str, Any], languages: int) -> str:
        return f"a post of {len(parts.get('text', ''))} characters"


# Rate limits: the app's (4), a user's (17), the Page's (32), a call type's (613), a Page's
# business use case (80001).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001})
TEMPORARY_CODES = frozenset({1, 2})
TOKEN_CODES = frozenset({190, 102})
PERMISSION_CODES = frozenset({10, 200})
# The newest posts (or comments) a lookup reads.
LOOKUP_LIMIT = 50


class FacebookAdapter(ClientAdapter["requests.Session"]):
    """Posts ``message.parts["text"]`` on the Page, or as a comment on the incident's post."""

    recipient_kind = FacebookChannel.CONTACT
    default_concurrency = FacebookChannel.DEFAULT_CONCURRENCY
    can_look_up: ClassVar[bool] = True

    config: FacebookChannel

    def find_sent(
        self,
        message: Outgoing,
        target: Target,
        since: datetime,
        others: frozenset[str] = frozenset(),
    ) -> str | None:
        """The id of a post (or comment) with this exact text made since ``since``, if any,
        never one of ``others`` (the ledger's for other deliveries).

        ``GET /{page_id}/feed`` (or ``/{post_id}/comments``, newest first), the token in the
        Authorization header, never in the URL; the window read on Facebook's clock.
        """
        config = self.config
        root = message.facts.get("reply_to")
        path = f"{root}/comments" if root else f"{config.page_id}/feed"
        params = {"fields": "id,message,created_time", "limit": str(LOOKUP_LIMIT)}
        if root:
            params["order"] = "reverse_chronological"
        url = f"{config.api_base_url}/{config.api_version}/{path}"
        headers = {"Authorization": f"Bearer {self.credentials['access_token']}"}
        import requests

        try:
            response = self.client().get(
                url, params=params, headers=headers, timeout=config.timeout
            )
        except requests.RequestException as exc:
            raise DeliveryError(
                "lookup", f"could not ask Facebook ({type(exc).__name__})", transient=True
            ) from None
        if not response.ok:
            error = classify(response)
            raise DeliveryError(
                error.code,
                f"the Page's posts could not be read: {error.message}",
                transient=error.transient,
                retry_after=error.retry_after,
            )
        window = on_provider_clock(
            since.astimezone(UTC), clock_offset(response.headers.get("Date"), datetime.now(UTC))
        )
        try:
            items = response.json().get("data") or []
        except (ValueError, AttributeError):
            raise DeliveryError(
                "bad_answer", "Facebook's answer to the lookup could not be read", transient=True
            ) from None
        text = message.parts["text"].strip()
        for item in items:
            if not isinstance(item, dict):
                continue
            created = _graph_time(item.get("created_time"))
            if window is not None and created is not None and created < window:
                return None  # newest first: the rest is older still
            found = str(item.get("id") or "")
            if found and found not in others and str(item.get("message") or "").strip() == text:
                return found
        return None

    def deliver(self, message: Outgoing, target: Target) -> str:
        """The new post's id (``{page_id}_{post_id}``), or the comment's id."""
        config = self.config
        fields = {
            "message": message.parts["text"],
            "access_token": self.credentials["access_token"],
        }
        root = message.facts.get("reply_to")
        if root:
            path = f"{root}/comments"
        else:
            path = f"{config.page_id}/feed"
            if config.link and message.facts.get("link"):
                fields["link"] = str(message.facts["link"])
        url = f"{config.api_base_url}/{config.api_version}/{path}"
        import requests

        try:
            response = self.client().post(url, data=fields, timeout=config.timeout)
        except requests.Timeout as exc:
            raise DeliveryError(
                "timeout",
                f"Facebook did not answer within {config.timeout:g} s",
                transient=True,
                answer=answer_of(None, left=request_left(exc)),
                answered=False,
            ) from None
        except requests.RequestException as exc:
            raise DeliveryError(
                "connection",
                f"could not reach Facebook ({type(exc).__name__})",
                transient=True,
                answer=answer_of(None, left=request_left(exc)),
                answered=False,
            ) from None
        if response.ok:
            try:
                return str(response.json()["id"])
            except (ValueError, KeyError, TypeError):
                # It said yes, without saying to what: the post may well be up.
                raise DeliveryError(
                    "bad_answer",
                    "Facebook answered without the post's id",
                    transient=False,
                    answer=answer_of(response.status_code),
                ) from None
        raise classify(response)

    def build_client(self) -> requests.Session:
        import requests

        session = requests.Session()
        session.headers["User-Agent"] = "broadcast"
        return session

    def release_client(self, client: requests.Session) -> None:
        client.close()


def classify(response: requests.Response) -> DeliveryError:
    """Graph's error as the dispatcher's: transient (retried), permanent, or the channel's."""
    error = _error_of(response)
    code = error.get("code")
    said = str(error.get("message") or f"HTTP {response.status_code}")
    label = str(code) if code is not None else str(response.status_code)
    # Only a 4xx proves Graph did nothing with the request; a 5xx may follow a post it made.
    answer = answer_of(response.status_code)
    if code in TOKEN_CODES or (code is None and response.status_code == 401):
        return DeliveryError(
            label,
            f"credentials refused: Facebook did not accept the Page access token ({said})",
            transient=False,
            channel_fault=True,
        )
    if code in PERMISSION_CODES:
        return DeliveryError(
            label,
            f"credentials refused: the Page access token may not post ({said})",
            transient=False,
            channel_fault=True,
        )
    if code in RATE_LIMIT_CODES:
        return DeliveryError(
            label,
            f"Facebook rate limit reached ({said})",
            transient=True,
            retry_after=_retry_after(response),
            answer=answer,
        )
    if code == 368:
        return DeliveryError(
            label,
            f"Facebook blocked the post as abusive or disallowed ({said})",
            transient=False,
            answer=answer,
        )
    if code in TEMPORARY_CODES or error.get("is_transient") or response.status_code >= 500:
        return DeliveryError(
            label, f"Facebook failed for now ({said})", transient=True, answer=answer
        )
    return DeliveryError(
        label, f"Facebook refused the post ({said})", transient=False, answer=answer
    )


def _error_of(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _graph_time(value: Any) -> datetime | None:
    """Graph's ``created_time`` (``2026-11-22T08:40:00+0000``), or None."""
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return None if value is None else max(1.0, float(value))
    except ValueError:
        return None
