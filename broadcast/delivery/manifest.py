"""What an approval approves: every text a version and its reminders hand out, and every
channel's envelope (who it appears to come from), each by its hash in a ``Manifest``.

A reminder is known by its due moment in the chain its version promises (``reminder_chain``),
never by the hour cron happens to run, so the texts a send renders are those approved.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from broadcast.delivery.plan import Plan
from broadcast.input.incident import Incident
from broadcast.ledger.sqlite import Approval
from broadcast.problems import Problem

# An approval covers its version's reminders due within this time of its anchor (at most
# MAX_REMINDERS): the approver is shown them. After that, a reminder waits for a new approval
# (``broadcast approve`` of the unchanged file approves the reminders of the day ahead).
REMINDER_HORIZON = timedelta(hours=24)
MAX_REMINDERS = 24
# What an approval records (in the ledger's texts_hash column): this format's manifest.
MANIFEST_FORMAT = 2
REAL, EXERCISE = "real", "exercise"


def plan_texts(plan: Plan) -> dict[str, str]:
    """Every text the plan hands out, by ``channel/language/part``: each language's parts and
    an X thread's posts (what the ledger records with a version and the channels send)."""
    texts: dict[str, str] = {}
    for channel in plan.channels:
        variants = channel.variants or {channel.locale: channel.parts}
        for language, parts in variants.items():
            for part, text in parts.items():
                texts[text_key(channel.name, language, part)] = text
        thread = channel.measures.get("thread") or ()
        if len(thread) > 1:
            language = next(iter(variants))
            for number, post in enumerate(thread, start=1):
                texts[text_key(channel.name, language, f"post{number}")] = post
    return texts


def text_key(channel: str, language: str, part: str) -> str:
    return f"{channel}/{language}/{part}"


# The "language" of a channel's envelope in a manifest's keys: no language code is written so.
ENVELOPE = "@"


def _addressing(plan: Plan) -> Iterator[tuple[str, Any, str, str, Any]]:
    """Each addressing field of each channel of the plan (its type's ``ADDRESSING``): the
    channel's name, its settings, the field, the name channels.yaml writes it under (its
    alias), and its value as written."""
    if plan.config is None:
        return
    for channel in plan.channels:
        settings = plan.config.channels.get(channel.name)
        if settings is None:
            continue
        for name in type(settings).ADDRESSING:
            field_info = type(settings).model_fields.get(name)
            shown = (field_info.alias if field_info and field_info.alias else None) or name
            yield channel.name, settings, name, shown, getattr(settings, name, None)


def plan_envelope(plan: Plan) -> dict[str, str]:
    """Who each channel of the plan appears to come from and where it publishes, by
    ``channel/@/field``: the fields its type lists in ``ADDRESSING`` (the SMS sender id, an
    email's From and Reply-To, the X account, the Facebook Page, the Apprise URLs), as
    channels.yaml writes them (a credential is its ``${VAR}`` reference: its value is read
    only when sending). The recipient sees them as much as the text: an approval covers them."""
    return {
        text_key(channel, ENVELOPE, shown): json.dumps(value, ensure_ascii=False, sort_keys=True)
        for channel, _settings, _name, shown, value in _addressing(plan)
    }


_REFERENCE = re.compile(r"^\$\{\w+\}$")


def envelope_lines(plan: Plan) -> list[str]:
    """The envelope as the approver is shown it: ``email · from: Service client <...>``. A
    credential (the X account's token, an Apprise URL) is shown only as its ``${VAR}``
    reference: a secret written in the file is never printed."""
    lines = []
    for channel, settings, name, shown, value in _addressing(plan):
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        if name in type(settings).CREDENTIALS:
            values = [v if _REFERENCE.match(str(v)) else "(a secret, not shown)" for v in values]
        lines.append(f"{channel} · {shown}: {', '.join(str(v) for v in values)}")
    return lines


def approved_texts(plan: Plan) -> dict[str, str]:
    """What an approval of ``plan`` covers: every text, and every channel's envelope."""
    return {**plan_texts(plan), **plan_envelope(plan)}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def hashed(texts: Mapping[str, str]) -> dict[str, str]:
    return {key: _digest(text) for key, text in sorted(texts.items())}


def differences(plan: Plan, approved: Mapping[str, str]) -> list[str]:
    """The texts of ``plan`` that are not the approved bytes, as ``channel · language ·
    part`` (with "not shown to the approver" when the approval has no such text)."""
    out = []
    for key, text in approved_texts(plan).items():
        channel, language, part = key.split("/", 2)
        if language == ENVELOPE:
            # Who the message appears to come from: a changed sender is a changed message.
            label = f"{channel} · {part} (who it appears to come from, or where it is published)"
            if key not in approved:
                out.append(f"{label}: the approval did not record it")
            elif approved[key] != _digest(text):
                out.append(f"{label}: channels.yaml changed it")
            continue
        label = f"{channel} · {language} · {part}"
        if key not in approved:
            out.append(f"{label} (a text the approver was not shown)")
        elif approved[key] != _digest(text):
            out.append(label)
    return out


def drop_unapproved_unseen(plan: Plan, approved: Mapping[str, str]) -> None:
    """A send that reads its recipients as it goes renders every translation, for readers
    further down: a language nobody in the first rows reads and the approver was not shown is
    left out (those readers get the channel's first language, which was approved), with a
    warning, rather than stopping the send."""
    for channel in plan.channels:
        count = channel.recipients
        if count is None or count.complete or len(channel.variants) < 2:
            continue
        for language in list(channel.variants)[1:]:
            keys = [text_key(channel.name, language, p) for p in channel.variants[language]]
            if count.languages.get(language) or any(k in approved for k in keys):
                continue
            del channel.variants[language]
            channel.variant_measures.pop(language, None)
            channel.problems.append(
                Problem(
                    f"recipients further down the list asking for '{language}' get the "
                    f"{next(iter(channel.variants))} message: the approver was not shown a "
                    f"{language} one",
                    plan.config_path,
                    channel=channel.name,
                    field="locale",
                    severity="warning",
                )
            )


def reminder_chain(incident: Incident, anchor: datetime, until: datetime) -> list[datetime]:
    """The moments the reminders of a version written at ``anchor`` are due, up to ``until``:
    each at the previous one's promise (deterministic, whatever hour cron runs)."""
    moments: list[datetime] = []
    moment = anchor
    for _ in range(10_000):
        nxt = incident.next_update_at(moment)
        if nxt is None or nxt > until:
            break
        moments.append(nxt)
        moment = nxt
    return moments


def reminder_moment(incident: Incident, anchor: datetime, now: datetime) -> datetime | None:
    """The due moment a reminder sent ``now`` speaks for: the chain's last one up to now."""
    chain = reminder_chain(incident, anchor, now)
    return chain[-1] if chain else None


def utc_key(moment: datetime) -> str:
    # To the microsecond: a moment read back from the ledger compares equal to the one named.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Manifest:
    """What an approval approved: per text, its hash, for the version (at ``anchor``) and each
    reminder (by due moment); and the mode."""

    incident_id: str
    mode: str
    anchor: datetime
    update: dict[str, str] | None
    reminders: dict[str, dict[str, str]]

    def to_text(self) -> str:
        return json.dumps(
            {
                "format": MANIFEST_FORMAT,
                "incident": self.incident_id,
                "mode": self.mode,
                "anchor": utc_key(self.anchor),
                "update": self.update,
                "reminders": self.reminders,
            },
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @property
    def digest(self) -> str:
        return _digest(self.to_text())

    @classmethod
    def of(cls, approval: Approval) -> Manifest | None:
        """The approval's manifest; None for an approval recorded by an older broadcast (one
        hash over all texts, which says neither which text nor which reminders)."""
        try:
            data = json.loads(approval.texts_hash)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
            return None
        return cls(
            str(data["incident"]),
            str(data["mode"]),
            datetime.fromisoformat(data["anchor"]),
            data["update"],
            data["reminders"],
        )


def build_manifest(
    incident_id: str,
    mode: str,
    anchor: datetime,
    update: Plan | None,
    reminders: Iterable[Plan],
) -> Manifest:
    return Manifest(
        incident_id,
        mode,
        anchor,
        hashed(approved_texts(update)) if update is not None else None,
        {utc_key(r.now): hashed(approved_texts(r)) for r in reminders},
    )


def manifest_summary(manifest: Manifest) -> dict[str, Any]:
    return {
        "anchor": utc_key(manifest.anchor),
        "texts": len(manifest.update or {}),
        "reminders": sorted(manifest.reminders),
    }
