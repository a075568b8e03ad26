"""Shared fixtures: a small project on disk (channels.yaml, recipients, incident) in tmp_path;
and the test tiers.

The tiers: ``python -m pytest`` runs the fast one, the developer's inner loop (pure logic,
renderings, the CLI against the local peers), in a minute or two. Three more are left out
unless asked for, each a marker: ``slow`` (real processes held for long, kill -9, soaks, the
matrix, long waits: marked by hand on the tests that are), ``browser`` (a real Chromium) and
``postgres`` (a real PostgreSQL server), both given here to every test that uses such a
fixture, so a new test is in the right tier without anyone listing it. ``--all`` runs every
tier (CI: ``.ci/run``); an explicit ``-m`` chooses as pytest users expect (``-m browser`` runs
the browser tier, ``-m 'not slow'`` everything but the slow one); a test named by its id
(``file.py::test``) runs whatever its tier.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from collections.abc import Generator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

# Real local peers (Twilio and X APIs on 127.0.0.1) as fixtures: twilio_server, x_server, ...
# pytester: test_tiers runs the tiers' hooks on a small suite of its own.
pytest_plugins = [
    "tests.peers.fixtures",
    "tests.browser",
    "tests.world",
    "tests.postgres_server",
    "pytester",
]

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "panne-nord.yaml"
# 09:40 in Paris on the day of the example outage.
NOW = datetime(2026, 11, 22, 8, 40, tzinfo=UTC)


# The fixtures whose tests are in a tier (see the module's docstring): a test using one, even
# through another fixture, is marked so. A test parametrized by engine (``ledger_engine`` in a
# ``both_engines`` module, ``open_ledger`` in test_ledger) asks for the cluster only when its
# parameter is PostgreSQL's name (``tests.postgres_server.ENGINES``): that parameter marks it.
BROWSER_FIXTURES = frozenset({"browser", "page", "page_errors", "axe_available"})
POSTGRES_FIXTURES = frozenset({"postgres_cluster", "postgres_ledger"})
POSTGRES_ENGINE = "postgresql"
TIERS = ("slow", "browser", "postgres")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--all",
        action="store_true",
        dest="all_tiers",
        help="run every tier of tests: the fast one and the slow, browser and postgres ones "
        "(CI does; without it, and without -m, only the fast tier runs)",
    )


def _tier_markers(item: pytest.Item) -> list[str]:
    used = set(getattr(item, "fixturenames", ()))
    callspec = getattr(item, "callspec", None)
    parameters = callspec.params.values() if callspec is not None else ()
    tiers = []
    if used & BROWSER_FIXTURES:
        tiers.append("browser")
    if used & POSTGRES_FIXTURES or any(value == POSTGRES_ENGINE for value in parameters):
        tiers.append("postgres")
    return tiers


# Before pytest's own -m deselection (tryfirst): it must see the markers given here.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its tiers; then, unless ``--all`` or ``-m`` says otherwise, leave
    out the slow, browser and postgres tiers (a test named by its id stays)."""
    for item in items:
        for tier in _tier_markers(item):
            item.add_marker(tier)
    if config.getoption("all_tiers") or config.getoption("markexpr"):
        return
    named = {arg for arg in config.args if "::" in arg}
    kept, left_out = [], []
    for item in items:
        tiers = [tier for tier in TIERS if item.get_closest_marker(tier)]
        if tiers and not _named(item, named):
            left_out.append(item)
        else:
            kept.append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept
        config.stash[_LEFT_OUT] = {
            tier: sum(1 for item in left_out if item.get_closest_marker(tier)) for tier in TIERS
        }


def _named(item: pytest.Item, named: set[str]) -> bool:
    """Whether the command line named ``item`` (or the test it is a parameter of) by its id."""
    if not named:
        return False
    ids = {item.nodeid, item.nodeid.split("[", 1)[0]}
    return any(
        arg.rstrip("/") == node or node.endswith("/" + arg) or arg.endswith(node)
        for arg in named
        for node in ids
    )


_LEFT_OUT = pytest.StashKey[dict[str, int]]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line saying which tiers the default run left out, and how to run them."""
    left_out = terminalreporter.config.stash.get(_LEFT_OUT, None)
    if left_out:
        counts = ", ".join(f"{tier} {count}" for tier, count in left_out.items() if count)
        terminalreporter.write_line(
            f"fast tier only: left out {counts}; python -m pytest --all runs every tier, "
            "-m browser (or slow, postgres) one of them"
        )


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the shipped configuration, recipients and examples in a fresh folder."""
    shutil.copyfile(REPO / "channels.yaml", tmp_path / "channels.yaml")
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    return tmp_path


@pytest.fixture
def incident_file(project: Path) -> Path:
    return project / "examples" / "panne-nord.yaml"


def at(minutes: int, **more: str) -> dict[str, str]:
    """The environment that pins the product's clock ``minutes`` after ``NOW`` (and ``more``)."""
    return {"BROADCAST_NOW": (NOW + timedelta(minutes=minutes)).isoformat(), **more}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(autouse=True, scope="session")
def template_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Compiled templates go to a folder of this run, never the real ~/.cache: each test's
    project is a new path, so a cache shared with the user's would grow by thousands of files
    per run. Child processes (the real CLI) inherit it."""
    home = tmp_path_factory.mktemp("cache-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(home))
        yield home


@pytest.fixture(autouse=True, scope="session")
def session_state_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The machine registry of incidents (``$XDG_STATE_HOME/broadcast``) and the recipient
    key (``$XDG_CONFIG_HOME/broadcast``) of anything run outside a test function go to
    folders of this run too: a session or module fixture, a process or thread still running
    after its test's own ``incident_registry_home`` was undone. Without this, those wrote to
    the real ~/.local/state and ~/.config (the guard, ``pytest_sessionfinish``, says so)."""
    home = tmp_path_factory.mktemp("state-home")
    with pytest.MonkeyPatch.context() as patch:
        # A real CLI process (``python -m broadcast`` in a test's folder) runs this checkout,
        # not the package the virtualenv installed (an editable install of another checkout):
        # else a worktree's tests ran another tree's code, with that tree's idea of the state.
        patch.setenv(
            "PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        )
        patch.setenv("XDG_STATE_HOME", str(home))
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config-home")))
        yield home


# The user's real folders of broadcast and their files as the session began (the guard).
_REAL_STATE = pytest.StashKey[list[tuple[Path, dict[str, tuple[int, int]]]]]()


def real_state_folder(environ: dict[str, str], variable: str = "XDG_STATE_HOME") -> Path:
    """Where the product keeps this user's state (``ledger.registry``), or with
    ``XDG_CONFIG_HOME`` its configuration (the recipient key), per the XDG rule."""
    base = environ.get(variable, "")
    default = (".local", "state") if variable == "XDG_STATE_HOME" else (".config",)
    root = Path(base) if base and Path(base).is_absolute() else Path.home().joinpath(*default)
    return root / "broadcast"


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    for path in folder.rglob("*") if folder.is_dir() else ():
        try:
            seen = path.stat()
        except OSError:  # gone meanwhile
            continue
        if stat.S_ISREG(seen.st_mode):
            found[str(path.relative_to(folder))] = (seen.st_mtime_ns, seen.st_size)
    return found


def pytest_sessionstart(session: pytest.Session) -> None:
    folders = [
        real_state_folder(dict(os.environ), v) for v in ("XDG_STATE_HOME", "XDG_CONFIG_HOME")
    ]
    session.config.stash[_REAL_STATE] = [(folder, _files(folder)) for folder in folders]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The guard: a run that wrote to the user's real state folder fails, naming the files
    (a test escaped its own XDG_STATE_HOME; see ``session_state_home``)."""
    if _REAL_STATE not in session.config.stash:
        return  # this conftest came in after the session began: nothing to compare with
    written = [
        str(folder / name)
        for folder, before in session.config.stash[_REAL_STATE]
        for name, seen in sorted(_files(folder).items())
        if before.get(name) != seen
    ]
    if written:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        said = (
            f"tests wrote to the user's real folders: {', '.join(written)}; a test, fixture "
            "or process ran broadcast outside its own XDG_STATE_HOME / XDG_CONFIG_HOME"
        )
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(f"ERROR: {said}", red=True, bold=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def recipient_key_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test has its own recipient key folder, never the real ~/.config."""
    home = tmp_path / "config-home"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("BROADCAST_KEY", raising=False)
    return home


class Missing(pytest.skip.Exception):
    """A skip for lack of software the README's test command cannot install (``missing``)."""

    def __init__(self, why: str, where: tuple[str, int]) -> None:
        super().__init__(why)
        self.where = where


def missing(part: str, why: str) -> None:
    """Skip for lack of ``part`` (``browser``, ``postgres``, ``ssh-keygen``, ``openssl``) in one
    line saying how to get it, or fail where ``BROADCAST_TESTS_REQUIRE`` names it: ``.ci/run``
    installs them and sets it, so CI never passes by skipping what it should have run. The
    skip is said at the line that called this, so the run's summary folds every test it
    skipped into that one line (``pytest_runtest_makereport``), not one per test."""
    required = {p.strip() for p in os.environ.get("BROADCAST_TESTS_REQUIRE", "").split(",")}
    if part in required:
        pytest.fail(why, pytrace=False)
    caller = sys._getframe(1)
    raise Missing(why, (caller.f_code.co_filename, caller.f_lineno))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and call.excinfo is not None and isinstance(call.excinfo.value, Missing):
        path, line = call.excinfo.value.where
        report.longrepr = (path, line, f"Skipped: {call.excinfo.value.msg}")
    return report


def ssh_keygen() -> str:
    """OpenSSH's ssh-keygen (signed approvals are made and checked with it), or a skip saying
    how to get it: the README's test command cannot install it."""
    found = shutil.which("ssh-keygen")
    if found is None:
        missing(
            "ssh-keygen",
            "the signed approval tests need OpenSSH's ssh-keygen: apt-get install "
            "openssh-client (.ci/run does)",
        )
    return str(found)


@pytest.fixture(autouse=True)
def incident_registry_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test has its own machine registry of incidents (which ledger sent which id),
    never the real ~/.local/state: every test sends the same example id from its own folder."""
    home = tmp_path / "state-home"
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    return home
