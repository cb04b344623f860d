"""Do two versions of the census code give the same results? Row for row, on the same inputs.

    python bench/census/compare_census.py --a /tmp/main-code --b . --work /tmp/cmp \
        [--bench /tmp/bench-census] [--city /tmp/dirty-city]

``--a`` and ``--b`` are checkouts of the code (e.g. a ``git archive main`` with its own ``make env``); each is run
with its own ``.venv/bin/python`` and its own package path (this script runs itself in ``dump`` mode there), into
fresh warehouses under ``--work``. Inputs:

- ``--bench``: the census benchmark's generated files (``grids.gpkg`` and the 1 M-row ``census.csv`` of
  ``bench/census/run.py``): grids loaded, then the CSV ingested once;
- ``--city``: a synthetic city (``szcg synth city --dirty``, or the tests' DIRTY_CITY): its grids, every census
  batch of ``census/batches.csv`` in order, then the first batch submitted again.

Compared: ``core.component``, ``quarantine.rejected_row`` (records as delivered included), ``landing.load`` and
``landing.landed_file`` (without the columns that are times: ``*_at``), and per batch the result's summary, notes,
problems, diff and points (the report tables, sorted). Prints SAME or the first differences; exit status 1 on any.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

TABLES = {
    "core.component": "component_id, valid_from",
    "quarantine.rejected_row": "batch_id, row_number, field, rule, message",
    "landing.load": "batch_id, target",
    "landing.landed_file": "batch_id",
}


def _table(con: Any, name: str, order: str) -> list[tuple[Any, ...]]:
    columns = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall() if not r[0].endswith("_at")]
    rows = con.execute(f"SELECT {', '.join(columns)} FROM {name} ORDER BY {order}, {', '.join(columns)}").fetchall()
    return [tuple(columns)] + [tuple(json.loads(v) if c in ("raw_record", "detail") and isinstance(v, str) else v
                                     for c, v in zip(columns, row, strict=True)) for row in rows]


def _sorted_table(table: Any) -> Any:
    if table is None:
        return None
    return table.sort_by([(c, "ascending") for c in table.column_names]).to_pydict()  # NULL stays None


def dump(work: Path, grids: Path, grids_date: dt.date, batches: list[tuple[Path, str]], out: Path) -> None:
    """Run in the code under test: fresh warehouse, grids, the batches in order; everything compared, pickled."""
    from census_loaders.cityctx import city_context
    from census_loaders.config import load_census_config
    from census_loaders.grids import load_grids
    from census_loaders.ingest import IngestOptions, ingest_file
    from szcg.settings import Settings
    from warehouse.store import Warehouse

    settings = Settings(data_dir=work / "var").with_data_dir(work / "var")
    wh = Warehouse(settings)
    ctx, config = city_context(settings), load_census_config(settings)
    results = []
    with wh.writer(spatial=True) as con:
        load_grids(con, wh, grids, config, ctx, grids_date)
        for path, district in batches:
            r = ingest_file(con, wh, path, IngestOptions(district, report_tables=True), ctx, config)
            results.append({
                "file": path.name, "summary": r.summary(), "notes": r.notes,
                "problems": [(p.file, p.row_number, p.field, p.rule, p.message) for p in r.problems],
                "diff": _sorted_table(r.diff_table), "points": _sorted_table(r.points_table)})
        tables = {name: _table(con, name, order) for name, order in TABLES.items()}
    out.write_bytes(pickle.dumps({"results": results, "tables": tables}))


def _inputs(kind: str, source: Path) -> tuple[Path, dt.date, list[tuple[Path, str]]]:
    if kind == "bench":
        return source / "grids.gpkg", dt.date(2026, 1, 1), [(source / "census.csv", "140602")]
    import csv

    with (source / "census" / "batches.csv").open(encoding="utf-8") as handle:
        listed = [(source / b["file"], b["district_code"]) for b in csv.DictReader(handle)]
    return source / "geography" / "grids.gpkg", dt.date(2025, 1, 1), listed + listed[:1]


def _diff(a: Any, b: Any, where: str, found: list[str]) -> None:
    if len(found) >= 20 or a == b:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            _diff(a.get(key), b.get(key), f"{where}.{key}", found)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff(x, y, f"{where}[{i}]", found)
    else:
        found.append(f"{where}: {str(a)[:300]} != {str(b)[:300]}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", type=Path, required=True)
    parser.add_argument("--b", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--bench", type=Path)
    parser.add_argument("--city", type=Path)
    args = parser.parse_args()
    inputs = [(k, p) for k, p in (("bench", args.bench), ("city", args.city)) if p is not None]
    same = True
    for kind, source in inputs:
        dumps = []
        for label, code in (("a", args.a), ("b", args.b)):
            work = args.work / f"{kind}-{label}"
            if work.exists():
                raise SystemExit(f"{work} exists: give a fresh --work")
            work.mkdir(parents=True)
            out = work / "dump.pickle"
            subprocess.run([str(code.resolve() / ".venv" / "bin" / "python"), str(Path(__file__).resolve()), "dump",
                            kind, str(source.resolve()), str(work), str(out)], cwd=code, check=True)
            dumps.append(pickle.loads(out.read_bytes()))
        found: list[str] = []
        _diff(dumps[0], dumps[1], kind, found)
        counts = {name: len(rows) - 1 for name, rows in dumps[0]["tables"].items()}
        print(f"{kind}: {len(dumps[0]['results'])} batches, rows {counts}:",
              "SAME" if not found else "DIFFERENT\n  " + "\n  ".join(found))
        same &= not found
    return 0 if same else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "dump":
        sys.path.insert(0, str(Path.cwd()))  # the code under test: the checkout this runs in
        _, _, kind, source, work = sys.argv[:5]
        grids, date, batches = _inputs(kind, Path(source))
        dump(Path(work), grids, date, batches, Path(sys.argv[5]))
    else:
        sys.exit(main())
