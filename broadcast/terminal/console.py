"""The console every terminal view prints to, and how a problem reads.

Only ``broadcast.cli`` and ``broadcast.terminal`` print; the core never imports this package.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.text import Text

from broadcast.problems import Problem


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=False, emoji=False)


def count_of(n: int, singular: str, plural: str | None = None) -> str:
    """``1 delivery``, ``2 deliveries``, ``0 segments``."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def problem_text(problem: Problem, with_channel: bool = True) -> Text:
    style = "red" if problem.is_error else "yellow"
    label = "error" if problem.is_error else "warning"
    text = Text()
    text.append(f"{label}: ", style=f"bold {style}")
    where = problem.where() if with_channel else _where_without_channel(problem)
    if where:
        text.append(where + ": ", style=style)
    text.append(problem.message, style=style)
    return text


def show_problems(problems: list[Problem]) -> None:
    out = console(stderr=True)
    for problem in problems:
        out.print(problem_text(problem))


def _where_without_channel(problem: Problem) -> str:
    return Problem(problem.message, problem.file, problem.line, problem.field).where()


def show_init(directory: Path, written: list[Path]) -> None:
    out = console()
    for path in written:
        out.print(f"wrote {path}")
    example = next(
        (p for p in written if p.parent.name == "examples" and p.suffix == ".yaml"),
        directory / "examples" / "panne-nord.yaml",
    )
    out.print(
        Text(
            f"\nNext: edit {directory / 'channels.yaml'} and the example incident, then run\n"
            f"  broadcast preview {example} --config {directory / 'channels.yaml'}",
        )
    )
