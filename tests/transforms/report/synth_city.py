"""A warehouse with thirteen evaluated, published months, built from the synthetic city the way the demo builds it:
reference data, grids, the cases' Parquet export, the hotline logs, then `szcg evaluate compute/publish` per month.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from szcg.cli import main
from szcg.settings import Settings


def months_of(city: Path) -> list[str]:
    """The city's complete calendar months (its first month may start a few days late: still evaluated)."""
    meta = json.loads((city / "synth.json").read_text(encoding="utf-8"))
    first, last = (date.fromisoformat(d) for d in meta["period"])
    out: list[str] = []
    y, m = first.year, first.month
    while (y, m) < (last.year, last.month):
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def build_evaluated_city(settings: Settings, out: Path, *, scale: float = 0.2, months: int = 13,
                         seed: int = 7) -> list[str]:
    """Generate the city into ``out``, load it into the warehouse of ``settings`` and publish every month's
    scorecard; returns the evaluated months, oldest first."""
    from szcg.demo import load_grids, load_reference
    from transforms.cases.parquet_import import import_parquet
    from transforms.evaluation import store
    from transforms.evaluation.cli import _context
    from transforms.evaluation.period import parse_period
    from transforms.hotline.ingest import ingest_hotline
    from warehouse.store import Warehouse

    assert main(["synth", "city", "--out", str(out), "--seed", str(seed), "--scale", str(scale),
                 "--months", str(months), "--quiet"]) == 0
    load_reference(settings)
    load_grids(settings, out)
    wh = Warehouse(settings)
    import_parquet(wh, out / "cases", edition="gbt47678.5-2026")
    for log in sorted((out / "hotline" / "utf8").glob("*.csv")):
        ingest_hotline(wh, log, settings)
    evaluated = months_of(out)
    # as `szcg evaluate compute` then `publish` for each month, with one warehouse snapshot at the end
    scheme, calendar, handbook = _context(settings)
    with wh.writer() as con:
        for month in evaluated:
            store.compute_draft(con, parse_period(month), scheme, calendar, actor="test", handbook=handbook)
            store.publish(con, parse_period(month), actor="test")
    wh.publish(reason="synthetic city, evaluated")
    return evaluated
