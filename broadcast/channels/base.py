"""The small interface every channel adapter implements, and what one delivery returns.

An adapter knows how to hand ONE rendered message to its provider for ONE target. Everything
around that (recipients, de-duplication, concurrency, rate limits, retries, progress, summary)
lives once, in ``broadcast.delivery.dispatch``. Each worker thread gets its own adapter
instance, so an adapter need not be thread-safe; it may keep a connection open between deliveries.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
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


class DeliveryError(Exception):
    """A provider refused or failed a delivery.

    ``transient`` errors (rate limits, 5xx, timeouts, dropped connections) are retried by the
    dispatcher; the others (invalid number, unsubscribed, duplicate post) are recorded as they
    are. ``retry_after`` is the provider's own word on when to try again, in seconds.

    ``channel_fault`` errors are the channel's, not the recipient's: refused credentials
    (HTTP 401/403, SMTP 535) or a TLS failure would refuse every other recipient too. The
    dispatcher stops the channel at the first one and leaves its deliveries pending, so the
    next send after the fix reaches everyone.

    ``maybe_sent`` errors (a timeout or a dropped connection once the request was out) may
    hide a delivery the provider took: a channel that can look deliveries up does so before
    sending again.
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
        keep: Iterable[str] = (),
    ) -> None:
        # A provider's words may quote a contact (its own or another's, in any national form):
        # masked here, once, so the ledger, the log and the terminal never see it in clear.
        # ``keep``: the channel's own identities (its login), which are not personal data.
        from broadcast.input.recipients import mask_contacts

        message = mask_contacts(message, keep)
        super().__init__(message)
        self.code = code
        self.message = message
        self.transient = transient
        self.retry_after = retry_after
        self.channel_fault = channel_fault
        self.maybe_sent = maybe_sent


class LookupUndecided(Exception):
    """The provider holds a delivery that may be this attempt's, and nothing it returns tells
    whose it is: the delivery is held uncertain, neither taken as sent nor sent again."""


class DeliveryContext(NamedTuple):
    """What an adapter may need besides its configuration and credentials."""

    config_folder: Path
    now: datetime


class Adapter:
    """One channel type's way of delivering a message. Subclass and register in ``__init__``."""

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
        """The provider's id of ``message`` to ``target`` if it took one since ``since`` (UTC).

        Asked before sending again what may have gone out (a crash, a timeout); only for
        adapters with ``can_look_up``. ``others``: the provider's ids of other deliveries (or
        earlier attempts) to the same recipient, never this attempt's. Raise
        ``DeliveryError`` if the provider cannot say, ``LookupUndecided`` if it holds one
        that may be this attempt's but cannot tell.
        """
        raise NotImplementedError

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
