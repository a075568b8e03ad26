"""The package's layout by stage holds: each stage imports only the stages before it.

Data flows input → content → channels → delivery → ledger → report → terminal; a stage that
imported a later one (an adapter reading YAML, the ledger knowing a channel, the core printing)
would fail here, with the module and the import named.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "broadcast"

# What each stage may import, besides itself and the standard library and third parties.
ALLOWED: dict[str, set[str]] = {
    "problems": set(),
    # The channels' declarations (their models and facts, broadcast.channels.model and the
    # top of each channel module) are the ground floor every stage reads, channels.yaml's
    # reader included; test_reading_the_channels_declarations_loads_no_sdk keeps them light.
    "input": {"problems", "channels"},
    "content": {"problems", "input"},
    "channels": {"problems", "input", "content"},
    "ledger": set(),
    "delivery": {"problems", "input", "content", "channels", "ledger"},
    # content: the report's French typography is the messages' (content/typography.py).
    "report": {"problems", "input", "content", "ledger"},
    "terminal": {"problems", "input", "content", "channels", "delivery", "ledger", "report"},
    # api: the library's operations, which the CLI calls; output: the writer that shows
    # their results (the terminal's views, or --json), chosen when a command starts.
    # serve: the web application Twilio calls back (broadcast serve), over the ledger.
    "serve": {"problems", "input", "content", "channels", "delivery", "ledger", "report"},
    "api": {
        "problems",
        "input",
        "content",
        "channels",
        "delivery",
        "ledger",
        "report",
        "starter",
        "serve",
    },
    "output": {
        "problems",
        "input",
        "content",
        "channels",
        "delivery",
        "ledger",
        "report",
        "api",
        "terminal",
    },
    "starter": {"problems", "content"},
    # cli_options: the arguments and options the commands share, declared for typer alone.
    "cli_options": set(),
    "cli": {"*"},
    "__main__": {"cli"},
    "__init__": {"api"},
}


def stage_of(module: str) -> str:
    """``broadcast.delivery.sending`` → ``delivery``; ``broadcast.cli`` → ``cli``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _is_submodule(name: str) -> bool:
    return (PACKAGE / f"{name}.py").exists() or (PACKAGE / name).is_dir()


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = (
                [node.module]
                if node.module != "broadcast"
                else [
                    # ``from broadcast import __version__`` takes the package, not a stage.
                    f"broadcast.{alias.name}" if _is_submodule(alias.name) else "broadcast"
                    for alias in node.names
                ]
            )
            found += [(node.lineno, name) for name in names if name.startswith("broadcast")]
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, alias.name)
                for alias in node.names
                if alias.name.startswith("broadcast")
            ]
    return found


def test_every_stage_imports_only_earlier_stages() -> None:
    wrong = []
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 30
    for path in modules:
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        stage = stage_of(module)
        allowed = ALLOWED[stage]
        for line, imported in imports_of(path):
            target = stage_of(imported)
            if imported == "broadcast" or target == stage or "*" in allowed:
                continue
            if target not in allowed:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported}")
    assert not wrong, "\n".join(wrong)


def test_only_the_cli_and_the_terminal_views_import_rich_or_typer() -> None:
    printing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if stage_of(module) in ("cli", "cli_options", "output", "terminal"):
            continue
        text = path.read_text(encoding="utf-8")
        for name in ("rich", "typer"):
            if f"import {name}" in text or f"from {name}" in text:
                printing.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert not printing, "\n".join(printing)


def test_reading_the_channels_declarations_loads_no_sdk() -> None:
    """input/ may read the channels' models and facts: reading them (as channels.yaml's reader
    does) loads no provider SDK and no later stage."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from broadcast.channels import channel_types\n"
        "from broadcast.input.config import load_config\n"
        "assert len(channel_types()) >= 8\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'twilio', 'tweepy', 'requests', 'apprise'}), "
        "sorted(m for m in sys.modules if m.startswith(('broadcast.delivery', "
        "'broadcast.ledger', 'broadcast.terminal', 'broadcast.report'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=PACKAGE.parent,
        check=True,
    )
    assert done.stdout.strip() == "[] []", done.stdout + done.stderr


def test_no_stage_outside_channels_branches_on_a_channel_type_s_name() -> None:
    """What differs between channels is declared by each channel (a fact or a method of its
    model, broadcast.channels): a stage that tested ``type == "sms"`` would have to be found
    and edited for every new channel, and would silently treat an unknown one as another."""
    import re

    # A channel's type compared with a name, or with a tuple of names.
    branch = re.compile(r"""\.type\s*(==|!=|\bin\b|\bnot in\b)\s*\(?\s*["']""")
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.is_relative_to(PACKAGE / "channels"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if branch.search(line):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def _imports_between_modules() -> dict[str, set[str]]:
    """Module → the package's modules it imports, anywhere in it (inside functions and under
    ``TYPE_CHECKING`` too: a lazy import hides a circle from start-up, not from a reader).
    A package's face (its ``__init__``) is left out, as it speaks for its modules."""
    modules = {
        ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts): path
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py"
    }
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [
                    f"{node.module}.{alias.name}"
                    if f"{node.module}.{alias.name}" in modules
                    else node.module
                    for alias in node.names
                ]
            else:
                continue
            edges[name].update(t for t in targets if t in modules and t != name)
    return edges


def test_no_import_circle_between_the_package_s_modules() -> None:
    """Two modules that import each other (however late) are one room in two files: a reader
    cannot take either alone. 321057a had one of five delivery modules (planner, preflight,
    sending, approval, dispatch)."""
    edges = _imports_between_modules()
    circles: list[list[str]] = []
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        order[module] = low[module] = len(order)
        stack.append(module)
        for other in edges[module]:
            if other not in order:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], order[other])
        if low[module] == order[module]:
            component = []
            while True:
                taken = stack.pop()
                component.append(taken)
                if taken == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in edges:
        if module not in order:
            visit(module)
    assert circles == []
