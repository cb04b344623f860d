"""The lineage's readers on a 10 M-case year: the portal's drill-down, ``szcg evaluate explain``, the dashboards'.

    flock /tmp/szcg-bench.lock python bench/portal/bench_lineage_query.py \\
        [--db /tmp/szcg-city10m/warehouse/work/warehouse.duckdb] [--period 2026-10] [--rounds 7] \\
        [--only drill,explain,dashboard]

Reads a warehouse file read-only (the work database or a published snapshot) holding a version of ``--period``
stored by derivation (migration 0100; the latest published one) and the version before it stored the old way.
After one warm-up each, it times:

* ``drill``: the portal's drill-down for the largest district (all indicators, page 1 and page 40; one indicator,
  page 1) from the fact rows (``lineage_read.cases_page``, what the page runs) and through the view
  ``marts.score_lineage`` (what it ran before) — checking they answer the same — and the view on the legacy version;
* ``explain``: ``store.explain`` for the largest entity of each object and level (by sample) and its indicator with
  the largest denominator — as the CLI runs it by default (the first ``EXPLAIN_LIMIT`` cases and the counts of all)
  and with ``--all`` — against explain's former query through the view (same cases and counts checked);
* ``dashboard``: the query Superset issues for the drill-down table 得分依据案件 (``marts.dash_score_case``
  filtered by month and the clicked unit's name, newest 1,000 cases) for the largest district, street, department
  and post; with ``--dash-model FILE`` the same query on that model file too (a temporary view); with
  ``--dash-profile DIR``, one more run of each with DuckDB's JSON profile written there and its costliest operators
  printed (where the time goes: the case rows' scan and join, the labels, the lineage's expansion).
  With ``--dash-check`` (untimed), each unit's rows of the database's model (one per case, d24) taken apart into
  (indicator, role, case) rows must equal the ``--dash-model``'s rows (one per (indicator, role, case)).

Prints one line per query and writes JSON (median/max wall, median CPU, load at the start of each), and a verdict:
whether each reader under test (not the baselines timed beside it) answered in ≤ 1 s (median wall).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from transforms.evaluation import lineage_read, store
from transforms.evaluation.cli import EXPLAIN_LIMIT
from usecases import scorecard_views as views

# What Superset sends for the drill-down table (dashboards/authoring.py: score_cases, a raw table of the virtual
# dataset score_case) after a click on a unit of a ranking: the month's native filter and the cross-filter by name.
# The chart's columns: one row per case with its indicators as lists (d24); a model before it (one row per
# (indicator, role, case), e.g. main's as a baseline) is queried with the columns the chart then had.
DASHBOARD_COLUMNS = ("case_number, entity_name, numerator_indicators, denominator_indicators, reported_at, "
                     "status_name, subclass_name, department_name")
DASHBOARD_COLUMNS_BEFORE_D24 = ("case_number, entity_name, indicator_label, counted_as, reported_at, status_name, "
                                "subclass_name, department_name")
DASHBOARD_SQL = (
    "SELECT {columns} FROM (SELECT * FROM {source}) AS virtual_table "
    "WHERE period_month IN (?) AND entity_name IN (?) ORDER BY reported_at DESC LIMIT 1000")


def dashboard_sql(con: duckdb.DuckDBPyConnection, source: str) -> str:
    """Superset's query of the drill-down table on ``source``, with the columns the chart lists for its shape."""
    names = {r[0] for r in con.execute(f"DESCRIBE {source}").fetchall()}
    columns = DASHBOARD_COLUMNS if "numerator_indicators" in names else DASHBOARD_COLUMNS_BEFORE_D24
    return DASHBOARD_SQL.format(columns=columns, source=source)


def timed(out: dict[str, Any], name: str, rounds: int, fn: Callable[[], Any]) -> Any:
    load = round(os.getloadavg()[0], 1)
    found = fn()  # warm-up
    wall, cpu = [], []
    for _ in range(rounds):
        t, c = time.perf_counter(), time.process_time()
        found = fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    out[name] = {"median_s": round(statistics.median(wall), 3), "max_s": round(max(wall), 3),
                 "cpu_s": round(statistics.median(cpu), 3), "load_1m": load, "rows": _size(found)}
    print(name, out[name], flush=True)
    return found


def _size(found: Any) -> int:
    if isinstance(found, store.Explanation):
        return found.total
    if isinstance(found, tuple) and len(found) == 2 and isinstance(found[1], int):  # a page and its count
        return found[1]
    return len(found)


def drill(con: duckdb.DuckDBPyConnection, period: str, new: int, rounds: int, out: dict[str, Any]) -> None:
    district = con.execute("SELECT entity_code FROM marts.score WHERE period = ? AND version = ? AND "
                           "level = 'district' ORDER BY sample_size DESC LIMIT 1",
                           [period, new]).fetchone()[0]  # type: ignore[index]
    scope, fact = views.Scope("region", "district"), lineage_read.fact_source("region", "district", district)
    assert fact is not None
    for indicator, page in ((None, 1), (None, 40), ("on_time_close_rate", 1)):
        label = f"{indicator or 'all indicators'}, page {page}"
        bits = lineage_read.role_bits(con, period, new, "region", indicator)
        if bits is None:
            raise SystemExit(f"{period} v{new} has no bit table: not stored by derivation")
        a = timed(out, f"drill v{new} facts: {label}", rounds,
                  partial(lineage_read.cases_page, con, period, new, fact, bits, page, 50))
        b = timed(out, f"drill v{new} view: {label}", rounds,
                  partial(views._cases_from_view, con, period, new, scope, district, indicator, page, 50))
        assert a == b, label
        timed(out, f"drill v{new - 1} (legacy) view: {label}", rounds,
              partial(views._cases_from_view, con, period, new - 1, scope, district, indicator, page, 50))


def explain(con: duckdb.DuckDBPyConnection, period: str, new: int, rounds: int, out: dict[str, Any]) -> None:
    picked = con.execute(
        "SELECT s.object, s.level, s.entity_code, arg_max(i.indicator, coalesce(i.denominator, i.numerator)) "
        "FROM (SELECT * FROM marts.score WHERE period = ? AND version = ? "
        "      QUALIFY row_number() OVER (PARTITION BY object, level ORDER BY sample_size DESC, entity_code) = 1) s "
        "JOIN marts.indicator_value i ON i.period = s.period AND i.version = s.version AND i.object = s.object "
        "    AND i.level = s.level AND i.entity_code = s.entity_code GROUP BY ALL ORDER BY ALL",
        [period, new]).fetchall()
    for obj, level, entity, indicator in picked:
        label = f"{obj}/{level} {entity} {indicator}"
        page = timed(out, f"explain v{new} (store.explain, first {EXPLAIN_LIMIT} as the CLI lists): {label}", rounds,
                     partial(store.explain, con, period, entity, indicator, version=new, obj=obj, level=level,
                             limit=EXPLAIN_LIMIT))
        now = timed(out, f"explain v{new} (store.explain --all): {label}", rounds,
                    partial(store.explain, con, period, entity, indicator, version=new, obj=obj, level=level))
        before = timed(out, f"explain v{new} former view query: {label}", rounds,
                       partial(lineage_read.indicator_cases_from_view, con, period, new, obj, level, entity,
                               indicator))
        assert (now.numerator_cases, now.denominator_only_cases) == (
            [c for c, n in before if n], [c for c, n in before if not n]), label
        # the page: the first cases of the whole list, and the counts of the whole list
        assert (page.numerator_total, page.denominator_only_total) == (
            len(now.numerator_cases), len(now.denominator_only_cases)), label
        first = sorted([*now.numerator_cases, *now.denominator_only_cases])[:EXPLAIN_LIMIT]
        assert sorted([*page.numerator_cases, *page.denominator_only_cases]) == first, label


def same_rows(con: duckdb.DuckDBPyConnection, per_case: str, per_row: str, period: str, name: str) -> dict[str, int]:
    """A unit's rows of a one-row-per-case model taken apart (tests.support.drill_rows) against those of a model of
    one row per (indicator, role, case): both counts and the rows each has that the other has not (EXCEPT ALL)."""
    from tests.support.drill_rows import EXPLODED

    unit = "WHERE period_month = ? AND entity_name = ?"
    taken_apart = EXPLODED.replace("FROM marts.dash_score_case", f"FROM {per_case} {unit}").rsplit("ORDER BY", 1)[0]
    rows = f"SELECT * FROM {per_row} {unit}"
    found = con.execute(
        f"SELECT (SELECT count(*) FROM ({taken_apart})), (SELECT count(*) FROM ({rows})), "
        f"(SELECT count(*) FROM (SELECT * FROM ({taken_apart}) EXCEPT ALL {rows})), "
        f"(SELECT count(*) FROM ({rows} EXCEPT ALL SELECT * FROM ({taken_apart})))",
        [period, name] * 6).fetchone() or (0, 0, 0, 0)
    return dict(zip(("rows_taken_apart", "rows_before", "only_now", "only_before"), map(int, found), strict=True))


def dashboard(con: duckdb.DuckDBPyConnection, period: str, new: int, rounds: int, out: dict[str, Any],
              model: Path | None = None, profile: Path | None = None, check: bool = False) -> None:
    """The database's own marts.dash_score_case; with ``model``, that model file too (rendered as the warehouse
    renders its models, a temporary view on the same data), e.g. a rewritten model on a snapshot published before."""
    sources = {"": "marts.dash_score_case"}
    if model is not None:
        from warehouse.models import render

        con.execute("CREATE OR REPLACE TEMP VIEW bench_dash_score_case AS "
                    + render(str(model), model.read_text(encoding="utf-8")).rstrip().rstrip(";"))
        sources = {" (database's model)": "marts.dash_score_case", f" (baseline {model.name})": "bench_dash_score_case"}
    picked = con.execute(
        "SELECT object, level, entity_name, sample_size FROM marts.dash_score WHERE period_month = ? "
        "AND (object, level) IN (('region', 'district'), ('region', 'street'), ('department', 'department'), "
        "('supervisor', 'supervisor')) "
        "QUALIFY row_number() OVER (PARTITION BY object, level ORDER BY sample_size DESC, entity_name) = 1 "
        "ORDER BY ALL", [period]).fetchall()
    for obj, level, name, sample in picked:
        for label, source in sources.items():
            sql = dashboard_sql(con, source)
            timed(out, f"dashboard drill-down {obj}/{level} ({sample} cases){label}", rounds,
                  partial(lambda q, n: con.execute(q, [period, n]).fetchall(), sql, name))
            if profile is not None:
                profiled(con, sql, [period, name], profile / f"{obj}-{level}{source.split('.')[-1]}.json")
        if check and model is not None:  # the same cases and (indicator, role)s as the baseline's rows
            found = same_rows(con, "marts.dash_score_case", "bench_dash_score_case", period, name)
            out[f"dashboard same rows {obj}/{level}"] = found
            print(f"dashboard same rows {obj}/{level}", found, flush=True)


def profiled(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any], to: Path) -> None:
    """Run once with DuckDB's JSON profile to ``to`` and print the operators over 50 ms, costliest first."""
    to.parent.mkdir(parents=True, exist_ok=True)
    con.execute("PRAGMA enable_profiling = 'json'")
    con.execute(f"SET profiling_output = '{to}'")
    try:
        con.execute(sql, params).fetchall()
    finally:
        con.execute("PRAGMA disable_profiling")
    found: list[tuple[float, str]] = []

    def walk(node: dict[str, Any]) -> None:
        extra = node.get("extra_info") or {}
        where = extra.get("Table") or extra.get("Conditions") or ""
        if node.get("operator_timing", 0) > 0.05:
            found.append((node["operator_timing"], f"{node.get('operator_name', '').strip()} {where} "
                          f"rows={node.get('operator_cardinality')} scanned={node.get('operator_rows_scanned')}"))
        for child in node.get("children", []):
            walk(child)

    walk(json.loads(to.read_text(encoding="utf-8")))
    for seconds, what in sorted(found, reverse=True):
        print(f"    {seconds:7.3f} s  {what}", flush=True)


TARGET_S = 1.0  # issue 23: explain and both drill-downs answer in ≤ 1 s at the 10 M-case scale


def verdict(out: dict[str, Any]) -> dict[str, bool]:
    """Whether every timed query of the code under test (not the baselines beside it) met the target, by median
    wall time: the dashboards' drill-down on the database's own model, explain as the CLI runs it by default."""
    def met(prefix: str, skip: tuple[str, ...]) -> bool | None:
        timed = [v["median_s"] for k, v in out.items()
                 if k.startswith(prefix) and isinstance(v, dict) and not any(s in k for s in skip)]
        return all(t <= TARGET_S for t in timed) if timed else None

    checked = [v for k, v in out.items() if k.startswith("dashboard same rows")]
    found = {"dashboard_1s": met("dashboard drill-down", (" (baseline ",)),
             "explain_1s": met("explain ", ("former view query", "--all")),
             "drill_1s": met("drill ", ("view",)),
             "dashboard_same_rows": all(c["only_now"] == c["only_before"] == 0 and c["rows_taken_apart"]
                                        == c["rows_before"] for c in checked) if checked else None}
    return {k: v for k, v in found.items() if v is not None}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=Path("/tmp/szcg-city10m/warehouse/work/warehouse.duckdb"))
    ap.add_argument("--period", default="2026-10")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--memory-limit", default="8GB")
    ap.add_argument("--only", default="drill,explain,dashboard", help="comma-separated: drill, explain, dashboard")
    ap.add_argument("--dash-model", type=Path, help="time this marts.dash_score_case model file too")
    ap.add_argument("--dash-profile", type=Path, help="write DuckDB's JSON profile of each dashboard query here")
    ap.add_argument("--dash-check", action="store_true",
                    help="check the database's model (one row per case) lists the --dash-model's rows (untimed)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/lineage-query.json"))
    args = ap.parse_args()
    out: dict[str, Any] = {"at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "db": str(args.db)}
    with duckdb.connect(str(args.db), read_only=True, config={"memory_limit": args.memory_limit}) as con:
        new = con.execute("SELECT max(version) FROM marts.scorecard WHERE period = ? AND status = 'published'",
                          [args.period]).fetchone()[0]  # type: ignore[index]
        out["version"] = new
        for part in args.only.split(","):
            if part == "dashboard":
                dashboard(con, args.period, new, args.rounds, out, args.dash_model, args.dash_profile,
                          args.dash_check)
            else:
                {"drill": drill, "explain": explain}[part](con, args.period, new, args.rounds, out)
    out["verdict"] = verdict(out)
    print("verdict", out["verdict"], flush=True)
    out["load_average_end"] = os.getloadavg()
    args.out.write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
