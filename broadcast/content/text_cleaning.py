"""What every rendered text goes through before a channel carries it: tidy spacing, no
control characters, no raw HTML in Markdown.
"""

from __future__ import annotations

import re
from typing import Any


def markdown_text(value: Any) -> str:
    """Incident text inside Markdown: no HTML a viewer would render, no accidental heading."""
    import html

    text = html.escape(str(value), quote=False)
    return re.sub(r"^([#>*+-])", r"\\\1", text, flags=re.MULTILINE)


def without_raw_html(markdown: str) -> str:
    """A Markdown output with no raw HTML a viewer would run or render: every ``<`` left is
    written ``&lt;``. Whatever put it there (a field a template forgot to pass through
    ``md``, a link, a user's own template), ``agent-script.md`` in a public folder carries
    no ``<script>``; the shipped templates write no HTML of their own."""
    return markdown.replace("<", "&lt;")


# What no rendered text may hold: C0 controls but newline and tab, DEL, C1 controls, and the
# bidi embeddings and overrides (U+202A-U+202E) that make a line read otherwise than written.
_ACTING = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")


def without_controls(text: str) -> str:
    """``text`` without the characters no channel may carry.

    Every text a provider, a feed or a page carries is rendered here, so this one guard
    covers them all (SMS, calls, X, Facebook, email, CAP, the status site, Apprise), whatever
    put the character there: a template's own output, a language file, or what the ledger
    and the published history recorded from an older version (a correction quotes the wrong
    message's headline as it went out). A control character would reach phones and feeds as
    garbage, act on the terminals that show it (ESC starts colours and hidden links) and make
    XML malformed. Removed, not refused: the input already refuses these characters in the
    incident, with its line, so what is left comes from where the author cannot fix it in a
    crisis (an older version's records), and a refusal there would block the very correction
    of the message that carried them. The preview, the approval and the send all see the
    text without them, so what is approved is what goes.
    """
    return _ACTING.sub("", text) if _ACTING.search(text) else text


def tidy_text(text: str) -> str:
    """Trailing spaces off every line, at most one blank line in a row, no blank ends, one
    space between words (a phrase said once may leave its place empty: next_update_short)."""
    lines = [
        re.sub(r"(?<=\S) {2,}(?=\S)", " ", line.rstrip()) for line in text.strip().splitlines()
    ]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
