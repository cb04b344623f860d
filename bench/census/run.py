"""Census ingestion benchmark: 1,000,000 component rows against 40,000 unit grids.

    python bench/census/run.py [--rows 1000000] [--side 200] [--work DIR] [--reuse] [--rounds 5]

Phases run in separate processes so each reports its own peak RSS:
  generate  a 200 × 200 lattice of ~100 m grids inside 朔城区 (GeoPackage) and a UTF-8 CSV of components on it
  grids     `load_grids` (not part of the target)
  ingest    `ingest_file`: land + read + validate (GX once per batch, on small value frames) + grid assignment
            + SCD2 load; opening the work database's writer is timed apart (connect_seconds)
  floor     DuckDB reading the same CSV + the spatial join of its points with the grids, nothing else; then,
            reported apart, the same rows persisted into a table shaped like core.component (write_seconds)
Targets: ingest ≤ 60 s, ≤ 4 GiB peak RSS, ≤ 2 × floor (issue 23; ≤ 3 × before it); ``target_met`` says whether
the median ratio is within it. The machine is noisy (a single pair's ratio moves by
± 15 %), so ingest and floor run as ``--rounds`` interleaved pairs — each ingest into the warehouse as the grids
load left it — and the median ratio is reported beside the lowest and highest. ``--reuse`` keeps the generated
files of an earlier run with the same --rows/--side (the warehouse is always rebuilt). Each phase reports the
1-minute load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BOX = (112.36, 39.19, 112.60, 39.37)  # inside 朔城区 140602
DISTRICT, STREET = "140602", "140602001"
RATIO_TARGET = 2.0  # ingest / floor, median of the rounds (issue 23)


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(work: Path, rows: int, side: int) -> dict[str, float]:
    import duckdb
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    from standards.catalogue import load_catalogue

    started = time.perf_counter()
    rng = np.random.default_rng(7)
    dx, dy = (BOX[2] - BOX[0]) / side, (BOX[3] - BOX[1]) / side
    grid_col, grid_row = np.meshgrid(np.arange(side), np.arange(side))
    col, row = grid_col.ravel(), grid_row.ravel()
    index = (side - 1 - row) * side + col  # serial from north to south, west to east
    codes = np.char.add(np.char.add(STREET, np.char.zfill((index // 500 + 1).astype(str), 3)),
                        np.char.zfill((index % 500 + 1).astype(str), 3))
    x0, y0 = BOX[0] + col * dx, BOX[1] + row * dy
    grids = gpd.GeoDataFrame({"grid_code": codes}, geometry=shapely.box(x0, y0, x0 + dx, y0 + dy), crs="EPSG:4490")
    grids.to_file(work / "grids.gpkg", driver="GPKG")
    subclasses = np.array([s.code for s in load_catalogue("gbt47678.5-2026").components()])
    cell = rng.integers(0, side * side, rows)
    sub = subclasses[rng.integers(0, len(subclasses), rows)]
    serial = pd.Series(sub).groupby(sub).cumcount().to_numpy() + 1
    lon = BOX[0] + (col[cell] + rng.uniform(0.05, 0.95, rows)) * dx
    lat = BOX[1] + (row[cell] + rng.uniform(0.05, 0.95, rows)) * dy
    frame = pd.DataFrame({
        "OBJCODE": np.char.add(np.char.add(DISTRICT, sub.astype(str)), np.char.zfill(serial.astype(str), 6)),
        "OBJNAME": "部件", "DEPTCODE1": "14060005", "DEPTNAME1": "朔州市市政设施服务中心",
        "DEPTCODE2": "", "DEPTNAME2": "", "DEPTCODE3": "", "DEPTNAME3": "",
        "BGCODE": codes[cell], "OBJSTATE": np.array(["完好", "破损", "丢失", "占用"])[rng.integers(0, 4, rows)],
        "ORDATE": "20260801", "CHDATE": "", "PHOTO": "", "X": np.round(lon, 7), "Y": np.round(lat, 7),
    })
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute(f"COPY (SELECT * FROM frame) TO '{work / 'census.csv'}' (HEADER, DELIMITER ',')")
    return {"seconds": time.perf_counter() - started, "grids": len(grids), "rows": rows,
            "csv_mib": (work / "census.csv").stat().st_size / 2**20}


def _settings(work: Path):  # type: ignore[no-untyped-def]
    from szcg.settings import Settings

    return Settings(data_dir=work / "var").with_data_dir(work / "var")


def load_grid_phase(work: Path) -> dict[str, float]:
    from census_loaders.cityctx import city_context
    from census_loaders.config import load_census_config
    from census_loaders.grids import load_grids
    from warehouse.store import Warehouse

    settings = _settings(work)
    wh = Warehouse(settings)
    started = time.perf_counter()
    with wh.writer(spatial=True) as con:
        result = load_grids(con, wh, work / "grids.gpkg", load_census_config(settings), city_context(settings),
                            dt.date(2026, 1, 1))
    return {"seconds": time.perf_counter() - started, "loaded": result.rows_loaded,
            "quarantined": result.rows_quarantined}


def ingest_phase(work: Path) -> dict[str, Any]:
    from census_loaders.cityctx import city_context
    from census_loaders.config import load_census_config
    from census_loaders.ingest import IngestOptions, ingest_file
    from warehouse.store import Warehouse

    settings = _settings(work)
    wh = Warehouse(settings)
    ctx, config = city_context(settings), load_census_config(settings)
    import great_expectations  # noqa: F401 — import cost (seconds) is start-up, measured apart

    started = time.perf_counter()
    with wh.writer(spatial=True) as con:
        # Like the floor, whose clock starts once its connection is open and spatial loaded: the work database's
        # writer (lock, open, migrations check, spatial) is timed apart (connect_seconds), not in `seconds`.
        opened, cpu = time.perf_counter(), time.process_time()
        # `szcg census ingest` without --report-dir: no report, so no report tables (the diff and the points)
        result = ingest_file(con, wh, work / "census.csv", IngestOptions(DISTRICT, report_tables=False), ctx, config)
        seconds, cpu = time.perf_counter() - opened, time.process_time() - cpu
    return {"seconds": seconds, "cpu_seconds": cpu, "connect_seconds": time.perf_counter() - started - seconds,
            "rows_in": result.rows_in, "loaded": result.rows_loaded, "quarantined": result.rows_quarantined,
            "grids_assigned": result.grids_assigned, "steps": result.timings}


def floor_phase(work: Path) -> dict[str, float]:
    import duckdb

    from warehouse.duckdb_ext import load_spatial

    con = duckdb.connect()
    load_spatial(con)
    grid_wkt = duckdb.connect(str(work / "var" / "warehouse" / "work" / "warehouse.duckdb"), read_only=True).execute(
        "SELECT grid_code, geometry_wkt FROM core.grid WHERE valid_to IS NULL").df()
    con.register("grid_wkt", grid_wkt)
    con.execute("CREATE TABLE g AS SELECT grid_code, ST_GeomFromText(geometry_wkt) AS geom FROM grid_wkt")
    started, cpu = time.perf_counter(), time.process_time()
    con.execute(f"CREATE TABLE p AS SELECT * FROM read_csv('{work / 'census.csv'}', all_varchar=true)")
    read = time.perf_counter() - started
    joined = con.execute("SELECT count(*) FROM p JOIN g ON ST_Contains(g.geom, ST_Point(p.X::DOUBLE, p.Y::DOUBLE))"
                         ).fetchone()
    n = joined[0] if joined else 0
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    # Not part of the floor the issue defines, reported beside it: what persisting the same rows costs DuckDB
    # alone (a table shaped like core.component in a database file, committed) — a load cannot go below it.
    target = work / "floor_write.duckdb"
    target.unlink(missing_ok=True)
    # Same storage format as the warehouse's work database (Settings.warehouse_storage_version).
    con.execute(f"ATTACH '{target}' AS w (STORAGE_VERSION '{_settings(work).warehouse_storage_version}')")
    written = time.perf_counter()
    con.execute(
        "CREATE TABLE w.component AS SELECT OBJCODE AS component_id, 'gbt47678.5-2026' AS edition,"
        " substr(OBJCODE, 7, 5) AS subclass_code, OBJNAME AS name, BGCODE AS grid_code, '140602' AS district_code,"
        " DEPTCODE1 AS owner_department_code, DEPTCODE2 AS property_department_code,"
        " DEPTCODE3 AS maintenance_department_code, OBJSTATE AS state, X::DOUBLE AS lon, Y::DOUBLE AS lat,"
        " NULL::VARCHAR AS geometry_wkt, strptime(ORDATE, '%Y%m%d')::DATE AS surveyed_on, PHOTO AS photo,"
        " strptime(ORDATE, '%Y%m%d') AS valid_from, NULL::TIMESTAMP AS valid_to, 'batch' AS change_source FROM p")
    con.execute("DETACH w")
    return {"seconds": seconds, "cpu_seconds": cpu, "read_seconds": read, "joined": n,
            "write_seconds": time.perf_counter() - written}


def _run_phase(phase: str, args: argparse.Namespace) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--phase", phase, "--rows", str(args.rows), "--side",
                           str(args.side), "--work", str(args.work)], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"phase {phase} failed:\n{done.stderr[-3000:]}")
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--side", type=int, default=200, help="grids per side (200 → 40,000 grids)")
    parser.add_argument("--work", type=Path, default=Path("var/bench-census"))
    parser.add_argument("--reuse", action="store_true", help="keep generated files of the same size from a last run")
    parser.add_argument("--rounds", type=int, default=5, help="ingest/floor pairs, interleaved (median reported)")
    parser.add_argument("--phase", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phases = {"generate": lambda: generate(args.work, args.rows, args.side), "grids": lambda: load_grid_phase(
            args.work), "ingest": lambda: ingest_phase(args.work), "floor": lambda: floor_phase(args.work)}
        out = phases[args.phase]()
        out["peak_rss_mib"] = _rss_mib()
        out["load_1min"] = os.getloadavg()[0]
        print(json.dumps(out))
        return
    import shutil
    import statistics

    stamp = args.work / "generated.json"
    wanted = {"rows": args.rows, "side": args.side}
    reuse = args.reuse and stamp.exists() and json.loads(stamp.read_text()) == wanted
    if reuse:
        shutil.rmtree(args.work / "var", ignore_errors=True)
    else:
        shutil.rmtree(args.work, ignore_errors=True)
        args.work.mkdir(parents=True)
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if reuse:
        print("generate: reusing", args.work, flush=True)
    else:
        print("generate", _run_phase("generate", args), flush=True)
        stamp.write_text(json.dumps(wanted))
    print("grids", _run_phase("grids", args), flush=True)
    # Each round ingests into the warehouse as it was after the grids load (a first census, as in round 1).
    pristine = args.work / "var-with-grids"
    shutil.rmtree(pristine, ignore_errors=True)
    shutil.copytree(args.work / "var", pristine)
    rounds = []
    for number in range(1, args.rounds + 1):
        shutil.rmtree(args.work / "var")
        shutil.copytree(pristine, args.work / "var")
        ingest, floor = _run_phase("ingest", args), _run_phase("floor", args)
        rounds.append({"ingest": ingest, "floor": floor, "ratio": ingest["seconds"] / floor["seconds"]})
        print(f"round {number}: ingest {ingest['seconds']:.2f} s (loaded {ingest['loaded']:,}, quarantined"
              f" {ingest['quarantined']:,}, peak {ingest['peak_rss_mib'] / 1024:.2f} GiB),"
              f" floor {floor['seconds']:.2f} s (read {floor['read_seconds']:.2f} s,"
              f" write apart {floor['write_seconds']:.2f} s), ratio {ingest['seconds'] / floor['seconds']:.2f},"
              f" CPU {ingest['cpu_seconds']:.2f} / {floor['cpu_seconds']:.2f} s"
              f" = {ingest['cpu_seconds'] / floor['cpu_seconds']:.2f},"
              f" load {ingest['load_1min']:.1f}/{floor['load_1min']:.1f}", flush=True)
        if number == 1:
            print("  steps", ingest["steps"], flush=True)
    shutil.rmtree(pristine, ignore_errors=True)

    def median(values: list[float]) -> float:
        return round(statistics.median(values), 2)

    ratios = [r["ratio"] for r in rounds]
    print(json.dumps({
        "rounds": len(rounds), "ratio_median": median(ratios), "ratio_min": round(min(ratios), 2),
        "ratio_max": round(max(ratios), 2),
        "ingest_seconds_median": median([r["ingest"]["seconds"] for r in rounds]),
        "floor_seconds_median": median([r["floor"]["seconds"] for r in rounds]),
        # CPU seconds of all the process's threads: steadier than wall time on a shared machine
        "ratio_cpu_median": median([r["ingest"]["cpu_seconds"] / r["floor"]["cpu_seconds"] for r in rounds]),
        "ratio_with_connect_median": median([(r["ingest"]["seconds"] + r["ingest"]["connect_seconds"])
                                             / r["floor"]["seconds"] for r in rounds]),
        "ratio_to_floor_with_write_median": median([r["ingest"]["seconds"] / (r["floor"]["seconds"]
                                                    + r["floor"]["write_seconds"]) for r in rounds]),
        "ingest_peak_rss_gib_max": round(max(r["ingest"]["peak_rss_mib"] for r in rounds) / 1024, 2),
        "load_1min": [round(min(r["ingest"]["load_1min"] for r in rounds), 1),
                      round(max(r["ingest"]["load_1min"] for r in rounds), 1)],
        "started": started, "targets": {"seconds": 60, "rss_gib": 4, "ratio": RATIO_TARGET},
        "target_met": statistics.median(ratios) <= RATIO_TARGET}))


if __name__ == "__main__":
    main()
