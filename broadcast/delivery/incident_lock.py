"""One run per incident at a time on one machine: a lock file the OS releases if the run dies."""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from broadcast.ledger.location import LEDGER_FILE, private_folder
from broadcast.ledger.sqlite import LedgerFault, ledger_fault

# The errors of a state folder that are the machine's (full, read-only, not ours to write).
STATE_FOLDER_FAULTS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


class Busy(Exception):
    """Another run holds this incident's lock."""


@contextmanager
def incident_lock(
    folder: Path, incident_id: str, timeout: float, on_busy: Callable[[], None] = lambda: None
) -> Iterator[None]:
    """One run per incident at a time. The OS releases the lock if the process dies.

    ``on_busy`` is called once, when another run holds the lock, before waiting for it.
    """
    locks = folder / "locks"
    path = locks / f"{incident_id}.lock"
    try:
        private_folder(folder)
        if locks.is_symlink():
            raise _planted(locks)
        private_folder(locks)
        # Never through a planted link: opening it would create or lock a file elsewhere (and
        # a link to a file another run does not lock would let two runs send at once).
        flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
        handle = os.fdopen(os.open(path, flags, 0o600), "a+")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _planted(path) from None
        if exc.errno not in STATE_FOLDER_FAULTS:
            raise  # not the machine's state: tick reports it as a crash, by name
        raise ledger_fault(exc, folder / LEDGER_FILE) from exc
    deadline = time.monotonic() + timeout
    waited = False
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if not waited:
                    waited = True
                    on_busy()
                if time.monotonic() >= deadline:
                    raise Busy(
                        f"another broadcast is sending {incident_id} (waited {timeout:g} s); "
                        "nothing was sent by this run"
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        handle.close()


def _planted(path: Path) -> LedgerFault:
    """A symbolic link where the state folder keeps its own files: refused, never followed."""
    return LedgerFault(
        f"{path} is a symbolic link (to {os.readlink(path)}), where broadcast keeps a file of "
        "its own: it was not followed and nothing was sent. Remove the link (and check who "
        "planted it), then run the same command again."
    )
