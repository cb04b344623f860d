"""Apply the numbered SQL migrations in ``warehouse/migrations/`` to a DuckDB database, then the models.

Each file runs once, inside a transaction, and is recorded with its checksum. A file changed after it was
applied is refused: schema history is append-only, a fix is a new migration. Migrations hold tables (and their
data) only; views and macros are models (``warehouse/models/``), recreated after the migrations whenever one ran or
a model changed (:func:`warehouse.models.apply_models`). Old migrations that created views (0040–0048) are kept
byte for byte — an existing warehouse holds their checksums — and 0071 drops what they created.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import duckdb

from szcg.errors import ConfigError
from warehouse.models import apply_models, forget_models

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def available_migrations() -> list[Migration]:
    folder = resources.files("warehouse.migrations")
    found: list[Migration] = []
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _NAME.match(entry.name)
        if not match:
            raise ConfigError(f"warehouse/migrations/{entry.name}", "file name", "expected NNNN_snake_name.sql")
        found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ConfigError("warehouse/migrations", "numbering", f"duplicate migration numbers in {versions}")
    return found


def applied_versions(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute(
        "CREATE TABLE IF NOT EXISTS meta.schema_migration ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, checksum VARCHAR NOT NULL)"
    )
    rows = con.execute("SELECT version, checksum FROM meta.schema_migration").fetchall()
    return {int(v): str(c) for v, c in rows}


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Bring the schema up to date, then the models; returns the versions applied now (empty when current)."""
    applied = apply_migrations(con)
    if applied:
        forget_models(con)  # a migration may have dropped or replaced what a model stood on: recreate them all
    apply_models(con)
    return applied


def apply_migrations(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The numbered migrations only (tables); returns the versions applied now."""
    done = applied_versions(con)
    applied: list[int] = []
    for migration in available_migrations():
        if migration.version in done:
            if done[migration.version] != migration.checksum:
                raise ConfigError(
                    f"warehouse/migrations/{migration.version:04d}_{migration.name}.sql",
                    f"migration {migration.version}",
                    "changed after it was applied; add a new migration instead of editing an applied one",
                )
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO meta.schema_migration VALUES (?, ?, ?)",
                [migration.version, migration.name, migration.checksum],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    return applied


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT coalesce(max(version), 0) FROM meta.schema_migration").fetchone()
    return int(row[0]) if row else 0
