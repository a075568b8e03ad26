"""The post-incident report's summary: the sentences at its top (how long it took, what was
promised and kept, fallbacks, a correction, who was reached), in the report's language.

Beside ``tables`` (the report's tables and the words both share), read by the terminal, the
Markdown and the HTML report alike.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from broadcast.report.evaluation import KEPT, LATE, OVERDUE, PENDING_PROMISE
from broadcast.report.replies import replies_sentence
from broadcast.report.tables import end_of, format_duration, local_time, say, start_day


def report_summary(data: dict[str, Any], language: str = "en") -> list[str]:
    """The findings in a few sentences, before the tables."""
    day = start_day(data)
    lines = [_span_sentence(data, language)]
    if data.get("exercise"):
        lines.insert(
            0,
            say(
                "This was an EXERCISE (a drill), not a real incident: it evaluates the drill, "
                "sent only to the exercise recipients, kept apart from the real incident.",
                language,
            ),
        )
    first = data["speed"]["first_message"]
    if first is None:
        lines.append(say("Nothing has been sent for this incident yet.", language))
        return lines
    lines.append(
        say(
            "First message {after} after the start ({channel}, {at}).",
            language,
            after=format_duration(first["after_seconds"], language),
            channel=first["channel"],
            at=local_time(first["first_sent_at"], day),
        )
    )
    lines += _promise_findings(data, language)
    lines += _fallback_findings(data["delivery"]["all_versions"], language)
    if data.get("correction"):
        lines.append(_correction_sentence(data["correction"], day, language))
    lines += _people_findings(data["versions"], language)
    lines += replies_sentence(data, language, format_duration)
    lines += _accepted_wording_findings(data["versions"], language)
    reminders = data["reminders"]
    lines.append(
        say(
            "{count} reminder(s) out of {versions} message(s) ({share:.0%}).",
            language,
            count=reminders["count"],
            versions=reminders["versions"],
            share=reminders["share"],
        )
    )
    return lines


def _span_sentence(data: dict[str, Any], language: str) -> str:
    """When the incident started and, once it ended, how, when and after how long (and when
    the end was announced, if not at the same minute)."""
    day = start_day(data)
    zone = data["timezone"]
    ended, status = end_of(data)
    if not ended:
        return say(
            "Started {start} ({zone}).", language, start=local_time(data["started_at"]), zone=zone
        )
    sentence = say(
        "Started {start} ({zone}); resolved {end}, after {duration}."
        if status == "resolved"
        else "Started {start} ({zone}); cancelled {end} (a correction), after {duration}.",
        language,
        start=local_time(data["started_at"]),
        zone=zone,
        end=local_time(ended, day),
        duration=format_duration(data["duration_seconds"], language),
    )
    published = data.get("end_published_at")
    if published and local_time(published, day) != local_time(ended, day):
        sentence += " " + say(
            "The end was announced at {published}.",
            language,
            published=local_time(published, day),
        )
    return sentence


def _promise_findings(data: dict[str, Any], language: str) -> list[str]:
    """How the promised updates went, in a sentence; none if nothing was promised."""
    promises = data["promises_summary"]
    if not promises["made"]:
        return []
    parts = [say("{n} kept", language, n=promises[KEPT])]
    if promises[LATE]:
        worst = format_duration(promises["worst_late_seconds"], language)
        parts.append(say("{n} late (worst by {worst})", language, n=promises[LATE], worst=worst))
    if promises[OVERDUE]:
        overdue = format_duration(data["promises"][-1]["late_by_seconds"], language)
        parts.append(say("the last overdue by {overdue}", language, overdue=overdue))
    if promises[PENDING_PROMISE]:
        parts.append(say("{n} pending", language, n=promises[PENDING_PROMISE]))
    return [
        say(
            "{made} promised update(s): {parts}.",
            language,
            made=promises["made"],
            parts=", ".join(parts),
        )
    ]


def _fallback_findings(every: dict[str, dict[str, Any]], language: str) -> list[str]:
    """How many were reached through a fallback channel, and how many failures were never
    sent because an earlier failure suppressed the recipient: a sentence each, when any."""
    lines = []
    through = {c: n["fallback"] for c, n in every.items() if n.get("fallback")}
    if through:
        per = ", ".join(
            say("{n} by {channel}", language, n=n, channel=c) for c, n in through.items()
        )
        lines.append(
            say(
                "{n} reached through a fallback channel ({per}).",
                language,
                n=sum(through.values()),
                per=per,
            )
        )
    suppressed = sum(n.get("suppressed", 0) for n in every.values())
    if suppressed:
        lines.append(
            say(
                "{n} of the failures not sent at all: the recipient was suppressed by an "
                "earlier failure (invalid or not a mobile).",
                language,
                n=suppressed,
            )
        )
    return lines


def _correction_sentence(correction: dict[str, Any], day: date, language: str) -> str:
    """How soon a correction reached people after the wrong message, first and last."""
    to_first = format_duration(correction["to_first_seconds"], language)
    to_last = format_duration(correction["to_last_seconds"], language)
    reached = correction["reached"]
    wrong_at = local_time(correction["wrong_message_at"], day)
    last_at = local_time(correction["correction_last_at"], day)
    if language == "fr":
        return (
            f"Rectificatif (n°{correction['version']}) : il a commencé à atteindre les "
            f"destinataires {to_first} après le message erroné ; le dernier de ses "
            f"{reached} envois est parti {to_last} après lui ({wrong_at} à {last_at})."
        )
    return (
        f"Correction (#{correction['version']}): it began reaching people "
        f"{to_first} after the wrong message; the last of its {reached} "
        f"deliver{'y' if reached == 1 else 'ies'} went out {to_last} after "
        f"it ({wrong_at} to {last_at})."
    )


def _accepted_wording_findings(versions: list[dict[str, Any]], language: str) -> list[str]:
    """Each version that went out despite wording errors: which checks, who, and why (the
    reason recorded with --accept-wording)."""
    return [
        say(
            '#{number} went out despite wording errors ({checks}), accepted by {who}: "{reason}".',
            language,
            number=v["number"],
            checks=", ".join(dict.fromkeys(f.get("check") or "?" for f in accepted["findings"])),
            who=accepted["accepted_by"],
            reason=accepted["reason"],
        )
        for v in versions
        for accepted in v.get("wording_accepted", ())
    ]


def _people_findings(versions: list[dict[str, Any]], language: str) -> list[str]:
    """Who sent and who approved each version, in one sentence; none if no one is known."""
    people = [
        say("#{number} sent by {who}", language, number=v["number"], who=v["sent_by"])
        + (say(" (signed)", language) if v.get("sender_signed") else "")
        + (
            say(", approved by {who}", language, who=v["approved_by"])
            + (say(" (signed)", language) if v.get("approval_signed") else "")
            if v.get("approved_by")
            else ""
        )
        for v in versions
        if v.get("sent_by")
    ]
    if not people:
        return []
    return [(" ; " if language == "fr" else "; ").join(people) + "."]
