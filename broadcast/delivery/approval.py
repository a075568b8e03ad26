"""Two-person approval: nobody sends a version alone when channels.yaml asks for a second pair
of eyes.

An approval is of *texts*: a hash over every rendered text of every channel and language, as
``broadcast approve`` showed them. A send checks it by rendering the file again at the moment
the approval was given (times such as "next update at 11:40" then come out the same): any
edit since, to the incident, a template or the recipients' languages, changes the hash and
voids the approval. The approver must be another person than the sender. Reminders and the
rest of an approved version need no new approval (``delivery.sending`` asks only for a new
version).

With ``approval.allowed_signers`` (OpenSSH's allowed_signers file), an approval must also be
signed by a key that file lists for the approver's name: ``approve --key`` signs with
``ssh-keygen -Y sign -n broadcast`` and a send verifies with ``ssh-keygen -Y verify``.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from pathlib import Path

from broadcast.delivery.preflight import Plan
from broadcast.input.config import Config
from broadcast.input.incident import Incident
from broadcast.ledger.sqlite import Approval, Ledger
from broadcast.problems import InputError, Problem

USER_ENV = "BROADCAST_USER"
SEVERITY_RANK = {"minor": 0, "major": 1, "critical": 2}
# The namespace of broadcast's signatures: a signature made for something else never counts.
SIGNATURE_NAMESPACE = "broadcast"
# Approvals a send looks at, newest first: each costs one rendering of the file.
MAX_APPROVALS_CHECKED = 5
SSH_KEYGEN_SECONDS = 30


def person(explicit: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """Who is acting: ``--as``, else ``BROADCAST_USER``, else the login name."""
    for candidate in (explicit, environ.get(USER_ENV)):
        if candidate and candidate.strip():
            return candidate.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def same_person(one: str, other: str) -> bool:
    return one.strip().casefold() == other.strip().casefold()


def approval_needed(config: Config, incident: Incident) -> bool:
    """channels.yaml's ``approval``: always (``required``), or from ``min_severity`` up."""
    rule = config.approval
    if not rule.required and rule.min_severity is None:
        return False
    if rule.min_severity is None:
        return True
    return SEVERITY_RANK[incident.severity] >= SEVERITY_RANK[rule.min_severity]


def texts_hash(plan: Plan) -> str:
    """One hash over every rendered text of every channel and language of the plan."""
    texts = {c.name: c.variants or {c.locale: c.parts} for c in plan.channels}
    canonical = json.dumps(texts, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def signed_message(incident_id: str, digest: str) -> bytes:
    """What a signature covers: the incident and the hash of its texts."""
    return f"broadcast approval\nincident {incident_id}\ntexts {digest}\n".encode()


def sign(key: Path, message: bytes, where: Path) -> str:
    """The armoured SSH signature of ``message`` by the private key ``key``.

    The message goes on standard input, the signature comes on standard output: signing a
    file would leave an existing ``.sig`` in place without a terminal, and exit 0.
    """
    keygen = _ssh_keygen(where)
    if not key.expanduser().is_file():
        raise InputError(
            [Problem(f"--key {key}: there is no such private key file", where, field="--key")]
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
                    "; nothing was approved",
                    where,
                    field="--key",
                )
            ]
        )
    return signature


def verify(allowed_signers: Path, principal: str, signature: str, message: bytes) -> str | None:
    """None when ``signature`` is ``principal``'s per ``allowed_signers``; else why not."""
    keygen = shutil.which("ssh-keygen")
    if keygen is None:
        return "ssh-keygen is not installed here, so the signature cannot be checked"
    if not allowed_signers.is_file():
        return f"the allowed signers file {allowed_signers} does not exist"
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
        return None
    return (
        f"its signature is not one {allowed_signers} accepts for {principal} (an unknown key, "
        "or a signature of other texts)"
    )


def _ssh_keygen(where: Path) -> str:
    keygen = shutil.which("ssh-keygen")
    if keygen is None:
        raise InputError(
            [Problem("ssh-keygen is not installed; install OpenSSH's client to sign", where)]
        )
    return keygen


def record_approval(
    ledger: Ledger,
    ledger_id: str,
    plan: Plan,
    approved_by: str,
    key: Path | None = None,
) -> Approval:
    """Record ``approved_by``'s approval of the plan's texts (signed with ``key`` if given)."""
    digest = texts_hash(plan)
    signature = sign(key, signed_message(ledger_id, digest), plan.incident_path) if key else None
    return ledger.add_approval(ledger_id, digest, plan.now, approved_by, signature, plan.now)


def check_approval(
    ledger: Ledger,
    ledger_id: str,
    config: Config,
    sender: str,
    render_at: Callable[[datetime], Plan],
    incident_path: Path,
    line: int | None = None,
) -> Approval:
    """The approval this send goes out under; ``InputError`` (exit 2) saying what is missing.

    ``render_at`` renders the file as it is now, at a given moment: an approval holds when the
    texts rendered at its moment hash to what was approved.
    """
    signers = (
        config.resolve_path(config.approval.allowed_signers)
        if config.approval.allowed_signers
        else None
    )
    approvals = ledger.approvals(ledger_id)[:MAX_APPROVALS_CHECKED]
    hashes: dict[datetime, str] = {}
    reasons: list[str] = []
    zone: tzinfo | None = None  # the incident's, as every time said to the sender
    for approval in approvals:
        if approval.rendered_at not in hashes:
            plan = render_at(approval.rendered_at)
            hashes[approval.rendered_at] = texts_hash(plan) if plan.ok else ""
            zone = zone or (plan.incident.zone if plan.incident is not None else None)
        if hashes[approval.rendered_at] != approval.texts_hash:
            reasons.append(
                f"{approval.approved_by} approved the texts at "
                f"{_when(approval.approved_at, zone)}, "
                "and they have changed since (the incident file, a template or the "
                "recipients' languages), so that approval no longer holds"
            )
            continue
        if same_person(approval.approved_by, sender):
            reasons.append(
                f"the approval of these texts is {approval.approved_by}'s own, and "
                f"{sender} is sending: two different people are needed"
            )
            continue
        if signers is not None:
            why = (
                "it is not signed, and approval.allowed_signers asks for signed approvals "
                "(approve --key)"
                if not approval.signature
                else verify(
                    signers,
                    approval.approved_by,
                    approval.signature,
                    signed_message(ledger_id, approval.texts_hash),
                )
            )
            if why is not None:
                reasons.append(f"the approval by {approval.approved_by}: {why}")
                continue
        return approval
    detail = "; ".join(dict.fromkeys(reasons)) if reasons else "nobody has approved its texts yet"
    raise InputError(
        [
            Problem(
                f"waiting for approval by a second person: {detail}. Nothing was sent. "
                f"Someone other than {sender} checks what every channel will carry and "
                f"approves it with: broadcast approve {incident_path}",
                incident_path,
                line,
                "approval",
            )
        ]
    )


def _when(moment: datetime, zone: tzinfo | None = None) -> str:
    """``2026-11-22 09:40 CET`` in the incident's zone (UTC when it is not known)."""
    if zone is None:
        return f"{moment:%Y-%m-%d %H:%M} UTC"
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M %Z}"
