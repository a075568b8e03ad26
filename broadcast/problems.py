"""What a user did wrong, said precisely: the one error type the CLI turns into exit code 2.

Every check in the core reports a ``Problem`` (file, line, field, channel, message) instead of
raising at the first one, so ``validate`` can list them all. Code that cannot go on raises
``InputError`` carrying the problems found so far.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, NamedTuple

Severity = Literal["error", "warning"]


class Problem(NamedTuple):
    """One thing wrong with the user's input, located as precisely as we can."""

    message: str
    file: Path | None = None
    line: int | None = None
    field: str | None = None
    channel: str | None = None
    severity: Severity = "error"
    # The wording check that found it (a key of ``content.wording.messages.MESSAGES``); None
    # for every other problem. A wording error is the one error a sender may override
    # (``--accept-wording``), so it must be told from the others.
    check: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def where(self) -> str:
        """``incident.yaml:12, field eta`` — the place, as a person reads it."""
        parts: list[str] = []
        if self.file is not None:
            parts.append(f"{_display_path(self.file)}:{self.line}" if self.line else str(self.file))
        if self.channel:
            parts.append(f"channel {self.channel}")
        if self.field:
            parts.append(f"field {self.field}")
        return ", ".join(parts)

    def sentence(self) -> str:
        """The whole problem in one paragraph: place first, then what is wrong."""
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def to_json(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "file": str(self.file) if self.file is not None else None,
            "line": self.line,
            "field": self.field,
            "channel": self.channel,
            "message": self.message,
            "check": self.check,
        }


class InputError(Exception):
    """Input we cannot work with. Carries every problem found before giving up."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.sentence() for p in problems))


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
