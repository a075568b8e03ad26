"""The small interface every channel adapter implements, and what one delivery returns.

An adapter knows how to hand ONE rendered message to its provider for ONE target. Everything
around that (recipients, de-duplication, concurrency, rate limits, retries, progress, summary)
lives once, in ``broadcast.delivery.dispatch``. Each worker thread gets its own adapter
instance, so an adapter need not be thread-safe; it may keep a connection open between deliveries.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Generic, Literal, NamedTuple, TypeVar

RecipientKind = Literal["phone", "email"]
ClientT = TypeVar("ClientT")


@dataclass(frozen=True)
class Outgoing:
    """What a channel carries, exactly as the preview showed it.

    ``parts`` holds the rendered texts (``text``, ``subject``, ``html``, ...); ``thread`` the
    posts of a thread in order (X); ``facts`` the incident's structured facts for adapters that
    publish data rather than text (the web banner's JSON and feed). ``variants`` holds the
    parts of every language, the first being ``parts``, for a channel that carries all of
    them in one delivery (a CAP alert has one ``<info>`` per language).
    """

    channel: str
    parts: Mapping[str, str]
    thread: tuple[str, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)
    variants: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


class Target(NamedTuple):
    """Where one delivery goes: a phone number, an address, an account or a folder."""

    address: str
    name: str = ""
    line: int | None = None  # the recipients CSV line it came from
    locale: str | None = None


class Receipt(NamedTuple):
    """The outcome of one delivery: the provider's id, or a classified error."""

    target: Target
    ok: bool
    provider_id: str | None = None
    error_code: str | None = None
    error: str | None = None
    permanent: bool = False
    attempts: int = 1
    # The channel, not this recipient, was refused (credentials, TLS): not a recipient failure.
    channel_fault: bool = False
    # The request may have reached the provider and the lookup could not tell: maybe sent.
    uncertain: bool = False


class DeliveryStatus(NamedTuple):
    """What the provider says of one delivery now (its receipt): ``final`` is the ledger's
    ``delivered`` or ``undelivered`` once the provider knows, None until then."""

    provider_id: str
    status: str
    final: str | None
    error_code: str | None
    error_message: str | None
    updated_at: datetime | None


class Answer(StrEnum):
    """What a provider's answer to a request that creates something (a message, a call, a
    post) says about that thing: the ONE reading every adapter gives its answers.

    ``NOT_TAKEN``: a refusal that proves the request was not acted on (a 4xx: validation,
    401/403, 429), or a request that never left (the connection could not be opened): sending
    again is safe. ``ACCEPTED``: the provider took it and said so. ``MAYBE_SENT``: anything
    else (a 5xx, a timeout, a reset or a dropped connection once the request was out, an answer
    we cannot read): the provider may have acted on it, so it is looked up before anything is
    sent again, or held as uncertain where the provider offers no lookup; never resent blindly.
    """

    NOT_TAKEN = "not-taken"
    ACCEPTED = "accepted"
    MAYBE_SENT = "maybe-sent"


def answer_of(status: int | None, *, left: bool = True) -> Answer:
    """The reading of an HTTP answer (``status``), or of none (``status`` None) to a request
    that ``left`` (False only when the connection was never opened)."""
    if status is None:
        return Answer.MAYBE_SENT if left else Answer.NOT_TAKEN
    if 200 <= status < 300:
        return Answer.ACCEPTED
    if 400 <= status < 500:
        return Answer.NOT_TAKEN
    # 5xx, and what a creating endpoint has no business answering (1xx, 3xx): it may have
    # acted on the request before failing to say so.
    return Answer.MAYBE_SENT


def request_left(exc: BaseException) -> bool:
    """Whether a request that failed with ``exc`` (requests/urllib3) may have reached the
    provider: anything but failing to open the connection (refused, unknown host, connect
    timeout)."""
    import requests  # every adapter calling this already loaded it
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    if isinstance(exc, requests.ConnectTimeout):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return not isinstance(reason, (NewConnectionError, ConnectTimeoutError))


# After a provider's answer, how long its lists may lag behind what it did.
ANSWERED_SETTLE = 5.0
# A lookup's window opens this much before the attempt began, on the provider's clock: its
# Date header says the time to the second, and the request took a moment to get there.
LOOKUP_MARGIN = timedelta(seconds=5)


def clock_offset(date_header: str | None, received: datetime) -> timedelta | None:
    """The provider's clock less ours, from the ``Date`` of an answer ``received`` (UTC, our
    clock) then; None without a readable Date."""
    from email.utils import parsedate_to_datetime

    if not date_header:
        return None
    try:
        theirs = parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return None
    if theirs.tzinfo is None:
        return None
    return theirs - received


def on_provider_clock(since: datetime, offset: timedelta | None) -> datetime | None:
    """``since`` (our clock) as the provider's clock reads it, less ``LOOKUP_MARGIN``: where
    a lookup of what was created since then stops. None when the provider gave no time: the
    lookup then matches without a window (never on our clock against theirs)."""
    if offset is None:
        return None
    return since + offset - LOOKUP_MARGIN


class DeliveryError(Exception):
    """A provider refused or failed a delivery.

    ``transient`` errors (rate limits, 5xx, timeouts, dropped connections) may succeed later;
    the others (invalid number, unsubscribed, duplicate post) are recorded as they are.
    ``retry_after`` is the provider's own word on when to try again, in seconds.

    ``channel_fault`` errors are the channel's, not the recipient's: refused credentials
    (HTTP 401/403, SMTP 535) or a TLS failure would refuse every other recipient too. The
    dispatcher stops the channel at the first one and leaves its deliveries pending, so the
    next send after the fix reaches everyone.

    ``answer`` is how the provider's answer reads (see ``Answer``): only a ``NOT_TAKEN`` one
    is retried as it is; a ``MAYBE_SENT`` one (``maybe_sent``) is looked up by an adapter that
    ``can_look_up``, else held as uncertain. An error that never reached the provider (a bad
    header found before sending) is ``NOT_TAKEN``, the default; an adapter building an error
    from a provider's answer says which with ``answer_of``. ``answered`` is False when no
    answer came at all (a timeout, a reset): the provider may still be acting on the request.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        transient: bool,
        retry_after: float | None = None,
        channel_fault: bool = False,
        maybe_sent: bool = False,
        answer: Answer | None = None,
        answered: bool = True,
        keep: Iterable[str] = (),
    ) -> None:
        # A provider's words may quote a contact (its own or another's, in any national form):
        # masked here, once, so the ledger, the log and the terminal never see it in clear.
        # ``keep``: the channel's own identities (its login), which are not personal data.
        from broadcast.input.contact_masks import mask_contacts

        message = mask_contacts(message, keep)
        super().__init__(message)
        self.code = code
        self.message = message
        self.transient = transient
        self.retry_after = retry_after
        self.channel_fault = channel_fault
        if answer is None or answer is Answer.ACCEPTED:
            # An error after an "accepted" status (no id in it, an unreadable body) cannot
            # say the provider did nothing.
            answer = Answer.MAYBE_SENT if maybe_sent or answer else Answer.NOT_TAKEN
        self.answer = answer
        # False: no answer came (a timeout, a reset): the provider may still be acting on it.
        self.answered = answered

    @property
    def maybe_sent(self) -> bool:
        return self.answer is Answer.MAYBE_SENT


class LookupUndecided(Exception):
    """The provider holds a delivery that may be this attempt's, and nothing it returns tells
    whose it is: the delivery is held uncertain, neither taken as sent nor sent again."""


class DeliveryContext(NamedTuple):
    """What an adapter may need besides its configuration and credentials."""

    config_folder: Path
    now: datetime
    # A subscriber's own one-click unsubscribe link, by address (an email channel sending to
    # subscribers: broadcast.delivery.subscribers); None for everyone else.
    unsubscribe_link: Callable[[str], str | None] | None = None
    # ``broadcast serve``'s public base URL (channels.yaml's ``serve: public_url``), when
    # configured: where a provider reports what became of each delivery as it happens.
    public_url: str | None = None


class Adapter:
    """One channel type's way of delivering a message: a subclass in the channel's module,
    named by its model's ``ADAPTER`` (see broadcast.channels.model)."""

    # Where targets come from: a recipients CSV column, or None for a single target.
    recipient_kind: ClassVar[RecipientKind | None] = None
    # Workers delivering at once for this channel type, unless channels.yaml says otherwise.
    default_concurrency: ClassVar[int] = 1
    # Deliveries per second unless channels.yaml says otherwise; None is unlimited.
    default_rate: ClassVar[float | None] = None
    # Error codes saying the recipient asked for no more messages (SMS: replied STOP): reported
    # as a failure the first time, then never sent to again from the same ledger.
    opt_out_codes: ClassVar[frozenset[str]] = frozenset()
    # The provider can say whether a delivery went out (``find_sent``): exactly once.
    can_look_up: ClassVar[bool] = False
    # Its lookup can tell this attempt's delivery from any other (an SMS by its body); False
    # when it can only prove that none went out (a call: see ``LookupUndecided``).
    finds_own: ClassVar[bool] = True
    # The provider says what became of a delivery (``delivery_status``), read by
    # ``broadcast reconcile`` and at the start of every run: delivery receipts.
    gives_receipts: ClassVar[bool] = False
    # Its HTTP client lets a delivery's request leave through ``channels.wire``'s gate, so
    # the send's limiter counts it from its bytes leaving to its answer, not around the
    # SDK's work too. An adapter saying so sends at most one request per ``deliver``.
    gates_requests: ClassVar[bool] = False

    def __init__(
        self,
        name: str,
        config: Any,
        credentials: Mapping[str, str],
        context: DeliveryContext,
    ) -> None:
        self.name = name
        self.config = config
        self.credentials = credentials
        self.context = context

    def single_target(self) -> Target:
        """The one target of a channel without recipients (an account, a folder)."""
        return Target(address=self.name)

    def fixed_targets(self) -> list[Target]:
        """The targets of a channel without a recipients file, each one delivery: usually
        ``single_target``; a channel naming several destinations returns them all."""
        return [self.single_target()]

    def cost(self, message: Outgoing, target: Target | None = None) -> int:
        """Rate-limit tokens one delivery uses (Twilio counts its rate in message parts)."""
        return 1

    def deliver(self, message: Outgoing, target: Target) -> str:
        """Hand ``message`` to the provider for ``target``; return the provider's id.

        Raise ``DeliveryError`` for any refusal or failure the provider reports.
        """
        raise NotImplementedError

    def find_sent(
        self,
        message: Outgoing,
        target: Target,
        since: datetime,
        others: frozenset[str] = frozenset(),
    ) -> str | None:
        """The provider's id of ``message`` to ``target`` if it took one since ``since`` (UTC,
        our clock: the adapter reads it on the provider's, see ``on_provider_clock``).

        Asked before sending again what may have gone out (a crash, a maybe-sent answer); only
        for adapters with ``can_look_up``. ``others``: the provider's ids of other deliveries
        (or earlier attempts) to the same recipient, never this attempt's. Raise
        ``DeliveryError`` if the provider cannot say, ``LookupUndecided`` if it holds one
        that may be this attempt's but cannot tell.
        """
        raise NotImplementedError

    def settle_seconds(self, answered: bool = False) -> float:
        """How long after an attempt began a lookup that finds nothing proves nothing: it is
        made again once this has passed. After an answer (a 5xx), ``ANSWERED_SETTLE``: the
        provider is done with the request, its lists may lag a moment behind. Without one (a
        timeout, a reset, a killed run), the provider may still be acting on it (a request it
        holds before committing): twice the adapter's request timeout, and 5 s."""
        if answered:
            return ANSWERED_SETTLE
        return 2 * self.request_timeout() + 5.0

    def request_timeout(self) -> float:
        """Seconds this adapter waits for the provider's answer (its ``timeout`` setting)."""
        return float(getattr(self.config, "timeout", None) or 15.0)

    def delivery_status(self, provider_id: str) -> DeliveryStatus:
        """The provider's receipt for a delivery it took; only for ``gives_receipts`` adapters."""
        raise NotImplementedError

    def open(self) -> None:
        """Get ready before the first delivery (build a client), outside the rate limit."""

    def close(self) -> None:
        """Release connections. Called once per instance, after its last delivery."""


class FolderAdapter(Adapter):
    """A channel that writes files into its ``output_dir`` (a website folder, a feed): one
    target, the folder, relative to channels.yaml unless absolute."""

    def single_target(self) -> Target:
        folder = Path(self.config.output_dir)
        if not folder.is_absolute():
            folder = self.context.config_folder / folder
        return Target(address=str(folder), name=self.name)

    def public_folder(self, folder: Path, names: Iterable[str]) -> None:
        """Make ``folder``, refusing a symbolic link at it or at any of the ``names`` to write.

        A link planted there would send the public files (or the history read back from
        them) somewhere nobody chose. The folder's own parents may be links: the preview and
        the confirmation name the folder they resolve to. A channel fault: nothing is
        written, and the next run after the link is removed publishes.
        """
        for path in (folder, *(folder / name for name in names)):
            if path.is_symlink():
                raise DeliveryError(
                    "symlink",
                    f"{path} is a symbolic link (to {os.readlink(path)}): broadcast writes "
                    "public files only as its own files in a real folder, so nothing was "
                    "written. Remove the link, or give output_dir the real folder.",
                    transient=False,
                    channel_fault=True,
                )
        folder.mkdir(parents=True, exist_ok=True)


class ClientAdapter(Adapter, Generic[ClientT]):
    """An adapter that talks to its provider through one SDK client, built once per worker.

    The client is built in ``open`` (outside the rate limit) or at the first delivery, and
    released in ``close``. A subclass says how to build and how to release one.
    """

    _client: ClientT | None = None

    def build_client(self) -> ClientT:
        raise NotImplementedError

    def release_client(self, client: ClientT) -> None:
        """Close what the client holds open (its HTTP session)."""

    def client(self) -> ClientT:
        if self._client is None:
            self._client = self.build_client()
        return self._client

    def open(self) -> None:
        self.client()

    def close(self) -> None:
        if self._client is not None:
            self.release_client(self._client)
            self._client = None


def parse_retry_after(value: str) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None if unreadable."""
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
