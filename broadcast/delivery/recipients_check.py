"""A channel's recipients list, checked before sending: how many it reaches, the rows it
cannot use (and whether they are so many that the list must be the wrong one), and the names
its greetings would use.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Literal

from broadcast.content.greeting import greeting_name
from broadcast.delivery.plan import MAX_ROW_PROBLEMS, ChannelPlan
from broadcast.input.config import Config
from broadcast.input.recipient_count import count_recipients
from broadcast.input.recipients import RecipientCount, SeenSet, language_of, read_recipients
from broadcast.problems import InputError, Problem

# A channel that would skip more than this share of the rows that give it a contact is not
# ready (an error): real lists carry a few stale rows, never a majority; a majority means the
# wrong file, column or default_region, and "sent" would hide that most were never warned.
MOST_UNUSABLE = 0.5
# How a skipped row says it is a national number written without the channel's region.
NATIONAL_MARK = "is a national number"


def count_channel_recipients(
    channel: Any, name: str, config: Config, result: ChannelPlan, first_rows: int | None
) -> None:
    kind: Literal["phone", "email"] = type(channel).CONTACT or "email"
    recipients_file = config.resolve_path(channel.recipients)
    try:
        count = count_recipients(
            recipients_file, kind, getattr(channel, "default_region", None), name, first_rows
        )
    except InputError as exc:
        result.problems.extend(exc.problems)
        return
    result.recipients = count
    result.problems.extend(count.problems[:MAX_ROW_PROBLEMS])
    if count.invalid > MAX_ROW_PROBLEMS and count.complete:
        result.problems.append(
            Problem(
                f"and {count.invalid - MAX_ROW_PROBLEMS} more rows with an invalid "
                f"{kind} (run validate to fix them)",
                recipients_file,
                channel=name,
                severity="warning",
            )
        )
    unready = _mostly_unusable(channel, name, config, count, kind, recipients_file)
    if unready is not None:
        result.problems.append(unready)
    elif count.valid == 0 and count.complete:
        result.problems.append(
            Problem(
                f"no valid recipient with a {kind} in the recipients file",
                recipients_file,
                channel=name,
            )
        )


def _mostly_unusable(
    channel: Any, name: str, config: Config, count: RecipientCount, kind: str, file: Path
) -> Problem | None:
    """An error when the channel would skip more than ``MOST_UNUSABLE`` of the rows that give
    it a contact: such a list is not a few typos but the wrong file, column or region, and a
    send would leave most of its people unwarned while saying it went out. A send that reads
    only the first rows judges on them (the rest follow the same export)."""
    rows = count.valid + count.duplicates + count.invalid
    if not rows or count.invalid <= rows * MOST_UNUSABLE:
        return None
    national = sum(1 for p in count.problems if NATIONAL_MARK in p.message)
    among = "" if count.complete else f" of the first {count.last_line - 1} rows"
    said = f"{count.invalid} of the {rows} {kind}s{among} in {file.name} cannot be used"
    if (
        kind == "phone"
        and national * 2 > count.invalid
        and not getattr(channel, "default_region", None)
    ):
        return Problem(
            f"{said}: {national} are national numbers (no +country code) and the channel has "
            "no default_region, so this channel is not ready. Give it the country those "
            "numbers belong to, e.g. default_region: FR, or write them as +33...",
            config.path,
            config.line_of("channels", name),
            "default_region",
            name,
        )
    return Problem(
        f"{said} (see the rows listed), so this channel is not ready: "
        f"check that recipients names the right file, that its {kind} column holds the "
        f"{kind}s"
        + (", and the channel's default_region" if kind == "phone" else "")
        + "; or fix the rows",
        config.path,
        config.line_of("channels", name, "recipients") or config.line_of("channels", name),
        "recipients",
        name,
    )


def greeting_names(
    channel: Any, name: str, config: Config, first_rows: int, problems: list[Problem]
) -> tuple[Counter[tuple[str, str]], bool]:
    """(language asked for, name a greeting uses) → recipients in the first ``first_rows``
    rows, to count each one's SMS; and whether that was the whole file.

    Read apart from ``count_recipients``, whose counts are kept on disk: names are not. A
    number listed twice is sent one text, with the first row's name, as the dispatcher does.
    """
    names: Counter[tuple[str, str]] = Counter()
    progress = RecipientCount()
    try:
        with SeenSet() as seen:
            for recipient in read_recipients(
                config.resolve_path(channel.recipients),
                "phone",
                channel.default_region,
                name,
                [],
                progress,
                first_rows + 1,  # the header is line 1
                problems,  # a name with a hidden or control character, refused
            ):
                if seen.add(recipient.address):
                    names[language_of(recipient.locale), greeting_name(recipient.name)] += 1
    except InputError:
        pass  # the count already said what is wrong with the file
    return names, progress.complete


def readers_of(
    names: Counter[tuple[str, str]], language: str, first: bool, languages: list[str]
) -> Counter[str]:
    """The names of those who get ``language``'s text: those who ask for it, and for the
    first language also those who ask for none or for one the incident does not have."""
    readers: Counter[str] = Counter()
    for (asked, first_name), count in names.items():
        if asked == language or (first and asked not in languages):
            readers[first_name] += count
    return readers
