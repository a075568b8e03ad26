"""broadcast: one crisis message, rendered for every channel.

The library's operations are here, as ``broadcast.preview(...)``, ``broadcast.send(...)``,
``broadcast.status(...)`` and the others of ``broadcast.api``; the post-incident report is
``broadcast.post_incident_report(...)`` (``broadcast.report`` is the package of the report
stage). They load on first use: ``python -m broadcast preview`` pays nothing for them.
"""

from typing import Any

__version__ = "0.1.0"

# The names ``broadcast.api`` gives at the package's level, and the name each has there.
_OPERATIONS = {
    "validate": "validate",
    "preview": "preview",
    "dry_run": "dry_run",
    "send": "send",
    "tick": "tick",
    "to_approve": "to_approve",
    "approve": "approve",
    "status": "status",
    "reconcile": "reconcile",
    "post_incident_report": "report",
    "init": "init",
}


def __getattr__(name: str) -> Any:
    if name not in _OPERATIONS:
        raise AttributeError(f"module 'broadcast' has no attribute {name!r}")
    from broadcast import api

    return getattr(api, _OPERATIONS[name])


def __dir__() -> list[str]:
    return sorted([*globals(), *_OPERATIONS])
