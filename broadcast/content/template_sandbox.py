"""Jinja's sandbox within a rendering budget: what one template may write and how long it may
take.

The shipped templates write a few kB in milliseconds; a custom template past either bound
(``'x' * 10**9``, a loop that never ends) is stopped with ``RenderBudgetExceeded``, which
``render.Renderer`` turns into an error naming the template, instead of running for minutes or
filling the memory. Compiled templates are kept between runs (``_bytecode_cache``).
"""

from __future__ import annotations

import functools
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

from broadcast import __version__

# The rendering budget of one template: what it may write and how long it may take. The
# shipped templates write a few kB in milliseconds; a status page with a long history, a few
# hundred kB. A custom template past either bound (``'x' * 10**9``, a loop that never ends) is
# stopped with an error naming it, instead of running for minutes or filling the memory.
MAX_RENDER_CHARACTERS = 4_000_000


RENDER_SECONDS = 5.0


# A range in a template: Jinja's sandbox allows 100,000 items; so do we, checked as it runs.
MAX_RANGE_ITEMS = 100_000


class RenderBudgetExceeded(Exception):
    """A template went past its budget (``MAX_RENDER_CHARACTERS``, ``RENDER_SECONDS``)."""


class _Budget(threading.local):
    """The deadline of the render under way in this thread (None: none under way)."""

    deadline: float | None = None


_budget = _Budget()


def _check_deadline() -> None:
    deadline = _budget.deadline
    if deadline is not None and time.monotonic() > deadline:
        raise RenderBudgetExceeded(
            f"it ran for more than {RENDER_SECONDS:g} s without finishing (a loop that runs too "
            "long?); the shipped templates take milliseconds"
        )


def _check_size(size: int) -> None:
    if size > MAX_RENDER_CHARACTERS:
        raise RenderBudgetExceeded(
            f"it would make a text or a list of {size:,} characters or items, more than the "
            f"{MAX_RENDER_CHARACTERS:,} a template may write"
        )


def _sized(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else 0


class _BudgetRange:
    """``range()`` in a template: at most ``MAX_RANGE_ITEMS``, the deadline checked as the
    loop runs (a loop without output calls nothing else the budget could see)."""

    __slots__ = ("items",)

    def __init__(self, *args: int) -> None:
        self.items = range(*args)
        if len(self.items) > MAX_RANGE_ITEMS:
            raise RenderBudgetExceeded(
                f"range() of {len(self.items):,} numbers; a template may count to "
                f"{MAX_RANGE_ITEMS:,}"
            )

    def __iter__(self) -> Iterator[int]:
        for index, number in enumerate(self.items):
            if not index % 1000:
                _check_deadline()
            yield number

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: Any) -> Any:
        return self.items[index]

    def __contains__(self, number: object) -> bool:
        return number in self.items

    def __reversed__(self) -> Iterator[int]:
        for index, number in enumerate(reversed(self.items)):
            if not index % 1000:
                _check_deadline()
            yield number


def _budget_loop(items: Any) -> Any:
    """A loop's items, the deadline checked every hundred."""
    if isinstance(items, jinja2.Undefined):
        return items  # said by StrictUndefined as it is iterated
    return _deadline_checked(items)


def _deadline_checked(items: Any) -> Iterator[Any]:
    for index, item in enumerate(items):
        if not index % 100:
            _check_deadline()
        yield item


def _str_join(parts: Any) -> str:
    """``a ~ b`` within the budget."""
    parts = [str(part) for part in parts]
    _check_size(sum(map(len, parts)))
    return "".join(parts)


def _markup_join(parts: Any) -> str:
    parts = list(parts)
    _check_size(sum(len(str(part)) for part in parts))
    return jinja2.runtime.markup_join(parts)


class _BudgetTemplate(jinja2.Template):
    """A template whose ``~`` (compiled to ``str_join``/``markup_join``) counts its size."""

    @classmethod
    def _from_namespace(cls, environment: Any, namespace: Any, globals: Any) -> Any:
        namespace["str_join"] = _str_join
        namespace["markup_join"] = _markup_join
        return super()._from_namespace(environment, namespace, globals)


# String methods and filters whose numbers are a width or a count of what they make
# (``center(10**9)``).
_WIDTHS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


_FILTER_WIDTHS = frozenset({"center", "indent", "wordwrap", "truncate", "batch", "slice"})


# A width in a %-format (``%999999999d``) or a format spec (``{:>999999999}``).
_PERCENT_WIDTH = re.compile(r"%[-#0 +]*(\d+)")


_FORMAT_WIDTH = re.compile(r"\{[^{}]*:[^{}\d]*(\d+)")


def _widest(pattern: re.Pattern[str], text: str) -> int:
    return max((int(width) for width in pattern.findall(text)), default=0)


def _budgeted_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that checks the deadline, refuses a huge width or count (``center(10**9)``)
    before working, and the size of what it made after."""

    @functools.wraps(function)
    def budgeted(*args: Any, **kwargs: Any) -> Any:
        _check_deadline()
        if name in _FILTER_WIDTHS:
            for number in (*args, *kwargs.values()):
                if isinstance(number, int) and not isinstance(number, bool):
                    _check_size(abs(number))
        elif name == "format":
            for value in args:
                if isinstance(value, str):
                    _check_size(_widest(_PERCENT_WIDTH, value) + _widest(_FORMAT_WIDTH, value))
        result = function(*args, **kwargs)
        _check_size(_sized(result))
        return result

    return budgeted


class _BudgetEnvironment(SandboxedEnvironment):
    """Jinja's sandbox, within the rendering budget: the deadline is checked at each call,
    attribute and item a template reaches, at each filter, every hundred turns of a loop and
    every hundred pieces of output; ``*``, ``+``, ``%``, ``**``, ``~``, a width given to a
    string method or a filter, refuse a result past the size before making it, and what a
    call or a filter made is measured after."""

    template_class = _BudgetTemplate
    intercepted_binops = frozenset(["*", "+", "%", "**"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_deadline()
        if operator == "*":
            for text, times in ((left, right), (right, left)):
                if _sized(text) and isinstance(times, int):
                    _check_size(_sized(text) * max(times, 0))
            if isinstance(left, int) and isinstance(right, int):
                _check_size((abs(left).bit_length() + abs(right).bit_length()) // 3)
        elif operator == "+":
            _check_size(_sized(left) + _sized(right))
        elif operator == "%" and isinstance(left, str):
            _check_size(len(left) + _widest(_PERCENT_WIDTH, left))
        elif operator == "**" and isinstance(right, (int, float)) and isinstance(left, int):
            # The digits of the result, roughly: 10 ** 10 ** 9 would compute for hours.
            _check_size(int(abs(right) * max(abs(left), 2).bit_length() / 3.3))
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _check_deadline()
        # A string's method, or the sandbox's wrapper of its format().
        method = getattr(__obj, "__wrapped__", __obj)
        text = getattr(method, "__self__", None)
        if isinstance(text, str):
            if method.__name__ in _WIDTHS:
                for number in (*args, *kwargs.values()):
                    if isinstance(number, int):
                        _check_size(abs(number))
            elif method.__name__ in ("format", "format_map"):
                _check_size(_widest(_FORMAT_WIDTH, text))
        result = super().call(__context, __obj, *args, **kwargs)
        _check_size(_sized(result))
        return result

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Every ``{% for %}`` loop's items pass through ``_budget_loop``, which checks the
        deadline as they go: nested loops over a long text call nothing else."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(
                loop.iter, "_budget_loop", [], [], None, None, lineno=loop.iter.lineno
            )
        return tree

    def getattr(self, obj: Any, attribute: str) -> Any:
        _check_deadline()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _check_deadline()
        return super().getitem(obj, argument)


def make_environment(folders: list[Path], markup: bool) -> SandboxedEnvironment:
    """One environment per kind of output, within the rendering budget, loading templates
    from ``folders`` in order.

    Autoescape is decided for the whole render, not per file: a macro imported from a text
    partial into an HTML template would otherwise return its output unescaped, as safe markup.
    """
    search = [str(d) for d in folders]
    environment = _BudgetEnvironment(
        loader=jinja2.FileSystemLoader(search),
        undefined=jinja2.StrictUndefined,
        autoescape=markup,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        bytecode_cache=_bytecode_cache("markup" if markup else "text"),
    )
    environment.globals["range"] = _BudgetRange
    environment.filters = {
        name: _budgeted_filter(name, function) for name, function in environment.filters.items()
    }
    environment.filters["_budget_loop"] = _budget_loop
    return environment


def _bytecode_cache(kind: str) -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs: compiling them is most of a preview's time.

    Jinja keys a cached template by name and checks its source, not the environment's
    options, so each kind of environment (and each version of ours and of Jinja) gets its own
    folder: a template compiled without escaping must never be loaded by the HTML one.
    """
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    # "budget1": compiled with the rendering budget's loops (see ``_BudgetEnvironment``).
    folder = Path(base) / "broadcast" / f"jinja-{__version__}-budget1-{jinja2.__version__}-{kind}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


# The templates that went past their budget in this run, by file and version: rendering one
# again (another language, a reminder) would take its whole time again to fail the same way.
_over_budget: dict[tuple[str | None, float], str] = {}


def _budget_key(template: jinja2.Template) -> tuple[str | None, float]:
    try:
        changed = os.stat(template.filename).st_mtime if template.filename else 0.0
    except OSError:
        changed = 0.0
    return template.filename, changed


def render_within_budget(template: jinja2.Template, context: dict[str, Any]) -> str:
    """``template.render(context)`` within the budget: the deadline set for this template
    (unless an outer render set one), what it writes counted as it writes it. A template that
    went past its budget earlier in this run fails again at once, the same way."""
    key = _budget_key(template)
    over = _over_budget.get(key)
    if over is not None:
        raise RenderBudgetExceeded(over)
    try:
        return _render_counted(template, context)
    except RenderBudgetExceeded as exc:
        _over_budget.setdefault(key, str(exc))
        raise


def _render_counted(template: jinja2.Template, context: dict[str, Any]) -> str:
    outer = _budget.deadline
    if outer is None:
        _budget.deadline = time.monotonic() + RENDER_SECONDS
    try:
        parts: list[str] = []
        size = 0
        try:
            for index, part in enumerate(template.root_render_func(template.new_context(context))):
                size += len(part)
                _check_size(size)
                if not index % 100:
                    _check_deadline()
                parts.append(part)
        except Exception:
            # Jinja's own rewriting of the traceback: its frames say the template's lines.
            template.environment.handle_exception()
        return template.environment.concat(parts)  # type: ignore[no-any-return]
    finally:
        _budget.deadline = outer
