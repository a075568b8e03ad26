"""French typography, applied once to a whole rendered text rather than to each template string.

French sets a no-break space before « : » and a narrow no-break space before « ; ! ? », and
no-break spaces inside « »; « de » and « que » elide before a vowel (« auprès d'Énergie Nord »,
a join of a template's words and the organisation's name). Templates and incidents are written
with plain spaces; this pass, run on every French text a surface shows (email, post, banner,
status page, call-centre script, CAP, report), sets them. An SMS is not given it: a no-break
space is not GSM-7 and would be replaced by a plain one anyway (measure.GSM_LOOKALIKES), and a
call is heard, not read.

Web addresses, e-mail addresses and, in markup, tags, entities and the insides of ``<style>``
and ``<script>`` are left exactly as they are.
"""

from __future__ import annotations

import re

NBSP = "\u00a0"
NNBSP = "\u202f"

# What the pass never touches: web and mail addresses, times such as 14:00 need no care (no
# space before the colon), and in markup the tags, entities, and style and script blocks.
# Entities too in text: the call-centre script's Markdown escapes "<" as "&lt;".
_ADDRESS = (
    r"(?:https?://|www\.|mailto:)[^\s<>\"]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|&(?:#\d+|#x[0-9a-fA-F]+|\w+);"
)
_PROTECTED_TEXT = re.compile(_ADDRESS)
_PROTECTED_MARKUP = re.compile(
    r"<(style|script)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>|" + _ADDRESS,
    re.DOTALL | re.IGNORECASE,
)
_SPACES = "[ \u00a0\u202f]"
# A letter, digit or closing sign right before the punctuation (no space written).
_WORD_END = r"(?<=[\w\)»\]%€$*_])"


def _set(chunk: str) -> str:
    # Spaces written before the punctuation become the right no-break ones.
    chunk = re.sub(rf"{_SPACES}+:", NBSP + ":", chunk)
    chunk = re.sub(rf"{_SPACES}+([;!?])", NNBSP + r"\1", chunk)
    # None written: one is added before « ; ! ? » and « : » that end a word ("Que faire?",
    # "Attention:"), not inside "14:00", "?!" or a list of "!!!".
    chunk = re.sub(rf"{_WORD_END}([;!?])(?=\s|$|[»\)\"'])", NNBSP + r"\1", chunk)
    chunk = re.sub(rf"{_WORD_END}:(?=\s|$)", NBSP + ":", chunk)
    # Inside guillemets.
    chunk = re.sub(rf"«{_SPACES}*", "«" + NBSP, chunk)
    chunk = re.sub(rf"{_SPACES}*»", NBSP + "»", chunk)
    # Elision before a capital vowel: the join of "de" and a name ("de Énergie Nord").
    chunk = re.sub(r"\b([dD]e|[qQ]ue|[jJ]usque) ([AEIOUYÉÈÊÀÂÎÔ])", _elide, chunk)
    return chunk


def _elide(match: re.Match[str]) -> str:
    word = match.group(1)
    return f"{word[:-1]}'{match.group(2)}"


def french(text: str, markup: bool = False) -> str:
    """``text`` with French spacing and elision; in ``markup``, its text nodes only."""
    protected = _PROTECTED_MARKUP if markup else _PROTECTED_TEXT
    out: list[str] = []
    last = 0
    for found in protected.finditer(text):
        out.append(_set(text[last : found.start()]))
        out.append(found.group(0))
        last = found.end()
    out.append(_set(text[last:]))
    return "".join(out)


def plain(text: str) -> str:
    """``text`` with its no-break spaces as plain ones: what a French text says, to compare."""
    return text.replace(NBSP, " ").replace(NNBSP, " ")
