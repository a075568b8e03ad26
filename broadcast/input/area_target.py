"""Who an incident's area reaches: a recipient's place (``Place``: postcode, INSEE code, a
point) against the area's polygons, circles, INSEE codes and postcodes (``AreaTarget``), and
the checks an area's shapes must pass before anything is sent (``shape_problems``,
``territory_problems``).

The rule (issue 28's interface): a recipient with a point is *in* when the point lies in a
polygon or circle, or when their listed code matches, else *out*. One without a point is in
when their postcode or INSEE code is listed, out when the area lists codes of that kind and
theirs is not, and *unlocated* otherwise; ``unlocated: include|exclude`` decides those
(``exclude`` unless told). A point on a polygon's edge is in: an alert errs towards warning.

Shapely (a GEOS binding, ~100 ms to import) is imported only when an area has polygons: a
preview or a send without shapes never pays for it. Polygons are tested with a prepared
geometry over chunks of points at once (``shapely.intersects_xy``); circles with the
haversine distance on a sphere of the Earth's mean radius, never in degrees (a degree of
longitude is 71 km at Lille, 111 km at the equator).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, TypeVar

from broadcast.input.error_words import say

Verdict = Literal["in", "out", "unlocated"]
# IUGG mean radius, in kilometres.
EARTH_RADIUS_KM = 6371.0088
_POINT = re.compile(r"\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*")
# How many places are tested together: the first chunk is one (the first message leaves at
# once), each next one four times larger, up to this (numpy's per-call cost is then nothing).
MAX_CHUNK = 8192

T = TypeVar("T")


class Place(NamedTuple):
    """Where a recipient is, as the CSV says it (any part may be missing)."""

    postcode: str | None = None
    commune: str | None = None  # INSEE code
    lat: float | None = None
    lon: float | None = None

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None


NOWHERE = Place()


def postcode_key(code: str | None) -> str:
    """A postcode as the area compares it: upper case, without spaces ("59 000" and
    " 59000" are 59000, "sw1a 1aa" is SW1A1AA): the CSV's, a subscriber's and the area's
    own list written any of these ways still meet. Empty for none."""
    return "".join((code or "").split()).upper()


def parse_points(text: str) -> list[tuple[float, float]]:
    """``"lat,lon lat,lon ..."`` → [(lat, lon), ...]; ValueError on anything else."""
    points = []
    for pair in text.split():
        match = _POINT.fullmatch(pair)
        if match is None:
            raise ValueError(f"'{pair[:40]}' is not a lat,lon pair")
        points.append((float(match.group(1)), float(match.group(2))))
    return points


def parse_circle(text: str) -> tuple[float, float, float]:
    """``"lat,lon radius_km"`` → (lat, lon, radius_km)."""
    centre, radius = text.split()
    ((lat, lon),) = parse_points(centre)
    return lat, lon, float(radius)


def said(point: tuple[float, float]) -> str:
    """A point as the incident writes it: ``lat,lon``."""
    return f"{point[0]:g},{point[1]:g}"


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two WGS 84 points, in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def geocode_values(geocodes: dict[str, Any], name: str) -> list[str]:
    """The codes the area lists under ``name`` (a value may be one code or a list)."""
    values: list[str] = []
    for key, value in geocodes.items():
        if key.upper() == name:
            values.extend([value] if isinstance(value, str) else list(value))
    return values


@dataclass
class AreaTarget:
    """An incident's area, ready to sort recipients into in, out and unlocated."""

    polygons: list[list[tuple[float, float]]] = field(default_factory=list)
    circles: list[tuple[float, float, float]] = field(default_factory=list)
    postcodes: frozenset[str] = frozenset()
    communes: frozenset[str] = frozenset()
    include_unlocated: bool = False
    _geometry: Any = field(default=None, repr=False)

    @classmethod
    def of(cls, area: Any, unlocated: str | None = None) -> AreaTarget:
        """The area of an incident (``cap_area.Area``, which imports this module);
        ``unlocated`` is the channel's setting, which wins over
        the area's own."""
        choice = unlocated or area.unlocated or "exclude"
        return cls(
            polygons=[parse_points(p) for p in area.polygons],
            circles=[parse_circle(c) for c in area.circles],
            postcodes=frozenset(filter(None, map(postcode_key, area.postcodes))),
            communes=frozenset(c.strip() for c in geocode_values(area.geocodes, "INSEE")),
            include_unlocated=choice == "include",
        )

    @property
    def has_shapes(self) -> bool:
        return bool(self.polygons or self.circles)

    def takes(self, verdict: Verdict) -> bool:
        """Whether a recipient so placed is sent to."""
        return verdict == "in" or (verdict == "unlocated" and self.include_unlocated)

    def _polygon_geometry(self) -> Any:
        if self._geometry is None:
            import shapely

            shapes = [shapely.Polygon([(lon, lat) for lat, lon in ring]) for ring in self.polygons]
            geometry = shapely.union_all(shapes) if len(shapes) > 1 else shapes[0]
            shapely.prepare(geometry)
            self._geometry = geometry
        return self._geometry

    def _by_code(self, place: Place) -> Verdict | None:
        if place.postcode and postcode_key(place.postcode) in self.postcodes:
            return "in"
        if place.commune and place.commune in self.communes:
            return "in"
        return None

    def _without_point(self, place: Place) -> Verdict:
        listed = self._by_code(place)
        if listed is not None:
            return listed
        if (postcode_key(place.postcode) and self.postcodes) or (place.commune and self.communes):
            return "out"
        return "unlocated"

    def classify(self, places: Sequence[Place]) -> list[Verdict]:
        """Each place's verdict; the points of a chunk are tested against the polygons in
        one vectorised call."""
        verdicts: list[Verdict | None] = [None] * len(places)
        located: list[int] = []
        for index, place in enumerate(places):
            if place.lat is None or place.lon is None:
                verdicts[index] = self._without_point(place)
            elif self._by_code(place) is not None:
                verdicts[index] = "in"
            else:
                located.append(index)
        if located:
            inside = [False] * len(located)
            if self.polygons:
                import numpy

                lons = numpy.fromiter((places[i].lon for i in located), float, len(located))
                lats = numpy.fromiter((places[i].lat for i in located), float, len(located))
                import shapely

                inside = shapely.intersects_xy(self._polygon_geometry(), lons, lats).tolist()
            for k, index in enumerate(located):
                if not inside[k] and self.circles:
                    lat, lon = places[index].lat, places[index].lon
                    assert lat is not None and lon is not None
                    inside[k] = any(
                        haversine_km(lat, lon, c_lat, c_lon) <= radius
                        for c_lat, c_lon, radius in self.circles
                    )
                verdicts[index] = "in" if inside[k] else "out"
        return [v or "unlocated" for v in verdicts]

    def sort(
        self, items: Iterable[T], place_of: Any, on_verdict: Any = None
    ) -> Iterator[tuple[T, Verdict]]:
        """Each item with its verdict, in order, tested in growing chunks: the first item
        is judged alone, so a send's first message waits for nothing else."""
        chunk: list[T] = []
        size = 1
        for item in items:
            chunk.append(item)
            if len(chunk) >= size:
                yield from zip(chunk, self.classify([place_of(i) for i in chunk]), strict=True)
                chunk, size = [], min(size * 4, MAX_CHUNK)
        if chunk:
            yield from zip(chunk, self.classify([place_of(i) for i in chunk]), strict=True)


def shape_problem(polygon: str, number: int) -> str | None:
    """Why the polygon ``number`` (from 1) cannot be an area, with its coordinates: open,
    too few points, or crossing itself, in English (channels.yaml's territory). None when it
    is a polygon."""
    refusal = shape_refusal(polygon, number)
    return None if refusal is None else say("en", refusal[0], **refusal[1])


def shape_refusal(polygon: str, number: int) -> tuple[str, dict[str, Any]] | None:
    """``shape_problem`` as a key of ``error_words.WORDS`` and its values, for an incident's
    area to say it in the file's language."""
    points = parse_points(polygon)
    if len(points) >= 2 and points[0] != points[-1]:
        return "polygon_open", {
            "number": number,
            "first": said(points[0]),
            "last": said(points[-1]),
        }
    if len(points) < 4:
        return "polygon_few_points", {"number": number, "count": len(points)}
    import shapely

    ring = shapely.Polygon([(lon, lat) for lat, lon in points])
    if shapely.is_valid(ring):
        return None
    reason = shapely.is_valid_reason(ring)
    where = re.search(r"\[(-?[\d.e+-]+) (-?[\d.e+-]+)\]", reason)
    point = f"{float(where.group(2)):.6g},{float(where.group(1)):.6g}" if where else ""
    if "elf-intersection" in reason:
        if point:
            return "polygon_crosses_at", {"number": number, "point": point}
        return "polygon_crosses", {"number": number}
    # Shapely's own words (English, as YAML's are quoted in ``not_valid_yaml``).
    at = f" at {point}" if point else ""
    return "polygon_invalid", {"number": number, "reason": f"{reason.split('[')[0].strip()}{at}"}


class Territory(NamedTuple):
    """The organisation's territory: a polygon, or a bounding box of two corners."""

    points: list[tuple[float, float]]
    box: bool

    def outside(self, points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
        """The first of ``points`` outside the territory, if any."""
        if self.box:
            (lat1, lon1), (lat2, lon2) = self.points
            for lat, lon in points:
                if not (min(lat1, lat2) <= lat <= max(lat1, lat2)) or not (
                    min(lon1, lon2) <= lon <= max(lon1, lon2)
                ):
                    return lat, lon
            return None
        import shapely

        shape = shapely.Polygon([(lon, lat) for lat, lon in self.points])
        shapely.prepare(shape)
        for lat, lon in points:
            if not shapely.intersects_xy(shape, lon, lat):
                return lat, lon
        return None
