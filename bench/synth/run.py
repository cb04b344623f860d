"""Measure the synthetic-city generator at a few scales: python bench/synth/run.py [--scales 1 10 50] [--months 3].

Peak RSS is the process's peak so far: run one scale per process for a clean figure.
Prints one JSON line per run (seconds, counts, rates, output size) — the figures in bench/synth/README.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

from synth.city import Options, generate_city


def _supervisors(out: Path) -> int:
    with (out / "org" / "people.csv").open(encoding="utf-8") as fh:
        return sum(1 for line in fh if ",supervisor," in line)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", type=float, nargs="+", default=[1, 10, 50])
    ap.add_argument("--months", type=int, default=3)
    ap.add_argument("--keep", type=Path, default=None, help="keep outputs under this folder")
    args = ap.parse_args()
    for scale in args.scales:
        base = Path(tempfile.mkdtemp(prefix="synth-bench-")) if args.keep is None else args.keep
        out = base / f"scale-{scale:g}"
        t0 = time.perf_counter()
        summary = generate_city(Options(out, scale, args.months, seed=1))
        secs = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        c = summary["counts"]
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB; peak so far
        print(json.dumps({"scale": scale, "months": args.months, "seconds": round(secs, 1),
                          "built_up_km2": summary["built_up_km2"], "grids": c["grids"],
                          "streets": c["streets"], "communities": c["communities"],
                          "supervisors": _supervisors(out), "components": c["components"], "cases": c["cases"],
                          "case_events": c["case_events"],
                          "hotline_calls": c["hotline_calls"], "cases_per_s": round(c["cases"] / secs),
                          "cases_per_grid_per_month": summary["cases_per_grid_per_month"],
                          "output_mb": round(size / 1e6, 1), "peak_rss_mb": round(rss_mb)}), flush=True)
        if args.keep is None:
            shutil.rmtree(base)


if __name__ == "__main__":
    main()
