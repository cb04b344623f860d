"""The census load's INSERT into ``core.component``, measured inside a real ingest — and repeated there.

    python bench/census/load_probe.py --bench /tmp/bench-census [--runs 3] [--trials 6]

``--bench`` is the census benchmark's work directory (``bench/census/run.py --work``: ``census.csv`` and
``grids.gpkg``). Each run is its own process, like the benchmark's ingest phase: a fresh warehouse with the grids
loaded (built once, copied for every run), then one ``ingest_file`` of the 1 M-row CSV. Just before the load's
INSERT (after the rejected rows' ``DELETE FROM stage``, ``stage`` exactly as the load reads it) the same
``SELECT`` is inserted ``--trials`` times into a scratch table shaped like ``core.component`` (emptied after each),
then the load goes on as usual. Per run one JSON line: ``stage``'s row groups (rows each), the real INSERT and
every trial — wall and CPU seconds, minor page faults and the CPU ticks (1/100 s) of each thread that worked. The
trials separate what the statement does from what the run it is in does: same process, same rows, same layout.
Time it under the benchmark lock; the warehouse copies go under ``--bench``/``probe``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from run import DISTRICT  # the district the benchmark's files are generated in (this script's folder)


def _thread_ticks() -> dict[str, int]:
    """utime + stime of every thread of this process, in clock ticks."""
    ticks = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[tid] = int(fields[11]) + int(fields[12])
    return ticks


def _measure(run: Any) -> dict[str, Any]:
    before, faults = _thread_ticks(), resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = _thread_ticks()
    return {"wall": round(wall, 3), "cpu": round(cpu, 3),
            "minflt": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults,
            "thread_ticks": sorted((t - before.get(k, 0) for k, t in after.items() if t > before.get(k, 0)),
                                   reverse=True)}


class _Probe:
    """The connection as the ingest sees it, with the load's INSERT measured (and repeated before it runs)."""

    def __init__(self, con: Any, trials: int, record: dict[str, Any]) -> None:
        self._con, self._trials, self._record = con, trials, record

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def execute(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
        if not (isinstance(sql, str) and sql.startswith("INSERT INTO core.component ")):
            return self._con.execute(sql, *args, **kwargs)
        con, record = self._con, self._record
        record["stage_row_groups"] = [int(r[0]) for r in con.execute(
            "SELECT sum(count) FROM pragma_storage_info('stage') WHERE column_id = 0 AND column_path = '[0]'"
            " GROUP BY row_group_id ORDER BY row_group_id").fetchall()]
        body = re.sub(r"^INSERT INTO core\.component ", "", sql)
        con.execute("CREATE OR REPLACE TABLE main.probe_component AS SELECT * FROM core.component LIMIT 0")
        record["trials"] = []
        for _ in range(self._trials):
            record["trials"].append(_measure(lambda: con.execute("INSERT INTO main.probe_component " + body,
                                                                 *args, **kwargs)))
            con.execute("DELETE FROM main.probe_component")
        result: list[Any] = []
        record["insert"] = _measure(lambda: result.append(con.execute(sql, *args, **kwargs)))
        return result[0]


def _one_run(bench: Path, trials: int) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from census_loaders.cityctx import city_context
    from census_loaders.config import load_census_config
    from census_loaders.ingest import IngestOptions, ingest_file
    from szcg.settings import Settings
    from warehouse.store import Warehouse

    work = bench / "probe" / "run"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(bench / "probe" / "grids", work / "var")
    settings = Settings(data_dir=work / "var").with_data_dir(work / "var")
    wh = Warehouse(settings)
    ctx, config = city_context(settings), load_census_config(settings)
    import great_expectations  # noqa: F401 — imported before the clock, as in the benchmark

    record: dict[str, Any] = {"load_1min": os.getloadavg()[0]}
    with wh.writer(spatial=True) as con:
        # the ingest's registered frames are found by name in its own frames, one level below the probe's
        con.execute("SET python_scan_all_frames = true")
        started, cpu = time.perf_counter(), time.process_time()
        result = ingest_file(_Probe(con, trials, record), wh, bench / "census.csv",
                             IngestOptions(DISTRICT, report_tables=False), ctx, config)
        record["ingest_wall"] = round(time.perf_counter() - started - sum(t["wall"] for t in record["trials"]), 3)
        record["ingest_cpu"] = round(time.process_time() - cpu - sum(t["cpu"] for t in record["trials"]), 3)
    record["load_step_with_trials"] = result.timings.get("load")
    record["loaded"], record["quarantined"] = result.rows_loaded, result.rows_quarantined
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one_run(args.bench, args.trials)), flush=True)
        return
    grids = args.bench / "probe" / "grids"
    if not grids.exists():
        run_py = Path(__file__).with_name("run.py")
        shutil.rmtree(args.bench / "var", ignore_errors=True)
        subprocess.run([sys.executable, str(run_py), "--work", str(args.bench), "--phase", "grids"], check=True,
                       stdout=subprocess.DEVNULL)
        shutil.copytree(args.bench / "var", grids)
    for _ in range(args.runs):
        subprocess.run([sys.executable, __file__, "--bench", str(args.bench), "--trials", str(args.trials), "--one"],
                       check=True)


if __name__ == "__main__":
    main()
