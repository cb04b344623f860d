"""One point-in-grid rule for the census and the cases (warehouse/models/core/: core.point_in_grid, core.grid_at):
a point exactly on the edge two grids share lands in the same grid whether a census component or a case has it."""

from __future__ import annotations

from cityfiles import census_rows, grid_code, write_csv

from tests.transforms.cases.conftest import MAPPINGS
from transforms.cases.legacy_import import import_legacy
from transforms.cases.mapping import load_mapping


def test_a_point_on_a_shared_edge_is_in_the_same_grid_for_a_component_and_a_case(census) -> None:
    south, north = grid_code(0, 0), grid_code(0, 1)
    assert north < south  # the rule's tie-break (the smaller code) must pick the northern grid here
    # The edge as stored: the southern grid's northern edge, the northern grid's southern edge (the same double).
    with census.wh.writer(spatial=True) as con:
        edge = con.execute("SELECT ST_YMax(ST_GeomFromText(a.geometry_wkt)), ST_YMin(ST_GeomFromText(b.geometry_wkt)),"
                           " ST_XMin(ST_GeomFromText(a.geometry_wkt)), ST_XMax(ST_GeomFromText(a.geometry_wkt))"
                           " FROM core.grid a, core.grid b WHERE a.grid_code = ? AND b.grid_code = ?",
                           [south, north]).fetchone()
    assert edge is not None
    lat, lat_north, west, east = edge
    assert lat == lat_north
    lon = west + (east - west) / 3
    rows = census_rows(2)
    for row, x in zip(rows, (lon, west + 2 * (east - west) / 3), strict=True):  # two points, both on the edge
        row["X"], row["Y"] = repr(x), repr(lat)  # repr: the very double, read back exactly
    rows[0]["BGCODE"] = ""    # placed by the rule
    rows[1]["BGCODE"] = south  # declared: a point on its declared grid's edge stays in it
    result = census.ingest(write_csv(census.tmp / "edge.csv", rows))
    assert (result.rows_loaded, result.problems, result.grids_assigned) == (2, [], 1)
    components = census.query("SELECT grid_code FROM core.component ORDER BY component_id")
    assert components == [(north,), (south,)]

    export = census.tmp / "export.csv"
    export.write_text(
        "unique_key,created_date,closed_date,due_date,status,complaint_type,descriptor,open_data_channel_type,"
        "agency,incident_address,latitude,longitude\n"
        f"1,2026-03-02T10:00:00.000,,,Open,Graffiti,x,PHONE,DSNY,on the shared edge,{lat!r},{lon!r}\n",
        encoding="utf-8")
    import_legacy(census.wh, export, load_mapping(MAPPINGS / "nyc_311_2019.yaml"))
    cases = census.query('SELECT grid_code, community_code, area_method FROM core."case"')
    assert cases == [(north, north[:12], "point_in_grid")]
    assert cases[0][0] == components[0][0]
