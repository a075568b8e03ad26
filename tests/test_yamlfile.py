"""YAML loading: plain data, a line for every field, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from broadcast.input.yamlfile import dotted, load_yaml
from broadcast.problems import InputError
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
