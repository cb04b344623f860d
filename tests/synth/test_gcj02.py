"""The GCJ-02 defect uses a real WGS84→GCJ-02 shift: it moves the 天地图 (CGCS2000) district outlines towards the
DataV (GCJ-02) ones."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

from standards.gcj02 import wgs84_to_gcj02

# ../shared beside the repository (as in CI)
BOUNDARIES = str(Path(__file__).resolve().parents[3] / "shared" / "data" / "boundaries") + "/"


def test_transform_moves_cgcs2000_outlines_towards_gcj02_outlines() -> None:
    with open(BOUNDARIES + "shuozhou_city_districts_tianditu_cgcs2000.geojson", encoding="utf-8") as fh:
        tianditu = {f["properties"]["adcode"]: shape(f["geometry"]) for f in json.load(fh)["features"]}
    with open(BOUNDARIES + "shuozhou_districts_datav_areas_v3.geojson", encoding="utf-8") as fh:
        datav = {str(f["properties"]["adcode"]): shape(f["geometry"]) for f in json.load(fh)["features"]}
    before, after = [], []
    for code, geom in tianditu.items():
        if code not in datav:
            continue
        shifted = shapely.transform(geom, lambda xy: np.c_[wgs84_to_gcj02(xy[:, 0], xy[:, 1])])
        before.append(geom.centroid.distance(datav[code].centroid))
        after.append(shifted.centroid.distance(datav[code].centroid))
    assert len(before) == 6
    assert all(a < b for a, b in zip(after, before, strict=True))
    assert sum(after) < 0.5 * sum(before)


def test_shift_size_in_shuozhou() -> None:
    lon, lat = wgs84_to_gcj02(112.43, 39.33)
    assert 0.004 < float(lon) - 112.43 < 0.008  # a few hundred metres east
    assert 0.0 < float(lat) - 39.33 < 0.003
