"""A data directory holding a warehouse with a 10 M-case year, evaluated and published by the real use cases.

    flock /tmp/szcg-bench.lock python bench/city10m.py [--dir /tmp/szcg-city10m] [--cases 10000000]

Built once and reused (``<dir>/READY`` marks a finished build; delete the folder to rebuild). Other benchmarks
(report, portal) point ``SZCG_DATA_DIR`` at ``--dir``.

How, and why this way:

1. ``szcg synth city`` (scale 1, two months from 2026-09-01) gives the demo's city: grid map, areas, departments,
   handbook, calendar, cases and hotline logs. Its reference data and grid map go in through the same use cases as
   the demo (``usecases.reference``, ``usecases.grids``), its cases through the Parquet importer and its calls
   through the hotline ingest — so the conformed vocabulary of the events (the one the engine reads) is the
   importer's, not a copy of it.
2. The year: the September cases are the *templates*. DuckDB SQL writes ``k = 1 … K-1`` copies of each, each copy
   moved in time by ``k × year / K`` (wrapping inside the year 2025-11-01 .. 2026-11-01), with every timestamp of
   the case (events, deadlines, closing) moved by the same amount, new ids and the same grid, subclass and
   department. Hotline calls are copied the same way, linked to the same copy of their case. Rows are written a
   month at a time in time order, as the warehouse appends them (month filters then skip row groups).
3. 2026-09 through the steps of ``usecases.evaluation.evaluate_month`` (compute → validate → gate → freeze as
   version 1) without a snapshot of its own, then ``evaluate_month`` itself for 2026-10 (its publish carries both
   months), so the report has 环比; the publish rebuilds the marts as any publish does.

Every step records wall and CPU seconds, the 1-minute load average when it started and the peak RSS; the
results go to ``<dir>/build.json``. DuckDB connections opened by this process get ``memory_limit`` (default 8GB,
``--memory-limit``): the use cases open their own connections with DuckDB's default (80 % of RAM), which on a
shared 24 GiB machine is too much.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

YEAR_START = datetime(2025, 11, 1)
YEAR_DAYS = 365
TEMPLATE_MONTH = (datetime(2026, 9, 1), datetime(2026, 10, 1))
EVALUATED = ("2026-09", "2026-10")
# callers' numbers are hashed with a secret; a synthetic city's calls need only a fixed one (not the demo's
# SZCG_DEMO switch, which changes more than the key)
HASH_KEY = "city10m-synthetic-city-not-a-secret-0123456789"
SUFFIX = "~"  # copy k of case X is X~k: never a character of the synthetic city's ids


def limit_duckdb_memory(limit: str) -> None:
    """Give every DuckDB connection this process opens a memory limit (the warehouse does not set one)."""
    connect = duckdb.connect

    def limited(database: str = ":memory:", read_only: bool = False,
                config: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
        return connect(database, read_only=read_only, config={"memory_limit": limit, **(config or {})})

    duckdb.connect = limited  # type: ignore[assignment]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    k = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + k.ru_utime + k.ru_stime


def step(results: dict[str, Any], name: str, fn: Callable[[], Any]) -> Any:
    """Run one step of the build and record it; a step an interrupted build finished is not run again."""
    if name in results["steps"]:
        print(name, "done before", flush=True)
        return results.get("outputs", {}).get(name)
    load = round(os.getloadavg()[0], 1)
    t, c = time.perf_counter(), _cpu()
    out = fn()
    results["steps"][name] = {
        "seconds": round(time.perf_counter() - t, 1), "cpu_seconds": round(_cpu() - c, 1), "load_1m": load,
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)}
    print(name, json.dumps(results["steps"][name]), flush=True)
    if isinstance(out, dict):
        results.setdefault("outputs", {})[name] = out
    results["path"].write_text(json.dumps({k: v for k, v in results.items() if k != "path"}, indent=1,
                                          default=str), encoding="utf-8")
    return out


def _month_bounds() -> list[tuple[datetime, datetime]]:
    out, y, m = [], YEAR_START.year, YEAR_START.month
    while (y, m) <= (2026, 12):
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        out.append((datetime(y, m, 1), datetime(ny, nm, 1)))
        y, m = ny, nm
    return out


def replicate(con: duckdb.DuckDBPyConnection, cases: int) -> dict[str, int]:
    """Write the copies of the template month's cases, events and calls (see the module's doc, step 2)."""
    lo, hi = TEMPLATE_MONTH
    con.execute("SET preserve_insertion_order = true")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE tpl AS SELECT case_id, reported_at FROM core."case"
                    WHERE reported_at >= TIMESTAMP '{lo}' AND reported_at < TIMESTAMP '{hi}'
                      AND case_id NOT LIKE '%{SUFFIX}%'""")
    templates = int(con.execute("SELECT count(*) FROM tpl").fetchone()[0])  # type: ignore[index]
    copies = max(1, round(cases / templates))
    step_s = YEAR_DAYS * 86400 / copies
    # delta: how far copy k of a template moves; the new report time wraps inside the year
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE shift AS
        SELECT t.case_id, k,
               to_seconds(CAST(((epoch(t.reported_at) - epoch(TIMESTAMP '{YEAR_START}') + k * {step_s})
                                % {YEAR_DAYS * 86400}) + epoch(TIMESTAMP '{YEAR_START}')
                               - epoch(t.reported_at) AS BIGINT)) AS delta,
               t.reported_at + to_seconds(CAST(((epoch(t.reported_at) - epoch(TIMESTAMP '{YEAR_START}')
                               + k * {step_s}) % {YEAR_DAYS * 86400}) + epoch(TIMESTAMP '{YEAR_START}')
                               - epoch(t.reported_at) AS BIGINT)) AS new_reported_at
        FROM tpl t, range(1, {copies}) r(k)
    """)
    case_cols = [r[0] for r in con.execute("DESCRIBE core.\"case\"").fetchall()]
    # events are stored in two tables (migration 0102; core.case_event is a view): each is copied into itself
    event_cols = {t: [r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()]
                  for t in ("core.case_event_row", "core.case_event_bulk")}
    call_cols = [r[0] for r in con.execute("DESCRIBE core.hotline_call").fetchall()]
    case_expr = {"case_id": f"c.case_id || '{SUFFIX}' || s.k",
                 "origin_case_id": f"c.origin_case_id || '{SUFFIX}' || s.k",
                 "reported_at": "s.new_reported_at", "closed_at": "c.closed_at + s.delta"}
    # (a copied core.case_event_bulk row has no event_id: the view derives it from the copy's case_id and seq)
    event_expr = {"case_id": f"e.case_id || '{SUFFIX}' || s.k", "event_id": f"e.event_id || '{SUFFIX}' || s.k",
                  "occurred_at": "e.occurred_at + s.delta", "deadline_at": "e.deadline_at + s.delta"}
    call_expr = {"call_id": f"h.call_id || '{SUFFIX}' || s.k",
                 "case_id": f"CASE WHEN h.case_id IS NOT NULL THEN h.case_id || '{SUFFIX}' || s.k END",
                 "called_at": "h.called_at + s.delta",
                 "repeat_of": f"CASE WHEN h.repeat_of IS NOT NULL THEN h.repeat_of || '{SUFFIX}' || s.k END"}
    cs = ", ".join(case_expr.get(c, f"c.{c}") for c in case_cols)
    es = {t: ", ".join(event_expr.get(c, f"e.{c}") for c in cols) for t, cols in event_cols.items()}
    hs = ", ".join(call_expr.get(c, f"h.{c}") for c in call_cols)
    # the calls of a template month, each tied to one template case's shift (its own, else a case by hash)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE tpl_call AS
        SELECT h.call_id, coalesce(t.case_id, (SELECT min(case_id) FROM tpl)) AS shift_case
        FROM core.hotline_call h LEFT JOIN tpl t ON t.case_id = h.case_id
        WHERE h.called_at >= TIMESTAMP '{lo}' AND h.called_at < TIMESTAMP '{hi}'
          AND h.call_id NOT LIKE '%{SUFFIX}%'
    """)
    for m_lo, m_hi in _month_bounds():
        window = (f"s.new_reported_at >= TIMESTAMP '{m_lo}' - INTERVAL 120 DAY "
                  f"AND s.new_reported_at < TIMESTAMP '{m_hi}'")
        con.execute(f"""INSERT INTO core."case" SELECT {cs} FROM shift s JOIN core."case" c USING (case_id)
                        WHERE s.new_reported_at >= TIMESTAMP '{m_lo}' AND s.new_reported_at < TIMESTAMP '{m_hi}'
                        ORDER BY s.new_reported_at""")
        for table, select in es.items():
            con.execute(f"""INSERT INTO {table} SELECT {select} FROM shift s JOIN {table} e USING (case_id)
                            WHERE {window} AND e.occurred_at + s.delta >= TIMESTAMP '{m_lo}'
                              AND e.occurred_at + s.delta < TIMESTAMP '{m_hi}'
                            ORDER BY e.occurred_at + s.delta""")
        con.execute(f"""INSERT INTO core.hotline_call SELECT {hs}
                        FROM tpl_call tc JOIN shift s ON s.case_id = tc.shift_case
                        JOIN core.hotline_call h ON h.call_id = tc.call_id
                        WHERE {window} AND h.called_at + s.delta >= TIMESTAMP '{m_lo}'
                          AND h.called_at + s.delta < TIMESTAMP '{m_hi}'
                        ORDER BY h.called_at + s.delta""")
        print(f"  {m_lo:%Y-%m} written", flush=True)
    for t in ("shift", "tpl", "tpl_call"):
        con.execute(f"DROP TABLE {t}")
    counts = {"templates": templates, "copies": copies}
    for table in ('core."case"', "core.case_event", "core.hotline_call"):
        counts[table.replace('"', "")] = int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
    return counts


def _evaluate(settings: Any, month: str) -> dict[str, Any]:
    from usecases.evaluation import evaluate_month

    return evaluate_month(settings, month, actor="bench").to_dict()


def _freeze(settings: Any, month: str) -> dict[str, Any]:
    """evaluate_month's steps (compute → validate → gate → freeze as version 1) without its snapshot: at 10 M
    cases a publish takes minutes, and the next month's evaluate_month publishes this month with it."""
    from transforms.evaluation import store
    from transforms.evaluation.period import parse_period
    from usecases.evaluation import compute, gate, validate
    from warehouse.store import Warehouse

    draft = compute(settings, month, actor="bench")
    validation = gate(validate(settings, month))
    with Warehouse(settings).writer() as con:
        version = store.publish(con, parse_period(month), actor="bench").version
    return {"period": month, "draft": draft, "validation": validation.to_dict(), "version": version,
            "snapshot": "published with the next month's"}


def build(directory: Path, cases: int) -> dict[str, Any]:
    os.environ["SZCG_DATA_DIR"] = str(directory)
    os.environ.setdefault("SZCG_HASH_KEY", HASH_KEY)
    from szcg.cli import main as szcg
    from szcg.settings import load_settings
    from transforms.cases.parquet_import import import_parquet
    from transforms.hotline.ingest import ingest_hotline
    from usecases.grids import load_grid_map
    from usecases.publish import publish_if_changed
    from usecases.reference import load_reference_data
    from warehouse.store import Warehouse

    settings = load_settings()
    city = directory / "synth-city"
    progress = directory / "build.json"
    results: dict[str, Any] = {"started_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
                               "cases_asked": cases, "steps": {}}
    if progress.is_file():  # an interrupted build: resume after its last finished step
        results = {**json.loads(progress.read_text(encoding="utf-8")), "resumed_utc": results["started_utc"]}
    results["path"] = progress
    if not (city / "synth.json").is_file():
        step(results, "synth_city", lambda: szcg(["synth", "city", "--out", str(city), "--scale", "1", "--months",
                                                  "2", "--start", f"{TEMPLATE_MONTH[0]:%Y-%m-%d}", "--quiet"]))
    step(results, "reference", lambda: load_reference_data(settings, publish=False))
    step(results, "grids", lambda: load_grid_map(settings, city / "geography" / "grids.gpkg", date(2025, 1, 1),
                                                 publish=False))
    wh = Warehouse(settings)
    step(results, "import_cases", lambda: import_parquet(wh, city / "cases", edition="gbt47678.5-2026"))
    for log in sorted((city / "hotline" / "utf8").glob("*.csv")):
        step(results, f"hotline_{log.stem}", partial(ingest_hotline, wh, log, settings))

    def generate() -> dict[str, int]:
        with wh.writer() as con:
            return replicate(con, cases)

    results["counts"] = step(results, "generate_year", generate)
    step(results, "publish_year", lambda: publish_if_changed(settings, "city10m: a 10M-case year"))
    for month in EVALUATED[:-1]:
        step(results, f"evaluate_{month}", partial(_freeze, settings, month))
    step(results, f"evaluate_{EVALUATED[-1]}", partial(_evaluate, settings, EVALUATED[-1]))
    del results["path"]
    results["finished_utc"] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    results["work_db_gib"] = round(settings.work_db_path.stat().st_size / 2**30, 2)
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/szcg-city10m"))
    ap.add_argument("--cases", type=int, default=10_000_000)
    ap.add_argument("--memory-limit", default="8GB")
    args = ap.parse_args()
    ready = args.dir / "READY"
    if ready.is_file():
        print(f"{args.dir}: already built ({ready.read_text(encoding='utf-8').strip()})")
        return 0
    if (args.dir / "warehouse").exists() and not (args.dir / "build.json").is_file():
        print(f"{args.dir}: a build that did not finish is there; delete the folder and run again", file=sys.stderr)
        return 1
    args.dir.mkdir(parents=True, exist_ok=True)
    limit_duckdb_memory(args.memory_limit)
    results = build(args.dir, args.cases)
    results["load_average_end"] = os.getloadavg()
    (args.dir / "build.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    ready.write_text(f"{results['finished_utc']} UTC, {results['counts']}\n", encoding="utf-8")
    print(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
