"""The rendering matrix in the default tier: every invariant holds on every rendered cell.

tests/matrix.py renders every shipped incident (examples and sector starters, and the examples
as an operator changes them) at every status, drill or not, in every language, through every
channel, in-process; each test here is one invariant. ``python -m tests.matrix`` prints the
counts. Each invariant was seen broken on the code before issue #23 (see its docstring).
"""

from __future__ import annotations

import pytest

from tests import matrix

# The slow tier (tests/conftest.py): the matrix: every fault on every channel.
pytestmark = pytest.mark.slow

SHOWN = 8


@pytest.mark.parametrize("name", [i.name for i in matrix.INVARIANTS])
def test_the_invariant_holds_on_every_cell(name: str) -> None:
    if name in matrix.OTHER_BRANCH:
        pytest.xfail(matrix.OTHER_BRANCH[name])
    (invariant,) = [i for i in matrix.run() if i.name == name]
    assert invariant.checked >= 2_900, invariant.checked  # every cell was looked at
    assert not invariant.broken, "\n".join(invariant.broken[:SHOWN])


def test_the_matrix_covers_every_shipped_incident_status_language_and_channel() -> None:
    cells = matrix.cells()
    assert {c.source for c in cells} >= {"panne-nord", "storm-en", "bank-fr", "utility-en"}
    assert len({c.source for c in cells}) == 16
    assert {c.status for c in cells} == set(matrix.STATUSES)
    assert {c.exercise for c in cells} == {False, True}
    assert {c.language for c in cells} == {"fr", "en"}
    assert {c.channel for c in cells} == set(matrix.CHANNELS)
    assert {c.variant for c in cells} == {"", *matrix.OPERATOR_VARIANTS}


def test_the_invariants_see_what_they_check() -> None:
    """Each check finds the fault it is for in a text that has it (a check that finds nothing
    anywhere would pass for the wrong reason)."""
    cell = next(
        c
        for c in matrix.cells()
        if (c.source, c.status, c.language, c.channel, c.exercise)
        == ("panne-nord", "investigating", "fr", "email", False)
    )
    broken = dict(cell.parts)
    broken["text"] = (
        "Qui est concerné : Environ 12 000 foyers. Quittez avant 18 heuressi possible. "
        "Nous sommes désolés.. Nous sommes désolés.. RECTIFICATIF auprès de Énergie Nord"
    )
    faulty = matrix.Rendered(**{**cell.__dict__, "parts": broken})
    for check in (
        matrix.glued_words,
        matrix.punctuation,
        matrix.sentence_twice,
        matrix.french_typography,
        matrix.capitals_after_colon,
    ):
        assert list(check(faulty)), check.__name__
