"""Opening a file the user names: only a regular file, never a pipe, a device or a folder.

Every file the tool reads from the user (the incident, channels.yaml, recipients, templates) is
a path someone typed or a configuration gave, and a path can name something that is not a
file: ``/dev/zero`` never ends (a reader grows until memory runs out), ``/dev/stdin`` or a named
pipe waits forever for a writer, a folder is an ``IsADirectoryError``. A file is opened without
waiting (``O_NONBLOCK``: opening a pipe with no writer returns at once) and checked on the open
descriptor, so what is read is what was checked; anything but a regular file (a link to one is
fine) is an ``InputError`` saying what the path names.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from broadcast.input.error_words import named, os_reason, say
from broadcast.problems import InputError, Problem


def what_it_is(mode: int) -> str | None:
    """``a folder``, ``a named pipe``... for what is not a regular file; None for a file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def not_a_file(
    path: Path, what: str, kind: str, channel: str | None = None, language: str = "en"
) -> InputError:
    message = say(language, "not_a_file", what=named(language, what), kind=named(language, kind))
    return InputError([Problem(message, path, channel=channel)])


def open_regular(
    path: Path, what: str, channel: str | None = None, language: str = "en"
) -> BinaryIO:
    """``path`` opened for reading in binary, once known to be a regular file; else an
    ``InputError`` naming the file and what it is (missing, unreadable, a folder...), in
    ``language`` (an incident file's; English for the team's files)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        said = say(language, "not_found", what=named(language, what))
        raise InputError([Problem(said, path, channel=channel)]) from None
    except OSError as exc:
        said = say(
            language, "cannot_read", what=named(language, what), why=os_reason(exc, language)
        )
        raise InputError([Problem(said, path, channel=channel)]) from None
    try:
        kind = what_it_is(os.fstat(fd).st_mode)
        if kind is not None:
            raise not_a_file(path, what, kind, channel, language)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def check_regular(path: Path, what: str, channel: str | None = None) -> None:
    """An ``InputError`` unless ``path`` is a regular file (or a link to one), for a path
    handed to code that opens it itself (Jinja, ssh-keygen). A missing path passes: the
    caller says that in its own words."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(
            [Problem(f"cannot read {what}: {exc.strerror or exc}", path, channel=channel)]
        ) from None
    kind = what_it_is(mode)
    if kind is not None:
        raise not_a_file(path, what, kind, channel)
