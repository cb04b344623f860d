"""The evaluation office's portal pages at the demo's size (synthetic city, scale 1, 13 evaluated months).

    python bench/portal/bench_scorecards.py --work /tmp/portal-bench [--rounds 7] [--screenshot PNG]

Builds (or, with an existing --work, reuses) a warehouse the way the demo does (tests/transforms/report/
synth_city.py), starts the portal on a loopback port (uvicorn in a thread, as the browser tests do), signs in as
``evaluator`` and times each page over HTTP: one warm-up request, then ``--rounds`` timed ones. The target
(issue 18) is ≤ 300 ms per page. The same-run baseline is the portal's cheapest signed-in page (the appeals queue
with no appeal: session lookup, one snapshot connection, the layout). ``--screenshot`` saves the office's board
(draft beside last month) from Chromium. Results go to ``<work>/results.json``.
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
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def pages(con: Any) -> dict[str, str]:
    """The pages to time, on the latest month and its largest entities (the longest lineage lists)."""
    period = con.execute("SELECT max(period) FROM marts.scorecard WHERE length(period) = 7").fetchone()[0]
    version = con.execute("SELECT max(version) FROM marts.scorecard WHERE period = ? AND status = 'published'",
                          [period]).fetchone()[0]
    district = con.execute("SELECT entity_code FROM marts.score WHERE period = ? AND version = 0 AND level = "
                           "'district' ORDER BY sample_size DESC LIMIT 1", [period]).fetchone()[0]
    dept = con.execute("SELECT entity_code FROM marts.score WHERE period = ? AND version = 0 AND object = "
                       "'department' ORDER BY sample_size DESC LIMIT 1", [period]).fetchone()[0]
    grids = con.execute(  # the grid board's last page
"SELECT count(*) FROM marts.score WHERE period = ? AND version = 0 AND level = 'grid'",
                        [period]).fetchone()[0]
    d = f"/scorecards/{period}/v{version}/region/district/{district}"
    return {
        "appeals (baseline)": "/appeals",
        "board: districts": f"/scorecards?period={period}",
        "board: departments": f"/scorecards?period={period}&object=department",
        "board: grids, last page": f"/scorecards?period={period}&object=region&level=grid&page={-(-grids // 50)}",
        "score: district": d,
        "score: department": f"/scorecards/{period}/v{version}/department/department/{dept}",
        "lineage: district, all cases, p1": f"{d}/cases",
        "lineage: district, all cases, p40": f"{d}/cases?page=40",
        "lineage: district, 按期结案率": f"{d}/cases?indicator=on_time_close_rate",
        "history: district": f"/scorecards/{period}/history/region/district/{district}",
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--screenshot", type=Path)
    args = ap.parse_args()
    data_dir = args.work / "var"
    os.environ["SZCG_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("SZCG_DEMO", "1")
    import httpx

    from casework.cli import DEMO_PASSWORD
    from szcg.settings import load_settings
    from tests.portal.conftest import start_portal
    from tests.transforms.report.synth_city import build_evaluated_city
    from warehouse.store import Warehouse

    settings = load_settings()
    city = args.work / "city"
    if not (city / "synth.json").is_file():
        build_evaluated_city(settings, city, scale=args.scale)
    with Warehouse(settings).reader() as con:
        targets = pages(con)
        size = {"cases": con.execute('SELECT count(*) FROM core."case"').fetchone()[0],  # type: ignore[index]
                "scores": con.execute("SELECT count(*) FROM marts.score").fetchone()[0],  # type: ignore[index]
                "lineage_rows": con.execute("SELECT count(*) FROM marts.score_lineage").fetchone()[0]}  # type: ignore[index]
    server, stop = start_portal(settings)
    results: dict[str, Any] = {}
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            form = client.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
            client.post("/login", data={"username": "evaluator", "password": DEMO_PASSWORD, "csrf_token": token})
            for name, url in targets.items():
                first = client.get(url)
                assert first.status_code == 200, (url, first.status_code)
                times, cpu = [], time.process_time()
                for _ in range(args.rounds):
                    t = time.perf_counter()
                    assert client.get(url).status_code == 200
                    times.append((time.perf_counter() - t) * 1000)
                results[name] = {"url": url, "median_ms": round(statistics.median(times), 1),
                                 "max_ms": round(max(times), 1),
                                 "cpu_ms_per_request": round((time.process_time() - cpu) * 1000 / args.rounds, 1)}
                print(f"{name:36s} median {results[name]['median_ms']:7.1f} ms  max {results[name]['max_ms']:7.1f} ms"
                      f"  cpu {results[name]['cpu_ms_per_request']:6.1f} ms", flush=True)
        if args.screenshot:
            shoot(server.url, targets["board: departments"], args.screenshot)
    finally:
        stop()
    out = {"size": size, "rounds": args.rounds, "pages": results, "load_average": os.getloadavg(),
           "target_ms": 300, "met": all(r["median_ms"] <= 300 for r in results.values())}
    (args.work / "results.json").write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")
    print(json.dumps({k: v for k, v in out.items() if k != "pages"}, ensure_ascii=False))
    return 0


def shoot(base_url: str, path: str, target: Path) -> None:
    """The office's board as the evaluator sees it, saved as a PNG."""
    from playwright.sync_api import sync_playwright

    from casework.cli import DEMO_PASSWORD
    from dashboards.screenshot import launch_chromium

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_context(base_url=base_url, locale="zh-CN", viewport={"width": 1360, "height": 1000}
                                   ).new_page()
        page.goto("/login")
        page.get_by_label("用户名").fill("evaluator")
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.goto(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target))
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
