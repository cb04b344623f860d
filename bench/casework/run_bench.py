"""Sustained mixed load on the case service: uvicorn on loopback, 32 concurrent clients.

For each backend (SQLite file, throwaway PostgreSQL) the script starts ``uvicorn`` in a subprocess, seeds users
and cases, then measures two phases from the same load generator and the same run:

* baseline: ``GET /health`` (no database) — what the server + load generator can do at all on this machine;
* mixed: 75 % reads (case detail, task list, case search, change feed) and 25 % transitions (each client walks
  its own cases round the loop: 上报 → 受理 → 立案 → 派遣 → 处置 → 反馈 → 核查 → 结案, then reports a new one).

The load generator is ``wrk`` (C, epoll; ``make bench-tools`` installs it) with ``mixed.lua``, one thread per
connection so each connection walks its own cases; without wrk (or with ``--client python``) it is the asyncio
httpx client below, which on a 2-core machine takes about as much CPU as the server and caps what can be seen.
Reports requests/s, p50 and p99 latency, errors and the server's CPU time per request (from /proc) per phase, as
a table and as JSON (``--json-out``).
Usage: ``python bench/casework/run_bench.py [--seconds 20] [--clients 32] [--workers 1]
[--backends sqlite,postgresql] [--client wrk|python]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
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
WRK_SCRIPT = Path(__file__).with_name("mixed.lua")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

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
    failures: dict[str, int] = field(default_factory=dict)  # "<kind> <status or exception>" → count
    seconds: float = 0.0

    def fail(self, what: str) -> None:
        self.errors += 1
        self.failures[what] = self.failures.get(what, 0) + 1

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        n = len(lat)

        def pct(p: float) -> float:
            return round(lat[min(n - 1, int(p * n))] * 1000, 1) if n else float("nan")

        return {"phase": self.name, "requests": n, "errors": self.errors,
                "rps": round(n / self.seconds, 1) if self.seconds else 0.0, "p50_ms": pct(0.50),
                "p99_ms": pct(0.99), "mean_ms": round(statistics.fmean(lat) * 1000, 1) if n else None,
                "mix": dict(sorted(self.by_kind.items())), "failures": dict(sorted(self.failures.items()))}


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and its descendants (uvicorn's worker processes), from /proc."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()  # after "pid (comm) "
        child = int(stat.parent.name)
        parents[child] = int(fields[1])
        ticks[child] = int(fields[11]) + int(fields[12])
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(ticks.get(p, 0) for p in tree) / CLOCK_TICKS


def postmaster_pid(data_dir: Path) -> int | None:
    try:  # the first line of postmaster.pid; the directory belongs to the postgres user but is readable by root
        return int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


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


def start_server(url: str, data_dir: Path, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    """uvicorn in a subprocess; its stderr (tracebacks of any 5xx) goes to ``log``."""
    env = {**os.environ, "SZCG_DATA_DIR": str(data_dir), "SZCG_CASEWORK_DB_URL": url}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "casework.app:app_from_environment", "--host",
           "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
           "--workers", str(workers)]
    with log.open("ab") as sink:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stderr=sink)
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
            except httpx.HTTPError as exc:
                phase.fail(f"{kind} {type(exc).__name__}")
                return None
            phase.latencies.append(time.perf_counter() - t0)
            phase.by_kind[kind] = phase.by_kind.get(kind, 0) + 1
            if r.status_code >= 400:
                phase.fail(f"{kind} {r.status_code}")
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


def run_wrk(base: str, name: str, seconds: float, clients: int, tokens: dict[str, str],
            mixed: bool) -> dict[str, Any]:
    """One phase with wrk: ``clients`` threads with one connection each (see mixed.lua)."""
    cmd = ["wrk", f"-t{clients}", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
           "-s", str(WRK_SCRIPT), base, "--", "mixed" if mixed else "health",
           *(f"{u}={t}" for u, t in tokens.items())]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    line = next((x for x in out.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    secs = raw["duration_us"] / 1e6
    return {"phase": name, "requests": raw["requests"], "errors": raw["status_errors"] + raw["socket_errors"],
            "rps": round(raw["requests"] / secs, 1), "p50_ms": round(raw["p50_us"] / 1000, 1),
            "p90_ms": round(raw["p90_us"] / 1000, 1), "p99_ms": round(raw["p99_us"] / 1000, 1),
            "max_ms": round(raw["max_us"] / 1000, 1), "mean_ms": round(raw["mean_us"] / 1000, 1),
            "mix": raw["mix"], "failures": raw["failures"], "seconds": round(secs, 2),
            "client_cpu_ms_per_request": round(1000 * client_cpu / max(1, raw["requests"]), 3)}


def run_python(base: str, name: str, seconds: float, clients: int, tokens: dict[str, str],
               mixed: bool) -> dict[str, Any]:
    return asyncio.run(run_phase(base, name, seconds, clients, tokens, mixed)).summary()


def bench_backend(backend: str, seconds: float, clients: int, workers: int, driver: str) -> list[dict[str, Any]]:
    """Both phases against a fresh database on ``backend`` served by ``workers`` uvicorn processes."""
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
    log = tmp / "server.log"
    proc = start_server(url, tmp, port, workers, log)
    base = f"http://127.0.0.1:{port}"
    try:
        tokens = {u: httpx.post(f"{base}/auth/token", json={"username": u, "password": PASSWORD}).json()[
            "access_token"] for u in USERS}
        run = run_wrk if driver == "wrk" else run_python
        run(base, "warm-up", 3, clients, tokens, True)
        results = []
        for name, mixed, secs in (("baseline GET /health", False, max(5.0, seconds / 2)),
                                  ("mixed 75% reads / 25% transitions", True, seconds)):
            db_pid = postmaster_pid(pg.data_dir) if pg is not None else None
            cpu_before = process_tree_cpu(proc.pid)
            db_before = process_tree_cpu(db_pid) if db_pid else 0.0
            summary = run(base, name, secs, clients, tokens, mixed)
            server_cpu = process_tree_cpu(proc.pid) - cpu_before
            if db_pid:  # PostgreSQL's own processes share the same cores
                db_cpu = process_tree_cpu(db_pid) - db_before
                summary["postgres_cpu_ms_per_request"] = round(1000 * db_cpu / max(1, summary["requests"]), 2)
            summary.update(backend=backend, client=driver, workers=workers,
                           server_cpu_s=round(server_cpu, 2),
                           server_cpu_ms_per_request=round(1000 * server_cpu / max(1, summary["requests"]), 2))
            summary["load_avg_1m_after"] = round(os.getloadavg()[0], 1)
            results.append(summary)
            print(json.dumps(summary, ensure_ascii=False), file=sys.stderr)
        return results
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if pg is not None:
            pg.stop()
        server_log = log.read_text(errors="replace").strip() if log.exists() else ""
        if server_log:  # every failure is looked at: tracebacks of 5xx, warnings
            print(f"--- server log ({backend}, {workers} worker(s)) ---\n{server_log[-4000:]}", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of the mixed phase per backend")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", default="1,2",
                        help="uvicorn worker processes; a comma-separated list runs each in turn")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--client", choices=("wrk", "python"), default=None,
                        help="load generator (default: wrk when installed, else the Python client)")
    parser.add_argument("--json-out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    driver = args.client or ("wrk" if shutil.which("wrk") else "python")
    if driver == "wrk" and shutil.which("wrk") is None:
        parser.error("wrk is not installed: run `make bench-tools` or pass --client python")
    if driver == "python":
        print("load generator: Python (httpx asyncio) — it shares the CPU with the server; "
              "`make bench-tools` installs wrk", file=sys.stderr)
    results: list[dict[str, Any]] = []
    load_before = round(os.getloadavg()[0], 1)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"{started}: load average before {load_before} on {os.cpu_count()} cores", file=sys.stderr)
    for backend in args.backends.split(","):
        for workers in (int(w) for w in str(args.workers).split(",")):
            results += bench_backend(backend.strip(), args.seconds, args.clients, workers, driver)
    print("| backend | workers | phase | requests | rps | p50 ms | p99 ms | errors | server CPU ms/req | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['backend']} | {r['workers']} | {r['phase']} | {r['requests']} | {r['rps']} | {r['p50_ms']} "
              f"| {r['p99_ms']} | {r['errors']} | {r['server_cpu_ms_per_request']} | {r['load_avg_1m_after']} |")
    if args.json_out:
        args.json_out.write_text(json.dumps({"started": started, "load_avg_1m_before": load_before,
                                             "clients": args.clients, "workers": args.workers, "client": driver,
                                             "results": results}, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
