"""Row-for-row comparison of two versions of the legacy import (issue 20 item 7: faster, with identical results).

Each version's code is run on the same inputs, each into a fresh warehouse holding the synthetic grids, and what
it wrote is dumped: core.case, core.case_event, the quarantine (rows, rules, fields, messages, raw records), the
ledger lines (without their load time) and the import's result (flags, quarantine rules, verdict agreement).
``compare`` then checks the two dumps row for row, value for value, and names the first differences.

Inputs (``inputs``): the synthetic 案卷 export of ``--rows`` cases (UTF-8, as the bench reads it), a 案卷 export
with every kind of bad row the import knows (built here from a small synthetic one), both with the shipped
cn_anjuan mapping, and the six shared US exports with their mappings.

    python bench/cases/compare_legacy.py inputs --out /tmp/cmp/in --rows 100000
    python bench/cases/compare_legacy.py dump --code /work/main --inputs /tmp/cmp/in --out /tmp/cmp/old
    python bench/cases/compare_legacy.py dump --code . --inputs /tmp/cmp/in --out /tmp/cmp/new
    python bench/cases/compare_legacy.py compare /tmp/cmp/old /tmp/cmp/new

``--code`` is the root of the checkout whose code runs (its transforms/, warehouse/, standards/ and mappings): a
dump runs in a child process with that root first on sys.path, so two versions never share a module.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve()
US_EXPORTS = HERE.parents[3] / "shared" / "data" / "legacy_exports"
US_MAPPINGS = {
    "la_myla311_2017_subset.csv": "la_myla311_2017.yaml", "la_myla311_2020_subset.csv": "la_myla311_2020.yaml",
    "sf_311_sample_10k.csv": "sf_311.yaml", "nyc_311_2019-12-31_sample_1000.csv": "nyc_311_2019.yaml",
    "nyc_311_2022-05-01_sample_924.csv": "nyc_311_2022.yaml", "nyc_311_2018_dohmh_155.csv": "nyc_311_2018_dohmh.yaml",
}
TABLES = {
    "case": 'SELECT * FROM core."case" ORDER BY case_id',
    "case_event": "SELECT * FROM core.case_event ORDER BY case_id, seq",
    "quarantine": "SELECT * EXCLUDE (raw_record), CAST(raw_record AS VARCHAR) AS raw_record"
                  " FROM quarantine.rejected_row ORDER BY row_number, field, rule, message",
    "ledger": "SELECT * EXCLUDE (loaded_at, detail), CAST(detail AS VARCHAR) AS detail FROM landing.load"
              " ORDER BY batch_id, target",
}


def defects_frame() -> pd.DataFrame:
    """A small synthetic 案卷 export with one row of every defect the import quarantines or flags."""
    from synth.legacy_export import ExportSpec, legacy_export_frame

    raw = legacy_export_frame(ExportSpec("2026-03", cases=3000, seed=5))
    first_id = raw.at[0, "案卷号"]

    def put(row: int, **values: str) -> None:
        for column, value in values.items():
            raw.at[row, column] = value

    put(1, 案卷号="")                                          # no id → quarantined
    put(2, 案卷号=first_id)                                     # duplicate id → quarantined
    put(3, 上报时间="昨天下午")                                  # unreadable report time → quarantined
    put(4, 上报时间="")                                          # no report time → quarantined
    put(5, 结案时间="2026-13-45 25:00:00", 案卷状态="已结案")      # bad_closed_at
    put(6, 处置时限="尽快")                                      # bad_due_at
    put(7, 坐标="0,0")
    put(8, 坐标="")
    put(9, 坐标="abc,def")
    put(10, 坐标="200.0,95.0")
    put(11, 案卷状态="神秘状态")                                  # unknown_status
    put(12, 小类="未知小类")                                     # unknown_category
    put(13, 上报时间="2026-03-20 10:00:00", 结案时间="2026-03-19 10:00:00", 案卷状态="已结案")
    put(14, 案卷状态="处置中", 结案时间="2026-03-21 10:00:00")    # close time on an open case
    put(15, 案卷状态="已结案", 结案时间="")                       # closed without a close time
    put(16, 坐标="113.500000,40.100000", 所属网格="")              # no grid match
    put(17, 问题描述="市民张三反映，联系电话13912345678，身份证110101199003071234")
    put(18, 上报时间="2026-03-05T10:00:00+08:00")                 # an offset
    put(19, 所属网格="999999999999999")
    put(20, 小类="暴露垃圾", 地址="开发路1号", 上报时间="2026-03-10 09:00:00")
    put(21, 小类="暴露垃圾", 地址="开发路1号", 上报时间="2026-03-10 10:00:00")  # possible duplicate
    put(22, 立案时间="不详")                                      # bad_registered_at
    put(23, 处置部门="街道办事处")                                 # a department the mapping does not know
    put(24, 问题来源="微信小程序")                                  # a source the mapping does not know
    # handbook deadlines from starts outside working hours, on weekends, holidays and 调休 working days
    for row, start in zip(range(30, 42), ("2026-02-14 23:30:00", "2026-02-15 07:00:00", "2026-02-16 12:30:00",
                                          "2026-02-28 09:00:00", "2026-03-07 18:00:00", "2026-03-08 03:00:00",
                                          "2026-04-04 10:00:00", "2026-04-30 17:59:59", "2026-05-01 08:00:00",
                                          "2026-09-27 13:59:00", "2026-12-31 17:00:00", "2027-01-01 10:00:00"),
                          strict=True):
        put(row, 小类="路灯", 案卷状态="处置中", 上报时间=start, 立案时间=start, 派遣时间=start, 处置时间="",
            结案时间="", 处置时限="")
    put(42, 小类="道路破损", 案卷状态="已结案", 上报时间="2026-09-30 16:00:00", 立案时间="", 派遣时间="",
        处置时间="2026-10-09 10:00:00", 结案时间="2026-10-09 12:00:00", 处置时限="")
    put(43, 案卷状态="待核查", 处置时间="", 结案时间="")             # handled at closed: no closed time
    put(44, 案卷状态="已作废", 结案时间="")                         # void without a time
    put(45, 案卷状态="不予立案")
    put(46, 是否按期="也许")                                        # a verdict the mapping does not know
    return raw


def write_inputs(out: Path, rows: int) -> None:
    sys.path.insert(0, str(HERE.parents[2]))
    from bench.cases.bench_legacy_csv import make_input

    out.mkdir(parents=True, exist_ok=True)
    made = make_input(out, rows, 100_000)
    made.rename(out / "cn_synthetic.csv")
    defects_frame().to_csv(out / "cn_defects.csv", index=False, encoding="utf-8")
    print(f"inputs in {out}")


DUMP = r"""
import json, shutil, sys
from datetime import date
from pathlib import Path
code, inputs, out, us = Path(sys.argv[1]).resolve(), Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
sys.path.insert(0, str(code))
us_mappings = json.loads(sys.argv[5])
import pandas as pd
from synth.legacy_export import DEFAULT_GRIDS, grid_polygon_wkt
from szcg.settings import Settings
from transforms.cases.legacy_import import import_legacy
from transforms.cases.mapping import load_mapping
from warehouse.store import Warehouse
import transforms.cases.legacy_import as module
assert Path(module.__file__).resolve().is_relative_to(code), module.__file__
runs = [(inputs / "cn_synthetic.csv", "cn_anjuan.yaml", "utf-8", "2026-04-03 09:00:00"),
        (inputs / "cn_defects.csv", "cn_anjuan.yaml", "utf-8", "2026-04-03 09:00:00")]
runs += [(us / name, mapping, None, None) for name, mapping in us_mappings.items()]
for path, mapping_file, encoding, as_of in runs:
    if not path.is_file():
        print(f"skipped (missing): {path}")
        continue
    data = out / path.stem / "var"
    shutil.rmtree(data.parent, ignore_errors=True)
    settings = Settings(data_dir=data).with_data_dir(data)
    wh = Warehouse(settings)
    with wh.writer() as con:
        for grid, centre in DEFAULT_GRIDS.items():
            con.execute("INSERT INTO core.grid VALUES (?, ?, ?, ?, NULL, ?, ?, NULL, 'synthetic-grids')",
                        [grid, grid[:12], grid[:9], grid[:6], grid_polygon_wkt(centre), date(2026, 1, 1)])
    mapping = load_mapping(code / "transforms" / "mappings" / mapping_file)
    if encoding:
        mapping = mapping.model_copy(update={"encoding": encoding})
    result = import_legacy(wh, path, mapping, as_of=pd.Timestamp(as_of) if as_of else None)
    (out / path.stem / "result.json").write_text(json.dumps(result.to_dict(), ensure_ascii=False, sort_keys=True,
                                                            indent=1, default=str), encoding="utf-8")
    tables = json.loads(sys.argv[6])
    with wh.writer() as con:
        for name, sql in tables.items():
            con.execute(sql).df().to_pickle(out / path.stem / f"{name}.pkl")
    shutil.rmtree(data)
    print(f"{path.name}: {result.rows_loaded} cases, {result.rows_quarantined} quarantined,"
          f" {result.events_loaded} events")
"""


def dump(code: Path, inputs: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-c", DUMP, str(code), str(inputs), str(out), str(US_EXPORTS),
                    json.dumps(US_MAPPINGS), json.dumps(TABLES)], check=True)


def compare(old: Path, new: Path) -> int:
    differences = 0
    for run in sorted(p.name for p in old.iterdir() if p.is_dir()):
        a, b = old / run, new / run
        if not b.is_dir():
            print(f"{run}: missing in {new}")
            differences += 1
            continue
        left = json.loads((a / "result.json").read_text(encoding="utf-8"))
        right = json.loads((b / "result.json").read_text(encoding="utf-8"))
        if left != right:
            differences += 1
            print(f"{run}: result differs: " + ", ".join(k for k in left if left.get(k) != right.get(k)))
        for table in TABLES:
            x, y = pd.read_pickle(a / f"{table}.pkl"), pd.read_pickle(b / f"{table}.pkl")
            try:
                pd.testing.assert_frame_equal(x, y, check_exact=True)
            except AssertionError as exc:
                differences += 1
                print(f"{run}: {table} differs ({len(x)} vs {len(y)} rows): {str(exc)[:1500]}")
                continue
            print(f"{run}: {table} identical ({len(x)} rows)")
    print("IDENTICAL" if not differences else f"{differences} DIFFERENCES")
    return 1 if differences else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inputs")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--rows", type=int, default=100_000)
    p = sub.add_parser("dump")
    p.add_argument("--code", type=Path, required=True)
    p.add_argument("--inputs", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("compare")
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    args = parser.parse_args()
    if args.command == "inputs":
        write_inputs(args.out, args.rows)
    elif args.command == "dump":
        dump(args.code, args.inputs, args.out)
    else:
        sys.exit(compare(args.old, args.new))


if __name__ == "__main__":
    main()
