"""SSH signatures of approvals and sends (``ssh-keygen -Y sign`` / ``-Y verify`` with
OpenSSH's allowed_signers file): what each signature covers, making one, checking one.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from broadcast.delivery.manifest import REAL
from broadcast.delivery.people import canonical_name
from broadcast.input.files import check_regular
from broadcast.problems import InputError, Problem

# The namespace of broadcast's signatures: a signature made for something else never counts.
SIGNATURE_NAMESPACE = "broadcast"
SSH_KEYGEN_SECONDS = 30


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
    try:
        done = subprocess.run(
            [keygen, "-Y", "sign", "-f", str(key.expanduser()), "-n", SIGNATURE_NAMESPACE, "-q"],
            input=message,
            capture_output=True,
            timeout=SSH_KEYGEN_SECONDS,
            check=False,
        )
    except (subprocess.TimeoutExpired, OSError) as exc:
        # Not a traceback: a passphrase nobody typed in time, a machine out of processes.
        why = (
            f"it did not finish within {SSH_KEYGEN_SECONDS} s"
            if isinstance(exc, subprocess.TimeoutExpired)
            else (exc.strerror or str(exc))
        )
        raise InputError(
            [Problem(f"ssh-keygen could not sign with {key} ({why}); {what}", where, field="--key")]
        ) from None
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
    try:
        done = _verify(keygen, allowed_signers, principal, signature, message)
    except (subprocess.TimeoutExpired, OSError) as exc:
        # A full disk under the temporary file, a machine out of processes: the signature
        # does not count (nothing goes out on it), said as such, never a traceback.
        why = (
            f"ssh-keygen did not finish within {SSH_KEYGEN_SECONDS} s"
            if isinstance(exc, subprocess.TimeoutExpired)
            else (exc.strerror or str(exc))
        )
        return Verified(why_not=f"its signature could not be checked ({why})")
    if done.returncode == 0:
        said = (done.stdout + done.stderr).decode("utf-8", "replace")
        found = _FINGERPRINT.search(said)
        return Verified(fingerprint=found.group(1) if found else said.strip())
    return Verified(
        why_not=f"its signature is not one {allowed_signers} accepts for {principal} (an "
        "unknown key, or a signature of other texts)"
    )


def _verify(
    keygen: str, allowed_signers: Path, principal: str, signature: str, message: bytes
) -> subprocess.CompletedProcess[bytes]:
    """``ssh-keygen -Y verify`` of ``signature`` (written to a temporary file: it reads the
    signature from a file and the message from standard input)."""
    with tempfile.TemporaryDirectory() as folder:
        signature_file = Path(folder) / "approval.sig"
        signature_file.write_text(signature, encoding="ascii")
        return subprocess.run(
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


def _ssh_keygen(where: Path) -> str:
    keygen = shutil.which("ssh-keygen")
    if keygen is None:
        raise InputError(
            [Problem("ssh-keygen is not installed; install OpenSSH's client to sign", where)]
        )
    return keygen
