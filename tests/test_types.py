"""mypy on the package: no type error beyond those already known (tests/mypy_baseline.txt).

The baseline counts each known error by its code and its message, never by file or line: code
moves between files without its errors counting as new, while a new error of a kind already
known counts as one more. To write the baseline again after fixing errors (or, with a reason
in the commit, after accepting one):

    python -m tests.test_types --write-baseline
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "tests" / "mypy_baseline.txt"
# file:line: error: message  [code]
_ERROR = re.compile(r"^(?P<where>[^:\s]+:\d+): error: (?P<message>.*?)(?:  \[(?P<code>[\w-]+)\])?$")
# What changes when code moves: a line number ("defined on line 12"), a module's path.
_LINE = re.compile(r"\bline \d+")
_MODULE_PATH = re.compile(r"\bbroadcast(?:\.\w+)*\.(?=\w)")

Key = tuple[str, str]  # (error code, message without line numbers or module paths)


def mypy_errors() -> list[tuple[Key, str]]:
    """Each error ``python -m mypy broadcast`` reports: its key and where it is."""
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "broadcast"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode not in (0, 1):  # 2: mypy itself failed (a crash, a bad option)
        raise RuntimeError(f"mypy failed (exit {run.returncode}):\n{run.stdout}{run.stderr}")
    found = []
    for line in run.stdout.splitlines():
        if match := _ERROR.match(line):
            message = _MODULE_PATH.sub("", _LINE.sub("line N", match["message"]))
            found.append(((match["code"] or "", message), match["where"]))
    return found


def mypy_version() -> str:
    from mypy.version import __version__

    return __version__.split("+")[0]


def baseline_version(path: Path = BASELINE) -> str:
    """The mypy version the baseline was written with (its words change between versions)."""
    written = re.search(r"^# mypy (\S+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    return written[1] if written else "?"


def read_baseline(path: Path = BASELINE) -> Counter[Key]:
    """``count [code] message`` per line; ``#`` starts a comment."""
    known: Counter[Key] = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        count, rest = line.split(" ", 1)
        code, message = rest[1:].split("] ", 1)
        known[(code, message)] += int(count)
    return known


def write_baseline(found: list[tuple[Key, str]], path: Path = BASELINE) -> None:
    counted = Counter(key for key, _ in found)
    lines = [
        "# mypy's errors in broadcast/ as known today, by code and message (not by file or line):",
        "# tests/test_types.py fails on any other. Rewrite: python -m tests.test_types "
        "--write-baseline",
        f"# mypy {mypy_version()}",
    ]
    lines += [f"{n} [{code}] {message}" for (code, message), n in sorted(counted.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def new_errors(found: list[tuple[Key, str]], known: Counter[Key]) -> list[str]:
    """A paragraph per kind of error found more often than the baseline allows, with every
    place mypy reports it (which of them is the new one, only a person can tell)."""
    counted = Counter(key for key, _ in found)
    out = []
    for key, n in sorted((counted - known).items()):
        places = ", ".join(where for k, where in found if k == key)
        out.append(
            f"[{key[0]}] {key[1]}\n    {n} more than the baseline's {known[key]}; "
            f"reported at {places}"
        )
    return out


@pytest.mark.slow
def test_mypy_finds_no_error_beyond_the_baseline() -> None:
    if importlib.util.find_spec("mypy") is None:
        from tests.conftest import missing

        missing("mypy", "the type check needs mypy: pip install -e '.[test]'")
    installed, written = mypy_version(), baseline_version()
    assert installed.split(".")[:2] == written.split(".")[:2], (
        f"tests/mypy_baseline.txt was written with mypy {written}, whose messages it holds; "
        f"mypy {installed} is installed: pip install -e '.[test]' (or rewrite the baseline)"
    )
    found = mypy_errors()
    new = new_errors(found, read_baseline())
    assert not new, (
        f"{len(new)} kind(s) of type error not in tests/mypy_baseline.txt; fix them (or, "
        "with a reason, `# type: ignore[code]  # why`):\n" + "\n".join(new)
    )


# Written against the models as a developer would: each line marked "# error: code" must be
# refused by mypy with that code, and only those (dataclass_transform on schema.BaseModel).
MODEL_USES = """
from broadcast.input.config import SmsChannel
from broadcast.input.incident import FaqEntry

entry = FaqEntry(q="Why?", a="Because.")
words: str = entry.q
count: int = entry.q  # error: assignment
FaqEntry(q=1, a="x")  # error: arg-type
FaqEntry(q="x", a="y", colour="red")  # error: call-arg
FaqEntry(q="x")  # error: call-arg
segments: int = SmsChannel.model_validate({}).max_segments
"""


@pytest.mark.slow
def test_type_checkers_read_the_models_fields(tmp_path: Path) -> None:
    if importlib.util.find_spec("mypy") is None:
        from tests.conftest import missing

        missing("mypy", "the type check needs mypy: pip install -e '.[test]'")
    (tmp_path / "uses.py").write_text(MODEL_USES, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", str(tmp_path / "uses.py")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    expected = {
        (number, line.rsplit("# error: ", 1)[1])
        for number, line in enumerate(MODEL_USES.splitlines(), start=1)
        if "# error: " in line
    }
    found = set()
    for line in run.stdout.splitlines():
        if match := _ERROR.match(line):
            found.add((int(match["where"].rsplit(":", 1)[1]), match["code"] or ""))
    assert found == expected, run.stdout


def test_the_baseline_is_counted_by_kind_not_by_place(tmp_path: Path) -> None:
    found = [
        (("arg-type", 'Argument 1 to "f" has incompatible type "int"'), "broadcast/a.py:3"),
        (("arg-type", 'Argument 1 to "f" has incompatible type "int"'), "broadcast/b.py:9"),
        (("index", "Invalid index"), "broadcast/a.py:5"),
    ]
    write_baseline(found[:2], tmp_path / "baseline.txt")
    known = read_baseline(tmp_path / "baseline.txt")
    # Moved to another file and line: not new.
    moved = [(key, "broadcast/c.py:40") for key, _ in found[:2]]
    assert new_errors(moved, known) == []
    # One more of a known kind, and a kind not known: both new, with where mypy saw them.
    more = [*found, found[0]]
    reported = new_errors(more, known)
    assert len(reported) == 2
    assert "1 more than the baseline's 2" in reported[0] and "broadcast/b.py:9" in reported[0]
    assert reported[1].startswith("[index] Invalid index")


def test_a_message_is_keyed_without_its_lines_and_module_paths() -> None:
    message = 'Name "broadcast.input.config.SmsChannel" already defined on line 12'
    cleaned = _MODULE_PATH.sub("", _LINE.sub("line N", message))
    assert cleaned == 'Name "SmsChannel" already defined on line N'


if __name__ == "__main__":
    if sys.argv[1:] != ["--write-baseline"]:
        sys.exit("usage: python -m tests.test_types --write-baseline")
    errors = mypy_errors()
    write_baseline(errors)
    print(f"{BASELINE.relative_to(REPO)}: {len(errors)} errors known")
