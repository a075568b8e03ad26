"""Posts on X through API v2 (tweepy, OAuth 1.0a user context): one post or a thread per delivery.

The channel has a single target, the account. A thread is posted in order, each post replying to
the one before; the first replies to ``facts["reply_to"]`` when an update continues an incident's
earlier thread. Failures come out as ``DeliveryError`` (rate limit: retried; duplicate text,
refused credentials: not). A 5xx, a timeout or a connection lost once the post was out may hide
a post X published: it is looked up in the account's timeline (``find_sent``: the exact text,
replying to the same post, created since the attempt began on X's clock) before anything is
posted again. When a thread stops part way, the posts already out are named in the error and
remembered, so that a retry continues with the next post instead of posting the head again
(see ``TwitterAdapter.deliver``).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from broadcast.channels import register
from broadcast.channels.base import (
    Answer,
    ClientAdapter,
    DeliveryError,
    Outgoing,
    Target,
    answer_of,
    clock_offset,
    on_provider_clock,
    request_left,
)
from broadcast.channels.model import ChannelConfig, Measuring, PreviewBlock
from broadcast.input.schema import Field
from broadcast.problems import Problem

if TYPE_CHECKING:
    import requests
    import tweepy


# The most a post on X weighs (twitter-text's weighted length).
TWEET_LIMIT = 280


@register
class TwitterChannel(ChannelConfig):
    ADAPTER: ClassVar[str] = "TwitterAdapter"
    CREDENTIALS: ClassVar[tuple[str, ...]] = (
        "consumer_key",
        "consumer_secret",
        "access_token",
        "access_token_secret",
    )
    ENV_ONLY: ClassVar[tuple[str, ...]] = ("consumer_secret", "access_token_secret")
    TEMPLATES: ClassVar[dict[str, str]] = {"text": "tweet.txt.j2"}
    # A post is short and its account says who speaks: what, and when the next news comes.
    CARRIES: ClassVar[dict[str, tuple[str, ...]]] = {"text": ("what", "next")}

    PUBLIC: ClassVar[bool] = True
    AUDIENCE: ClassVar[str] = "public post"
    # A later version is a reply to the last post: the incident is one thread.
    REPLIES_TO: ClassVar[Literal["latest", "first"] | None] = "latest"
    # The account: its user access token (the consumer key is the app, shared by accounts).
    DESTINATION: ClassVar[tuple[str, ...]] = ("access_token",)

    ADDRESSING: ClassVar[tuple[str, ...]] = ("access_token",)

    type: Literal["twitter"]
    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str
    api_base_url: str | None = None
    # Seconds to wait for the provider's answer (15 unless given); a later answer is looked
    # up, never sent again blindly.
    timeout: float | None = Field(default=None, gt=0, le=120)
    template: str | None = None

    def template_names(self, reminder: bool = False, correction: bool = False) -> dict[str, str]:
        names = super().template_names(reminder, correction)
        plain = not (reminder or correction)
        return {**names, "text": self.template} if self.template and plain else names

    def measure(self, parts: dict[str, str], at: Measuring, problems: list[Any]) -> dict[str, Any]:
        if "text" not in parts:
            return {}
        from broadcast.content.measure import tweet_weighted_length
        from broadcast.content.thread import split_thread

        which = f" ({at.label})" if at.label else ""
        length = tweet_weighted_length(parts["text"])
        try:
            thread = split_thread(parts["text"], TWEET_LIMIT)
        except ValueError as exc:
            problems.append(
                Problem(
                    f"the post on X{which} cannot be cut into a thread ({exc}); look in the "
                    "incident for a long run of symbols with no space",
                    line=at.config.line_of("channels", at.name),
                    file=at.config.path,
                    channel=at.name,
                )
            )
            thread = []
        return {"weighted_length": length, "limit": TWEET_LIMIT, "thread": thread}

    @classmethod
    def measure_line(cls, measures: dict[str, Any]) -> list[str]:
        if "weighted_length" not in measures:
            return []
        posts = len(measures.get("thread", ())) or 1
        if posts > 1:
            return [f"{measures['weighted_length']} weighted: a thread of {posts} posts"]
        return [f"{measures['weighted_length']}/{measures['limit']} weighted"]

    @classmethod
    def summary(cls, parts: dict[str, str], measures: dict[str, Any], languages: int) -> str:
        posts = len(measures.get("thread", ())) or 1
        return f"{posts} post{'s' * (posts != 1)}"

    @classmethod
    def preview_blocks(cls, parts: dict[str, str], measures: dict[str, Any]) -> list[PreviewBlock]:
        thread = measures.get("thread", ())
        if len(thread) <= 1:
            return super().preview_blocks(parts, measures)
        from broadcast.content.measure import tweet_weighted_length

        return [
            PreviewBlock(
                "box", post, f"post {number}", f"{tweet_weighted_length(post)}/{TWEET_LIMIT}"
            )
            for number, post in enumerate(thread, start=1)
        ]


# Seconds to wait for X's answer unless the channel's ``timeout`` says otherwise.
REQUEST_TIMEOUT = 15.0
# The newest posts of the account a lookup reads (X's most per page).
LOOKUP_POSTS = 100
_LINK = re.compile(r"https?://\S+")

# A thread, as far as a retry needs to know it: its posts and what the first one replies to.
ThreadKey = tuple[tuple[str, ...], str | None]


class ThreadIncomplete(DeliveryError):
    """A thread stopped part way: ``posted`` holds the ids of the posts already out, in order."""

    def __init__(self, cause: DeliveryError, posted: tuple[str, ...], total: int) -> None:
        ids = ", ".join(posted)
        super().__init__(
            cause.code,
            f"{cause.message}; posts 1-{len(posted)} of {total} are out (ids {ids}), "
            f"a retry continues with post {len(posted) + 1}",
            transient=cause.transient,
            retry_after=cause.retry_after,
            answer=cause.answer,
        )
        self.posted = posted


class TwitterAdapter(ClientAdapter["tweepy.Client"]):
    """Posts ``message.thread`` (or ``message.parts["text"]``) on the configured account."""

    recipient_kind = TwitterChannel.CONTACT
    default_concurrency = TwitterChannel.DEFAULT_CONCURRENCY
    default_rate = TwitterChannel.DEFAULT_RATE
    can_look_up = True

    config: TwitterChannel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Posts already out for threads that stopped part way; see deliver().
        self._posted: dict[ThreadKey, list[str]] = {}
        # X's clock less ours, from the Date of its last answer.
        self._offset: timedelta | None = None

    def request_timeout(self) -> float:
        return float(self.config.timeout or REQUEST_TIMEOUT)

    @staticmethod
    def _thread(message: Outgoing) -> tuple[tuple[str, ...], ThreadKey]:
        posts = tuple(message.thread) or (message.parts["text"],)
        reply_to = message.facts.get("reply_to")
        return posts, (posts, None if reply_to is None else str(reply_to))

    def find_sent(
        self,
        message: Outgoing,
        target: Target,
        since: datetime,
        others: frozenset[str] = frozenset(),
    ) -> str | None:
        """The ids of the thread's posts if X published them all since ``since``, never one of
        ``others`` (posts the ledger holds for other deliveries).

        The account's newest posts are read (``GET /2/users/:id/tweets``) and each post of the
        thread matched in order: the same text (links aside: X shortens them), replying to the
        one before (the first to ``reply_to``), created since the attempt began as X's clock
        (its ``Date``) reads it. Posts found at the head of a thread that is not all out are
        remembered, so that ``deliver`` continues after them.
        """
        posts, key = self._thread(message)
        known = list(self._posted.get(key, []))
        import requests
        import tweepy

        client = self.client()
        try:
            response = client.get_users_tweets(
                self._user_id(client),
                max_results=LOOKUP_POSTS,
                tweet_fields=["created_at", "referenced_tweets"],
                user_auth=True,
            )
        except (tweepy.TweepyException, requests.RequestException) as exc:
            error = _classify(exc)
            # A lookup refused (a plan without timeline reads) says so, as the lookup's.
            raise DeliveryError(
                error.code,
                f"X's timeline could not be read: {error.message}",
                transient=error.transient,
                retry_after=error.retry_after,
            ) from None
        window = on_provider_clock(since.astimezone(UTC), self._offset)
        timeline = [
            tweet
            for tweet in reversed(response.data or [])  # oldest first
            if window is None or tweet.created_at is None or tweet.created_at >= window
        ]
        # The ledger keeps a thread's ids joined by ","; each is another delivery's post.
        taken = {post_id for joined in others for post_id in joined.split(",")}
        found = known
        previous = found[-1] if found else key[1]
        for text in posts[len(found) :]:
            match = next(
                (
                    tweet
                    for tweet in timeline
                    if _comparable(tweet.text) == _comparable(text)
                    and _replied_to(tweet) == previous
                    and str(tweet.id) not in found
                    and str(tweet.id) not in taken
                ),
                None,
            )
            if match is None:
                break
            found.append(str(match.id))
            previous = str(match.id)
        if len(found) == len(posts):
            self._posted.pop(key, None)
            return ",".join(found)
        if found:
            self._posted[key] = found
        return None

    def _user_id(self, client: tweepy.Client) -> str:
        """The account's id: an OAuth 1.0a access token starts with it; else ask X."""
        head, dash, _ = self.credentials["access_token"].partition("-")
        if dash and head.isdigit():
            return head
        me = client.get_me(user_auth=True)
        return str(me.data.id)

    def deliver(self, message: Outgoing, target: Target) -> str:
        """Post the thread; return the post ids joined by "," (the head first).

        If post k of n fails, the error names posts 1..k-1 and the adapter keeps their ids, keyed
        by the thread's texts and reply target: delivering the same message again on this
        instance posts k..n only, the first of them replying to post k-1. X refuses a duplicate
        text anyway, so re-posting the head would only fail. The memory is per instance, i.e.
        per worker; after a crash the ids in the error (``ThreadIncomplete.posted``) are what
        is left.
        """
        posts, key = self._thread(message)
        import requests
        import tweepy

        posted = self._posted.setdefault(key, [])
        client = self.client()
        for text in posts[len(posted) :]:
            previous = posted[-1] if posted else key[1]
            try:
                response = client.create_tweet(text=text, in_reply_to_tweet_id=previous)
            except (tweepy.TweepyException, requests.RequestException) as exc:
                error = _classify(exc)
                if posted:
                    raise ThreadIncomplete(error, tuple(posted), len(posts)) from None
                raise error from None
            posted.append(str(response.data["id"]))
        del self._posted[key]
        return ",".join(posted)

    def build_client(self) -> tweepy.Client:
        import tweepy

        from broadcast.channels.twitter_transport import TimeoutHTTPAdapter

        client = tweepy.Client(
            consumer_key=self.credentials["consumer_key"],
            consumer_secret=self.credentials["consumer_secret"],
            access_token=self.credentials["access_token"],
            access_token_secret=self.credentials["access_token_secret"],
            # Waiting is the dispatcher's call: it knows the other deliveries and the clock.
            wait_on_rate_limit=False,
        )
        transport = TimeoutHTTPAdapter(
            timeout=self.request_timeout(), base_url=self.config.api_base_url
        )
        client.session.mount("https://", transport)
        client.session.mount("http://", transport)
        client.session.hooks["response"].append(self._read_clock)
        return client

    def _read_clock(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._offset = clock_offset(response.headers.get("Date"), datetime.now(UTC))

    def release_client(self, client: tweepy.Client) -> None:
        client.session.close()


def _classify(exc: Exception) -> DeliveryError:
    import requests
    import tweepy

    if isinstance(exc, tweepy.TooManyRequests):
        return DeliveryError(
            "rate_limited",
            "X rate limit reached",
            transient=True,
            retry_after=_seconds_until_reset(exc.response),
        )
    if isinstance(exc, tweepy.TwitterServerError):
        status = exc.response.status_code
        return DeliveryError(
            str(status), f"X answered HTTP {status}", transient=True, answer=answer_of(status)
        )
    if isinstance(exc, requests.Timeout):
        return DeliveryError(
            "timeout",
            "X did not answer in time",
            transient=True,
            answer=answer_of(None, left=request_left(exc)),
            answered=False,
        )
    if isinstance(exc, requests.ConnectionError):
        return DeliveryError(
            "connection",
            f"could not reach X ({type(exc).__name__})",
            transient=True,
            answer=answer_of(None, left=request_left(exc)),
            answered=False,
        )
    if isinstance(exc, tweepy.Unauthorized):
        return DeliveryError(
            "unauthorized",
            "credentials refused (HTTP 401): X did not accept the consumer key and access token",
            transient=False,
            channel_fault=True,
        )
    if isinstance(exc, tweepy.Forbidden):
        said = _said(exc)
        if 187 in exc.api_codes or "duplicate" in said.lower():
            return DeliveryError(
                "duplicate", "X refuses a post identical to an earlier one", transient=False
            )
        if "reply" in said.lower() or "deleted" in said.lower():
            return DeliveryError("forbidden", f"X refused the post: {said}", transient=False)
        # Otherwise the app or account may not post (app-only or read-only keys, a suspended
        # account): every post would be refused, so it is the channel's fault, not this post's.
        return DeliveryError(
            "forbidden",
            f"credentials refused (HTTP 403): X refused the post: {said}",
            transient=False,
            channel_fault=True,
        )
    if isinstance(exc, tweepy.BadRequest):
        return DeliveryError("bad_request", f"X refused the post: {_said(exc)}", transient=False)
    if isinstance(exc, tweepy.HTTPException):
        status = exc.response.status_code
        return DeliveryError(
            str(status), f"X answered HTTP {status}", transient=False, answer=answer_of(status)
        )
    # Anything else (an answer tweepy could not read) may come after X published the post.
    return DeliveryError(
        "request",
        f"could not post on X ({type(exc).__name__})",
        transient=False,
        answer=Answer.MAYBE_SENT,
    )


def _comparable(text: str) -> str:
    """A post's text as a lookup compares it: X shortens every link (t.co) and may trim."""
    return " ".join(_LINK.sub("<link>", text).split())


def _replied_to(tweet: Any) -> str | None:
    for reference in getattr(tweet, "referenced_tweets", None) or ():
        if reference.type == "replied_to":
            return str(reference.id)
    return None


def _said(exc: tweepy.HTTPException) -> str:
    """X's own words: the API's error messages, or its problem ``detail``."""
    if exc.api_messages:
        return "; ".join(str(message) for message in exc.api_messages)
    try:
        detail = exc.response.json().get("detail")
    except ValueError:
        detail = None
    return str(detail or f"HTTP {exc.response.status_code}")


def _seconds_until_reset(response: requests.Response) -> float | None:
    """Seconds until ``x-rate-limit-reset`` (epoch seconds), at least 1; else ``Retry-After``."""
    reset = response.headers.get("x-rate-limit-reset")
    if reset is not None:
        try:
            return max(1.0, float(reset) - time.time())
        except ValueError:
            pass
    retry_after = response.headers.get("retry-after")
    try:
        return None if retry_after is None else max(1.0, float(retry_after))
    except ValueError:
        return None
