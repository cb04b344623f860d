"""The responsible area of a case: grid → community → street → district.

A recorded grid code is looked up in core.grid; a case with only coordinates is placed in the current grid it lies
in by the warehouse's point-in-grid rule (the macro core.grid_at, warehouse/models/core/, shared with the census:
grids are closed, a point on an edge shared by two grids takes the smaller code).
Nothing is guessed: no match leaves the codes NULL and says so.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from warehouse.duckdb_ext import load_spatial

AREA_COLUMNS = ("grid_code", "community_code", "street_code", "district_code")
_PARENTS = ("community_code", "street_code", "district_code")


def _fill_recorded(con: duckdb.DuckDBPyConnection, out: pd.DataFrame, has_grid: pd.Series) -> bool:
    """The recorded grids' parents, looked up once per distinct grid code in the current grids (a few thousand
    rows) rather than by a join of every case row in DuckDB and its result back to pandas (≈ 1 s per million
    cases: bench/cases/README.md). The same rows get the same values as that join gives; False (nothing written)
    when a code is not text or a grid code is current twice — the join's own answer is then kept."""
    codes, distinct = pd.factorize(out.loc[has_grid, "grid_code"])
    if not all(isinstance(v, str) for v in distinct):
        return False
    grids = con.execute("SELECT grid_code, community_code, street_code, district_code FROM core.grid"
                        " WHERE valid_to IS NULL").df()
    if grids["grid_code"].duplicated().any():
        return False
    where = pd.Index(grids["grid_code"].astype(object)).get_indexer(pd.Index(distinct, dtype=object))
    row_of = where[codes]  # the grid row of each case with a recorded grid; -1: not a current grid
    hit = row_of >= 0
    rows = out.index[has_grid.to_numpy()][hit]
    for col in _PARENTS:
        out.loc[rows, col] = grids[col].astype(object).to_numpy()[row_of[hit]]
    return True


def resolve_areas(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Fill the area columns and ``area_method`` (recorded / point_in_grid / none).

    Returns the frame and a boolean Series: rows that had coordinates but fell in no grid (flag ``no_grid_match``).
    ``frame`` needs columns case_id, lon, lat and optionally grid_code / district_code.
    """
    out = frame.copy(deep=False)  # copy-on-write (pandas ≥ 3): the caller's frame is never written through it
    for col in AREA_COLUMNS:
        if col not in out.columns:
            out[col] = None
        out[col] = out[col].astype("object").where(out[col].notna(), None)
    out["area_method"] = "none"
    has_grid = out["grid_code"].notna()
    if has_grid.any():
        if not _fill_recorded(con, out, has_grid):
            keys = pd.DataFrame({"k": out.index[has_grid], "grid_code": out.loc[has_grid, "grid_code"]})  # noqa: F841
            found = con.execute(
                "SELECT k, g.community_code, g.street_code, g.district_code FROM keys"
                " JOIN core.grid g ON g.grid_code = keys.grid_code AND g.valid_to IS NULL"
            ).df().set_index("k")
            for col in _PARENTS:
                out.loc[found.index, col] = found[col].astype(object)
        out.loc[has_grid, "area_method"] = "recorded"
    has_point = ~has_grid & out["lon"].notna() & out["lat"].notna()
    unmatched = pd.Series(False, index=out.index)
    if has_point.any():
        grids = con.execute("SELECT count(*) FROM core.grid WHERE valid_to IS NULL").fetchone()
        hits = pd.DataFrame(columns=["k", "grid_code", "community_code", "street_code", "district_code"])
        if grids and grids[0]:
            load_spatial(con)
            pts = pd.DataFrame(
                {"k": out.index[has_point], "lon": out.loc[has_point, "lon"].astype(float),
                 "lat": out.loc[has_point, "lat"].astype(float)}
            )
            # The warehouse's point-in-grid rule (core.grid_at): closed grids, the smaller code on a shared edge —
            # the grid a census component at the same point is placed in.
            con.register("case_points", pts)
            try:
                hits = con.execute("SELECT k, grid_code, community_code, street_code, district_code"
                                   " FROM core.grid_at('case_points')").df()
            finally:
                con.unregister("case_points")
        hits = hits.set_index("k")
        for col in AREA_COLUMNS:
            out.loc[hits.index, col] = hits[col].astype(object)
        out.loc[hits.index, "area_method"] = "point_in_grid"
        unmatched = has_point & ~out.index.isin(hits.index)
    return out, unmatched
