"""The console every terminal view prints to, and how a problem reads.

Only ``broadcast.cli`` and ``broadcast.terminal`` print; the core never imports this package.

What a view shows comes from files, the ledger and providers: an incident, a recipient's
name, a history an older version wrote, a carrier's error text. A control character there
(ESC starting an SGR colour or an OSC 8 link, a backspace, a carriage return) would act on the
approver's terminal, and a bidi override would reorder what they read and approve. So the
console itself makes every such character visible (``visible``) in the text it writes, while
its own styles (which rich writes apart from the text) still act: one place, so that no view,
present or future, can forget.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.segment import Segment
from rich.text import Text

from broadcast.problems import Problem

# C0 controls but newline and tab, DEL, C1 controls, and the bidi embeddings, overrides and
# isolates (U+202A-U+202E, U+2066-U+2069) that reorder a line.
_ACTING = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """``text`` with each character that would act on a terminal shown instead: a C0
    control as its Control Pictures symbol (ESC as ␛, one cell like any letter), any other
    as ``<U+202E>``. Newline and tab are kept."""
    return _ACTING.sub(_picture, text)


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else f"<U+{code:04X}>"


class SafeConsole(Console):
    """A rich console that writes no control character of the text it prints: rich's own
    styles and cursor moves come as styles and control segments, the data as the text."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        # Where every print, table, panel and progress bar ends up as characters: the last
        # point before the terminal, so nothing a view builds can slip past.
        return super()._render_buffer(
            segment if segment.control else Segment(visible(segment.text), segment.style)
            for segment in buffer
        )


def console(stderr: bool = False) -> Console:
    return SafeConsole(stderr=stderr, highlight=False, soft_wrap=False, emoji=False)


def count_of(n: int, singular: str, plural: str | None = None) -> str:
    """``1 delivery``, ``2 deliveries``, ``0 segments``."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def problem_text(problem: Problem, with_channel: bool = True) -> Text:
    style = "red" if problem.is_error else "yellow"
    text = Text()
    text.append(f"{problem.kind()}{problem.colon}", style=f"bold {style}")
    where = problem.where() if with_channel else _where_without_channel(problem)
    if where:
        text.append(where + problem.colon, style=style)
    text.append(problem.message, style=style)
    return text


def show_problems(problems: list[Problem]) -> None:
    out = console(stderr=True)
    for problem in problems:
        out.print(problem_text(problem))


def _where_without_channel(problem: Problem) -> str:
    return problem._replace(channel=None).where()


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
