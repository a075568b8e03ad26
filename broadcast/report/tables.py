"""The report's words, the same for every format: the findings and titled tables of text.

``report_markdown``, ``report_html`` and ``broadcast.terminal.report`` lay these out, so the three
always say the same thing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from broadcast.report.evaluation import KEPT, LATE, NO_PROMISE, OVERDUE

if TYPE_CHECKING:
    pass

# -- the same words for every format -----------------------------------------------------------


@dataclass(frozen=True)
class ReportTable:
    """One table of the report as plain text cells; each format lays it out its own way.

    ``tones`` gives each row a meaning a format may colour: ``good``, ``bad``, ``strong``.
    """

    key: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    numeric: frozenset[int] = frozenset()
    tones: list[str | None] = field(default_factory=list)
    empty: str = "Nothing was sent."


# The report speaks the incident's language: French, else English. Keys are the English words.
FRENCH = {
    "Nothing was sent.": "Rien n'a été envoyé.",
    "Started {start} ({zone}).": "Début {start} ({zone}).",
    "Started {start} ({zone}); resolved {end}, after {duration}.": (
        "Début {start} ({zone}) ; résolu {end}, au bout de {duration}."
    ),
    "Started {start} ({zone}); cancelled {end} (a correction), after {duration}.": (
        "Début {start} ({zone}) ; annulé {end} (un rectificatif), au bout de {duration}."
    ),
    "The end was announced at {published}.": "La fin a été annoncée à {published}.",
    "{end}, after {duration}": "{end}, au bout de {duration}",
    " (announced at {published})": " (annoncé à {published})",
    "Resolved": "Résolu",
    "Cancelled": "Annulé",
    "Ended": "Fin",
    "not yet": "pas encore",
    "EXERCISE": "EXERCICE",
    "none (cancelled)": "aucune (annulé)",
    "This was an EXERCISE (a drill), not a real incident: it evaluates the drill, sent only to "
    "the exercise recipients, kept apart from the real incident.": (
        "Ceci était un EXERCICE, pas un incident réel : ce rapport évalue l'exercice, envoyé "
        "aux seuls destinataires d'exercice, à part de l'incident réel."
    ),
    "Nothing has been sent for this incident yet.": "Rien n'a encore été envoyé pour cet incident.",
    "First message {after} after the start ({channel}, {at}).": (
        "Premier message {after} après le début ({channel}, {at})."
    ),
    "{n} kept": "{n} tenue(s)",
    "{n} late (worst by {worst})": "{n} en retard (au pire de {worst})",
    "the last overdue by {overdue}": "la dernière dépassée de {overdue}",
    "{n} pending": "{n} en attente",
    "{made} promised update(s): {parts}.": "{made} mise(s) à jour promise(s) : {parts}.",
    "{n} reached through a fallback channel ({per}).": (
        "{n} atteint(s) par un canal de secours ({per})."
    ),
    "{n} by {channel}": "{n} par {channel}",
    "{n} of the failures not sent at all: the recipient was suppressed by an earlier failure "
    "(invalid or not a mobile).": (
        "{n} des échecs jamais envoyés : le destinataire était écarté après un échec précédent "
        "(numéro invalide ou non mobile)."
    ),
    "#{number} sent by {who}": "n°{number} envoyé par {who}",
    ", approved by {who}": ", approuvé par {who}",
    " (signed)": " (signé)",
    '#{number} went out despite wording errors ({checks}), accepted by {who}: "{reason}".': (
        "n°{number} est parti malgré des erreurs de rédaction ({checks}), acceptées par {who} : "
        "« {reason} »."
    ),
    "{count} reminder(s) out of {versions} message(s) ({share:.0%}).": (
        "{count} rappel(s) sur {versions} message(s) ({share:.0%})."
    ),
    "first message ({channel})": "premier message ({channel})",
    "never sent": "jamais envoyé",
    "Time to first message": "Délai du premier message",
    "channel": "canal",
    "first sent": "premier envoi",
    "after the start": "après le début",
    "version": "version",
    "Updates": "Mises à jour",
    # The moment a version's texts speak for (under an approval, the approval's); "went out"
    # is when it was handed to providers.
    "texts as of": "textes à",
    "kind": "type",
    "status": "état",
    "went out": "parti",
    "sent": "envoyés",
    "failed": "échecs",
    "next update promised": "prochaine mise à jour promise",
    "Promised updates": "Mises à jour promises",
    "made": "faite",
    "promised for": "promise pour",
    "next message": "message suivant",
    "outcome": "résultat",
    "#{number} at {at}": "n°{number} à {at}",
    "failed by reason": "échecs par motif",
    "uncertain": "incertains",
    "pending": "en attente",
    "superseded": "remplacés",
    "Reached (delivery receipts), last version (#{last})": (
        "Reçus (accusés de réception), dernière version (n°{last})"
    ),
    "Reached": "Reçus",
    "delivered": "remis",
    "reached": "atteints",
    "undelivered": "non remis",
    "waiting": "en attente",
    "No delivery receipts yet.": "Pas encore d'accusé de réception.",
    "Delivery per channel, all versions": "Envois par canal, toutes versions",
    "Delivery per channel, last version (#{last})": "Envois par canal, dernière version (n°{last})",
    "Delivery, last version": "Envois, dernière version",
    "kept": "tenue",
    "late": "en retard",
    "overdue": "dépassée",
    "{outcome} by {duration}": "{outcome} de {duration}",
    "none (resolved)": "aucune (résolu)",
    "none": "aucune",
    "not sent, opted out earlier: {n}": "non envoyés, désinscrits auparavant : {n}",
    "update": "mise à jour",
    "reminder": "rappel",
    "correction": "rectificatif",
    "investigating": "en cours",
    "identified": "cause identifiée",
    "monitoring": "réparation effectuée",
    "resolved": "résolu",
    "cancelled": "annulé",
    "minor": "mineure",
    "major": "importante",
    "critical": "grave",
    "Post-incident report: ": "Bilan de l'incident : ",
    "report of {at} ({zone})": "bilan du {at} ({zone})",
    "The promised update is OVERDUE by {overdue}.": (
        "La mise à jour promise est EN RETARD de {overdue}."
    ),
    "{title}: {empty}": "{title} : {empty}",
    # The chart's tooltips.
    "Promise of #{version} (made {made}): next update by {by}: {outcome}": (
        "Promesse du n°{version} (faite à {made}) : prochaine mise à jour avant {by} : {outcome}"
    ),
    " (#{number} went out at {at})": " (n°{number} parti à {at})",
    "{channel}: #{number} {kind} ({status}) at {at}: {sent} sent": (
        "{channel} : n°{number} {kind} ({status}) à {at} : {sent} envoyé(s)"
    ),
    ", {n} failed ({reasons})": ", {n} échec(s) ({reasons})",
    ", {n} uncertain": ", {n} incertain(s)",
    ", {n} pending": ", {n} en attente",
}


def say(text: str, language: str = "en", **values: Any) -> str:
    """``text`` in ``language`` (French, else English), with ``values`` put in."""
    words = FRENCH.get(text, text) if language == "fr" else text
    if language != "fr":  # English plurals: "(s)" only after a count other than one
        words = words.replace("update(s)", "updates" if values.get("made", 1) != 1 else "update")
        words = words.replace(
            "reminder(s)", "reminders" if values.get("count", 1) != 1 else "reminder"
        )
        words = words.replace(
            "message(s)", "messages" if values.get("versions", 1) != 1 else "message"
        )
    return words.format(**values) if values else words


def end_of(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """When the incident ended, as its messages said, and how (``resolved``, ``cancelled``);
    ``(None, None)`` while it goes on. A report made before ends were kept has only
    ``resolved_at``."""
    if data.get("ended_status"):
        return data.get("ended_at"), data["ended_status"]
    if data.get("resolved_at"):
        return data["resolved_at"], "resolved"
    return None, None


def end_fact(data: dict[str, Any], language: str = "en") -> tuple[str, str]:
    """The heading fact on the end: ``("Résolu", "13:20, au bout de 5 h 10 min (annoncé à
    13:50)")``, ``("Annulé", ...)``, or ``("Fin", "pas encore")``."""
    ended, status = end_of(data)
    if not ended:
        return say("Ended", language), say("not yet", language)
    day = start_day(data)
    value = say(
        "{end}, after {duration}",
        language,
        end=local_time(ended, day),
        duration=format_duration(data.get("duration_seconds"), language),
    )
    published = data.get("end_published_at")
    if published and local_time(published, day) != local_time(ended, day):
        value += say(" (announced at {published})", language, published=local_time(published, day))
    return say("Cancelled" if status == "cancelled" else "Resolved", language), value


def report_heading(data: dict[str, Any], language: str = "en") -> str:
    """``Bilan de l'incident : `` before the title; a drill's says so first, as every text of
    an exercise does (``EXERCICE`` and a dash)."""
    heading = say("Post-incident report: ", language)
    if data.get("exercise"):
        heading = f"{say('EXERCISE', language)} \u2013 {heading}"
    return heading


def report_language(data: dict[str, Any]) -> str:
    """The language of the report: the incident's (``fr_FR`` → ``fr``)."""
    return "fr" if str(data.get("locale") or "").lower().startswith("fr") else "en"


def format_duration(seconds: float | None, language: str = "en") -> str:
    """``1 h 05 min``, ``25 min``, ``45 s``, ``2 d 3 h``; ``—`` when there is none."""
    if seconds is None:
        return "—"
    sign = "-" if seconds < 0 else ""
    whole = int(abs(seconds))
    if whole < 60:
        return f"{sign}{whole} s"
    days, rest = divmod(whole // 60, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        d = "j" if language == "fr" else "d"
        return f"{sign}{days} {d} {hours} h" if hours else f"{sign}{days} {d}"
    if hours:
        return f"{sign}{hours} h {minutes:02d} min" if minutes else f"{sign}{hours} h"
    return f"{sign}{minutes} min"


def local_time(text: str | None, day: date | None = None) -> str:
    """``09:41`` on ``day`` (the day the incident started), the date too on any other day."""
    if not text:
        return "—"
    moment = datetime.fromisoformat(text)
    return f"{moment:%H:%M}" if moment.date() == day else f"{moment:%Y-%m-%d %H:%M}"


def promise_outcome(promise: dict[str, Any], language: str = "en") -> str:
    """``kept``, ``late by 25 min``, ``pending``, ``overdue by 30 min``, ``none (resolved)``."""
    outcome = promise["outcome"]
    if outcome in (LATE, OVERDUE):
        duration = format_duration(promise["late_by_seconds"], language)
        return say(
            "{outcome} by {duration}", language, outcome=say(outcome, language), duration=duration
        )
    if outcome == NO_PROMISE:
        # Over: it promises nothing, said with the way it ended (resolved, or cancelled).
        status = promise.get("status", "resolved")
        if promise["promised_at"] is None and status in ("resolved", "cancelled"):
            return say(f"none ({status})", language)
        return say("none", language)
    return say(str(outcome), language)


def failure_reasons(counts: dict[str, Any], language: str = "en") -> str:
    reasons = [f"{code}: {n}" for code, n in counts["failed_by_reason"].items()]
    if counts.get("opted_out"):
        reasons.append(say("not sent, opted out earlier: {n}", language, n=counts["opted_out"]))
    return ", ".join(reasons) or "—"


def report_tables(data: dict[str, Any], language: str = "en") -> list[ReportTable]:
    """Speed, updates, promises, and delivery over all versions and for the last one."""
    last = data["delivery"]["last_version_number"]
    reach = _reach_table(data, language)
    return [
        _speed_table(data, language),
        _updates_table(data, language),
        _promises_table(data, language),
        # Only where a channel gives receipts (SMS): other channels say no more than "sent".
        *([reach] if reach.rows else []),
        _delivery_table(
            "delivery_all",
            say("Delivery per channel, all versions", language),
            data["delivery"]["all_versions"],
            language,
        ),
        _delivery_table(
            "delivery_last",
            say("Delivery per channel, last version (#{last})", language, last=last)
            if last
            else say("Delivery, last version", language),
            data["delivery"]["last_version"],
            language,
        ),
    ]


def _columns(language: str, *names: str) -> tuple[str, ...]:
    """Column headings in the report's language ("#" and the percentiles read the same)."""
    return tuple(
        say(name, language) if name not in ("#", "50 %", "90 %") else name for name in names
    )


def _speed_table(data: dict[str, Any], language: str) -> ReportTable:
    """When the first message went out, overall (in bold) then per channel."""
    day = start_day(data)
    rows: list[tuple[str, ...]] = []
    tones: list[str | None] = []
    first = data["speed"]["first_message"]
    if first is not None:
        rows.append(
            (
                say("first message ({channel})", language, channel=first["channel"]),
                local_time(first["first_sent_at"], day),
                format_duration(first["after_seconds"], language),
                f"#{first['version']}",
            )
        )
        tones.append("strong")
    for channel, doc in data["speed"]["channels"].items():
        rows.append(
            (
                channel,
                local_time(doc["first_sent_at"], day),
                format_duration(doc["after_seconds"], language),
                f"#{doc['version']}" if doc["version"] else say("never sent", language),
            )
        )
        tones.append(None if doc["version"] else "bad")
    return ReportTable(
        "speed",
        say("Time to first message", language),
        _columns(language, "channel", "first sent", "after the start", "version"),
        rows,
        frozenset({2}),
        tones,
        empty=say("Nothing was sent.", language),
    )


def _updates_table(data: dict[str, Any], language: str) -> ReportTable:
    """Every version: as of when, what kind and status, when it went out, what it sent."""
    day = start_day(data)
    return ReportTable(
        "updates",
        say("Updates", language),
        _columns(
            language,
            "#",
            "texts as of",
            "kind",
            "status",
            "went out",
            "sent",
            "failed",
            "next update promised",
        ),
        [
            (
                str(v["number"]),
                local_time(v["created_at"], day),
                say(v["kind"], language),
                say(v["status"], language),
                local_time(v["went_out_at"], day),
                str(sum(d["sent"] for d in v["delivery"].values())),
                str(sum(d["failed"] for d in v["delivery"].values())),
                local_time(v["next_update_at"], day),
            )
            for v in data["versions"]
        ],
        frozenset({0, 5, 6}),
        empty=say("Nothing was sent.", language),
    )


def _promises_table(data: dict[str, Any], language: str) -> ReportTable:
    """Every promised update: made when, for when, which message answered it, the outcome."""
    day = start_day(data)
    promise_tones = {KEPT: "good", LATE: "bad", OVERDUE: "bad"}
    return ReportTable(
        "promises",
        say("Promised updates", language),
        _columns(language, "#", "made", "promised for", "next message", "outcome"),
        [
            (
                str(p["version"]),
                local_time(p["made_at"], day),
                local_time(p["promised_at"], day),
                say(
                    "#{number} at {at}",
                    language,
                    number=p["answered_by"],
                    at=local_time(p["answered_at"], day),
                )
                if p["answered_by"]
                else "—",
                promise_outcome(p, language),
            )
            for p in data["promises"]
        ],
        frozenset({0}),
        [promise_tones.get(p["outcome"]) for p in data["promises"]],
        empty=say("Nothing was sent.", language),
    )


def _delivery_table(
    key: str, title: str, per_channel: dict[str, dict[str, Any]], language: str
) -> ReportTable:
    """What became of the messages per channel: sent, failed and why, still unsettled."""
    return ReportTable(
        key,
        title,
        _columns(
            language,
            "channel",
            "sent",
            "failed",
            "failed by reason",
            "uncertain",
            "pending",
            "superseded",
        ),
        [
            (
                channel,
                str(counts["sent"]),
                str(counts["failed"]),
                failure_reasons(counts, language),
                str(counts["uncertain"]),
                str(counts["pending"]),
                str(counts.get("superseded", 0)),
            )
            for channel, counts in per_channel.items()
        ],
        frozenset({1, 2, 4, 5, 6}),
        [
            "bad" if counts["failed"] or counts["uncertain"] else None
            for counts in per_channel.values()
        ],
        empty=say("Nothing was sent.", language),
    )


def _reach_table(data: dict[str, Any], language: str) -> ReportTable:
    """Per channel with delivery receipts, the last version: how many were reached, how soon."""
    last = data["delivery"]["last_version_number"]
    reach = data.get("reach", {})
    return ReportTable(
        "reach",
        say("Reached (delivery receipts), last version (#{last})", language, last=last)
        if last
        else say("Reached", language),
        _columns(
            language,
            "channel",
            "sent",
            "delivered",
            "reached",
            "undelivered",
            "waiting",
            "50 %",
            "90 %",
        ),
        [
            (
                channel,
                str(r["sent"]),
                str(r["delivered"]),
                f"{r['reached_percent']:g} %",
                str(r["undelivered"]),
                str(r["waiting"]),
                format_duration(r["to_50_percent_seconds"], language),
                format_duration(r["to_90_percent_seconds"], language),
            )
            for channel, r in reach.items()
        ],
        frozenset({1, 2, 3, 4, 5, 6, 7}),
        ["bad" if r["undelivered"] else None for r in reach.values()],
        empty=say("No delivery receipts yet.", language),
    )


def start_day(data: dict[str, Any]) -> date:
    return datetime.fromisoformat(data["started_at"]).date()


def html_lang(locale: str) -> str:
    """``fr_CA`` → ``fr-CA``: the BCP 47 tag HTML's ``lang`` wants."""
    return locale.replace("_", "-")
