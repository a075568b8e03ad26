"""What goes wrong with the SQLite ledger's file or folder, said as what it means and what to
do (a ``LedgerFault``), and the checks made before SQLite opens the file: its header (not
another program's file, not cut short) and its rights (the owner's only).
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


class LedgerFault(Exception):
    """The ledger or its folder cannot be used; the message names the file and what to do."""


def ledger_fault(exc: BaseException, path: Path) -> LedgerFault:
    """An error of SQLite or of the file system, said as what it means for the ledger."""
    folder = path.parent
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    number = getattr(exc, "errno", None) if isinstance(exc, OSError) else None
    detail = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
    if name == "SQLITE_FULL" or number in (errno.ENOSPC, errno.EDQUOT):
        return LedgerFault(
            f"the disk holding the ledger {path} is full ({detail}), so broadcast stopped. Free "
            "some space there and run the same command again: what the ledger records as sent "
            "is not sent again, and what was in flight is listed as uncertain."
        )
    if (
        name.startswith("SQLITE_READONLY")
        or number == errno.EROFS
        or (name.startswith("SQLITE_CANTOPEN") and _on_read_only_disk(folder))
    ):
        return LedgerFault(
            f"the state folder {folder} is read-only ({detail}), so the ledger {path} cannot be "
            "written. Make it writable, or move the ledger to a writable folder and point "
            "--state (or BROADCAST_STATE) at it."
        )
    if number in (errno.EACCES, errno.EPERM):
        return LedgerFault(
            f"the state folder {folder} or the ledger {path} is not writable by this user "
            f"({detail}). Run broadcast as the user who owns them, or fix their permissions."
        )
    if name in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or name.startswith("SQLITE_CORRUPT"):
        return LedgerFault(_damaged(path, detail))
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return LedgerFault(
            f"the ledger {path} stayed locked by another process ({detail}); run the same "
            "command again when it is done."
        )
    return LedgerFault(
        f"the ledger {path} cannot be used ({detail}). Check the disk and the folder's "
        "permissions, then run the same command again."
    )


@contextmanager
def ledger_errors(path: Path) -> Iterator[None]:
    """SQLite's errors about ``path`` come out as a ``LedgerFault``."""
    try:
        yield
    except sqlite3.Error as exc:
        raise ledger_fault(exc, path) from exc


def _damaged(path: Path, detail: str) -> str:
    return (
        f"{path} is not a readable broadcast ledger ({detail}). Move it aside and restore it "
        "from your last backup: without it broadcast cannot tell who already got which "
        "message. If there is no backup, move it aside and send with --ledger-lost: everyone "
        "then gets the current version again."
    )


def _on_read_only_disk(folder: Path) -> bool:
    for candidate in (folder, *folder.parents):
        try:
            return bool(os.statvfs(candidate).f_flag & os.ST_RDONLY)
        except FileNotFoundError:
            continue
        except OSError:
            return False
    return False


def check_header(path: Path) -> None:
    """Refuse at once a file that is not SQLite or was cut short (SQLite would read zeros)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    if size == 0:
        return  # an empty file is an empty ledger: the lost-ledger checks look at it
    with path.open("rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        raise LedgerFault(_damaged(path, "it is not an SQLite file"))
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    wal = path.with_name(path.name + "-wal")
    # The page count is valid when "version-valid-for" equals the change counter; with a WAL,
    # a checkpoint cut short (a full disk) may have left the file shorter: the WAL repairs it.
    if (
        header[24:28] == header[92:96]
        and pages
        and size < pages * page_size
        and not (wal.is_file() and wal.stat().st_size > 0)
    ):
        raise LedgerFault(_damaged(path, f"it was cut short: {size} bytes of {pages * page_size}"))


def private_file(path: Path) -> None:
    """The ledger and its -wal and -shm are the owner's only; SQLite gives the last two the
    mode of the first."""
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)
        except OSError:
            pass  # absent, or on a read-only disk: SQLite says so when it matters
