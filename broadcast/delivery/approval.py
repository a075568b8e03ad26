"""Two-person approval: what was approved is exactly what goes out, and the approver is not the
sender.

An approval is of *texts*, each one: ``broadcast approve`` renders the file at its moment (the
approval's *anchor*) and records a hash of every text of every channel, language and part it
shows (the version's, and the reminders that keep its promise over the next
``REMINDER_HORIZON``), with the mode (a real alert or an exercise). A send does not render
the version at its own moment: it renders it at the anchor, so the texts (their "updated at
08:40", their "next update at 10:40") are the very bytes approved, and it compares every text
it is about to hand to a provider with the approved set, refusing before sending anything when
one differs (naming the channel, language and part). Who each channel appears to come from
(its envelope: the SMS sender id, an email's From and Reply-To, the X account, the Page; the
fields its type lists in ``ADDRESSING``) is approved the same way: channels.yaml edited after
the approval refuses the send, naming the channel and field. A reminder is rendered at its
due moment in the chain the approval followed (anchor, next promise, next promise...), never at the
moment cron happens to run, so it too is a text the approver was shown. A correction is a new
version (approved as any other); a fallback call says the texts recorded with the version.

People are compared by their names after Unicode NFKC and casefolding, and a name mixing
scripts (a Greek omicron among Latin letters) or holding invisible characters is refused:
"bob" with a Greek omicron is not someone else than "bob". Without
``approval.allowed_signers``, a name is what a person says they are: trust, not proof. With
it (OpenSSH's allowed_signers file), the approver signs (``approve --key``: ``ssh-keygen -Y
sign -n broadcast``) the hash of the approved texts and their mode, and the sender signs too
(``send --key``, ``tick`` and ``retry`` with ``BROADCAST_SIGNING_KEY``): each signature is
checked against the key that file lists for the person's name, and the sender's key must not
be the approver's.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from broadcast.delivery.plan import Plan
from broadcast.input.config import Config
from broadcast.input.files import check_regular
from broadcast.input.incident import Incident
from broadcast.ledger.sqlite import Approval, Ledger, Version
from broadcast.problems import InputError, Problem

USER_ENV = "BROADCAST_USER"
# The sender's private key for runs without a --key option (tick, retry).
KEY_ENV = "BROADCAST_SIGNING_KEY"
SEVERITY_RANK = {"minor": 0, "major": 1, "critical": 2}
# The namespace of broadcast's signatures: a signature made for something else never counts.
SIGNATURE_NAMESPACE = "broadcast"
# Approvals a send looks at, newest first: each may cost one rendering of the file.
MAX_APPROVALS_CHECKED = 5
SSH_KEYGEN_SECONDS = 30
# An approval covers its version's reminders due within this time of its anchor (at most
# MAX_REMINDERS): the approver is shown them. After that, a reminder waits for a new approval
# (``broadcast approve`` of the unchanged file approves the reminders of the day ahead).
REMINDER_HORIZON = timedelta(hours=24)
MAX_REMINDERS = 24
# A new version is not sent from texts approved longer ago than this (they say "updated at"
# that moment), even when they promise no next update.
MAX_APPROVAL_AGE = timedelta(hours=24)
# What an approval records (in the ledger's texts_hash column): this format's manifest.
MANIFEST_FORMAT = 2
REAL, EXERCISE = "real", "exercise"
# Scripts that one person's name may mix (Japanese writes kanji, hiragana and katakana).
_SCRIPT_GROUPS = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "CJK": "CJK", "HALFWIDTH": "CJK"}
# Letters of other scripts that look like Latin ones: two names that differ only by them are
# one person.
_CONFUSABLES = str.maketrans(
    # Greek, Cyrillic, then Latin letters that pass for others (escaped: they look alike).
    "\u03b1\u03b2\u03b3\u03b5\u03b7\u03b9\u03ba\u03bd\u03bf\u03c1\u03c4\u03c5\u03c7\u03c9\u03f2\u03f3"
    "\u0430\u0432\u0433\u0434\u0435\u0451\u0437\u0438\u0456\u0457\u0458\u043a\u043b\u043c\u043d\u043e\u043f\u0440\u0441\u0442\u0443\u0445\u0455\u0501\u051b\u051d\u04bb\u044c"
    "\u0131\u0142\u017f",
    "abyenikvoptuxwcjabrdee3uiijknmhonpctyxsdqwhbils",
)


def person(explicit: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """Who is acting: ``--as``, else ``BROADCAST_USER``, else the login name."""
    for candidate in (explicit, environ.get(USER_ENV)):
        if candidate and candidate.strip():
            return candidate.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a person in an approval, if it cannot.

    A name with invisible or control characters, or whose letters mix scripts (Latin and
    Greek, Latin and Cyrillic), is refused: it would pass for another person's name.
    """
    text = unicodedata.normalize("NFKC", name)
    for char in text:
        category = unicodedata.category(char)
        if category[0] in "CZ" and char != " ":
            return (
                f"the name {name!r} holds an invisible or control character "
                f"(U+{ord(char):04X}), so it could pass for another person's"
            )
    scripts: dict[str, str] = {}
    for char in text:
        if not char.isalpha():
            continue
        word = unicodedata.name(char, "UNKNOWN").split()[0]
        scripts.setdefault(_SCRIPT_GROUPS.get(word, word), char)
    if len(scripts) > 1:
        mixed = ", ".join(
            f"{script.title()} ({char!r} is {unicodedata.name(char, '?')})"
            for script, char in scripts.items()
        )
        return (
            f"the name {name!r} mixes the letters of several scripts: {mixed}; a name that "
            "looks like another person's is refused (write it in one script)"
        )
    return None


def canonical_name(name: str) -> str:
    """The name two spellings of one person share: NFKC, casefolded, look-alikes made Latin."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.translate(_CONFUSABLES).split())


def same_person(one: str, other: str) -> bool:
    return canonical_name(one) == canonical_name(other)


def check_name(name: str, where: Path, option: str = "--as") -> str:
    """``name``, or ``InputError`` (exit 2) when it could pass for someone else's."""
    why = name_problem(name)
    if why is not None:
        raise InputError([Problem(f"{why}; nothing was done", where, field=option)])
    return name


def approval_needed(config: Config, incident: Incident, ledger: Ledger | None = None) -> bool:
    """channels.yaml's ``approval``: always (``required``), or from ``min_severity`` up; and,
    given the ledger, for any incident already under an approval (see ``held_by_approval``)."""
    if asked_by_rule(config, incident):
        return True
    return ledger is not None and held_by_approval(ledger, incident.id) is not None


def held_by_approval(ledger: Ledger, ledger_id: str) -> Version | None:
    """The incident's latest version sent under an approval, if any: once one went out
    after a second person's check, every later version, reminder and correction needs one
    too. Otherwise lowering ``severity`` below ``approval.min_severity`` in the file (or
    dropping the rule from channels.yaml) would send the next one unchecked."""
    under = [v for v in ledger.versions(ledger_id) if v.approval_id is not None]
    return under[-1] if under else None


def held_reason(config: Config, incident: Incident, ledger: Ledger) -> str | None:
    """Why approval is still needed when channels.yaml's rule alone would not ask for it."""
    if asked_by_rule(config, incident):
        return None
    earlier = held_by_approval(ledger, incident.id)
    if earlier is None:
        return None
    rule = config.approval
    approval = ledger.approval(earlier.approval_id) if earlier.approval_id else None
    why = (
        f"its severity is now {incident.severity}, below approval.min_severity "
        f"({rule.min_severity}), yet"
        if rule.min_severity is not None
        else "channels.yaml no longer asks for approval, yet"
    )
    return (
        f"{why} an earlier version of this incident went out under "
        f"{approval.approved_by if approval else 'a second person'}'s approval "
        f"(sent at {_when(earlier.went_out_at, incident.zone)}): once an incident went out "
        "under a second person's check, every later version, reminder and correction of it "
        "needs one too"
    )


def asked_by_rule(config: Config, incident: Incident) -> bool:
    """channels.yaml's ``approval``: always (``required``), or from ``min_severity`` up."""
    rule = config.approval
    if not rule.required and rule.min_severity is None:
        return False
    if rule.min_severity is None:
        return True
    return SEVERITY_RANK[incident.severity] >= SEVERITY_RANK[rule.min_severity]


def mode_of(incident: Incident) -> str:
    return EXERCISE if incident.exercise else REAL


def mode_words(mode: str) -> str:
    return "an EXERCISE (a drill)" if mode == EXERCISE else "a REAL alert (not an exercise)"


def approve_command(incident_path: Path, mode: str) -> str:
    """The command that approves the file in its mode: a drill's says --exercise."""
    return f"broadcast approve {incident_path}" + (" --exercise" if mode == EXERCISE else "")


# -- the texts ----------------------------------------------------------------------------


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


def _utc(moment: datetime) -> str:
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
                "anchor": _utc(self.anchor),
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
        {_utc(r.now): hashed(approved_texts(r)) for r in reminders},
    )


# -- signatures ---------------------------------------------------------------------------


def signed_message(incident_id: str, digest: str, mode: str = REAL) -> bytes:
    """What an approver's signature covers: the incident, the mode, the approved texts."""
    return f"broadcast approval\nincident {incident_id}\nmode {mode}\ntexts {digest}\n".encode()


def sender_message(incident_id: str, mode: str, approval_digest: str, sender: str) -> bytes:
    """What a sender's signature covers: who sends which approved texts, in which mode."""
    return (
        f"broadcast send\nincident {incident_id}\nmode {mode}\napproval {approval_digest}\n"
        f"sender {canonical_name(sender)}\n"
    ).encode()


def sign(key: Path, message: bytes, where: Path, what: str = "nothing was approved") -> str:
    """The armoured SSH signature of ``message`` by the private key ``key``.

    The message goes on standard input, the signature comes on standard output: signing a
    file would leave an existing ``.sig`` in place without a terminal, and exit 0.
    """
    keygen = _ssh_keygen(where)
    # A pipe or a device is said as such (ssh-keygen would wait on it), not as "no file".
    check_regular(key.expanduser(), "private key file (--key)")
    if not key.expanduser().is_file():
        raise InputError(
            [
                Problem(
                    f"--key {key}: there is no such private key file; {what}", where, field="--key"
                )
            ]
        )
    done = subprocess.run(
        [keygen, "-Y", "sign", "-f", str(key.expanduser()), "-n", SIGNATURE_NAMESPACE, "-q"],
        input=message,
        capture_output=True,
        timeout=SSH_KEYGEN_SECONDS,
        check=False,
    )
    signature = done.stdout.decode("ascii", "replace")
    if done.returncode != 0 or "BEGIN SSH SIGNATURE" not in signature:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(
            [
                Problem(
                    f"ssh-keygen could not sign with {key} ({said[-1] if said else 'no reason'})"
                    f"; {what}",
                    where,
                    field="--key",
                )
            ]
        )
    return signature


_FINGERPRINT = re.compile(r"key (\S+:\S+)")


@dataclass(frozen=True)
class Verified:
    """A signature checked against allowed_signers: whose key signed (its fingerprint)."""

    fingerprint: str | None = None
    why_not: str | None = None


def verify(allowed_signers: Path, principal: str, signature: str, message: bytes) -> Verified:
    """The signing key's fingerprint when ``signature`` is ``principal``'s per
    ``allowed_signers``; else why not."""
    keygen = shutil.which("ssh-keygen")
    if keygen is None:
        return Verified(
            why_not="ssh-keygen is not installed here, so the signature cannot be checked"
        )
    if not allowed_signers.is_file():
        return Verified(why_not=f"the allowed signers file {allowed_signers} does not exist")
    with tempfile.TemporaryDirectory() as folder:
        signature_file = Path(folder) / "approval.sig"
        signature_file.write_text(signature, encoding="ascii")
        done = subprocess.run(
            [
                keygen,
                "-Y",
                "verify",
                "-f",
                str(allowed_signers),
                "-I",
                principal,
                "-n",
                SIGNATURE_NAMESPACE,
                "-s",
                str(signature_file),
            ],
            input=message,
            capture_output=True,
            timeout=SSH_KEYGEN_SECONDS,
            check=False,
        )
    if done.returncode == 0:
        said = (done.stdout + done.stderr).decode("utf-8", "replace")
        found = _FINGERPRINT.search(said)
        return Verified(fingerprint=found.group(1) if found else said.strip())
    return Verified(
        why_not=f"its signature is not one {allowed_signers} accepts for {principal} (an "
        "unknown key, or a signature of other texts)"
    )


def _ssh_keygen(where: Path) -> str:
    keygen = shutil.which("ssh-keygen")
    if keygen is None:
        raise InputError(
            [Problem("ssh-keygen is not installed; install OpenSSH's client to sign", where)]
        )
    return keygen


# -- approving ----------------------------------------------------------------------------


def record_approval(
    ledger: Ledger,
    ledger_id: str,
    manifest: Manifest,
    approved_by: str,
    key: Path | None,
    where: Path,
    now: datetime,
) -> Approval:
    """Record ``approved_by``'s approval of the manifest's texts (signed with ``key``)."""
    check_name(approved_by, where)
    signature = (
        sign(key, signed_message(ledger_id, manifest.digest, manifest.mode), where) if key else None
    )
    return ledger.add_approval(
        ledger_id, manifest.to_text(), manifest.anchor, approved_by, signature, now
    )


# -- checking -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """An approval that holds for this sender and mode; its texts are compared next."""

    approval: Approval
    manifest: Manifest
    approver_key: str | None  # the fingerprint of the key that signed it, if signatures count

    def section(self, reminder_at: datetime | None) -> dict[str, str] | None:
        """The approved hashes of the version (None) or of the reminder due ``reminder_at``."""
        if reminder_at is None:
            return self.manifest.update
        return self.manifest.reminders.get(_utc(reminder_at))


def signers_of(config: Config) -> Path | None:
    return (
        config.resolve_path(config.approval.allowed_signers)
        if config.approval.allowed_signers
        else None
    )


def candidates(
    ledger: Ledger,
    ledger_id: str,
    config: Config,
    sender: str,
    mode: str,
    where: Path,
    anchor: datetime | None = None,
    reminder_at: datetime | None = None,
    now: datetime | None = None,
    only: int | None = None,
    zone: tzinfo | None = None,
) -> tuple[list[Candidate], list[str]]:
    """The incident's approvals (newest first) that may cover this send: in its mode, of its
    texts' section (the version, or the reminder due ``reminder_at`` of the version written
    at ``anchor``), by someone other than ``sender``, signed when allowed_signers asks; and
    why each other one does not (times said in ``zone``, the incident's)."""
    check_name(sender, where)
    signers = signers_of(config)
    found: list[Candidate] = []
    reasons: list[str] = []
    approvals = ledger.approvals(ledger_id)
    if only is not None:
        approvals = sorted(approvals, key=lambda a: a.id != only)
    for approval in approvals[:MAX_APPROVALS_CHECKED]:
        by = approval.approved_by
        manifest = Manifest.of(approval)
        if manifest is None or manifest.incident_id != ledger_id:
            reasons.append(
                f"the approval by {by} was recorded by an older broadcast, which did not keep "
                "each text it approved, so it no longer counts"
            )
            continue
        if manifest.mode != mode:
            reasons.append(
                f"{by} approved the texts as {mode_words(manifest.mode)}, and this is "
                f"{mode_words(mode)}: an approval holds only in the mode it was given"
            )
            continue
        if anchor is not None and manifest.anchor != anchor:
            continue  # an approval of another version
        if anchor is None and manifest.update is None:
            continue  # an approval of reminders only
        if reminder_at is not None and _utc(reminder_at) not in manifest.reminders:
            reasons.append(
                f"the reminder due at {_when(reminder_at, zone)} is not among the texts {by} "
                f"approved (an approval covers the reminders of its first "
                f"{REMINDER_HORIZON.total_seconds() / 3600:g} h)"
            )
            continue
        if anchor is None and now is not None and now - manifest.anchor > MAX_APPROVAL_AGE:
            reasons.append(
                f"{by} approved the texts at {_when(manifest.anchor, zone)}, more than "
                f"{MAX_APPROVAL_AGE.total_seconds() / 3600:g} h ago: they say that moment"
            )
            continue
        if same_person(by, sender):
            reasons.append(
                f"the approval of these texts is {by}'s own, and {sender} is sending: two "
                "different people are needed"
            )
            continue
        fingerprint = None
        if signers is not None:
            if not approval.signature:
                reasons.append(
                    f"the approval by {by}: it is not signed, and approval.allowed_signers "
                    "asks for signed approvals (approve --key)"
                )
                continue
            checked = verify(
                signers,
                by,
                approval.signature,
                signed_message(ledger_id, manifest.digest, manifest.mode),
            )
            if checked.why_not is not None:
                reasons.append(f"the approval by {by}: {checked.why_not}")
                continue
            fingerprint = checked.fingerprint
        found.append(Candidate(approval, manifest, fingerprint))
    if not approvals:
        reasons.append("nobody has approved its texts yet")
    return found, reasons


def passed_promises(incident: Incident, moment: datetime, now: datetime) -> list[str]:
    """The times the texts rendered at ``moment`` state as still to come (the expected end,
    the next update) and which have passed by ``now``, as "the expected end at 14:00".

    Approved texts are sent as rendered at the approval's moment: one that says "back around
    14h" at 15:30 tells people something false, where the same file rendered now would say it
    is taking longer than expected. So such texts are not sent: the file is updated and
    approved again."""
    passed: list[str] = []
    eta = incident.eta
    if not incident.ended and eta is not None and moment <= eta <= now:
        passed.append(f"the expected end at {incident.local_time(eta)}")
    promise = incident.next_update_at(moment)
    if promise is not None and promise <= now:
        passed.append(f"the next update at {incident.local_time(promise)}")
    return passed


def passed_reason(
    candidate: Candidate, moment: datetime, passed: list[str], incident: Incident
) -> str:
    return (
        f"{candidate.approval.approved_by} approved the texts at "
        f"{incident.local_time(moment)}, and they announce as still to come "
        f"{' and '.join(passed)}, which has passed: they would tell people something no "
        "longer true. Update the file (a new eta, or the next update) and have it approved "
        "again"
    )


def changed_reason(candidate: Candidate, changed: list[str], zone: tzinfo | None = None) -> str:
    shown = ", ".join(changed[:6]) + (f" and {len(changed) - 6} more" if len(changed) > 6 else "")
    return (
        f"{candidate.approval.approved_by} approved the texts at "
        f"{_when(candidate.approval.approved_at, zone)}, and these are not the bytes approved "
        f"({shown}): the incident file, a template, channels.yaml or the recipients' languages "
        "changed since, so that approval does not cover them"
    )


def check_sender(
    candidate: Candidate,
    config: Config,
    ledger_id: str,
    sender: str,
    key: Path | None,
    where: Path,
    line: int | None = None,
) -> str | None:
    """With allowed_signers, the sender signs with a key listed for their name that is not
    the approver's key; ``InputError`` (exit 2, nothing sent) otherwise. Returns the sender's
    signature (kept with the version), None when no signature is asked for."""
    signers = signers_of(config)
    if signers is None:
        return None
    by = candidate.approval.approved_by
    if key is None:
        why = (
            "approval.allowed_signers asks the sender to sign too: send --as NAME --key FILE "
            f"(tick and retry read the key's path from ${KEY_ENV})"
        )
    else:
        message = sender_message(
            ledger_id, candidate.manifest.mode, candidate.manifest.digest, sender
        )
        signature = sign(key, message, where, "nothing was sent")
        checked = verify(signers, sender, signature, message)
        if checked.why_not is not None:
            why = f"the sender {sender}: {checked.why_not}"
        elif candidate.approver_key is not None and checked.fingerprint == candidate.approver_key:
            why = (
                f"{sender} signed with the key that signed {by}'s approval "
                f"({checked.fingerprint}): one key is one person, so the approver would be "
                "sending"
            )
        else:
            return signature
    raise InputError(
        [
            Problem(
                f"the sender must prove who they are: {why}. Nothing was sent.",
                where,
                line,
                "approval",
            )
        ]
    )


def refusal(
    reasons: list[str], sender: str, incident_path: Path, mode: str, line: int | None = None
) -> InputError:
    detail = "; ".join(dict.fromkeys(reasons)) if reasons else "nobody has approved its texts yet"
    return InputError(
        [
            Problem(
                f"waiting for approval by a second person: {detail}. Nothing was sent. "
                f"Someone other than {sender} checks what every channel will carry, as "
                f"{mode_words(mode)}, and approves it with: {approve_command(incident_path, mode)}",
                incident_path,
                line,
                "approval",
            )
        ]
    )


def _when(moment: datetime, zone: tzinfo | None = None) -> str:
    """``2026-11-22 09:40 CET`` in the incident's zone (UTC when it is not known)."""
    if zone is None:
        return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M %Z}"


def manifest_summary(manifest: Manifest) -> dict[str, Any]:
    return {
        "anchor": _utc(manifest.anchor),
        "texts": len(manifest.update or {}),
        "reminders": sorted(manifest.reminders),
    }
