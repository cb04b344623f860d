"""The synthetic city's geography obeys its own rules: valid unique grid codes that tile the built-up areas."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from standards.codes import check_grid_code
from synth.geography import gauss_kruger_epsg


def test_projection_zone_for_shuozhou_is_cm_111e() -> None:
    assert gauss_kruger_epsg(112.43) == 4546
    assert "CM 111E" in CRS.from_epsg(4546).name
    assert gauss_kruger_epsg(113.1) == 4547  # 怀仁/应县 lie in the CM 114°E zone


def test_every_grid_code_is_valid_and_unique(city_dir: Path, standards_inputs: dict) -> None:
    grids = gpd.read_file(city_dir / "geography" / "grids.gpkg")
    assert grids.crs.to_epsg() == 4490
    assert grids["grid_code"].is_unique
    tree = standards_inputs["tree"]
    bad = [str(c) for c in (check_grid_code(code, tree) for code in grids["grid_code"]) if not c.valid]
    assert bad == []
    # the street part is digits 7–9 of a real 12-digit 街道/乡镇 code of that district
    for row in grids.itertuples():
        assert row.grid_code[:6] == row.district_code
        assert row.grid_code[6:9] == row.street_code[6:9]
        assert row.grid_code[9:12] == row.community_code[9:12]
    real_streets = {s.code for d in tree.districts() for s in tree.streets(d.code)}
    assert set(grids["street_code"]) <= real_streets


def test_grids_tile_the_built_up_area_without_overlap(city_dir: Path) -> None:
    grids = gpd.read_file(city_dir / "geography" / "grids.gpkg")
    built = gpd.read_file(city_dir / "geography" / "built_up.gpkg", layer="built_up")
    for row in built.itertuples():
        g = grids[grids["district_code"] == row.district_code].to_crs(row.projected_epsg)
        area = gpd.GeoSeries([row.geometry], crs=4490).to_crs(row.projected_epsg).iloc[0]
        union = shapely.union_all(np.array(g.geometry))
        assert abs(g.area.sum() - union.area) < 1.0, "grids overlap"
        assert abs(union.area - area.area) / area.area < 1e-6, "grids do not cover the built-up area"
        assert 0.5 * 1e4 < g.area.median() <= 1.0e4 + 1  # ~100 m × 100 m
    sc = built.set_index("district_code").loc["140602"]
    assert 38 < sc["area_km2"] <= 40.5  # ~40 km² built-up 朔城区 around the real centre
    assert sc.geometry.contains(shapely.Point(112.43, 39.33))


def test_built_up_areas_lie_inside_their_real_districts(city_dir: Path, standards_inputs: dict) -> None:
    built = gpd.read_file(city_dir / "geography" / "built_up.gpkg", layer="built_up")
    tree = standards_inputs["tree"]
    for row in built.itertuples():
        district = tree.district_geometry(row.district_code)
        assert district.buffer(1e-6).contains(row.geometry), row.district_code


def test_grid_serials_run_north_to_south_then_west_to_east(city_dir: Path) -> None:
    grids = gpd.read_file(city_dir / "geography" / "grids.gpkg").to_crs(4546)
    grids = grids[grids["district_code"] == "140602"]
    grids["cx"] = grids.geometry.bounds["minx"].round(-1)
    grids["top"] = grids.geometry.bounds["maxy"]
    for _, g in grids.groupby("community_code"):
        g = g.sort_values("grid_code")
        serials = g["grid_code"].str[12:].astype(int).to_numpy()
        assert (serials == np.arange(1, len(g) + 1)).all()
        g = g[(g.area - 1e4).abs() < 1]  # whole squares: edge cells are clipped, so their bounds say less
        rows = (g["top"] / 100).round().to_numpy()
        assert (np.diff(rows) <= 0).all(), "a later serial lies further north"
        same_row = np.diff(rows) == 0
        assert (np.diff(g["cx"].to_numpy())[same_row] > 0).all(), "within a row serials must run west→east"


def test_communities_are_unions_of_their_grids(city_dir: Path) -> None:
    comm = gpd.read_file(city_dir / "geography" / "communities.gpkg")
    grids = gpd.read_file(city_dir / "geography" / "grids.gpkg")
    assert comm["community_code"].is_unique
    assert comm["community_name"].str.endswith("社区").all()
    assert set(comm["community_code"]) == set(grids["community_code"])
    counts = grids.groupby("community_code").size()
    assert comm.set_index("community_code")["grid_count"].reindex(counts.index).tolist() == counts.tolist()
