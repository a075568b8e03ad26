"""The recipients CSV, streamed: phone numbers in E.164 and checked email addresses.

Columns are ``name``, ``phone``, ``email``, ``locale`` and, for targeting by area, ``postcode``,
``commune`` (INSEE code), ``lat`` and ``lon`` (WGS 84 degrees), any case, any order, comma or
semicolon separated, as spreadsheets export them. A row whose contact is invalid is reported
by line and skipped; it never stops the others. A coordinate that is not one stops the read
(a wrong point would send to the wrong people).

Whatever the file holds is never quoted whole in a problem: a path pointing at the wrong file
(a ``.env``) must not print its secrets, and a contact is personal data, so reports show it
masked (``contact_masks``). Names lose their control characters here, before any
of them can reach a message header.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

from broadcast.input.area_target import NOWHERE, Place
from broadcast.input.characters import hidden_characters
from broadcast.input.contact_masks import mask_address
from broadcast.input.files import open_regular
from broadcast.problems import InputError, Problem

Kind = Literal["phone", "email"]
COLUMNS = ("name", "phone", "email", "locale")
# Where a recipient is, all optional (input.area_target).
PLACE_COLUMNS = ("postcode", "commune", "lat", "lon")
# What a column name looks like: up to four words of letters, nothing else.
_WORD = {"lat": "latitude", "lon": "longitude"}
# What may be quoted of a bad coordinate (never anything else a wrong file may hold).
_COORDINATE = re.compile(r"[-+0-9.,eE ]*")
_COLUMN_NAME = re.compile(r"[^\W\d_]{1,20}(?:[ _-][^\W\d_]{1,20}){0,3}")


# A column marking the people who go first when the list cannot all be reached before the
# next promised update (see delivery.reach), and the values that mark a row.
PRIORITY_COLUMN = "priority"
PRIORITY_MARKS = frozenset({"1", "yes", "true"})


def is_priority(value: str | None) -> bool:
    return (value or "").strip().lower() in PRIORITY_MARKS


class Recipient(NamedTuple):
    line: int
    address: str  # E.164 phone number or normalised email address
    name: str = ""
    locale: str | None = None
    place: Place = NOWHERE


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
    # False when only the first rows were read (``first_rows``): the counts are theirs, and
    # ``estimated_valid`` projects them over the whole file.
    complete: bool = True
    last_line: int = 0  # the last line read
    estimated_valid: int | None = None

    def add(self, recipient: Recipient, first: bool) -> None:
        """Count a valid row: ``first`` unless its address came earlier in the file."""
        if not first:
            self.duplicates += 1
            return
        self.valid += 1
        self.languages[language_of(recipient.locale)] += 1
        if recipient.locale:
            self.locales[recipient.locale.replace("-", "_")] += 1

    @property
    def expected(self) -> int:
        """How many valid recipients the whole file holds: counted, or projected."""
        if self.complete or self.estimated_valid is None:
            return self.valid
        return self.estimated_valid


def read_recipients(
    path: Path,
    kind: Kind,
    default_region: str | None = None,
    channel: str | None = None,
    problems: list[Problem] | None = None,
    progress: RecipientCount | None = None,
    until_line: int | None = None,
    name_problems: list[Problem] | None = None,
    priority: bool | None = None,
    maybe: Callable[[str], bool] | None = None,
) -> Iterator[Recipient]:
    """Yield each row's valid, normalised contact in file order; report the rest into ``problems``.

    Duplicates are not removed here (that needs memory or a ledger); ``recipient_count`` does.
    ``progress`` follows the last line read; with ``until_line``, reading stops after that
    line, and ``progress.complete`` says whether the file ended there. With ``name_problems``
    (the names go into the text: ``personalise``), a name holding a control or hidden format
    character (``input.characters``) is an error there, with its line; it is never quoted.
    With ``priority`` True (False), only the rows the ``priority`` column marks (does not).
    With ``maybe``, only the rows whose contact as written it lets through are normalised
    (a cheap test first: normalising a phone number is most of a row's cost).
    """
    normalise = _phone_normaliser(default_region) if kind == "phone" else _email_normaliser()
    with _open_csv(path, channel) as (reader, header_line):
        columns = _columns(reader, path, kind, channel, header_line)
        placed = any(c in columns for c in PLACE_COLUMNS)
        for row in _rows_until(reader, path, channel, until_line, progress):
            line = reader.line_num
            if progress is not None:
                progress.last_line = line
            if priority is not None and is_priority(_cell(row, columns.get(PRIORITY_COLUMN))) != (
                priority
            ):
                continue
            raw = _cell(row, columns.get(kind))
            if not raw or (maybe is not None and not maybe(raw)):
                continue
            address, reason = normalise(raw)
            if address is None:
                if problems is not None:
                    problems.append(_skipped_address(raw, reason, kind, path, line, channel))
                continue
            place = NOWHERE
            if placed:
                try:
                    place = _place(row, columns, path, line, channel)
                except InputError as exc:
                    if problems is None:
                        raise
                    # Like a bad contact: reported with its line (an error, so a plan that
                    # meets it sends nothing), and the row skipped where a send streams on.
                    problems.extend(exc.problems)
                    continue
            name = _cell(row, columns.get("name"))
            if name_problems is not None and not name.isprintable():
                hidden = hidden_characters(name, multiline=False)
                if hidden:
                    name_problems.append(_hidden_in_name(hidden, path, line, channel))
            yield Recipient(
                line=line,
                address=address,
                name=clean_name(name),
                locale=_cell(row, columns.get("locale")) or None,
                place=place,
            )


def _place(
    row: dict[str, str], columns: dict[str, str], path: Path, line: int, channel: str | None
) -> Place:
    """The row's place; a coordinate that is not one stops the read with its line and column:
    a list whose points are wrong would send to the wrong people, so nothing is sent."""
    coordinates: list[float | None] = []
    for column, limit in (("lat", 90.0), ("lon", 180.0)):
        raw = _cell(row, columns.get(column))
        if not raw:
            coordinates.append(None)
            continue
        try:
            # 50,63: a decimal comma, as French spreadsheets write it.
            value = float(raw.replace(",", "."))
        except ValueError:
            value = math.nan
        if not -limit <= value <= limit:  # also NaN, inf
            # Quoted only when it looks like a number: a wrong file's cell may be a secret.
            shown = f" ('{raw[:20]}')" if _COORDINATE.fullmatch(raw[:20]) else ""
            raise InputError(
                [
                    Problem(
                        f"the {column} on line {line}{shown} is not a {_WORD[column]} in "
                        f"degrees between -{limit:g} and {limit:g} (WGS 84, e.g. 50.6292); "
                        "fix the row or empty the cell",
                        path,
                        line,
                        column,
                        channel,
                    )
                ]
            )
        coordinates.append(value)
    lat, lon = coordinates
    if (lat is None) != (lon is None):
        missing = "lon" if lon is None else "lat"
        raise InputError(
            [
                Problem(
                    f"line {line} gives a {'lat' if missing == 'lon' else 'lon'} without a "
                    f"{missing}: a point needs both (or neither)",
                    path,
                    line,
                    missing,
                    channel,
                )
            ]
        )
    return Place(
        _cell(row, columns.get("postcode")) or None,
        _cell(row, columns.get("commune")) or None,
        lat,
        lon,
    )


def _rows_until(
    reader: csv.DictReader[str],
    path: Path,
    channel: str | None,
    until_line: int | None,
    progress: RecipientCount | None,
) -> Iterator[dict[str, str]]:
    """The CSV's rows up to ``until_line``; a file that cannot be read stops with its line."""
    rows = iter(reader)
    while True:
        try:
            if until_line is not None and reader.line_num >= until_line:
                # Peek one row so the caller knows whether the file ended at this line.
                more = next(rows, None) is not None
                if progress is not None:
                    progress.complete = not more
                return
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
        yield row


def _skipped_address(
    raw: str, reason: str | None, kind: Kind, path: Path, line: int, channel: str | None
) -> Problem:
    """The warning for a contact that is not an address; the contact is masked, never quoted."""
    masked = mask_address(raw)
    said = f"'{masked}'" if masked != "…" else f"the {kind} on this line"
    return Problem(
        f"{said} {reason}; this recipient is skipped", path, line, kind, channel, "warning"
    )


def _hidden_in_name(hidden: list[str], path: Path, line: int, channel: str | None) -> Problem:
    """The error for a name that would carry hidden characters into a personalised message."""
    return Problem(
        f"the name on this line holds {', '.join(hidden[:4])}: a control or "
        "hidden format character would be written into this recipient's "
        "message (a bidirectional override makes a name read backwards); "
        "remove it from the file",
        path,
        line,
        "name",
        channel,
    )


def language_of(locale: str | None) -> str:
    """``en-GB``, ``en_GB``, ``EN`` → ``en``; nothing → ``""``."""
    return (locale or "").replace("-", "_").split("_")[0].strip().lower()


def check_encoding(path: Path, channel: str | None = None) -> int:
    """The file's number of lines, once every byte of it is known to be UTF-8.

    Read in binary at the disk's speed (ASCII needs no decoding), so a file exported in
    another encoding is refused before the first message, with the line of its first bad byte.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    last = b""
    try:
        with open_regular(path, "recipients file", channel) as handle:
            while chunk := handle.read(1 << 20):
                if not chunk.isascii() or decoder.getstate()[0]:
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError as exc:
                        line = lines + chunk.count(b"\n", 0, max(exc.start, 0)) + 1
                        raise InputError(
                            [
                                Problem(
                                    f"line {line} is not UTF-8 text; export it as 'CSV UTF-8'",
                                    path,
                                    line,
                                    channel=channel,
                                )
                            ]
                        ) from None
                lines += chunk.count(b"\n")
                last = chunk[-1:]
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise InputError(
            [
                Problem(
                    "the last line is not UTF-8 text; export it as 'CSV UTF-8'",
                    path,
                    lines + 1,
                    channel=channel,
                )
            ]
        ) from None
    except FileNotFoundError:
        raise InputError([Problem("recipients file not found", path, channel=channel)]) from None
    return lines + (1 if lines == 0 or last != b"\n" else 0)


class _open_csv:
    def __init__(self, path: Path, channel: str | None) -> None:
        self.path = path
        self.channel = channel

    def __enter__(self) -> tuple[csv.DictReader[str], int]:
        # A regular file only: /dev/zero would be read for ever, a pipe waited on.
        binary = open_regular(self.path, "recipients file", self.channel)
        self.handle = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        try:
            first = self.handle.readline()
        except UnicodeDecodeError:
            self.handle.close()
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
        # The first line of the wrong file (a .env, a key) may be a secret: only what looks
        # like a column name (a few words of letters) is repeated, never a value.
        shown = [name.strip() for name in header if _COLUMN_NAME.fullmatch(name.strip())]
        hidden = len(header) - len(shown)
        found = ", ".join(shown) if shown else "no column name"
        if hidden:
            found += f" ({hidden} more field{'s' * (hidden != 1)} not shown)"
        raise InputError(
            [
                Problem(
                    f"the recipients file has no '{kind}' column (its first line has {found}); "
                    f"a recipients file starts with a line naming its columns: "
                    f"{', '.join(COLUMNS)}",
                    path,
                    line,
                    kind,
                    channel,
                )
            ]
        )
    return columns


# Format characters a text may keep: joiners that some scripts (Persian, Indic) and emoji
# sequences need, and the left-to-right / right-to-left marks.
_NEEDED_FORMAT = frozenset("\u200c\u200d\u200e\u200f")


def _unsafe(character: str) -> bool:
    category = unicodedata.category(character)
    return category in ("Cc", "Zl", "Zp") or (category == "Cf" and character not in _NEEDED_FORMAT)


def unsafe_characters(text: str) -> list[str]:
    """The control, format and line-separator characters in ``text``, as ``U+000B`` names.

    A vertical tab, a form feed, U+001C or U+2028 is a line break to some mail software: in a
    header, it could start a header of its own. Bidirectional overrides (U+202E) make a text
    read differently from what it is.
    """
    return sorted({f"U+{ord(c):04X}" for c in text if _unsafe(c)})


def clean_name(name: str) -> str:
    """``name`` with every unsafe character (see ``unsafe_characters``) turned into a space."""
    if name.isprintable():  # no control, format or separator character: the common case
        return " ".join(name.split())
    return " ".join("".join(" " if _unsafe(c) else c for c in name).split())


# A raw phone number or address → its usual form, or None and why it is refused.
_Normaliser = Callable[[str], tuple[str | None, str]]


def _cell(row: dict[str, str], column: str | None) -> str:
    value = row.get(column) if column else None
    return value.strip() if isinstance(value, str) else ""


def _phone_normaliser(default_region: str | None) -> _Normaliser:
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


def _email_normaliser() -> _Normaliser:
    from email_validator import EmailNotValidError, validate_email

    def normalise(raw: str) -> tuple[str | None, str]:
        try:
            checked = validate_email(raw, check_deliverability=False)
        except EmailNotValidError as exc:
            # Its reasons quote characters ("invalid characters: '_'"), not the address;
            # should one ever quote a part, that part is masked too.
            said = str(exc)
            for part in sorted({raw, *raw.split("@")}, key=len, reverse=True):
                if len(part) > 2:
                    said = said.replace(part, mask_address(part))
            return None, f"is not a valid email address ({said})"
        return checked.normalized.lower(), ""

    return normalise


class SeenSet:
    """Addresses already queued in this send, kept on disk so memory stays flat.

    An SQLite temporary database (the empty file name): SQLite creates its file only when the
    set outgrows its cache, unlinks it as soon as it is open, and the system frees it when the
    process ends, however it ends. A kill -9 leaves no file of plain addresses behind.
    """

    def __init__(self) -> None:
        import sqlite3  # a send's, not a preview's (which counts an unchanged list from cache)

        self.db = sqlite3.connect("", check_same_thread=False)
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


# A drill list longer than this is no drill list: its first addresses are compared, enough to
# tell a copy of a real list, with memory bounded whatever the file holds.
DRILL_LIST_LIMIT = 100_000


def shared_addresses(
    drill: Path,
    real: Path,
    kind: Kind,
    default_region: str | None = None,
    channel: str | None = None,
) -> tuple[int, int]:
    """How many distinct addresses of the ``drill`` list the ``real`` list also holds, and how
    many distinct addresses the drill list holds (its first ``DRILL_LIST_LIMIT``).

    Memory holds the drill list's addresses only; the real list is streamed, and a row is
    normalised (the slow part) only when its raw cell could match one (the same last digits,
    the same local part), so a real list of a million rows is one quick pass."""
    ours: set[str] = set()
    for recipient in read_recipients(drill, kind, default_region, channel):
        ours.add(recipient.address)
        if len(ours) >= DRILL_LIST_LIMIT:
            break
    if not ours:
        return 0, 0

    def key(text: str) -> str:
        if kind == "phone":
            return "".join(c for c in text if c.isdigit())[-6:]
        return text.rsplit("@", 1)[0].strip().lower()

    keys = {key(address) for address in ours}
    normalise = _phone_normaliser(default_region) if kind == "phone" else _email_normaliser()
    shared: set[str] = set()
    with _open_csv(real, channel) as (reader, header_line):
        columns = _columns(reader, real, kind, channel, header_line)
        try:
            for row in reader:
                raw = _cell(row, columns.get(kind))
                if raw and key(raw) in keys:
                    address = normalise(raw)[0]
                    if address in ours:
                        shared.add(address)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InputError(
                [Problem(f"cannot be read ({exc})", real, reader.line_num + 1, channel=channel)]
            ) from None
    return len(shared), len(ours)
