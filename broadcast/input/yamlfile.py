"""Reading a YAML file into plain data while remembering the line of every field.

Scalars stay strings (the models convert them where a field wants a number or a date), which
avoids YAML 1.1's surprises: ``eta: 14:00`` is not the integer 840 and ``locale: no`` is not
``False``. Duplicate keys, which PyYAML silently overwrites, are reported.

Files come from people in a hurry and, sometimes, from elsewhere: reading one is bounded. A file
larger than ``MAX_FILE_BYTES`` is not read; composing stops beyond ``MAX_VALUES`` values or
``MAX_DEPTH`` levels of nesting; aliases (``*name``) are followed within the same bounds, so a
few hundred bytes cannot expand to gigabytes, and an alias inside the block it names is refused.
Every limit is an ``InputError`` with the file, the line and the field; nothing recurses deeper
than ``MAX_DEPTH``.

No value and no key may hold a control character or a format character that hides text
(``characters``: an ESC written as the escape ``\\e``, a bidirectional override): every file
read here, the incident and channels.yaml alike, is refused with the line and field of each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import yaml

from broadcast.input.characters import hidden_characters, why_refused
from broadcast.input.error_words import named, number, os_reason, say
from broadcast.input.files import open_regular
from broadcast.problems import InputError, Problem

Location = tuple[str | int, ...]

_NULL_TAG = "tag:yaml.org,2002:null"

# The largest file we ship (an incident in two languages with its FAQ) is under 9 kB. A hundred
# times that is far more than anyone writes in a crisis, and still parses in about two seconds.
MAX_FILE_BYTES = 1 << 20
# Values (keys, scalars, lists and groups, each alias counted as the values it stands for): the
# largest file we ship has about a hundred; composing ten thousand takes about a second.
MAX_VALUES = 10_000
# Levels of nesting: the files we ship use six. The bound also keeps the reader's recursion far
# from Python's own limit.
MAX_DEPTH = 32
# A field name is a word or two; a longer "key" is text that lost its "name: " part.
MAX_KEY_LENGTH = 100

_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xfe\xff", "UTF-16"),
    (b"\xff\xfe", "UTF-16"),
)


class YamlDocument:
    """A parsed YAML file: its data and the line (1-based) where each field path starts."""

    __slots__ = ("comments", "data", "lines", "path")

    def __init__(self, path: Path, data: Any, lines: dict[Location, int] | None = None) -> None:
        self.path = path
        self.data = data
        self.lines: dict[Location, int] = {} if lines is None else lines
        # Plain (unquoted) values followed on their last line by `` #...``, which YAML reads
        # as a comment: the line and the comment, for a text that lost its "#Mareuil".
        self.comments: dict[Location, tuple[int, str]] = {}

    def line_of(self, location: Sequence[str | int]) -> int | None:
        """Line of ``location`` or of the nearest enclosing field that exists in the file."""
        loc = tuple(location)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), None)


def load_yaml(
    path: Path, what: str = "file", language: Callable[[str], str] | None = None
) -> YamlDocument:
    """Parse ``path``; raise ``InputError`` with file and line on any problem or limit.

    ``language``: the language its problems are said in, read from the raw text before it is
    parsed (an incident file's: ``error_words.file_language``); English without it."""
    text = _read_text(path, what, language)
    said = language(text) if language is not None else "en"
    try:
        try:
            node = yaml.compose(text, Loader=_FastBoundedLoader)
        except yaml.YAMLError:
            # libyaml words some errors its own way and counts positions in bytes: the
            # Python parser, which refuses the same files, says it as before.
            node = yaml.compose(text, Loader=_BoundedLoader)
    except _LimitReached as exc:
        raise InputError([Problem(exc.said_in(said), path, exc.line, exc.field)]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        code = f"{exc.character:04X}"
        raise InputError(
            [Problem(say(said, "control_in_file", line=line, code=code), path, line)]
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = mark.line + 1 if mark else None
        detail = " ".join(s for s in (exc.context, exc.problem) if s)
        raise InputError(
            [
                Problem(
                    say(said, "not_valid_yaml", detail=f"{detail}{_yaml_hint(text, at, said)}"),
                    path,
                    at,
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(say(said, "not_valid_yaml", detail=exc), file=path)]) from None
    except (RecursionError, MemoryError) as exc:
        # Not expected within the bounds above; still an answer, never a traceback.
        raise InputError([Problem(_too_big_to_read(exc, said), file=path)]) from None

    if node is None:
        raise InputError(
            [Problem(say(said, "file_empty", what=named(said, what)), file=path, line=1)]
        )

    doc = YamlDocument(path=path, data=None, lines={(): node.start_mark.line + 1})
    problems: list[Problem] = []
    try:
        doc.data = _Builder(doc, problems, text, said).build(node, ())
    except _LimitReached as exc:
        raise InputError([Problem(exc.said_in(said), path, exc.line, exc.field)]) from None
    except (RecursionError, MemoryError) as exc:
        raise InputError([Problem(_too_big_to_read(exc, said), file=path)]) from None
    if problems:
        raise InputError(problems)
    return doc


def _read_text(path: Path, what: str, language: Callable[[str], str] | None = None) -> str:
    """The file as text: at most ``MAX_FILE_BYTES``, UTF-8, or a problem saying what it is,
    in the language its raw text names (read as well as it can be: the bytes it refuses)."""

    def refuse(kind: str, at: int | None = None, /, **values: Any) -> NoReturn:
        said = "en"
        if language is not None:
            # UTF-16 or UTF-32 text without its NUL bytes reads as its ASCII: "locale: fr".
            said = language(raw[:MAX_FILE_BYTES].replace(b"\x00", b"").decode(errors="replace"))
        if "what" in values:
            values["what"] = named(said, values["what"])
        if isinstance(values.get("why"), OSError):
            values["why"] = os_reason(values["why"], said)
        raise InputError([Problem(say(said, kind, **values), path, at)])

    # A regular file only: /dev/zero or a pipe would never end, a folder is no text. Before
    # any text, the language is the one the caller gives a file without text (its default).
    first = language("") if language is not None else "en"
    with open_regular(path, what, language=first) as handle:
        try:
            raw = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raw = b""
            refuse("cannot_read", what=what, why=exc)
    if len(raw) > MAX_FILE_BYTES:
        refuse("larger_than", what=what, size=MAX_FILE_BYTES >> 20)
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            refuse("saved_as", 1, encoding=encoding)
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        refuse("nul_byte", line, line=line)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        refuse("not_utf8", line, line=line, byte=exc.start)


def _too_big_to_read(exc: BaseException, language: str = "en") -> str:
    if isinstance(exc, RecursionError):
        return say(language, "nested_too_deeply", limit=MAX_DEPTH)
    return say(language, "too_large_for_memory")


class _LimitReached(Exception):
    """A bound on reading was reached: where, and which bound (a key of ``WORDS`` and its
    values, said in the file's language by ``load_yaml``)."""

    def __init__(
        self, kind: str, values: dict[str, Any], line: int | None, field: str | None
    ) -> None:
        super().__init__(say("en", kind, **values))
        self.kind = kind
        self.values = values
        self.line = line
        self.field = field or None

    def said_in(self, language: str) -> str:
        values = dict(self.values)
        if "limit" in values:
            values["limit"] = number(values["limit"], language)
        return say(language, self.kind, **values)


Refusal = tuple[str, dict[str, Any]]


def _too_many_values(alias: _Alias | None) -> Refusal:
    if alias:
        return "alias_too_many_values", {"anchor": alias.anchor, "limit": MAX_VALUES}
    return "too_many_values", {"limit": MAX_VALUES}


def _too_deep(alias: _Alias | None) -> Refusal:
    if alias:
        return "alias_too_deep", {"anchor": alias.anchor, "limit": MAX_DEPTH}
    return "too_deep", {"limit": MAX_DEPTH}


class _Alias(yaml.Node):
    """An ``*name`` where it is written: the block it stands for, and its own place in the file.

    PyYAML hands back the named block itself, which loses where the alias was used and whether
    a block is being repeated; this keeps both.
    """

    def __init__(self, anchor: str, target: yaml.Node, start_mark: Any, end_mark: Any) -> None:
        super().__init__(target.tag, target, start_mark, end_mark)
        self.anchor = anchor


class _Bounds:
    """Composing at most ``MAX_VALUES`` nodes, ``MAX_DEPTH`` deep, over a parser's events."""

    _composed = 0
    # The field each open level was reached by (None for a key), for the error's location.
    _path: list[str | int | None]

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        self._composed += 1
        if self._composed > MAX_VALUES:
            self._refuse(_too_many_values(None))
        if len(self._path) >= MAX_DEPTH:
            self._refuse(_too_deep(None))
        if isinstance(index, yaml.ScalarNode):
            self._path.append(index.value)
        else:
            self._path.append(index if isinstance(index, int) else None)
        try:
            if self.check_event(yaml.AliasEvent):  # type: ignore[attr-defined]
                event = self.peek_event()  # type: ignore[attr-defined]
                target = super().compose_node(parent, index)  # type: ignore[misc]
                return _Alias(event.anchor, target, event.start_mark, event.end_mark)
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._path.pop()

    def _refuse(self, refusal: Refusal) -> NoReturn:
        mark = self.peek_event().start_mark  # type: ignore[attr-defined]
        location = [part for part in self._path if part is not None]
        raise _LimitReached(*refusal, mark.line + 1, dotted(location))


class _BoundedLoader(_Bounds, yaml.SafeLoader):
    """PyYAML's safe loader, in Python, within the bounds."""

    def __init__(self, stream: str) -> None:
        yaml.SafeLoader.__init__(self, stream)
        self._path = []


if yaml.__with_libyaml__:
    from yaml.cyaml import CParser

    class _FastBoundedLoader(
        _Bounds,
        yaml.composer.Composer,
        CParser,
        yaml.constructor.SafeConstructor,
        yaml.resolver.Resolver,
    ):
        """The same composing within the same bounds, over libyaml's events: reading and
        parsing in C is about fifteen times faster than PyYAML's own, most of a file's time."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._path = []

else:  # a PyYAML built without libyaml
    _FastBoundedLoader = _BoundedLoader  # type: ignore[misc]


class _Builder:
    """Node graph to plain data, following aliases within ``MAX_VALUES`` and ``MAX_DEPTH``."""

    def __init__(
        self, doc: YamlDocument, problems: list[Problem], text: str = "", language: str = "en"
    ) -> None:
        self.doc = doc
        self.language = language
        self.problems = problems
        self.text_lines = text.split("\n")
        self.built = 0
        # Blocks being built, by id: an alias to one of them is an alias inside itself.
        self.open: set[int] = set()
        # The outermost alias being followed, and where: a bound reached inside it is its fault.
        self.outer_alias: tuple[_Alias, Location] | None = None

    def build(self, node: yaml.Node, loc: Location) -> Any:
        self.built += 1
        if self.built > MAX_VALUES:
            self._refuse(_too_many_values, loc)
        if len(loc) >= MAX_DEPTH:
            self._refuse(_too_deep, loc)
        if isinstance(node, _Alias):
            return self._follow(node, loc)
        if isinstance(node, yaml.ScalarNode):
            # A plain scalar's style is None from PyYAML's parser, "" from libyaml's.
            if node.tag == _NULL_TAG and not node.style:
                return None
            self._check_characters(node.value, node, loc)
            if not node.style and node.value:
                self._note_comment(node, loc)
            return node.value
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, loc)
            return self._sequence(node, loc)
        finally:
            self.open.discard(id(node))

    def _check_characters(self, text: str, node: yaml.Node, loc: Location) -> None:
        """A problem for a value or a key holding a character no text may hold (see
        ``characters``): from an escape, or pasted."""
        found = hidden_characters(text)
        if found:
            self.problems.append(
                Problem(
                    why_refused(found, self.language),
                    self.doc.path,
                    node.start_mark.line + 1,
                    dotted(loc),
                )
            )

    def _note_comment(self, node: yaml.Node, loc: Location) -> None:
        """Remember a `` #...`` after a plain value on its line (see ``YamlDocument``)."""
        end = node.end_mark
        if end.line >= len(self.text_lines):
            return
        rest = self.text_lines[end.line][end.column :]
        if rest[:1].isspace() and rest.lstrip().startswith("#"):
            self.doc.comments.setdefault(loc, (end.line + 1, rest.strip()))

    def _follow(self, alias: _Alias, loc: Location) -> Any:
        if id(alias.value) in self.open:
            raise _LimitReached(
                "alias_cycle",
                {"anchor": alias.anchor},
                alias.start_mark.line + 1,
                dotted(loc),
            )
        outermost = self.outer_alias is None
        if outermost:
            self.outer_alias = (alias, loc)
        try:
            return self.build(alias.value, loc)
        finally:
            if outermost:
                self.outer_alias = None

    def _refuse(self, refusal: Callable[[_Alias | None], Refusal], loc: Location) -> NoReturn:
        if self.outer_alias is None:
            raise _LimitReached(*refusal(None), self.doc.line_of(loc), dotted(loc))
        alias, alias_loc = self.outer_alias
        raise _LimitReached(*refusal(alias), alias.start_mark.line + 1, dotted(alias_loc))

    def _mapping(self, node: yaml.MappingNode, loc: Location) -> dict[str, Any]:
        doc, problems = self.doc, self.problems
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Problem(say(self.language, "key_plain_word"), doc.path, line))
                continue
            key = key_node.value
            if hidden_characters(key, multiline=False):
                self._check_characters(key, key_node, loc)
                continue
            if len(key) > MAX_KEY_LENGTH:
                problems.append(
                    Problem(
                        say(
                            self.language,
                            "key_too_long",
                            length=number(len(key), self.language),
                        ),
                        doc.path,
                        line,
                        dotted(loc) or None,
                    )
                )
                continue
            key_loc = (*loc, key)
            if key in result:
                problems.append(
                    Problem(
                        say(self.language, "given_twice", key=key, first=doc.lines[key_loc]),
                        doc.path,
                        line,
                        dotted(key_loc),
                    )
                )
                continue
            doc.lines[key_loc] = line
            result[key] = self.build(value_node, key_loc)
        return result

    def _sequence(self, node: yaml.SequenceNode, loc: Location) -> list[Any]:
        items = []
        for index, item in enumerate(node.value):
            self.doc.lines[(*loc, index)] = item.start_mark.line + 1
            items.append(self.build(item, (*loc, index)))
        return items


def dotted(location: Sequence[str | int]) -> str:
    """``('faq', 1, 'q')`` → ``faq[1].q``."""
    out = ""
    for part in location:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _yaml_hint(text: str, line: int | None, language: str = "en") -> str:
    """A likely cause for the commonest YAML mistake at 3 a.m.: an unquoted ': ' in a value."""
    if not line:
        return ""
    lines = text.splitlines()
    for candidate in (line, line - 1):
        if 1 <= candidate <= len(lines):
            content = lines[candidate - 1]
            _, sep, value = content.partition(": ")
            if sep and ": " in value and not value.lstrip().startswith(("'", '"', "|", ">")):
                return say(language, "yaml_hint_colon", line=candidate)
    return ""
