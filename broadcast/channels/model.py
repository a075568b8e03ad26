"""The model every channel's configuration extends, with the facts a channel declares.

A channel is one module of ``broadcast.channels``: at its top, its model (the fields of its
entry in channels.yaml) and its facts (templates, public or personal, default rate...), which
import no provider SDK, so that every stage may read them, reading channels.yaml included;
below, its adapter, whose SDK is imported only when it sends.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple

from broadcast.content.greeting import GREETING_MARK
from broadcast.input.schema import BaseModel, ConfigDict, Field, field_validator, model_validator

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*$")
# A delay written like 15m, 900s or 1h (a voice channel's retry_after).
DELAY = re.compile(r"^\s*(\d+)\s*(s|m|min|h)\s*$")
# The moments a version can be, for ``send_on``: the first message, a later one, a reminder
# that keeps the promised update, the end, or the withdrawal of an alert.
Occasion = Literal["new", "update", "reminder", "resolved", "cancelled"]
OCCASIONS: tuple[Occasion, ...] = ("new", "update", "reminder", "resolved", "cancelled")
SEVERITIES = ("minor", "major", "critical")


class Measuring(NamedTuple):
    """What a channel's ``measure`` is told besides the parts: where the channel is written,
    which language it measures, and what rendering and the recipients list found."""

    name: str  # the channel's name in channels.yaml
    config: Any  # channels.yaml, for the lines problems point at
    label: str  # the language, in problems, when the channel speaks several; else ""
    fitted: Any = None  # content.render.Fitted: what the text left out to fit its limit
    readers: Counter[str] | None = None  # greeting name → readers of this language


class PreviewBlock(NamedTuple):
    """One piece of a channel's preview, for a terminal to draw (the channel knows what to
    show; the terminal knows how): ``text`` is shown as written, never read as markup."""

    # "text": the text; "line": ``title`` in bold then the text; "box": the text framed under
    # ``title`` (``subtitle`` at its foot); "html": an HTML part, shown as text or source;
    # "note": a remark in ``style``.
    kind: Literal["text", "line", "box", "html", "note"]
    text: str
    title: str = ""
    subtitle: str = ""
    style: str = ""


class ChannelConfig(BaseModel):
    """What every channel's entry in channels.yaml may say, and the facts a channel declares.

    A channel module subclasses it with its own fields (``type: Literal["sms"]`` first) and
    facts, and registers it (``broadcast.channels.register``).
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    # Fields holding credentials: resolved from the environment only at send time, never shown.
    CREDENTIALS: ClassVar[tuple[str, ...]] = ()
    # Credentials that must be ``${VAR}`` references: a literal secret in a file is refused.
    ENV_ONLY: ClassVar[tuple[str, ...]] = ()
    # Templates this channel type renders, by part name.
    TEMPLATES: ClassVar[dict[str, str]] = {}
    # Reminder templates that are not simply "reminder_" + the update's template name.
    REMINDER_TEMPLATES: ClassVar[dict[str, str]] = {}
    # Seen by the public (a post, a web page): an exercise uses it only through an
    # ``exercise:`` block naming another target (see delivery.exercise).
    PUBLIC: ClassVar[bool] = False
    # The fields that say where a channel's messages go (the account, the page, the folder
    # the website serves, the team channels' URLs, the recipients file): a drill takes part
    # only with one of them of its own, different from the real one (see delivery.exercise).
    # A type that names none never takes part in a drill.
    DESTINATION: ClassVar[tuple[str, ...]] = ()
    # What a row of its recipients list gives it: a phone number, an email address, or
    # nothing (a channel without a list).
    CONTACT: ClassVar[Literal["phone", "email"] | None] = None
    # The fields that say who a message appears to come from and where it is published (the
    # sender id, From and Reply-To, the account, the page): what the recipient sees, so an
    # approval covers them as it covers the texts (delivery.approval's envelope). Every type
    # names its own (tests/test_approval_envelope.py checks that none is forgotten).
    ADDRESSING: ClassVar[tuple[str, ...]] = ()
    # Its HTML is a web page styled by a stylesheet beside it, under a strict
    # Content-Security-Policy: what is added to it (an exercise's notice) carries no inline style.
    STYLESHEET: ClassVar[bool] = False

    # Its adapter: the class of the same module that hands one message to the provider.
    ADAPTER: ClassVar[str] = ""
    # Deliveries per second when the channel gives no ``rate`` (None: as fast as it goes),
    # and deliveries in flight at once when it gives no ``concurrency``.
    DEFAULT_RATE: ClassVar[float | None] = None
    DEFAULT_CONCURRENCY: ClassVar[int] = 1
    # Another channel may fall back to it for the rows it cannot reach (voice, email): it then
    # reaches a failing row by what that row gives it (``CONTACT``).
    FALLBACK_TARGET: ClassVar[bool] = False
    # Who sees it when it has no recipients list ("public post", "website"...).
    AUDIENCE: ClassVar[str] = "—"
    # Its folder holds public files that cover every incident (an index, a feed), written in
    # the organisation's language rather than the incident's.
    SITE: ClassVar[bool] = False
    # The feed it writes in its folder (CAP's alerts.atom), which a status page may link.
    FEED: ClassVar[str | None] = None
    # It keeps the incident's history in its folder: what it already published (the banner's
    # timeline), read back to render the next version.
    KEEPS_HISTORY: ClassVar[bool] = False
    # A later version answers an earlier post: the latest (a thread) or the first (comments).
    REPLIES_TO: ClassVar[Literal["latest", "first"] | None] = None
    # Unanswered deliveries (calls ending busy or unanswered) are tried again on later runs.
    CALLS_AGAIN: ClassVar[bool] = False
    # The provider meters it in message parts (an SMS's segments): a plan counts those.
    METERED_IN_PARTS: ClassVar[bool] = False
    # It carries the incident's ``reply:`` (a ``reply`` part): what ``broadcast serve``
    # answers a reply to one of its messages, as one message of its kind.
    ANSWERS_REPLIES: ClassVar[bool] = False
    # It carries every language the incident is written in, whoever reads it (CAP's <info>s).
    EVERY_TRANSLATION: ClassVar[bool] = False
    # What each rendered part must carry of a warning's elements (what, who, do, next: see
    # content.wording.completeness), checked on the text people really get, by part name. A
    # short channel carries less (a post on X: the account says who speaks); none: not judged.
    CARRIES: ClassVar[dict[str, tuple[str, ...]]] = {}
    # Its message holds the incident's area as shapes (CAP's <polygon>, <circle>): a change of
    # area alone is new content for it. Other public channels say the area in words only, so
    # a version that changes only the area has nothing new for them (delivery.area_reach).
    CARRIES_AREA: ClassVar[bool] = False

    if TYPE_CHECKING:
        # Each channel declares its own ``type: Literal["sms"]`` (what channels.yaml's entry is
        # chosen by); to code that handles any channel it is the name of the type. Declared
        # for type checkers only: the models read no field of this base.
        type: str

    locale: str | None = None
    templates: dict[str, str] = Field(default_factory=dict)
    rate: str | None = None
    concurrency: int | None = Field(default=None, ge=1, le=64)
    # Which versions this channel carries (default: all), and from which severity on.
    send_on: list[Occasion] | None = Field(default=None, min_length=1)
    min_severity: Literal["minor", "major", "critical"] | None = None
    # Recipients of its list the incident's area cannot place (no point, no listed code of
    # their kind): sent to or not; wins over the area's own ``unlocated`` (default: exclude).
    unlocated: Literal["include", "exclude"] | None = None

    def skip_reason(self, occasions: frozenset[str], severity: str) -> str | None:
        """Why this channel does not carry a version that is ``occasions`` at ``severity``."""
        if self.send_on is not None and not occasions & set(self.send_on):
            what = " and ".join(o for o in OCCASIONS if o in occasions)
            return f"this version is {what}; send_on is {', '.join(self.send_on)}"
        if self.min_severity is not None and SEVERITIES.index(severity) < SEVERITIES.index(
            self.min_severity
        ):
            return f"the incident is {severity}; min_severity is {self.min_severity}"
        return None

    # For exercises: who receives a drill (a CSV like ``recipients``), and fields that replace
    # the channel's own during one (another account, another output_dir).
    exercise_recipients: str | None = None
    exercise: dict[str, Any] | None = None
    # Residents signed up on broadcast serve (docs/signup.md): set by ``recipients:
    # subscribers`` alone, or in a list with a CSV file (``[contacts.csv, subscribers]``);
    # read from the ledger when sending, never in a drill.
    subscribers: bool = False

    @model_validator(mode="before")
    @classmethod
    def _subscribers_among_recipients(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "recipients" not in cls.DESTINATION:
            return data
        value = data.get("recipients")
        items = value if isinstance(value, list) else [value]
        if "subscribers" not in items and not isinstance(value, list):
            return data
        files = [item for item in items if item != "subscribers"]
        if len(files) > 1 or any(not isinstance(item, str) for item in files):
            raise ValueError(
                "recipients is one CSV file, subscribers, or a list of one CSV file and "
                "subscribers (like [contacts.csv, subscribers])"
            )
        return {
            **data,
            "recipients": files[0] if files else None,
            "subscribers": data.get("subscribers", False) or "subscribers" in items,
        }

    @field_validator("rate")
    @classmethod
    def _rate_form(cls, value: str | None) -> str | None:
        if value is not None and value.strip() != "unlimited" and not _RATE.match(value):
            raise ValueError(f"'{value}' is not a rate; write it like 10/s, 100/min or unlimited")
        return value

    def rate_per_second(self) -> float | None:
        """``10/s`` → 10.0, ``120/min`` → 2.0; None for unlimited or unset."""
        if self.rate is None or self.rate.strip() == "unlimited":
            return None
        match = _RATE.match(self.rate)
        assert match is not None  # checked by _rate_form
        per = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60}
        return float(match.group(1)) / per.get(match.group(2), 3600)

    def template_names(self, reminder: bool = False, correction: bool = False) -> dict[str, str]:
        """Part name → template file name, with this channel's overrides applied.

        A reminder ("still working on it") has its own templates: ``reminder_sms.txt.j2`` for
        ``sms.txt.j2``; ``templates: {reminder_text: ...}`` overrides one. So has a correction
        (``correction_sms.txt.j2``, ``templates: {correction_text: ...}``).
        """
        if correction:
            chosen = {
                k.removeprefix("correction_"): v
                for k, v in self.templates.items()
                if k.startswith("correction_")
            }
            return {**{p: f"correction_{n}" for p, n in self.TEMPLATES.items()}, **chosen}
        if not reminder:
            chosen = {
                k: v
                for k, v in self.templates.items()
                if not k.startswith(("reminder_", "correction_"))
            }
            return {**self.TEMPLATES, **chosen}
        defaults = {
            part: self.REMINDER_TEMPLATES.get(part, f"reminder_{name}")
            for part, name in self.TEMPLATES.items()
        }
        chosen = {
            k.removeprefix("reminder_"): v
            for k, v in self.templates.items()
            if k.startswith("reminder_")
        }
        return {**defaults, **chosen}

    # -- how a preview renders, measures and shows it: each channel says its own -----------

    @property
    def greets_by_name(self) -> bool:
        """Its text greets each recipient by name (an SMS with ``personalise``)."""
        return False

    def locale_for(self, language: str) -> str | None:
        """The locale it renders ``language`` in, when it says one (CAP's ``languages``)."""
        return None

    def render_context(self, config: Any) -> dict[str, Any]:
        """What its templates get besides the incident (a footer's contact, a feed's link)."""
        return {}

    def measure(self, parts: dict[str, str], at: Measuring, problems: list[Any]) -> dict[str, Any]:
        """The measures of one language's rendering (``parts`` may be replaced by what is
        really sent), with a problem in ``problems`` for each limit it breaks."""
        return {}

    @classmethod
    def measure_line(cls, measures: dict[str, Any]) -> list[str]:
        """Its measures as a preview says them (``160 chars · 1 segment``)."""
        return []

    @classmethod
    def summary(cls, parts: dict[str, str], measures: dict[str, Any], languages: int) -> str:
        """One line for the send's confirmation: what it sends."""
        return parts.get("text", "")[:60]

    @classmethod
    def preview_blocks(cls, parts: dict[str, str], measures: dict[str, Any]) -> list[PreviewBlock]:
        """What a preview shows of its rendering, in order."""
        if "text" not in parts:
            return []
        # The greeting's marks and the name slot's word joiners are invisible, yet a terminal
        # may give them a width: shown without them.
        return [
            PreviewBlock("text", parts["text"].replace(GREETING_MARK, "").replace("\u2060", ""))
        ]

    def too_slow_help(self, measures: dict[str, Any]) -> str:
        """What to do when reaching everyone takes longer than the promise allows."""
        return "raise rate to what the provider allows"

    def credential_refs(self) -> dict[str, str]:
        return {
            name: getattr(self, name)
            for name in self.CREDENTIALS
            if getattr(self, name, None) is not None
        }


def type_name(model: type[ChannelConfig]) -> str:
    """The ``type:`` a model is chosen by: the value of its ``type`` field's ``Literal``."""
    (name,) = model.model_fields["type"].annotation.__args__
    return name
