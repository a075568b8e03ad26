"""What a user did wrong, said precisely: the one error type the CLI turns into exit code 2.

Every check in the core reports a ``Problem`` (file, line, field, channel, message) instead of
raising at the first one, so ``validate`` can list them all. Code that cannot go on raises
``InputError`` carrying the problems found so far.

A problem of an incident file is said in the file's language, the whole paragraph: its
message, and the words that place it and say what it is (``erreur : incident.yaml:12, champ
eta : ...``). The message is worded where it is found; the language is given to every problem
of the file at once where the file's language is known (``in_language``), so a check that
forgets cannot leave the place in English.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal, NamedTuple

Severity = Literal["error", "warning"]

# The words around a problem's message, per language (English for any other).
LABELS: dict[str, dict[str, str]] = {
    "en": {"error": "error", "warning": "warning", "field": "field", "channel": "channel"},
    "fr": {
        "error": "erreur",
        "warning": "avertissement",
        "field": "champ",
        "channel": "canal",
    },
}
# What follows a label or a place: French sets a space before the colon.
COLON = {"en": ": ", "fr": " : "}


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
    # The language the problem is said in (``en``, ``fr``): an incident file's (see the
    # module's docstring); English for the team's files.
    language: str = "en"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def label(self, key: str) -> str:
        """A word around the message (``error``, ``field``...) in the problem's language."""
        return LABELS.get(self.language, LABELS["en"])[key]

    @property
    def colon(self) -> str:
        return COLON.get(self.language, COLON["en"])

    def where(self) -> str:
        """``incident.yaml:12, field eta`` — the place, as a person reads it."""
        parts: list[str] = []
        if self.file is not None:
            parts.append(f"{_display_path(self.file)}:{self.line}" if self.line else str(self.file))
        if self.channel:
            parts.append(f"{self.label('channel')} {self.channel}")
        if self.field:
            parts.append(f"{self.label('field')} {self.field}")
        return ", ".join(parts)

    def sentence(self) -> str:
        """The whole problem in one paragraph: place first, then what is wrong."""
        where = self.where()
        return f"{where}{self.colon}{self.message}" if where else self.message

    def kind(self) -> str:
        """``error`` or ``warning``, in the problem's language."""
        return self.label("error" if self.is_error else "warning")

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


def in_language(
    problems: Iterable[Problem], language: str, file: Path | None = None
) -> list[Problem]:
    """``problems`` said in ``language``: those of ``file`` (every one without it); the others
    (channels.yaml's, a recipients file's) as they were."""
    if language == "en":
        return list(problems)
    same = _same_file(file)
    return [p._replace(language=language) if file is None or same(p.file) else p for p in problems]


def _same_file(file: Path | None) -> Callable[[Path | None], bool]:
    if file is None:
        return lambda other: True
    try:
        resolved = file.resolve()
    except OSError:
        resolved = file

    def same(other: Path | None) -> bool:
        if other is None:
            return False
        if other == file:
            return True
        try:
            return other.resolve() == resolved
        except OSError:
            return False

    return same


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
