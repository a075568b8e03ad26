"""The words each sector's staff use that the public does not (``broadcast/sectors/jargon.yaml``),
added to the jargon check's general list of each language.

A team names its sector in channels.yaml (``content_checks: sector:``); without one, every
sector's list applies, since a term internal to one trade is not plain in another. The file is
read when a wording check first needs it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

SECTOR_JARGON_FILE = Path(__file__).resolve().parents[2] / "sectors" / "jargon.yaml"


@cache
def _table() -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SECTOR_JARGON_FILE.open(encoding="utf-8") as stream:
        return dict(yaml.load(stream, Loader=loader))


def sectors() -> tuple[str, ...]:
    """The sectors the file has a list for."""
    return tuple(_table())


@cache
def sector_terms(language: str, sector: str | None) -> dict[str, str]:
    """Each term of ``sector`` (every sector's, for None) in ``language``, lower case → its
    plain wording."""
    table = _table()
    chosen = [sector] if sector is not None else list(table)
    terms: dict[str, str] = {}
    for name in chosen:
        for term, hint in (table.get(name) or {}).get(language, {}).items():
            terms.setdefault(str(term).lower(), str(hint))
    return terms
