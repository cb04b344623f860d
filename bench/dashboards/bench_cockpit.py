"""Benchmark: the 领导驾驶舱 at 10,000,000 cases — how long does each chart's query take in Superset?

    .venv/bin/python bench/dashboards/bench_cockpit.py [--cases 10000000] [--dir /tmp/szcg-bench-dash] [--keep]
        [--republish] [--out results.json]

Generates the demo city at the given size straight into a warehouse with DuckDB SQL (tests/support/demo_data.py),
publishes it, starts a Superset on it (its own home and port), opens the cockpit in Chromium to capture every
chart's data request, then replays each request alone through the chart data API three times and reports the
median. Results: results.json in --dir, outside the repository (and the table printed at the end).

The generated warehouse stays under --dir: a later run reuses it instead of regenerating (~12 min at 10 M);
--republish publishes that work database again first (new migrations, mart builders), timing the publish.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import duckdb

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from dashboards import server  # noqa: E402
from dashboards.client import SupersetClient  # noqa: E402
from dashboards.deploy import import_assets  # noqa: E402
from dashboards.marts import summaries_match_core  # noqa: E402
from dashboards.screenshot import browser_page, open_dashboard  # noqa: E402
from dashboards.site import site_from_settings  # noqa: E402
from szcg.settings import Settings  # noqa: E402
from tests.support.demo_data import DemoSize, build_demo_warehouse  # noqa: E402
from usecases.wiring import wire  # noqa: E402
from warehouse.mart_builders import build_marts  # noqa: E402
from warehouse.store import Warehouse  # noqa: E402

MIGRATIONS = REPO / "warehouse" / "migrations"


def _previous_view(migration: str, view: str) -> str:
    """The SELECT of a view as an earlier migration defined it (before the monthly summaries, reading core)."""
    sql = (MIGRATIONS / migration).read_text(encoding="utf-8")
    match = re.search(rf"CREATE VIEW marts\.{view} AS\n(.*?);\n", sql, re.S)
    assert match, f"{view} not in {migration}"
    return match.group(1)


def baseline_in_duckdb(db: Path) -> dict[str, object]:
    """Same run, same snapshot, straight in DuckDB: two cockpit queries over the views of migration 0040 (reading
    core at query time) against the same queries over the summary views; the answers must be identical."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        for view in ("dash_headline", "dash_case_step"):
            con.execute(f"CREATE TEMP VIEW previous_{view} AS {_previous_view('0040_dashboard_views.sql', view)}")
        month = con.execute("SELECT max(period_month) FROM marts.dash_headline").fetchone()[0]  # type: ignore[index]
        # the headline's 立案数/结案数/结案率/按期处置率 are the scorecard's since migration 0048: compare the counts
        headline = ("SELECT indicator, sum(this_num), sum(this_den), sum(last_month_num), sum(last_year_num)"
                    " FROM {} WHERE period_month = ? AND indicator IN ('上报数', '热线来电数')"
                    " GROUP BY ALL ORDER BY ALL")
        on_time = "SELECT district_name, round({}, 6) FROM {} WHERE period_month = ? GROUP BY ALL ORDER BY ALL"
        queries = {
            "要情 (headline table)": (headline.format("previous_dash_headline"),
                                    headline.format("marts.dash_headline")),
            "各区县按期处置率": (on_time.format("100.0 * avg(on_time)", "previous_dash_case_step"),
                          on_time.format("100.0 * sum(on_time) / sum(with_deadline)", "marts.dash_step_monthly")),
        }
        out: dict[str, object] = {"month": month}
        for name, (before, after) in queries.items():
            timings, answers = {}, {}
            for label, sql in (("views_over_core_s", before), ("summary_views_s", after)):
                seconds = []
                for _ in range(3):
                    started = time.perf_counter()
                    answers[label] = con.execute(sql, [month]).fetchall()
                    seconds.append(time.perf_counter() - started)
                timings[label] = round(statistics.median(seconds), 3)
            assert answers["views_over_core_s"] == answers["summary_views_s"], (name, answers)
            timings["ratio"] = round(timings["views_over_core_s"] / max(timings["summary_views_s"], 1e-6), 1)
            out[name] = timings
        return out
    finally:
        con.close()


def main() -> int:
    wire()  # an entry point: the areas' audits and mart builders into every publish (usecases.wiring)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/szcg-bench-dashboards"))
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--keep", action="store_true", help="leave Superset running afterwards")
    parser.add_argument("--republish", action="store_true",
                        help="publish the kept work database again (new migrations, mart builders) before measuring")
    parser.add_argument("--out", type=Path, default=None,
                        help="results JSON (default: results.json in --dir; results stay outside the repository)")
    args = parser.parse_args()
    args.out = args.out or args.dir.resolve() / "results.json"
    data_dir = args.dir.resolve() / "var"
    os.environ["SZCG_DATA_DIR"] = str(data_dir)
    os.environ["SZCG_SUPERSET_PORT"] = str(args.port)
    settings = Settings(data_dir=data_dir).with_data_dir(data_dir)
    site = site_from_settings(settings)
    result: dict[str, object] = {"cases": args.cases, "load_average_1m_start": round(os.getloadavg()[0], 2),
                                 "started_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())}

    wh = Warehouse(settings)
    if not settings.published_db_path.exists():
        started = time.perf_counter()
        with wh.writer() as con:
            counts = build_demo_warehouse(con, DemoSize(cases=args.cases, months=24, with_scores=False))
        result["generate_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        wh.publish(reason=f"bench {args.cases} cases", audits=[])  # builds the summaries too
        result["publish_s"] = round(time.perf_counter() - started, 1)
        result["rows"] = counts
        print(f"generated {counts} in {result['generate_s']} s, published in {result['publish_s']} s", flush=True)
    elif args.republish:
        # The monthly summaries alone first (publish rebuilds them again: idempotent), then the whole publish.
        with wh.writer() as con:
            result["mart_build_s"] = build_marts(con)
        started = time.perf_counter()
        wh.publish(reason=f"bench {args.cases} cases, republished", audits=[])
        result["publish_s"] = round(time.perf_counter() - started, 1)
        with wh.reader() as con:
            started = time.perf_counter()
            problems = summaries_match_core(con)
            result["summary_audit_s"] = round(time.perf_counter() - started, 1)
        assert not problems, problems
        print(f"summaries built in {result['mart_build_s']} s; republished in {result['publish_s']} s;"
              f" summary audit {result['summary_audit_s']} s", flush=True)
    result["warehouse_bytes"] = settings.published_db_path.resolve().stat().st_size
    result["baseline_in_duckdb"] = baseline_in_duckdb(settings.published_db_path)
    print(json.dumps(result["baseline_in_duckdb"], ensure_ascii=False), flush=True)

    server.initialize(site)
    server.start(site)
    try:
        import_assets(site)
        with browser_page(site.url, site.admin_user, site.admin_password) as page:
            view = open_dashboard(page, site.url, "cockpit", screenshot=args.dir / "cockpit-10m.png",
                                  timeout_s=300)
        with SupersetClient(site.url, site.admin_user, site.admin_password) as client:
            names = {int(c["id"]): c["slice_name"] for c in client.list_all("chart", ["id", "slice_name"])}
            charts = []
            for q in view.queries:
                form = json.loads(parse_qs(urlparse(q.url).query).get("form_data", ["{}"])[0] or "{}")
                slice_id = form.get("slice_id") or (q.payload or {}).get("form_data", {}).get("slice_id")
                name = names.get(int(slice_id), "?") if slice_id else "(filter options)"
                seconds = [client.replay(q.url, q.post_data, q.content_type)[1] for _ in range(3)]
                charts.append({"chart": name, "median_s": round(statistics.median(seconds), 3),
                               "max_s": round(max(seconds), 3), "in_dashboard_s": round(q.seconds, 3)})
        charts.sort(key=lambda c: -float(c["median_s"]))  # type: ignore[arg-type]
        result["charts"] = charts
        result["slowest_chart_median_s"] = charts[0]["median_s"]
        result["problems"] = view.problems
    finally:
        if not args.keep:
            server.stop(site)
    result["load_average_1m"] = round(os.getloadavg()[0], 2)
    result["finished_utc"] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    out = args.out
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    for c in result["charts"]:  # type: ignore[attr-defined]
        print(f"{c['median_s']:7.3f} s  (max {c['max_s']:.3f})  {c['chart']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
