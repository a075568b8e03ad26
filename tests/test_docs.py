"""The documentation: the README stays a front door, and the site under docs/ builds.

The README is what a newcomer reads first: at most 200 lines, and every relative link in it
lands on a file of the repository (they point into docs/, which GitHub shows as it is). The site
is built with ``mkdocs build --strict`` (mkdocs.yml sets the strictness: a broken link or
anchor, or a page left out of the nav, fails), as CI builds it. The error index
(docs/errors.md) and the code agree both ways: every message the package writes out has its
entry, every entry quotes words a message says, every wording check and every bad incident's
check (``tests/bad_incidents/``) is named, and real refused inputs find their message there.
Every ``broadcast COMMAND --option`` the README and the site show is one the CLI has.
"""

from __future__ import annotations

import ast
import functools
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


# -- The error index (docs/errors.md) -------------------------------------------------------------

ERRORS = DOCS / "errors.md"
_FIRST_CELL = re.compile(r"^\| (.+?) \| ", re.MULTILINE)
_CODE = re.compile(r"`([^`]+)`")


def index_fragments() -> list[str]:
    """The fixed words of each message, as the first column of the index's tables quotes them."""
    cells = _FIRST_CELL.findall(ERRORS.read_text(encoding="utf-8"))
    return [
        fragment
        for cell in cells
        if cell not in ("The message says", "Check", "---")
        for fragment in _CODE.findall(cell)
    ]


@functools.cache
def package_trees() -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted((REPO / "broadcast").rglob("*.py"))
    ]


def product_messages() -> str:
    """Every string the package's code says (docstrings and comments left out): adjacent
    literals joined as Python joins them, an f-string's fixed parts with a break where a value
    goes."""
    said: list[str] = []
    for _, tree in package_trees():
        docstrings = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                said.append(
                    "\0".join(
                        part.value if isinstance(part, ast.Constant) else "" for part in node.values
                    )
                )
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
            ):
                said.append(node.value)
    return "\n".join(said)


def test_every_message_the_error_index_quotes_is_one_the_code_says() -> None:
    """A message reworded in the code, or a made-up one in the index, fails here."""
    fragments = index_fragments()
    assert len(fragments) > 80
    said = product_messages()
    unknown = [f for f in fragments if f not in said]
    assert not unknown, f"docs/errors.md quotes words no message says: {unknown}"


def test_every_bad_incident_s_check_is_in_the_error_index() -> None:
    """Each deliberately bad incident (tests/bad_incidents) is caught by a check: the error
    index names that check, as the warning the user sees names it."""
    from broadcast.content.wording.messages import MESSAGES, which_check
    from tests.test_bad_incidents import bad_incidents, expected_check, warnings_for

    quoted = set(index_fragments())
    missing_checks = {check for texts in MESSAGES.values() for check in texts} - quoted
    assert not missing_checks, f"docs/errors.md does not name the checks {missing_checks}"
    for path in bad_incidents():
        kinds = {which_check(problem.message) for problem in warnings_for(path)}
        assert expected_check(path) in kinds, path.name
        assert kinds - {None} <= quoted, (path.name, kinds - quoted)


# What the package raises or reports as a user's problem: ``Problem(message, ...)``, and the
# faults of the ledger and the key, which the commands print the same way.
PROBLEM_MAKERS = {"Problem", "InputError", "LedgerFault", "KeyProblem"}
# Messages that only wrap another one (a recipients row's problem after its line number, a
# name's problem before "; nothing was done"), whose own words the index explains elsewhere.
WRAPPERS = {"line  ", "read today, "}


def problem_messages() -> list[tuple[str, str]]:
    """(where, fixed words with NUL where a value goes) of every message written out in code."""
    found = []
    for path, tree in package_trees():
        for node in ast.walk(tree):
            name = getattr(node, "func", None)
            name = getattr(name, "id", getattr(name, "attr", None))
            if not (isinstance(node, ast.Call) and name in PROBLEM_MAKERS and node.args):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                text = first.value
            elif isinstance(first, ast.JoinedStr):
                text = "\0".join(
                    p.value if isinstance(p, ast.Constant) else "" for p in first.values
                )
            else:
                continue  # a message made elsewhere: it is checked where it is written
            found.append((f"{path.relative_to(REPO)}:{node.lineno}", text))
    return found


def test_every_message_the_code_writes_is_in_the_error_index() -> None:
    """A new problem message without its entry (what it means, what to do) fails here."""
    fragments = index_fragments()
    messages = problem_messages()
    assert len(messages) > 80
    unexplained = []
    for where, text in messages:
        fixed = text.replace("\0", "")
        if fixed in WRAPPERS:
            continue
        # Words long enough to name the message, or most of a short one's.
        if not any(f in text and (len(f) >= 12 or 3 * len(f) >= len(fixed)) for f in fragments):
            unexplained.append(f"{where}: {fixed[:80]}")
    assert not unexplained, "docs/errors.md does not explain:\n" + "\n".join(unexplained)


BROKEN = {
    "a misspelt field": ("incident", "headline:", "headlin:"),
    "broken YAML": ("incident", "severity: major", 'severity: "major'),
    "an id with capitals": ("incident", "id: panne-nord-2026-11-22", "id: Panne-Nord"),
    "a literal secret": ("config", '"${TWILIO_AUTH_TOKEN}"', '"8f2a9c0d1e3b4f5a6b7c8d9e0f1a2b3c"'),
    "an unknown channel type": ("config", "type: twitter", "type: mastodon"),
    "a recipients file in Latin-1": ("recipients", "Énergie", "Énergie"),
}


@pytest.mark.parametrize("fault", sorted(BROKEN))
def test_a_refused_input_is_one_the_error_index_explains(fault: str, tmp_path: Path) -> None:
    """Real bad input through the real command: exit 2, and the index holds its message."""
    from typer.testing import CliRunner

    from broadcast.cli import app
    from tests.conftest import NOW

    which, old, new = BROKEN[fault]
    incident = (REPO / "examples" / "panne-nord.yaml").read_text(encoding="utf-8")
    config = (REPO / "channels.yaml").read_text(encoding="utf-8")
    contacts = (REPO / "examples" / "contacts.csv").read_text(encoding="utf-8")
    if which == "incident":
        assert old in incident
        incident = incident.replace(old, new, 1)
    elif which == "config":
        assert old in config
        config = config.replace(old, new, 1)
    (tmp_path / "examples").mkdir()
    (tmp_path / "incident.yaml").write_text(incident, encoding="utf-8")
    (tmp_path / "channels.yaml").write_text(config, encoding="utf-8")
    encoding = "latin-1" if which == "recipients" else "utf-8"
    (tmp_path / "examples" / "contacts.csv").write_bytes(
        (contacts + "Anaïs Noël,06 12 34 56 99,anais@example.com,fr\n").encode(encoding)
    )
    result = CliRunner().invoke(
        app,
        ["validate", str(tmp_path / "incident.yaml"), "--config", str(tmp_path / "channels.yaml")],
        env={"BROADCAST_NOW": NOW.isoformat(), "BROADCAST_CONFIG": "", "COLUMNS": "300"},
    )
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    # Words long enough to name one message ("expected" alone would explain anything).
    explained = [f for f in index_fragments() if len(f) >= 12 and f in said]
    assert explained, f"docs/errors.md explains none of: {said}"


# -- Every command the documentation shows exists -------------------------------------------------

_CODE_BLOCK = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_COMMAND = re.compile(r"(?:^|[\s$(])broadcast ([a-z-]+)([^\n#|;&]*)")
# "a broadcast ledger": the word, not the command (the error index quotes such messages).
NOT_COMMANDS = {"ledger"}
_OPTION = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")


def shown_commands() -> list[tuple[str, str, list[str]]]:
    """(where, command, options) for each ``broadcast COMMAND ...`` in code in the README and
    the site: code blocks, and code spans of the prose."""
    found = []
    for page in [README, *sorted(DOCS.rglob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        code = [*_CODE_BLOCK.findall(text), *_CODE_SPAN.findall(_CODE_BLOCK.sub("", text))]
        for piece in code:
            for command, rest in _COMMAND.findall(piece):
                if command not in NOT_COMMANDS:
                    options = _OPTION.findall(rest)
                    found.append((page.name, command, [command] if command[0] == "-" else options))
    return found


def test_every_command_the_documentation_shows_exists() -> None:
    """A command or an option the docs show and the CLI does not have (renamed, invented)."""
    import typer

    from broadcast.cli import app

    cli = typer.main.get_command(app)
    commands = {
        name: {o for p in command.params for o in (*p.opts, *p.secondary_opts)} | {"-h", "--help"}
        for name, command in cli.commands.items()  # type: ignore[attr-defined]
    }
    # ``broadcast --version``: the program's own options, as a command of its own.
    for option in (*(o for p in cli.params for o in p.opts), "-h", "--help"):
        commands[option] = {option}
    shown = shown_commands()
    assert len(shown) > 100
    wrong = [
        f"{where}: broadcast {command} {option}".strip()
        for where, command, options in shown
        for option in ([""] if command not in commands else options)
        if command not in commands or option not in commands[command]
    ]
    assert not wrong, f"the documentation shows what the CLI does not have: {sorted(set(wrong))}"
