"""The test tiers (tests/conftest.py): ``python -m pytest`` runs the fast tier only; a test
is in the browser or postgres tier by the fixtures it uses, in the slow one by its marker;
``--all`` runs every tier, an explicit ``-m`` picks as pytest users expect, a test named by
its id runs; what the README's test command cannot install is a skip saying how to get it.

Checked on a small suite of stand-in tests, run in this process by pytest's own ``pytester``,
with the real hooks of tests/conftest.py."""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

import pytest

from tests import browser, postgres_server
from tests.conftest import BROWSER_FIXTURES, POSTGRES_ENGINE, POSTGRES_FIXTURES, ssh_keygen

# Fixtures named as the real ones, doing nothing: only their names put a test in a tier.
STAND_INS = """
import pytest

from tests.conftest import (  # the tiers, as the real suite has them
    missing,
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_runtest_makereport,
    pytest_terminal_summary,
)


@pytest.fixture
def browser():
    return "chromium"


@pytest.fixture
def page(browser):  # a test using page is in the browser tier through it
    return browser


@pytest.fixture
def postgres_ledger():
    return "postgresql://"


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_engine(request):
    return request.param


@pytest.fixture(scope="session")
def gadget():
    missing("gadget", "the gadget tests need a gadget: apt-get install gadget")
"""

TESTS = """
import pytest


def test_logic():
    pass


def test_page(page):
    pass


def test_ledger(postgres_ledger):
    pass


def test_engines(ledger_engine):
    pass


@pytest.mark.slow
def test_soak():
    pass
"""

EVERY = {
    "test_logic",
    "test_page",
    "test_ledger",
    "test_engines[sqlite]",
    "test_engines[postgresql]",
    "test_soak",
}


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(STAND_INS)
    pytester.makepyfile(test_suite=TESTS)
    pytester.makeini(
        "[pytest]\nmarkers =\n    slow: slow\n    browser: browser\n    postgres: postgres\n"
    )
    return pytester


def ran(suite: pytest.Pytester, *args: str) -> tuple[set[str], pytest.RunResult]:
    result = suite.runpytest_inprocess("-p", "no:cacheprovider", *args)
    passed = {report.nodeid.split("::")[-1] for report in result.reprec.getreports()
              if report.when == "call" and report.passed}  # fmt: skip
    return passed, result


def test_the_default_run_is_the_fast_tier_and_says_how_to_run_the_others(
    suite: pytest.Pytester,
) -> None:
    passed, result = ran(suite)
    assert passed == {"test_logic", "test_engines[sqlite]"}
    result.assert_outcomes(passed=2, deselected=4)
    result.stdout.fnmatch_lines(
        ["fast tier only: left out slow 1, browser 1, postgres 2; python -m pytest --all *"]
    )


def test_all_runs_every_tier(suite: pytest.Pytester) -> None:
    passed, result = ran(suite, "--all")
    assert passed == EVERY
    assert "fast tier only" not in result.stdout.str()


@pytest.mark.parametrize(
    ("expression", "chosen"),
    [
        ("browser", {"test_page"}),
        ("postgres", {"test_ledger", "test_engines[postgresql]"}),
        ("slow", {"test_soak"}),
        ("not slow", EVERY - {"test_soak"}),
        ("not browser and not postgres", {"test_logic", "test_engines[sqlite]", "test_soak"}),
    ],
)
def test_an_explicit_m_chooses_instead_of_the_default(
    suite: pytest.Pytester, expression: str, chosen: set[str]
) -> None:
    passed, _ = ran(suite, "-m", expression)
    assert passed == chosen


def test_a_test_named_by_its_id_runs_whatever_its_tier(suite: pytest.Pytester) -> None:
    passed, _ = ran(suite, "test_suite.py::test_soak", "test_suite.py::test_engines")
    assert passed == {"test_soak", "test_engines[sqlite]", "test_engines[postgresql]"}
    passed, _ = ran(suite, "test_suite.py")  # a file: its fast tests
    assert passed == {"test_logic", "test_engines[sqlite]"}


def test_what_is_missing_is_one_line_for_all_the_tests_it_skips(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BROADCAST_TESTS_REQUIRE", raising=False)
    suite.makepyfile(
        test_gadget="def test_a(gadget):\n    pass\n\n\ndef test_b(gadget):\n    pass\n"
    )
    _, result = ran(suite, "test_gadget.py", "-ra")
    result.assert_outcomes(skipped=2)
    (said,) = [line for line in result.outlines if line.startswith("SKIPPED")]
    assert fnmatch(said, "SKIPPED [[]2] conftest.py:*: the gadget tests need a gadget: apt-get *")
    monkeypatch.setenv("BROADCAST_TESTS_REQUIRE", "gadget")  # CI: it must be there
    _, result = ran(suite, "test_gadget.py")
    result.assert_outcomes(errors=2)


def test_the_tier_fixtures_are_the_real_ones() -> None:
    """The names the tiers go by are those of the fixtures that start Chromium or PostgreSQL:
    a renamed fixture must not put its tests silently in the fast tier."""
    from tests import test_web_surfaces

    for name in BROWSER_FIXTURES:
        assert hasattr(browser, name) or hasattr(test_web_surfaces, name), name
    for name in POSTGRES_FIXTURES:
        assert hasattr(postgres_server, name), name
    assert POSTGRES_ENGINE in postgres_server.ENGINES


def test_a_missing_program_is_a_skip_saying_how_to_get_it_or_a_failure_where_required(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no ssh-keygen on it
    monkeypatch.delenv("BROADCAST_TESTS_REQUIRE", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        ssh_keygen()
    said = str(skipped.value)
    assert "\n" not in said and "apt-get install openssh-client" in said
    monkeypatch.setenv("BROADCAST_TESTS_REQUIRE", "browser,postgres,ssh-keygen")
    with pytest.raises(pytest.fail.Exception):
        ssh_keygen()
