"""A real PostgreSQL server for the ledger's tests: one throwaway cluster per test session,
a database per test.

The cluster lives in a temporary folder, listens on 127.0.0.1 and a Unix socket in that folder,
trusts local connections (no password to handle) and is stopped and removed at the end of the
session. Run as root (CI), the server runs as the ``postgres`` user, as PostgreSQL insists.
Tests that need it skip, saying why, only when the server's programs are not installed here
(``.ci/run`` installs Debian's ``postgresql``, so CI runs them).

Fixtures: ``postgres_cluster`` (the server's base address), ``postgres_ledger`` (the address
of a fresh database) and ``ledger_engine`` (the environment that puts a run's ledger on one
engine: SQLite, or in a module marked ``both_engines`` SQLite then PostgreSQL).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from broadcast.ledger.key import new_key_text
from tests.conftest import missing

ENGINES = ("sqlite", "postgresql")
# A killed run's deliveries are anyone's after its lease: short, so a test's re-run need not
# wait 30 s, yet renewed (a third of it apart) in time on a loaded machine.
TEST_LEASE_SECONDS = "3"


def server_programs() -> Path | None:
    """The folder of initdb and pg_ctl, if PostgreSQL's server is installed."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """A cluster of our own, removed on leaving: ``postgresql://postgres@127.0.0.1:PORT``."""
    programs = server_programs()
    assert programs is not None, "PostgreSQL's server programs are not installed"
    folder = Path(tempfile.mkdtemp(prefix="broadcast-pg-"))
    data = folder / "data"
    port = _free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    try:
        subprocess.run(
            _as_server_user(
                [str(programs / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
            ),
            check=True,
            capture_output=True,
        )
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            _as_server_user(
                [
                    str(programs / "pg_ctl"),
                    "-D",
                    str(data),
                    "-w",
                    "-l",
                    str(folder / "log"),
                    "-o",
                    options,
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            _as_server_user([str(programs / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


def new_database(cluster: str) -> str:
    """The address of a new, empty database in ``cluster``."""
    import psycopg

    name = f"ledger_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{cluster}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return f"{cluster}/{name}"


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[str]:
    """A cluster for this session (see ``throwaway_cluster``)."""
    if server_programs() is None:
        missing(
            "postgres",
            "PostgreSQL's server programs (initdb, pg_ctl) are not installed here; "
            "apt-get install postgresql (.ci/run does) to run the PostgreSQL ledger tests",
        )
    with throwaway_cluster() as address:
        yield address


@pytest.fixture
def postgres_ledger(postgres_cluster: str) -> str:
    """The address of a new, empty database for one test's ledger."""
    return new_database(postgres_cluster)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The tests of a module marked ``both_engines`` run once per ledger engine."""
    if "ledger_engine" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "both_engines"
    ):
        metafunc.parametrize("ledger_engine", ENGINES, indirect=True)


@pytest.fixture
def ledger_engine(request: pytest.FixtureRequest) -> dict[str, str]:
    """The environment of a run whose ledger is on the engine: none for SQLite (the default),
    a fresh database, the hosts' shared key and a short lease for PostgreSQL."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return {}
    return {
        "BROADCAST_LEDGER": new_database(request.getfixturevalue("postgres_cluster")),
        "BROADCAST_KEY": new_key_text(),
        "BROADCAST_LEASE_SECONDS": TEST_LEASE_SECONDS,
    }
