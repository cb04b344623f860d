"""A case that only has coordinates is placed in its grid → community → street → district by point-in-polygon;
a point in no grid is left without an area and flagged, never guessed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from tests.transforms.cases.conftest import MAPPINGS
from transforms.cases.areas import AREA_COLUMNS, resolve_areas
from transforms.cases.legacy_import import import_legacy
from transforms.cases.mapping import load_mapping
from warehouse.store import Warehouse

GRID = "140602001001001"
SQUARE = "POLYGON ((112.40 39.30, 112.45 39.30, 112.45 39.35, 112.40 39.35, 112.40 39.30))"


def test_coordinates_are_placed_in_the_grid_that_contains_them(wh: Warehouse, tmp_path: Path) -> None:
    with wh.writer() as con:
        con.execute("INSERT INTO core.grid VALUES (?, ?, ?, ?, NULL, ?, ?, NULL, 'test-grids')",
                    [GRID, GRID[:12], GRID[:9], GRID[:6], SQUARE, date(2026, 1, 1)])
    export = tmp_path / "export.csv"
    export.write_text(
        "unique_key,created_date,closed_date,due_date,status,complaint_type,descriptor,open_data_channel_type,"
        "agency,incident_address,latitude,longitude\n"
        "1,2026-03-02T10:00:00.000,,,Open,Graffiti,x,PHONE,DSNY,inside,39.32,112.42\n"
        "2,2026-03-02T10:00:00.000,,,Open,Graffiti,x,PHONE,DSNY,outside,39.50,112.42\n"
        "3,2026-03-02T10:00:00.000,,,Open,Graffiti,x,PHONE,DSNY,on the edge,39.32,112.40\n", encoding="utf-8")
    import_legacy(wh, export, load_mapping(MAPPINGS / "nyc_311_2019.yaml"))
    with wh.writer() as con:
        rows = con.execute('SELECT origin_case_id, grid_code, community_code, street_code, district_code,'
                           ' area_method, list_contains(flags, \'no_grid_match\') FROM core."case" ORDER BY 1'
                           ).fetchall()
    assert rows == [("1", GRID, GRID[:12], GRID[:9], GRID[:6], "point_in_grid", False),
                    ("2", None, None, None, None, "none", True),
                    ("3", GRID, GRID[:12], GRID[:9], GRID[:6], "point_in_grid", False)]  # grids are closed


def _joined_areas(con: object, frame: pd.DataFrame) -> pd.DataFrame:
    """The recorded grids' parents as resolve_areas gave them before its per-code look-up: a join of every row."""
    out = frame.copy()
    for col in AREA_COLUMNS:
        if col not in out.columns:
            out[col] = None
        out[col] = out[col].astype("object").where(out[col].notna(), None)
    has_grid = out["grid_code"].notna()
    keys = pd.DataFrame({"k": out.index[has_grid], "grid_code": out.loc[has_grid, "grid_code"]})  # noqa: F841
    found = con.execute(  # type: ignore[attr-defined]
        "SELECT k, g.community_code, g.street_code, g.district_code FROM keys"
        " JOIN core.grid g ON g.grid_code = keys.grid_code AND g.valid_to IS NULL").df().set_index("k")
    for col in ("community_code", "street_code", "district_code"):
        out.loc[found.index, col] = found[col].astype(object)
    return out


def test_recorded_grids_get_the_parents_the_join_gave(wh: Warehouse) -> None:
    expired, current, unknown = "140602002001002", "140603001001003", "999999999999999"
    with wh.writer(spatial=True) as con:
        for code, valid_to in ((GRID, None), (expired, date(2026, 2, 1)), (current, None)):
            con.execute("INSERT INTO core.grid VALUES (?, ?, ?, ?, NULL, ?, ?, ?, 'test-grids')",
                        [code, code[:12], code[:9], code[:6], SQUARE, date(2026, 1, 1), valid_to])
        # the grid re-drawn: its old version closed, a new one current
        con.execute("INSERT INTO core.grid VALUES (?, 'old', 'old', 'old', NULL, ?, ?, ?, 'test-grids')",
                    [current, SQUARE, date(2025, 1, 1), date(2026, 1, 1)])
        rng = np.random.default_rng(5)
        choices = np.array([GRID, expired, current, unknown, None], dtype=object)
        n = 2_000
        frame = pd.DataFrame({"case_id": [f"c{i}" for i in range(n)], "grid_code": choices[rng.integers(0, 5, n)],
                              "district_code": np.where(rng.random(n) < 0.3, "140699", None),
                              "lon": np.nan, "lat": np.nan},
                             index=rng.permutation(n * 3)[:n])  # labels neither ordered nor positions
        before = frame.copy()
        got, unmatched = resolve_areas(con, frame)
        expected = _joined_areas(con, frame)
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is not written
    pd.testing.assert_frame_equal(got[expected.columns], expected)
    assert (got["area_method"] == np.where(frame["grid_code"].notna(), "recorded", "none")).all()
    assert not unmatched.any()
    assert got.loc[got["grid_code"] == current, "community_code"].eq(current[:12]).all()  # the current version
    assert got.loc[got["grid_code"] == expired, "community_code"].isna().all()
