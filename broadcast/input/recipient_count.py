"""Counting a recipients list for a preview or a preflight: distinct valid recipients, per
language and locale, with a problem per invalid row (``count_recipients``). A whole count is
remembered with the hash of the bytes it counted, so an unchanged list is not read again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path

from broadcast.input.files import open_regular
from broadcast.input.recipients import (
    Kind,
    RecipientCount,
    SeenSet,
    check_encoding,
    read_recipients,
)
from broadcast.problems import Problem


def count_recipients(
    path: Path,
    kind: Kind,
    default_region: str | None = None,
    channel: str | None = None,
    first_rows: int | None = None,
) -> RecipientCount:
    """Count distinct valid recipients, with a problem per invalid row.

    With ``first_rows``, only the file's first rows are read and counted (a send that checks
    the rest as it streams): what must hold before the first message still holds for the
    whole file, as the columns are on the first line and the encoding of every byte is
    checked first (``check_encoding``, at the speed of reading the file).
    """
    if first_rows is None:
        cached = _counted_before(path, kind, default_region, channel)
        if cached is not None:
            return cached
    count = RecipientCount()
    lines = check_encoding(path, channel) if first_rows is not None else 0
    until = None if first_rows is None else first_rows + 1  # the header is line 1
    with SeenSet() as seen:
        for recipient in read_recipients(
            path, kind, default_region, channel, count.problems, count, until
        ):
            count.add(recipient, seen.add(recipient.address))
    count.invalid = len(count.problems)
    if not count.complete and count.last_line > 1:
        count.estimated_valid = round(count.valid * (lines - 1) / (count.last_line - 1))
    if first_rows is None:
        _remember_count(path, kind, default_region, channel, count)
    return count


# What a whole count found is kept per file, kind, region and channel, with the hash of the
# bytes it counted: a preview of an unchanged list needs neither phonenumbers nor
# email-validator (their imports and checks are most of a preview's time beyond its floor).
# A send never uses it: its dispatcher checks every row it sends.
COUNT_CACHE_FORMAT = 1


def _count_cache_file(path: Path, kind: Kind, region: str | None, channel: str | None) -> Path:
    from broadcast import __version__

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    key = f"{COUNT_CACHE_FORMAT}\0{__version__}\0{path.resolve()}\0{kind}\0{region}\0{channel}"
    name = hashlib.sha256(key.encode()).hexdigest()[:32]
    return Path(base) / "broadcast" / "counts" / f"{name}.json"


def _content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open_regular(path, "recipients file") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _counted_before(
    path: Path, kind: Kind, region: str | None, channel: str | None
) -> RecipientCount | None:
    try:
        saved = json.loads(_count_cache_file(path, kind, region, channel).read_text("utf-8"))
        if saved["content"] != _content_hash(path):
            return None
        data = saved["count"]
        return RecipientCount(
            valid=data["valid"],
            invalid=data["invalid"],
            duplicates=data["duplicates"],
            without_address=data["without_address"],
            problems=[
                Problem(p["message"], path, p["line"], p["field"], p["channel"], p["severity"])
                for p in data["problems"]
            ],
            languages=Counter(data["languages"]),
            locales=Counter(data["locales"]),
            last_line=data["last_line"],
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none yet, unreadable or of another shape: count again


def _remember_count(
    path: Path, kind: Kind, region: str | None, channel: str | None, count: RecipientCount
) -> None:
    file = _count_cache_file(path, kind, region, channel)
    data = {
        "content": _content_hash(path),
        "count": {
            "valid": count.valid,
            "invalid": count.invalid,
            "duplicates": count.duplicates,
            "without_address": count.without_address,
            # As shown: contacts masked, never in clear.
            "problems": [
                {k: p.to_json()[k] for k in ("message", "line", "field", "channel", "severity")}
                for p in count.problems
            ],
            "languages": dict(count.languages),
            "locales": dict(count.locales),
            "last_line": count.last_line,
        },
    }
    try:
        file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = file.with_suffix(f".{os.getpid()}.tmp")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False)
        os.replace(partial, file)
    except OSError:
        pass  # a cache that cannot be written costs the next preview a count, nothing else
