"""Every portal page a role sees, timed on a 10 M-case year and, in the same run, on a demo-size warehouse.

    python bench/portal/bench_warehouse.py --data-dir /tmp/szcg-city10m --baseline-dir /tmp/w10m-demo \\
        [--rounds 7] [--out /tmp/w10m-portal.json]

Both directories are built by ``bench/city10m.py`` (``--cases 10000000`` and ``--cases 48750``, the demo's size):
the same synthetic city and the same use cases, so the pages differ only by the warehouse's size. For each
directory the portal runs in this process (uvicorn in a thread, as ``bench_scorecards.py`` and the browser tests
start it); each role signs in and times its pages: one warm-up request, then ``--rounds`` timed ones (median, max)
and the process's CPU per request (server and client). Targets (issue 18): ≤ 300 ms at the demo's size, ≤ 1 s
with the 10 M-case year. The evaluation office's pages are ``bench_scorecards.pages``; the lineage pages
(``…/cases``) are measured as lineage is stored today (issue 23 changes it).
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
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scorecards import pages as office_pages  # noqa: E402


def role_pages(con: Any) -> list[tuple[str, str, str]]:
    """(username, page, path) for every role whose pages read the warehouse, plus the case staff's two lists."""
    office = office_pages(con)
    period = con.execute("SELECT max(period) FROM marts.scorecard WHERE length(period) = 7").fetchone()[0]
    version = con.execute("SELECT max(version) FROM marts.scorecard WHERE period = ? AND status = 'published'",
                          [period]).fetchone()[0]
    district = office["score: district"].rsplit("/", 1)[1]
    dept = office["score: department"].rsplit("/", 1)[1]
    out = [("evaluator", name, path) for name, path in office.items()]
    out += [
        ("evaluator", "home (→ 综合评价)", "/"),
        ("evaluator", "publish: confirm page", f"/scorecards/{period}/publish"),
        ("evaluator", "月度报告 (archive)", "/reports"),
        ("leader", "home (→ 我的任务)", "/"),
        ("leader", "月度报告 (archive)", "/reports"),
        (f"surveyor-{district}", "home (→ 部件普查)", "/"),
        (f"surveyor-{district}", "部件普查: form + history", "/census"),
        (f"dept-{dept}", "home (→ 申诉)", "/"),
        (f"dept-{dept}", "申诉 list", "/appeals"),
        (f"dept-{dept}", "申诉 form", f"/appeals/new?period={period}"),
        (f"dept-{dept}", "score: own department", f"/scorecards/{period}/v{version}/department/department/{dept}"),
        ("operator", "我的任务", "/tasks"),
        ("admin", "案件查询", "/cases"),
    ]
    return out


def _settings_of(data_dir: Path) -> Any:
    from szcg.settings import load_settings

    os.environ["SZCG_DATA_DIR"] = str(data_dir)
    return load_settings()


def measure(data_dir: Path, rounds: int, only: str | None = None, also_version: int | None = None) -> dict[str, Any]:
    """Start the portal on ``data_dir`` and time every role's pages (those whose name matches ``only``; each also
    at version ``also_version`` of the same period if given: e.g. one stored before lineage by derivation)."""
    import httpx

    from casework.cli import DEMO_PASSWORD
    from tests.portal.conftest import start_portal
    from warehouse.store import Warehouse

    settings = _settings_of(data_dir)
    with Warehouse(settings).reader() as con:
        targets = [t for t in role_pages(con) if only is None or re.search(only, t[1])]
        if also_version is not None:
            targets += [(user, f"{name} @v{also_version}", re.sub(r"/v\d+/", f"/v{also_version}/", url))
                        for user, name, url in targets if re.search(r"/v\d+/", url)]
        size = {name: int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
                for name, table in (("cases", 'core."case"'), ("events", "core.case_event"),
                                    ("lineage_rows", "marts.score_lineage"))}
    server, stop = start_portal(settings)
    results: dict[str, Any] = {}
    clients: dict[str, httpx.Client] = {}
    try:
        for username, name, url in targets:
            client = clients.get(username)
            if client is None:
                client = clients[username] = httpx.Client(base_url=server.url, timeout=300, follow_redirects=True)
                form = client.get("/login").text
                token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
                client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token})
            load = round(os.getloadavg()[0], 1)
            first = client.get(url)
            assert first.status_code == 200, (username, url, first.status_code, first.text[:300])
            times, cpu = [], time.process_time()
            for _ in range(rounds):
                t = time.perf_counter()
                assert client.get(url).status_code == 200
                times.append((time.perf_counter() - t) * 1000)
            key = f"{username} · {name}"
            results[key] = {"url": url, "median_ms": round(statistics.median(times), 1),
                            "max_ms": round(max(times), 1),
                            "cpu_ms_per_request": round((time.process_time() - cpu) * 1000 / rounds, 1),
                            "load_1m": load}
            print(f"{size['cases']:>9} {key:55s} median {results[key]['median_ms']:8.1f} ms  "
                  f"max {results[key]['max_ms']:8.1f} ms  cpu {results[key]['cpu_ms_per_request']:7.1f} ms",
                  flush=True)
    finally:
        for c in clients.values():
            c.close()
        stop()
    return {"data_dir": str(data_dir), "size": size, "pages": results,
            "slowest_median_ms": max(r["median_ms"] for r in results.values())}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/szcg-city10m"))
    ap.add_argument("--baseline-dir", type=Path, help="the demo-size directory (left out: the 10 M one only)")
    ap.add_argument("--only", help="time only the pages whose name matches this regular expression, e.g. lineage")
    ap.add_argument("--also-version", type=int, help="time the selected scorecard pages at this version too")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--out", type=Path, default=Path("/tmp/w10m-portal.json"))
    args = ap.parse_args()
    for d in (args.data_dir, args.baseline_dir):
        if d is not None and not (d / "READY").is_file():
            raise SystemExit(f"{d}: no READY marker; build it with bench/city10m.py")
    from city10m import HASH_KEY  # type: ignore[import-not-found]

    os.environ.setdefault("SZCG_HASH_KEY", HASH_KEY)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    out: dict[str, Any] = {"at": started, "rounds": args.rounds, "only": args.only,
                           "load_average_start": os.getloadavg()}
    if args.baseline_dir is not None:
        out["baseline"] = measure(args.baseline_dir, args.rounds, args.only, args.also_version)
    out["data_dir"] = measure(args.data_dir, args.rounds, args.only, args.also_version)
    out["load_average_end"] = os.getloadavg()
    out["met"] = {"year_1s": out["data_dir"]["slowest_median_ms"] <= 1000}
    if "baseline" in out:
        out["met"]["demo_300ms"] = out["baseline"]["slowest_median_ms"] <= 300
    args.out.write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(out["met"]), "→", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
