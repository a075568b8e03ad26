"""Shared fixtures: a small project on disk (channels.yaml, recipients, incident) in tmp_path."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

# Real local peers (Twilio and X APIs on 127.0.0.1) as fixtures: twilio_server, x_server, ...
pytest_plugins = ["tests.peers.fixtures", "tests.browser", "tests.world", "tests.postgres_server"]

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "panne-nord.yaml"
# 09:40 in Paris on the day of the example outage.
NOW = datetime(2026, 11, 22, 8, 40, tzinfo=UTC)


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


def missing(part: str, why: str) -> None:
    """Skip for lack of ``part`` (``browser``, ``postgres``) in one line saying how to get it,
    or fail where ``BROADCAST_TESTS_REQUIRE`` names it: ``.ci/run`` installs both and sets it,
    so CI never passes by skipping what it should have run."""
    required = {p.strip() for p in os.environ.get("BROADCAST_TESTS_REQUIRE", "").split(",")}
    if part in required:
        pytest.fail(why, pytrace=False)
    pytest.skip(why)


@pytest.fixture(autouse=True)
def incident_registry_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test has its own machine registry of incidents (which ledger sent which id),
    never the real ~/.local/state: every test sends the same example id from its own folder."""
    home = tmp_path / "state-home"
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    return home
