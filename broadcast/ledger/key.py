"""The recipient key: the secret that turns a phone number or an address into the ledger's hash.

It never lives in the ledger. It comes from ``BROADCAST_KEY`` (32 random bytes in standard
base64: 44 characters), else from a key file outside the state folder,
``$XDG_CONFIG_HOME/broadcast/key`` (``~/.config/broadcast/key`` by default), created on first
use with mode 0600 in a 0700 folder. Each ledger seals its own recipient secret with this key
(see ``broadcast.ledger.sqlite``), so one key serves every ledger of a user, and a copy of a
ledger without the key gives back no number.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

KEY_ENV = "BROADCAST_KEY"
KEY_BYTES = 32


class KeyProblem(Exception):
    """The recipient key is missing, malformed or unreadable; the message says what to do."""


@dataclass(frozen=True)
class RecipientKey:
    """The key and where it came from (said in errors; the key itself never is)."""

    secret: bytes
    source: str


def key_file(environ: Mapping[str, str]) -> Path:
    """Where the key lives when ``BROADCAST_KEY`` is not set."""
    base = environ.get("XDG_CONFIG_HOME") or str(
        Path(environ.get("HOME") or Path.home()) / ".config"
    )
    return Path(base) / "broadcast" / "key"


def load_key(environ: Mapping[str, str], create: bool) -> RecipientKey | None:
    """The key from the environment or the key file; a new key file if ``create`` and none yet.

    None when there is no key and ``create`` is false.
    """
    if environ.get(KEY_ENV):
        return RecipientKey(_decode(environ[KEY_ENV], f"the {KEY_ENV} variable"), KEY_ENV)
    path = key_file(environ)
    try:
        text = _read_regular(path)
    except FileNotFoundError:
        if not create:
            return None
        return RecipientKey(_create(path), str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyProblem(
            f"cannot read the recipient key file {path} ({_reason(exc)}); make it readable by "
            f"this user, or set {KEY_ENV}"
        ) from None
    return RecipientKey(_decode(text.strip(), f"the key file {path}"), str(path))


def new_key_text() -> str:
    """A fresh key as ``BROADCAST_KEY`` and the key file spell it."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def _decode(text: str, where: str) -> bytes:
    try:
        secret = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        secret = b""
    if len(secret) != KEY_BYTES:
        raise KeyProblem(
            f"{where} does not hold a recipient key: it must be {KEY_BYTES} random bytes in "
            'standard base64 (44 characters, as `python -c "import base64, os; '
            'print(base64.b64encode(os.urandom(32)).decode())"` prints)'
        )
    return secret


def _create(path: Path) -> bytes:
    """Write a new key so that no reader ever sees a half-written or world-readable file."""
    text = new_key_text()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".key.{secrets.token_hex(6)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(text + "\n")
                out.flush()
                os.fsync(out.fileno())
            try:
                # link, not replace: a key another run created meanwhile is kept.
                os.link(temporary, path)
            except FileExistsError:
                return _decode(path.read_text(encoding="ascii"), f"the key file {path}")
        finally:
            temporary.unlink(missing_ok=True)
    except OSError as exc:
        raise KeyProblem(
            f"cannot create the recipient key file {path} ({_reason(exc)}); make its folder "
            f"writable, or set {KEY_ENV} to a key of your own"
        ) from None
    return base64.b64decode(text)


def _read_regular(path: Path) -> str:
    """The key file's text, once it is known to be a regular file: a named pipe there would
    hang every run, a device (``/dev/zero``) never end (as ``input.files`` reads a user's)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "it is not a regular file (a pipe, a device or a folder)")
        return handle.read(4096).decode("ascii")


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc)
