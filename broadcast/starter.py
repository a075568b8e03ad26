"""What ``broadcast init`` writes: the shipped channels.yaml, templates, recipients and examples.

With a sector (``broadcast init DIR --sector bank``) the set is ready for that kind of
organisation: a channels.yaml in its name, and one incident in French and one in English, each
worded for the crisis that sector most often faces. They live as plain files in
``broadcast/sectors/<sector>/``; a sector may also carry templates of its own in a
``templates/`` folder there, which replace the shipped template of the same name (an insurer
does not apologise for a flood "for the inconvenience").
"""

from __future__ import annotations

import difflib
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

SECTORS_ROOT = _PACKAGE / "sectors"
# In the order the help and the "did you mean" hint list them.
SECTORS = ("utility", "telecom", "bank", "transport", "insurance", "retail", "public")


def write_starter(directory: Path, force: bool = False, sector: str | None = None) -> list[Path]:
    """Copy the starter files into ``directory``; refuse to overwrite unless ``force``.

    ``sector`` (one of ``SECTORS``) writes that sector's channels.yaml and its two incidents,
    ``examples/<sector>-fr.yaml`` and ``examples/<sector>-en.yaml``, instead of the generic
    examples. Returns the files written, channels.yaml first.
    """
    if sector is None:
        plan = [(STARTER_ROOT / name, directory / name) for name in STARTER_FILES]
        sector_templates = None
    else:
        sector = sector_name(sector)
        source = SECTORS_ROOT / sector
        plan = [
            (source / "channels.yaml", directory / "channels.yaml"),
            (STARTER_ROOT / "examples" / "contacts.csv", directory / "examples" / "contacts.csv"),
            *(
                (
                    source / f"{sector}-{language}.yaml",
                    directory / "examples" / f"{sector}-{language}.yaml",
                )
                for language in ("fr", "en")
            ),
        ]
        sector_templates = source / "templates"
    plan += _templates(directory / "templates", sector_templates)

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
    for source_file, target in plan:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source_file, target)
        written.append(target)
    return written


def sector_name(name: str) -> str:
    """``Bank`` → ``bank``; an unknown name is an ``InputError`` that lists the sectors."""
    wanted = name.strip().lower()
    if wanted in SECTORS:
        return wanted
    guess = difflib.get_close_matches(wanted, SECTORS, n=1, cutoff=0.5)
    hint = f"did you mean '{guess[0]}'? " if guess else ""
    raise InputError(
        [
            Problem(
                f"there is no sector '{name}'; {hint}the sectors are {', '.join(SECTORS)}",
                field="--sector",
            )
        ]
    )


def _templates(target: Path, sector_templates: Path | None) -> list[tuple[Path, Path]]:
    """Every shipped template, a sector's own version replacing the shipped one of its name."""
    from broadcast.content.render import SHIPPED_TEMPLATES

    sources = {
        path.relative_to(SHIPPED_TEMPLATES): path for path in SHIPPED_TEMPLATES.rglob("*.j2")
    }
    if sector_templates is not None and sector_templates.is_dir():
        sources.update(
            {path.relative_to(sector_templates): path for path in sector_templates.rglob("*.j2")}
        )
    return [(sources[relative], target / relative) for relative in sorted(sources)]
