"""What the SMS channel measures in a preview: encoding, segments, what the GSM-7 typography
replaced, what was left out to fit ``max_segments``, and how a personalised text varies by name.

``SmsChannel.measure`` (broadcast.channels.sms) calls these with its settings; ``sms_notes``
words them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Protocol

from broadcast.channels.model import Measuring
from broadcast.content.greeting import GREETING_MARK, outside_the_name, sms_for, without_greeting
from broadcast.content.measure import SmsMeasure, gsm_typography, sms_measure
from broadcast.problems import Problem


class SmsSettings(Protocol):
    """What of an SMS channel's settings its measures read (``SmsChannel`` has them): named
    here, so that this module stays below the channel's and no import runs back up."""

    smart_encoding: bool
    transliterate: bool
    max_segments: int


def text_measures(
    channel: SmsSettings, parts: dict[str, str], at: Measuring, problems: list[Any]
) -> dict[str, Any]:
    """The SMS's encoding, segments and typography, measured on the text as sent (which
    ``parts["text"]`` becomes); a problem when it is over ``max_segments`` or empty."""
    measures: dict[str, Any] = {}
    which = f" ({at.label})" if at.label else ""
    # What is measured is what is sent: the text with its look-alikes replaced. A greeting
    # (personalise) is measured per recipient (greeting_measures); here, the text without it.
    typography = gsm_typography(
        without_greeting(parts["text"]),
        smart=channel.smart_encoding,
        transliterate=channel.transliterate,
    )
    if GREETING_MARK in parts["text"]:
        parts["text"] = outside_the_name(
            parts["text"],
            lambda piece: (
                gsm_typography(
                    piece, smart=channel.smart_encoding, transliterate=channel.transliterate
                ).text
            ),
        )
    else:
        parts["text"] = typography.text
    measure = sms_measure(typography.text)
    measures.update(
        encoding=measure.encoding,
        segments=measure.segments,
        characters=measure.units,
        max_segments=channel.max_segments,
        non_gsm=list(measure.non_gsm),
        typography={
            "replaced": [
                {"character": old, "by": new, "times": times}
                for old, new, times in typography.replaced
            ],
            "segments_before": typography.segments_before,
            "segments_saved": typography.segments_saved,
            "kept": list(typography.kept),
            "kept_cost": typography.kept_cost,
        },
    )
    if measure.segments > channel.max_segments:
        problems.append(_too_many_segments(channel, measure, at))
    if not parts["text"].strip():
        problems.append(
            Problem(f"the SMS{which} is empty", at.config.path, field="template", channel=at.name)
        )
    return measures


def _too_many_segments(channel: SmsSettings, measure: SmsMeasure, at: Measuring) -> Problem:
    """The error for an SMS over ``max_segments``: with UCS-2, the characters that caused it."""
    which = f" ({at.label})" if at.label else ""
    why = (
        f" (UCS-2 because of {', '.join(measure.non_gsm[:5])})"
        if measure.encoding == "UCS-2"
        else ""
    )
    return Problem(
        f"the SMS{which} needs {measure.segments} segments{why} but max_segments is "
        f"{channel.max_segments}; shorten the template or the headline, or raise "
        "max_segments",
        line=at.config.line_of("channels", at.name, "max_segments")
        or at.config.line_of("channels", at.name),
        field="max_segments",
        file=at.config.path,
        channel=at.name,
    )


def left_out_warning(channel: SmsSettings, at: Measuring) -> list[Problem]:
    """A warning when the SMS left out to fit what must never go silently (the apology,
    the compensation): how many segments keeping them takes, and the operator's ways to
    keep them.

    The preview, the send's confirmation and its summary show the plan's warnings.
    """
    from broadcast.content.fitting import NEVER_SILENTLY

    fitted = at.fitted
    important = [piece for piece in fitted.dropped if piece in NEVER_SILENTLY]
    if not important:
        return []
    whole = gsm_typography(
        without_greeting(fitted.whole),
        smart=channel.smart_encoding,
        transliterate=channel.transliterate,
    )
    measure = sms_measure(whole.text)
    why = (
        f" (UCS-2 because of {', '.join(measure.non_gsm[:5])})"
        if measure.encoding == "UCS-2"
        else ""
    )
    ways = [f"raise max_segments to {measure.segments}"]
    if measure.encoding == "UCS-2" and not channel.transliterate:
        folded = sms_measure(
            gsm_typography(without_greeting(fitted.whole), transliterate=True).text
        ).segments
        if folded <= channel.max_segments:
            ways.insert(0, f"set transliterate: true (ê → e: {folded} segments)")
    them = "them" if len(important) > 1 else "it"
    ways.append(f"shorten {them}")
    which = f" ({at.label})" if at.label else ""
    config, name = at.config, at.name
    return [
        Problem(
            f"the SMS{which} leaves out {' and '.join(important)} to fit max_segments "
            f"{channel.max_segments}: with {them} it takes {measure.segments} segments{why}. "
            f"To keep {them}: {', or '.join(ways)}; the other channels carry {them}",
            config.path,
            config.line_of("channels", name, "max_segments") or config.line_of("channels", name),
            "max_segments",
            name,
            severity="warning",
        )
    ]


def greeting_measures(channel: SmsSettings, text: str, readers: Counter[str]) -> dict[str, Any]:
    """How the personalised SMS varies: fewest and most segments, how many are greeted by
    name, and the message parts it takes to reach them all."""
    plain = without_greeting(text)
    segments: dict[str, int] = {}
    greeted = parts = 0
    for first_name, count in readers.items():
        personal = sms_for(
            text, first_name, channel.max_segments, channel.smart_encoding, channel.transliterate
        )
        segments[first_name] = sms_measure(personal).segments
        parts += count * segments[first_name]
        if personal != plain:
            greeted += count
    return {
        "personalised": True,
        "segments_min": min(segments.values(), default=0),
        "segments_max": max(segments.values(), default=0),
        "greeted": greeted,
        "readers": sum(readers.values()),
        "recipient_parts": parts,
    }
