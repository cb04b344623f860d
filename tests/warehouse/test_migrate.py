"""Schema changes go through numbered migrations, applied once, never edited after the fact."""

from __future__ import annotations

import duckdb
import pytest

from szcg.errors import ConfigError
from warehouse.migrate import available_migrations, migrate, schema_version


def test_migrations_apply_once_and_record_their_version() -> None:
    con = duckdb.connect()
    assert migrate(con) == [m.version for m in available_migrations()]
    assert migrate(con) == []
    assert schema_version(con) == available_migrations()[-1].version
    schemas = {r[0] for r in con.execute("SELECT schema_name FROM information_schema.schemata").fetchall()}
    assert {"landing", "staging", "core", "marts", "quarantine", "meta"} <= schemas


def test_an_applied_migration_that_was_edited_is_refused() -> None:
    con = duckdb.connect()
    migrate(con)
    con.execute("UPDATE meta.schema_migration SET checksum = 'edited' WHERE version = 1")
    with pytest.raises(ConfigError, match="changed after it was applied"):
        migrate(con)
