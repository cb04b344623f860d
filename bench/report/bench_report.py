"""Render time of the monthly report at the demo's size (synthetic city, scale 1, 13 evaluated months).

    python bench/report/bench_report.py --work /tmp/report-bench [--scale 1] [--rounds 3]

Builds (or, with an existing --work, reuses) a warehouse the way the demo does, then renders the latest month's PDF
``--rounds`` times; the same-run baseline is Chromium printing a one-line page (browser start + print floor).
Results go to ``<work>/results.json``, not into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def _cpu() -> float:
    """CPU seconds of this process and its finished children (Chromium): comparable on a shared machine."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    data_dir = args.work / "var"
    os.environ["SZCG_DATA_DIR"] = str(data_dir)
    from szcg.settings import load_settings
    from tests.transforms.report.synth_city import build_evaluated_city, months_of
    from transforms.evaluation.period import parse_period
    from transforms.report.build import build_report, print_pdf
    from transforms.report.fonts import use_cjk

    settings = load_settings()
    city = args.work / "city"
    started = time.perf_counter()
    months = months_of(city) if (city / "synth.json").is_file() else build_evaluated_city(settings, city,
                                                                                         scale=args.scale)
    built = time.perf_counter() - started
    from matplotlib import font_manager

    family = use_cjk()
    font = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    floor = []
    for _ in range(args.rounds):
        t = time.perf_counter()
        print_pdf("<p>基线</p>", args.work / "floor.pdf", title="基线", font_file=font, font_family=family)
        floor.append(round(time.perf_counter() - t, 2))
    runs = []
    for _ in range(args.rounds):
        t, cpu = time.perf_counter(), _cpu()
        result = build_report(settings, parse_period(months[-1]), args.work / "report.pdf")
        runs.append({"seconds": round(time.perf_counter() - t, 2), "cpu_seconds": round(_cpu() - cpu, 2),
                     **result["timings"], "pages": result["pages"]})
    from warehouse.store import Warehouse

    with Warehouse(settings).reader() as con:
        cases = con.execute('SELECT count(*) FROM core."case"').fetchone()[0]  # type: ignore[index]
    out = {"month": months[-1], "months": len(months), "cases": cases, "build_seconds": round(built, 1),
           "chromium_floor": floor, "runs": runs, "load_average": os.getloadavg()}
    (args.work / "results.json").write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
