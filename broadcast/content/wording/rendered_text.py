"""One rendered text as the checks on rendered texts read it (``RenderedText``), and how
they say what they found on it (``finding``): in the file's language, on the channel, its
part and its template, at the level ``messages.LEVEL`` gives the check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcast.content.wording.messages import MESSAGES, level_of
from broadcast.problems import Problem

if TYPE_CHECKING:
    from broadcast.input.incident import Incident


@dataclass(frozen=True)
class RenderedText:
    """One part of one channel's message in one language, as its readers get it."""

    text: str  # as rendered (HTML and XML with their tags: see ``markup``)
    markup: bool
    language: str  # the text's language (fr, en...)
    file_language: str  # the incident file's, which findings are said in
    incident: Incident  # worded in ``language``
    organisation: str
    now: datetime
    channel: str
    part: str
    template: str  # its name as a person reads it (sms.txt.j2, or "sms.txt.j2, en")
    template_file: Path | None
    reminder: bool
    # What the channel's part must carry of a warning's elements (``ChannelConfig.CARRIES``).
    carries: tuple[str, ...] = ()
    # The hazards the incident carries and the team's phrasings of their protective actions
    # (channels.yaml): giving one of those actions tells people what to do.
    hazards: tuple[str, ...] = ()
    safety_actions: Mapping[str, list[str]] | None = None


def finding(rendered: RenderedText, key: str, **values: Any) -> Problem:
    """The check ``key``'s finding on ``rendered``, in the file's language (the whole
    paragraph: it is said to the incident's writers, though it is placed in a template), at
    its level."""
    language = rendered.file_language if rendered.file_language in MESSAGES else "en"
    return Problem(
        MESSAGES[language][key].format(template=rendered.template, **values),
        rendered.template_file,
        None,
        rendered.part,
        rendered.channel,
        level_of(key),
        key,
        language,
    )
