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

This module holds the rule (when approval is needed), the record of an approval and the
checks a send makes against them; ``manifest`` (the texts and envelope approved, by hash),
``people`` (names) and ``signatures`` (ssh-keygen) are what they are made of;
``to_approve`` renders what ``approve`` shows and ``approved_plan`` what a send hands out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

from broadcast.delivery.manifest import (
    EXERCISE,
    REAL,
    REMINDER_HORIZON,
    Manifest,
    envelope_lines,
    plan_texts,
    utc_key,
)
from broadcast.delivery.people import check_name, person, same_person
from broadcast.delivery.signatures import Verified, sender_message, sign, signed_message, verify
from broadcast.input.config import Config
from broadcast.input.incident import Incident
from broadcast.ledger.sqlite import Approval, Ledger, Version
from broadcast.problems import InputError, Problem

# What callers know this module by: the rule, the records and checks of approvals; and, from
# the modules they are made of, what the commands and the terminal show of texts and people.
__all__ = [
    "KEY_ENV",
    "Candidate",
    "approval_needed",
    "approve_command",
    "approver_signature",
    "asked_by_rule",
    "candidates",
    "changed_reason",
    "check_name",
    "check_sender",
    "envelope_lines",
    "held_by_approval",
    "held_reason",
    "mode_of",
    "mode_words",
    "passed_promises",
    "passed_reason",
    "person",
    "plan_texts",
    "record_approval",
    "refusal",
    "sender_message",
    "signers_of",
]

# The sender's private key for runs without a --key option (tick, retry).
KEY_ENV = "BROADCAST_SIGNING_KEY"
SEVERITY_RANK = {"minor": 0, "major": 1, "critical": 2}
# Approvals a send looks at, newest first: each may cost one rendering of the file.
MAX_APPROVALS_CHECKED = 5
# A new version is not sent from texts approved longer ago than this (they say "updated at"
# that moment), even when they promise no next update.
MAX_APPROVAL_AGE = timedelta(hours=24)


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
        return self.manifest.reminders.get(utc_key(reminder_at))


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
        if reminder_at is not None and utc_key(reminder_at) not in manifest.reminders:
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
            checked = approver_signature(approval, manifest, signers, ledger_id)
            if checked.why_not is not None:
                reasons.append(f"the approval by {by}: {checked.why_not}")
                continue
            fingerprint = checked.fingerprint
        found.append(Candidate(approval, manifest, fingerprint))
    if not approvals:
        reasons.append("nobody has approved its texts yet")
    return found, reasons


def approver_signature(
    approval: Approval, manifest: Manifest, signers: Path, ledger_id: str
) -> Verified:
    """The approver's signature checked against allowed_signers (``signers``): whose key
    made it, or why it does not count (none was made, or not by a key listed for them)."""
    if not approval.signature:
        return Verified(
            why_not="it is not signed, and approval.allowed_signers asks for signed approvals "
            "(approve --key)"
        )
    return verify(
        signers,
        approval.approved_by,
        approval.signature,
        signed_message(ledger_id, manifest.digest, manifest.mode),
    )


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
