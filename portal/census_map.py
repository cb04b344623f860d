"""The batch report's map as inline SVG: grid outlines, loaded points, quarantined points — no tiles, no script.

Coordinates are CGCS2000 lon/lat; the drawing scales longitude by cos(latitude) so a square grid looks square.
The extent is the loaded points' (``census_loaders.report.map_extent``, as the CLI's PNG): a quarantined point
far away (a swapped X/Y, a GCJ-02 offset) is counted as off the map rather than shrinking the batch to a dot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import pandas as pd

WIDTH = 720
MAX_LOADED_DRAWN = 4000  # enough to see the batch's shape; the counts say how many there are
MAX_QUARANTINED_DRAWN = 4000


@dataclass(frozen=True)
class MapFigure:
    svg: str
    loaded: int
    quarantined: int
    quarantined_drawn: int
    off_map: int
    grids: int


def draw(points: pd.DataFrame, reasons: dict[int, str], grids: list[tuple[str, str]],
         extent: tuple[float, float, float, float]) -> MapFigure:
    """``points``: row_number, lon, lat, ok; ``reasons``: row number → reason of a quarantined row (its title);
    ``grids``: (grid code, WKT) around the batch; ``extent``: lon0, lat0, lon1, lat1."""
    import shapely

    x0, y0, x1, y1 = extent
    kx = math.cos(math.radians((y0 + y1) / 2))
    scale = WIDTH / max((x1 - x0) * kx, 1e-9)
    height = max(120, min(900, round((y1 - y0) * scale)))
    scale = min(scale, height / max(y1 - y0, 1e-9))

    def px(lon: float, lat: float) -> tuple[float, float]:
        return round((lon - x0) * kx * scale, 1), round((y1 - lat) * scale, 1)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
             f'height="{height}" role="img" aria-label="隔离点位与单元网格图" class="census-map">',
             f'<rect width="{WIDTH}" height="{height}" fill="#fbfcfe"/>', '<g class="grids" fill="none" '
             'stroke="#9aa6b5" stroke-width="0.8">']
    for code, wkt in grids:
        geom = shapely.from_wkt(wkt)
        rings = [shapely.get_exterior_ring(p) for p in shapely.get_parts(geom)]
        d = " ".join("M" + " L".join("{} {}".format(*px(x, y)) for x, y in shapely.get_coordinates(r)) + " Z"
                     for r in rings)
        parts.append(f'<path d="{d}"><title>网格 {escape(code)}</title></path>')
    parts.append("</g>")
    ok = points["ok"].astype(bool) if len(points) else pd.Series([], dtype=bool)
    inside = ((points["lon"] >= x0) & (points["lon"] <= x1) & (points["lat"] >= y0) & (points["lat"] <= y1)
              if len(points) else ok)
    loaded = points[ok & inside].head(MAX_LOADED_DRAWN)
    parts.append('<g class="loaded" fill="#1e7b34">')
    parts += [f'<circle cx="{cx}" cy="{cy}" r="3.5"/>' for cx, cy in (px(a, b) for a, b in zip(
        loaded["lon"], loaded["lat"], strict=True))]
    parts.append("</g>")
    bad = points[~ok & inside].head(MAX_QUARANTINED_DRAWN)
    parts.append('<g class="quarantined" stroke="#b3261e" stroke-width="2.5">')
    for row, lon, lat in zip(bad["row_number"], bad["lon"], bad["lat"], strict=True):
        cx, cy = px(lon, lat)
        title = escape(f"第 {int(row)} 行：{reasons.get(int(row), '隔离')}")
        parts.append(f'<path class="quarantined-point" d="M{cx - 6} {cy - 6} L{cx + 6} {cy + 6} M{cx - 6} {cy + 6} '
                     f'L{cx + 6} {cy - 6}"><title>{title}</title></path>')
    parts.append("</g></svg>")
    return MapFigure("".join(parts), int(ok.sum()), int((~ok).sum()), len(bad), int((~inside).sum()), len(grids))


def grids_around(rows: list[tuple[str, str]], extent: tuple[float, float, float, float]) -> list[tuple[str, str]]:
    """The grids (code, WKT) whose outline meets the extent."""
    import shapely

    if not rows:
        return []
    geoms = shapely.from_wkt([w for _, w in rows])
    hit = shapely.intersects(geoms, shapely.box(*extent))
    return [row for row, keep in zip(rows, hit, strict=True) if keep]
