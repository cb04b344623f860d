"""A case that only has coordinates is placed in its grid → community → street → district by point-in-polygon;
a point in no grid is left without an area and flagged, never guessed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.transforms.cases.conftest import MAPPINGS
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
