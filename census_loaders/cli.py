"""``szcg grids load`` and ``szcg census ingest|inventory`` (heavy imports stay inside the handlers)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from szcg import clock
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
    from census_loaders.cityctx import city_context
    from census_loaders.config import load_census_config
    from census_loaders.grids import load_grids
    from warehouse.store import Warehouse

    wh = Warehouse(settings)
    config, ctx = load_census_config(settings), city_context(settings)
    with wh.writer(spatial=True) as con:
        result = load_grids(con, wh, args.path, config, ctx, args.valid_from or clock.today())
        unpublished = not args.no_publish and bool(wh.unpublished_tables(con))
    published = None
    if unpublished:  # this run's load, or one a killed run left unpublished
        published = wh.publish(reason=f"grids {result.batch_id}").snapshot_id
    summary = {"batch_id": result.batch_id, "file": result.file_name, "rows_in": result.rows_in,
               "rows_loaded": result.rows_loaded, "rows_quarantined": result.rows_quarantined, "new": result.new,
               "changed": result.changed, "unchanged": result.unchanged, "communities_added": result.communities_added,
               "gaps": result.gaps, "already_loaded": result.already_loaded,
               "rejected": result.rejected_message or None, "published": str(published) if published else None}
    lines = [f"{result.file_name} ({result.batch_id}): {result.rows_in} grids in, {result.rows_loaded} loaded "
             f"({result.new} new, {result.changed} changed, {result.unchanged} unchanged), "
             f"{result.rows_quarantined} quarantined; {result.communities_added} communities added"]
    if result.already_loaded:
        lines.append("this file was loaded before (same content)")
    if published:
        lines.append(f"published snapshot {published}")
    lines += [str(p) for p in result.problems[:50]]
    lines += [f"gap inside the grids of {g['district_code']}: {g['area_m2']} m² near ({g['x']}, {g['y']})"
              for g in result.gaps[:20]]
    failed = bool(result.rejected_message) or (result.rows_loaded == 0 and not result.already_loaded)
    return Outcome(summary, "\n".join(lines), 1 if failed else 0)


def _output_path(path: Path | None, option: str, *, directory: bool) -> None:
    """Refuse an output path of the wrong kind by name before any work is done (not a traceback at the end)."""
    from szcg.errors import InputRejected, RowProblem

    if path is None:
        return
    wrong = path.exists() and (path.is_dir() != directory)
    if wrong or (not directory and not path.parent.is_dir()):
        what = ("is a file, expected a directory" if directory else
                "is a directory, expected a file" if wrong else "is in a directory that does not exist")
        raise InputRejected(f"{option} {path}: {what}", [RowProblem(str(path), 0, option, "path.kind", what)])


def census_ingest(args: argparse.Namespace, settings: Settings) -> Outcome:
    from census_loaders.cityctx import city_context
    from census_loaders.config import load_census_config
    from census_loaders.ingest import IngestOptions, ingest_file
    from census_loaders.report import batch_grids, write_report
    from warehouse.store import Warehouse

    _output_path(args.report_dir, "--report-dir", directory=True)
    wh = Warehouse(settings)
    config, ctx = load_census_config(settings), city_context(settings)
    options = IngestOptions(args.district, args.mapping, args.convert_gcj02, progress=not args.json)
    batches, lines = [], []
    with wh.writer(spatial=True) as con:
        for path in args.paths:
            result = ingest_file(con, wh, path, options, ctx, config)
            summary = result.summary()
            if args.report_dir is not None and not result.already_loaded:
                summary["report"] = write_report(result, batch_grids(con, result), args.report_dir)
            batches.append(summary)
            lines.append(f"{result.file_name} ({result.batch_id}): {result.rows_in} rows in, {result.rows_loaded} "
                         f"loaded ({result.new} new, {result.changed} changed, {result.unchanged} unchanged), "
                         f"{result.rows_quarantined} quarantined; {result.missing} known components not in batch")
            if result.already_loaded:
                lines.append("  loaded before (same content)")
            if result.rejected_message:
                lines.append(f"  rejected: {result.rejected_message}")
            lines += [f"  {n}" for n in result.notes]
            lines += [f"  {p}" for p in result.problems[:30]]
            if len(result.problems) > 30:
                lines.append(f"  … {len(result.problems) - 30} more problems (see the report / quarantine)")
            if "report" in summary:
                lines.append(f"  report: {summary['report']['html']}")
        # Publish whatever the work database holds that readers do not (rows, quarantine, ledger): this run's
        # loads, or a load a killed run committed but never published; nothing when nothing changed.
        unpublished = not args.no_publish and bool(wh.unpublished_tables(con))
    published = None
    if unpublished:
        published = wh.publish(reason="census " + ", ".join(b["batch_id"] for b in batches))
        lines.append(f"published snapshot {published.snapshot_id}")
    rejected = any(b["rejected"] for b in batches)
    return Outcome({"batches": batches, "published": getattr(published, "snapshot_id", None)}, "\n".join(lines),
                   1 if rejected else 0)


def census_inventory(args: argparse.Namespace, settings: Settings) -> Outcome:
    from census_loaders.inventory import inventory_on
    from warehouse.store import Warehouse

    _output_path(args.out, "--out", directory=False)
    on = args.on or clock.today()
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
