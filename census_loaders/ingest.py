"""Ingest one census batch (one delivered file) — write, audit, then load all valid rows in one transaction.

    read chunks → map + normalise (prepare) → stage in DuckDB → GX suite once per batch (on distinct values)
    → GCJ-02 check → spatial join with the current grids → set/spatial rules (SQL)
    → BEGIN; SCD2 upsert of valid rows (version key kept unique by an anti-join); quarantine; ledger; COMMIT

Rows in = rows loaded + rows quarantined, always. Re-submitting the same file is a no-op (same batch id).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from census_loaders.cityctx import CityContext
from census_loaders.config import CensusConfig
from census_loaders.mapping import choose_mapping
from census_loaders.prepare import STAGE_COLUMNS, PrepareContext, prepare_chunk
from census_loaders.readers import SourceFile, open_source
from szcg.cliutil import Progress
from szcg.errors import InputRejected, RowProblem
from warehouse.transaction import transaction

TARGET = "core.component"
KIND = "census"
# Attributes whose change makes a new version of a component.
VERSIONED = ("subclass_code", "name", "grid_code", "district_code", "owner_department_code",
             "property_department_code", "maintenance_department_code", "state", "round(lon, 7)", "round(lat, 7)",
             "geometry_wkt", "photo", "surveyed_on")


@dataclass
class IngestOptions:
    district_code: str
    mapping_path: Path | None = None
    convert_gcj02: bool = False
    progress: bool = False


@dataclass
class BatchResult:
    batch_id: str
    file_name: str
    district_code: str
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    missing: int = 0
    grids_assigned: int = 0
    already_loaded: bool = False
    rejected_message: str = ""  # the whole file was refused
    encoding: str | None = None
    mapping: str = ""
    crs: str = ""
    gcj02: str = "not detected"
    notes: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    diff: pd.DataFrame | None = None  # change (new/changed/missing), component_id, subclass_code, lon, lat …
    points: pd.DataFrame | None = None  # row_number, lon, lat, ok — for the report's map

    def summary(self) -> dict[str, Any]:
        rules: dict[str, int] = {}
        for p in self.problems:
            rules[p.rule] = rules.get(p.rule, 0) + 1
        return {
            "batch_id": self.batch_id, "file": self.file_name, "district_code": self.district_code,
            "rows_in": self.rows_in, "rows_loaded": self.rows_loaded, "rows_quarantined": self.rows_quarantined,
            "new": self.new, "changed": self.changed, "unchanged": self.unchanged, "missing": self.missing,
            "grids_assigned": self.grids_assigned, "already_loaded": self.already_loaded,
            "rejected": self.rejected_message or None, "encoding": self.encoding, "mapping": self.mapping,
            "crs": self.crs, "gcj02": self.gcj02, "problems_by_rule": dict(sorted(rules.items())),
        }


def _already_loaded(con: Any, batch_id: str) -> bool:
    row = con.execute("SELECT count(*) FROM landing.load WHERE batch_id = ? AND target = ?", [batch_id, TARGET])
    return bool(row.fetchone()[0])


def _options_key(options: IngestOptions) -> dict[str, Any]:
    mapping = None
    if options.mapping_path is not None:
        from warehouse.landing import sha256_of

        mapping = sha256_of(Path(options.mapping_path))[0][:16]
    return {"district_code": options.district_code, "convert_gcj02": options.convert_gcj02, "mapping": mapping}


def _options_changed(con: Any, batch_id: str, options: IngestOptions) -> bool:
    """Same file, different options (e.g. --convert-gcj02 after a GCJ-02 rejection): load it again, replacing
    what the earlier run of this batch wrote — provided no later batch or case has built on it."""
    import json

    detail = con.execute("SELECT detail FROM landing.load WHERE batch_id = ? AND target = ?",
                         [batch_id, TARGET]).fetchone()
    recorded = json.loads(detail[0]) if detail and detail[0] else {}
    if recorded.get("rejected"):
        return True  # refused as a whole last time: the cause may lie outside the file (grids, mapping) — retry
    if recorded.get("options") == _options_key(options):
        return False
    later = con.execute("SELECT count(*) FROM core.component WHERE change_source = ? AND valid_to IS NOT NULL",
                        [batch_id]).fetchone()[0]
    if later:
        raise InputRejected(f"batch {batch_id} was loaded before with other options and {later} of its component "
                            "versions have since been superseded; submit a corrected file instead")
    con.execute("BEGIN TRANSACTION")
    con.execute(
        "UPDATE core.component c SET valid_to = NULL WHERE valid_to IS NOT NULL AND EXISTS (SELECT 1"
        " FROM core.component n WHERE n.component_id = c.component_id AND n.valid_from = c.valid_to"
        " AND n.change_source = ?)", [batch_id])
    con.execute("DELETE FROM core.component WHERE change_source = ?", [batch_id])
    con.execute("COMMIT")
    return True


def _reject_file(con: Any, result: BatchResult, exc: InputRejected, options: IngestOptions) -> BatchResult:
    """A file that cannot be read at all: one quarantine line for the file (row 0), the original kept."""
    from warehouse.accounting import LoadCount, record_load, replace_quarantine

    problems = exc.problems or [RowProblem(result.file_name, 0, "(file)", "file.rejected", str(exc))]
    problems = [p if p.row_number == 0 else RowProblem(p.file, 0, p.field, p.rule, p.message) for p in problems]
    with transaction(con):
        replace_quarantine(con, result.batch_id, TARGET, problems)
        record_load(con, _count(result.batch_id, 1, 0, 1), {"rejected": str(exc), "options": _options_key(options)})
    _ = LoadCount
    result.rows_in, result.rows_quarantined, result.problems = 1, 1, problems
    result.rejected_message = str(exc)
    return result


def _count(batch_id: str, rows_in: int, loaded: int, quarantined: int) -> Any:
    from warehouse.accounting import LoadCount

    return LoadCount(batch_id, TARGET, rows_in, loaded, quarantined)


def ingest_file(con: Any, wh: Any, path: Path, options: IngestOptions, ctx: CityContext,
                config: CensusConfig) -> BatchResult:
    """Land ``path`` and load it as one batch. Raises nothing for bad content: the result says what happened."""
    if options.district_code not in ctx.district_names:
        raise InputRejected(f"district {options.district_code!r} is not a district of {ctx.city_name}; known: "
                            + ", ".join(f"{c} {n}" for c, n in sorted(ctx.district_names.items())))
    landed = wh.land(con, Path(path), KIND)
    result = BatchResult(landed.batch_id, landed.original_name, options.district_code)
    if _already_loaded(con, landed.batch_id) and not _options_changed(con, landed.batch_id, options):
        result.already_loaded = True
        row = con.execute("SELECT rows_in, rows_loaded, rows_quarantined FROM landing.load WHERE batch_id = ?"
                          " AND target = ?", [landed.batch_id, TARGET]).fetchone()
        result.rows_in, result.rows_loaded, result.rows_quarantined = (int(v) for v in row)
        result.notes.append("this file was loaded before (same content): nothing to do")
        return result
    source: SourceFile | None = None
    try:
        mapping_crs = None
        if options.mapping_path is not None:
            mapping_crs = choose_mapping([], options.mapping_path).crs
        source = open_source(landed.path, config.zip, crs_override=mapping_crs)
        source.file_name = landed.original_name
        return _ingest_source(con, source, result, options, ctx, config)
    except InputRejected as exc:
        return _reject_file(con, result, exc, options)
    finally:
        if source is not None:
            source.close()


def _ingest_source(con: Any, source: SourceFile, result: BatchResult, options: IngestOptions, ctx: CityContext,
                   config: CensusConfig) -> BatchResult:
    from quality.census import CensusRules, census_expectations
    from quality.gx import SuiteRunner

    mapping = choose_mapping(source.columns, options.mapping_path)
    columns = mapping.resolve(source.columns, source.file_name)
    if not source.spatial and ("x" not in columns or "y" not in columns):
        raise InputRejected(f"{source.file_name}: no coordinate columns (mapping {mapping.name!r} looks for "
                            f"{'/'.join(mapping.fields.get('x', ()))} and {'/'.join(mapping.fields.get('y', ()))})",
                            [RowProblem(source.file_name, 0, "X/Y", "mapping.column_missing", "缺少坐标列 X/Y")])
    result.encoding, result.mapping = source.encoding, mapping.name
    result.notes += [n for n in source.notes if not n.startswith("__")]
    catalogue = ctx.catalogue
    pctx = PrepareContext(mapping, columns, config, ctx.edition, 6 + catalogue.code_digits + 6,
                          catalogue.code_digits, ctx.city_bounds, mapping.crs or source.crs, source.spatial,
                          ctx.department_codes)
    labels = {target: column for target, column in columns.items()}
    import datetime as dt

    rules = CensusRules(ctx.edition, pctx.id_digits, frozenset(s.code for s in catalogue.components()),
                        options.district_code, tuple(mapping.required), frozenset(config.state_values),
                        config.earliest_date, dt.date.today(), ctx.department_codes)
    runner = SuiteRunner("census", census_expectations(rules, labels))
    problems: list[RowProblem] = []
    raw_records: dict[int, dict[str, Any]] = {}
    con.execute("CREATE OR REPLACE TEMP TABLE stage (row_number BIGINT, component_id VARCHAR, subclass_code VARCHAR,"
                " name VARCHAR, owner_department_code VARCHAR, property_department_code VARCHAR,"
                " maintenance_department_code VARCHAR, grid_code VARCHAR, state VARCHAR, initial_date TIMESTAMP,"
                " change_date TIMESTAMP, valid_from TIMESTAMP, photo VARCHAR, lon DOUBLE, lat DOUBLE,"
                " lon_gcj DOUBLE, lat_gcj DOUBLE, geometry_wkt VARCHAR)")
    progress = Progress(f"census {source.file_name}", enabled=options.progress)
    crs_used: set[str] = set()
    rows_in = 0
    checked_columns = ["row_number", *dict.fromkeys(spec.column for spec in runner.specs)]
    checked: list[pd.DataFrame] = []  # the narrow frame the suite validates, kept for one GX run per batch
    for chunk in source.chunks(config.chunk_rows):
        prepared = prepare_chunk(chunk, pctx)
        crs_used.add(str(prepared.attrs.get("crs_used")))
        checked.append(prepared[checked_columns])
        # The rows as delivered, for the quarantine's raw_record of whichever rows end up rejected. Handed to
        # DuckDB as Arrow: registering pandas string columns would convert every value to a Python object.
        raw_chunk = chunk.drop(columns=[c for c in ("__wkt", "__geom_type") if c in chunk.columns])
        con.register("raw_frame", _arrow(raw_chunk))
        if rows_in == 0:
            con.execute("CREATE OR REPLACE TEMP TABLE raw AS SELECT * FROM raw_frame LIMIT 0")
        con.execute("INSERT INTO raw SELECT * FROM raw_frame")
        con.unregister("raw_frame")
        con.register("stage_frame", _arrow(prepared[list(STAGE_COLUMNS)]))
        con.execute("INSERT INTO stage SELECT * FROM stage_frame")
        con.unregister("stage_frame")
        rows_in += len(chunk)
        progress.advance(len(chunk))
    progress.finish()
    # GX once per batch, on the distinct values of each checked column (mapped back to rows): its fixed cost
    # per call and per expectation is paid once, and on thousands of values instead of a million rows.
    if checked:
        problems += runner.run_by_value(pd.concat(checked, ignore_index=True), source.file_name)
    del checked
    result.rows_in = rows_in
    result.crs = "; ".join(sorted(c for c in crs_used if c and c != "none")) or "none"
    # GCJ-02 and the spatial/set rules need the whole batch and the warehouse.
    batch_gcj02 = False
    if _gcj02_suspected(con, config, result):
        if options.convert_gcj02:
            _fill_gcj02(con, "lon_gcj IS NULL")
            con.execute("UPDATE stage SET lon = lon_gcj, lat = lat_gcj WHERE lon IS NOT NULL")
            result.gcj02 = "detected and converted to CGCS2000 (--convert-gcj02)"
        else:
            batch_gcj02 = True
            result.gcj02 = "detected: batch rejected (re-run with --convert-gcj02 to convert)"
            problems = [RowProblem(source.file_name, int(r), labels.get("x", "X"), "crs.gcj02_suspected",
                                   "坐标疑似为 GCJ-02（网络地图坐标，偏移数百米），整批拒收；"
                                   "请提供 CGCS2000 坐标，或确认后以 --convert-gcj02 重新导入")
                        for (r,) in con.execute("SELECT row_number FROM stage").fetchall()] + problems
    problems += _spatial_rules(con, source.file_name, options.district_code, ctx, config, labels, result,
                               options.convert_gcj02, batch_gcj02)
    return _load(con, source, result, problems, raw_records, options, config, ctx.edition)


def _set_bad_rows(con: Any, bad: set[int]) -> None:
    con.register("bad_frame", pd.DataFrame({"row_number": sorted(bad)}, dtype="int64"))
    con.execute("CREATE OR REPLACE TEMP TABLE bad_rows AS SELECT row_number FROM bad_frame")
    con.unregister("bad_frame")


def _arrow(frame: pd.DataFrame) -> Any:
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)


def _raw_records(con: Any, rows: set[int], raw: dict[int, dict[str, Any]]) -> None:
    """The rejected rows as delivered (from the temp table ``raw``), for the quarantine."""
    if not rows:
        return
    con.register("wanted_rows", pd.DataFrame({"row_number": sorted(rows)}, dtype="int64"))
    picked = con.execute("SELECT * FROM raw SEMI JOIN wanted_rows USING (row_number)").df()
    con.unregister("wanted_rows")
    for record in picked.to_dict("records"):
        row = int(record.pop("row_number"))
        raw[row] = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}


def _fill_gcj02(con: Any, where: str) -> None:
    """Compute lon_gcj/lat_gcj (the position if the delivered one were GCJ-02) for the staged rows ``where``."""
    from census_loaders.crs import gcj02_to_wgs84

    rows = con.execute(f"SELECT row_number, lon, lat FROM stage WHERE lon IS NOT NULL AND ({where})").df()
    if rows.empty:
        return
    rows["lon_gcj"], rows["lat_gcj"] = gcj02_to_wgs84(rows["lon"].to_numpy(), rows["lat"].to_numpy())
    con.register("gcj_fill", rows[["row_number", "lon_gcj", "lat_gcj"]])
    con.execute("UPDATE stage s SET lon_gcj = f.lon_gcj, lat_gcj = f.lat_gcj FROM gcj_fill f"
                " WHERE s.row_number = f.row_number")
    con.unregister("gcj_fill")


def _gcj02_suspected(con: Any, config: CensusConfig, result: BatchResult) -> bool:
    """Compare how many points land in their declared grid (or any grid) as delivered and after undoing GCJ-02."""
    _fill_gcj02(con, "row_number IN (SELECT row_number FROM stage WHERE lon IS NOT NULL ORDER BY row_number"
                     " LIMIT 20000)")
    sample = con.execute(
        "WITH s AS (SELECT row_number, grid_code, lon, lat, lon_gcj, lat_gcj FROM stage WHERE lon IS NOT NULL"
        "  ORDER BY row_number LIMIT 20000),"
        " g AS (SELECT grid_code, ST_GeomFromText(geometry_wkt) AS geom FROM core.grid WHERE valid_to IS NULL),"
        " a AS (SELECT s.row_number, g.grid_code AS hit FROM s JOIN g ON ST_Contains(g.geom, ST_Point(s.lon, s.lat))),"
        " b AS (SELECT s.row_number, g.grid_code AS hit FROM s"
        "  JOIN g ON ST_Contains(g.geom, ST_Point(s.lon_gcj, s.lat_gcj)))"
        " SELECT count(*),"
        "  count(*) FILTER (WHERE a.hit IS NOT NULL AND (s.grid_code IS NULL OR s.grid_code = a.hit)),"
        "  count(*) FILTER (WHERE b.hit IS NOT NULL AND (s.grid_code IS NULL OR s.grid_code = b.hit))"
        " FROM s LEFT JOIN a USING (row_number) LEFT JOIN b USING (row_number)"
    ).fetchone()
    n, as_is, undone = (int(v) for v in sample)
    if n < config.gcj02_min_points:
        return False
    improvement = (undone - as_is) / n
    result.notes.append(f"GCJ-02 check on {n} points: {as_is} in their grid as delivered, {undone} after undoing "
                        f"GCJ-02")
    return improvement >= config.gcj02_min_improvement


def _locate(con: Any, city_wkt: str, district_wkt: str, district: str) -> None:
    """loc: per staged point, the grid and district it lies in, and whether it is inside the city/district.

    Grids lie inside their district, so only points outside every grid of the declared district are tested
    against the (large, detailed) district and city boundaries."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE loc AS"
        " WITH p AS (SELECT row_number, ST_Point(lon, lat) AS pt FROM stage WHERE lon IS NOT NULL),"
        " hit AS (SELECT p.row_number, any_value(g.grid_code) AS located_grid,"
        "  any_value(g.district_code) AS grid_district FROM p"
        "  JOIN current_grid g ON ST_Contains(g.geom, p.pt) GROUP BY p.row_number),"
        " odd AS (SELECT p.* FROM p LEFT JOIN hit USING (row_number) WHERE hit.grid_district IS DISTINCT FROM $d),"
        " dist AS (SELECT odd.row_number, any_value(d.code) AS point_district FROM odd"
        "  JOIN district_shape d ON ST_Contains(d.geom, odd.pt) GROUP BY odd.row_number),"
        " odd_loc AS (SELECT odd.row_number, dist.point_district,"
        "  ST_Contains(ST_GeomFromText($city::VARCHAR), odd.pt) AS in_city,"
        "  ST_Contains(ST_GeomFromText($district::VARCHAR), odd.pt) AS in_district"
        "  FROM odd LEFT JOIN dist USING (row_number))"
        " SELECT p.row_number, hit.located_grid, coalesce(o.point_district, $d) AS point_district,"
        "  coalesce(o.in_city, true) AS in_city, coalesce(o.in_district, true) AS in_district"
        " FROM p LEFT JOIN hit USING (row_number) LEFT JOIN odd_loc o USING (row_number)",
        {"city": city_wkt, "district": district_wkt, "d": district})


def _spatial_rules(con: Any, file_name: str, district: str, ctx: CityContext, config: CensusConfig,
                   labels: dict[str, str], result: BatchResult, convert_gcj02: bool,
                   batch_gcj02: bool) -> list[RowProblem]:
    from quality.census import census_sql_rules

    city_wkt = ctx.city_wkt()
    district_wkt = ctx.district_wkt(district)
    if city_wkt is None or district_wkt is None:
        raise InputRejected(f"no boundary for city {ctx.city_code} or district {district} in the city's geometry "
                            "file; cannot check locations")
    grids = con.execute("SELECT count(*) FROM core.grid WHERE valid_to IS NULL AND district_code = ?",
                        [district]).fetchone()[0]
    if not grids:
        raise InputRejected(f"no unit grids loaded for district {district}; run `szcg grids load` first",
                            [RowProblem(file_name, 0, "(file)", "grid.none_loaded",
                                        f"区县 {district} 尚未导入单元网格，请先执行 szcg grids load")])
    con.execute("CREATE OR REPLACE TEMP TABLE current_grid AS SELECT grid_code, district_code,"
                " ST_GeomFromText(geometry_wkt) AS geom FROM core.grid WHERE valid_to IS NULL")
    districts = [(c, ctx.district_wkt(c)) for c in ctx.district_names]
    con.execute("CREATE OR REPLACE TEMP TABLE district_shape (code VARCHAR, geom GEOMETRY)")
    con.executemany("INSERT INTO district_shape VALUES (?, ST_GeomFromText(?::VARCHAR))",
                    [[c, w] for c, w in districts if w is not None])
    _locate(con, city_wkt, district_wkt, district)
    _fill_gcj02(con, "lon_gcj IS NULL AND grid_code IS NOT NULL AND row_number NOT IN (SELECT row_number FROM loc"
                     " WHERE located_grid IS NOT DISTINCT FROM stage.grid_code)")
    # Single rows copied from a web map: off their declared grid as delivered, inside it once GCJ-02 is undone.
    gcj_rows = [int(r) for (r,) in con.execute(
        "SELECT s.row_number FROM stage s JOIN loc l USING (row_number) JOIN current_grid g"
        " ON g.grid_code = s.grid_code WHERE l.located_grid IS DISTINCT FROM s.grid_code"
        " AND ST_Contains(g.geom, ST_Point(s.lon_gcj, s.lat_gcj))").fetchall()]
    problems: list[RowProblem] = []
    if gcj_rows and convert_gcj02:
        con.register("gcj_rows", pd.DataFrame({"row_number": gcj_rows}))
        con.execute("UPDATE stage SET lon = lon_gcj, lat = lat_gcj WHERE row_number IN (SELECT * FROM gcj_rows)")
        con.unregister("gcj_rows")
        _locate(con, city_wkt, district_wkt, district)
        result.notes.append(f"{len(gcj_rows)} rows in GCJ-02 converted to CGCS2000 (--convert-gcj02)")
    elif gcj_rows and not batch_gcj02:
        problems += [RowProblem(file_name, r, labels.get("x", "X"), "crs.gcj02_suspected",
                                "坐标疑似为 GCJ-02（网络地图坐标）：按 GCJ-02 还原后恰好落在所报网格内；"
                                "请改用 CGCS2000 坐标，或确认后以 --convert-gcj02 重新导入") for r in gcj_rows]
    result.grids_assigned = int(con.execute(
        "SELECT count(*) FROM stage s JOIN loc l USING (row_number) WHERE s.grid_code IS NULL"
        " AND l.located_grid IS NOT NULL").fetchone()[0])
    mx = 111_320.0 * math.cos(math.radians(ctx.city_lat))
    skip = set() if convert_gcj02 else set(gcj_rows)
    for rule in census_sql_rules(config.duplicate_distance_m, config.same_component_max_move_m, mx):
        params = {k: v for k, v in {"district": district, "batch": result.batch_id}.items() if f"${k}" in rule.sql}
        for row, message in con.execute(rule.sql, params).fetchall():
            if row in skip and rule.rule.startswith(("grid.", "location.")):
                continue  # one reason is enough: the GCJ-02 offset explains the wrong grid
            problems.append(RowProblem(file_name, int(row), labels.get(rule.field, rule.field), rule.rule,
                                       str(message)))
        if rule.rule == "grid.not_found":
            # Declared grid missing: assign the grid the point lies in (after the mismatch rules ran).
            con.execute("UPDATE stage s SET grid_code = l.located_grid FROM loc l WHERE s.row_number = l.row_number"
                        " AND s.grid_code IS NULL AND l.located_grid IS NOT NULL")
    return problems


def _load(con: Any, source: SourceFile, result: BatchResult, problems: list[RowProblem],
          raw_records: dict[int, dict[str, Any]], options: IngestOptions, config: CensusConfig,
          edition: str) -> BatchResult:
    from warehouse.accounting import record_load, replace_quarantine

    bad = {p.row_number for p in problems}
    _set_bad_rows(con, bad)
    # A view, not a copy of a million staged rows: what is valid follows the table of bad rows as it grows.
    district_literal = options.district_code.replace("'", "''")
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW valid AS SELECT s.*, '{district_literal}' AS district_code,"
        " s.initial_date::DATE AS surveyed_on FROM stage s ANTI JOIN bad_rows b USING (row_number)")
    diff_select = (
        "WITH cur AS (SELECT * FROM core.component WHERE valid_to IS NULL),"
        " v AS (SELECT * FROM valid)"
        " SELECT CASE WHEN c.component_id IS NULL THEN 'new'"
        "  WHEN md5(concat_ws('|', " + ", ".join(f"v.{a}" if "(" not in a else a.replace("(", "(v.")
                                                 for a in VERSIONED) + "))"
        "   <> md5(concat_ws('|', " + ", ".join(f"c.{a}" if "(" not in a else a.replace("(", "(c.")
                                                for a in VERSIONED) + ")) THEN 'changed'"
        "  ELSE 'unchanged' END AS change, v.row_number, v.component_id, v.subclass_code, v.name, v.grid_code,"
        "  v.state, c.state AS previous_state, v.lon, v.lat, v.valid_from, c.valid_from AS current_from,"
        "  c.change_source AS current_source"
        " FROM v LEFT JOIN cur c USING (component_id)")
    # The diff stays in DuckDB; only what the report lists (new and changed rows) comes back to pandas.
    con.execute("CREATE OR REPLACE TEMP TABLE diff AS " + diff_select)
    diff = con.execute("SELECT * FROM diff WHERE change <> 'unchanged' ORDER BY row_number").df()
    # A changed component whose survey date is not after the version we hold: stale, not a change.
    stale = diff[(diff["change"] == "changed") & (diff["valid_from"] <= diff["current_from"])]
    for row in stale.itertuples():
        problems.append(RowProblem(
            result.file_name, int(row.row_number), "CHDATE", "date.stale",
            f"变更日期 {str(row.valid_from)[:10]} 不晚于库中现有版本（{str(row.current_from)[:10]}，来自 "
            f"{row.current_source}），但属性不同；请填写新的变更日期"))
    # core.component has no primary key (migration 0070): the version key (component_id, valid_from) is kept
    # unique here, by an anti-join of what would be written against what is there (plus the publish audit).
    taken = con.execute(
        "SELECT v.row_number, v.valid_from, c.change_source FROM valid v"
        " SEMI JOIN (SELECT row_number FROM diff WHERE change <> 'unchanged') w USING (row_number)"
        " JOIN core.component c ON c.component_id = v.component_id AND c.valid_from = v.valid_from").fetchall()
    stale_rows = set(int(r) for r in stale["row_number"])
    for row_number, valid_from, source in taken:
        if int(row_number) in stale_rows:
            continue  # already explained as stale
        problems.append(RowProblem(
            result.file_name, int(row_number), "CHDATE", "date.version_exists",
            f"库中已有该部件起始于 {str(valid_from)[:10]} 的版本（来自 {source}），同一日期不能再有第二个版本；"
            "请填写新的变更日期"))
        stale_rows.add(int(row_number))
    if stale_rows:
        bad |= stale_rows
        _set_bad_rows(con, bad)
        con.execute("DELETE FROM diff WHERE row_number IN (SELECT row_number FROM bad_rows)")
        diff = diff[~diff["row_number"].isin(bad)]
    _raw_records(con, bad, raw_records)
    missing = con.execute(
        "SELECT 'missing' AS change, NULL::BIGINT AS row_number, c.component_id, c.subclass_code, c.name,"
        " c.grid_code, NULL AS state, c.state AS previous_state, c.lon, c.lat"
        " FROM core.component c WHERE c.valid_to IS NULL AND c.district_code = ?"
        " AND c.grid_code IN (SELECT DISTINCT grid_code FROM valid WHERE grid_code IS NOT NULL)"
        " AND c.component_id NOT IN (SELECT component_id FROM valid)", [options.district_code]).df()
    result.new = int((diff["change"] == "new").sum())
    result.changed = int((diff["change"] == "changed").sum())
    result.unchanged = int(con.execute("SELECT count(*) FROM diff WHERE change = 'unchanged'").fetchone()[0])
    result.missing = len(missing)
    frames = [f for f in (diff, missing) if len(f)]
    result.diff = pd.concat(frames, ignore_index=True) if frames else diff.iloc[0:0]
    result.points = con.execute(
        "SELECT row_number, lon, lat, row_number NOT IN (SELECT row_number FROM bad_rows) AS ok FROM stage"
        " WHERE lon IS NOT NULL").df()
    written = "SELECT row_number FROM diff WHERE change <> 'unchanged'"
    with transaction(con):
        if result.changed:
            con.execute(
                "UPDATE core.component c SET valid_to = v.valid_from FROM valid v"
                " WHERE c.component_id = v.component_id AND c.valid_to IS NULL"
                f" AND v.row_number IN ({written})")
        con.execute(
            "INSERT INTO core.component SELECT component_id, ?, subclass_code, name, grid_code, district_code,"
            " owner_department_code, property_department_code, maintenance_department_code, state, lon, lat,"
            f" geometry_wkt, surveyed_on, photo, valid_from, NULL, ? FROM valid WHERE row_number IN ({written})",
            [edition, result.batch_id])
        quarantined = replace_quarantine(con, result.batch_id, TARGET, problems, raw_records)
        loaded = result.rows_in - quarantined
        record_load(con, _count(result.batch_id, result.rows_in, loaded, quarantined), {
            "district_code": options.district_code, "new": result.new, "changed": result.changed,
            "unchanged": result.unchanged, "missing": result.missing, "encoding": result.encoding,
            "mapping": result.mapping, "crs": result.crs, "gcj02": result.gcj02, "options": _options_key(options)})
    result.rows_loaded, result.rows_quarantined = loaded, quarantined
    result.problems = sorted(problems, key=lambda p: (p.row_number, p.field, p.rule))
    return result

