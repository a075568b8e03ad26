"""The recipients CSV: normalised contacts, per-line problems, duplicates counted once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from broadcast.input.recipient_count import count_recipients
from broadcast.input.recipients import read_recipients
from broadcast.problems import InputError
from tests.conftest import REPO, write

CSV = """\
name,phone,email,locale
Alice,06 12 34 56 78,alice@example.com,fr
Bob,+33 6 12 34 56 79,bob@example,en
Carl,0612345678,ALICE@example.com,
Dan,12,,fr
Eve,,eve@example.org,en
"""


def test_phones_become_e164_and_bad_ones_are_reported_by_line(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", CSV)
    problems: list = []
    found = list(read_recipients(path, "phone", "FR", "sms", problems))
    assert [(r.line, r.address, r.name) for r in found] == [
        (2, "+33612345678", "Alice"),
        (3, "+33612345679", "Bob"),
        (4, "+33612345678", "Carl"),
    ]
    (problem,) = problems
    assert (problem.line, problem.field, problem.channel, problem.severity) == (
        5,
        "phone",
        "sms",
        "warning",
    )


def test_counts_distinct_valid_recipients(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", CSV)
    phones = count_recipients(path, "phone", "FR")
    assert (phones.valid, phones.duplicates, phones.invalid) == (2, 1, 1)
    emails = count_recipients(path, "email")
    # ALICE@example.com is alice@example.com; bob@example has no dot after the @.
    assert (emails.valid, emails.duplicates, emails.invalid) == (2, 1, 1)
    assert emails.problems[0].line == 3


def test_national_numbers_need_a_region(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", CSV)
    count = count_recipients(path, "phone", None)
    assert count.valid == 1
    assert all("default_region" in p.message for p in count.problems)


def test_semicolons_and_excel_bom(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffNom;Phone;Email\nA;06 12 34 56 78;a@example.com\n".encode())
    assert [r.address for r in read_recipients(path, "phone", "FR")] == ["+33612345678"]


def test_missing_column_and_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "name,mobile\nA,0612345678\n")
    with pytest.raises(InputError) as caught:
        count_recipients(path, "phone", "FR", "sms")
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (1, "phone")
    assert "name, mobile" in problem.message
    with pytest.raises(InputError, match="not found"):
        count_recipients(tmp_path / "none.csv", "email")


def test_a_bad_byte_further_down_is_a_located_problem(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"name,phone\nA,0612345678\nB,06\xe9\n")
    with pytest.raises(InputError) as caught:
        count_recipients(path, "phone", "FR", "sms")
    (problem,) = caught.value.problems
    assert "UTF-8" in problem.message
    assert problem.channel == "sms"


SEEN_SET_HOLDER = """\
import os, sys
from broadcast.input.recipients import SeenSet
seen = SeenSet()
for i in range(300_000):  # past SQLite's cache: the set now lives in its temporary file
    seen.add(f"+3361{i:07d}")
for fd in os.listdir("/proc/self/fd"):
    try:
        print(os.readlink(f"/proc/self/fd/{fd}"), flush=True)
    except OSError:
        pass
print("ready", flush=True)
sys.stdin.read()
"""


def test_the_seen_set_leaves_no_file_of_addresses_when_killed(tmp_path: Path) -> None:
    """Its file is unlinked as soon as SQLite opens it: a kill -9 leaves nothing to read."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", SEEN_SET_HOLDER],
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(scratch)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        opened = []
        for line in process.stdout:
            if line.strip() == "ready":
                break
            opened.append(line.strip())
        # The set is on disk (memory stays flat), in a file that no longer has a name.
        held = [name for name in opened if name.startswith(str(scratch))]
        assert held and all(name.endswith("(deleted)") for name in held), opened
        assert list(scratch.iterdir()) == []
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert list(scratch.iterdir()) == []


COUNTED_AGAIN = """\
import sys
from pathlib import Path
from broadcast.input.recipient_count import count_recipients
count = count_recipients(Path(sys.argv[1]), "phone", "FR", "sms")
print(count.valid, count.duplicates, count.invalid, "phonenumbers" in sys.modules)
"""


def test_an_unchanged_list_is_counted_once_and_a_changed_one_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A preview of an unchanged list needs no phone library: its count is remembered, with
    the hash of the bytes counted, contacts masked in its problems."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = write(tmp_path / "c.csv", CSV)

    def count_in_a_new_process() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", COUNTED_AGAIN, str(path)],
            cwd=REPO,
            env={**os.environ},
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.split()

    assert count_in_a_new_process() == ["2", "1", "1", "True"]
    assert count_in_a_new_process() == ["2", "1", "1", "False"]
    (saved,) = (tmp_path / "cache" / "broadcast" / "counts").iterdir()
    assert saved.stat().st_mode & 0o777 == 0o600
    assert "612345678" not in saved.read_text() and "06 12" not in saved.read_text()
    cached = count_recipients(path, "phone", "FR", "sms")
    assert [(p.line, p.field, p.channel) for p in cached.problems] == [(5, "phone", "sms")]
    # Another list at the same path: counted again, not taken from the cache.
    write(path, CSV.replace("Dan,12,", "Dan,06 12 34 56 99,").replace("Bob", "B"))
    assert count_in_a_new_process() == ["3", "1", "0", "True"]
