"""GCJ-02 (国测局坐标系, the obfuscated datum of Chinese web maps) ↔ WGS84, the one copy of the public formula.

Both directions matter to szcg: census batches digitised on a web map arrive in GCJ-02 and are detected and, on
request, converted back (census_loaders); the synthetic city writes such batches on purpose (synth). CGCS2000 and
WGS84 differ by centimetres, so a CGCS2000 point run through :func:`wgs84_to_gcj02` lands where a GCJ-02 map tool
would have put it: a few hundred metres off.
"""

from __future__ import annotations

import numpy as np

# Krasovsky 1940 ellipsoid, as the published formula uses it.
_A = 6378245.0
_EE = 0.00669342162296594323
# The offset varies slowly, so the inverse's fixed-point iteration is far below a centimetre after 3 rounds.
_INVERSE_ROUNDS = 3


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 (≈ CGCS2000) lon/lat → GCJ-02 lon/lat; scalars or arrays of the same shape."""
    lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon_a, lat_a)
    return lon_a + dlon, lat_a + dlat


def gcj02_to_wgs84(lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 lon/lat → WGS84 by fixed-point iteration of the forward formula (it has no closed inverse)."""
    lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = lon_a.copy(), lat_a.copy()
    for _ in range(_INVERSE_ROUNDS):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (glon - lon_a), wlat - (glat - lat_a)
    return wlon, wlat
