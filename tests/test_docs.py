"""The documentation: the README stays a front door, and the site under docs/ builds.

The README is what a newcomer reads first: at most 200 lines, and every relative link in it
lands on a file of the repository (they point into docs/, which GitHub shows as it is). The site
is built with ``mkdocs build --strict`` (mkdocs.yml sets the strictness: a broken link or
anchor, or a page left out of the nav, fails), as CI builds it. The error index names every
kind of problem the bad incidents of ``tests/bad_incidents/`` are refused or warned for.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import missing

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
DOCS = REPO / "docs"

# [text](target) and <img src="target">, outside code blocks; targets with a scheme are not ours.
_LINK = re.compile(r"\]\(([^)\s]+)\)|<img [^>]*src=\"([^\"]+)\"")
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def relative_links(markdown: str) -> list[str]:
    text = _FENCE.sub("", markdown)
    found = [a or b for a, b in _LINK.findall(text)]
    return [link for link in found if not re.match(r"^[a-z]+:", link) and not link.startswith("#")]


def test_the_readme_is_a_front_door() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; move detail into docs/"


def test_every_relative_link_in_the_readme_resolves() -> None:
    links = relative_links(README.read_text(encoding="utf-8"))
    assert len(links) > 20  # the README points into the site
    broken = [link for link in links if not (REPO / link.split("#", 1)[0]).exists()]
    assert not broken, f"README.md links to files that do not exist: {broken}"


def test_the_readme_shows_the_quick_start_to_the_cron_line() -> None:
    readme = README.read_text(encoding="utf-8")
    start = readme.index("broadcast init --sector")
    assert readme.index("broadcast tick", start) > start
    assert "python -m pytest --all" in readme


@pytest.mark.slow
def test_the_site_builds_strictly(tmp_path: Path) -> None:
    if not _importable("mkdocs"):
        missing("mkdocs", 'mkdocs is not installed: python -m pip install -e ".[test]"')
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (site / "index.html").is_file()
    assert (site / "channels" / "sms" / "index.html").is_file()
    assert (site / "errors" / "index.html").is_file()


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None
