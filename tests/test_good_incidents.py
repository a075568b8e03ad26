"""The wording checks against well-written incidents: not one false alarm.

``tests/good_incidents/`` holds incidents worded as the best public notices are (boil-water and
outage notices of public utilities and cities, status-page incident posts), in French and English,
each written near the edge of some check: a supplier named as a fact with our own action beside
it, a passive with its agent, an acronym spelled out, a promise kept within what is known. Those
that need the ledger's last version sent have it beside them as ``NAME.previous.yaml``, as the bad
ones do. A check that raises anything on one of them judges words, not meaning: fix the check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_bad_incidents import warnings_for

GOOD = Path(__file__).resolve().parent / "good_incidents"


def good_incidents() -> list[Path]:
    return sorted(p for p in GOOD.glob("*.yaml") if not p.name.endswith(".previous.yaml"))


@pytest.mark.parametrize("path", good_incidents(), ids=lambda path: path.stem)
def test_no_false_alarm_on_a_good_incident(path: Path) -> None:
    assert [p.message for p in warnings_for(path)] == []
