"""``szcg grids load`` and ``szcg census ingest|inventory`` (heavy imports stay inside the handlers)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from szcg.cliutil import Outcome, add_command, add_group
from szcg.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    grids = add_group(subparsers, "grids", help="单元网格: load unit grids and their communities")
    p = add_command(grids, "load", grids_load, help="load unit grids (GeoPackage/GeoJSON/zipped SHP) into core.grid")
    p.add_argument("path", type=Path)
    p.add_argument("--valid-from", type=dt.date.fromisoformat, default=None,
                   help="date the grids take effect (default: today)")
    p.add_argument("--no-publish", action="store_true", help="load into the work database without publishing")

    census = add_group(subparsers, "census", help="部件普查: ingest census batches, query the component inventory")
    p = add_command(census, "ingest", census_ingest, help="validate and load census batches (one batch per file)")
    p.add_argument("paths", type=Path, nargs="+", metavar="PATH")
    p.add_argument("--district", required=True, help="6-digit code of the district the batch covers")
    p.add_argument("--mapping", type=Path, default=None, help="column mapping YAML (default: best preset)")
    p.add_argument("--convert-gcj02", action="store_true", help="convert GCJ-02 (web map) coordinates if detected")
    p.add_argument("--report-dir", type=Path, default=None, help="write HTML/XLSX/PNG batch reports here")
    p.add_argument("--no-publish", action="store_true", help="load into the work database without publishing")
    p = add_command(census, "inventory", census_inventory, help="the components the city had on a date")
    p.add_argument("--on", type=dt.date.fromisoformat, default=None, help="date YYYY-MM-DD (default: today)")
    p.add_argument("--district", default=None)
    p.add_argument("--out", type=Path, default=None, help="write the inventory as CSV (UTF-8 with BOM)")


def grids_load(args: argparse.Namespace, settings: Settings) -> Outcome:
    from usecases.grids import load_grid_map

    result = load_grid_map(settings, args.path, args.valid_from, publish=not args.no_publish)
    lines = [f"{result.file} ({result.batch_id}): {result.rows_in} grids in, {result.rows_loaded} loaded "
             f"({result.new} new, {result.changed} changed, {result.unchanged} unchanged), "
             f"{result.rows_quarantined} quarantined; {result.communities_added} communities added"]
    if result.already_loaded:
        lines.append("this file was loaded before (same content)")
    if result.published:
        lines.append(f"published snapshot {result.published}")
    lines += result.problems
    lines += [f"gap inside the grids of {g['district_code']}: {g['area_m2']} m² near ({g['x']}, {g['y']})"
              for g in result.gaps[:20]]
    return Outcome(result.to_dict(), "\n".join(lines), 1 if result.failed else 0)


def census_ingest(args: argparse.Namespace, settings: Settings) -> Outcome:
    from usecases.census import check_output_path, ingest_batches

    check_output_path(args.report_dir, "--report-dir", directory=True)
    run = ingest_batches(settings, args.paths, args.district, args.mapping, convert_gcj02=args.convert_gcj02,
                         report=args.report_dir is not None, report_dir=args.report_dir,
                         publish=not args.no_publish, progress=not args.json)
    batches, lines = [], []
    for result in run.batches:
        summary = {k: v for k, v in result.to_dict().items()
                   if k not in ("problems", "notes", "report", "published", "timings")}
        if result.report is not None:
            summary["report"] = result.report
        batches.append(summary)
        lines.append(f"{result.file} ({result.batch_id}): {result.rows_in} rows in, {result.rows_loaded} "
                     f"loaded ({result.new} new, {result.changed} changed, {result.unchanged} unchanged), "
                     f"{result.rows_quarantined} quarantined; {result.missing} known components not in batch")
        if result.already_loaded:
            lines.append("  loaded before (same content)")
        if result.rejected:
            lines.append(f"  rejected: {result.rejected}")
        lines += [f"  {n}" for n in result.notes]
        lines += [f"  {p}" for p in result.problems[:30]]
        quarantined_problems = sum(result.problems_by_rule.values())
        if quarantined_problems > 30:
            lines.append(f"  … {quarantined_problems - 30} more problems (see the report / quarantine)")
        if result.report is not None:
            lines.append(f"  report: {result.report['html']}")
    if run.published:
        lines.append(f"published snapshot {run.published}")
    return Outcome({"batches": batches, "published": run.published}, "\n".join(lines), 1 if run.rejected else 0)


def census_inventory(args: argparse.Namespace, settings: Settings) -> Outcome:
    from census_loaders.inventory import inventory_on
    from usecases.census import check_output_path
    from warehouse.store import Warehouse

    check_output_path(args.out, "--out", directory=False)
    on = args.on or dt.date.today()
    with Warehouse(settings).reader() as con:
        frame = inventory_on(con, on, args.district)
    if args.out is not None:
        frame.to_csv(args.out, index=False, encoding="utf-8-sig")
    by_state = frame.groupby("state").size().to_dict() if len(frame) else {}
    by_subclass = frame.groupby("subclass_code").size().to_dict() if len(frame) else {}
    summary = {"on": on.isoformat(), "district": args.district, "components": len(frame),
               "by_state": by_state, "subclasses": len(by_subclass), "out": str(args.out) if args.out else None}
    text = f"{on}: {len(frame)} components" + (f" in {args.district}" if args.district else "") + "; " + ", ".join(
        f"{k} {v}" for k, v in sorted(by_state.items()))
    return Outcome(summary, text)
