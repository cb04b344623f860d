"""Time every statement of one ``engine.run`` (wall and CPU seconds), to see where a period's time goes.

    python bench/evaluation/profile_statements.py --db /tmp/eval-10m.duckdb --period 2026-06 [--lineage] [--repeat 2]
        [--floor]

The engine is handed a connection wrapper that times each ``execute``; statements that take less than 10 ms are
summed under "other". The first run of the process reads the file from disk; ``--repeat`` runs again warm.
``--floor``: the bench's floor (``bench_evaluation.FLOOR_SQL``) is timed after each run, and the run's CPU is split
into its case pass (``eval_case_summary``, the statement of the floor's own kind) and everything else, each divided
by the floor's CPU — what the month costs beyond the one aggregate the floor is.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import sys
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))

from bench_evaluation import add_step_column, floor_month  # noqa: E402

from standards.calendar import load_calendar  # noqa: E402
from standards.city import packaged_city  # noqa: E402
from transforms.evaluation import engine  # noqa: E402
from transforms.evaluation.period import parse_period  # noqa: E402
from transforms.evaluation.scheme import load_scheme  # noqa: E402

_NAME = re.compile(r"(?:TABLE|VIEW|INTO|FROM)\s+(eval_\w+)", re.IGNORECASE)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class TimedConnection:
    """Passes every call to the DuckDB connection; records each execute's wall and CPU seconds by relation."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.times: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])

    def execute(self, sql: str, *args: object) -> duckdb.DuckDBPyConnection:
        t, c = time.perf_counter(), _cpu()
        out = self.con.execute(sql, *args)
        wall, cpu = time.perf_counter() - t, _cpu() - c
        m = _NAME.search(re.sub(r"--[^\n]*", "", sql))
        label = (m.group(1) if m else sql.split()[0]) if wall >= 0.01 else "other"
        row = self.times[label]
        row[0] += wall
        row[1] += cpu
        row[2] += 1
        return out

    def __getattr__(self, name: str) -> object:
        return getattr(self.con, name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--period", default="2026-06")
    ap.add_argument("--lineage", action="store_true")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--lookback-days", type=float, default=None, help="history_lookback (default: the engine's)")
    ap.add_argument("--floor", action="store_true", help="time the bench's floor after each run, compare the parts")
    args = ap.parse_args()
    con = duckdb.connect(str(args.db))
    add_step_column(con)
    con.execute("SET threads = 2")
    con.execute("SET memory_limit = '8GB'")
    scheme, calendar = load_scheme(), load_calendar(packaged_city())
    period = parse_period(args.period)
    for k in range(args.repeat):
        timed = TimedConnection(con)
        load, t, c = os.getloadavg()[0], time.perf_counter(), _cpu()
        lookback = engine.HISTORY_LOOKBACK if args.lookback_days is None else timedelta(days=args.lookback_days)
        engine.run(timed, period, scheme, calendar, lineage=args.lineage,  # type: ignore[arg-type]
                   history_lookback=lookback)
        wall, cpu = time.perf_counter() - t, _cpu() - c
        print(f"run {k + 1}: {wall:.2f} s wall, {cpu:.2f} s CPU, load {load:.1f}")
        for label, (w, cp, n) in sorted(timed.times.items(), key=lambda kv: -kv[1][1]):
            print(f"  {label:32s} {w:7.2f} s {cp:7.2f} CPU  ({n})")
        if args.floor:
            load, t, c = os.getloadavg()[0], time.perf_counter(), _cpu()
            floor_month(con, period)
            floor_wall, floor_cpu = time.perf_counter() - t, _cpu() - c
            case_pass = timed.times["eval_case_summary"][1] if "eval_case_summary" in timed.times else 0.0
            print(f"  floor {floor_wall:.2f} s wall, {floor_cpu:.2f} s CPU, load {load:.1f}: run / floor (CPU)"
                  f" {cpu / floor_cpu:.2f}, case pass / floor {case_pass / floor_cpu:.2f},"
                  f" the rest / floor {(cpu - case_pass) / floor_cpu:.2f}")


if __name__ == "__main__":
    main()
