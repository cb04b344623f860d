"""GCJ-02 has one implementation (standards.gcj02), giving what the two copies it replaced gave, and its inverse
undoes it everywhere in China."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from standards.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
from tests.szcg.sources import production_sources, read

# (WGS84) → (GCJ-02) as census_loaders/crs.py and synth/gcj02.py both computed them before they became one module.
BEFORE = [
    ((112.43, 39.33), (112.43685109791727, 39.33116435193624)),  # 朔州
    ((116.391, 39.907), (116.39724095859891, 39.9084011088464)),  # 北京
    ((121.4737, 31.2304), (121.47822305927693, 31.22845773757727)),  # 上海
    ((87.6168, 43.8256), (87.61964994946926, 43.82680539311119)),  # 乌鲁木齐
    ((113.2644, 23.1291), (113.26972959210308, 23.126423339922844)),  # 广州
]
IN_CHINA = st.tuples(st.floats(73.0, 136.0), st.floats(3.0, 54.0))


def test_forward_agrees_with_the_copies_it_replaced() -> None:
    wgs = np.array([p for p, _ in BEFORE])
    lon, lat = wgs84_to_gcj02(wgs[:, 0], wgs[:, 1])
    np.testing.assert_allclose(np.c_[lon, lat], np.array([g for _, g in BEFORE]), rtol=0, atol=1e-12)
    one_lon, one_lat = wgs84_to_gcj02(*BEFORE[0][0])  # scalars too (the synthetic city passes floats)
    assert (float(one_lon), float(one_lat)) == BEFORE[0][1]


@settings(deadline=None)  # a loaded 2-core machine: no per-example time limit
@given(st.lists(IN_CHINA, min_size=1, max_size=50))
def test_the_inverse_undoes_the_shift_to_a_millimetre(points: list[tuple[float, float]]) -> None:
    wgs = np.array(points)
    lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(wgs[:, 0], wgs[:, 1]))
    np.testing.assert_allclose(np.c_[lon, lat], wgs, rtol=0, atol=1e-8)  # 1e-8° ≈ 1 mm


@settings(deadline=None)  # a loaded 2-core machine: no per-example time limit
@given(IN_CHINA)
def test_the_shift_is_hundreds_of_metres_not_more(point: tuple[float, float]) -> None:
    lon, lat = wgs84_to_gcj02(*point)
    assert abs(float(lon) - point[0]) < 0.02 and abs(float(lat) - point[1]) < 0.02


def test_the_formula_is_written_once() -> None:
    holders = [path for path in production_sources() if "6378245.0" in read(path)]
    assert holders == ["standards/gcj02.py"]
