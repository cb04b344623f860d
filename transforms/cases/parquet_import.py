"""``szcg cases import-parquet DIR``: the synthetic city's cases.parquet + case_events.parquet, set-based.

The fast path for the demo and the 10M-case benchmark: DuckDB reads the Parquet files and writes core directly
(no row ever passes through Python). Gates are SQL set rules (a GX suite on 70 M rows in pandas would cost more
than the load): rows that cannot be a case/event are quarantined with reason and the row as read; defects that
do not stop a case are flags on the case (closed_before_opened, unknown_grid, missing_grid, event_out_of_order,
event_missing_actor). States are translated with
``vocabulary.yaml`` (synth_states); the original state is kept in origin_status / origin_action.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

from szcg.errors import InputRejected, RowProblem
from transforms.cases.feed_pull import VOCABULARY
from transforms.cases.model import ACTIONS, CASE_COLUMNS, EVENT_COLUMNS
from warehouse.accounting import LoadCount, record_load
from warehouse.store import Warehouse
from warehouse.transaction import transaction

CASES_FILE = "cases.parquet"
EVENTS_FILE = "case_events.parquet"
CASE_REQUIRED = ("case_id", "reported_at", "status", "source")
EVENT_REQUIRED = ("case_id", "seq", "action", "at")


@dataclass
class ParquetResult:
    cases_batch: str
    events_batch: str
    cases_in: int
    cases_loaded: int
    cases_quarantined: int
    events_in: int
    events_loaded: int
    events_quarantined: int
    seconds: float
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage: where the time goes

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _columns(con: duckdb.DuckDBPyConnection, path: Path) -> set[str]:
    return {str(r[0]) for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()}


def import_parquet(wh: Warehouse, directory: Path, *, origin_system: str = "synth",
                   edition: str | None = None) -> ParquetResult:
    directory = Path(directory)
    cases_path, events_path = directory / CASES_FILE, directory / EVENTS_FILE
    if not cases_path.is_file() and (directory / "cases" / CASES_FILE).is_file():
        cases_path, events_path = directory / "cases" / CASES_FILE, directory / "cases" / EVENTS_FILE
    for p in (cases_path, events_path):
        if not p.is_file():
            raise InputRejected(f"{p}: missing (expected {CASES_FILE} and {EVENTS_FILE} in {directory})",
                                [RowProblem(str(p), 0, "path", "file_exists", "文件不存在")])
    if edition is None:
        from standards.city import load_city

        edition = load_city(wh.settings).edition
    states = (yaml.safe_load(VOCABULARY.read_text(encoding="utf-8")) or {}).get("synth_states", {})
    started = time.perf_counter()
    with wh.writer(spatial=True) as con:
        for path, required in ((cases_path, CASE_REQUIRED), (events_path, EVENT_REQUIRED)):
            missing = [c for c in required if c not in _columns(con, path)]
            if missing:
                raise InputRejected(f"{path}: columns {missing} missing",
                                    [RowProblem(path.name, 0, c, "column_present", "缺少字段") for c in missing])
        with transaction(con):
            cb = wh.land(con, cases_path, "synth_cases").batch_id
            eb = wh.land(con, events_path, "synth_case_events").batch_id
            landed_at = time.perf_counter()
            result = _load(con, cases_path, events_path, cb, eb, origin_system, edition, states)
        committed = time.perf_counter()
        result.stages = {"land": round(landed_at - started, 2), **result.stages,
                         "commit": round(committed - landed_at - sum(result.stages.values()), 2)}
    result.stages["checkpoint"] = round(time.perf_counter() - committed, 2)
    result.seconds = round(time.perf_counter() - started, 2)
    return result


def _load(con: duckdb.DuckDBPyConnection, cases_path: Path, events_path: Path, cb: str, eb: str, origin: str,
          edition: str, states: dict[str, str]) -> ParquetResult:
    cols = _columns(con, cases_path)
    ecols = _columns(con, events_path)

    def opt(name: str, cast: str = "VARCHAR", table_cols: set[str] = cols) -> str:
        return f"CAST({name} AS {cast})" if name in table_cols else f"CAST(NULL AS {cast})"

    clock = [time.perf_counter()]
    stages: dict[str, float] = {}

    def lap(name: str) -> None:
        now = time.perf_counter()
        stages[name] = round(now - clock[0], 2)
        clock[0] = now

    con.execute("DELETE FROM core.case_event WHERE batch_id IN (?, ?)", [cb, eb])
    con.execute('DELETE FROM core."case" WHERE batch_id IN (?, ?)', [cb, eb])
    con.execute("DELETE FROM quarantine.rejected_row WHERE batch_id IN (?, ?)", [cb, eb])
    state_rows = ", ".join(f"('{k}', '{v}')" for k, v in states.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE _state AS SELECT * FROM (VALUES {state_rows}) t(origin, state)")
    # Staged cases with their reasons for rejection (NULL = loadable).
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _cases AS
        WITH src AS (SELECT * FROM read_parquet(?, file_row_number = true)),
        dup AS (SELECT case_id, min(file_row_number) AS first_row FROM src GROUP BY case_id HAVING count(*) > 1)
        SELECT src.*, s.state AS conformed_status,
               CASE WHEN src.case_id IS NULL THEN 'missing_id'
                    WHEN src.reported_at IS NULL THEN 'missing_reported_at'
                    WHEN s.state IS NULL THEN 'status_vocabulary'
                    WHEN src.file_row_number > dup.first_row THEN 'duplicate_id'
               END AS reject_rule
        FROM src LEFT JOIN _state s ON s.origin = src.status LEFT JOIN dup USING (case_id)
    """, [str(cases_path)])
    row = con.execute("SELECT count(*) FROM core.grid").fetchone()
    # Without grids loaded yet a code cannot be judged: no unknown_grid flag rather than a false one on every case.
    grid_known = "EXISTS (SELECT 1 FROM core.grid g WHERE g.grid_code = c.grid_code)" if row and row[0] else "TRUE"
    con.execute(f"""
        INSERT INTO core."case" ({", ".join(CASE_COLUMNS)})
        SELECT '{origin}:' || c.case_id, '{origin}', CAST(c.case_id AS VARCHAR), ?, {opt('kind')},
               {opt('subclass_code')}, c.source, {opt('description')}, CAST(c.reported_at AS TIMESTAMP),
               {opt('reporter_id')}, {opt('grid_code')}, {opt('community_code')}, {opt('street_code')},
               {opt('district_code')}, {opt('lon', 'DOUBLE')}, {opt('lat', 'DOUBLE')}, {opt('department_code')},
               {opt('handling_class')}, c.conformed_status,
               CAST(coalesce({opt('closed_at', 'TIMESTAMP')}, {opt('voided_at', 'TIMESTAMP')}) AS TIMESTAMP),
               list_filter([
                   CASE WHEN {opt('closed_at', 'TIMESTAMP')} < CAST(c.reported_at AS TIMESTAMP)
                        THEN 'closed_before_opened' END,
                   CASE WHEN {opt('grid_code')} IS NOT NULL AND NOT {grid_known} THEN 'unknown_grid' END,
                   CASE WHEN {opt('grid_code')} IS NULL THEN 'missing_grid' END
               ], x -> x IS NOT NULL),
               ?, NULL, c.status, NULL, NULL, NULL, NULL, {opt('handle_deadline_at', 'TIMESTAMP')},
               CASE WHEN {opt('grid_code')} IS NOT NULL THEN 'recorded' ELSE 'none' END
        FROM _cases c WHERE c.reject_rule IS NULL
    """, [edition, cb])
    _quarantine(con, "_cases", cb, cases_path.name, "core.case", "case_id")
    _place_by_coordinates(con, cb)
    lap("cases")
    # Events: only the rejected rows are materialised (few); the load itself streams from Parquet.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _ebad AS
        WITH e AS (SELECT case_id, seq, action, "at", file_row_number FROM read_parquet(?, file_row_number = true)),
        dup AS (SELECT case_id, seq, min(file_row_number) AS first_row FROM e GROUP BY ALL HAVING count(*) > 1),
        ok AS (SELECT case_id FROM _cases WHERE reject_rule IS NULL)
        SELECT file_row_number, rule FROM (
            SELECT e.file_row_number,
                   CASE WHEN e.case_id IS NULL THEN 'missing_case' WHEN e.at IS NULL THEN 'missing_time'
                        WHEN ok.case_id IS NULL THEN 'case_not_loaded'
                        WHEN e.action NOT IN ({", ".join(f"'{a}'" for a in ACTIONS)}) THEN 'action_vocabulary'
                        WHEN e.file_row_number > dup.first_row THEN 'duplicate_seq'
                   END AS rule
            FROM e LEFT JOIN ok USING (case_id) LEFT JOIN dup USING (case_id, seq))
        WHERE rule IS NOT NULL
    """, [str(events_path)])
    lap("event_rules")

    def eopt(name: str, cast: str = "VARCHAR") -> str:
        return opt(name, cast, ecols)

    con.execute(f"""
        INSERT INTO core.case_event ({", ".join(EVENT_COLUMNS)})
        SELECT '{origin}:' || e.case_id, e.seq, CAST(e.case_id AS VARCHAR) || ':' || e.seq, e.action,
               sf.state, st.state, CAST(e.at AS TIMESTAMP), {eopt('actor_id')}, {eopt('actor_role')},
               {eopt('department_code')}, {eopt('district_code')}, {eopt('outcome')},
               {eopt('deadline_at', 'TIMESTAMP')}, {eopt('met', 'BOOLEAN')}, {eopt('overdue_multiple', 'DOUBLE')},
               {eopt('limit_hours', 'DOUBLE')}, {eopt('limit_basis')}, {eopt('handbook_version')}, NULL,
               '{origin}', ?, e.action, {eopt('step')}
        FROM read_parquet(?, file_row_number = true) e
        LEFT JOIN _state sf ON sf.origin = e.from_state LEFT JOIN _state st ON st.origin = e.to_state
        WHERE e.file_row_number NOT IN (SELECT file_row_number FROM _ebad)
    """, [eb, str(events_path)])
    lap("events_insert")
    _flag_event_defects(con, eb)
    lap("event_flags")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _events AS
        SELECT e.*, b.rule AS reject_rule FROM read_parquet(?, file_row_number = true) e
        JOIN _ebad b USING (file_row_number)
    """, [str(events_path)])
    _quarantine(con, "_events", eb, events_path.name, "core.case_event", "case_id")
    counts = {}
    row = con.execute("SELECT count(*), count(*) FILTER (WHERE reject_rule IS NULL) FROM _cases").fetchone()
    assert row is not None
    counts["_cases"] = (int(row[0]), int(row[1]))
    total = con.execute("SELECT count(*) FROM read_parquet(?)", [str(events_path)]).fetchone()
    bad = con.execute("SELECT count(*) FROM _ebad").fetchone()
    assert total is not None and bad is not None
    counts["_events"] = (int(total[0]), int(total[0]) - int(bad[0]))
    rules_c = dict(con.execute("SELECT reject_rule, count(*) FROM _cases WHERE reject_rule IS NOT NULL"
                               " GROUP BY ALL").fetchall())
    rules_e = dict(con.execute("SELECT rule, count(*) FROM _ebad GROUP BY ALL").fetchall())
    (ci, cl), (ei, el) = counts["_cases"], counts["_events"]
    record_load(con, LoadCount(cb, "core.case", ci, cl, ci - cl), {"origin_system": origin, "rules": rules_c})
    record_load(con, LoadCount(eb, "core.case_event", ei, el, ei - el), {"origin_system": origin, "rules": rules_e})
    con.execute("DROP TABLE _cases")
    con.execute("DROP TABLE _events")
    con.execute("DROP TABLE _ebad")
    lap("quarantine_and_ledger")
    return ParquetResult(cb, eb, ci, cl, ci - cl, ei, el, ei - el, 0.0, stages)


def _flag_event_defects(con: duckdb.DuckDBPyConnection, batch: str) -> None:
    """Events that load but contradict their case's timeline flag the case (kept as recorded, not re-ordered):
    an event earlier than the one before it, a close before the report, an action without an actor."""
    con.execute("""
        UPDATE core."case" c SET flags = list_sort(list_distinct(list_concat(c.flags, f.found)))
        FROM (
            SELECT case_id, list_filter([
                       CASE WHEN bool_or(occurred_at < prev_at) THEN 'event_out_of_order' END,
                       CASE WHEN bool_or(action = 'close' AND occurred_at < report_at) THEN 'closed_before_opened' END,
                       CASE WHEN bool_or(actor_id IS NULL) THEN 'event_missing_actor' END], x -> x IS NOT NULL) AS found
            FROM (SELECT case_id, action, occurred_at, actor_id,
                         lag(occurred_at) OVER (PARTITION BY case_id ORDER BY seq) AS prev_at,
                         min(occurred_at) FILTER (WHERE action = 'report') OVER (PARTITION BY case_id) AS report_at
                  FROM core.case_event WHERE batch_id = ?)
            GROUP BY case_id
            HAVING bool_or(occurred_at < prev_at) OR bool_or(action = 'close' AND occurred_at < report_at)
                OR bool_or(actor_id IS NULL)
        ) f
        WHERE c.case_id = f.case_id
    """, [batch])


def _place_by_coordinates(con: duckdb.DuckDBPyConnection, batch: str) -> None:
    """Cases that came without a grid but with coordinates get their area by point-in-polygon (few rows)."""
    from transforms.cases.areas import resolve_areas

    todo = con.execute('SELECT case_id, lon, lat FROM core."case" WHERE batch_id = ? AND grid_code IS NULL'
                       " AND lon IS NOT NULL AND lat IS NOT NULL", [batch]).df()
    if todo.empty:
        return
    placed, _ = resolve_areas(con, todo)
    placed = placed[placed["area_method"] == "point_in_grid"]
    con.execute("""
        UPDATE core."case" c SET grid_code = p.grid_code, community_code = p.community_code,
               street_code = p.street_code, district_code = p.district_code, area_method = p.area_method
        FROM placed p WHERE c.case_id = p.case_id
    """)


def _quarantine(con: duckdb.DuckDBPyConnection, table: str, batch: str, file_name: str, target: str,
                field: str) -> None:
    """Set-based twin of warehouse.accounting.replace_quarantine (the batch's rows were deleted above)."""
    con.execute(f"""
        INSERT INTO quarantine.rejected_row
        SELECT ?, ?, ?, file_row_number + 1, CASE reject_rule WHEN 'missing_reported_at' THEN 'reported_at'
               WHEN 'status_vocabulary' THEN 'status' WHEN 'missing_time' THEN 'at'
               WHEN 'action_vocabulary' THEN 'action' WHEN 'duplicate_seq' THEN 'seq' ELSE ? END,
               reject_rule, 'rejected: ' || reject_rule,
               CAST(to_json(t) AS JSON)
        FROM {table} t WHERE reject_rule IS NOT NULL ORDER BY file_row_number
    """, [batch, target, file_name, field])
