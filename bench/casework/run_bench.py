"""Sustained mixed load on the case service: uvicorn on loopback, 32 concurrent async clients.

For each backend (SQLite file, throwaway PostgreSQL) the script starts ``uvicorn`` in a subprocess, seeds users
and cases, then measures two phases from the same client code and the same run:

* baseline: ``GET /health`` (no database) — what the server + load generator can do at all on this machine;
* mixed: 75 % reads (case detail, task list, case search, change feed) and 25 % transitions (each client walks
  its own cases round the loop: 上报 → 受理 → 立案 → 派遣 → 处置 → 反馈 → 核查 → 结案, then reports a new one).

Reports requests/s, p50 and p99 latency and errors per phase, as a table and as JSON (``--json-out``).
Usage: ``python bench/casework/run_bench.py [--seconds 20] [--clients 32] [--backends sqlite,postgresql]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-1"
GRID = "140602001001001"
USERS = {"supervisor": ("supervisor", {"district_code": "140602", "grid_codes": [GRID]}),
         "operator": ("operator", {}), "leader": ("shift_leader", {}), "dispatcher": ("dispatcher", {}),
         "water": ("department", {"department_code": "14060014"}), "evaluator": ("evaluator", {})}
LOOP = [("operator", "accept"), ("leader", "register"), ("dispatcher", "dispatch"), ("water", "handle"),
        ("water", "feedback"), ("supervisor", "check"), ("leader", "close")]


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        n = len(lat)

        def pct(p: float) -> float:
            return round(lat[min(n - 1, int(p * n))] * 1000, 1) if n else float("nan")

        return {"phase": self.name, "requests": n, "errors": self.errors,
                "rps": round(n / self.seconds, 1) if self.seconds else 0.0, "p50_ms": pct(0.50),
                "p99_ms": pct(0.99), "mean_ms": round(statistics.fmean(lat) * 1000, 1) if n else None,
                "mix": dict(sorted(self.by_kind.items()))}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(url: str) -> str:
    from casework.accounts import create_user
    from casework.db import Database, upgrade
    from casework.service import now_cst

    upgrade(url)
    db = Database(url)
    for name, (role, extra) in USERS.items():
        create_user(db, name, PASSWORD, role, at=now_cst(), **extra)
    db.dispose()
    return url


def start_server(url: str, data_dir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SZCG_DATA_DIR": str(data_dir), "SZCG_CASEWORK_DB_URL": url}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "casework.app:app_from_environment", "--host",
           "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
           "--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("uvicorn did not come up")


async def run_phase(base: str, name: str, seconds: float, clients: int, tokens: dict[str, str],
                    mixed: bool) -> Phase:
    phase = Phase(name)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        hdr = {u: {"Authorization": f"Bearer {t}"} for u, t in tokens.items()}
        stop_at = time.monotonic() + seconds

        async def call(kind: str, method: str, path: str, **kw: Any) -> httpx.Response | None:
            t0 = time.perf_counter()
            try:
                r = await http.request(method, path, **kw)
            except httpx.HTTPError:
                phase.errors += 1
                return None
            phase.latencies.append(time.perf_counter() - t0)
            phase.by_kind[kind] = phase.by_kind.get(kind, 0) + 1
            if r.status_code >= 400:
                phase.errors += 1
            return r

        async def client(n: int) -> None:
            rng = random.Random(n)
            case: dict[str, Any] | None = None
            step = 0
            cursor = 0
            while time.monotonic() < stop_at:
                if not mixed:
                    await call("health", "GET", "/health")
                    continue
                roll = rng.random()
                if roll < 0.25:  # a transition (or a new report when the current case is closed)
                    if case is None or step >= len(LOOP):
                        r = await call("report", "POST", "/cases", headers=hdr["supervisor"], json={
                            "kind": "component", "subclass_code": "01001", "grid_code": GRID,
                            "lat": 39.33 + rng.random() / 100, "lon": 112.43 + rng.random() / 100})
                        case, step = (r.json()["case"] if r is not None and r.status_code == 201 else None), 0
                        continue
                    user, action = LOOP[step]
                    r = await call("transition", "POST", f"/cases/{case['id']}/transitions", headers=hdr[user],
                                   json={"action": action, "expected_version": case["version"]})
                    if r is not None and r.status_code == 200:
                        case, step = r.json()["case"], step + 1
                elif roll < 0.45 and case is not None:
                    await call("case", "GET", f"/cases/{case['id']}", headers=hdr["evaluator"])
                elif roll < 0.65:
                    await call("tasks", "GET", "/tasks", params={"limit": 20},
                               headers=hdr[rng.choice(["operator", "leader", "dispatcher", "water"])])
                elif roll < 0.85:
                    await call("search", "GET", "/cases", params={"status": "dispatched", "limit": 20},
                               headers=hdr["evaluator"])
                else:
                    r = await call("feed", "GET", "/events", params={"after": cursor, "limit": 100},
                                   headers=hdr["evaluator"])
                    if r is not None and r.status_code == 200:
                        cursor = r.json()["next_cursor"]

        started = time.monotonic()
        await asyncio.gather(*(client(i) for i in range(clients)))
        phase.seconds = time.monotonic() - started
    return phase


def bench_backend(backend: str, seconds: float, clients: int, workers: int) -> list[dict[str, Any]]:
    tmp = Path(tempfile.mkdtemp(prefix=f"szcg-bench-{backend}-"))
    pg = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'casework.sqlite'}"
    else:
        from tests.casework.pg import pg_available
        from tests.casework.pg import start_server as start_pg

        reason = pg_available()
        if reason:
            print(f"postgresql skipped: {reason}", file=sys.stderr)
            return []
        pg = start_pg()
        url = pg.create_database("bench")
    seed(url)
    port = free_port()
    proc = start_server(url, tmp, port, workers)
    base = f"http://127.0.0.1:{port}"
    try:
        tokens = {u: httpx.post(f"{base}/auth/token", json={"username": u, "password": PASSWORD}).json()[
            "access_token"] for u in USERS}
        asyncio.run(run_phase(base, "warm-up", 2, clients, tokens, mixed=True))
        results = []
        for name, mixed, secs in (("baseline GET /health", False, max(5.0, seconds / 2)),
                                  ("mixed 75% reads / 25% transitions", True, seconds)):
            summary = asyncio.run(run_phase(base, name, secs, clients, tokens, mixed)).summary()
            summary["backend"] = backend
            summary["load_avg_1m_after"] = round(os.getloadavg()[0], 1)
            results.append(summary)
            print(json.dumps(summary, ensure_ascii=False), file=sys.stderr)
        return results
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if pg is not None:
            pg.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of the mixed phase per backend")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--json-out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", file=sys.stderr)
    for backend in args.backends.split(","):
        results += bench_backend(backend.strip(), args.seconds, args.clients, args.workers)
    print("| backend | phase | requests | rps | p50 ms | p99 ms | errors | load avg |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['backend']} | {r['phase']} | {r['requests']} | {r['rps']} | {r['p50_ms']} | {r['p99_ms']} "
              f"| {r['errors']} | {r['load_avg_1m_after']} |")
    if args.json_out:
        args.json_out.write_text(json.dumps({"clients": args.clients, "workers": args.workers,
                                             "results": results}, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
