"""Ingest one census batch (one delivered file) — write, audit, then load all valid rows in one transaction.

    land → map + normalise in SQL (``stage``: CSV read by DuckDB itself straight into it, other formats through the
    temp table ``raw``)
    → GX suite once per batch on small value frames built in SQL → grid of each point (declared grid first,
    spatial join for the rest) → GCJ-02 checks → set/spatial rules (SQL)
    → BEGIN; SCD2 upsert of valid rows (version key kept unique by an anti-join); quarantine; ledger; COMMIT

No row passes through pandas; Python sees the problems, the rejected rows and the report's Arrow tables.
Rows in = rows loaded + rows quarantined, always. Re-submitting the same file is a no-op (same batch id).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from census_loaders.cityctx import CityContext
from census_loaders.config import CensusConfig
from census_loaders.mapping import Mapping, choose_mapping
from census_loaders.prepare import (
    PrepareContext,
    checks_view_sql,
    create_stage,
    define_macros,
    delivered_record_sql,
    finish_coordinates,
)
from census_loaders.readers import SourceFile, open_source, read_rows
from szcg.clock import today as today_in_china
from szcg.errors import InputRejected, RowProblem
from szcg.logs import Progress
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
    # The report's tables (the diff against the inventory, the points for its map) are a million rows fetched for
    # a report; without them the counts (new, changed, unchanged, missing) are the same.
    report_tables: bool = True


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
    # As Arrow tables (a million rows cost little there); `diff` and `points` give them as DataFrames.
    diff_table: Any = None  # change (new/changed/missing), row_number, component_id, subclass_code, lon, lat …
    points_table: Any = None  # row_number, lon, lat, ok — for the report's map
    timings: dict[str, float] = field(default_factory=dict)  # seconds per ingest step

    @functools.cached_property
    def diff(self) -> pd.DataFrame | None:
        """New and changed rows in row order, then the missing components."""
        if self.diff_table is None:
            return None
        return self.diff_table.sort_by([("row_number", "ascending", "at_end")]).to_pandas()

    @functools.cached_property
    def points(self) -> pd.DataFrame | None:
        return None if self.points_table is None else self.points_table.to_pandas()

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
    from warehouse.landing import copy_for_landing

    if options.district_code not in ctx.district_names:
        raise InputRejected(f"district {options.district_code!r} is not a district of {ctx.city_name}; known: "
                            + ", ".join(f"{c} {n}" for c, n in sorted(ctx.district_names.items())))
    source_path = Path(path)
    timings: dict[str, float] = {}
    clock = _Clock(timings)
    # Landing — the copy kept and the SHA-256 of that copy, single-threaded (≈ 0.15 CPU-s for 134 MiB, mostly the
    # hash, which releases the GIL) — runs on a thread while DuckDB reads the file itself: the batch id is only
    # needed once the rows are staged. The rows loaded are the bytes kept: landing refuses a source whose size or
    # modification time moves during its copy, and :func:`_register` refuses one that moved during the read.
    before = _stat(source_path)
    source: SourceFile | None = None
    result: BatchResult | None = None
    read = _Read()
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="szcg-land") as pool:
            copying = pool.submit(copy_for_landing, wh.settings.landing_dir, source_path, KIND)
            try:
                mapping_crs = None
                if options.mapping_path is not None:
                    mapping_crs = choose_mapping([], options.mapping_path).crs
                source = open_source(source_path, config.zip, crs_override=mapping_crs,
                                     max_columns=config.max_columns)
                _read_source(con, source, options, ctx, config, read)
            except InputRejected as exc:
                read.rejected = exc
            except BaseException:
                _register(con, wh, copying, source_path, before, keep_on_failure=True)
                raise
            landed = _register(con, wh, copying, source_path, before)
        clock.lap("read")
        result = BatchResult(landed.batch_id, landed.original_name, options.district_code, timings=timings)
        # (a batch superseded since raises here, as it did before anything was read)
        if _already_loaded(con, landed.batch_id) and not _options_changed(con, landed.batch_id, options):
            result.already_loaded = True
            row = con.execute("SELECT rows_in, rows_loaded, rows_quarantined FROM landing.load WHERE batch_id = ?"
                              " AND target = ?", [landed.batch_id, TARGET]).fetchone()
            result.rows_in, result.rows_loaded, result.rows_quarantined = (int(v) for v in row)
            result.notes.append("this file was loaded before (same content): not loaded again")
            return result
        try:
            if source is not None:
                source.file_name = landed.original_name
            result.mapping = read.mapping.name if read.mapping is not None else ""
            if read.rejected is not None:
                raise read.rejected
            assert source is not None and read.mapping is not None
            result.rows_in = read.rows
            # the encoding is settled once every byte has been read (a CSV's head may only have said UTF-8)
            result.encoding = source.encoding
            result.notes += [n for n in source.notes if not n.startswith("__")]
            return _ingest_source(con, source, read, result, options, ctx, config, clock)
        except InputRejected as exc:
            if source is not None and source.encoding_checked:
                result.encoding = source.encoding
            return _reject_file(con, result, exc, options)
    finally:  # the source is closed once, whichever way the batch ends
        if source is not None:
            source.close()
        if result is not None and result.rejected_message:
            _keep_head(landed, result)


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None  # landing says what is wrong with the path
    return info.st_size, info.st_mtime_ns


def _register(con: Any, wh: Any, copying: Any, source_path: Path, before: tuple[int, int] | None,
              keep_on_failure: bool = False) -> Any:
    """The copy made on the landing thread, registered (its batch id is the hash of the bytes kept) — or refused
    when the source changed while it was copied or read. ``keep_on_failure``: the read failed unexpectedly; the
    file stays landed as it did when landing came first, and a failed copy is not the error to report."""
    from warehouse.landing import discard_copy, register_copy

    if keep_on_failure:
        try:
            copied = copying.result()
        except Exception:
            return None
        return register_copy(con, wh.settings.landing_dir, copied)
    copied = copying.result()  # landing's own refusals (no such file, a directory, changed during the copy)
    if _stat(source_path) != before:
        discard_copy(copied)
        raise OSError(f"{source_path}: changed while being landed; submit it again")
    return register_copy(con, wh.settings.landing_dir, copied)


def _keep_head(landed: Any, result: BatchResult) -> None:
    """A file refused as a whole is not kept whole in landing (see warehouse.landing.keep_head_only)."""
    from warehouse.landing import keep_head_only

    kept = keep_head_only(landed)
    if kept < landed.size_bytes:
        result.notes.append(f"landing keeps the first {kept} of its {landed.size_bytes} bytes (refused as a whole)")


@dataclass
class _Read:
    """A delivered file read into DuckDB's temp table ``stage`` (before its landing is registered)."""

    mapping: Mapping | None = None
    columns: dict[str, str] = field(default_factory=dict)  # target -> source column
    prepare: PrepareContext | None = None
    rows: int = 0
    rejected: InputRejected | None = None  # the file refused as a whole


def _read_source(con: Any, source: SourceFile, options: IngestOptions, ctx: CityContext, config: CensusConfig,
                 read: _Read) -> None:
    """Choose the mapping, check its columns and stage the rows, mapped and normalised in one statement, in
    ``stage`` (UTF-8/GBK CSV read by DuckDB itself inside that statement; other formats in bounded chunks through
    ``raw``). No row passes through pandas."""
    mapping = choose_mapping(source.columns, options.mapping_path)
    columns = mapping.resolve(source.columns, source.file_name)
    if not source.spatial and ("x" not in columns or "y" not in columns):
        raise InputRejected(f"{source.file_name}: no coordinate columns (mapping {mapping.name!r} looks for "
                            f"{'/'.join(mapping.fields.get('x', ()))} and {'/'.join(mapping.fields.get('y', ()))})",
                            [RowProblem(source.file_name, 0, "X/Y", "mapping.column_missing", "缺少坐标列 X/Y")])
    read.mapping, read.columns = mapping, columns
    catalogue = ctx.catalogue
    pctx = PrepareContext(mapping, columns, config, ctx.edition, 6 + catalogue.code_digits + 6,
                          catalogue.code_digits, ctx.city_bounds, mapping.crs or source.crs, source.spatial,
                          ctx.department_codes)
    read.prepare = pctx
    define_macros(con)

    progress = Progress(f"census {source.file_name}", enabled=options.progress)
    read.rows = read_rows(source, con, config.chunk_rows,
                          lambda relation, params: create_stage(con, pctx, source.columns, relation, params),
                          progress.advance)
    con.execute("DROP TABLE IF EXISTS raw")  # chunked formats: stage keeps what the quarantine needs of it
    progress.finish()


def _ingest_source(con: Any, source: SourceFile, read: _Read, result: BatchResult, options: IngestOptions,
                   ctx: CityContext, config: CensusConfig, clock: _Clock) -> BatchResult:
    from quality.census import CensusRules, census_expectations, rows_failing, suite_values
    from quality.gx import SuiteRunner

    assert read.mapping is not None and read.prepare is not None
    mapping, columns, pctx = read.mapping, read.columns, read.prepare
    catalogue = ctx.catalogue
    labels = {target: column for target, column in columns.items()}
    rules = CensusRules(ctx.edition, pctx.id_digits, frozenset(s.code for s in catalogue.components()),
                        options.district_code, tuple(mapping.required), frozenset(config.state_values),
                        config.earliest_date, today_in_china(), ctx.department_codes)
    runner = SuiteRunner("census", census_expectations(rules, labels))
    result.crs = finish_coordinates(con, pctx)
    con.execute(checks_view_sql(pctx))
    clock.lap("prepare")
    # GX once per batch, on small frames of values built in SQL; its verdicts are mapped back to rows in SQL. GX is
    # Python: it runs on a thread of its own while DuckDB (which releases the GIL) locates the points.
    values = suite_values(con, runner, "stage_checks")
    clock.lap("suite values")
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="szcg-gx") as pool:
        verdicts = pool.submit(runner.failing_values, values)

        def suite_problems() -> list[RowProblem]:
            return rows_failing(con, runner, verdicts.result(), "stage_checks", source.file_name)

        # GCJ-02 and the spatial/set rules need the whole batch and the warehouse.
        _current_grid(con)
        problems = _spatial_rules(con, source.file_name, options.district_code, ctx, config, labels, result,
                                  options.convert_gcj02, suite_problems, clock)
    return _load(con, delivered_record_sql(pctx, source.columns), result, problems, options, ctx.edition, clock)


class _Clock:
    """Seconds per step of the ingest, kept in the result's ``timings`` (the benchmark reports them)."""

    def __init__(self, timings: dict[str, float]) -> None:
        import time

        self._time = time.perf_counter
        self._last = self._time()
        self._timings = timings

    def lap(self, step: str) -> None:
        now = self._time()
        self._timings[step] = round(self._timings.get(step, 0.0) + now - self._last, 3)
        self._last = now


def _set_bad_rows(con: Any, bad: set[int]) -> None:
    con.register("bad_frame", pd.DataFrame({"row_number": sorted(bad)}, dtype="int64"))
    con.execute("CREATE OR REPLACE TEMP TABLE bad_rows AS SELECT row_number FROM bad_frame")
    con.unregister("bad_frame")


def _set_valid(con: Any, bad: set[int], district_code: str) -> None:
    """The table ``bad_rows`` and the view ``valid`` (the staged rows not rejected) — a view, not a copy of a
    million staged rows. A few bad rows are left out by a list of constants: an anti-join makes the load's
    INSERT about a third slower."""
    _set_bad_rows(con, bad)
    # A view takes no bound parameters: the district is a session variable the view reads (never spliced text).
    con.execute("SET VARIABLE census_district = CAST($1 AS VARCHAR)", [district_code])
    # the row numbers are ints of our own (typed and formatted by int()), not input text
    leave_out = (" ANTI JOIN bad_rows b USING (row_number)" if len(bad) > 1000 else
                 f" WHERE s.row_number NOT IN ({', '.join(str(int(r)) for r in sorted(bad))})" if bad else "")
    con.execute("CREATE OR REPLACE TEMP VIEW valid AS SELECT s.*, getvariable('census_district') AS district_code,"
                f" s.initial_date::DATE AS surveyed_on FROM stage s{leave_out}")


def _raw_records(con: Any, delivered: list[tuple[str, str]], rows: set[int]) -> dict[int, dict[str, Any]]:
    """The rejected rows as delivered, for the quarantine, keyed by the file's own column names: rebuilt from what
    ``stage`` keeps of them (``delivered``: label and SQL of each column, :func:`delivered_record_sql`). ``stage``
    is in file order and nothing has left it yet: row number = rowid + 1."""
    if not rows:
        return {}
    columns = ", ".join(sql for _, sql in delivered)
    if len(rows) <= 64:  # one row id per lookup: DuckDB fetches each row without scanning the table
        picked = con.execute(" UNION ALL ".join(f"SELECT rowid + 1 AS row_number, {columns} FROM stage"
                                                f" WHERE rowid = {int(r) - 1}" for r in sorted(rows))).fetchall()
    else:  # one scan of the staged rows
        con.register("wanted_rows", pd.DataFrame({"row_number": sorted(rows)}, dtype="int64"))
        picked = con.execute(f"SELECT rowid + 1 AS row_number, {columns} FROM stage WHERE rowid + 1 IN"
                             " (SELECT row_number FROM wanted_rows)").fetchall()
        con.unregister("wanted_rows")
    labels = [label for label, _ in delivered]
    records: dict[int, dict[str, Any]] = {}
    for row, *values in picked:
        # the geometry as delivered stays with a line, polygon or MultiPoint (every point of it accounted for)
        records[int(row)] = {label: (None if isinstance(v, float) and math.isnan(v) else v)
                             for label, v in zip(labels, values, strict=True)
                             if not (label == "__wkt" and v is None)}
    return records


def _fill_gcj02(con: Any, rows_sql: str) -> None:
    """Add to temp table ``gcj`` the position each row of ``rows_sql`` (row_number, lon, lat) would have if the
    delivered one were GCJ-02 — for the rows not there yet."""
    from standards.gcj02 import gcj02_to_wgs84

    rows = con.execute(f"SELECT r.row_number, r.lon, r.lat FROM ({rows_sql}) r ANTI JOIN gcj USING (row_number)"
                       ).fetchnumpy()
    if not len(rows["row_number"]):
        return
    lon, lat = gcj02_to_wgs84(np.asarray(rows["lon"], dtype=float), np.asarray(rows["lat"], dtype=float))
    con.register("gcj_fill", pd.DataFrame({"row_number": np.asarray(rows["row_number"], dtype=np.int64),
                                           "lon_gcj": lon, "lat_gcj": lat}))
    con.execute("INSERT INTO gcj SELECT row_number, lon_gcj, lat_gcj FROM gcj_fill")
    con.unregister("gcj_fill")


# The first 20,000 located points with the grid each lies in as delivered (a point missing from ``loc`` lies in its
# declared grid).
_GCJ02_SAMPLE = ("SELECT s.row_number, s.grid_code, s.lon, s.lat,"
                 " CASE WHEN l.row_number IS NULL THEN s.grid_code ELSE l.located_grid END AS located_grid"
                 " FROM (SELECT row_number, grid_code, lon, lat FROM stage WHERE lon IS NOT NULL"
                 " ORDER BY row_number LIMIT 20000) s LEFT JOIN loc l USING (row_number)")


def _gcj02_suspected(con: Any, config: CensusConfig, result: BatchResult) -> bool:
    """Compare how many points land in their declared grid (or any grid) as delivered and after undoing GCJ-02,
    on the first 20,000 located points (``loc`` has the as-delivered answer)."""
    _fill_gcj02(con, _GCJ02_SAMPLE)
    sample = con.execute(
        f"WITH s AS (SELECT s.*, g.lon_gcj, g.lat_gcj FROM ({_GCJ02_SAMPLE}) s JOIN gcj g USING (row_number)),"
        # Undone and inside the declared grid; or, without a declared grid, inside any grid.
        " own AS (SELECT s.row_number FROM s JOIN current_grid c ON c.grid_code = s.grid_code"
        "  WHERE core.point_in_grid(c.geom, s.lon_gcj, s.lat_gcj)),"
        " free AS (SELECT DISTINCT s.row_number FROM s JOIN current_grid c"
        "  ON core.point_in_grid(c.geom, s.lon_gcj, s.lat_gcj) WHERE s.grid_code IS NULL)"
        " SELECT count(*),"
        "  count(*) FILTER (WHERE located_grid IS NOT NULL AND (grid_code IS NULL OR grid_code = located_grid)),"
        "  (SELECT count(*) FROM own) + (SELECT count(*) FROM free) FROM s"
    ).fetchone()
    n, as_is, undone = (int(v) for v in sample)
    if n < config.gcj02_min_points:
        return False
    improvement = (undone - as_is) / n
    result.notes.append(f"GCJ-02 check on {n} points: {as_is} in their grid as delivered, {undone} after undoing "
                        f"GCJ-02")
    return improvement >= config.gcj02_min_improvement


def _locate(con: Any, city_wkt: str, district_wkt: str, district: str) -> None:
    """loc: the staged points that are not simply inside their declared grid of the batch's district — each with its
    declared grid and position, the grid and district it lies in, and whether it is inside the city/district. The
    usual point needs no row (every rule and count reads ``loc`` for the exceptions only), which spares writing a
    million rows that say "as declared".

    A point is first tested against the grid it declares (an equi-join: the usual case, no spatial index needed);
    only the points outside it go through the spatial join with every grid. Grids do not overlap beyond the grid
    load's sliver tolerance (1 m²), so this finds the grid the spatial join finds; a point in such a sliver gets
    its declared grid. The point-in-grid rule is the warehouse's (the macros core.point_in_grid and core.grid_at,
    warehouse/models/core/): grids are closed, so a point on the edge between two grids gets its declared one, or
    without one the smaller code — the grid a case at the same point is placed in. Grids lie inside their district,
    so only points outside every grid of the declared district are tested against the (large, detailed) district
    and city boundaries."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE loc AS SELECT row_number, grid_code, lon, lat,"
        " CASE WHEN inside THEN own_grid END AS located_grid,"
        " CASE WHEN inside THEN own_district END AS grid_district,"
        " $d AS point_district, true AS in_city, true AS in_district"
        " FROM (SELECT s.row_number, s.grid_code, s.lon, s.lat, g.grid_code AS own_grid,"
        "  g.district_code AS own_district, core.point_in_grid(g.geom, s.lon, s.lat) AS inside"
        "  FROM stage s LEFT JOIN current_grid g ON g.grid_code = s.grid_code WHERE s.lon IS NOT NULL)"
        " WHERE inside IS NOT TRUE OR own_district IS DISTINCT FROM $d",
        {"d": district})
    if con.execute("SELECT count(*) FROM loc WHERE located_grid IS NULL").fetchone()[0]:
        con.execute("CREATE OR REPLACE TEMP VIEW unplaced AS SELECT row_number AS k, lon, lat FROM loc"
                    " WHERE located_grid IS NULL")
        con.execute("UPDATE loc SET located_grid = h.grid_code, grid_district = h.district_code"
                    " FROM core.grid_at('unplaced') h WHERE loc.row_number = h.k")
    if con.execute("SELECT count(*) FROM loc WHERE grid_district IS DISTINCT FROM ?", [district]).fetchone()[0]:
        con.execute(
            "UPDATE loc SET point_district = coalesce(o.point_district, $d), in_city = o.in_city,"
            " in_district = o.in_district FROM (SELECT odd.row_number, dist.point_district,"
            "  ST_Intersects(ST_GeomFromText($city::VARCHAR), odd.pt) AS in_city,"
            "  ST_Intersects(ST_GeomFromText($district::VARCHAR), odd.pt) AS in_district"
            "  FROM (SELECT row_number, ST_Point(lon, lat) AS pt FROM loc WHERE grid_district IS DISTINCT FROM $d) odd"
            "  LEFT JOIN (SELECT l.row_number, min(d.code) AS point_district FROM loc l JOIN district_shape d"
            "   ON ST_Intersects(d.geom, ST_Point(l.lon, l.lat)) WHERE l.grid_district IS DISTINCT FROM $d"
            "   GROUP BY l.row_number) dist USING (row_number)) o"
            " WHERE loc.row_number = o.row_number",
            {"city": city_wkt, "district": district_wkt, "d": district})


def _current_grid(con: Any) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE current_grid AS SELECT grid_code, district_code,"
                " ST_GeomFromText(geometry_wkt) AS geom FROM core.grid WHERE valid_to IS NULL")


def _spatial_rules(con: Any, file_name: str, district: str, ctx: CityContext, config: CensusConfig,
                   labels: dict[str, str], result: BatchResult, convert_gcj02: bool,
                   suite_problems: Callable[[], list[RowProblem]], clock: _Clock) -> list[RowProblem]:
    """GCJ-02 checks (whole batch, then single rows), grid assignment and the set/spatial rules; returns their
    problems after those of the expectation suite (``suite_problems``, called once the points are located and
    before anything changes the staged rows)."""
    from quality.census import census_sql_rules

    city_wkt = ctx.city_wkt()
    district_wkt = ctx.district_wkt(district)
    if city_wkt is None or district_wkt is None:
        raise InputRejected(f"no boundary for city {ctx.city_code} or district {district} in the city's geometry "
                            "file; cannot check locations")
    grids = con.execute("SELECT count(*) FROM current_grid WHERE district_code = ?", [district]).fetchone()[0]
    if not grids:
        raise InputRejected(f"no unit grids loaded for district {district}; run `szcg grids load` first",
                            [RowProblem(file_name, 0, "(file)", "grid.none_loaded",
                                        f"区县 {district} 尚未导入单元网格，请先执行 szcg grids load")])
    districts = [(c, ctx.district_wkt(c)) for c in ctx.district_names]
    con.execute("CREATE OR REPLACE TEMP TABLE district_shape (code VARCHAR, geom GEOMETRY)")
    con.executemany("INSERT INTO district_shape VALUES (?, ST_GeomFromText(?::VARCHAR))",
                    [[c, w] for c, w in districts if w is not None])
    _locate(con, city_wkt, district_wkt, district)
    clock.lap("locate")
    problems = suite_problems()
    clock.lap("suite rows")
    con.execute("CREATE OR REPLACE TEMP TABLE gcj (row_number BIGINT, lon_gcj DOUBLE, lat_gcj DOUBLE)")
    batch_gcj02 = False
    if _gcj02_suspected(con, config, result):
        if convert_gcj02:
            _fill_gcj02(con, "SELECT row_number, lon, lat FROM stage WHERE lon IS NOT NULL")
            con.execute("UPDATE stage s SET lon = g.lon_gcj, lat = g.lat_gcj FROM gcj g"
                        " WHERE s.row_number = g.row_number")
            con.execute("DELETE FROM gcj")
            _locate(con, city_wkt, district_wkt, district)
            result.gcj02 = "detected and converted to CGCS2000 (--convert-gcj02)"
        else:
            batch_gcj02 = True
            result.gcj02 = "detected: batch rejected (re-run with --convert-gcj02 to convert)"
            problems = [RowProblem(file_name, int(r), labels.get("x", "X"), "crs.gcj02_suspected",
                                   "坐标疑似为 GCJ-02（网络地图坐标，偏移数百米），整批拒收；"
                                   "请提供 CGCS2000 坐标，或确认后以 --convert-gcj02 重新导入")
                        for (r,) in con.execute("SELECT row_number FROM stage").fetchall()] + problems
    # Single rows copied from a web map: off their declared grid as delivered, inside it once GCJ-02 is undone.
    _fill_gcj02(con, "SELECT row_number, lon, lat FROM loc WHERE grid_code IS NOT NULL"
                     " AND located_grid IS DISTINCT FROM grid_code")
    gcj_rows = [int(r) for (r,) in con.execute(
        "SELECT l.row_number FROM loc l JOIN gcj USING (row_number) JOIN current_grid g ON g.grid_code = l.grid_code"
        " WHERE l.located_grid IS DISTINCT FROM l.grid_code AND core.point_in_grid(g.geom, gcj.lon_gcj, gcj.lat_gcj)"
        " ORDER BY 1").fetchall()]
    if gcj_rows and convert_gcj02:
        con.register("gcj_rows", pd.DataFrame({"row_number": gcj_rows}))
        con.execute("UPDATE stage s SET lon = g.lon_gcj, lat = g.lat_gcj FROM gcj g"
                    " WHERE s.row_number = g.row_number AND g.row_number IN (SELECT * FROM gcj_rows)")
        con.unregister("gcj_rows")
        _locate(con, city_wkt, district_wkt, district)
        result.notes.append(f"{len(gcj_rows)} rows in GCJ-02 converted to CGCS2000 (--convert-gcj02)")
    elif gcj_rows and not batch_gcj02:
        problems += [RowProblem(file_name, r, labels.get("x", "X"), "crs.gcj02_suspected",
                                "坐标疑似为 GCJ-02（网络地图坐标）：按 GCJ-02 还原后恰好落在所报网格内；"
                                "请改用 CGCS2000 坐标，或确认后以 --convert-gcj02 重新导入") for r in gcj_rows]
    result.grids_assigned = int(con.execute(
        "SELECT count(*) FROM loc WHERE grid_code IS NULL AND located_grid IS NOT NULL").fetchone()[0])
    clock.lap("gcj02")
    mx = 111_320.0 * math.cos(math.radians(ctx.city_lat))
    skip = set() if convert_gcj02 else set(gcj_rows)
    for rule in census_sql_rules(config.duplicate_distance_m, config.same_component_max_move_m, mx):
        params = {k: v for k, v in {"district": district, "batch": result.batch_id}.items() if f"${k}" in rule.sql}
        for row, message in con.execute(rule.sql, params).fetchall():
            if row in skip and rule.rule.startswith(("grid.", "location.")):
                continue  # one reason is enough: the GCJ-02 offset explains the wrong grid
            problems.append(RowProblem(file_name, int(row), labels.get(rule.field, rule.field), rule.rule,
                                       str(message)))
        if rule.rule == "grid.not_found" and result.grids_assigned:
            # Declared grid missing: assign the grid the point lies in (after the mismatch rules ran).
            con.execute("UPDATE stage s SET grid_code = l.located_grid FROM loc l WHERE s.row_number = l.row_number"
                        " AND s.grid_code IS NULL AND l.located_grid IS NOT NULL")
        clock.lap("rule " + rule.rule)
    return problems


_DIFF_COLUMNS = "change, row_number, component_id, subclass_code, name, grid_code, state, previous_state, lon, lat"


def _load(con: Any, delivered: list[tuple[str, str]], result: BatchResult, problems: list[RowProblem],
          options: IngestOptions, edition: str, clock: _Clock) -> BatchResult:
    from warehouse.accounting import record_load, replace_quarantine

    bad = {p.row_number for p in problems}
    _set_valid(con, bad, options.district_code)
    # Only the rows of components the inventory holds now need comparing; every other valid row is new. (An empty
    # inventory — a city's first census — has nothing to compare, supersede or collide with.)
    inventory = bool(con.execute("SELECT EXISTS (SELECT 1 FROM core.component)").fetchone()[0])
    con.execute(
        "CREATE OR REPLACE TEMP TABLE matched AS SELECT CASE WHEN md5(concat_ws('|', "
        + ", ".join(f"v.{a}" if "(" not in a else a.replace("(", "(v.") for a in VERSIONED) + "))"
        " <> md5(concat_ws('|', " + ", ".join(f"c.{a}" if "(" not in a else a.replace("(", "(c.")
                                              for a in VERSIONED) + ")) THEN 'changed' ELSE 'unchanged' END AS change,"
        " v.row_number, c.state AS previous_state, c.valid_from AS current_from, c.change_source AS current_source"
        " FROM valid v JOIN core.component c ON c.component_id = v.component_id AND c.valid_to IS NULL"
        + ("" if inventory else " LIMIT 0"))
    # A changed component whose survey date is not after the version we hold: stale, not a change.
    stale_rows: set[int] = set()
    for row_number, valid_from, current_from, current_source in con.execute(
            "SELECT m.row_number, v.valid_from, m.current_from, m.current_source FROM matched m JOIN valid v"
            " USING (row_number) WHERE m.change = 'changed' AND v.valid_from <= m.current_from"
            " ORDER BY m.row_number").fetchall():
        problems.append(RowProblem(
            result.file_name, int(row_number), "CHDATE", "date.stale",
            f"变更日期 {str(valid_from)[:10]} 不晚于库中现有版本（{str(current_from)[:10]}，来自 "
            f"{current_source}），但属性不同；请填写新的变更日期"))
        stale_rows.add(int(row_number))
    # core.component has no primary key (migration 0070): the version key (component_id, valid_from) is kept
    # unique here, by an anti-join of what would be written against what is there (plus the publish audit).
    taken = con.execute(
        "SELECT v.row_number, v.valid_from, c.change_source FROM valid v"
        " JOIN core.component c ON c.component_id = v.component_id AND c.valid_from = v.valid_from"
        " WHERE v.row_number NOT IN (SELECT row_number FROM matched WHERE change = 'unchanged')"
        " ORDER BY v.row_number").fetchall() if inventory else []
    for row_number, valid_from, change_source in taken:
        if int(row_number) in stale_rows:
            continue  # already explained as stale
        problems.append(RowProblem(
            result.file_name, int(row_number), "CHDATE", "date.version_exists",
            f"库中已有该部件起始于 {str(valid_from)[:10]} 的版本（来自 {change_source}），同一日期不能再有第二个版本；"
            "请填写新的变更日期"))
        stale_rows.add(int(row_number))
    if stale_rows:
        bad |= stale_rows
        _set_valid(con, bad, options.district_code)
        con.execute("DELETE FROM matched WHERE row_number IN (SELECT row_number FROM bad_rows)")
    raw_records = _raw_records(con, delivered, bad)
    counts = dict(con.execute("SELECT change, count(*) FROM matched GROUP BY 1").fetchall())
    result.changed, result.unchanged = int(counts.get("changed", 0)), int(counts.get("unchanged", 0))
    result.new = result.rows_in - len(bad) - result.changed - result.unchanged  # bad rows are staged rows
    # What the inventory holds in the batch's grids that the batch does not (the report's "missing").
    missing_from = ""
    if inventory and con.execute("SELECT count(*) FROM core.component WHERE valid_to IS NULL AND district_code = ?",
                                 [options.district_code]).fetchone()[0]:
        missing_from = (
            " FROM core.component c WHERE c.valid_to IS NULL AND c.district_code = $district"
            " AND c.grid_code IN (SELECT DISTINCT grid_code FROM valid WHERE grid_code IS NOT NULL)"
            " AND c.component_id NOT IN (SELECT component_id FROM valid)")
    if options.report_tables:
        _report_tables(con, result, inventory, missing_from, options.district_code)
    elif missing_from:  # the count the diff's missing rows give, without fetching the batch's rows
        result.missing = int(con.execute("SELECT count(*)" + missing_from,
                                         {"district": options.district_code}).fetchone()[0])
    clock.lap("diff")
    unchanged = "SELECT row_number FROM matched WHERE change = 'unchanged'"
    # The rejected rows leave ``stage`` before the load reads it (nothing reads their staged values after this
    # point): DuckDB writes a plain scan of the table faster than one through the view's filter — ≈ 0.2 CPU-s of
    # 1.4 for a million rows — and the district is a bound value there, not the view's session variable.
    if bad:
        con.execute("DELETE FROM stage WHERE row_number IN (SELECT row_number FROM bad_rows)")
    with transaction(con):
        if result.changed:
            con.execute(
                "UPDATE core.component c SET valid_to = v.valid_from FROM (SELECT v.component_id, v.valid_from"
                " FROM valid v JOIN matched m USING (row_number) WHERE m.change = 'changed') v"
                " WHERE c.component_id = v.component_id AND c.valid_to IS NULL")
        _insert_unordered(
            con,
            "INSERT INTO core.component SELECT component_id, $edition, subclass_code, name, grid_code, $district,"
            " owner_department_code, property_department_code, maintenance_department_code, state, lon, lat,"
            " geometry_wkt, initial_date::DATE, photo, valid_from, NULL, $batch FROM stage"
            + (f" WHERE row_number NOT IN ({unchanged})" if result.unchanged else ""),
            {"edition": edition, "district": options.district_code, "batch": result.batch_id})
        quarantined = replace_quarantine(con, result.batch_id, TARGET, problems, raw_records)
        loaded = result.rows_in - quarantined
        record_load(con, _count(result.batch_id, result.rows_in, loaded, quarantined), {
            "district_code": options.district_code, "new": result.new, "changed": result.changed,
            "unchanged": result.unchanged, "missing": result.missing, "encoding": result.encoding,
            "mapping": result.mapping, "crs": result.crs, "gcj02": result.gcj02, "options": _options_key(options)})
    clock.lap("load")
    result.rows_loaded, result.rows_quarantined = loaded, quarantined
    result.problems = sorted(problems, key=lambda p: (p.row_number, p.field, p.rule))
    return result


def _insert_unordered(con: Any, sql: str, params: dict[str, Any]) -> None:
    """Run the load's INSERT with each DuckDB thread writing the row groups it fills as it goes.

    Keeping the file's order, DuckDB 1.5 holds back every source batch smaller than a row group (``stage`` has one
    per CSV buffer, ≈ 119 k rows against 122,880) until all earlier ones are done and writes what is left at the end
    on one thread — ≈ 0.25 s more on some runs and not others (bench/census/README.md, seventh pass). Without the
    order, a file of several such blocks lands as those blocks grouped by the thread that read them (no reader
    depends on ``core.component``'s physical order: the inventory sorts, the marts join and aggregate). The
    caller's settings are restored, whatever happens."""
    saved = con.execute("SELECT current_setting('preserve_insertion_order'),"
                        " current_setting('write_buffer_row_group_count')").fetchone()
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET write_buffer_row_group_count = 1")
    try:
        con.execute(sql, params)
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if saved[0] else 'false'}")
        con.execute(f"SET write_buffer_row_group_count = {int(saved[1])}")


def _report_tables(con: Any, result: BatchResult, inventory: bool, missing_from: str, district: str) -> None:
    """The report's diff against the inventory (new and changed rows in the batch, then the missing components) and
    its points, fetched as Arrow: the report turns them into DataFrames when it is written."""
    missing_sql = (" UNION ALL SELECT 'missing', NULL::BIGINT, c.component_id, c.subclass_code, c.name, c.grid_code,"
                   " NULL, c.state, c.lon, c.lat" + missing_from) if missing_from else ""
    result.diff_table = con.execute(
        f"SELECT {_DIFF_COLUMNS} FROM (SELECT 'new' AS change, v.row_number, v.component_id, v.subclass_code, v.name,"
        " v.grid_code, v.state, NULL::VARCHAR AS previous_state, v.lon, v.lat"
        " FROM valid v" + (" ANTI JOIN matched m USING (row_number)" if inventory else "") +
        " UNION ALL SELECT m.change, v.row_number, v.component_id, v.subclass_code, v.name, v.grid_code, v.state,"
        " m.previous_state, v.lon, v.lat"
        f" FROM matched m JOIN valid v USING (row_number) WHERE m.change = 'changed'){missing_sql}",
        {"district": district} if missing_sql else {}).to_arrow_table()
    result.missing = int(result.diff_table.num_rows) - result.new - result.changed
    result.points_table = con.execute(
        "SELECT row_number, lon, lat, row_number NOT IN (SELECT row_number FROM bad_rows) AS ok FROM stage"
        " WHERE lon IS NOT NULL").to_arrow_table()
