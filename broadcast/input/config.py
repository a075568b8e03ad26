"""channels.yaml: which channels exist, how to reach them, and ``${VAR}`` references to secrets.

Credentials are declared per channel type (``CREDENTIALS``) and resolved from the environment only
when a channel really sends, so a dry run needs none. Other ``${VAR}`` references are resolved
when the file is read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union
from urllib.parse import urlsplit

from broadcast.channels import channel_types
from broadcast.channels.apprise import AppriseChannel
from broadcast.channels.cap import CapChannel
from broadcast.channels.email import EmailChannel, split_address
from broadcast.channels.facebook import FacebookChannel
from broadcast.channels.model import OCCASIONS, SEVERITIES, ChannelConfig, Occasion
from broadcast.channels.sms import SmsChannel
from broadcast.channels.twitter import TwitterChannel
from broadcast.channels.voice import VoiceChannel
from broadcast.channels.web_banner import WebBannerChannel
from broadcast.input.cap_area import TerritorySetting
from broadcast.input.characters import hidden_characters, why_refused
from broadcast.input.hazards import unknown_hazard
from broadcast.input.model_errors import problems_from_validation
from broadcast.input.schema import BaseModel, ConfigDict, Field, ValidationError, field_validator
from broadcast.input.yamlfile import YamlDocument, load_yaml
from broadcast.problems import InputError, Problem

# The channels' models and facts live in their modules (broadcast.channels.*): named here
# too, where code reading channels.yaml has always found them.
__all__ = [
    "OCCASIONS",
    "SEVERITIES",
    "AppriseChannel",
    "CapChannel",
    "Channel",
    "Config",
    "EmailChannel",
    "FacebookChannel",
    "Occasion",
    "Serve",
    "SmsChannel",
    "TwitterChannel",
    "VoiceChannel",
    "WebBannerChannel",
    "config_path",
    "expand_references",
    "load_config",
    "occasions_of",
    "resolve_credentials",
    "split_address",
]

CONFIG_ENV = "BROADCAST_CONFIG"
DEFAULT_CONFIG = Path("channels.yaml")

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


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


# The type of one channel's entry: the model its ``type:`` names in the registry
# (broadcast.channels), checked as the union of every registered model.
Channel = ChannelConfig
# The models of channels yaml is checked against, when its annotation was last set.
_checked_kinds: tuple[type[ChannelConfig], ...] = ()


def _channels_annotation() -> Any:
    """``channels:``'s type: a name → one of the registered models, chosen by ``type``."""
    kinds = tuple(channel_types().values())
    return dict[
        Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")],
        # A union of the models registered by now: built at run time, so no static type.
        Annotated[Union[kinds], Field(discriminator="type")],  # type: ignore[valid-type]  # noqa: UP007
    ]


def _check_every_registered_channel() -> None:
    """Let ``channels:`` take every model registered by now (a channel defined outside this
    package registers after this module is read)."""
    global _checked_kinds
    kinds = tuple(channel_types().values())
    if kinds != _checked_kinds:
        Config.model_fields["channels"].annotation = _channels_annotation()
        _checked_kinds = kinds


# The sector starters (broadcast/sectors/<sector>/), whose data the wording checks read.
SECTORS_FOLDER = Path(__file__).resolve().parent.parent / "sectors"


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
    # The team's sector (utility, telecom...): its jargon list and the hazards its crises
    # carry. Without it, every sector's apply.
    sector: str | None = None
    # Acronyms the team's public knows (a city's transit operator, a regional radio).
    known_acronyms: list[str] = Field(default_factory=list)
    # A hazard → the team's own phrasings of its protective action (broadcast/sectors/
    # hazards.yaml has the standard ones).
    safety_actions: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("sector")
    @classmethod
    def _known_sector(cls, value: str | None) -> str | None:
        if value is None:
            return None
        known = sorted(
            path.name for path in SECTORS_FOLDER.iterdir() if (path / "channels.yaml").is_file()
        )
        if value not in known:
            raise ValueError(f"'{value}' is not a sector; write one of: {', '.join(known)}")
        return value

    @field_validator("safety_actions")
    @classmethod
    def _known_hazards(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for name in value:
            wrong = unknown_hazard(name)
            if wrong:
                raise ValueError(wrong)
        return value


class Approval(BaseModel):
    """Two-person approval: who must agree before a version goes out (see delivery.approval)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    required: bool = False
    # Only incidents this severe or more need it (minor < major < critical).
    min_severity: Literal["minor", "major", "critical"] | None = None
    # OpenSSH allowed_signers: approvals must then be signed by a key it lists for the name.
    allowed_signers: str | None = None


_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


class Serve(BaseModel):
    """``broadcast serve``: the base URL Twilio calls (signatures are checked against it), and
    the call-in line's number, printed as the offline way when set."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    public_url: str
    call_in_number: str | None = None
    # The reverse proxies whose X-Forwarded-For is believed (addresses or networks): the
    # sign-up pages limit attempts per client address, which only they can tell.
    trusted_proxies: list[str] = Field(default_factory=list)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"'{item}' is not an IP address or network; write the proxy's address, "
                    "like 127.0.0.1 or 10.0.0.0/8"
                ) from None
        return value

    @field_validator("public_url")
    @classmethod
    def _a_public_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        local = parts.hostname in ("localhost", "127.0.0.1", "::1")
        if (
            parts.scheme not in ("https", "http")
            or not parts.hostname
            or (parts.scheme == "http" and not local)
            or parts.query
            or parts.fragment
            or parts.username
        ):
            raise ValueError(
                f"'{value}' is not a public base URL; write the https address Twilio calls, "
                "like https://alerts.example.org (with a path if your proxy adds one, no query)"
            )
        return value.rstrip("/")

    @field_validator("call_in_number")
    @classmethod
    def _an_international_number(cls, value: str | None) -> str | None:
        if value is None:
            return None
        compact = re.sub(r"[\s.()-]", "", value)
        if not _E164.match(compact):
            raise ValueError(
                f"'{value}' is not a phone number in international form; write it with its "
                "country code, like +33 1 23 45 67 89"
            )
        return compact


class Config(BaseModel):
    """The whole of channels.yaml."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    organisation: str = Field(min_length=1)
    # How people reach the organisation (a phone number): the email's footer says it.
    contact: str | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    content_checks: ContentChecks = Field(default_factory=ContentChecks)
    approval: Approval = Field(default_factory=Approval)
    # A name → the model its ``type`` names (see _check_every_registered_channel).
    channels: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")], Channel] = Field(
        min_length=1
    )
    # A PostgreSQL ledger several hosts share (postgresql://user@host:5432/db); none: the
    # SQLite file in the state folder. BROADCAST_LEDGER in the environment says the same.
    ledger: str | None = None
    # broadcast serve: the address Twilio calls back, and the call-in line's number.
    serve: Serve | None = None
    # Where the organisation serves (a polygon or a bounding box): an incident's area outside
    # it is refused before anything is sent (input.area_target).
    territory: TerritorySetting | None = None

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
            type(channel).FALLBACK_TARGET
            and getattr(channel, "recipients", "") is None
            and not channel.subscribers
            and any(self.fallback_of(other) == name for other in self.channels)
        )

    def subscriber_problems(self) -> list[Problem]:
        """An email channel sending to subscribers gives each one an unsubscribe link on
        ``broadcast serve``: its address (``serve.public_url``) must be known."""
        return [
            Problem(
                "recipients names subscribers, and every email to a subscriber carries a "
                "one-click unsubscribe link to broadcast serve; add serve: {public_url: "
                "https://alerts.example.org} (the address serve answers on)",
                self.path,
                self.line_of("channels", name, "recipients"),
                "recipients",
                channel=name,
            )
            for name, channel in self.channels.items()
            if channel.subscribers and type(channel).CONTACT == "email" and self.serve is None
        ]

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
                    if not type(other).FALLBACK_TARGET
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
                type(channel).FALLBACK_TARGET
                and getattr(channel, "recipients", "") is None
                and not channel.subscribers
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


# Config checks every channel registered when this module is read; load_config looks again.
_check_every_registered_channel()


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
    _check_every_registered_channel()
    problems = _literal_secrets(doc)
    data = _expand_environment(doc, environ, problems)
    known: dict[tuple[str | int, ...], Any] = {
        (): [f for f in Config.model_fields if f not in ("path", "doc")],
        ("defaults",): Defaults.model_fields.keys(),
        ("content_checks",): ContentChecks.model_fields.keys(),
        ("approval",): Approval.model_fields.keys(),
        ("serve",): Serve.model_fields.keys(),
    }
    for name, channel in (data.get("channels") or {}).items():
        kind = channel_types().get(channel.get("type", "")) if isinstance(channel, dict) else None
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
    problems.extend(config.subscriber_problems())
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
        kind = channel_types().get(channel.get("type", ""))
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
        kind = channel_types().get(channel.get("type", "")) if isinstance(channel, dict) else None
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
    if len(loc) >= 3 and loc[0] == "channels" and loc[2] in channel_types():
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
