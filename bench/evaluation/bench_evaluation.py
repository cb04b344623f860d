"""Benchmark: evaluate one month and a full year over a synthetic year of cases generated in DuckDB SQL, and
compare with the pandas implementation of the same indicators (tests/support/evaluation_reference.py).

    python bench/evaluation/bench_evaluation.py --cases 10000000 --db /tmp/eval-bench.duckdb

Generation writes core."case" and core.case_event with CREATE TABLE AS (no primary-key indexes, which at 75 M
events would only slow generation; the evaluation never uses them). DuckDB runs with 2 threads.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import cast

import duckdb
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # the pandas reference lives in tests/support, not in an installed package

from standards.calendar import load_calendar  # noqa: E402
from standards.city import packaged_city  # noqa: E402
from szcg.settings import load_settings  # noqa: E402
from tests.support import evaluation_reference as reference  # noqa: E402
from transforms.evaluation import engine  # noqa: E402
from transforms.evaluation.period import Period, parse_period  # noqa: E402
from transforms.evaluation.scheme import load_scheme  # noqa: E402

STEPS = """
-- seq, action, minutes after report, actor, role, department, deadline_met, overdue_multiple, outcome, condition
SELECT case_id, 1 AS seq, 'report' AS action, t0 AS occurred_at, CASE WHEN public THEN op ELSE sup END AS actor_id,
       CASE WHEN public THEN 'operator' ELSE 'supervisor' END AS actor_role, NULL AS department_code,
       NULL::BOOLEAN AS deadline_met, NULL::DOUBLE AS overdue_multiple, NULL AS outcome FROM bc
UNION ALL SELECT case_id, 2, 'accept', t0 + INTERVAL 10 MINUTE, op, 'operator', NULL, u1 < 0.95, NULL,
       CASE WHEN public THEN 'sent_to_verify' END FROM bc
UNION ALL SELECT case_id, 3, 'verify', t0 + INTERVAL 40 MINUTE, sup, 'supervisor', NULL, u2 < 0.9, NULL, 'confirmed'
       FROM bc WHERE public
UNION ALL SELECT case_id, 4, 'register', t0 + INTERVAL 60 MINUTE, sl, 'shift_leader', NULL, u3 < 0.95, NULL, NULL
       FROM bc WHERE NOT voided
UNION ALL SELECT case_id, 5, 'void', t0 + INTERVAL 90 MINUTE, sl, 'shift_leader', NULL, NULL, NULL, 'approved'
       FROM bc WHERE voided
UNION ALL SELECT case_id, 6, 'dispatch', t0 + INTERVAL 120 MINUTE, dp, 'dispatcher',
       CASE WHEN returned THEN wrong_dept ELSE dept END, u4 < 0.93, NULL, NULL FROM bc WHERE NOT voided
UNION ALL SELECT case_id, 7, 'return', t0 + INTERVAL 150 MINUTE, dp, 'dispatcher', NULL, NULL, NULL, 'approved'
       FROM bc WHERE returned
UNION ALL SELECT case_id, 8, 'dispatch', t0 + INTERVAL 180 MINUTE, dp, 'dispatcher', dept, true, NULL, NULL
       FROM bc WHERE returned
UNION ALL SELECT case_id, 9, 'extend', t0 + INTERVAL 240 MINUTE, sl, 'shift_leader', NULL, NULL, NULL, 'approved'
       FROM bc WHERE extended
UNION ALL SELECT case_id, 10, 'shelve', t0 + INTERVAL 300 MINUTE, sl, 'shift_leader', NULL, NULL, NULL, 'approved'
       FROM bc WHERE shelved
UNION ALL SELECT case_id, 11, 'feedback', t0 + to_minutes(fb), 'H' || dept, 'department', NULL, NOT late,
       CASE WHEN late THEN u5 * 3 END, NULL FROM bc WHERE alive
UNION ALL SELECT case_id, 12, 'rework', t0 + to_minutes(fb + 60), sup, 'supervisor', NULL, u6 < 0.9, NULL, 'failed'
       FROM bc WHERE alive AND rework
UNION ALL SELECT case_id, 13, 'feedback', t0 + to_minutes(fb + 600), 'H' || dept, 'department', NULL, u6 < 0.8,
       NULL, NULL FROM bc WHERE alive AND rework
UNION ALL SELECT case_id, 14, 'check', t0 + to_minutes(fb + CASE WHEN rework THEN 700 ELSE 100 END), sup,
       'supervisor', NULL, u2 < 0.92, NULL, 'passed' FROM bc WHERE alive
UNION ALL SELECT case_id, 15, 'close', t0 + to_minutes(fb + CASE WHEN rework THEN 760 ELSE 160 END), sl,
       'shift_leader', NULL, u3 < 0.96, NULL, NULL FROM bc WHERE alive
"""


def generate(con: duckdb.DuckDBPyConnection, cases: int) -> dict[str, float]:
    t = time.perf_counter()
    con.execute("CREATE SCHEMA IF NOT EXISTS core")
    con.execute("DROP TABLE IF EXISTS core.case_event")
    con.execute('DROP TABLE IF EXISTS core."case"')
    step_us = 365 * 86400 * 1_000_000 // cases
    con.execute(f"""
        CREATE TEMP TABLE bc AS
        WITH r AS (
            SELECT i, TIMESTAMP '2026-01-01' + to_microseconds(i * {step_us}) AS t0,
                   (hash(i) % 2000) AS g, (hash(i + 1) % 1000) / 1000.0 AS u0,
                   (hash(i + 2) % 1000) / 1000.0 AS u1, (hash(i + 3) % 1000) / 1000.0 AS u2,
                   (hash(i + 4) % 1000) / 1000.0 AS u3, (hash(i + 5) % 1000) / 1000.0 AS u4,
                   (hash(i + 6) % 1000) / 1000.0 AS u5, (hash(i + 7) % 1000) / 1000.0 AS u6,
                   (hash(i + 8) % 1000) / 1000.0 AS u7
            FROM range({cases}) t(i)
        )
        SELECT 'C' || i AS case_id, t0, g,
               '1406' || lpad(CAST(2 + g % 6 AS VARCHAR), 2, '0') AS district_code,
               '1406' || lpad(CAST(2 + g % 6 AS VARCHAR), 2, '0')
                   || lpad(CAST(g % 60 AS VARCHAR), 3, '0') AS street_code,
               '1406' || lpad(CAST(2 + g % 6 AS VARCHAR), 2, '0') || lpad(CAST(g % 60 AS VARCHAR), 3, '0')
                   || lpad(CAST(g % 400 AS VARCHAR), 3, '0') AS community_code,
               '1406' || lpad(CAST(2 + g % 6 AS VARCHAR), 2, '0') || lpad(CAST(g % 60 AS VARCHAR), 3, '0')
                   || lpad(CAST(g % 400 AS VARCHAR), 3, '0') || lpad(CAST(g AS VARCHAR), 3, '0') AS grid_code,
               u0 < 0.21 AS public, CASE WHEN u0 < 0.12 THEN 'hotline' WHEN u0 < 0.21 THEN 'public'
                                         ELSE 'supervisor' END AS source,
               'S' || (g % 400) AS sup, 'O' || (hash(i + 9) % 30) AS op, 'L' || (hash(i + 10) % 10) AS sl,
               'P' || (hash(i + 11) % 20) AS dp, 'D' || (hash(i + 12) % 40) AS dept,
               'D' || ((hash(i + 12) + 7) % 40) AS wrong_dept,
               u7 < 0.03 AS voided, u7 >= 0.03 AND u7 < 0.07 AS returned, u7 >= 0.07 AND u7 < 0.12 AS extended,
               u7 >= 0.12 AND u7 < 0.135 AS shelved, NOT (u7 < 0.03 OR (u7 >= 0.12 AND u7 < 0.135)) AS alive,
               u6 < 0.08 AS rework, u5 < 0.12 AS late, 200 + CAST(u4 * 4000 AS INTEGER) AS fb,
               u1, u2, u3, u4, u5, u6
        FROM r
    """)
    con.execute("""
        CREATE TABLE core."case" AS
        SELECT case_id, 'bench' AS origin_system, case_id AS origin_case_id, 'gbt47678.5-2026' AS edition,
               'event' AS kind, NULL AS subclass_code, source, NULL AS description, t0 AS reported_at,
               NULL AS reporter_id, grid_code, community_code, street_code, district_code, NULL::DOUBLE AS lon,
               NULL::DOUBLE AS lat, dept AS department_code, 'normal' AS handling_class, 'x' AS status,
               NULL::TIMESTAMP AS closed_at, NULL::VARCHAR[] AS flags, 'bench' AS batch_id
        FROM bc
    """)
    # One month at a time: a single ORDER BY over all ~75 M wide rows ran out of memory under the 8 GB limit; the
    # table ends up in the same order (by occurred_at) with the same rows.
    cols = """case_id, seq, case_id || '-' || seq AS event_id, action, NULL AS from_state, NULL AS to_state,
               occurred_at, actor_id, actor_role, department_code, NULL AS district_code, outcome,
               NULL::TIMESTAMP AS deadline_at, deadline_met, overdue_multiple, NULL::DOUBLE AS limit_hours,
               NULL AS limit_basis, NULL AS handbook_version, NULL AS comment, 'bench' AS origin_system,
               'bench' AS batch_id"""
    bounds = ["0001-01-01"] + [f"2026-{m:02d}-01" for m in range(2, 13)] + ["9999-01-01"]
    for k, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        head = "CREATE TABLE core.case_event AS" if k == 0 else "INSERT INTO core.case_event"
        con.execute(f"{head} SELECT {cols} FROM ({STEPS}) WHERE occurred_at >= TIMESTAMP '{lo}' "
                    f"AND occurred_at < TIMESTAMP '{hi}' ORDER BY occurred_at")
    con.execute("DROP TABLE bc")
    con.execute("CHECKPOINT")
    n = con.execute("SELECT count(*) FROM core.case_event").fetchone()
    return {"generate_s": round(time.perf_counter() - t, 1), "events": int(n[0]) if n else 0}


EVENT_COLUMNS = ("case_id, seq, action, occurred_at, actor_id, actor_role, department_code, outcome, deadline_met, "
                 "overdue_multiple, deadline_at")


def load_for_pandas(con: duckdb.DuckDBPyConnection, period: Period) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The events and cases the pandas reference needs for ``period``: every event before the cut-off of the cases
    with an event in the window, read with the engine's history bound (see engine.HISTORY_LOOKBACK)."""
    lower = period.start_at - engine.HISTORY_LOOKBACK
    slack = engine.REPORT_CLOCK_SLACK
    con.execute(f"""CREATE OR REPLACE TEMP TABLE pd_scope AS SELECT DISTINCT case_id FROM core.case_event
                    WHERE occurred_at >= TIMESTAMP '{period.start_at}' AND occurred_at < TIMESTAMP '{period.end_at}'""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE pd_early AS SELECT s.case_id FROM pd_scope s
                    LEFT JOIN core."case" c USING (case_id)
                    WHERE c.reported_at IS NULL OR c.reported_at < TIMESTAMP '{lower + slack}'""")
    events = con.execute(f"""
        SELECT {EVENT_COLUMNS} FROM core.case_event SEMI JOIN pd_scope USING (case_id)
        WHERE occurred_at >= TIMESTAMP '{lower}' AND occurred_at < TIMESTAMP '{period.end_at}'
        UNION ALL
        SELECT {EVENT_COLUMNS} FROM core.case_event SEMI JOIN pd_early USING (case_id)
        WHERE occurred_at < TIMESTAMP '{lower}'""").df()
    cases = con.execute('SELECT case_id, source, district_code, street_code, community_code, grid_code '
                        'FROM core."case" SEMI JOIN pd_scope USING (case_id)').df()
    con.execute("DROP TABLE pd_scope")
    con.execute("DROP TABLE pd_early")
    return events, cases


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(label: str, fn, results: dict) -> object:  # type: ignore[no-untyped-def, type-arg]
    """Wall seconds and CPU seconds (the machine is shared: CPU time shows the work done whatever the load), the
    1-minute load average when the step started and the process' peak resident memory after it."""
    name = label.removesuffix("_s")
    results[f"{name}_load_1m"] = round(os.getloadavg()[0], 1)
    t, c = time.perf_counter(), _cpu()
    out = fn()
    results[label] = round(time.perf_counter() - t, 2)
    results[f"{name}_cpu_s"] = round(_cpu() - c, 2)
    results[f"{name}_peak_rss_gib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
    print(f"{label}: {results[label]} s wall, {results[f'{name}_cpu_s']} s CPU, load {results[f'{name}_load_1m']}, "
          f"peak RSS {results[f'{name}_peak_rss_gib']} GiB", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10_000_000)
    ap.add_argument("--db", type=Path, default=Path("/tmp/eval-bench.duckdb"))
    ap.add_argument("--reuse", action="store_true", help="keep the generated tables if present")
    ap.add_argument("--month", default="2026-06")
    ap.add_argument("--pandas-year", action="store_true", help="also run pandas on the whole year (memory!)")
    ap.add_argument("--no-lineage", action="store_true", help="skip the month run that also builds lineage")
    ap.add_argument("--generate-only", action="store_true", help="generate (or check) the data set, then stop")
    args = ap.parse_args()
    storage = load_settings().warehouse_storage_version
    if not args.reuse and args.db.exists():
        # a database keeps the storage format it was created with: generate into a new file, as the warehouse would
        args.db.unlink()
        args.db.with_name(args.db.name + ".wal").unlink(missing_ok=True)
    config: dict[str, str | bool | int | float | list[str]] = (
        {} if args.db.exists() else {"storage_compatibility_version": storage})
    con = duckdb.connect(str(args.db), config=config)
    con.execute("SET threads = 2")
    con.execute("SET memory_limit = '8GB'")  # the machine is shared; pandas needs room in the same process
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    row = con.execute("SELECT tags['storage_version'] FROM duckdb_databases() WHERE path IS NOT NULL").fetchone()
    results: dict[str, object] = {"cases": args.cases, "storage_version": row[0] if row else None}
    have = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'core' "
                       "AND table_name = 'case_event'").fetchone()
    if not (args.reuse and have and have[0]):
        con.execute("SET preserve_insertion_order = true")  # generation keeps the events ordered by time
        results.update(generate(con, args.cases))
    else:
        results["events"] = con.execute("SELECT count(*) FROM core.case_event").fetchone()[0]  # type: ignore[index]
    print(json.dumps(results), flush=True)
    if args.generate_only:
        return
    scheme, calendar = load_scheme(), load_calendar(packaged_city())
    month, year = parse_period(args.month), parse_period("2026-01-01..2026-12-31")
    con.execute("CREATE TEMP TABLE eval_exclusion (object VARCHAR, entity_code VARCHAR, case_id VARCHAR, "
                "indicator VARCHAR)")
    timed("duckdb_month_s", lambda: engine.run(con, month, scheme, calendar, lineage=False), results)
    results["month_cohort_cases"] = con.execute("SELECT count(*) FROM eval_case_fact").fetchone()[0]  # type: ignore
    if not args.no_lineage:
        timed("duckdb_month_with_lineage_s", lambda: engine.run(con, month, scheme, calendar), results)
        results["month_lineage_rows"] = con.execute("SELECT count(*) FROM eval_lineage").fetchone()[0]  # type: ignore
        con.execute("DROP TABLE eval_lineage")  # ~65 M rows: kept, they would crowd the year run out of memory
    sql_month = con.execute("SELECT object, level, entity_code, indicator, numerator, denominator, value "
                            "FROM eval_indicator").df()
    timed("duckdb_year_s", lambda: engine.run(con, year, scheme, calendar, lineage=False), results)
    results["year_cohort_cases"] = con.execute("SELECT count(*) FROM eval_case_fact").fetchone()[0]  # type: ignore
    # the first month run read the database from disk; pandas below works on frames already in memory
    timed("duckdb_month_warm_s", lambda: engine.run(con, month, scheme, calendar, lineage=False), results)
    con.execute("DROP TABLE IF EXISTS eval_lineage")
    # pandas: the same indicators for the month. Its frames are loaded from the warehouse file the fastest way we
    # know — DuckDB selects exactly the events the month needs (the same history bound as the engine: events from
    # a week before the month on, plus the earlier events of the cases reported before that) and hands them over
    # as DataFrames — and timed separately: (a) compute only, (b) end to end = load + compute.
    loaded = timed("pandas_load_month_s", lambda: load_for_pandas(con, month), results)
    events, cases = cast(tuple[pd.DataFrame, pd.DataFrame], loaded)
    results["pandas_month_events"] = len(events)
    pdm = timed("pandas_month_s", lambda: reference.indicators(events, cases, month, calendar), results)
    key = ["object", "level", "entity_code", "indicator"]
    merged = sql_month.merge(pdm, on=key, how="outer", suffixes=("_sql", "_pd"), indicator=True)  # type: ignore
    same = (merged["_merge"] == "both").all() and all(
        ((merged[f"{c}_sql"].astype(float) - merged[f"{c}_pd"].astype(float)).abs().fillna(0) < 1e-6).all()
        for c in ("numerator", "denominator", "value"))
    results["pandas_matches_duckdb_month"] = bool(same)
    r = results
    pd_e2e = r["pandas_load_month_s"] + r["pandas_month_s"]  # type: ignore[operator]
    pd_e2e_cpu = r["pandas_load_month_cpu_s"] + r["pandas_month_cpu_s"]  # type: ignore[operator]
    r["pandas_month_e2e_s"], r["pandas_month_e2e_cpu_s"] = round(pd_e2e, 2), round(pd_e2e_cpu, 2)
    # (a) compute only: pandas on frames already in memory vs the engine reading the warehouse file
    r["ratio_month_pandas_over_duckdb"] = round(r["pandas_month_s"] / r["duckdb_month_s"], 1)  # type: ignore
    r["ratio_month_cpu_pandas_over_duckdb"] = round(r["pandas_month_cpu_s"] / r["duckdb_month_cpu_s"], 1)  # type: ignore
    r["ratio_month_warm_pandas_over_duckdb"] = round(r["pandas_month_s"] / r["duckdb_month_warm_s"], 1)  # type: ignore
    r["ratio_month_warm_cpu_pandas_over_duckdb"] = round(
        r["pandas_month_cpu_s"] / r["duckdb_month_warm_cpu_s"], 1)  # type: ignore
    # (b) end to end from the warehouse file: pandas' load + compute vs the engine
    r["ratio_month_e2e_pandas_over_duckdb"] = round(pd_e2e / r["duckdb_month_s"], 1)  # type: ignore
    r["ratio_month_e2e_cpu_pandas_over_duckdb"] = round(pd_e2e_cpu / r["duckdb_month_cpu_s"], 1)  # type: ignore
    results["load_average_1m"] = round(os.getloadavg()[0], 1)
    results["started_utc"] = started
    del events, cases, pdm
    gc.collect()
    if args.pandas_year:
        t = time.perf_counter()
        events = con.execute(f"SELECT {EVENT_COLUMNS} FROM core.case_event").df()
        cases = con.execute('SELECT case_id, source, district_code, street_code, community_code, grid_code '
                            'FROM core."case"').df()
        results["pandas_load_year_s"] = round(time.perf_counter() - t, 2)
        timed("pandas_year_s", lambda: reference.indicators(events, cases, year, calendar), results)
        results["ratio_year_pandas_over_duckdb"] = round(results["pandas_year_s"] / results["duckdb_year_s"], 1)  # type: ignore
    print(json.dumps(results, indent=2))
    Path(__file__).with_name(f"results-{args.cases}.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
