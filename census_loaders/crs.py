"""Coordinates as delivered → CGCS2000 lon/lat (EPSG:4490).

Accepted: CGCS2000 (4490) / WGS84 (4326) lon/lat, CGCS2000 3-degree Gauss–Krüger zones with or without the zone
number in the easting (EPSG:4513–4533 / 4534–4554), and any CRS a file declares. Detected and reported rather
than silently fixed: swapped lat/lon, rows in another CRS than the rest of the file (mixed CRS), and GCJ-02
offsets (web-map coordinates; converted only on request, by :mod:`standards.gcj02`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyproj import CRS, Transformer

TARGET_EPSG = 4490
# China's extent in lon/lat, generous: used to tell lon/lat from swapped lat/lon and from projected metres.
LON_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)

GEOGRAPHIC = "geographic"
SWAPPED = "swapped"
PROJECTED = "projected"  # Gauss–Krüger metres, central meridian in the CRS (no zone prefix)
PROJECTED_ZONE = "projected_zone"  # Gauss–Krüger metres with the zone number in front of the easting
UNKNOWN = "unknown"


def classify(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """What kind of coordinate each (x, y) looks like."""
    kind = np.full(len(x), UNKNOWN, dtype=object)
    lonlat = (x >= LON_RANGE[0]) & (x <= LON_RANGE[1]) & (y >= LAT_RANGE[0]) & (y <= LAT_RANGE[1])
    swapped = (y >= LON_RANGE[0]) & (y <= LON_RANGE[1]) & (x >= LAT_RANGE[0]) & (x <= LAT_RANGE[1])
    northing = (y >= 300_000) & (y <= 6_000_000)
    kind[lonlat] = GEOGRAPHIC
    kind[swapped & ~lonlat] = SWAPPED
    kind[(x >= 100_000) & (x < 1_000_000) & northing] = PROJECTED
    kind[(x >= 25_000_000) & (x < 46_000_000) & northing] = PROJECTED_ZONE
    return kind


def gauss_kruger_epsg(lon: float) -> int:
    """CGCS2000 3-degree Gauss–Krüger zone (central meridian in the name, no zone prefix) nearest ``lon``."""
    cm = 3 * round(lon / 3)
    return 4534 + (cm - 75) // 3


def zone_epsg(easting: float) -> int:
    """EPSG of the CGCS2000 3-degree zone whose number prefixes ``easting`` (zone 25 → EPSG:4513)."""
    return 4513 + int(easting // 1_000_000) - 25


@dataclass(frozen=True)
class Converted:
    lon: np.ndarray
    lat: np.ndarray
    source_crs: str  # what was applied, for the report


def _transform(crs: str | int, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    source = CRS.from_user_input(crs)
    if source.to_epsg() == TARGET_EPSG:
        return x.astype(float), y.astype(float)
    transformer = Transformer.from_crs(source, CRS.from_epsg(TARGET_EPSG), always_xy=True)
    lon, lat = transformer.transform(x, y)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def city_zones(bounds: tuple[float, float, float, float]) -> list[int]:
    """The 3-degree zones (no prefix) a city's extent touches: a city may straddle two (朔州: CM 111° and 114°)."""
    return sorted({gauss_kruger_epsg(bounds[0]), gauss_kruger_epsg((bounds[0] + bounds[2]) / 2),
                   gauss_kruger_epsg(bounds[2])})


def _best_zone(x: np.ndarray, y: np.ndarray, bounds: tuple[float, float, float, float]) -> tuple[
        int, np.ndarray, np.ndarray]:
    """Metres without a zone prefix: the city's zone that puts the most points inside the city's extent."""
    best: tuple[int, int, np.ndarray, np.ndarray] | None = None
    for epsg in city_zones(bounds):
        lon, lat = _transform(epsg, x, y)
        inside = int(((lon >= bounds[0]) & (lon <= bounds[2]) & (lat >= bounds[1]) & (lat <= bounds[3])).sum())
        if best is None or inside > best[1]:
            best = (epsg, inside, lon, lat)
    assert best is not None
    return best[0], best[2], best[3]


def to_cgcs2000(x: np.ndarray, y: np.ndarray, declared_crs: str | None,
                city_bounds: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """(lon, lat, kind per row, description). With a declared CRS every row is transformed from it; without one,
    each row's kind is detected: lon/lat taken as CGCS2000 (≈ WGS84 at survey accuracy), Gauss–Krüger metres
    converted from the zone in the easting's prefix, or else from the city's zone that fits.
    Swapped/unknown rows come back as NaN."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    lon = np.full(len(x), np.nan)
    lat = np.full(len(x), np.nan)
    if declared_crs is not None:
        lo, la = _transform(declared_crs, x, y)
        crs = CRS.from_user_input(declared_crs)
        kind = np.full(len(x), GEOGRAPHIC if crs.is_geographic else PROJECTED, dtype=object)
        if crs.is_geographic:
            # A file may declare lon/lat and still carry swapped values.
            detected = classify(x, y)
            kind[detected == SWAPPED] = SWAPPED
            lo = np.where(kind == SWAPPED, np.nan, lo)
            la = np.where(kind == SWAPPED, np.nan, la)
        name = crs.to_string()
        return lo, la, kind, name
    kind = classify(x, y)
    used: list[str] = []
    geographic = kind == GEOGRAPHIC
    if geographic.any():
        lon[geographic], lat[geographic] = x[geographic], y[geographic]
        used.append("EPSG:4490 lon/lat (assumed from values)")
    projected = kind == PROJECTED
    if projected.any():
        epsg, lon[projected], lat[projected] = _best_zone(x[projected], y[projected], city_bounds)
        used.append(f"EPSG:{epsg} Gauss–Krüger (the city's zone that fits)")
    zoned = kind == PROJECTED_ZONE
    if zoned.any():
        for epsg in sorted({zone_epsg(e) for e in x[zoned]}):
            rows = zoned & (np.floor(x / 1_000_000) == epsg - 4513 + 25)
            lon[rows], lat[rows] = _transform(epsg, x[rows], y[rows])
            used.append(f"EPSG:{epsg} Gauss–Krüger (zone in easting)")
    return lon, lat, kind, "; ".join(used) or "none"

