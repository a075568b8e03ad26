"""What ``broadcast init`` writes: the shipped channels.yaml, templates, recipients and examples."""

from __future__ import annotations

import shutil
from pathlib import Path

from broadcast.problems import InputError, Problem

_PACKAGE = Path(__file__).parent
# In a wheel the starter files are packaged under broadcast/starter; in a checkout, the repo root.
STARTER_ROOT = _PACKAGE / "starter" if (_PACKAGE / "starter").is_dir() else _PACKAGE.parent
STARTER_FILES = (
    "channels.yaml",
    "examples/contacts.csv",
    "examples/panne-nord.yaml",
    "examples/storm-en.yaml",
)


def write_starter(directory: Path, force: bool = False) -> list[Path]:
    """Copy the starter files into ``directory``; refuse to overwrite unless ``force``."""
    from broadcast.render import SHIPPED_TEMPLATES

    plan: list[tuple[Path, Path]] = [
        (STARTER_ROOT / name, directory / name) for name in STARTER_FILES
    ]
    plan += [
        (source, directory / "templates" / source.relative_to(SHIPPED_TEMPLATES))
        for source in sorted(SHIPPED_TEMPLATES.rglob("*.j2"))
    ]
    existing = [target for _, target in plan if target.exists()]
    if existing and not force:
        raise InputError(
            [
                Problem(
                    f"{len(existing)} file{'s' * (len(existing) != 1)} already there "
                    f"(first: {existing[0]}); nothing was written. Use --force to overwrite.",
                    directory,
                )
            ]
        )
    written = []
    for source, target in plan:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    return written
