"""What the wording checks read, and how they say what they found.

``Wording`` is the incident's text in one language (the incident's own, or a translation) with
where each field sits in the file; ``Says`` builds a warning in the file's language on a field's
line (``warning``: on another field's line when the field is absent).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from broadcast.content.render import DEFAULT_FULL_LOCALE
from broadcast.content.wording.messages import MESSAGES, level_of
from broadcast.input.yamlfile import YamlDocument, dotted
from broadcast.problems import Problem

if TYPE_CHECKING:
    from broadcast.input.incident import Incident

# Published text: every field is read, and sentence length is measured where people read prose.
TEXT_FIELDS = (
    "title",
    "headline",
    "affected",
    "summary",
    "actions",
    "apology",
    "compensation",
    "offline",
    "reply",
)


class Wording(NamedTuple):
    """The incident's text in one language, and where each field sits in the file."""

    language: str
    prefix: tuple[str | int, ...]
    fields: dict[str, str | None]
    faq: Sequence[Any]
    # The full locale its times are written in (a bare ``en`` is en_GB, as when rendering).
    locale: str = ""
    # The area in words (``area.description``, ``area.left_area``): read like the fields.
    area: dict[str, str | None] = {}  # noqa: RUF012 (a NamedTuple's default, never changed)


class Says:
    """Builds a warning in the file's language, on a field's line."""

    def __init__(self, incident: Incident, doc: YamlDocument) -> None:
        language = incident.locale.replace("-", "_").split("_")[0].lower()
        self.language = language if language in MESSAGES else "en"
        self.doc = doc

    def __call__(
        self,
        key: str,
        location: tuple[str | int, ...],
        fallback: tuple[str | int, ...] | None = None,
        severity: str | None = None,
        **values: Any,
    ) -> Problem:
        """The problem ``key`` finds on ``location``, at the level ``messages.LEVEL`` gives
        the check (``severity`` is kept for callers that still pass one; the table wins)."""
        message = MESSAGES[self.language][key].format(**values)
        problem = warning(self.doc, location, message, fallback)
        return problem._replace(severity=level_of(key), check=key)


def wordings(incident: Incident, doc: YamlDocument) -> Iterator[Wording]:
    yield own_wording(incident)
    translations = getattr(incident, "translations", None) or {}
    for code, translation in translations.items():
        if translation is None:
            continue
        yield Wording(
            language=str(code).replace("-", "_").split("_")[0].lower(),
            prefix=("translations", yaml_key(doc, code)),
            fields={name: getattr(translation, name, None) for name in TEXT_FIELDS},
            faq=getattr(translation, "faq", None) or (),
            locale=_full_locale(yaml_key(doc, code)),
            area=_area_words(getattr(translation, "area", None)),
        )


def own_wording(incident: Incident) -> Wording:
    """The incident's text in its own language (a translation's, once worded in it)."""
    return Wording(
        language=incident.locale.replace("-", "_").split("_")[0].lower(),
        prefix=(),
        fields={name: getattr(incident, name, None) for name in TEXT_FIELDS},
        faq=incident.faq,
        locale=_full_locale(incident.locale),
        area=_area_words(getattr(incident, "area", None)),
    )


def _area_words(area: Any) -> dict[str, str | None]:
    """The area's texts people read, by name (``description``, ``left_area``)."""
    if area is None:
        return {}
    return {name: getattr(area, name, None) for name in ("description", "left_area")}


def yaml_key(doc: YamlDocument, code: str) -> str:
    """The key as written in the file (``en-GB``), for a translation the model files as ``en``."""
    written = doc.data.get("translations") if isinstance(doc.data, dict) else None
    if isinstance(written, dict):
        for key in written:
            if key == code or str(key).replace("-", "_").split("_")[0].lower() == code:
                return str(key)
    return str(code)


def _full_locale(written: str) -> str:
    locale = written.replace("-", "_")
    return locale if "_" in locale else DEFAULT_FULL_LOCALE.get(locale.lower(), locale)


def plain_apostrophes(text: str) -> str:
    """Typographic apostrophes as straight ones, so word lists need only one spelling."""
    return text.replace("\u2019", "'").replace("\u02bc", "'")


def warning(
    doc: YamlDocument,
    location: tuple[str | int, ...],
    message: str,
    fallback: tuple[str | int, ...] | None = None,
) -> Problem:
    """A warning on ``location``; a field absent from the file points at ``fallback``'s line."""
    line = doc.lines.get(location)
    if line is None and fallback is not None and fallback in doc.lines:
        line = doc.lines[fallback]
    if line is None:
        line = doc.line_of(location)
    return Problem(message, doc.path, line, dotted(location), severity="warning")
