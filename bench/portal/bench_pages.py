"""Page times of the portal at the demo's size: the task list and a case page, as the browser asks for them.

    python bench/portal/bench_pages.py [--cases 300] [--rounds 30] [--work /tmp/portal-bench]

Builds a data directory (bench/portal/seed.py: published lattice city, demo accounts, ``--cases`` cases walked
through the loop), starts the portal on loopback (uvicorn, one process, as ``szcg serve portal``), signs in and
times each page ``--rounds`` times after one warm-up: wall time per request (what a user waits) and the portal
process's CPU time per request (what the machine's load does not inflate). Target: every page ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed import REPO, build

from casework.cli import DEMO_PASSWORD


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sign_in(url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token})
    assert r.status_code == 303, r.text
    return client


def time_page(client: httpx.Client, path: str, rounds: int, pid: int) -> dict[str, float]:
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code)
    walls = []
    cpu_before = cpu_seconds(pid)
    for _ in range(rounds):
        started = time.perf_counter()
        r = client.get(path)
        walls.append(time.perf_counter() - started)
        assert r.status_code == 200
    cpu = (cpu_seconds(pid) - cpu_before) / rounds
    walls.sort()
    return {"median_ms": round(statistics.median(walls) * 1000, 1),
            "p95_ms": round(walls[int(len(walls) * 0.95) - 1] * 1000, 1),
            "max_ms": round(walls[-1] * 1000, 1), "cpu_ms": round(cpu * 1000, 1), "bytes": len(r.content)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--work", type=Path, default=Path("/tmp/portal-bench"))
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    started = time.perf_counter()
    settings = build(args.work, args.cases)
    print(f"data built in {time.perf_counter() - started:.1f} s", flush=True)
    port = free_port()
    env = {**os.environ, "SZCG_DATA_DIR": str(args.work)}
    proc = subprocess.Popen([sys.executable, "-m", "szcg.cli", "serve", "portal", "--port", str(port),
                             "--log-level", "warning"], env=env, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the portal did not start")
            time.sleep(0.3)
        results: dict[str, dict[str, float]] = {}
        from casework.db import Database

        db = Database(settings.casework_db_url)
        with db.read() as conn:
            from sqlalchemy import text

            busiest = conn.execute(text("SELECT case_id FROM events GROUP BY case_id ORDER BY count(*) DESC, case_id"
                                        " LIMIT 1")).scalar_one()
            total = conn.execute(text("SELECT count(*) FROM cases")).scalar_one()
        db.dispose()
        for username, page in (("operator", "/tasks"), ("leader", "/tasks"), ("dispatcher-140602", "/tasks"),
                               ("dept-14060014", "/tasks"), ("leader", f"/cases/{busiest}"),
                               ("supervisor-140602", f"/cases/{busiest}"), ("admin", "/cases"),
                               ("dispatcher-140602", "/cases?overdue_only=true"), ("evaluator", "/reports")):
            client = sign_in(url, username)
            try:
                results[f"{username} {page}"] = time_page(client, page, args.rounds, proc.pid)
            finally:
                client.close()
            print(f"{username:>20} {page:<12} {results[f'{username} {page}']}", flush=True)
        load = os.getloadavg()
        out = {"cases": total, "rounds": args.rounds, "load_avg_1_5_15": [round(x, 1) for x in load],
               "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "pages": results,
               "slowest_median_ms": max(r["median_ms"] for r in results.values())}
        print(json.dumps(out, ensure_ascii=False, indent=1))
        (args.work / "results.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n",
                                               encoding="utf-8")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
