"""YAML loading: plain data, a line for every field, clear errors."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pytest

from broadcast.input.yamlfile import MAX_DEPTH, MAX_FILE_BYTES, MAX_VALUES, dotted, load_yaml
from broadcast.problems import InputError, Problem
from tests.conftest import write


def test_scalars_stay_text_so_yaml_1_1_cannot_surprise(tmp_path: Path) -> None:
    doc = load_yaml(write(tmp_path / "a.yaml", "eta: 14:00\nlocale: no\nport: 587\nempty:\n"))
    assert doc.data == {"eta": "14:00", "locale": "no", "port": "587", "empty": None}


def test_every_field_has_its_line(tmp_path: Path) -> None:
    text = "id: x\nfaq:\n  - q: one\n    a: two\n  - q: three\n    a: four\n"
    doc = load_yaml(write(tmp_path / "a.yaml", text))
    assert doc.line_of(("faq", 1, "a")) == 6
    assert doc.line_of(("faq", 0)) == 3
    # A field that is not there points at its nearest parent.
    assert doc.line_of(("faq", 1, "missing")) == 5


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.yaml", "id: x\ntitle: Coupure: secteur Nord\n")
    with pytest.raises(InputError) as caught:
        load_yaml(path)
    (problem,) = caught.value.problems
    assert problem.line == 2
    assert "double quotes" in problem.message


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "dup.yaml", "status: identified\nstatus: resolved\n")
    with pytest.raises(InputError) as caught:
        load_yaml(path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (2, "status")
    assert "first on line 1" in problem.message


@pytest.mark.parametrize(
    ("content", "expected"),
    [("", "empty"), (b"\xff\xfe", "UTF-8")],
)
def test_empty_or_not_utf8(tmp_path: Path, content: str | bytes, expected: str) -> None:
    path = tmp_path / "x.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(InputError) as caught:
        load_yaml(path)
    assert expected in caught.value.problems[0].message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_yaml(tmp_path / "nope.yaml")


def test_dotted_paths() -> None:
    assert dotted(("faq", 1, "q")) == "faq[1].q"
    assert dotted(("channels", "sms", "from")) == "channels.sms.from"


# Hostile files: every bound is a located problem, reached quickly, never a traceback.


def alias_bomb(levels: int = 9) -> str:
    """A few hundred bytes naming 9**levels values."""
    lines = ["lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def refused(path: Path) -> Problem:
    with pytest.raises(InputError) as caught:
        load_yaml(path)
    (problem,) = caught.value.problems
    assert problem.file == path
    return problem


def test_an_alias_bomb_is_refused_where_it_repeats_too_much(tmp_path: Path) -> None:
    path = write(tmp_path / "bomb.yaml", alias_bomb())
    assert path.stat().st_size < 1000
    problem = refused(path)
    # lol0..lol3 make 1 + 10 + 91 + 820 + 7381 values; the first *lol3 in lol4 tips it over.
    assert (problem.line, problem.field) == (5, "lol4[0]")
    assert f"more than {MAX_VALUES:,} values" in problem.message
    assert "*lol3" in problem.message


def test_aliases_that_stay_small_still_work(tmp_path: Path) -> None:
    text = "base: &base {locale: fr, timezone: Europe/Paris}\nsms: *base\nlist: [*base, *base]\n"
    doc = load_yaml(write(tmp_path / "a.yaml", text))
    assert doc.data["sms"] == doc.data["base"] == {"locale": "fr", "timezone": "Europe/Paris"}
    assert doc.data["list"] == [doc.data["base"]] * 2
    assert doc.line_of(("list", 1)) == 3


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("id: x\nloop: &loop [a, *loop]\n", "loop[1]"),
        ("id: x\nloop: &me\n  name: me\n  again: *me\n", "loop.again"),
        ("id: x\nouter: &o\n  inner: [&i [*o]]\n", "outer.inner[0][0]"),
    ],
)
def test_an_alias_inside_the_block_it_names_is_refused(
    tmp_path: Path, text: str, field: str
) -> None:
    problem = refused(write(tmp_path / "cycle.yaml", text))
    assert problem.field == field
    assert "repeat forever" in problem.message
    assert problem.line == text[: text.index("*")].count("\n") + 1


@pytest.mark.parametrize(
    "nested",
    [
        "[" * 3000 + "]" * 3000,
        "{a: " * 3000 + "x" + "}" * 3000,
        "\n" + "".join(f"{'  ' * (level + 1)}- \n" for level in range(200)),
    ],
)
def test_nesting_deeper_than_the_bound_is_refused_not_a_recursion_error(
    tmp_path: Path, nested: str
) -> None:
    problem = refused(write(tmp_path / "deep.yaml", f"id: x\ndeep: {nested}\n"))
    assert problem.field is not None and problem.field.startswith("deep")
    assert f"more than {MAX_DEPTH} levels" in problem.message
    assert problem.line is not None and problem.line >= 2


def test_nesting_through_aliases_counts_too(tmp_path: Path) -> None:
    # Each block is 20 levels deep; the second holds the first at its bottom: 40 levels.
    first = "[" * 19 + "x" + "]" * 19
    second = "[" * 19 + "*one" + "]" * 19
    text = f"one: &one {first}\ntwo: {second}\n"
    problem = refused(write(tmp_path / "deep.yaml", text))
    assert (problem.line, problem.field) == (2, "two" + "[0]" * 19)
    assert "*one" in problem.message


def test_too_many_values_are_refused_while_reading(tmp_path: Path) -> None:
    problem = refused(write(tmp_path / "many.yaml", "id: x\nmany: [" + "x, " * 20_000 + "x]\n"))
    assert (problem.line, problem.field) == (2, "many")
    assert f"more than {MAX_VALUES:,} values" in problem.message


def test_a_file_over_the_size_bound_is_not_read(tmp_path: Path) -> None:
    path = write(tmp_path / "big.yaml", "id: x\n# " + "x" * MAX_FILE_BYTES + "\n")
    problem = refused(path)
    assert "larger than 1 MiB" in problem.message


def test_a_field_name_longer_than_a_few_words_is_refused(tmp_path: Path) -> None:
    problem = refused(write(tmp_path / "key.yaml", "id: x\nfaq:\n  - " + "q" * 500 + ": x\n"))
    assert (problem.line, problem.field) == (3, "faq[0]")
    assert "field name of 500 characters" in problem.message


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-16", "saved as UTF-16"),
        ("utf-32", "saved as UTF-32"),
        ("utf-16-le", "UTF-16 or UTF-32"),
        ("utf-16-be", "UTF-16 or UTF-32"),
        ("utf-32-le", "UTF-16 or UTF-32"),
        ("utf-32-be", "UTF-16 or UTF-32"),
    ],
)
def test_utf16_and_utf32_are_named(tmp_path: Path, encoding: str, expected: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes("id: x\ntitle: Coupure\n".encode(encoding))
    problem = refused(path)
    assert expected in problem.message
    assert "save it as UTF-8" in problem.message
    assert problem.line == 1


def test_latin1_and_control_characters_are_located(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes("id: x\n\ntitle: Électricité\n".encode("latin-1"))
    problem = refused(path)
    assert problem.line == 3 and "not UTF-8" in problem.message
    path.write_bytes(b"id: x\ntitle: a\x07b\n")
    problem = refused(path)
    assert problem.line == 2 and "U+0007" in problem.message


def test_a_recursion_error_while_reading_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    # Within the bounds no recursion gets near Python's limit; squeeze the limit to prove that
    # reaching it anyway still ends in a located problem.
    path = write(tmp_path / "x.yaml", "a: " + "[" * 25 + "]" * 25 + "\n")
    depth = len(inspect.stack())
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 40)
    try:
        problem = refused(path)
    finally:
        sys.setrecursionlimit(old)
    assert "nested too deeply" in problem.message


REPO = Path(__file__).resolve().parent.parent
SHIPPED_YAML = sorted(
    [
        REPO / "channels.yaml",
        *REPO.glob("examples/*.yaml"),
        *REPO.glob("broadcast/sectors/**/*.yaml"),
    ]
)


@pytest.mark.parametrize("path", SHIPPED_YAML, ids=lambda p: str(p.relative_to(REPO)))
def test_libyaml_and_pyyaml_read_every_shipped_file_alike(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files are parsed by libyaml (C) under our own composing; PyYAML's parser, the one they
    were read with before, gives the same data and the same line for every field."""
    import yaml

    from broadcast.input import yamlfile

    assert yaml.__with_libyaml__  # else both runs below would be PyYAML's
    fast = load_yaml(path)
    monkeypatch.setattr(yamlfile, "_FastBoundedLoader", yamlfile._BoundedLoader)
    slow = load_yaml(path)
    assert (fast.data, fast.lines) == (slow.data, slow.lines)
    assert fast.lines and None not in fast.lines.values()


def test_a_null_is_nothing_whichever_parser_reads_it(tmp_path: Path) -> None:
    doc = load_yaml(write(tmp_path / "a.yaml", "a:\nb: ~\nc: null\nd: 'null'\ne: ''\n"))
    assert doc.data == {"a": None, "b": None, "c": None, "d": "null", "e": ""}
