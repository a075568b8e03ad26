"""Ordering for reach: when a list takes longer to send than the time until the promised next
update, the people marked as priority in it (a ``priority`` column: ``1``, ``yes`` or
``true``; medical equipment at home, care homes, vulnerable customers) are sent first, then
the rest in list order. The plan says so (``delivery.planner``); ``delivery.targets`` reads
the list in that order, in two passes over the file (memory stays bounded)."""

from __future__ import annotations

import csv
from pathlib import Path

from broadcast.input.recipients import PRIORITY_COLUMN, is_priority


def priority_rows(path: Path) -> int | None:
    """How many rows of the recipients file are marked priority; None without the column
    (or when the file cannot be read: the list's own checks say why)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            reader = csv.DictReader(stream)
            columns = {name.strip().lower(): name for name in reader.fieldnames or [] if name}
            column = columns.get(PRIORITY_COLUMN)
            if column is None:
                return None
            return sum(1 for row in reader if is_priority(row.get(column)))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
