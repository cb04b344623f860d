"""Content fingerprints of tables: how tests and ``szcg warehouse status`` prove a re-run changed nothing."""

from __future__ import annotations

import hashlib

import duckdb

SYSTEM_SCHEMAS = ("information_schema", "pg_catalog")


# Views that stand for a table (migrations 0102, 0105: core.case_event over the tables that store its rows):
# fingerprinted as the view, in place of the tables behind it, so a fingerprint means the rows readers see however
# they are stored (the same rows give the same fingerprint as the table of that name did before).
TABLE_VIEWS: dict[str, tuple[str, ...]] = {
    "core.case_event": ("core.case_event_row", "core.case_event_bulk", "core.case_event_legacy",
                        "core.case_event_load"),
}


def list_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_schema || '.' || table_name, table_type = 'VIEW' FROM information_schema.tables"
        " WHERE table_catalog = current_database() AND table_type IN ('BASE TABLE', 'VIEW')"
        " AND table_schema NOT IN ('information_schema', 'pg_catalog') ORDER BY 1"
    ).fetchall()
    views = {str(name) for name, is_view in rows if is_view and name in TABLE_VIEWS}
    behind = {t for view in views for t in TABLE_VIEWS[view]}
    return sorted(str(name) for name, is_view in rows if (name in views if is_view else name not in behind))


def table_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, str]:
    """(row count, order-independent content hash) of one table."""
    row = con.execute(
        f"SELECT count(*), coalesce(sum(hash(t)), 0)::VARCHAR, coalesce(bit_xor(hash(t)), 0)::VARCHAR FROM {table} t"
    ).fetchone()
    assert row is not None
    digest = hashlib.sha256(f"{row[0]}|{row[1]}|{row[2]}".encode()).hexdigest()[:16]
    return int(row[0]), digest


def database_fingerprint(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, str]]:
    return {table: table_fingerprint(con, table) for table in list_tables(con)}
