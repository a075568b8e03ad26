"""Hostile input, run as real processes under limits on memory and time.

A corpus of files nobody should write but someone will (alias bombs, cyclic aliases, deep
nesting, huge fields, binary, every wrong encoding) goes through ``validate``, ``preview`` and
``tick`` as ``python -m broadcast`` subprocesses, each with its address space capped at 1 GiB and
a timeout. Each must end in exit 2 with a message naming the file and no traceback; in ``tick`` a
good incident in the same folder must still be sent.
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, NOW
from tests.world import SECRETS, World

# The slow tier (tests/conftest.py): real processes under limits on memory and time.
pytestmark = pytest.mark.slow

MEMORY_LIMIT = 1 << 30  # bytes of address space for each run
# Hang guards, not speed tests: a bounded run takes a few seconds even on a busy machine.
TIMEOUT = 60
TICK_TIMEOUT = 300

GOOD = EXAMPLE.read_text(encoding="utf-8")
GOOD_HEADLINE = "Coupure de courant à Lille et Roubaix depuis 8h10. Rétablissement prévu vers 14h."


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """A few hundred bytes that expand to ``width ** levels`` values (a billion laughs)."""
    lines = [f"lol0: &lol0 [{', '.join(['lol'] * width)}]"]
    lines += [
        f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * width)}]" for i in range(1, levels + 1)
    ]
    return "\n".join(lines) + "\n"


def with_headline(headline: str) -> str:
    return GOOD.replace(f"headline: {GOOD_HEADLINE}", f"headline: {headline}")


def with_summary(summary: str) -> str:
    start = GOOD.index("summary: >")
    end = GOOD.index("\n\n", start)
    return GOOD[:start] + f"summary: {summary}" + GOOD[end:]


def long_translated_answer() -> str:
    old = "No, if you keep the door closed."
    assert GOOD.count(old) == 1
    return GOOD.replace(old, "No. " * 40_000)


def binary() -> bytes:
    return random.Random(7).randbytes(8192)


INCIDENTS: dict[str, Callable[[], bytes]] = {
    # Expansion and structure.
    "bomb": lambda: (GOOD + alias_bomb()).encode(),
    "bomb-alone": lambda: alias_bomb().encode(),
    "cycle": lambda: (GOOD + "loop: &loop [*loop]\n").encode(),
    "cycle-map": lambda: (GOOD + "loop: &m {me: *m}\n").encode(),
    "deep-list": lambda: (GOOD + "deep: " + "[" * 3000 + "]" * 3000 + "\n").encode(),
    "deep-map": lambda: (GOOD + "deep: " + "{a: " * 3000 + "x" + "}" * 3000 + "\n").encode(),
    "many-values": lambda: (GOOD + "many: [" + "x, " * 200_000 + "x]\n").encode(),
    # Size.
    "huge-file": lambda: with_headline("Coupure " * 650_000).encode(),
    "long-headline": lambda: with_headline("Coupure " * 60_000).encode(),
    "long-summary": lambda: with_summary("Le courant est coupé. " * 40_000).encode(),
    "long-answer": lambda: long_translated_answer().encode(),
    "long-key": lambda: (GOOD + "k" * 300_000 + ": v\n").encode(),
    "long-status": lambda: GOOD.replace(
        "status: investigating", "status: " + "x" * 500_000
    ).encode(),
    # Not text, or not UTF-8.
    "binary": binary,
    "png": lambda: b"\x89PNG\r\n\x1a\n" + binary(),
    "utf16-bom": lambda: GOOD.encode("utf-16"),
    "utf16le": lambda: GOOD.encode("utf-16-le"),
    "utf16be": lambda: GOOD.encode("utf-16-be"),
    "utf32-bom": lambda: GOOD.encode("utf-32"),
    "utf32le": lambda: GOOD.encode("utf-32-le"),
    "utf32be": lambda: GOOD.encode("utf-32-be"),
    "latin1": lambda: GOOD.encode("latin-1"),
    "nul": lambda: GOOD.replace("status:", "status:\x00").encode(),
    "bad-utf8": lambda: GOOD.encode().replace("é".encode(), b"\xc3\x28", 1),
    "overlong": lambda: GOOD.encode().replace(b"# ", b"# \xc0\xaf", 1),
    "surrogate": lambda: GOOD.encode().replace(b"# ", b"# \xed\xa0\x80", 1),
    "control": lambda: with_headline("Coupure \x07 de courant").encode(),
}

# What the message says, beyond naming the file: the bound or the encoding, and where.
SAYS = {
    # Said in the file's language (French: the file is panne-nord's), with French digit groups,
    # the bounds of reading the file as well as its fields'.
    "bomb": ("*lol3 se répète tant que", "plus de 10\u202f000 valeurs", ", champ lol4[0]"),
    "cycle": ("*loop", "à l'infini", ", champ loop[0]"),
    "deep-list": ("plus de 32 niveaux", ", champ deep[0]"),
    "many-values": ("plus de 10\u202f000 valeurs", ", champ many"),
    "huge-file": ("dépasse 1 Mio",),
    "long-headline": (", champ headline", "au plus 1\u202f000"),
    "long-answer": (", champ translations.en.faq[0].a", "au plus 2\u202f000"),
    "long-status": (", champ status", "au plus 200"),
    "utf16-bom": ("enregistré en UTF-16",),
    "utf32-bom": ("enregistré en UTF-32",),
    "utf16le": ("UTF-16 ou UTF-32",),
    "utf32le": ("UTF-16 ou UTF-32",),
    "latin1": ("pas du texte UTF-8 (ligne 1",),
    "binary": ("UTF-8",),
    "control": ("U+0007",),
}

CONFIGS: dict[str, Callable[[str], bytes]] = {
    "bomb": lambda good: (good + alias_bomb()).encode(),
    "cycle": lambda good: (good + "loop: &loop [*loop]\n").encode(),
    "deep": lambda good: (good + "deep: " + "[" * 3000 + "]" * 3000 + "\n").encode(),
    "huge": lambda good: (good + "# " + "x" * 2_000_000 + "\n").encode(),
    "utf16": lambda good: good.encode("utf-16"),
}


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run(folder: Path, *args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **SECRETS, "BROADCAST_NOW": NOW.isoformat(), "COLUMNS": "200"}
    # RLIMIT_AS counts address space, and glibc reserves a 64 MiB arena per thread that
    # allocates: a send's worker threads alone could pass 1 GiB without using the memory.
    # Two arenas keep the cap about what hostile input makes the process hold.
    env["MALLOC_ARENA_MAX"] = "2"
    env.pop("BROADCAST_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "broadcast", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
        preexec_fn=limit_memory,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess[str], name: str) -> str:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output[-3000:]
    assert result.returncode == 2, output[-3000:]
    assert name in output, output[-3000:]
    # One paragraph per problem: a refused file never floods the terminal.
    assert len(output) < 20_000, output[:3000]
    return output


@pytest.mark.parametrize("command", ["validate", "preview"])
@pytest.mark.parametrize("case", sorted(INCIDENTS))
def test_a_hostile_incident_is_refused_in_bounded_time_and_memory(
    project: Path, case: str, command: str
) -> None:
    name = f"hostile-{case}.yaml"
    (project / name).write_bytes(INCIDENTS[case]())
    output = assert_refused(run(project, command, name), name)
    for words in SAYS.get(case, ()):
        assert words in output, output


@pytest.mark.parametrize("case", sorted(CONFIGS))
def test_a_hostile_channels_yaml_is_refused_in_bounded_time_and_memory(
    project: Path, case: str
) -> None:
    config = project / "channels.yaml"
    config.write_bytes(CONFIGS[case](config.read_text(encoding="utf-8")))
    assert_refused(run(project, "validate", "examples/panne-nord.yaml"), "channels.yaml")


def test_tick_sends_the_good_incident_whatever_else_is_in_the_folder(world: World) -> None:
    folder = world.folder / "incidents"
    folder.mkdir()
    for case, content in INCIDENTS.items():
        (folder / f"a-{case}.yaml").write_bytes(content())
    # Sorted last, so every hostile file is tried before it.
    (folder / "z-good.yaml").write_text(GOOD, encoding="utf-8")
    result = run(world.folder, "tick", "incidents", "--yes", timeout=TICK_TIMEOUT)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output[-3000:]
    assert result.returncode == 2, output[-3000:]
    for case in INCIDENTS:
        assert f"a-{case}.yaml" in output, (case, output[-3000:])
    assert any(GOOD_HEADLINE in m.body for m in world.twilio.messages()), output[-3000:]
    assert world.smtp.received
    assert world.x.posts()


def test_tick_reports_an_incident_that_crashes_and_goes_on(world: World) -> None:
    folder = world.folder / "incidents"
    folder.mkdir()
    storm = (EXAMPLE.parent / "storm-en.yaml").read_text(encoding="utf-8")
    (folder / "a-storm.yaml").write_text(
        storm.replace("started_at: 2026-12-05", "started_at: 2026-11-21"), encoding="utf-8"
    )
    (folder / "z-good.yaml").write_text(GOOD, encoding="utf-8")
    # The storm's lock is a folder: opening it fails, a fault of the machine, not of the file.
    (world.folder / ".broadcast" / "locks" / "storm-ada-water-2026-12-05.lock").mkdir(parents=True)
    result = run(world.folder, "tick", "incidents", "--yes", "--log-file", "cron.log")
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output[-3000:]
    assert result.returncode == 1, output[-3000:]
    assert "a-storm.yaml" in output and "IsADirectoryError" in output, output[-3000:]
    assert any(GOOD_HEADLINE in m.body for m in world.twilio.messages()), output[-3000:]
    assert '"event": "crash"' in (world.folder / "cron.log").read_text()
