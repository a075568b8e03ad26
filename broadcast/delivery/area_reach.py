"""Who an incident's area reaches on each personal channel, before anything is sent: the
counts a preview states ("in the area: 12,403 of 98,112 recipients (1,907 without a place,
excluded)"), the unique recipients of all personal channels together (``plan_area``), and
the area's shapes checked against the organisation's ``territory:`` (``territory_problems``).

Unique recipients are rows of the recipients files, one bit per line per file: two channels
reading the same CSV (SMS and email) count its people once, and a million rows cost 125 kB
per verdict, not a set of addresses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcast.input.area_target import (
    AreaTarget,
    Place,
    Verdict,
    parse_circle,
    parse_points,
    postcode_key,
    said,
)
from broadcast.input.config import Config
from broadcast.input.error_words import language_of, say
from broadcast.input.incident import Incident
from broadcast.input.recipients import RecipientCount, SeenSet, read_recipients
from broadcast.input.recipients import language_of as asked_language
from broadcast.input.yamlfile import YamlDocument
from broadcast.problems import InputError, Problem

if TYPE_CHECKING:  # a preview loads no ledger
    from broadcast.ledger.sqlite import Ledger

VERDICTS: tuple[Verdict, ...] = ("in", "out", "unlocated")


class LineBits:
    """A set of line numbers as a bitmap that grows as needed."""

    def __init__(self) -> None:
        self.bits = bytearray()

    def add(self, line: int) -> None:
        byte = line >> 3
        if byte >= len(self.bits):
            self.bits.extend(bytes(max(byte + 1 - len(self.bits), len(self.bits))))
        self.bits[byte] |= 1 << (line & 7)

    def union(self, other: LineBits) -> None:
        if len(other.bits) > len(self.bits):
            self.bits.extend(bytes(len(other.bits) - len(self.bits)))
        for index, byte in enumerate(other.bits):
            if byte:
                self.bits[index] |= byte

    def __len__(self) -> int:
        return sum(byte.bit_count() for byte in self.bits)


@dataclass
class AreaCount:
    """One channel's recipients sorted by the area, distinct addresses counted once."""

    include_unlocated: bool
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VERDICTS, 0))
    complete: bool = True  # False: only the first rows were read (a send's head)
    file: Path | None = None
    lines: dict[str, LineBits] = field(default_factory=lambda: {v: LineBits() for v in VERDICTS})
    # The located recipients' points, for the preview's map (a bounded sample).
    points: list[tuple[float, float, bool]] = field(default_factory=list)
    # By verdict, the languages they asked for (``recipients.language_of`` of their locale).
    languages: dict[str, Counter[str]] = field(
        default_factory=lambda: {v: Counter() for v in VERDICTS}
    )

    @property
    def sent(self) -> int:
        """How many this channel would send to."""
        return self.counts["in"] + (self.counts["unlocated"] if self.include_unlocated else 0)

    @property
    def sent_languages(self) -> Counter[str]:
        """The languages of those this channel would send to: a preview's count per language
        is of those the area targets, not of the whole list."""
        taken = Counter(self.languages["in"])
        if self.include_unlocated:
            taken.update(self.languages["unlocated"])
        return taken

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_json(self) -> dict[str, Any]:
        return {
            **self.counts,
            "unlocated_included": self.include_unlocated,
            "complete": self.complete,
        }

    def sentence(self) -> str:
        """What the preview says of this channel."""
        return area_sentence(
            self.counts["in"], self.total, self.counts["unlocated"], self.include_unlocated
        )


def area_sentence(inside: int, total: int, unlocated: int, include: bool) -> str:
    return (
        f"in the area: {inside:,} of {total:,} recipients ({unlocated:,} without a place, "
        f"{'included' if include else 'excluded'})"
    )


def subscriber_verdicts(target: AreaTarget, postcodes: Sequence[str | None]) -> list[Verdict]:
    """Where the area places subscribers, known only by the postcode they signed up with
    (none given: unlocated). The one rule by which a preview counts them
    (``subscribers.count_subscribers``) and a send picks them (``subscriber_in_area``), so
    the count said before a send is the number it sends to."""
    return target.classify([Place(postcode=postcode_key(code) or None) for code in postcodes])


def subscriber_in_area(target: AreaTarget) -> Callable[[str | None], bool]:
    """Whether the area takes a subscriber by their postcode (in, or unlocated where the
    channel includes the unlocated): ``subscriber_verdicts`` for one, as a send asks."""

    def takes(postcode: str | None) -> bool:
        return target.takes(subscriber_verdicts(target, [postcode])[0])

    return takes


# The map draws at most this many recipients' points (a sample spread over the file).
MAP_POINTS = 4000


def area_target_for(incident: Incident | None, channel: Any) -> AreaTarget | None:
    """The area a personal channel sends within, with the channel's ``unlocated`` winning;
    None without an area (everyone is in, as before areas existed)."""
    if incident is None or incident.area is None:
        return None
    area = incident.area
    if not (area.polygons or area.circles or area.postcodes or area.geocodes):
        return None  # an area in words only (a description): it places nobody
    return AreaTarget.of(area, getattr(channel, "unlocated", None))


def count_area(
    channel: Any,
    name: str,
    config: Config,
    target: AreaTarget,
    kind: Any,
    first_rows: int | None,
) -> AreaCount | None:
    """Sort the channel's list by the area; None when the list cannot be read (the
    recipients count already says why). A coordinate that is not one is an ``InputError``."""
    path = config.resolve_path(channel.recipients)
    region = getattr(channel, "default_region", None)
    if first_rows is None:
        cached = _sorted_before(path, kind, region, name, target)
        if cached is not None:
            return cached
    count = AreaCount(target.include_unlocated, file=path.resolve())
    progress = RecipientCount()
    until = None if first_rows is None else first_rows + 1
    stride = 1
    with SeenSet() as seen:
        rows = read_recipients(
            path, kind, getattr(channel, "default_region", None), name, [], progress, until
        )
        distinct = (r for r in rows if seen.add(r.address))
        for recipient, verdict in target.sort(distinct, lambda r: r.place):
            count.counts[verdict] += 1
            count.lines[verdict].add(recipient.line)
            count.languages[verdict][asked_language(recipient.locale)] += 1
            place = recipient.place
            if place.lat is not None and place.lon is not None:
                if len(count.points) >= MAP_POINTS:
                    # Keep every other point and take half as many from now on.
                    count.points = count.points[::2]
                    stride *= 2
                if recipient.line % stride == 0:
                    count.points.append((place.lat, place.lon, verdict == "in"))
    count.complete = progress.complete
    if first_rows is None:
        _remember_sorting(path, kind, region, name, target, count)
    return count


# A whole list sorted by an area is kept, as recipient_count keeps its counts: by the hash of
# the bytes sorted and of the area, so a second preview of an unchanged list and area reads
# a few hundred kilobytes instead of checking every contact again (9 s per 100,000 rows).
# 2: postcodes compared by postcode_key; 3: the languages by verdict.
AREA_CACHE_FORMAT = 3


def _area_cache_file(
    path: Path, kind: str, region: str | None, channel: str, target: AreaTarget
) -> Path:
    import hashlib
    import os

    from broadcast import __version__

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    shape = repr(
        (
            target.polygons,
            target.circles,
            sorted(target.postcodes),
            sorted(target.communes),
            target.include_unlocated,
        )
    )
    key = f"{AREA_CACHE_FORMAT}\0{__version__}\0{path.resolve()}\0{kind}\0{region}\0{channel}"
    name = hashlib.sha256(f"{key}\0{shape}".encode()).hexdigest()[:32]
    return Path(base) / "broadcast" / "areas" / f"{name}.json"


def _file_hash(path: Path) -> str:
    import hashlib

    from broadcast.input.files import open_regular

    digest = hashlib.sha256()
    with open_regular(path, "recipients file") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _sorted_before(
    path: Path, kind: str, region: str | None, channel: str, target: AreaTarget
) -> AreaCount | None:
    import base64
    import json
    import zlib

    try:
        file = _area_cache_file(path, kind, region, channel, target)
        saved = json.loads(file.read_text("utf-8"))
        if saved["content"] != _file_hash(path):
            return None
        count = AreaCount(target.include_unlocated, file=path.resolve())
        count.counts = {v: int(saved["counts"][v]) for v in VERDICTS}
        for verdict in VERDICTS:
            count.lines[verdict].bits = bytearray(
                zlib.decompress(base64.b64decode(saved["lines"][verdict]))
            )
        count.points = [(float(a), float(b), bool(c)) for a, b, c in saved["points"]]
        count.languages = {v: Counter(saved["languages"][v]) for v in VERDICTS}
        return count
    except (OSError, ValueError, KeyError, TypeError, zlib.error):
        return None  # none yet, unreadable or of another shape: sort again


def _remember_sorting(
    path: Path, kind: str, region: str | None, channel: str, target: AreaTarget, count: AreaCount
) -> None:
    import base64
    import json
    import os
    import zlib

    try:
        file = _area_cache_file(path, kind, region, channel, target)
        data = {
            "content": _file_hash(path),
            "counts": count.counts,
            # Line numbers only: no contact, no name, no place beyond the map's sample.
            "lines": {
                v: base64.b64encode(zlib.compress(bytes(count.lines[v].bits))).decode()
                for v in VERDICTS
            },
            "points": count.points,
            "languages": {v: dict(count.languages[v]) for v in VERDICTS},
        }
        file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = file.with_suffix(f".{os.getpid()}.tmp")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(partial, file)
    except (OSError, InputError):
        pass  # a cache that cannot be written costs the next preview a pass, nothing else


def plan_area(channels: list[Any], incident: Incident | None = None) -> dict[str, Any] | None:
    """The top-level ``area``: unique recipients of the personal channels, by verdict, and
    the area drawn over their density (``map_svg``, content.area_map)."""
    areas = [c.area for c in channels if getattr(c, "area", None) is not None]
    # The subscribers the preview read (delivery.subscribers), each kind once: an SMS and a
    # call channel naming them reach the same people.
    subscribed: dict[str, dict[str, int]] = {}
    for channel in channels:
        count = getattr(channel, "subscriber_count", None)
        if count is not None and count.verdicts:
            # Those already a row of a list are counted there (once per person).
            subscribed.setdefault(count.kind, count.unlisted or count.verdicts)
    if not areas and not subscribed:
        return None
    target = area_target_for(incident, None)
    drawn = ""
    if areas and target is not None and target.has_shapes:
        from broadcast.content.area_map import area_svg

        # One list's points (the largest): two channels reading one CSV hold the same.
        points = max((a.points for a in areas), key=len)
        drawn = area_svg(target.polygons, target.circles, points)
    merged: dict[tuple[Path | None, Verdict], LineBits] = {}
    for area in areas:
        for verdict in VERDICTS:
            bits = merged.setdefault((area.file, verdict), LineBits())
            bits.union(area.lines[verdict])
    totals: dict[str, int] = dict.fromkeys(VERDICTS, 0)
    for (_file, verdict), bits in merged.items():
        totals[verdict] += len(bits)
    for verdicts in subscribed.values():
        for verdict in VERDICTS:
            totals[verdict] += verdicts.get(verdict, 0)
    return {
        **totals,
        "complete": all(a.complete for a in areas),
        **({"map_svg": drawn} if drawn else {}),
    }


def territory_problems(incident: Incident, doc: YamlDocument, config: Config) -> list[Problem]:
    """The area's polygons and circles that lie outside the organisation's territory, each
    with the first point outside it (a polygon typed lon,lat lands in another country)."""
    area = incident.area
    if area is None:
        return []
    problems: list[Problem] = []
    language = language_of(incident.locale)  # the incident's language, as its other errors
    territory = config.territory.territory() if config.territory is not None else None
    if territory is None:
        return problems
    for index, polygon in enumerate(area.polygons):
        outside = territory.outside(parse_points(polygon))
        if outside is not None:
            problems.append(
                Problem(
                    say(
                        language, "polygon_outside_territory", number=index + 1, point=said(outside)
                    ),
                    doc.path,
                    doc.line_of(("area", "polygons", index)),
                    "area.polygons",
                )
            )
    for index, circle in enumerate(area.circles):
        lat, lon, _radius = parse_circle(circle)
        if territory.outside([(lat, lon)]) is not None:
            problems.append(
                Problem(
                    say(
                        language,
                        "circle_outside_territory",
                        number=index + 1,
                        point=said((lat, lon)),
                    ),
                    doc.path,
                    doc.line_of(("area", "circles", index)),
                    "area.circles",
                )
            )
    return problems


def reached_with_same_texts(
    ledger: Ledger, incident_id: str, version_id: int, channel: str
) -> frozenset[str]:
    """The addresses an earlier version reached on ``channel`` when this version's texts
    on it are the previous version's, word for word (only the area changed): they have
    what it says, and only those newly in get it. Empty when the texts changed (a new
    text goes to everyone in the area now)."""
    before = _previous_texts(ledger, incident_id, version_id, channel)
    if before is None or before != ledger.recorded_texts(version_id).get(channel):
        return frozenset()
    return _earlier_addresses(ledger, incident_id, version_id, channel)


def told_they_left(
    ledger: Ledger, incident: Incident, version_id: int, channel: str
) -> frozenset[str]:
    """Those an earlier version reached on ``channel`` who also get this one when they are
    now outside the area: when the incident says they are out of danger (``left_area``,
    which the shipped templates carry) and the previous version did not say it already (a
    later update that still says it goes to those in the area only)."""
    said = incident.area.left_area if incident.area is not None else None
    if not said:
        return frozenset()
    before = _previous_texts(ledger, incident.id, version_id, channel) or {}
    wanted = _plain(said)
    if any(wanted in _plain(text) for parts in before.values() for text in parts.values()):
        return frozenset()
    return _earlier_addresses(ledger, incident.id, version_id, channel)


def _previous_texts(
    ledger: Ledger, incident_id: str, version_id: int, channel: str
) -> dict[str, dict[str, str]] | None:
    earlier = [v for v in ledger.versions(incident_id) if v.id < version_id]
    if not earlier:
        return None
    return ledger.recorded_texts(earlier[-1].id).get(channel)


def _earlier_addresses(
    ledger: Ledger, incident_id: str, version_id: int, channel: str
) -> frozenset[str]:
    contacts, _lost = ledger.earlier_recipients(incident_id, channel, version_id)
    return frozenset(contact.address for contact in contacts)


# Typography changes spaces and quotes (French: narrow no-break spaces, curly apostrophes):
# a sentence is found in a rendered text once both lose them.
_PLAIN = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00ab": '"', "\u00bb": '"'})


def _plain(text: str) -> str:
    return "".join(text.translate(_PLAIN).split()).casefold()


def area_map(incident: Incident, config: Config) -> str:
    """The area over the density of the first personal channel's list (its points only, read
    without checking contacts, a sample of at most ``MAP_POINTS``), for the report; an empty
    string when the area has no shape."""
    import csv

    from broadcast.content.area_map import area_svg
    from broadcast.input.files import open_regular

    target = area_target_for(incident, None)
    if target is None or not target.has_shapes:
        return ""
    points: list[tuple[float, float, bool]] = []
    listed = [getattr(c, "recipients", None) for c in config.channels.values()]
    first_list = next((path for path in listed if path), None)
    if first_list is not None:
        try:
            with open_regular(config.resolve_path(first_list), "recipients file") as raw:
                import io

                text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                first = text.readline()
                text.seek(0)
                reader = csv.DictReader(text, delimiter=";" if first.count(";") > 1 else ",")
                columns = {(n or "").strip().lower(): n for n in reader.fieldnames or []}
                lat_col, lon_col = columns.get("lat"), columns.get("lon")
                stride = 1
                found: list[tuple[float, float]] = []
                for number, row in enumerate(reader if lat_col and lon_col else ()):
                    if number % stride:
                        continue
                    try:
                        found.append((float(row[lat_col]), float(row[lon_col])))
                    except (TypeError, ValueError):
                        continue
                    if len(found) >= MAP_POINTS:
                        found, stride = found[::2], stride * 2
            places = [Place(lat=lat, lon=lon) for lat, lon in found]
            verdicts = target.classify(places)
            points = [
                (lat, lon, verdict == "in")
                for (lat, lon), verdict in zip(found, verdicts, strict=True)
            ]
        except (OSError, InputError, UnicodeDecodeError, csv.Error):
            points = []  # the map then draws the area alone
    return area_svg(target.polygons, target.circles, points)
