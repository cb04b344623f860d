"""Benchmark: load the synthetic city's cases.parquet + case_events.parquet into the warehouse (import_parquet).

    python bench/cases/bench_parquet_load.py --source /tmp/synth_1m --replicate 1 --work /tmp/bench_cases
    python bench/cases/bench_parquet_load.py --source /tmp/synth_1m --replicate 10 --work /tmp/bench_cases

``--replicate N`` writes N copies of the source cases and events with distinct case ids (a 10 M-case input from a
1 M-case synthetic city, because generating 10 M cases with synth takes over an hour on this machine); it is
honest about volume and shape, not about variety. Prints one JSON line: rows, seconds, rows/s, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import time
from pathlib import Path

import duckdb

from szcg.settings import Settings
from transforms.cases.parquet_import import import_parquet
from warehouse.store import Warehouse


def replicate(source: Path, out: Path, copies: int) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    src = source / "cases" if (source / "cases" / "cases.parquet").is_file() else source
    con = duckdb.connect()
    for name in ("cases.parquet", "case_events.parquet"):
        con.execute(
            f"COPY (SELECT * REPLACE (case_id || CASE WHEN r = 0 THEN '' ELSE '-' || r END AS case_id)"
            f" FROM read_parquet('{src / name}'), range({copies}) t(r))"
            f" TO '{out / name}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)")
    con.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, required=True, help="synth city folder (cases/*.parquet)")
    parser.add_argument("--replicate", type=int, default=1)
    parser.add_argument("--work", type=Path, required=True, help="scratch folder (deleted first)")
    parser.add_argument("--without-keys", action="store_true",
                        help="experiment: in the scratch warehouse, recreate core.case/core.case_event without their"
                             " PRIMARY KEY/UNIQUE constraints (DuckDB maintains an ART index per key on insert)")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    t0 = time.perf_counter()
    data = replicate(args.source, args.work / "input", args.replicate)
    prepared = time.perf_counter() - t0
    settings = Settings(data_dir=args.work / "var").with_data_dir(args.work / "var")
    wh = Warehouse(settings)
    with wh.writer() as con:  # create + migrate outside the timing
        if args.without_keys:
            for table in ('core."case"', "core.case_event"):
                con.execute(f"CREATE TABLE core._plain AS SELECT * FROM {table} LIMIT 0")
                con.execute(f"DROP TABLE {table}")
                con.execute(f"ALTER TABLE core._plain RENAME TO {table.split('.')[1]}")
    t1 = time.perf_counter()
    result = import_parquet(wh, data, edition="gbt47678.5-2026")
    seconds = time.perf_counter() - t1
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "without_keys": args.without_keys, "cases": result.cases_loaded, "events": result.events_loaded,
        "quarantined": result.cases_quarantined + result.events_quarantined,
        "seconds": round(seconds, 1), "events_per_s": round(result.events_loaded / seconds),
        "rows_per_s": round((result.cases_loaded + result.events_loaded) / seconds),
        "peak_rss_gib": round(peak_kib / 2**20, 2), "prepare_seconds": round(prepared, 1),
        "input_bytes": sum(p.stat().st_size for p in data.glob("*.parquet")),
        "db_bytes": settings.work_db_path.stat().st_size, "stages": result.stages,
        "load_average_1m": round(os.getloadavg()[0], 1), "cpus": os.cpu_count(),
    }))


if __name__ == "__main__":
    main()
