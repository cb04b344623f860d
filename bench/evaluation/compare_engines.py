"""Row-for-row comparison of two versions of the evaluation engine on the same warehouse file.

    python bench/evaluation/compare_engines.py dump --repo /work/main --db F --period 2026-06 --out /tmp/a [--lineage]
    python bench/evaluation/compare_engines.py dump --repo .          --db F --period 2026-06 --out /tmp/b [--lineage]
    python bench/evaluation/compare_engines.py compare /tmp/a /tmp/b

``dump`` imports ``transforms.evaluation`` from ``--repo`` (a checkout of the other version), runs ``engine.run`` and
writes every indicator (eval_indicator_scored), every score (eval_score) and, with ``--lineage``, the stored
lineage (eval_lineage_fact, each person's events sorted) and its bit table (eval_lineage_role) as Parquet files.
The derived lineage rows (eval_lineage, marts.score_lineage) are a function of those two, so equal facts and roles
mean equal lineage. ``compare`` checks the same keys on both sides, equal text and integer columns, and floats
equal to 1e-9 relative (a parallel sum may add in another order); it prints one line per table and exits 1 on any
difference.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import duckdb

TABLES = {
    "indicator": ("SELECT object, level, entity_code, indicator, label, numerator, denominator, value, score, weight "
                  "FROM eval_indicator_scored", ("object", "level", "entity_code", "indicator")),
    "score": ("SELECT object, level, entity_code, sample_size, ranked, total_score, grade, colour, rank, tie_break "
              "FROM eval_score", ("object", "level", "entity_code")),
    "lineage_fact": ("SELECT object, entity_code, case_id, district_code, street_code, community_code, grid_code, "
                     "roles, list_sort(events) AS events FROM eval_lineage_fact",
                     ("object", "entity_code", "case_id")),
    "lineage_role": ("SELECT object, indicator, role, bit FROM eval_lineage_role", ("object", "indicator", "role")),
}


def dump(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(Path(args.repo).resolve()))
    from standards.calendar import load_calendar
    from standards.city import packaged_city
    from transforms.evaluation import engine
    from transforms.evaluation.period import parse_period
    from transforms.evaluation.scheme import load_scheme

    assert Path(engine.__file__).resolve().is_relative_to(Path(args.repo).resolve()), engine.__file__
    con = duckdb.connect(str(args.db))
    con.execute("SET threads = 2")
    con.execute("SET memory_limit = '8GB'")
    t = time.perf_counter()
    info = engine.run(con, parse_period(args.period), load_scheme(), load_calendar(packaged_city()),
                      lineage=args.lineage)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = [n for n in TABLES if args.lineage or not n.startswith("lineage")]
    for name in names:
        con.execute(f"COPY ({TABLES[name][0]}) TO '{out / name}.parquet' (FORMAT parquet)")
    meta = {"repo": str(Path(args.repo).resolve()), "period": args.period, "seconds": round(time.perf_counter() - t, 1),
            "cases_in_scope": info.cases_in_scope, "cohort_cases": info.cohort_cases,
            "early_history_cases": info.early_history_cases, "tables": names}
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta))


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def compare(args: argparse.Namespace) -> None:
    a, b = Path(args.a), Path(args.b)
    meta_a, meta_b = (json.loads((d / "meta.json").read_text()) for d in (a, b))
    ok = all(meta_a[k] == meta_b[k] for k in ("period", "cases_in_scope", "cohort_cases", "early_history_cases"))
    print(f"run: {meta_a['period']} cases in scope {meta_a['cases_in_scope']} / {meta_b['cases_in_scope']}, "
          f"cohort {meta_a['cohort_cases']} / {meta_b['cohort_cases']}: {'same' if ok else 'DIFFERENT'}")
    con = duckdb.connect()
    for name in meta_a["tables"]:
        if name not in meta_b["tables"]:
            print(f"{name}: missing in {b}")
            ok = False
            continue
        keys = ", ".join(TABLES[name][1])
        rows_a = con.execute(f"SELECT * FROM '{a / name}.parquet' ORDER BY {keys}").fetchall()
        rows_b = con.execute(f"SELECT * FROM '{b / name}.parquet' ORDER BY {keys}").fetchall()
        exact = sum(ra == rb for ra, rb in zip(rows_a, rows_b, strict=False))
        close = len(rows_a) == len(rows_b) and all(
            all(_same(x, y) for x, y in zip(ra, rb, strict=True)) for ra, rb in zip(rows_a, rows_b, strict=True))
        ok = ok and close
        print(f"{name}: {len(rows_a)} / {len(rows_b)} rows, {exact} identical, "
              f"{'equal' if close else 'DIFFERENT'}")
    print("ALL EQUAL" if ok else "DIFFERENCES FOUND")
    sys.exit(0 if ok else 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--repo", required=True)
    d.add_argument("--db", type=Path, required=True)
    d.add_argument("--period", required=True)
    d.add_argument("--out", required=True)
    d.add_argument("--lineage", action="store_true")
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    args = ap.parse_args()
    dump(args) if args.command == "dump" else compare(args)


if __name__ == "__main__":
    main()
