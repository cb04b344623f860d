"""The publish model: readers only ever open a published, read-only snapshot.

A publish copies the work database into a new snapshot directory, audits the copy, exports the marts as Parquet,
and only then switches the ``current`` symlink to it with one atomic rename. A publish that dies at any point
leaves ``current`` on the previous, complete snapshot; a reader that opened a snapshot keeps reading it (its file
is never modified, and on POSIX an unlinked file stays readable while open). The last N snapshots are kept.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from szcg import clock
from szcg.errors import SzcgError
from szcg.sqltext import identifier, string_literal
from warehouse.audits import Audit, registered_audits
from warehouse.fingerprint import database_fingerprint
from warehouse.migrate import schema_version

SNAPSHOT_DB = "warehouse.duckdb"
SNAPSHOT_META = "snapshot.json"
BUILDING_PREFIX = ".building-"
PARQUET_SCHEMAS = ("marts",)


class AuditFailed(SzcgError):
    """The candidate snapshot failed an audit; readers stay on the previous snapshot."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        self.problems = problems
        lines = [f"{name}: {p}" for name, items in problems.items() for p in items]
        super().__init__("snapshot not published, audits failed:\n  " + "\n  ".join(lines))

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "problems": self.problems}


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    sequence: int
    path: Path
    created_at: str
    reason: str
    schema_version: int
    tables: dict[str, dict[str, Any]]
    current: bool = False

    @property
    def db_path(self) -> Path:
        return self.path / SNAPSHOT_DB

    def to_dict(self) -> dict[str, Any]:
        return {
            "snapshot_id": self.snapshot_id,
            "sequence": self.sequence,
            "path": str(self.path),
            "created_at": self.created_at,
            "reason": self.reason,
            "schema_version": self.schema_version,
            "tables": len(self.tables),
            "rows": sum(int(t["rows"]) for t in self.tables.values()),
            "current": self.current,
        }


def _read_snapshot(path: Path, current_target: Path | None) -> Snapshot | None:
    meta_path = path / SNAPSHOT_META
    if not meta_path.is_file():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    return Snapshot(
        snapshot_id=meta["snapshot_id"],
        sequence=int(meta["sequence"]),
        path=path,
        created_at=meta["created_at"],
        reason=meta.get("reason", ""),
        schema_version=int(meta["schema_version"]),
        tables=meta["tables"],
        current=current_target is not None and path.resolve() == current_target,
    )


def current_target(current_link: Path) -> Path | None:
    return current_link.resolve() if current_link.is_symlink() and current_link.exists() else None


def list_snapshots(snapshots_dir: Path, current_link: Path) -> list[Snapshot]:
    target = current_target(current_link)
    found = []
    if snapshots_dir.is_dir():
        for child in snapshots_dir.iterdir():
            if child.is_dir() and not child.name.startswith("."):
                snap = _read_snapshot(child, target)
                if snap is not None:
                    found.append(snap)
    return sorted(found, key=lambda s: s.sequence)


def _switch_current(current_link: Path, snapshot_path: Path) -> None:
    """Point ``current`` at the new snapshot with one atomic rename of a fresh symlink."""
    temp_link = current_link.with_name(f".{current_link.name}.{os.getpid()}")
    if temp_link.is_symlink() or temp_link.exists():
        temp_link.unlink()
    os.symlink(os.path.relpath(snapshot_path, current_link.parent), temp_link)
    os.replace(temp_link, current_link)


def _export_parquet(con: duckdb.DuckDBPyConnection, out_dir: Path) -> list[str]:
    tables = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        " AND list_contains(?, table_schema) ORDER BY 1, 2", [list(PARQUET_SCHEMAS)]
    ).fetchall()
    written = []
    for schema, table in tables:
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / f"{schema}.{table}.parquet"
        con.execute(f"COPY {identifier(schema)}.{identifier(table)} TO {string_literal(target)}"
                    " (FORMAT parquet, COMPRESSION zstd)")
        written.append(target.name)
    return written


def build_and_publish(
    work_db: Path,
    snapshots_dir: Path,
    current_link: Path,
    *,
    reason: str,
    keep: int,
    audits: Iterable[tuple[str, Audit]] | None = None,
    before_switch: Callable[[Path], None] | None = None,
) -> Snapshot:
    """Copy, audit and publish the work database. The caller holds the writer lock and no open connection."""
    snapshots_dir.mkdir(parents=True, exist_ok=True)
    for leftover in snapshots_dir.glob(f"{BUILDING_PREFIX}*"):  # from a publish that died
        shutil.rmtree(leftover, ignore_errors=True)
    existing = list_snapshots(snapshots_dir, current_link)
    sequence = (existing[-1].sequence + 1) if existing else 1
    created = clock.now().replace(microsecond=0)
    snapshot_id = f"{sequence:06d}-{created:%Y%m%dT%H%M%S}"
    building = snapshots_dir / f"{BUILDING_PREFIX}{snapshot_id}"
    building.mkdir()
    try:
        shutil.copyfile(work_db, building / SNAPSHOT_DB)
        con = duckdb.connect(str(building / SNAPSHOT_DB), read_only=True)
        try:
            chosen = list(audits) if audits is not None else list(registered_audits().items())
            problems = {name: found for name, audit in chosen if (found := audit(con))}
            if problems:
                raise AuditFailed(problems)
            fingerprints = database_fingerprint(con)
            version = schema_version(con)
            parquet = _export_parquet(con, building / "parquet")
        finally:
            con.close()
        meta = {
            "snapshot_id": snapshot_id,
            "sequence": sequence,
            "created_at": created.isoformat(),
            "reason": reason,
            "schema_version": version,
            "parquet": parquet,
            "tables": {t: {"rows": n, "fingerprint": fp} for t, (n, fp) in fingerprints.items()},
        }
        (building / SNAPSHOT_META).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
        (building / SNAPSHOT_DB).chmod(0o444)
        final = snapshots_dir / snapshot_id
        os.rename(building, final)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    if before_switch is not None:
        before_switch(final)
    _switch_current(current_link, final)
    prune(snapshots_dir, current_link, keep)
    snap = _read_snapshot(final, current_target(current_link))
    assert snap is not None
    return snap


def prune(snapshots_dir: Path, current_link: Path, keep: int) -> list[str]:
    """Delete the oldest snapshots beyond ``keep``; never the current one."""
    snaps = list_snapshots(snapshots_dir, current_link)
    removed = []
    for snap in snaps[: max(0, len(snaps) - keep)]:
        if not snap.current:
            shutil.rmtree(snap.path)
            removed.append(snap.snapshot_id)
    return removed
