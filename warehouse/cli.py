"""``szcg warehouse …``: set up, land, publish and inspect the warehouse."""

from __future__ import annotations

import argparse
from pathlib import Path

from szcg.cliutil import Outcome, add_command, add_group
from szcg.errors import InputRejected, RowProblem
from szcg.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = add_group(subparsers, "warehouse", help="the DuckDB + Parquet warehouse and its published snapshots")
    add_command(group, "init", _init, help="create or migrate the work database")
    add_command(group, "status", _status, help="list published snapshots (the current one marked) and loads")
    publish = add_command(group, "publish", _publish, help="audit the work database and publish it to readers")
    publish.add_argument("--reason", default="manual publish", help="recorded with the snapshot")
    land = add_command(group, "land", _land, help="keep an input file byte-for-byte in landing; prints its batch id")
    land.add_argument("path", type=Path)
    land.add_argument("--kind", required=True, help="census, grids, hotline, legacy_cases, …")
    reference = add_command(
        group,
        "load-reference",
        _load_reference,
        help="load the city's catalogues, area tree and departments into the core dimensions, and publish",
    )
    reference.add_argument("--no-publish", action="store_true", help="load into the work database without publishing")
    fp = add_command(group, "fingerprint", _fingerprint, help="row counts and content hashes of every table")
    fp.add_argument("--published", action="store_true", help="of the published snapshot instead of the work db")


def _init(args: argparse.Namespace, settings: Settings) -> Outcome:
    from warehouse.migrate import schema_version
    from warehouse.store import Warehouse

    with Warehouse(settings).writer() as con:
        version = schema_version(con)
    path = settings.work_db_path
    return Outcome({"work_db": str(path), "schema_version": version}, f"work database {path} at schema {version}")


def _status(args: argparse.Namespace, settings: Settings) -> Outcome:
    from warehouse.store import Warehouse

    snaps = Warehouse(settings).snapshots()
    lines = [f"warehouse: {settings.warehouse_dir}", "snapshots (oldest first):"]
    for s in snaps:
        mark = "*" if s.current else " "
        d = s.to_dict()
        lines.append(
            f" {mark} {s.snapshot_id}  schema {s.schema_version}  {d['tables']} tables  {d['rows']} rows  {s.reason}"
        )
    if not snaps:
        lines.append("   (none published yet)")
    current = next((s.snapshot_id for s in snaps if s.current), None)
    return Outcome(
        {"warehouse_dir": str(settings.warehouse_dir), "current": current, "snapshots": [s.to_dict() for s in snaps]},
        "\n".join(lines),
    )


def _publish(args: argparse.Namespace, settings: Settings) -> Outcome:
    from usecases.publish import publish

    snap = publish(settings, args.reason).snapshot
    return Outcome(
        {"published": snap.to_dict(), "outputs": [str(snap.db_path)]},
        f"published snapshot {snap.snapshot_id} → {snap.db_path}",
    )


def _land(args: argparse.Namespace, settings: Settings) -> Outcome:
    from warehouse.store import Warehouse

    path: Path = args.path
    if not path.is_file():
        raise InputRejected(f"{path}: no such file", [RowProblem(str(path), 0, "path", "file_exists", "文件不存在")])
    wh = Warehouse(settings)
    with wh.writer() as con:
        landed = wh.land(con, path, args.kind)
    verb = "already landed" if landed.already_landed else "landed"
    return Outcome(
        {
            "batch_id": landed.batch_id,
            "sha256": landed.sha256,
            "bytes": landed.size_bytes,
            "already_landed": landed.already_landed,
            "outputs": [str(landed.path)],
        },
        f"{verb}: {path} as batch {landed.batch_id}",
    )


def _load_reference(args: argparse.Namespace, settings: Settings) -> Outcome:
    from usecases.reference import load_reference_data

    outcome = load_reference_data(settings, publish=not args.no_publish)
    summary = outcome.to_dict()
    counts = ", ".join(f"{n} {t}" for t, n in summary["loaded"].items())
    published = f"; published snapshot {outcome.published}" if outcome.published else ""
    return Outcome(summary, f"{outcome.city_name} reference data loaded: {counts}{published}")


def _fingerprint(args: argparse.Namespace, settings: Settings) -> Outcome:
    from warehouse.fingerprint import database_fingerprint
    from warehouse.store import Warehouse

    wh = Warehouse(settings)
    if args.published:
        with wh.reader() as con:
            prints = database_fingerprint(con)
    else:
        with wh.writer() as con:
            prints = database_fingerprint(con)
    text = "\n".join(f"{t:50s} {n:>10d}  {fp}" for t, (n, fp) in prints.items())
    return Outcome({"tables": {t: {"rows": n, "fingerprint": fp} for t, (n, fp) in prints.items()}}, text)
