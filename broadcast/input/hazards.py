"""The hazards an incident can declare (``hazard:``), read from the data shipped with the
package (``broadcast/sectors/hazards.yaml``): their names for checking the field, and the whole
table for the wording check that asks for each hazard's protective action.

The file is read once, when an incident first names a hazard or the check first runs: an
incident without one, and a preview of it, never pay for it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

HAZARDS_FILE = Path(__file__).resolve().parent.parent / "sectors" / "hazards.yaml"


@cache
def hazard_table() -> dict[str, Any]:
    """Each hazard → its label, signs, sector rules and protective actions (see the file)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with HAZARDS_FILE.open(encoding="utf-8") as stream:
        table = yaml.load(stream, Loader=loader)
    return dict(table)


def known_hazards() -> tuple[str, ...]:
    """The names ``hazard:`` accepts, in the file's order."""
    return tuple(hazard_table())


def unknown_hazard(name: str) -> str | None:
    """Why ``name`` is not a hazard this package knows, or None when it is one."""
    if name in hazard_table():
        return None
    known = ", ".join(known_hazards())
    return (
        f"'{name}' is not a known hazard; write one of: {known} (or leave hazard "
        "out: the checks also read the text)"
    )
