"""Unit grids with topology problems, and batches whose columns need a mapping."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pytest
from cityfiles import DLAT, DLON, LAT0, LON0, census_rows, grid_frame
from shapely.geometry import box

from census_loaders.grids import load_grids
from szcg.cli import main


def test_grid_topology_problems_are_quarantined_and_gaps_reported(census, tmp_path: Path) -> None:
    grids = grid_frame()
    grids = grids[grids["grid_code"] != grids["grid_code"].iloc[20]]  # a hole inside the built-up area
    extra = gpd.GeoDataFrame([
        {"grid_code": "140602001001099", "community_name": "x",  # overlaps the first grid by half
         "geometry": box(LON0 + DLON / 2, LAT0, LON0 + 1.5 * DLON, LAT0 + DLAT)},
        {"grid_code": "140602999001001", "community_name": "x",  # street 999 does not exist
         "geometry": box(LON0 - 2 * DLON, LAT0, LON0 - DLON, LAT0 + DLAT)},
        {"grid_code": "14060200100100", "community_name": "x",  # 14 digits
         "geometry": box(LON0 - 3 * DLON, LAT0, LON0 - 2 * DLON, LAT0 + DLAT)},
    ], crs="EPSG:4490")
    path = tmp_path / "grids_v2.geojson"
    gpd.GeoDataFrame(list(grids.to_dict("records")) + list(extra.to_dict("records")), crs="EPSG:4490").to_file(
        path, driver="GeoJSON")
    with census.wh.writer(spatial=True) as con:
        result = load_grids(con, census.wh, path, census.config, census.ctx, dt.date(2026, 6, 1))
    rules = sorted(p.rule for p in result.problems)
    assert rules == ["grid.overlap", "grid_code.invalid", "grid_code.invalid"]
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (50, 47, 3)
    assert result.unchanged == 47 and len(result.gaps) == 1 and 9000 < result.gaps[0]["area_m2"] < 11000
    assert census.query("SELECT count(*) FROM quarantine.rejected_row WHERE batch_id = ?",
                        [result.batch_id]) == [(3,)]


def test_gbt47678_attribute_names_are_recognised_without_a_mapping(census) -> None:
    rename = {"OBJCODE": "GLBJBSM", "OBJNAME": "GLBJMC", "DEPTCODE1": "ZGBMDM", "DEPTNAME1": "ZGBMMC",
              "BGCODE": "SZDYWGBSM", "OBJSTATE": "GLBJZT", "ORDATE": "CSRQ", "CHDATE": "BGRQ"}
    rows = [{rename.get(k, k): v for k, v in r.items() if k not in ("DEPTCODE2", "DEPTNAME2", "DEPTCODE3",
                                                                     "DEPTNAME3")} for r in census_rows(3)]
    path = census.tmp / "gbt.csv"
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = census.ingest(path)
    assert result.mapping == "gbt47678.5" and result.rows_loaded == 3


def test_a_mapping_file_names_columns_words_and_crs(census, capsys) -> None:
    from pyproj import Transformer

    rows = census_rows(3, state="好")
    to_gk = Transformer.from_crs(4490, 4546, always_xy=True)
    for r in rows:
        x, y = to_gk.transform(float(r["X"]), float(r["Y"]))
        r["X"], r["Y"] = f"{x:.3f}", f"{y:.3f}"
        r["编号"] = r.pop("OBJCODE")
    path = census.tmp / "own.csv"
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    mapping = census.tmp / "mapping.yaml"
    mapping.write_text(
        "name: 测绘公司甲\nfields:\n  component_id: 编号\n  name: OBJNAME\n  owner_department_code: DEPTCODE1\n"
        "  grid_code: BGCODE\n  state: OBJSTATE\n  initial_date: ORDATE\n  x: X\n  y: Y\n"
        "required: [component_id, name, state, initial_date]\nvalues:\n  state: {好: intact}\ncrs: EPSG:4546\n",
        encoding="utf-8")
    result = census.ingest(path, mapping_path=mapping)
    assert result.mapping == "测绘公司甲" and result.rows_loaded == 3 and "4546" in result.crs
    bad = census.tmp / "bad_mapping.yaml"
    bad.write_text("fields:\n  colour: X\n", encoding="utf-8")
    assert main(["census", "ingest", str(path), "--district", "140602", "--mapping", str(bad)]) == 1
    assert "colour" in capsys.readouterr().err



def test_a_changed_grid_needs_a_later_valid_from_and_then_becomes_a_new_version(census, tmp_path: Path) -> None:
    from szcg.errors import InputRejected

    grids = grid_frame()
    moved = grids["grid_code"].iloc[3]
    grids.loc[grids.index[3], "geometry"] = grids.geometry.iloc[3].buffer(-DLON / 10)  # shrunk: a new geometry
    path = tmp_path / "grids_changed.geojson"
    grids.to_file(path, driver="GeoJSON")
    before = census.query("SELECT grid_code, valid_from, valid_to, geometry_wkt FROM core.grid ORDER BY ALL")
    with census.wh.writer(spatial=True) as con, pytest.raises(InputRejected, match=rf"{moved} \(from 2026-01-01\)"):
        load_grids(con, census.wh, path, census.config, census.ctx, dt.date(2026, 1, 1))  # same date as now
    assert census.query("SELECT grid_code, valid_from, valid_to, geometry_wkt FROM core.grid ORDER BY ALL") == before
    with census.wh.writer(spatial=True) as con:
        result = load_grids(con, census.wh, path, census.config, census.ctx, dt.date(2026, 7, 1))
    assert (result.changed, result.rows_loaded) == (1, len(grids))
    versions = census.query("SELECT valid_from, valid_to FROM core.grid WHERE grid_code = ? ORDER BY valid_from",
                            [moved])
    assert versions == [(dt.date(2026, 1, 1), dt.date(2026, 6, 30)), (dt.date(2026, 7, 1), None)]


def test_a_grid_overlapping_a_current_grid_of_another_file_is_quarantined_naming_it(census, tmp_path: Path) -> None:
    # A second file (a neighbouring survey) whose grids are new codes: one lies across two grids already loaded.
    extra = gpd.GeoDataFrame([
        {"grid_code": "140602001005001", "community_name": "新社区",  # over the first two grids of the lattice
         "geometry": box(LON0 + DLON / 2, LAT0, LON0 + 1.5 * DLON, LAT0 + DLAT)},
        {"grid_code": "140602001005002", "community_name": "新社区",  # west of the lattice: touches only
         "geometry": box(LON0 - DLON, LAT0, LON0, LAT0 + DLAT)},
    ], crs="EPSG:4490")
    path = tmp_path / "neighbour.geojson"
    extra.to_file(path, driver="GeoJSON")
    with census.wh.writer(spatial=True) as con:
        result = load_grids(con, census.wh, path, census.config, census.ctx, dt.date(2026, 6, 1))
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    (problem,) = result.problems
    assert (problem.row_number, problem.rule) == (1, "grid.overlap_existing")
    first, second = grid_frame()["grid_code"].iloc[0], grid_frame()["grid_code"].iloc[6]  # (col 0, row 0), (1, 0)
    assert first in problem.message and second in problem.message
    assert census.query("SELECT count(*) FROM core.grid WHERE grid_code = '140602001005001'") == [(0,)]


def test_a_mapping_without_state_is_refused_naming_the_mapping_and_the_key(census, capsys) -> None:
    path = census.tmp / "b.csv"
    import csv

    rows = census_rows(2)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    mapping = census.tmp / "no_state.yaml"
    mapping.write_text("name: 无状态\nfields:\n  component_id: OBJCODE\n  name: OBJNAME\n  initial_date: ORDATE\n"
                       "  grid_code: BGCODE\n  x: X\n  y: Y\nrequired: [component_id, name, initial_date]\n",
                       encoding="utf-8")
    assert main(["census", "ingest", str(path), "--district", "140602", "--mapping", str(mapping)]) == 1
    err = capsys.readouterr().err
    assert str(mapping) in err and "state" in err and "Traceback" not in err and "NOT NULL" not in err
    assert census.query("SELECT count(*) FROM core.component") == [(0,)]


def test_a_mapping_that_maps_state_but_leaves_it_optional_quarantines_rows_without_one(census) -> None:
    path = census.tmp / "b.csv"
    import csv

    rows = census_rows(2)
    rows[1]["OBJSTATE"] = ""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    mapping = census.tmp / "optional_state.yaml"
    mapping.write_text("fields:\n  component_id: OBJCODE\n  name: OBJNAME\n  state: OBJSTATE\n  initial_date: ORDATE\n"
                       "  grid_code: BGCODE\n  x: X\n  y: Y\nrequired: [component_id]\n", encoding="utf-8")
    result = census.ingest(path, mapping_path=mapping)
    assert (result.rows_loaded, [(p.row_number, p.rule) for p in result.problems]) == (1, [(2, "state.required")])
