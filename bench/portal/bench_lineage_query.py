"""The district lineage drill-down's query on a 10 M-case year: the fact path, the view path, a legacy version.

    flock /tmp/szcg-bench.lock python bench/portal/bench_lineage_query.py \\
        [--db /tmp/szcg-city10m/warehouse/work/warehouse.duckdb] [--period 2026-10] [--rounds 7]

Reads a warehouse file read-only (the work database or a published snapshot) holding a version of ``--period``
stored by derivation (migration 0100; the latest published one) and the version before it stored the old way. For
the largest district (all indicators, page 1 and page 40; one indicator, page 1) it times, after one warm-up,
``usecases.scorecard_views``' two queries on the new version — from the fact rows (what the page runs) and through
the view ``marts.score_lineage`` (what it ran before) — checking they answer the same, and the view on the legacy
version. Prints one line per query and writes JSON (median/max wall, median CPU, load at the start of each).
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

from usecases import scorecard_views as views


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
                 "cpu_s": round(statistics.median(cpu), 3), "load_1m": load, "cases": found[1]}
    print(name, out[name], flush=True)
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=Path("/tmp/szcg-city10m/warehouse/work/warehouse.duckdb"))
    ap.add_argument("--period", default="2026-10")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--memory-limit", default="8GB")
    ap.add_argument("--out", type=Path, default=Path("/tmp/lineage-query.json"))
    args = ap.parse_args()
    out: dict[str, Any] = {"at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "db": str(args.db)}
    with duckdb.connect(str(args.db), read_only=True, config={"memory_limit": args.memory_limit}) as con:
        new = con.execute("SELECT max(version) FROM marts.scorecard WHERE period = ? AND status = 'published'",
                          [args.period]).fetchone()[0]  # type: ignore[index]
        district = con.execute("SELECT entity_code FROM marts.score WHERE period = ? AND version = 0 AND "
                               "level = 'district' ORDER BY sample_size DESC LIMIT 1",
                               [args.period]).fetchone()[0]  # type: ignore[index]
        scope, fact = views.Scope("region", "district"), views._fact_source(views.Scope("region", "district"),
                                                                               district)
        assert fact is not None
        for indicator, page in ((None, 1), (None, 40), ("on_time_close_rate", 1)):
            label = f"{indicator or 'all indicators'}, page {page}"
            bits = views._role_bits(con, args.period, new, "region", indicator)
            if bits is None:
                raise SystemExit(f"{args.period} v{new} has no bit table: not stored by derivation")
            a = timed(out, f"v{new} facts: {label}", args.rounds,
                      partial(views._cases_from_facts, con, args.period, new, fact, bits, page, 50))
            b = timed(out, f"v{new} view: {label}", args.rounds,
                      partial(views._cases_from_view, con, args.period, new, scope, district, indicator, page, 50))
            assert a == b, label
            timed(out, f"v{new - 1} (legacy) view: {label}", args.rounds,
                  partial(views._cases_from_view, con, args.period, new - 1, scope, district, indicator, page, 50))
    out["load_average_end"] = os.getloadavg()
    args.out.write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
