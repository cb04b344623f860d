"""The responsible area of a case: grid → community → street → district.

A recorded grid code is looked up in core.grid; a case with only coordinates is placed by point-in-polygon
against the current grids (DuckDB spatial; grids are closed, so a point on an edge is in a grid, as in the census).
Nothing is guessed: no match leaves the codes NULL and says so.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from warehouse.duckdb_ext import load_spatial

AREA_COLUMNS = ("grid_code", "community_code", "street_code", "district_code")


def resolve_areas(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Fill the area columns and ``area_method`` (recorded / point_in_grid / none).

    Returns the frame and a boolean Series: rows that had coordinates but fell in no grid (flag ``no_grid_match``).
    ``frame`` needs columns case_id, lon, lat and optionally grid_code / district_code.
    """
    out = frame.copy()
    for col in AREA_COLUMNS:
        if col not in out.columns:
            out[col] = None
        out[col] = out[col].astype("object").where(out[col].notna(), None)
    out["area_method"] = "none"
    has_grid = out["grid_code"].notna()
    if has_grid.any():
        keys = pd.DataFrame({"k": out.index[has_grid], "grid_code": out.loc[has_grid, "grid_code"]})  # noqa: F841
        found = con.execute(
            "SELECT k, g.community_code, g.street_code, g.district_code FROM keys"
            " JOIN core.grid g ON g.grid_code = keys.grid_code AND g.valid_to IS NULL"
        ).df().set_index("k")
        for col in ("community_code", "street_code", "district_code"):
            out.loc[found.index, col] = found[col].astype(object)
        out.loc[has_grid, "area_method"] = "recorded"
    has_point = ~has_grid & out["lon"].notna() & out["lat"].notna()
    unmatched = pd.Series(False, index=out.index)
    if has_point.any():
        grids = con.execute("SELECT count(*) FROM core.grid WHERE valid_to IS NULL").fetchone()
        hits = pd.DataFrame(columns=["k", "grid_code", "community_code", "street_code", "district_code"])
        if grids and grids[0]:
            load_spatial(con)
            pts = pd.DataFrame(  # noqa: F841 — read by DuckDB's replacement scan
                {"k": out.index[has_point], "lon": out.loc[has_point, "lon"].astype(float),
                 "lat": out.loc[has_point, "lat"].astype(float)}
            )
            hits = con.execute(
                "WITH g AS (SELECT grid_code, community_code, street_code, district_code,"
                " ST_GeomFromText(geometry_wkt) AS geom FROM core.grid WHERE valid_to IS NULL)"
                # Grids are closed, as in the census: a point on the edge between two takes the smaller code
                # (and that grid's community, street and district).
                " SELECT k, min(grid_code) AS grid_code, arg_min(community_code, grid_code) AS community_code,"
                " arg_min(street_code, grid_code) AS street_code, arg_min(district_code, grid_code) AS district_code"
                " FROM pts JOIN g ON ST_Intersects(g.geom, ST_Point(pts.lon, pts.lat)) GROUP BY k"
            ).df()
        hits = hits.set_index("k")
        for col in AREA_COLUMNS:
            out.loc[hits.index, col] = hits[col].astype(object)
        out.loc[hits.index, "area_method"] = "point_in_grid"
        unmatched = has_point & ~out.index.isin(hits.index)
    return out, unmatched
