"""A new work database is created in the configured DuckDB storage format; an existing one keeps its own."""

from __future__ import annotations

import struct
from dataclasses import replace
from pathlib import Path

from szcg.settings import Settings
from warehouse.store import Warehouse


def _storage_number(db: Path) -> int:
    """The storage version in the file's main header (after an 8-byte checksum and the magic b"DUCK"): what a
    later reader sees whatever configuration opened it (an open connection reports its config, not the file)."""
    head = db.read_bytes()[:20]
    assert head[8:12] == b"DUCK", f"{db} is not a DuckDB database"
    return int(struct.unpack("<Q", head[12:20])[0])


def test_a_new_work_database_uses_the_newest_storage_format_by_default(settings: Settings, tmp_path: Path) -> None:
    old = replace(settings, warehouse_storage_version="v0.10.2").with_data_dir(tmp_path / "old")
    for s in (settings, old):
        with Warehouse(s).writer():
            pass
    assert settings.warehouse_storage_version == "latest"
    assert _storage_number(settings.work_db_path) > _storage_number(old.work_db_path)


def test_an_existing_work_database_keeps_the_format_it_was_created_with(settings: Settings) -> None:
    old = replace(settings, warehouse_storage_version="v0.10.2")
    with Warehouse(old).writer():
        pass
    created = _storage_number(settings.work_db_path)
    with Warehouse(settings).writer() as con:  # these settings ask for "latest"
        con.execute("CREATE TABLE marts.storage_probe AS SELECT 1 AS n")
    assert _storage_number(settings.work_db_path) == created
