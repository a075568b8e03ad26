"""Reading a YAML file into plain data while remembering the line of every field.

Scalars stay strings (pydantic converts them where a field wants a number or a date), which
avoids YAML 1.1's surprises: ``eta: 14:00`` is not the integer 840 and ``locale: no`` is not
``False``. Duplicate keys, which PyYAML silently overwrites, are reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from broadcast.problems import InputError, Problem

Location = tuple[str | int, ...]

_NULL_TAG = "tag:yaml.org,2002:null"


@dataclass
class YamlDocument:
    """A parsed YAML file: its data and the line (1-based) where each field path starts."""

    path: Path
    data: Any
    lines: dict[Location, int] = field(default_factory=dict)

    def line_of(self, location: Sequence[str | int]) -> int | None:
        """Line of ``location`` or of the nearest enclosing field that exists in the file."""
        loc = tuple(location)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), None)


def load_yaml(path: Path, what: str = "file") -> YamlDocument:
    """Parse ``path``; raise ``InputError`` with file and line on any problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([Problem(f"{what} not found", file=path)]) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            [Problem(f"not UTF-8 text (byte {exc.start}); save it as UTF-8", file=path)]
        ) from None
    except OSError as exc:
        raise InputError([Problem(f"cannot read {what}: {exc.strerror}", file=path)]) from None

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        detail = " ".join(s for s in (exc.context, exc.problem) if s)
        raise InputError(
            [Problem(f"this is not valid YAML: {detail}{_yaml_hint(text, line)}", path, line)]
        ) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(f"this is not valid YAML: {exc}", file=path)]) from None

    if node is None:
        raise InputError([Problem(f"{what} is empty", file=path, line=1)])

    doc = YamlDocument(path=path, data=None, lines={(): node.start_mark.line + 1})
    problems: list[Problem] = []
    doc.data = _build(node, (), doc, problems)
    if problems:
        raise InputError(problems)
    return doc


def _build(node: yaml.Node, loc: Location, doc: YamlDocument, problems: list[Problem]) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(
                    Problem("a key must be a plain word", doc.path, key_node.start_mark.line + 1)
                )
                continue
            key = key_node.value
            key_loc = (*loc, key)
            line = key_node.start_mark.line + 1
            if key in result:
                problems.append(
                    Problem(
                        f"'{key}' is given twice (first on line {doc.lines[key_loc]}); keep one",
                        doc.path,
                        line,
                        dotted(key_loc),
                    )
                )
                continue
            doc.lines[key_loc] = line
            result[key] = _build(value_node, key_loc, doc, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            doc.lines[(*loc, index)] = item.start_mark.line + 1
            items.append(_build(item, (*loc, index), doc, problems))
        return items
    if node.tag == _NULL_TAG and node.style is None:
        return None
    return node.value


def dotted(location: Sequence[str | int]) -> str:
    """``('faq', 1, 'q')`` → ``faq[1].q``."""
    out = ""
    for part in location:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _yaml_hint(text: str, line: int | None) -> str:
    """A likely cause for the commonest YAML mistake at 3 a.m.: an unquoted ': ' in a value."""
    if not line:
        return ""
    lines = text.splitlines()
    for candidate in (line, line - 1):
        if 1 <= candidate <= len(lines):
            content = lines[candidate - 1]
            _, sep, value = content.partition(": ")
            if sep and ": " in value and not value.lstrip().startswith(("'", '"', "|", ">")):
                return (
                    f" (line {candidate} has a second ': ' inside its value; "
                    'put the value in double quotes or write it on the next line after ">")'
                )
    return ""
