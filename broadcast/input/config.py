"""channels.yaml: which channels exist, how to reach them, and ``${VAR}`` references to secrets.

Credentials are declared per channel type (``CREDENTIALS``) and resolved from the environment only
when a channel really sends, so a dry run needs none. Other ``${VAR}`` references are resolved
when the file is read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from broadcast.input.characters import hidden_characters, why_refused
from broadcast.input.incident import parse_duration
from broadcast.input.model_errors import problems_from_validation
from broadcast.input.schema import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from broadcast.input.yamlfile import YamlDocument, load_yaml
from broadcast.problems import InputError, Problem

CONFIG_ENV = "BROADCAST_CONFIG"
DEFAULT_CONFIG = Path("channels.yaml")

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*$")
_DELAY = re.compile(r"^\s*(\d+)\s*(s|m|min|h)\s*$")
# Channel types another channel may fall back to, and what each uses of the failing row.
FALLBACK_TYPES = ("voice", "email")
# The moments a version can be, for ``send_on``: the first message, a later one, a reminder
# that keeps the promised update, the end, or the withdrawal of an alert.
Occasion = Literal["new", "update", "reminder", "resolved", "cancelled"]
OCCASIONS: tuple[Occasion, ...] = ("new", "update", "reminder", "resolved", "cancelled")
SEVERITIES = ("minor", "major", "critical")


def occasions_of(kind: str, first: bool, status: str) -> frozenset[str]:
    """What a version is, for ``send_on``: a reminder; else the end (resolved, cancelled), and
    the first message (new) or a later one (update). A first message may already be the end."""
    if kind == "reminder":
        return frozenset({"reminder"})
    found = {status} if status in ("resolved", "cancelled") else set()
    if first:
        found.add("new")
    elif not found:
        found.add("update")
    return frozenset(found)


class _Channel(BaseModel):
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

    locale: str | None = None
    templates: dict[str, str] = Field(default_factory=dict)
    rate: str | None = None
    concurrency: int | None = Field(default=None, ge=1, le=64)
    # Which versions this channel carries (default: all), and from which severity on.
    send_on: list[Occasion] | None = Field(default=None, min_length=1)
    min_severity: Literal["minor", "major", "critical"] | None = None

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

    def credential_refs(self) -> dict[str, str]:
        return {
            name: getattr(self, name)
            for name in self.CREDENTIALS
            if getattr(self, name, None) is not None
        }


class SmsChannel(_Channel):
    CREDENTIALS: ClassVar[tuple[str, ...]] = ("account_sid", "auth_token")
    ENV_ONLY: ClassVar[tuple[str, ...]] = ("auth_token",)
    TEMPLATES: ClassVar[dict[str, str]] = {"text": "sms.txt.j2"}
    # The people: a drill uses exercise_recipients, another list of other people.
    DESTINATION: ClassVar[tuple[str, ...]] = ("recipients",)
    CONTACT: ClassVar[Literal["phone", "email"] | None] = "phone"

    ADDRESSING: ClassVar[tuple[str, ...]] = ("from_", "messaging_service_sid", "account_sid")

    type: Literal["sms"]
    from_: str | None = Field(default=None, alias="from")
    messaging_service_sid: str | None = None
    recipients: str
    account_sid: str
    auth_token: str
    max_segments: int = Field(default=3, ge=1, le=10)
    default_region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    status_callback: str | None = None
    api_base_url: str | None = None
    # Seconds to wait for the provider's answer (15 unless given); a later answer is looked
    # up, never sent again blindly.
    timeout: float | None = Field(default=None, gt=0, le=120)
    template: str | None = None
    # How long Twilio may keep a text queued; by default until the promised next update.
    validity: timedelta | None = None
    # Another channel (voice or email) for those this one cannot reach; see delivery.fallback.
    fallback: str | None = None
    # Typographic look-alikes (curly quotes, dashes...) replaced by GSM-7 ones before measuring
    # and sending, as Twilio's Smart Encoding does; transliterate also folds accents (ê → e).
    smart_encoding: bool = True
    transliterate: bool = False
    # "Bonjour Camille," from the recipients file's name column, counted per recipient: a
    # recipient whose name would take the text over max_segments gets it without the greeting.
    personalise: bool = False

    @field_validator("validity", mode="before")
    @classmethod
    def _validity(cls, value: Any) -> Any:
        if value is None or isinstance(value, timedelta):
            return value
        duration = parse_duration(value) if isinstance(value, str) else None
        if duration is None:
            raise ValueError(f"{value!r} is not a duration: write it like 2h, 90m or 1h30")
        if not timedelta(minutes=1) <= duration <= timedelta(hours=10):
            raise ValueError(
                f"{value!r}: give between 1m and 10h (Twilio keeps a text queued 10 h at most)"
            )
        return duration

    @model_validator(mode="after")
    def _one_sender(self) -> SmsChannel:
        if (self.from_ is None) == (self.messaging_service_sid is None):
            raise ValueError(
                "give the channel either 'from' (a number) or 'messaging_service_sid', not "
                "both and not neither"
            )
        return self

    def template_names(self, reminder: bool = False, correction: bool = False) -> dict[str, str]:
        names = super().template_names(reminder, correction)
        plain = not (reminder or correction)
        return {**names, "text": self.template} if self.template and plain else names


class VoiceChannel(_Channel):
    """Calls read out by Twilio's text-to-speech; landlines are fine recipients.

    Without ``recipients`` the channel only serves as another channel's fallback.
    """

    CREDENTIALS: ClassVar[tuple[str, ...]] = ("account_sid", "auth_token")
    ENV_ONLY: ClassVar[tuple[str, ...]] = ("auth_token",)
    TEMPLATES: ClassVar[dict[str, str]] = {"text": "voice.txt.j2"}
    # The people: a drill uses exercise_recipients, another list of other people.
    DESTINATION: ClassVar[tuple[str, ...]] = ("recipients",)
    CONTACT: ClassVar[Literal["phone", "email"] | None] = "phone"

    ADDRESSING: ClassVar[tuple[str, ...]] = ("from_", "account_sid")

    type: Literal["voice"]
    from_: str = Field(alias="from")
    recipients: str | None = None
    account_sid: str
    auth_token: str
    default_region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    api_base_url: str | None = None
    # Seconds to wait for the provider's answer (15 unless given); a later answer is looked
    # up, never sent again blindly.
    timeout: float | None = Field(default=None, gt=0, le=120)
    # Calls ending busy or unanswered are placed again on later runs, this many times at most,
    # each no sooner than ``retry_after`` after the previous call.
    retry_unanswered: int = Field(default=2, ge=0, le=10)
    retry_after: str = "15m"
    fallback: str | None = None

    @field_validator("retry_after")
    @classmethod
    def _delay_form(cls, value: str) -> str:
        if not _DELAY.match(value):
            raise ValueError(f"'{value}' is not a delay; write it like 15m, 900s or 1h")
        return value

    def retry_after_seconds(self) -> int:
        match = _DELAY.match(self.retry_after)
        assert match is not None  # checked by _delay_form
        return int(match.group(1)) * {"s": 1, "m": 60, "min": 60, "h": 3600}[match.group(2)]


class EmailChannel(_Channel):
    CREDENTIALS: ClassVar[tuple[str, ...]] = ("username", "password")
    ENV_ONLY: ClassVar[tuple[str, ...]] = ("password",)
    TEMPLATES: ClassVar[dict[str, str]] = {
        "subject": "email_subject.txt.j2",
        "text": "email.txt.j2",
        "html": "email.html.j2",
    }
    DESTINATION: ClassVar[tuple[str, ...]] = ("recipients",)
    CONTACT: ClassVar[Literal["phone", "email"] | None] = "email"

    ADDRESSING: ClassVar[tuple[str, ...]] = ("from_", "reply_to", "list_unsubscribe")

    type: Literal["email"]
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool | None = None  # default: on unless ssl is
    ssl: bool = False
    from_: str = Field(alias="from")
    reply_to: str | None = None
    username: str | None = None
    password: str | None = None
    # None: the channel only serves as another channel's fallback (same CSV row's email).
    recipients: str | None = None
    list_unsubscribe: str | None = None
    # A CA bundle for an SMTP server whose certificate a private authority signed.
    ca_file: str | None = None
    timeout: float = Field(default=30.0, gt=0, le=600)

    @field_validator("from_", "reply_to")
    @classmethod
    def _one_address(cls, value: str | None) -> str | None:
        if value is not None:
            split_address(value)
        return value

    @field_validator("list_unsubscribe")
    @classmethod
    def _unsubscribe_uris(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for uri in (part.strip().strip("<>") for part in value.split(",")):
            if not re.match(r"^(https://\S+|mailto:\S+@\S+)$", uri):
                raise ValueError(
                    f"'{uri}' is not an https:// or mailto: address for List-Unsubscribe"
                )
        return value

    @model_validator(mode="after")
    def _one_tls_mode(self) -> EmailChannel:
        if self.ssl and self.starttls:  # both said explicitly
            raise ValueError(
                "choose one of ssl: true (implicit TLS, usually port 465) and starttls: true "
                "(usually port 587); set the other to false"
            )
        return self

    @property
    def use_starttls(self) -> bool:
        return self.starttls if self.starttls is not None else not self.ssl


class TwitterChannel(_Channel):
    CREDENTIALS: ClassVar[tuple[str, ...]] = (
        "consumer_key",
        "consumer_secret",
        "access_token",
        "access_token_secret",
    )
    ENV_ONLY: ClassVar[tuple[str, ...]] = ("consumer_secret", "access_token_secret")
    TEMPLATES: ClassVar[dict[str, str]] = {"text": "tweet.txt.j2"}

    PUBLIC: ClassVar[bool] = True
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


class WebBannerChannel(_Channel):
    STYLESHEET: ClassVar[bool] = True
    TEMPLATES: ClassVar[dict[str, str]] = {
        "text": "banner.txt.j2",
        "html": "status.html.j2",
        "agent_script": "agent_script.md.j2",
    }
    REMINDER_TEMPLATES: ClassVar[dict[str, str]] = {
        "html": "status.html.j2",
        "agent_script": "agent_script.md.j2",
    }

    PUBLIC: ClassVar[bool] = True
    DESTINATION: ClassVar[tuple[str, ...]] = ("output_dir",)

    ADDRESSING: ClassVar[tuple[str, ...]] = ("output_dir", "public_url")

    type: Literal["web_banner"]
    output_dir: str
    # How long the banner says "service restored" once an incident is resolved (0: not at all).
    restored_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    # Where output_dir is served (https://www.example.com/status/): makes the feed's links
    # absolute, as feed readers prefer. Without it they are relative to the feed.
    public_url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    # The language of what covers every incident (index.html, feed.xml): the organisation's,
    # whatever the language of the last incident. Default: defaults.locale, else the language
    # of the oldest incident the folder holds. Each incident's page and entry keep their own.
    site_locale: str | None = Field(default=None, pattern=r"^[a-z]{2,3}(?:[_-][A-Za-z]{2,4})?$")

    @field_validator("output_dir")
    @classmethod
    def _a_folder(cls, value: str) -> str:
        if not value:
            raise ValueError(
                "is empty; name the folder the website serves, e.g. output_dir: public/status "
                "(an empty one would put the public files beside channels.yaml)"
            )
        expanded = os.path.expanduser(value)
        if expanded.startswith("~"):
            raise ValueError(f"'{value}': there is no such user's home folder; write the path")
        return expanded


class FacebookChannel(_Channel):
    """Posts on a Facebook Page (Graph API); later versions are comments on the first post."""

    CREDENTIALS: ClassVar[tuple[str, ...]] = ("access_token",)
    ENV_ONLY: ClassVar[tuple[str, ...]] = ("access_token",)
    TEMPLATES: ClassVar[dict[str, str]] = {"text": "facebook.txt.j2"}
    PUBLIC: ClassVar[bool] = True
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


class AppriseChannel(_Channel):
    """Team channels through Apprise URLs (Slack, Teams, Telegram, Mattermost, ntfy...).

    Every URL holds a token, so each is a ``${VAR}`` secret, read only when sending.
    """

    CREDENTIALS: ClassVar[tuple[str, ...]] = ("urls",)
    ENV_ONLY: ClassVar[tuple[str, ...]] = ("urls",)
    TEMPLATES: ClassVar[dict[str, str]] = {
        "title": "apprise_title.txt.j2",
        "body": "apprise.txt.j2",
    }
    # The team channels themselves: a drill posts only to other URLs (exercise: {urls: [...]}).
    DESTINATION: ClassVar[tuple[str, ...]] = ("urls",)

    ADDRESSING: ClassVar[tuple[str, ...]] = ("urls",)

    type: Literal["apprise"]
    urls: list[str] = Field(min_length=1, max_length=50)

    def credential_refs(self) -> dict[str, str]:
        return {f"urls.{index}": ref for index, ref in enumerate(self.urls)}


_CAP_TOKEN = re.compile(r"^[^\s,<&]+$")


class CapChannel(_Channel):
    """CAP 1.2 alerts written into ``output_dir``, with ``latest.xml`` and ``alerts.atom``."""

    TEMPLATES: ClassVar[dict[str, str]] = {
        "event": "cap_event.txt.j2",
        "headline": "cap_headline.txt.j2",
        "description": "cap_description.txt.j2",
        "instruction": "cap_instruction.txt.j2",
        "area": "cap_area.txt.j2",
    }
    # A reminder is an Update with the same words and a new promised time.
    REMINDER_TEMPLATES: ClassVar[dict[str, str]] = dict(TEMPLATES)
    PUBLIC: ClassVar[bool] = True
    DESTINATION: ClassVar[tuple[str, ...]] = ("output_dir",)

    ADDRESSING: ClassVar[tuple[str, ...]] = ("sender", "contact", "output_dir", "base_url")

    type: Literal["cap"]
    output_dir: str
    # Who issues the alerts: an address or a domain, unique to the organisation (CAP's sender).
    sender: str
    # Where output_dir is served (https://example.com/cap/): the Atom index links there.
    base_url: str | None = None
    contact: str | None = None
    category: list[str] = Field(default_factory=lambda: ["Infra"])
    # Language → the RFC 3066 tag of its <info> (fr → fr-FR); others keep the incident's locale.
    languages: dict[str, str] = Field(default_factory=lambda: {"fr": "fr-FR", "en": "en-GB"})

    @field_validator("sender")
    @classmethod
    def _cap_sender(cls, value: str) -> str:
        if not _CAP_TOKEN.match(value):
            raise ValueError(
                f"'{value}' cannot be a CAP sender: no spaces, commas, < or &; use an address "
                "or a domain, e.g. alertes@energie-nord.example"
            )
        return value

    @field_validator("output_dir")
    @classmethod
    def _a_folder(cls, value: str) -> str:
        return WebBannerChannel._a_folder(value)

    @field_validator("base_url")
    @classmethod
    def _served_at(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://\S+$", value):
            raise ValueError(f"'{value}' is not a web address starting with https://")
        return value if value is None or value.endswith("/") else value + "/"


Channel = Annotated[
    SmsChannel
    | VoiceChannel
    | EmailChannel
    | TwitterChannel
    | WebBannerChannel
    | CapChannel
    | FacebookChannel
    | AppriseChannel,
    Field(discriminator="type"),
]
CHANNEL_TYPES: dict[str, type[_Channel]] = {
    "sms": SmsChannel,
    "voice": VoiceChannel,
    "email": EmailChannel,
    "twitter": TwitterChannel,
    "web_banner": WebBannerChannel,
    "cap": CapChannel,
    "facebook": FacebookChannel,
    "apprise": AppriseChannel,
}


class Defaults(BaseModel):
    """Values an incident may leave out."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    locale: str | None = None
    timezone: str | None = None
    link: str | None = None
    feedback_url: str | None = None
    sign_off: str | None = None  # how emails are signed ("Le service client", a town hall)


class ContentChecks(BaseModel):
    """How validate and preview judge the wording (warnings, or errors with --strict)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    jargon: list[str] = Field(default_factory=list)
    max_sentence_words: int = Field(default=25, ge=8, le=100)


class Approval(BaseModel):
    """Two-person approval: who must agree before a version goes out (see delivery.approval)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    required: bool = False
    # Only incidents this severe or more need it (minor < major < critical).
    min_severity: Literal["minor", "major", "critical"] | None = None
    # OpenSSH allowed_signers: approvals must then be signed by a key it lists for the name.
    allowed_signers: str | None = None


class Config(BaseModel):
    """The whole of channels.yaml."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    organisation: str = Field(min_length=1)
    # How people reach the organisation (a phone number): the email's footer says it.
    contact: str | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    content_checks: ContentChecks = Field(default_factory=ContentChecks)
    approval: Approval = Field(default_factory=Approval)
    channels: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")], Channel] = Field(
        min_length=1
    )
    # A PostgreSQL ledger several hosts share (postgresql://user@host:5432/db); none: the
    # SQLite file in the state folder. BROADCAST_LEDGER in the environment says the same.
    ledger: str | None = None

    @field_validator("ledger")
    @classmethod
    def _a_database_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("postgresql", "postgres"):
            raise ValueError(
                f"'{value}' is not a PostgreSQL address; write it like "
                "postgresql://broadcast@db.example.org:5432/broadcast, or leave ledger out "
                "for the SQLite file beside channels.yaml"
            )
        if parts.password is not None:
            raise ValueError(
                "the address holds a password; remove it and give the password in PGPASSWORD "
                "or ~/.pgpass on each host, never in this file"
            )
        if not parts.path.strip("/"):
            raise ValueError("the address names no database; end it with /the-database-name")
        return value

    # Set by load_config: where the file is, for relative paths and template overrides.
    path: Path = Path("channels.yaml")
    doc: Any = Field(default=None, exclude=True)

    @property
    def folder(self) -> Path:
        return self.path.resolve().parent

    def resolve_path(self, relative: str) -> Path:
        """A path written in channels.yaml: ``~`` is home, relative is beside the file."""
        path = Path(relative).expanduser()
        return path if path.is_absolute() else (self.folder / path).resolve()

    def line_of(self, *location: str | int) -> int | None:
        return self.doc.line_of(location) if self.doc is not None else None

    def fallback_of(self, name: str) -> str | None:
        """The channel ``name`` falls back to, if it names one."""
        return getattr(self.channels[name], "fallback", None)

    def fallback_only(self, name: str) -> bool:
        """A channel with no recipients of its own that some other channel falls back to."""
        channel = self.channels[name]
        return (
            channel.type in FALLBACK_TYPES
            and getattr(channel, "recipients", "") is None
            and any(self.fallback_of(other) == name for other in self.channels)
        )

    def fallback_problems(self) -> list[Problem]:
        """A fallback must name another channel of a type that can stand in; a channel
        without recipients must be somebody's fallback."""
        problems: list[Problem] = []
        for name, channel in self.channels.items():
            target = getattr(channel, "fallback", None)
            if target is not None:
                other = self.channels.get(target)
                why = (
                    f"there is no channel '{target}'"
                    if other is None
                    else "a channel cannot fall back to itself"
                    if target == name
                    else f"'{target}' is a {other.type} channel"
                    if other.type not in FALLBACK_TYPES
                    else None
                )
                if why is not None:
                    problems.append(
                        Problem(
                            f"{why}; fallback names a voice or email channel of this file",
                            self.path,
                            self.line_of("channels", name, "fallback"),
                            "fallback",
                            channel=name,
                        )
                    )
            if (
                channel.type in FALLBACK_TYPES
                and getattr(channel, "recipients", "") is None
                and not any(self.fallback_of(o) == name for o in self.channels)
            ):
                problems.append(
                    Problem(
                        "the channel has no recipients and no other channel falls back to it; "
                        "give it recipients: a CSV file, or name it in another channel's "
                        f"fallback: {name}",
                        self.path,
                        self.line_of("channels", name),
                        "recipients",
                        channel=name,
                    )
                )
        return problems


_NAMED_ADDRESS = re.compile(r"^(?P<name>.*?)\s*<(?P<address>[^<>]*)>$", re.DOTALL)
_ADDR_SPEC = re.compile(r'[^\s@<>()\[\],;:"\\]+@[^\s@<>()\[\],;:"\\]+')


def split_address(value: str) -> tuple[str, str]:
    """``Urgence: Énergie Nord <alertes@example.com>`` → display name and address.

    Read the way a person writes it, not as RFC 5322 would: there, ``Urgence:`` starts a group
    and the mail would leave without it. The display name is quoted when the header is built.
    ``ValueError`` says what is wrong.
    """
    from broadcast.input.recipients import unsafe_characters

    if unsafe := unsafe_characters(value):
        raise ValueError(
            f"{value!r} is not one email address: it contains a line break or another control "
            f"character ({', '.join(unsafe)})"
        )
    text = value.strip()
    match = _NAMED_ADDRESS.match(text)
    name, address = (match["name"].strip(), match["address"].strip()) if match else ("", text)
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if not _ADDR_SPEC.fullmatch(address) or "<" in name or ">" in name:
        raise ValueError(
            f"'{value}' is not one email address; write it like "
            '"Service client <alertes@example.com>"'
        )
    return name, address


def config_path(explicit: Path | None, environ: Mapping[str, str] = os.environ) -> Path:
    """``--config`` wins, then ``BROADCAST_CONFIG``, then ./channels.yaml."""
    if explicit is not None:
        return explicit
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    return DEFAULT_CONFIG


def load_config(path: Path, environ: Mapping[str, str] = os.environ) -> Config:
    """Read channels.yaml; ``InputError`` lists every problem with its line."""
    try:
        doc = load_yaml(path, what="configuration file")
    except InputError as exc:
        # A character refused in channels.sms.from is said of channel sms, field from.
        raise InputError(_with_channel_names(exc.problems, None)) from None
    if not isinstance(doc.data, dict):
        raise InputError([Problem("channels.yaml is a list of 'field: value' lines", path, 1)])
    problems = _literal_secrets(doc)
    data = _expand_environment(doc, environ, problems)
    known: dict[tuple[str | int, ...], Any] = {
        (): [f for f in Config.model_fields if f not in ("path", "doc")],
        ("defaults",): Defaults.model_fields.keys(),
        ("content_checks",): ContentChecks.model_fields.keys(),
        ("approval",): Approval.model_fields.keys(),
    }
    for name, channel in (data.get("channels") or {}).items():
        kind = CHANNEL_TYPES.get(channel.get("type", "")) if isinstance(channel, dict) else None
        if kind is not None:
            known[("channels", name)] = _field_names(kind)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems.extend(
            problems_from_validation(
                exc, doc, known_fields=known, clean_location=_without_channel_tag
            )
        )
        raise InputError(_with_channel_names(problems, doc)) from None
    config = config.model_copy(update={"path": path, "doc": doc})
    problems.extend(config.fallback_problems())
    if problems:
        raise InputError(problems)
    return config


def resolve_credentials(
    config: Config, name: str, environ: Mapping[str, str] = os.environ
) -> tuple[dict[str, str], list[Problem]]:
    """The channel's credentials read from the environment, or a problem per missing variable."""
    channel = config.channels[name]
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for field, ref in channel.credential_refs().items():
        missing = [var for var in _ENV_REF.findall(ref) if not environ.get(var)]
        if missing:
            # urls.0 is the first item of the list urls.
            where = tuple(int(p) if p.isdigit() else p for p in field.split("."))
            for var in missing:
                problems.append(
                    Problem(
                        f"the environment variable {var} is not set; this channel needs it "
                        f"to send (export {var}=...)",
                        config.path,
                        config.line_of("channels", name, *where),
                        field,
                        channel=name,
                    )
                )
            continue
        values[field] = _ENV_REF.sub(lambda m: environ[m.group(1)], ref)
    return values, problems


def expand_references(text: str, environ: Mapping[str, str] = os.environ) -> str | None:
    """``text`` with its ``${VAR}`` references read from ``environ``; None when one is unset."""
    if any(not environ.get(var) for var in _ENV_REF.findall(text)):
        return None
    return _ENV_REF.sub(lambda m: environ[m.group(1)], text)


def _field_names(kind: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in kind.model_fields.items()]


def _expand_environment(
    doc: YamlDocument, environ: Mapping[str, str], problems: list[Problem]
) -> dict[str, Any]:
    """Resolve ``${VAR}`` everywhere except in credentials, which wait for a real send."""
    data: dict[str, Any] = dict(doc.data)
    channels = data.get("channels")
    if not isinstance(channels, dict):
        return data
    expanded: dict[str, Any] = {}
    for name, channel in channels.items():
        if not isinstance(channel, dict):
            expanded[name] = channel
            continue
        kind = CHANNEL_TYPES.get(channel.get("type", ""))
        if kind is None:
            expanded[name] = channel
            continue
        fields = {}
        for key, value in channel.items():
            if isinstance(value, str) and key not in kind.CREDENTIALS:
                for var in _ENV_REF.findall(value):
                    if var not in environ:
                        problems.append(
                            Problem(
                                f"the environment variable {var} is not set",
                                doc.path,
                                doc.line_of(("channels", name, key)),
                                key,
                                channel=name,
                            )
                        )
                value = _ENV_REF.sub(lambda m: environ.get(m.group(1), ""), value)
                if found := hidden_characters(value):
                    # As the file's own text: the variable's value is refused the same way.
                    problems.append(
                        Problem(
                            f"once its environment variables are read, {why_refused(found)}",
                            doc.path,
                            doc.line_of(("channels", name, key)),
                            key,
                            channel=name,
                        )
                    )
            fields[key] = value
        expanded[name] = fields
    data["channels"] = expanded
    return data


def _literal_secrets(doc: YamlDocument) -> list[Problem]:
    problems: list[Problem] = []
    channels = doc.data.get("channels")
    if not isinstance(channels, dict):
        return problems
    for name, channel in channels.items():
        kind = CHANNEL_TYPES.get(channel.get("type", "")) if isinstance(channel, dict) else None
        # A drill's exercise: block holds the same secrets (other URLs, another account's).
        drill = channel.get("exercise") if isinstance(channel, dict) else None
        blocks = [((), channel)] + ([(("exercise",), drill)] if isinstance(drill, dict) else [])
        for block, values in blocks:
            for field in kind.ENV_ONLY if kind else ():
                value = values.get(field)
                # A list of secrets (Apprise URLs): each item is a reference.
                items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
                for index, item in items:
                    if not isinstance(item, str) or _ENV_REF.fullmatch(item.strip()):
                        continue
                    where = (*block, field) if index is None else (*block, field, index)
                    suggested = f"{name.upper()}_{'DRILL_' * bool(block)}{field.upper()}" + (
                        "" if index is None else f"_{index + 1}"
                    )
                    problems.append(
                        Problem(
                            "secrets come from the environment, never from a file: write "
                            f'"${{{suggested}}}" and export that variable (the value written here '
                            "is not shown)",
                            doc.path,
                            doc.line_of(("channels", name, *where)),
                            ".".join([*block, field]) + ("" if index is None else f"[{index}]"),
                            channel=name,
                        )
                    )
    return problems


def _without_channel_tag(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """The channel type is in the location: channels.sms.*sms*.from."""
    if len(loc) >= 3 and loc[0] == "channels" and loc[2] in CHANNEL_TYPES:
        return (*loc[:2], *loc[3:])
    return loc


def _with_channel_names(problems: list[Problem], doc: YamlDocument | None) -> list[Problem]:
    """Name the channel a problem is in: ``channels.sms.from`` → channel sms, field from."""
    out = []
    for problem in problems:
        field = problem.field or ""
        if field.startswith("channels.") and field.count(".") >= 2:
            _, channel, rest = field.split(".", 2)
            out.append(
                Problem(
                    problem.message, problem.file, problem.line, rest, channel, problem.severity
                )
            )
        elif (
            doc is not None
            and field.startswith("channels.")
            and problem.message.startswith("unknown channel type")
        ):
            channel = field.split(".", 1)[1]
            line = doc.line_of(("channels", channel, "type"))
            out.append(Problem(problem.message, problem.file, line, "type", channel))
        elif field.startswith("channels."):
            channel = field.split(".", 1)[1]
            out.append(Problem(problem.message, problem.file, problem.line, None, channel))
        else:
            out.append(problem)
    return out
