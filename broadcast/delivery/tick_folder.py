"""The incident files of a folder cron's ``tick`` sends, and the files it leaves out.

A broken incident is taken (its send reports it), never skipped; two files with one id are
both refused, as neither may speak for the other.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from broadcast.input.config import load_config
from broadcast.input.incident import load_incident
from broadcast.input.yamlfile import YamlDocument
from broadcast.problems import InputError, Problem

# The fields only an incident has: a YAML file in a tick folder with none of them at its top
# level is something else (channels.yaml, a compose file...), left out rather than reported.
INCIDENT_FIELDS = frozenset(
    {"id", "status", "severity", "title", "headline", "summary", "affected", "started_at"}
)


def incident_files(folder: Path, config_path: Path) -> tuple[list[Path], dict[Path, str]]:
    """The incident files of a tick folder, and the other YAML files there with why each is
    left out: the configuration this run reads, or a file with none of ``INCIDENT_FIELDS``.

    A file that does not parse, or has any incident field, is taken: a broken incident must
    be reported, never silently skipped. Only visible files are incidents: a name starting
    with ``.`` or ending with ``~`` (an editor's lock, swap or backup) is left out, and said.
    """
    from broadcast.input.yamlfile import load_yaml

    taken: list[Path] = []
    left_out: dict[Path, str] = {}
    config = config_path.resolve()
    candidates = []
    for path in sorted(folder.iterdir()):
        if _editor_copy(path.name):
            # An editor's lock or backup (.#incident.yaml, incident.yaml~) holds the same id
            # as the incident it copies: taken, it would block the real one.
            if ".yaml" in path.name or ".yml" in path.name:
                left_out[path] = "hidden or an editor's copy"
        elif path.suffix in (".yaml", ".yml") and path.is_file():
            candidates.append(path)
    for path in candidates:
        if path.resolve() == config:
            left_out[path] = "the configuration"
            continue
        try:
            data = load_yaml(path, what="incident file").data
        except InputError:
            taken.append(path)
            continue
        if isinstance(data, dict) and not INCIDENT_FIELDS & set(data):
            left_out[path] = (
                "a channels.yaml" if "channels" in data else "no id, headline or status"
            )
        elif not isinstance(data, dict):
            left_out[path] = "not a set of 'field: value' lines"
        else:
            taken.append(path)
    return taken, left_out


def _editor_copy(name: str) -> bool:
    """A hidden file or an editor's backup: never an incident a person means to send."""
    return name.startswith(".") or name.endswith("~")


def shared_ids(
    paths: Sequence[Path], config_path: Path, environ: Mapping[str, str] | None = None
) -> dict[Path, Problem]:
    """Files among ``paths`` that share an incident id, each with a problem naming the others.

    Files that do not load are left out: their own send reports why.
    """
    environ = dict(os.environ) if environ is None else environ
    try:
        defaults = load_config(config_path, environ).defaults.model_dump()
    except InputError:
        return {}
    by_id: dict[str, list[tuple[Path, YamlDocument]]] = {}
    for path in paths:
        try:
            incident, document = load_incident(path, defaults)
        except InputError:
            continue
        by_id.setdefault(incident.id, []).append((path, document))
    clashes: dict[Path, Problem] = {}
    for incident_id, files in by_id.items():
        if len(files) < 2:
            continue
        for path, document in files:
            others = ", ".join(str(other) for other, _ in files if other != path)
            clashes[path] = Problem(
                f"{others} has the same id {incident_id}: two files cannot speak for one "
                "incident, so neither was sent; give the new incident a new id (or remove the "
                "old file)",
                path,
                document.line_of(("id",)),
                "id",
            )
    return clashes
