"""``szcg cases import-parquet DIR``: the synthetic city's cases.parquet + case_events.parquet, set-based.

The fast path for the demo and the 10M-case benchmark: DuckDB reads the Parquet files and writes core directly
(no row ever passes through Python). Gates are SQL set rules (a GX suite on 80 M rows in pandas would cost more
than the load): rows that cannot be a case/event are quarantined with reason and the row as read (missing_id,
missing_reported_at, status_vocabulary, duplicate_id, already_loaded; missing_case, missing_time, missing_seq,
case_not_loaded, action_vocabulary, duplicate_seq, already_loaded); defects that do not stop a case are flags on
the case (closed_before_opened, event_before_report, unknown_grid, missing_grid, event_out_of_order,
event_missing_actor). States are
translated with ``vocabulary.yaml`` (synth_states); the original state is kept in origin_status / origin_action.
Exactly once: core.case / core.case_event have no key (migration 0050), so a case or (case, seq) already in core
from another batch is quarantined, never inserted twice; re-importing the same files replaces their own batch.
Where the time goes and what it costs: bench/cases/README.md.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from szcg.clock import REPORT_CLOCK_SLACK
from szcg.errors import InputRejected, RowProblem
from transforms.cases.model import (
    ACTIONS,
    BULK_EVENT_COLUMNS,
    BULK_EVENT_TABLE,
    CASE_COLUMNS,
    EVENT_COLUMNS,
    EVENT_TABLE,
    delete_events,
)
from transforms.cases.scrub import register_scrub, scrub_sql
from transforms.cases.vocabulary import load_vocabulary
from warehouse.accounting import LoadCount, record_load
from warehouse.landing import CopiedFile, copy_for_landing, discard_copy, register_copy
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
    states = load_vocabulary().synth_states
    started = time.perf_counter()
    landing_dir = wh.settings.landing_dir
    with wh.writer(spatial=True) as con, ThreadPoolExecutor(1, thread_name_prefix="szcg-landing") as pool:
        for path, required in ((cases_path, CASE_REQUIRED), (events_path, EVENT_REQUIRED)):
            missing = [c for c in required if c not in _columns(con, path)]
            if missing:
                raise InputRejected(f"{path}: columns {missing} missing",
                                    [RowProblem(path.name, 0, c, "column_present", "缺少字段") for c in missing])
        # Rows need not keep the file's order in core (no reader may rely on a table's physical order): DuckDB then
        # inserts without re-sequencing the parallel scan, with less memory. Restored for the connection's later use.
        row = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
        keep_order = bool(row[0]) if row else True
        con.execute("SET preserve_insertion_order = false")
        # Landing copies and hashes both files (single-threaded, ≈ 4 s at 10 M cases) on a thread of its own while
        # DuckDB profiles the events (its streaming pass is single-threaded too); the copies are registered in
        # the load's transaction once the profile is done.
        copying = pool.submit(_copy_both, landing_dir, cases_path, events_path)
        opened = time.perf_counter()  # writer open + column checks: the stage "open" (it was part of "land")

        def land() -> tuple[str, str]:
            cases_copy, events_copy = copying.result()
            return (register_copy(con, landing_dir, cases_copy).batch_id,
                    register_copy(con, landing_dir, events_copy).batch_id)

        try:
            with transaction(con):
                result = _load(con, cases_path, events_path, land, origin_system, edition, states)
        finally:
            con.execute(f"SET preserve_insertion_order = {'true' if keep_order else 'false'}")
            if copying.exception() is None:  # registered copies are gone from incoming already
                for copied in copying.result():
                    discard_copy(copied)
        committed = time.perf_counter()
        result.stages = {"open": round(opened - started, 2), **result.stages,
                         "commit": round(committed - opened - sum(result.stages.values()), 2)}
    result.stages["checkpoint"] = round(time.perf_counter() - committed, 2)
    result.seconds = round(time.perf_counter() - started, 2)
    return result


def _copy_both(landing_dir: Path, cases_path: Path, events_path: Path) -> tuple[CopiedFile, CopiedFile]:
    cases_copy = copy_for_landing(landing_dir, cases_path, "synth_cases")
    try:
        return cases_copy, copy_for_landing(landing_dir, events_path, "synth_case_events")
    except BaseException:
        discard_copy(cases_copy)
        raise


def _load(con: duckdb.DuckDBPyConnection, cases_path: Path, events_path: Path, land: Callable[[], tuple[str, str]],
          origin: str, edition: str, states: dict[str, str]) -> ParquetResult:
    """Gates, flags and inserts in as few passes over the Parquet files as the rules allow.

    1. profile: one aggregate over the events (narrow columns) and one over the cases, joined per case id: is the
       case loadable, are its events clean, which event flags does it carry;
    2. only the cases/events that are not clean are read again, row by row, to say which row breaks which rule
       (rejected rows are the only rows ever materialised) and to compute exact flags for those cases;
    3. one INSERT … SELECT per table streams from Parquet with the flags computed inline.
    Uniqueness (no PRIMARY KEY on these tables, migration 0050) is a gate here: a case id or (case, seq) already
    in core from another batch is quarantined as already_loaded, never inserted twice.
    """
    ccols, ecols = _columns(con, cases_path), _columns(con, events_path)
    clock = [time.perf_counter()]
    stages: dict[str, float] = {}

    def lap(name: str) -> None:
        now = time.perf_counter()
        stages[name] = round(now - clock[0], 2)
        clock[0] = now

    # Every value is a named parameter ($cfile, $origin, …; see _execute): paths, the origin and the vocabularies
    # are never spliced into the SQL text.
    params: dict[str, object] = {
        "cfile": str(cases_path), "efile": str(events_path), "origin": origin, "edition": edition,
        "states": list(states), "state_codes": list(states.values()), "actions": list(ACTIONS),
        "prefix": len(origin) + 2,  # '<origin>:' + 1 (SQL strings are 1-based)
    }

    def run(sql: str) -> None:
        _execute(con, sql, params)

    # list_contains, not IN (…): DuckDB evaluates it once per dictionary entry of the Parquet column, not per row
    def state_ok(column: str) -> str:
        return f"list_contains($states::VARCHAR[], {column})" if states else "FALSE"

    def action_ok(column: str) -> str:
        return f"list_contains($actions::VARCHAR[], {column})"

    def profile() -> bool:
        """The table _prof (step 1 below); returns whether events of this origin are in core already."""
        # Keys already in core from other batches (the exactly-once gate); usually none, then no join at all.
        taken_cases = _count(con, 'SELECT count(*) FROM core."case" WHERE origin_system = ?', [origin]) > 0
        taken_events = _count(con, "SELECT count(*) FROM core.case_event WHERE origin_system = ?", [origin]) > 0
        taken_c_sql = ('SELECT DISTINCT origin_case_id AS case_id FROM core."case" WHERE origin_system = $origin'
                       if taken_cases else "SELECT CAST(NULL AS VARCHAR) AS case_id WHERE FALSE")
        taken_e_sql = ("SELECT DISTINCT substr(case_id, $prefix) AS case_id FROM core.case_event"
                       " WHERE origin_system = $origin"
                       if taken_events else "SELECT CAST(NULL AS VARCHAR) AS case_id WHERE FALSE")

        # 1. Profile per case id (NULL ids form one group of their own; so do ids of cases without events and of
        #    events without a case, through the FULL JOIN). Duplicate or out-of-order seqs are not looked for per
        #    case (sorting every case's events cost most of this pass): a case is *in order* when, in file order,
        #    its events form one run with seq strictly rising and times not falling (see _CHAIN); then it has
        #    neither defect. A case that is not in order (rare) is re-read in 2b, where its duplicates and flags
        #    are found exactly.
        run(f"""
            CREATE OR REPLACE TEMP TABLE _prof AS
            WITH ca AS (
                SELECT CAST(case_id AS VARCHAR) AS case_id, count(*) AS copies, min(file_row_number) AS first_row,
                       arg_min(reported_at IS NOT NULL AND coalesce({state_ok("status")}, FALSE), file_row_number)
                           AS first_ok,
                       bool_and(reported_at IS NOT NULL AND coalesce({state_ok("status")}, FALSE)) AS all_ok,
                       min(CAST(reported_at AS TIMESTAMP)) AS reported_at
                FROM read_parquet($cfile, file_row_number = true) GROUP BY 1),
            ev AS (
                SELECT case_id, count(*) AS events,
                       count(*) FILTER (WHERE "at" IS NULL OR seq IS NULL OR NOT coalesce({action_ok("action")}, FALSE))
                           AS bad_events,
                       coalesce(min("at") FILTER (WHERE action = 'close') < min("at") FILTER (WHERE action = 'report'),
                                FALSE) AS close_before_report,
                       count(*) FILTER (WHERE actor_id IS NULL) > 0 AS missing_actor,
                       min(CAST("at" AS TIMESTAMP)) AS first_at,
                       case_id IS NULL OR count(*) FILTER (WHERE NOT in_chain) <> 1 AS unsure
                FROM ({_chained_events(_event_parts(con, events_path, _threads(con)))})
                GROUP BY 1)
            SELECT * FROM (
                SELECT case_id, coalesce(ca.copies, 0) AS copies, ca.first_row, coalesce(ca.all_ok, FALSE) AS all_ok,
                       case_id IS NOT NULL AND coalesce(ca.first_ok, FALSE)
                           AND case_id NOT IN ({taken_c_sql}) AS loaded,
                       case_id IN ({taken_c_sql}) AS case_taken,
                       coalesce(ev.events, 0) AS events, coalesce(ev.bad_events, 0) AS bad_events,
                       coalesce(ev.unsure, FALSE) AS unsure, FALSE AS out_of_order,
                       coalesce(ev.close_before_report, FALSE) AS close_before_report,
                       coalesce(ev.missing_actor, FALSE) AS missing_actor,
                       coalesce(ev.first_at < ca.reported_at - {EARLY_EVENT_SLACK}, FALSE) AS early_event,
                       case_id IN ({taken_e_sql}) AS events_taken
                FROM ca FULL JOIN ev USING (case_id))
            -- only cases with something to say are kept: a clean case loads straight from the file
            WHERE NOT (copies = 1 AND all_ok AND loaded AND bad_events = 0 AND NOT unsure AND NOT events_taken
                       AND NOT close_before_report AND NOT missing_actor AND NOT early_event)
        """)
        return taken_events

    taken_events = profile()
    lap("profile")
    cb, eb = land()
    params |= {"cb": cb, "eb": eb}
    # Re-importing the same files replaces their own batch: its rows are not "already loaded". The batch id is
    # the landed copy's hash, known only now; the profile ran meanwhile, so if this batch has rows in core the
    # profile is taken again without them (a re-import only).
    own = (_count(con, 'SELECT count(*) FROM core."case" WHERE batch_id IN (?, ?)', [cb, eb])
           + _count(con, "SELECT count(*) FROM core.case_event WHERE batch_id IN (?, ?)", [cb, eb]))
    for batch in (cb, eb):
        delete_events(con, batch)
    con.execute('DELETE FROM core."case" WHERE batch_id IN (?, ?)', [cb, eb])
    con.execute("DELETE FROM quarantine.rejected_row WHERE batch_id IN (?, ?)", [cb, eb])
    lap("land")
    if own:
        taken_events = profile()
        lap("profile_again")
    # 2a. Case rows that are not clean, with their rule (few: missing ids/times, vocabulary, duplicates, taken).
    run(f"""
        CREATE OR REPLACE TEMP TABLE _cases AS
        SELECT c.*, CASE WHEN c.case_id IS NULL THEN 'missing_id'
                         WHEN c.reported_at IS NULL THEN 'missing_reported_at'
                         WHEN NOT coalesce({state_ok("c.status")}, FALSE) THEN 'status_vocabulary'
                         WHEN c.file_row_number > p.first_row THEN 'duplicate_id'
                         WHEN p.case_taken THEN 'already_loaded'
                    END AS reject_rule
        FROM read_parquet($cfile, file_row_number = true) c
        JOIN (SELECT case_id, first_row, case_taken FROM _prof
              WHERE copies > 0 AND (case_id IS NULL OR copies > 1 OR NOT all_ok OR case_taken)) p
          ON p.case_id IS NOT DISTINCT FROM CAST(c.case_id AS VARCHAR)
    """)
    # 2b. Event rows of cases that are not clean: each row's rule; loadable ones give their case exact flags.
    run(f"""
        CREATE OR REPLACE TEMP TABLE _events AS
        WITH e AS (
            SELECT e.*, p.loaded, p.events_taken FROM read_parquet($efile, file_row_number = true) e
            JOIN (SELECT case_id, loaded, events_taken FROM _prof
                  WHERE events > 0 AND (case_id IS NULL OR NOT loaded OR bad_events > 0 OR unsure
                                        OR events_taken)) p
              ON p.case_id IS NOT DISTINCT FROM CAST(e.case_id AS VARCHAR)),
        first AS (SELECT case_id, seq, min(file_row_number) AS first_row FROM e GROUP BY ALL),
        taken AS ({_TAKEN_EVENT_KEYS if taken_events else
                   "SELECT CAST(NULL AS VARCHAR) AS case_id, CAST(NULL AS INTEGER) AS seq WHERE FALSE"})
        SELECT e.* EXCLUDE (loaded, events_taken),
               CASE WHEN e.case_id IS NULL THEN 'missing_case' WHEN e."at" IS NULL THEN 'missing_time'
                    WHEN e.seq IS NULL THEN 'missing_seq'
                    WHEN NOT e.loaded THEN 'case_not_loaded'
                    WHEN NOT coalesce({action_ok("e.action")}, FALSE) THEN 'action_vocabulary'
                    WHEN e.file_row_number > f.first_row THEN 'duplicate_seq'
                    WHEN t.case_id IS NOT NULL THEN 'already_loaded'
               END AS reject_rule
        FROM e LEFT JOIN first f ON f.case_id = e.case_id AND f.seq IS NOT DISTINCT FROM e.seq
        LEFT JOIN taken t ON t.case_id = CAST(e.case_id AS VARCHAR) AND t.seq = e.seq
    """)
    # Cases re-read in 2b get their event flags from their loadable events only (none loadable: no event flag).
    con.execute("UPDATE _prof SET out_of_order = FALSE, close_before_report = FALSE, missing_actor = FALSE"
                " WHERE case_id IN (SELECT CAST(case_id AS VARCHAR) FROM _events)")
    con.execute(f"""
        UPDATE _prof p SET out_of_order = x.out_of_order, close_before_report = x.close_before_report,
               missing_actor = x.missing_actor
        FROM (SELECT * EXCLUDE (pairs), {_EVENT_CHECKS} FROM (
                  SELECT CAST(case_id AS VARCHAR) AS case_id, {_EVENT_AGGREGATES}
                  FROM _events WHERE reject_rule IS NULL GROUP BY 1)) x
        WHERE p.case_id = x.case_id
    """)
    if taken_events:  # their event flags come from all their events in core, after the insert
        con.execute("UPDATE _prof SET out_of_order = FALSE, close_before_report = FALSE, missing_actor = FALSE"
                    " WHERE events_taken")
    lap("rules")

    def copt(name: str, cast: str = "VARCHAR") -> str:
        return f"CAST(c.{name} AS {cast})" if name in ccols else f"CAST(NULL AS {cast})"

    def eopt(name: str, cast: str = "VARCHAR") -> str:
        return f"CAST(e.{name} AS {cast})" if name in ecols else f"CAST(NULL AS {cast})"

    # The loaded case rows are exactly those not rejected in 2a; only cases with event flags are joined (a small
    # build side: joining every case's profile cost as much as the insert itself at 10 M cases).
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _flagged AS
        SELECT case_id, out_of_order, close_before_report, missing_actor, early_event FROM _prof
        WHERE loaded AND (out_of_order OR close_before_report OR missing_actor OR early_event)
    """)
    skip_cases = ("WHERE c.file_row_number NOT IN (SELECT file_row_number FROM _cases WHERE reject_rule IS NOT NULL)"
                  if _count(con, "SELECT count(*) FROM _cases WHERE reject_rule IS NOT NULL") else "")
    grids = _count(con, "SELECT count(*) FROM core.grid") > 0
    # Without grids loaded yet a code cannot be judged: no unknown_grid flag rather than a false one on every case.
    unknown_grid = (f"{copt('grid_code')} IS NOT NULL AND {copt('grid_code')} NOT IN (SELECT grid_code FROM core.grid)"
                    if grids else "FALSE")
    closed_at = copt("closed_at", "TIMESTAMP")
    # Flags in alphabetical order, so the list is sorted and distinct without sorting it.
    run(f"""
        INSERT INTO core."case" ({", ".join(CASE_COLUMNS)})
        SELECT $origin || ':' || c.case_id, $origin, CAST(c.case_id AS VARCHAR), $edition, {copt('kind')},
               {copt('subclass_code')}, c.source,
               {scrub_sql(con, copt('description'))}, CAST(c.reported_at AS TIMESTAMP),
               {copt('reporter_id')}, {copt('grid_code')}, {copt('community_code')}, {copt('street_code')},
               {copt('district_code')}, {copt('lon', 'DOUBLE')}, {copt('lat', 'DOUBLE')}, {copt('department_code')},
               {copt('handling_class')}, {_state_expr('c.status', states)},
               coalesce({closed_at}, {copt('voided_at', 'TIMESTAMP')}),
               list_filter([
                   CASE WHEN {closed_at} < CAST(c.reported_at AS TIMESTAMP) OR p.close_before_report IS TRUE
                        THEN 'closed_before_opened' END,
                   CASE WHEN p.early_event IS TRUE THEN 'event_before_report' END,
                   CASE WHEN p.missing_actor IS TRUE THEN 'event_missing_actor' END,
                   CASE WHEN p.out_of_order IS TRUE THEN 'event_out_of_order' END,
                   CASE WHEN {copt('grid_code')} IS NULL THEN 'missing_grid' END,
                   CASE WHEN {unknown_grid} THEN 'unknown_grid' END
               ], x -> x IS NOT NULL),
               $cb, NULL, c.status, NULL, NULL, NULL, NULL, {copt('handle_deadline_at', 'TIMESTAMP')},
               CASE WHEN {copt('grid_code')} IS NOT NULL THEN 'recorded' ELSE 'none' END
        FROM read_parquet($cfile{", file_row_number = true" if skip_cases else ""}) c
        LEFT JOIN _flagged p ON p.case_id = CAST(c.case_id AS VARCHAR)
        {skip_cases}
    """)
    _place_by_coordinates(con, cb)
    lap("cases_insert")
    rejected = _count(con, "SELECT count(*) FROM _events WHERE reject_rule IS NOT NULL")
    skip = ("WHERE e.file_row_number NOT IN (SELECT file_row_number FROM _events WHERE reject_rule IS NOT NULL)"
            if rejected else "")
    source = f'read_parquet($efile{", file_row_number = true" if skip else ""}) e {skip}'
    if ecols & _ROW_ONLY_COLUMNS:  # the file carries a column core.case_event_bulk has not: stored as given
        run(f"""
            INSERT INTO {EVENT_TABLE} ({", ".join(EVENT_COLUMNS)})
            SELECT $origin || ':' || e.case_id, e.seq, CAST(e.case_id AS VARCHAR) || ':' || e.seq, e.action,
                   {_state_expr('e.from_state', states)}, {_state_expr('e.to_state', states)},
                   CAST(e."at" AS TIMESTAMP), {eopt('actor_id')}, {eopt('actor_role')}, {eopt('department_code')},
                   {eopt('district_code')}, {eopt('outcome')}, {eopt('deadline_at', 'TIMESTAMP')},
                   {eopt('met', 'BOOLEAN')}, {eopt('overdue_multiple', 'DOUBLE')}, {eopt('limit_hours', 'DOUBLE')},
                   {eopt('limit_basis')}, {eopt('handbook_version')}, NULL, $origin, $eb, e.action, {eopt('step')}
            FROM {source}
        """)
    else:
        # The file's columns only (migration 0102): event_id, origin_system, batch_id, origin_action and the
        # columns the file lacks are derived by the view core.case_event from the load's row — the same values the
        # branch above stores, at ≈ half the events insert's CPU time (bench/cases/README.md).
        params["load"] = _count(con, "SELECT coalesce(max(load_no), 0) + 1 FROM core.case_event_load")
        run("INSERT INTO core.case_event_load (load_no, origin_system, batch_id) VALUES ($load, $origin, $eb)")
        run(f"""
            INSERT INTO {BULK_EVENT_TABLE} ({", ".join(BULK_EVENT_COLUMNS)})
            SELECT $load, $origin || ':' || e.case_id, e.seq, e.action,
                   {_state_expr('e.from_state', states)}, {_state_expr('e.to_state', states)},
                   CAST(e."at" AS TIMESTAMP), {eopt('actor_id')}, {eopt('actor_role')}, {eopt('department_code')},
                   {eopt('deadline_at', 'TIMESTAMP')}, {eopt('met', 'BOOLEAN')}, {eopt('step')}
            FROM {source}
        """)
    if taken_events:
        _reflag_from_core(con, cb, origin)
    lap("events_insert")
    _quarantine(con, "_cases", cb, cases_path.name, "core.case", "case_id")
    _quarantine(con, "_events", eb, events_path.name, "core.case_event", "case_id")
    ci = _count(con, "SELECT count(*) FROM read_parquet(?)", [str(cases_path)])
    ei = _count(con, "SELECT count(*) FROM read_parquet(?)", [str(events_path)])
    rules_c = dict(con.execute("SELECT reject_rule, count(*) FROM _cases WHERE reject_rule IS NOT NULL"
                               " GROUP BY ALL ORDER BY ALL").fetchall())
    rules_e = dict(con.execute("SELECT reject_rule, count(*) FROM _events WHERE reject_rule IS NOT NULL"
                               " GROUP BY ALL ORDER BY ALL").fetchall())
    cq, eq = sum(rules_c.values()), sum(rules_e.values())
    record_load(con, LoadCount(cb, "core.case", ci, ci - cq, cq), {"origin_system": origin, "rules": rules_c})
    record_load(con, LoadCount(eb, "core.case_event", ei, ei - eq, eq), {"origin_system": origin, "rules": rules_e})
    for table in ("_prof", "_flagged", "_cases", "_events"):
        con.execute(f"DROP TABLE {table}")
    lap("quarantine_and_ledger")
    return ParquetResult(cb, eb, ci, ci - cq, cq, ei, ei - eq, eq, 0.0, stages)


# An event more than the clock slack (szcg.clock, which the evaluation reads too) before its case's reported_at is
# flagged event_before_report (over any of the case's events, rejected ones included: a flag too many only costs
# the evaluation a second look). The evaluation reads a period's
# history from shortly before it and trusts reported_at to bound a case's events unless the case carries such a flag.
EARLY_EVENT_SLACK = f"INTERVAL {int(REPORT_CLOCK_SLACK.total_seconds())} SECOND"

# Whether an event continues its case's run in file order: the row before it (lag over the scan, checked to be the
# previous file row) is of the same case, with a smaller seq and a time not later. A case whose events have exactly
# one row not in_chain (its first) is one run, seq strictly rising, times not falling: no duplicate seq, none out of
# order. (Anything else — interleaved cases, duplicates, NULLs, late events — is re-read and judged exactly.)
_CHAIN = """coalesce(lag(file_row_number) OVER () = file_row_number - 1 AND lag(case_id) OVER () = case_id
             AND lag(seq) OVER () < seq AND lag("at") OVER () <= "at", FALSE) AS in_chain"""



def _threads(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT current_setting('threads')").fetchone()
    return max(1, int(row[0])) if row else 1


def _event_parts(con: duckdb.DuckDBPyConnection, path: Path, parts: int) -> list[int]:
    """The first file row of each part of the events file: consecutive row groups in at most ``parts`` runs of
    about the same number of rows ([0] for a file of one row group, or for one part)."""
    sizes = [int(r[0]) for r in con.execute(
        "SELECT row_group_num_rows FROM (SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata(?))"
        " ORDER BY row_group_id", [str(path)]).fetchall()]
    total, starts, row = sum(sizes), [0], 0
    for size in sizes[:-1]:
        row += size
        # a cut at the end of this row group when it is the nearest one to the next share of the rows
        if len(starts) < parts and row >= total * len(starts) / parts - size / 2:
            starts.append(row)
    return starts


def _chained_events(starts: list[int]) -> str:
    """The events file's rows (the profile's columns) with _CHAIN's in_chain, one UNION ALL branch per part (rows
    ``starts[i]`` up to the next start). A streaming window runs on one thread; each branch is a pipeline of its
    own, so DuckDB runs them side by side. Each branch reads the row before its first row as well, and drops it
    after the window: its first row's lag is then that row, as in one pass over the whole file — every row's
    in_chain is the same whatever the parts (tests/transforms/cases/test_parquet_import.py)."""
    branches = []
    for i, first in enumerate(starts):
        bounds = ([f"file_row_number >= {first - 1}"] if first else []) + (
            [f"file_row_number < {starts[i + 1]}"] if i + 1 < len(starts) else [])
        rows = ('SELECT CAST(case_id AS VARCHAR) AS case_id, seq, "at", action, actor_id, file_row_number'
                " FROM read_parquet($efile, file_row_number = true)"
                + (f" WHERE {' AND '.join(bounds)}" if bounds else ""))
        chained = f"SELECT *, {_CHAIN} FROM ({rows})"
        branches.append(f"SELECT * FROM ({chained}) WHERE file_row_number >= {first}" if first else chained)
    return "\nUNION ALL\n".join(branches)


# Per case, over its loadable events: duplicate seq, an event earlier than the one before it (by seq), a close
# before the (first) report, an action without an actor — exactly, by sorting each case's (seq, at) pairs. Only for
# the few cases step 2b re-reads (and _reflag_from_core); the profile proves the others in order with _CHAIN. Used as
# ``SELECT * EXCLUDE (pairs), <_EVENT_CHECKS> FROM (SELECT case_id, <_EVENT_AGGREGATES> … GROUP BY 1)``.
_EVENT_AGGREGATES = """
    list_sort(list({'s': seq, 'a': "at"})) AS pairs,
    coalesce(min("at") FILTER (WHERE action = 'close') < min("at") FILTER (WHERE action = 'report'), FALSE)
        AS close_before_report,
    coalesce(bool_or(actor_id IS NULL), FALSE) AS missing_actor"""
_EVENT_CHECKS = """
    len(list_distinct([x.s FOR x IN pairs])) < len(pairs) AS seq_dup,
    coalesce([x.a FOR x IN pairs] <> list_sort([x.a FOR x IN pairs]), FALSE) AS out_of_order"""


def _reflag_from_core(con: duckdb.DuckDBPyConnection, batch: str, origin: str) -> None:
    """Cases of this batch that also hold events loaded by another batch: their event flags are computed from all
    their events in core (this batch's and the earlier ones), once this batch's events are in."""
    _execute(con, f"""
        UPDATE core."case" c SET flags = list_sort(list_distinct(list_concat(c.flags, list_filter([
                   CASE WHEN x.close_before_report THEN 'closed_before_opened' END,
                   CASE WHEN x.missing_actor THEN 'event_missing_actor' END,
                   CASE WHEN x.out_of_order THEN 'event_out_of_order' END], f -> f IS NOT NULL))))
        FROM (SELECT * EXCLUDE (pairs), {_EVENT_CHECKS} FROM (
                  SELECT case_id, {_EVENT_AGGREGATES} FROM (
                      SELECT e.case_id, e.seq, e.occurred_at AS "at", e.action, e.actor_id FROM core.case_event e
                      JOIN _prof p ON e.case_id = $origin || ':' || p.case_id
                      WHERE p.events_taken AND p.loaded) GROUP BY 1)) x
        WHERE c.case_id = x.case_id AND c.batch_id = $batch
    """, {"origin": origin, "batch": batch})


# Optional event-file columns core.case_event_bulk does not store (the synthetic city's file has none of them): a
# file that carries any of them is loaded into core.case_event_row, every column as given.
_ROW_ONLY_COLUMNS = frozenset({"district_code", "outcome", "overdue_multiple", "limit_hours", "limit_basis",
                               "handbook_version"})

_TAKEN_EVENT_KEYS = ("SELECT substr(case_id, $prefix) AS case_id, seq FROM core.case_event"
                     " WHERE origin_system = $origin")


def _state_expr(column: str, states: dict[str, str]) -> str:
    """The state vocabulary ($states → $state_codes) as a MAP lookup (NULL for a state it does not know, like a CASE
    without ELSE). A function call, so DuckDB evaluates it once per entry of the Parquet column's dictionary instead
    of per row (a 12-way CASE on 80 M rows cost ≈ 4× more; a join with the vocabulary more still)."""
    if not states:
        return "CAST(NULL AS VARCHAR)"
    return f"MAP($states::VARCHAR[], $state_codes::VARCHAR[])[CAST({column} AS VARCHAR)]"


_PARAMETER = re.compile(r"\$([a-z_]+)\b")


def _execute(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> None:
    """Run ``sql`` with the named parameters it uses (DuckDB refuses values for parameters a statement lacks)."""
    con.execute(sql, {name: params[name] for name in set(_PARAMETER.findall(sql))})


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> int:
    row = con.execute(sql, params or []).fetchone()
    return int(row[0]) if row else 0


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
    """Set-based twin of warehouse.accounting.replace_quarantine (the batch's rows were deleted above); the raw
    record's text columns are scrubbed of personal data like the loaded ones."""
    texts = [n for n, t in con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall()
             if t == "VARCHAR" and n != "reject_rule"]
    scrub = register_scrub(con)
    quoted = ['"' + n.replace('"', '""') + '"' for n in texts]
    replaced = f" REPLACE ({', '.join(f'{scrub}({q}) AS {q}' for q in quoted)})" if texts else ""
    con.execute(f"""
        INSERT INTO quarantine.rejected_row
        SELECT ?, ?, ?, file_row_number + 1, CASE reject_rule WHEN 'missing_reported_at' THEN 'reported_at'
               WHEN 'status_vocabulary' THEN 'status' WHEN 'missing_time' THEN 'at'
               WHEN 'action_vocabulary' THEN 'action' WHEN 'duplicate_seq' THEN 'seq' WHEN 'missing_seq' THEN 'seq'
               ELSE ? END,
               reject_rule, 'rejected: ' || reject_rule,
               CAST(to_json(t) AS JSON)
        FROM (SELECT *{replaced} FROM {table}) t WHERE reject_rule IS NOT NULL ORDER BY file_row_number
    """, [batch, target, file_name, field])
