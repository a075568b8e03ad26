"""The recipients CSV, streamed: phone numbers in E.164 and checked email addresses.

Columns are ``name``, ``phone``, ``email``, ``locale`` (any case, any order, comma or semicolon
separated, as spreadsheets export them). A row whose contact is invalid is reported by line and
skipped; it never stops the others.
"""

from __future__ import annotations

import csv
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from broadcast.problems import InputError, Problem

Kind = Literal["phone", "email"]
COLUMNS = ("name", "phone", "email", "locale")


@dataclass(frozen=True)
class Recipient:
    line: int
    address: str  # E.164 phone number or normalised email address
    name: str = ""
    locale: str | None = None


@dataclass
class RecipientCount:
    """What a pass over the file found, for previews and summaries."""

    valid: int = 0
    invalid: int = 0
    duplicates: int = 0
    without_address: int = 0
    problems: list[Problem] = field(default_factory=list)
    # Distinct valid recipients per language asked for in the CSV ("" when the row says none).
    languages: Counter[str] = field(default_factory=Counter)
    # The same by locale as written (en_GB, fr_CA...), for dates and times in readers' ways.
    locales: Counter[str] = field(default_factory=Counter)


def read_recipients(
    path: Path,
    kind: Kind,
    default_region: str | None = None,
    channel: str | None = None,
    problems: list[Problem] | None = None,
) -> Iterator[Recipient]:
    """Yield each row's valid, normalised contact in file order; report the rest into ``problems``.

    Duplicates are not removed here (that needs memory or a ledger); ``count_recipients`` does.
    """
    normalise = _phone_normaliser(default_region) if kind == "phone" else _email_normaliser()
    with _open_csv(path, channel) as (reader, header_line):
        columns = _columns(reader, path, kind, channel, header_line)
        rows = iter(reader)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except (UnicodeDecodeError, csv.Error) as exc:
                reason = (
                    "is not UTF-8 text; export it as 'CSV UTF-8'"
                    if isinstance(exc, UnicodeDecodeError)
                    else f"cannot be read as CSV ({exc})"
                )
                raise InputError(
                    [
                        Problem(
                            f"line {reader.line_num + 1} {reason}",
                            path,
                            reader.line_num + 1,
                            channel=channel,
                        )
                    ]
                ) from None
            line = reader.line_num
            raw = _cell(row, columns.get(kind))
            if not raw:
                continue
            address, reason = normalise(raw)
            if address is None:
                if problems is not None:
                    problems.append(
                        Problem(
                            f"'{raw}' {reason}; this recipient is skipped",
                            path,
                            line,
                            kind,
                            channel,
                            "warning",
                        )
                    )
                continue
            yield Recipient(
                line=line,
                address=address,
                name=_cell(row, columns.get("name")),
                locale=_cell(row, columns.get("locale")) or None,
            )


def language_of(locale: str | None) -> str:
    """``en-GB``, ``en_GB``, ``EN`` → ``en``; nothing → ``""``."""
    return (locale or "").replace("-", "_").split("_")[0].strip().lower()


def count_recipients(
    path: Path, kind: Kind, default_region: str | None = None, channel: str | None = None
) -> RecipientCount:
    """Count distinct valid recipients, with a problem per invalid row."""
    count = RecipientCount()
    with SeenSet() as seen:
        for recipient in read_recipients(path, kind, default_region, channel, count.problems):
            if seen.add(recipient.address):
                count.valid += 1
                count.languages[language_of(recipient.locale)] += 1
                if recipient.locale:
                    count.locales[recipient.locale.replace("-", "_")] += 1
            else:
                count.duplicates += 1
    count.invalid = len(count.problems)
    return count


class _open_csv:
    def __init__(self, path: Path, channel: str | None) -> None:
        self.path = path
        self.channel = channel

    def __enter__(self) -> tuple[csv.DictReader[str], int]:
        try:
            self.handle = self.path.open(encoding="utf-8-sig", newline="")
            first = self.handle.readline()
        except FileNotFoundError:
            raise InputError(
                [Problem("recipients file not found", self.path, channel=self.channel)]
            ) from None
        except UnicodeDecodeError:
            raise InputError(
                [
                    Problem(
                        "recipients file is not UTF-8 text; export it as 'CSV UTF-8'",
                        self.path,
                        channel=self.channel,
                    )
                ]
            ) from None
        delimiter = ";" if first.count(";") > first.count(",") else ","
        self.handle.seek(0)
        return csv.DictReader(self.handle, delimiter=delimiter), 1

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


def _columns(
    reader: csv.DictReader[str], path: Path, kind: Kind, channel: str | None, line: int
) -> dict[str, str]:
    header = reader.fieldnames or []
    columns = {name.strip().lower(): name for name in header if name}
    if kind not in columns:
        found = ", ".join(header) if header else "nothing"
        raise InputError(
            [
                Problem(
                    f"the recipients file has no '{kind}' column (its first line has {found}); "
                    f"the columns are {', '.join(COLUMNS)}",
                    path,
                    line,
                    kind,
                    channel,
                )
            ]
        )
    return columns


def _cell(row: dict[str, str], column: str | None) -> str:
    value = row.get(column) if column else None
    return value.strip() if isinstance(value, str) else ""


def _phone_normaliser(default_region: str | None):  # type: ignore[no-untyped-def]
    import phonenumbers

    def normalise(raw: str) -> tuple[str | None, str]:
        if not raw.startswith(("+", "00")) and default_region is None:
            return None, (
                "is a national number; write it as +33... or give the channel a default_region "
                "(e.g. default_region: FR)"
            )
        try:
            number = phonenumbers.parse(raw, default_region)
        except phonenumbers.NumberParseException:
            return None, "is not a phone number"
        if not phonenumbers.is_valid_number(number):
            return None, "is not a valid phone number"
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), ""

    return normalise


def _email_normaliser():  # type: ignore[no-untyped-def]
    from email_validator import EmailNotValidError, validate_email

    def normalise(raw: str) -> tuple[str | None, str]:
        try:
            checked = validate_email(raw, check_deliverability=False)
        except EmailNotValidError as exc:
            return None, f"is not a valid email address ({exc})"
        return checked.normalized.lower(), ""

    return normalise


class SeenSet:
    """Addresses already queued in this send, kept on disk so memory stays flat."""

    def __init__(self) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="broadcast-seen-")
        self.db = sqlite3.connect(Path(self.folder.name) / "seen.db", check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE seen (address TEXT PRIMARY KEY) WITHOUT ROWID")
        self.pending = 0

    def add(self, address: str) -> bool:
        """True the first time ``address`` is added, False after."""
        cursor = self.db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (address,))
        self.pending += 1
        if self.pending >= 10_000:
            self.db.commit()
            self.pending = 0
        return cursor.rowcount == 1

    def __enter__(self) -> SeenSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()
        self.folder.cleanup()
