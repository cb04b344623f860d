"""Load unit grids (单元网格) into core.grid and their communities into core.admin_area, with topology checks.

Rejected grids (bad code, bad geometry, duplicate code, overlapping an earlier grid) go to the quarantine with
their reason; gaps inside the built-up area are reported (they are not rows, so nothing is rejected for them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from census_loaders.config import CensusConfig
from census_loaders.readers import open_source
from szcg.errors import InputRejected, RowProblem
from warehouse.transaction import transaction

TARGET = "core.grid"
CODE_COLUMNS = ("grid_code", "GRIDCODE", "BGCODE", "BGID", "DYWGBSM", "SZDYWGBSM", "单元网格标识码", "网格编码", "code")
COMMUNITY_NAME_COLUMNS = ("community_name", "SQMC", "社区名称", "社区")
OVERLAP_TOLERANCE_M2 = 1.0
GAP_MIN_M2 = 100.0


@dataclass
class GridLoadResult:
    batch_id: str
    file_name: str
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    communities_added: int = 0
    already_loaded: bool = False
    problems: list[RowProblem] = field(default_factory=list)
    gaps: list[dict[str, Any]] = field(default_factory=list)
    rejected_message: str = ""


def _pick(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    upper = {c.upper(): c for c in columns}
    return next((upper[c.upper()] for c in candidates if c.upper() in upper), None)


def _projected(geoms: np.ndarray, lon: float) -> np.ndarray:
    import shapely
    from pyproj import Transformer

    from census_loaders.crs import gauss_kruger_epsg

    t = Transformer.from_crs(4490, gauss_kruger_epsg(lon), always_xy=True)
    return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def check_grids(frame: pd.DataFrame, file_name: str, areas: Any, city_lon: float,
                existing: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[RowProblem], list[dict[str, Any]]]:
    """Return the accepted grids (with area_m2), the problems of rejected ones, and gaps found. ``existing``
    (grid_code, geometry in EPSG:4490) are the current grids of the warehouse this file does not replace: a grid
    overlapping one of them is rejected naming them — two current grids must never cover the same ground."""
    import shapely

    from standards.codes import check_grid_code

    problems: list[RowProblem] = []
    geoms = frame["geometry"].to_numpy()
    bad_rows: set[int] = set()
    for row, code, geom in zip(frame["row_number"], frame["grid_code"], geoms, strict=True):
        if code is None or pd.isna(code):
            problems.append(RowProblem(file_name, int(row), "grid_code", "grid_code.required", "单元网格代码为空"))
            bad_rows.add(int(row))
            continue
        check = check_grid_code(str(code), areas)
        if not check.valid:
            problems.append(RowProblem(file_name, int(row), "grid_code", "grid_code.invalid",
                                       f"单元网格代码 {code} 无效：{'; '.join(check.reasons)}"))
            bad_rows.add(int(row))
        if geom is None or shapely.is_empty(geom) or shapely.get_type_id(geom) not in (3, 6):
            problems.append(RowProblem(file_name, int(row), "geometry", "grid.geometry_type",
                                       "网格几何应为面（Polygon/MultiPolygon）"))
            bad_rows.add(int(row))
        elif not shapely.is_valid(geom):
            problems.append(RowProblem(file_name, int(row), "geometry", "grid.invalid_geometry",
                                       f"网格几何无效：{shapely.is_valid_reason(geom)}"))
            bad_rows.add(int(row))
    dup = frame["grid_code"].notna() & frame["grid_code"].duplicated(keep=False)
    for row, code in zip(frame.loc[dup, "row_number"], frame.loc[dup, "grid_code"], strict=True):
        problems.append(RowProblem(file_name, int(row), "grid_code", "grid_code.duplicate",
                                   f"单元网格代码 {code} 在文件中重复"))
        bad_rows.add(int(row))
    ok = ~frame["row_number"].isin(bad_rows)
    good = frame[ok].reset_index(drop=True)
    projected = _projected(good["geometry"].to_numpy(), city_lon)
    good["area_m2"] = shapely.area(projected)
    # Overlaps: pairs whose shared area exceeds the tolerance; the later grid (by row) is rejected.
    tree = shapely.STRtree(projected)
    left, right = tree.query(projected, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    overlap_rows: set[int] = set()
    if len(left):
        shared = shapely.area(shapely.intersection(projected[left], projected[right]))
        for a, b, s in zip(left, right, shared, strict=True):
            if s > OVERLAP_TOLERANCE_M2 and int(good.at[b, "row_number"]) not in overlap_rows:
                row = int(good.at[b, "row_number"])
                overlap_rows.add(row)
                problems.append(RowProblem(file_name, row, "geometry", "grid.overlap",
                                           f"与网格 {good.at[a, 'grid_code']}（第 {good.at[a, 'row_number']} 行）"
                                           f"重叠 {s:.0f} 平方米"))
    if existing is not None and len(existing) and len(good):
        overlap_rows |= _overlapping_existing(good, projected, existing, city_lon, file_name, problems, overlap_rows)
    keep = ~good["row_number"].isin(overlap_rows)
    good = good[keep].reset_index(drop=True)
    projected = projected[keep.to_numpy()]
    gaps: list[dict[str, Any]] = []
    for district, idx in good.groupby(good["grid_code"].str.slice(0, 6)).groups.items():
        union = shapely.union_all(projected[np.asarray(idx)])
        polygons = shapely.get_parts(union)
        for polygon in polygons:
            for ring in shapely.get_interior_ring(polygon, range(shapely.get_num_interior_rings(polygon))):
                hole = shapely.polygons(ring)
                area = float(shapely.area(hole))
                if area >= GAP_MIN_M2:
                    centre = shapely.centroid(hole)
                    gaps.append({"district_code": district, "area_m2": round(area, 1),
                                 "x": round(float(shapely.get_x(centre)), 1),
                                 "y": round(float(shapely.get_y(centre)), 1)})
    return good, problems, gaps


def _overlapping_existing(good: pd.DataFrame, projected: np.ndarray, existing: pd.DataFrame, city_lon: float,
                          file_name: str, problems: list[RowProblem], already: set[int]) -> set[int]:
    """Rows of ``good`` sharing more than the tolerance with a current grid of another file; each problem names
    the grids it overlaps and by how much."""
    import shapely

    theirs = _projected(existing["geometry"].to_numpy(), city_lon)
    mine, other = shapely.STRtree(theirs).query(projected, predicate="intersects")
    rows: set[int] = set()
    if not len(mine):
        return rows
    shared = shapely.area(shapely.intersection(projected[mine], theirs[other]))
    found: dict[int, list[str]] = {}
    for m, o, area in zip(mine, other, shared, strict=True):
        if area > OVERLAP_TOLERANCE_M2:
            found.setdefault(int(m), []).append(f"{existing['grid_code'].iat[int(o)]}（{area:.0f} 平方米）")
    for m, codes in sorted(found.items()):
        row = int(good.at[m, "row_number"])
        if row in already:
            continue
        rows.add(row)
        problems.append(RowProblem(file_name, row, "geometry", "grid.overlap_existing",
                                   f"与库中现行网格重叠：{'、'.join(sorted(codes))}；同一地面只能属于一个现行网格，"
                                   "请核对网格边界或先调整原网格"))
    return rows


def read_grid_file(path: Path, config: CensusConfig) -> tuple[pd.DataFrame, str]:
    """(frame with row_number, grid_code, community_name, geometry in EPSG:4490, file CRS)."""
    import shapely

    source = open_source(path, config.zip, max_columns=config.max_columns)
    try:
        if not source.spatial:
            raise InputRejected(f"{source.file_name}: grids must come as GeoPackage, GeoJSON, GeoParquet or zipped "
                                "Shapefile", [RowProblem(source.file_name, 0, "(file)", "file.format",
                                                         "网格文件应为 GeoPackage/GeoJSON/GeoParquet/Shapefile")])
        code_col = _pick(source.columns, CODE_COLUMNS)
        if code_col is None:
            raise InputRejected(
                f"{source.file_name}: no grid code column; expected one of {', '.join(CODE_COLUMNS)}",
                [RowProblem(source.file_name, 0, "grid_code", "mapping.column_missing", "缺少单元网格代码列")])
        name_col = _pick(source.columns, COMMUNITY_NAME_COLUMNS)
        parts = []
        for chunk in source.chunks(config.chunk_rows):
            wkt = chunk["__wkt"].to_numpy(dtype=object)
            geoms = shapely.from_wkt(np.where(pd.isna(wkt), None, wkt))
            parts.append(pd.DataFrame({
                "row_number": chunk["row_number"].to_numpy(),
                "grid_code": chunk[code_col].to_numpy(dtype=object),
                "community_name": chunk[name_col].to_numpy(dtype=object) if name_col else None,
                "geometry": geoms,
            }))
        frame = pd.concat(parts, ignore_index=True)
        crs = source.crs or "EPSG:4490"
    finally:
        source.close()
    from pyproj import CRS, Transformer

    if CRS.from_user_input(crs).to_epsg() != 4490:
        t = Transformer.from_crs(CRS.from_user_input(crs), 4490, always_xy=True)
        frame["geometry"] = shapely.transform(frame["geometry"].to_numpy(),
                                              lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
    return frame, crs


def load_grids(con: Any, wh: Any, path: Path, config: CensusConfig, ctx: Any, valid_from: dt.date) -> GridLoadResult:
    """Land, check and load one grid file in one transaction (re-submitting the same file is a no-op)."""
    import shapely

    from warehouse.accounting import LoadCount, record_load, replace_quarantine
    from warehouse.landing import keep_head_only

    landed = wh.land(con, Path(path), "grids")
    result = GridLoadResult(landed.batch_id, landed.original_name)
    if con.execute("SELECT count(*) FROM landing.load WHERE batch_id = ? AND target = ?",
                   [landed.batch_id, TARGET]).fetchone()[0]:
        result.already_loaded = True
        return result
    try:
        frame, _ = read_grid_file(landed.path, config)
    except InputRejected as exc:
        con.execute("BEGIN TRANSACTION")
        problems = exc.problems or [RowProblem(landed.original_name, 0, "(file)", "file.rejected", str(exc))]
        replace_quarantine(con, landed.batch_id, TARGET, problems)
        record_load(con, LoadCount(landed.batch_id, TARGET, 1, 0, 1), {"rejected": str(exc)})
        con.execute("COMMIT")
        result.rows_in, result.rows_quarantined, result.problems = 1, 1, problems
        result.rejected_message = str(exc)
        keep_head_only(landed)  # refused as a whole: not kept whole in landing
        return result
    current = con.execute("SELECT grid_code, geometry_wkt FROM core.grid WHERE valid_to IS NULL"
                          " AND grid_code NOT IN (SELECT unnest(?::VARCHAR[]))",
                          [[str(c) for c in frame["grid_code"].dropna().unique()]]).fetchall()
    existing = pd.DataFrame({"grid_code": [c for c, _ in current],
                             "geometry": shapely.from_wkt(np.array([w for _, w in current], dtype=object))})
    good, problems, gaps = check_grids(frame, landed.original_name, ctx.areas, ctx.city_lon, existing)
    result.rows_in = len(frame)
    result.problems, result.gaps = problems, gaps
    stage = pd.DataFrame({
        "grid_code": good["grid_code"].astype("str"),
        "community_code": good["grid_code"].str.slice(0, 12),
        "street_code": good["grid_code"].str.slice(0, 9),
        "district_code": good["grid_code"].str.slice(0, 6),
        "area_m2": good["area_m2"].round(1),
        "geometry_wkt": shapely.to_wkt(good["geometry"].to_numpy(), rounding_precision=7),
        "community_name": good["community_name"],
    })
    raw = {int(r): {"grid_code": c} for r, c in zip(frame["row_number"], frame["grid_code"], strict=True)}
    rejected_rows = {p.row_number for p in problems}
    con.register("grid_stage", stage)
    # A changed geometry becomes a new version from valid_from, which must be after the current version's start
    # (the key is (grid_code, valid_from)); otherwise the change would be dropped silently — refuse the file.
    clashes = con.execute(
        "SELECT s.grid_code, c.valid_from FROM grid_stage s JOIN core.grid c ON c.grid_code = s.grid_code"
        " AND c.valid_to IS NULL WHERE c.geometry_wkt <> s.geometry_wkt AND c.valid_from >= ?::DATE"
        " ORDER BY s.grid_code", [valid_from]).fetchall()
    if clashes:
        con.unregister("grid_stage")
        latest = max(f for _, f in clashes)
        shown = ", ".join(f"{g} (from {f})" for g, f in clashes[:5]) + (" …" if len(clashes) > 5 else "")
        raise InputRejected(
            f"{landed.original_name}: {len(clashes)} grid(s) have a new geometry but --valid-from {valid_from} is not"
            f" after the version they have now: {shown}; a changed grid needs a new version, so give a"
            f" --valid-from after {latest}",
            [RowProblem(landed.original_name, 0, "(file)", "grid.valid_from_not_after_current",
                        f"{len(clashes)} 个网格的几何已改变，但生效日期 {valid_from} 不晚于其现行版本的生效日期"
                        f"（最晚 {latest}）；请用晚于该日期的 --valid-from 重新导入")])
    with transaction(con):
        counts = con.execute(
            "SELECT count(*) FILTER (WHERE c.grid_code IS NULL),"
            " count(*) FILTER (WHERE c.grid_code IS NOT NULL AND c.geometry_wkt <> s.geometry_wkt),"
            " count(*) FILTER (WHERE c.geometry_wkt = s.geometry_wkt)"
            " FROM grid_stage s LEFT JOIN core.grid c ON c.grid_code = s.grid_code AND c.valid_to IS NULL"
        ).fetchone()
        result.new, result.changed, result.unchanged = (int(v) for v in counts)
        con.execute(
            "UPDATE core.grid c SET valid_to = ?::DATE - INTERVAL 1 DAY FROM grid_stage s"
            " WHERE c.grid_code = s.grid_code AND c.valid_to IS NULL AND c.geometry_wkt <> s.geometry_wkt"
            " AND c.valid_from < ?::DATE", [valid_from, valid_from])
        con.execute(
            "INSERT INTO core.grid SELECT s.grid_code, s.community_code, s.street_code, s.district_code, s.area_m2,"
            " s.geometry_wkt, ?::DATE, NULL, ? FROM grid_stage s"
            " WHERE NOT EXISTS (SELECT 1 FROM core.grid c WHERE c.grid_code = s.grid_code AND c.valid_to IS NULL)",
            [valid_from, landed.batch_id])
        before = con.execute("SELECT count(*) FROM core.admin_area WHERE level = 'community'").fetchone()[0]
        con.execute(
            "INSERT INTO core.admin_area SELECT community_code, coalesce(any_value(community_name),"
            " '社区' || substr(community_code, 10, 3)), 'community', street_code || '000', ?::DATE, NULL"
            " FROM grid_stage s WHERE NOT EXISTS (SELECT 1 FROM core.admin_area a WHERE a.code = s.community_code"
            " AND a.valid_to IS NULL) GROUP BY community_code, street_code", [valid_from])
        after = con.execute("SELECT count(*) FROM core.admin_area WHERE level = 'community'").fetchone()[0]
        result.communities_added = int(after - before)
        quarantined = replace_quarantine(con, landed.batch_id, TARGET, problems,
                                         {r: raw[r] for r in rejected_rows if r in raw})
        result.rows_quarantined = quarantined
        result.rows_loaded = len(stage)
        record_load(con, LoadCount(landed.batch_id, TARGET, result.rows_in, result.rows_loaded, quarantined),
                    {"new": result.new, "changed": result.changed, "unchanged": result.unchanged,
                     "gaps": len(gaps), "valid_from": str(valid_from)})
        con.unregister("grid_stage")
    return result
