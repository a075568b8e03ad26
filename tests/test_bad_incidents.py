"""The wording checks against deliberately bad incidents, and against every shipped one.

``tests/bad_incidents/`` holds incidents written wrong on purpose, one fault each, named by the
check that must catch it (``# expect: blame``). Those that need the ledger's last version sent
(an unchanged headline, a stale translation) have it beside them as ``NAME.previous.yaml``.
Every bad one must be caught by its check, with advice in the file's language; the 16 shipped
incidents (the two examples and the 14 sector starters) must raise no warning at all.

``python -m tests.test_bad_incidents`` prints the catch rate per check, as
docs/wording-checks.md gives it.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from broadcast.content.wording.against_last_sent import wording_snapshot
from broadcast.content.wording.checks import check_content
from broadcast.content.wording.messages import LEVEL, MESSAGES, level_of, which_check
from broadcast.input.incident import Incident, load_incident
from broadcast.problems import Problem

REPO = Path(__file__).resolve().parent.parent
BAD = Path(__file__).resolve().parent / "bad_incidents"
SHIPPED = sorted((REPO / "examples").glob("*.yaml")) + sorted(
    (REPO / "broadcast" / "sectors").glob("*/*-??.yaml")
)
_EXPECT = re.compile(r"^# expect: (\w+)$", re.MULTILINE)


def bad_incidents() -> list[Path]:
    return sorted(p for p in BAD.glob("*.yaml") if not p.name.endswith(".previous.yaml"))


def expected_check(path: Path) -> str:
    match = _EXPECT.search(path.read_text(encoding="utf-8"))
    assert match, f"{path.name} does not say which check must catch it (# expect: NAME)"
    return match.group(1)


def moment(incident: Incident) -> datetime:
    """Ninety minutes into the incident: when the message would go out."""
    return incident.started_at + timedelta(minutes=90)


def warnings_for(path: Path) -> list[Problem]:
    incident, doc = load_incident(path)
    previous: dict[str, Any] | None = None
    before = path.with_name(path.stem + ".previous.yaml")
    if before.is_file():
        previous = wording_snapshot(load_incident(before)[0])
    return check_content(incident, doc, now=moment(incident), previous=previous)


def catch_table() -> tuple[dict[str, tuple[int, int]], int]:
    """check → (bad incidents written for it, caught by it); and the false alarms on the
    shipped incidents."""
    written: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    for path in bad_incidents():
        check = expected_check(path)
        written[check] += 1
        caught[check] += check in {which_check(p.message) for p in warnings_for(path)}
    false_alarms = sum(len(warnings_for(path)) for path in SHIPPED)
    return {check: (written[check], caught[check]) for check in written}, false_alarms


def test_the_set_is_large_and_covers_every_new_check() -> None:
    checks = Counter(expected_check(path) for path in bad_incidents())
    assert sum(checks.values()) >= 30
    for check in (
        "blame",
        "non_apology",
        "passive",
        "over_promise",
        "unchanged",
        "stale",
        "contradiction",
    ):
        assert checks[check] >= 2, check
    assert {"time_update", "time_eta", "time_no_eta", "offline", "signed"} <= set(checks)
    assert checks["clock_mix"] >= 2 and checks["clock_locale"] >= 2
    assert set(checks) <= set(MESSAGES["en"])


@pytest.mark.parametrize("path", bad_incidents(), ids=lambda path: path.stem)
def test_every_bad_incident_is_caught_by_its_check(path: Path) -> None:
    check = expected_check(path)
    problems = warnings_for(path)
    found = [p for p in problems if which_check(p.message) == check]
    assert found, [p.message for p in problems]
    incident, _ = load_incident(path)
    # The advice is in the file's language, with its reason and a better wording.
    language = "fr" if incident.locale.startswith("fr") else "en"
    template = MESSAGES[language][check]
    first_words = template.split("{")[0][:20]
    assert found[0].message.startswith(first_words), found[0].message
    # At the level the one table gives its check (an unchanged headline once the situation
    # moved on, a hazard without the action that keeps people safe: errors), naming that check.
    assert all(p.severity == level_of(check) and p.check == check for p in found)
    assert {"unchanged", "safety_action", "complete_action"} <= set(LEVEL)
    assert found[0].file == path and found[0].line is not None


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_no_false_alarm_on_a_shipped_incident(path: Path) -> None:
    assert [p.message for p in warnings_for(path)] == []


def test_sixteen_shipped_incidents() -> None:
    assert len(SHIPPED) == 16


def test_a_bad_incident_fixed_is_quiet(tmp_path: Path) -> None:
    """The checks catch the fault, not the file: the same incident worded well passes."""
    text = (BAD / "blame-fr-pas-notre-faute.yaml").read_text(encoding="utf-8")
    fixed = text.replace(
        "Ce n'est pas de notre faute : un prestataire a abîmé la conduite cette nuit.",
        "Une conduite a été abîmée cette nuit pendant des travaux.",
    )
    assert fixed != text
    (tmp_path / "fixed.yaml").write_text(fixed, encoding="utf-8")
    assert [p.message for p in warnings_for(tmp_path / "fixed.yaml")] == []


def main() -> None:
    table, false_alarms = catch_table()
    print("| check | bad incidents | caught |")
    print("| --- | --- | --- |")
    for check, (written, caught) in sorted(table.items()):
        print(f"| `{check}` | {written} | {caught} |")
    total = sum(w for w, _ in table.values())
    print(f"| all | {total} | {sum(c for _, c in table.values())} |")
    print(f"\nFalse alarms on the {len(SHIPPED)} shipped incidents: {false_alarms}")


if __name__ == "__main__":
    main()
