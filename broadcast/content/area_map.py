"""An incident's area drawn as a small inline SVG, over the density of the recipients' points,
so that a wrong polygon (lat and lon swapped, the wrong district) is seen before it is sent.

Plain SVG with presentation attributes only: no script, no style attribute, no external
resource, so it shows under the strict Content-Security-Policy of the report and the status
site (``default-src 'none'``). Its size is bounded whatever the list holds: the points are
counted into a grid of ``GRID`` by ``GRID`` cells, and a polygon keeps at most ``MAX_VERTICES``
of its points.
"""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Sequence

GRID = 32
MAX_VERTICES = 400
WIDTH = 320
_KM_PER_DEGREE = 111.2


def _circle_ring(lat: float, lon: float, radius_km: float) -> list[tuple[float, float]]:
    scale = math.cos(math.radians(lat)) or 1e-9
    return [
        (
            lat + radius_km / _KM_PER_DEGREE * math.sin(2 * math.pi * k / 48),
            lon + radius_km / (_KM_PER_DEGREE * scale) * math.cos(2 * math.pi * k / 48),
        )
        for k in range(49)
    ]


def area_svg(
    polygons: Sequence[Sequence[tuple[float, float]]],
    circles: Sequence[tuple[float, float, float]],
    points: Sequence[tuple[float, float, bool]] = (),
    label: str = "The incident's area over the recipients' density",
) -> str:
    """The area's shapes over the recipients' density (``points``: lat, lon, in the area);
    an empty string when there is no shape to draw."""
    rings = [list(p) for p in polygons] + [_circle_ring(*c) for c in circles]
    if not rings:
        return ""
    everything = [pt for ring in rings for pt in ring] + [(lat, lon) for lat, lon, _ in points]
    south = min(lat for lat, _ in everything)
    north = max(lat for lat, _ in everything)
    west = min(lon for _, lon in everything)
    east = max(lon for _, lon in everything)
    # Longitude shrinks with latitude: the map keeps the ground's proportions.
    shrink = math.cos(math.radians((south + north) / 2)) or 1e-9
    span_x = max((east - west) * shrink, 1e-6)
    span_y = max(north - south, 1e-6)
    margin = 0.05
    height = max(80, min(480, round(WIDTH * span_y / span_x)))

    def xy(lat: float, lon: float) -> tuple[float, float]:
        x = ((lon - west) * shrink / span_x * (1 - 2 * margin) + margin) * WIDTH
        y = ((north - lat) / span_y * (1 - 2 * margin) + margin) * height
        return round(x, 1), round(y, 1)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="area-map" role="img" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'aria-label="{html.escape(label, quote=True)}">',
        f"<title>{html.escape(label)}</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="#f6f6f4" stroke="#999"/>',
    ]
    cells: Counter[tuple[int, int, bool]] = Counter()
    for lat, lon, inside in points:
        x, y = xy(lat, lon)
        col = min(GRID - 1, int(x / WIDTH * GRID))
        cells[col, min(GRID - 1, int(y / height * GRID)), inside] += 1
    densest = max(cells.values(), default=1)
    cell_w, cell_h = WIDTH / GRID, height / GRID
    for (col, row, inside), count in sorted(cells.items()):
        opacity = round(0.15 + 0.75 * count / densest, 2)
        out.append(
            f'<rect x="{col * cell_w:.1f}" y="{row * cell_h:.1f}" width="{cell_w:.1f}" '
            f'height="{cell_h:.1f}" fill="{"#d9480f" if inside else "#495057"}" '
            f'fill-opacity="{opacity}"/>'
        )
    for ring in rings:
        step = max(1, math.ceil(len(ring) / MAX_VERTICES))
        kept = ring[::step]
        drawn = " ".join(f"{x},{y}" for x, y in (xy(lat, lon) for lat, lon in kept))
        out.append(
            f'<polygon points="{drawn}" fill="#d9480f" fill-opacity="0.12" stroke="#d9480f" '
            'stroke-width="2"/>'
        )
    out.append("</svg>")
    return "\n".join(out)
