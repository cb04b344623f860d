"""Render time of the monthly report at the demo's size (synthetic city, scale 1, 13 evaluated months), and with a
10 M-case year in the warehouse.

    python bench/report/bench_report.py --work /tmp/report-bench [--scale 1] [--rounds 3]
    python bench/report/bench_report.py --work /tmp/report-bench --data-dir /tmp/szcg-city10m \
        [--baseline-dir /tmp/w10m-demo]

Builds (or, with an existing --work, reuses) a warehouse the way the demo does, then renders the latest month's PDF
``--rounds`` times; the same-run baseline is Chromium printing a one-line page (browser start + print floor).
``--data-dir`` renders from a prepared data directory instead (``bench/city10m.py``: a 10 M-case year), with the
demo-size warehouse (``--baseline-dir``, else the one under ``--work``) rendered in the same run, round by round
in turn, as the baseline. Results go to ``<work>/results.json``, not into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def _cpu() -> float:
    """CPU seconds of this process and its finished children (Chromium): comparable on a shared machine."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _settings_of(data_dir: Path) -> Any:
    """The settings of a data directory (settings are read from the environment)."""
    from szcg.settings import load_settings

    os.environ["SZCG_DATA_DIR"] = str(data_dir)
    return load_settings()


def _size(settings: Any) -> dict[str, int]:
    from warehouse.store import Warehouse

    with Warehouse(settings).reader() as con:
        return {"cases": con.execute('SELECT count(*) FROM core."case"').fetchone()[0],  # type: ignore[index]
                "events": con.execute("SELECT count(*) FROM core.case_event").fetchone()[0]}  # type: ignore[index]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--data-dir", type=Path, help="a prepared data directory (bench/city10m.py) to render from")
    ap.add_argument("--baseline-dir", type=Path, help="with --data-dir: the demo-size data directory")
    args = ap.parse_args()
    if args.data_dir and not (args.data_dir / "READY").is_file():
        raise SystemExit(f"{args.data_dir}: no READY marker; build it with bench/city10m.py")
    from tests.transforms.report.synth_city import build_evaluated_city, months_of
    from transforms.evaluation.period import parse_period
    from transforms.report.build import build_report, print_pdf
    from transforms.report.fonts import use_cjk
    from usecases.report import latest_published_month

    started = time.perf_counter()
    if args.baseline_dir:
        settings = _settings_of(args.baseline_dir)
        months = [str(latest_published_month(settings))]
    else:
        settings = _settings_of(args.work / "var")
        city = args.work / "city"
        months = months_of(city) if (city / "synth.json").is_file() else build_evaluated_city(settings, city,
                                                                                             scale=args.scale)
    built = time.perf_counter() - started
    # (label, settings, month): the demo-size warehouse, then the prepared one, rendered in turn each round
    targets = [("demo", settings, months[-1])]
    if args.data_dir:
        big = _settings_of(args.data_dir)
        targets.append(("data_dir", big, str(latest_published_month(big))))
    from matplotlib import font_manager

    family = use_cjk()
    font = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    floor = []
    for _ in range(args.rounds):
        t = time.perf_counter()
        print_pdf("<p>基线</p>", args.work / "floor.pdf", title="基线", font_file=font, font_family=family)
        floor.append(round(time.perf_counter() - t, 2))
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in targets}
    for _ in range(args.rounds):
        for label, target, month in targets:
            load = round(os.getloadavg()[0], 1)
            t, cpu = time.perf_counter(), _cpu()
            result = build_report(target, parse_period(month), args.work / f"report-{label}.pdf")
            runs[label].append({"seconds": round(time.perf_counter() - t, 2), "cpu_seconds": round(_cpu() - cpu, 2),
                                **result["timings"], "pages": result["pages"], "load_1m": load})
            print(label, month, runs[label][-1], flush=True)
    out = {"month": months[-1], "months": len(months), "cases": _size(settings)["cases"],
           "build_seconds": round(built, 1), "chromium_floor": floor, "runs": runs["demo"],
           "load_average": os.getloadavg()}
    if args.data_dir:
        out["data_dir"] = {"path": str(args.data_dir), "month": targets[1][2], **_size(targets[1][1]),
                           "runs": runs["data_dir"]}
    (args.work / "results.json").write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
