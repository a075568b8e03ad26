"""The wording checks that read what a channel really carries: one rendered text at a time.

The checks on the fields (``checks.check_content``) judge what the file says; these judge what
the SMS, the email or the post says once its template rendered it and the channel fitted it.
Each is a function of a ``RenderedText`` (``rendered_text``) that yields its findings, made
with ``rendered_text.finding``; ``TEXT_CHECKS`` lists them, and ``delivery.text_checks`` runs
them on every part of every planned channel, in every language it speaks. A new kind of check
on rendered texts is a function added to ``TEXT_CHECKS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from broadcast.content.wording.completeness import complete_text
from broadcast.content.wording.rendered_text import RenderedText
from broadcast.problems import Problem

# Every check on rendered texts, in the order their findings are listed.
TEXT_CHECKS: tuple[Callable[[RenderedText], Iterable[Problem]], ...] = (complete_text,)


def check_rendered_text(rendered: RenderedText) -> list[Problem]:
    """Every finding of ``TEXT_CHECKS`` on one rendered text."""
    return [problem for check in TEXT_CHECKS for problem in check(rendered)]
