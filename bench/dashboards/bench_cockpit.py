"""Benchmark: the 领导驾驶舱 at 10,000,000 cases — how long does each chart's query take in Superset?

    .venv/bin/python bench/dashboards/bench_cockpit.py [--cases 10000000] [--dir /tmp/szcg-bench-dash] [--keep]

Generates the demo city at the given size straight into a warehouse with DuckDB SQL (dashboards.demo_data),
publishes it, starts a Superset on it (its own home and port), opens the cockpit in Chromium to capture every
chart's data request, then replays each request alone through the chart data API three times and reports the
median. Results: bench/dashboards/results.json (and the table printed at the end).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from dashboards import server  # noqa: E402
from dashboards.client import SupersetClient  # noqa: E402
from dashboards.demo_data import DemoSize, build_demo_warehouse  # noqa: E402
from dashboards.deploy import import_assets  # noqa: E402
from dashboards.screenshot import browser_page, open_dashboard  # noqa: E402
from dashboards.site import site_from_settings  # noqa: E402
from szcg.settings import Settings  # noqa: E402
from warehouse.store import Warehouse  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/szcg-bench-dashboards"))
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--keep", action="store_true", help="leave Superset running afterwards")
    args = parser.parse_args()
    data_dir = args.dir.resolve() / "var"
    os.environ["SZCG_DATA_DIR"] = str(data_dir)
    os.environ["SZCG_SUPERSET_PORT"] = str(args.port)
    settings = Settings(data_dir=data_dir).with_data_dir(data_dir)
    site = site_from_settings(settings)
    result: dict[str, object] = {"cases": args.cases}

    wh = Warehouse(settings)
    if not settings.published_db_path.exists():
        started = time.perf_counter()
        with wh.writer() as con:
            counts = build_demo_warehouse(con, DemoSize(cases=args.cases, months=24, with_scores=False))
        result["generate_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        wh.publish(reason=f"bench {args.cases} cases", audits=[])
        result["publish_s"] = round(time.perf_counter() - started, 1)
        result["rows"] = counts
        print(f"generated {counts} in {result['generate_s']} s, published in {result['publish_s']} s", flush=True)
    result["warehouse_bytes"] = settings.published_db_path.resolve().stat().st_size

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
    out = Path(__file__).resolve().parent / "results.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    for c in result["charts"]:  # type: ignore[attr-defined]
        print(f"{c['median_s']:7.3f} s  (max {c['max_s']:.3f})  {c['chart']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
