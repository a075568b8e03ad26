"""Which chosen channels this host can send on: one whose secrets are not set here does not
hold back the others. It is left out of the run, named first, and a later run with them set
sends it there; when none could send, none is set apart and the plan reports them all."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from broadcast.input.config import _ENV_REF, Config, resolve_credentials
from broadcast.problems import Problem


def with_fallbacks(
    only: Sequence[str], config: Config | None, unavailable: Mapping[str, list[Problem]]
) -> list[str]:
    """The chosen channels and the channels they fall back to (their texts are recorded
    with the version, so a fallback says the same), less those this host cannot send on."""
    chosen = list(only)
    if config is None:
        return chosen
    if unavailable:
        chosen = [c for c in chosen or config.channels if c not in unavailable]
    if not chosen:
        return chosen
    for name in list(chosen):
        target = config.fallback_of(name) if name in config.channels else None
        if target is not None and target not in chosen and target not in unavailable:
            chosen.append(target)
    return chosen


def unavailable_channels(
    config: Config, candidates: Sequence[str], environ: Mapping[str, str]
) -> tuple[dict[str, list[Problem]], list[str]]:
    """The channels among ``candidates`` whose credentials are not in the environment, each
    with a problem per missing variable; and, when none could send, all of them instead (the
    plan then reports them as errors and nothing is sent, as for any input that cannot go)."""
    missing = {}
    for name in candidates:
        if name in config.channels:
            _, problems = resolve_credentials(config, name, environ)
            if problems:
                missing[name] = problems
    if len(missing) == len(candidates):
        return {}, list(missing)
    return missing, []


def missing_variables(
    config: Config, channels: Sequence[str], environ: Mapping[str, str]
) -> list[str]:
    """The environment variables ``channels`` wait for, each once."""
    found: list[str] = []
    for name in channels:
        for ref in config.channels[name].credential_refs().values():
            for variable in _ENV_REF.findall(ref):
                if not environ.get(variable) and variable not in found:
                    found.append(variable)
    return found
