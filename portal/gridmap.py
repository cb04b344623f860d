"""A case's place on the grid map, drawn as inline SVG: its 单元网格, the neighbouring grids and the reported
point. No tile server and no script: the intranet portal draws the warehouse's own polygons.

Projection: equirectangular around the map's centre (longitude scaled by cos(latitude)), plenty for a few
hundred metres; north is up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

WIDTH = 480  # SVG user units; the page scales it to its column


@dataclass(frozen=True)
class MapGrid:
    code: str
    polygon: Any  # shapely Polygon or MultiPolygon (WGS84 / CGCS2000 lon, lat)
    focus: bool


def _rings(geometry: Any) -> list[list[tuple[float, float]]]:
    polygons = list(getattr(geometry, "geoms", [geometry]))
    rings: list[list[tuple[float, float]]] = []
    for polygon in polygons:
        rings.append([(float(x), float(y)) for x, y in polygon.exterior.coords])
        rings.extend([(float(x), float(y)) for x, y in inner.coords] for inner in polygon.interiors)
    return rings


def grid_map_svg(grids: list[MapGrid], point: tuple[float, float] | None, title: str) -> Markup:
    """The SVG (an ``<svg role="img">`` with a title) of ``grids`` with ``point`` (lon, lat) marked."""
    xs: list[float] = []
    ys: list[float] = []
    for g in grids:
        minx, miny, maxx, maxy = g.polygon.bounds
        xs += [minx, maxx]
        ys += [miny, maxy]
    if point is not None:
        xs.append(point[0])
        ys.append(point[1])
    if not xs:
        return Markup("")
    kx = math.cos(math.radians((min(ys) + max(ys)) / 2))
    span_x, span_y = max((max(xs) - min(xs)) * kx, 1e-6), max(max(ys) - min(ys), 1e-6)
    scale = WIDTH / max(span_x, span_y) * 0.9
    height = max(160.0, span_y * scale / 0.9 + 24)  # room for the grid code under the grid
    ox = (WIDTH - span_x * scale) / 2
    oy = (height - span_y * scale) / 2

    def xy(lon: float, lat: float) -> str:
        return f"{ox + (lon - min(xs)) * kx * scale:.1f},{height - oy - (lat - min(ys)) * scale:.1f}"

    parts = [f'<svg class="gridmap" role="img" viewBox="0 0 {WIDTH} {height:.0f}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for g in sorted(grids, key=lambda g: g.focus):  # the case's grid last, on top
        d = " ".join("M" + " L".join(xy(x, y) for x, y in ring) + " Z" for ring in _rings(g.polygon))
        style = ('fill="#dbe8f7" stroke="#1f5fa8" stroke-width="2.5"' if g.focus
                 else 'fill="#f4f6f9" stroke="#9aa6b5" stroke-width="1"')
        parts.append(f'<path d="{d}" {style} fill-rule="evenodd"><title>{escape(g.code)}</title></path>')
        if g.focus:  # the code under the grid, clear of the point
            minx, miny, maxx, _maxy = g.polygon.bounds
            lx, ly = xy((minx + maxx) / 2, miny).split(",")
            parts.append(f'<text x="{lx}" y="{ly}" font-size="13" text-anchor="middle" fill="#1f5fa8" '
                         f'dy="16">{escape(g.code)}</text>')
    if point is not None:
        px, py = xy(*point).split(",")
        parts.append(f'<circle cx="{px}" cy="{py}" r="7" fill="#b3261e" stroke="#fff" stroke-width="2">'
                     f'<title>上报位置 {point[0]:.6f}, {point[1]:.6f}</title></circle>')
    parts.append("</svg>")
    return Markup("".join(parts))
