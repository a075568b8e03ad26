"""The banner's one markup and the height a host page keeps for it, written with banner.json.

The rule: the space a host page keeps for the banner follows what the published files say,
never a guess made after the page is painted. Three things decide it, and all three are known
before the first paint of a page that includes the banner as ``docs/channels/web-banner.md``
says (``banner.css`` then ``banner.js`` in ``<head>``):

* ``banner.css`` (its end is written here at each publication) says which messages the
  publication holds, and until when each time-limited one (restored, correction) is shown:
  ``--broadcast-banner-items`` on ``:root``;
* the visitor's clock, and the messages they dismissed (``localStorage``), are read by the first,
  synchronous lines of ``banner.js``, which mark ``<html>`` ``broadcast-banner-on`` (something
  will be shown: keep its height) or ``broadcast-banner-off`` (nothing: keep none);
* the height itself does not depend on which messages remain: every banner, one message or
  several collapsed into one strip that opens, is ``--broadcast-banner-lines`` lines of text
  (the most any message of the publication needs at that width, capped) and, on narrow screens,
  a row for "more". Its text is clipped to those lines, so whatever the font, the height is
  the one reserved. Only the visitor's own action (opening the strip, dismissing it) changes it.

``banner_fragment`` writes ``banner.html`` in the very markup ``banner.js`` builds: a page that
includes both shows it once (the script adopts the fragment's place and rewrites it in place).
Standard library only.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from broadcast.channels.banner_history import is_web_link
from broadcast.channels.status_words import WORDS

# The words of the banner that only the banner says, per language (English for any other).
BANNER_WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "several": "{n} messages",
        "dismiss_all": "Masquer ces messages",
        "fallback": "Informations sur nos services",
        "region": "Messages de service",
    },
    "en": {
        "several": "{n} messages",
        "dismiss_all": "Dismiss these messages",
        "fallback": "Service information",
        "region": "Service messages",
    },
}

# Shapes, as banner.js draws them (severity is said in words and a shape, not colour alone).
ICONS = {
    "critical": "M7 1h6l6 6v6l-6 6H7l-6-6V7z M9 5h2v7H9z M9 14h2v2H9z",
    "major": "M10 1l9.5 17h-19z M9 7h2v6H9z M9 14h2v2H9z",
    "minor": "M10 1a9 9 0 1 0 0.01 0z M9 8h2v7H9z M9 4.5h2v2H9z",
    "restored": "M10 1a9 9 0 1 0 0.01 0z M5 10.5l1.5-1.5 2.5 2.5 5-5 1.5 1.5-6.5 6.5z",
    "corrected": "M3 2h14v16H3z M6 6h8v2H6z M6 10h8v2H6z M6 14h5v2H6z",
}

# Per range of widths: (media query, the narrowest width in px, font size in px, icon and gap
# in px, whether "more" sits beside the text (wide) or below it (narrow), most lines of text).
# Characters are counted at 0.58 em (a wide bold font): a little more room than most fonts
# need. Text beyond the lines is clipped with an ellipsis ("more" leads to all of it); fewer
# lines than reserved leave a little more colour. Neither moves the page.
_WIDTHS: list[tuple[str, int, float, float, bool, int]] = [
    ("", 320, 15, 26, False, 3),
    ("(min-width: 22.5rem)", 360, 15, 26, False, 3),
    ("(min-width: 24.375rem)", 390, 15, 26, False, 3),
    ("(min-width: 30rem)", 480, 16, 32, False, 3),
    ("(min-width: 48rem)", 768, 16, 32, True, 2),
    ("(min-width: 64rem)", 1024, 16, 32, True, 2),
    ("(min-width: 80rem)", 1280, 16, 32, True, 2),
]
# The side padding a host page may set (--broadcast-banner-padding), the dismiss button, and
# the widest content column counted on (a site sets --broadcast-banner-width to its own).
_SIDES = 2 * 24 + 28 + 12
_WIDEST = 1100
_CHAR = 0.58
_CHAR_WIDE = 0.55  # on a wide line, a long text averages narrower letters

# Where a web address may break: after these, so that it wraps at a slash, never mid-word.
URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
_BREAK_AFTER = re.compile(r"([/?&=#.]+)")


def banner_words(language: str) -> dict[str, str]:
    return BANNER_WORDS.get(language, BANNER_WORDS["en"])


def kind_of(item: Mapping[str, Any]) -> str:
    """The look of a message: its severity, or restored / corrected once it has ended."""
    state = item.get("state")
    if state in ("restored", "corrected"):
        return str(state)
    severity = str(item.get("severity"))
    return severity if severity in ICONS else "minor"


def key_of(item: Mapping[str, Any]) -> str:
    """What a dismissal remembers, as banner.js's keyOf: the update, so the next one shows."""
    return f"{item['id']}@{item['updated_at']}@{item['state']}"


def text_lines(item: Mapping[str, Any], per_line: int) -> int:
    """How many lines the label and headline take wrapped at ``per_line`` characters."""
    words: list[str] = []
    text = URL.sub(lambda match: url_shown(match.group(0)), f"{item['label']}{item['headline']}")
    for word in text.split():
        # A web address breaks after its slashes and dots (banner.js adds <wbr> there).
        words.extend(part for part in _BREAK_AFTER.sub(r"\1 ", word).split() if part)
    lines, used = 1, 0
    for word in words:
        if used and used + 1 + len(word) > per_line:
            lines, used = lines + 1, 0
        extra, used = divmod(used + (1 if used else 0) + len(word), per_line + 1)
        lines += extra
    return lines


def banner_reservation(banner: Mapping[str, Any]) -> str:
    """The end of ``banner.css``: which messages there are, and how many lines they take.

    ``--broadcast-banner-items`` lists each message as ``key until`` (``-``: no end), read by
    banner.js before the page is painted; ``--broadcast-banner-lines`` the lines of text every
    banner of this publication has at each range of widths. banner.css turns them into the
    height kept in ``#broadcast-banner`` (only once banner.js said something will be shown).
    """
    items = list(banner.get("incidents") or [])
    out = ["", "/* Written at publication: what banner.json holds, as the page needs it. */"]
    facts = ";".join(
        f"{key_of(i)} {i.get('until') or '-'} {'exercise' if i.get('exercise') else kind_of(i)}"
        for i in items
    )
    first_language = items[0].get("language", "en") if items else "en"
    words = banner_words(first_language)
    site_words = WORDS.get(first_language, WORDS["en"])
    out.append(
        ":root { "
        f"--broadcast-banner-items: {css_string(facts)}; "
        f"--broadcast-banner-fallback: {css_string(words['fallback'])}; "
        f"--broadcast-banner-more: {css_string(site_words['more'])}; "
        f"--broadcast-banner-dismiss: {css_string(site_words['dismiss'])}; }}"
    )
    for query, width, font, icon, beside, most in _WIDTHS:
        lines = 1
        for item in items:
            room = min(width, _WIDEST) - _SIDES - icon
            if beside:
                # "more" (or "3 messages") beside the text, in bold, with its gap.
                longest = max(len(item["words"]["more"]), len(item["words"]["several"]) + 2)
                room -= longest * _CHAR * font + 12
            per_line = max(8, int(room // ((_CHAR_WIDE if beside else _CHAR) * font)))
            lines = max(lines, min(most, text_lines(item, per_line)))
        rule = f":root {{ --broadcast-banner-lines: {lines}; }}"
        out.append(f"@media {query} {{ {rule} }}" if query else rule)
    return "\n".join(out) + "\n"


def css_string(text: str) -> str:
    """``text`` as a CSS string of ASCII: quotes, backslashes and the rest escaped."""
    escaped = []
    for char in text:
        # Non-ASCII too: banner.css is read in the including page's encoding, whatever it is.
        if char in '"\\' or not 0x20 <= ord(char) < 0x7F:
            escaped.append(f"\\{ord(char):x} ")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


# The fragment: the markup banner.js builds, written once for pages that include it.


def banner_fragment(banner: Mapping[str, Any]) -> str:
    """``banner.html``: what is shown now, as static HTML in banner.js's markup.

    The messages in progress and the corrections (a correction must reach those who saw the
    wrong message, with or without JavaScript); not the short "restored" state, which a page
    without banner.js would keep saying until the next publication. Where banner.js runs too,
    it takes this markup over (the dismiss button, the visitor's clock): one banner, not two.
    """
    shown = [i for i in banner.get("incidents") or [] if i.get("state") in ("active", "corrected")]
    if not shown:
        return "<!-- nothing to show -->\n"
    return strip_markup(shown) + "\n"


def strip_markup(items: Sequence[Mapping[str, Any]]) -> str:
    """One banner: a message, or several collapsed into a strip that opens (``<details>``)."""
    first = items[0]
    language = str(first.get("language") or "en")
    words = banner_words(language)
    critical = any(kind_of(i) == "critical" for i in items)
    classes = _classes(first) + (" broadcast-banner--several" if len(items) > 1 else "")
    keys = " ".join(key_of(i) for i in items)
    dismiss = first["words"]["dismiss"] if len(items) == 1 else words["dismiss_all"]
    button = (
        f'<button type="button" class="broadcast-banner__dismiss" '
        f'aria-label="{_attr(dismiss)}">\u00d7</button>'
    )
    opening = (
        f'<div class="{classes}" data-broadcast-banner="" data-keys="{_attr(keys)}" '
        f'role="{"alert" if critical else "status"}" lang="{_attr(language)}">'
    )
    if len(items) == 1:
        body = (
            f'<div class="broadcast-banner__inner">{_icon(first)}{_text(first, links=True)}'
            f"{_more(first)}</div>"
        )
        return f"{opening}{body}{button}</div>"
    count = words["several"].format(n=len(items))
    rows = "".join(
        f'<li class="broadcast-banner__item {_looks(i)}" '
        f'lang="{_attr(i.get("language") or "en")}">'
        f"{_icon(i)}{_text(i, links=True)}{_more(i)}</li>"
        for i in items
    )
    return (
        f'{opening}<details class="broadcast-banner__several">'
        f'<summary class="broadcast-banner__inner">{_icon(first)}{_text(first, links=False)}'
        f'<span class="broadcast-banner__more broadcast-banner__count">{html.escape(count)}</span>'
        f'</summary><ul class="broadcast-banner__list">{rows}</ul></details>{button}</div>'
    )


def _classes(item: Mapping[str, Any]) -> str:
    return f"broadcast-banner {_looks(item)}"


def _looks(item: Mapping[str, Any]) -> str:
    out = f"broadcast-banner--{kind_of(item)}"
    return out + (" broadcast-banner--exercise" if item.get("exercise") else "")


def _attr(text: str) -> str:
    return html.escape(str(text), quote=True)


def _icon(item: Mapping[str, Any]) -> str:
    return (
        '<svg class="broadcast-banner__icon" viewBox="0 0 20 20" aria-hidden="true" '
        f'focusable="false"><path d="{ICONS[kind_of(item)]}" fill="currentColor" '
        'fill-rule="evenodd"></path></svg>'
    )


def _text(item: Mapping[str, Any], links: bool) -> str:
    drill = ""
    label = str(item.get("label") or "")
    if item.get("exercise"):
        marker = str(item["words"].get("exercise") or "")
        if marker and label.startswith(marker):
            # The drill's fixed label, then the rest of the words (dash, severity, colon).
            drill = f'<span class="broadcast-banner__drill">{html.escape(marker)}</span>'
            label = label[len(marker) :]
    severity = ""
    if label:
        severity = f'<span class="broadcast-banner__severity">{html.escape(label)}</span>'

    headline = str(item["headline"])
    body = linked(headline) if links else html.escape(headline)
    return f'<p class="broadcast-banner__text">{drill}{severity}{body}</p>'


def linked(text: str) -> str:
    """``text`` escaped, its web addresses made links that break only after a slash or dot."""
    out, last = [], 0
    for match in URL.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        url = match.group(0)
        shown = "".join(
            html.escape(part) + ("<wbr>" if _BREAK_AFTER.fullmatch(part) else "")
            for part in _BREAK_AFTER.split(url_shown(url))
            if part
        )
        out.append(f'<a class="broadcast-banner__url" href="{_attr(url)}">{shown}</a>')
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def url_shown(url: str, most: int = 32) -> str:
    """A web address as the banner shows it: no scheme, no "www.", a long path cut after a
    slash ("energie-nord.fr/avis/..."); the link itself goes to the whole address."""
    shown = re.sub(r"^https?://(www\.)?", "", url)
    if len(shown) <= most:
        return shown
    cut = shown.rfind("/", 0, most)
    return shown[: cut + 1 if cut > 0 else most] + "\u2026"


def _more(item: Mapping[str, Any]) -> str:
    link = item.get("link")
    # Only a full address: a page beside banner.js is relative to the script, not to the page
    # that includes the fragment (banner.js resolves it when it takes the fragment over).
    if not is_web_link(link):
        return ""
    return (
        f'<a class="broadcast-banner__more" href="{_attr(str(link))}">'
        f"{html.escape(item['words']['more'])}</a>"
    )
