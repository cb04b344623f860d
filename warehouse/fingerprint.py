"""Content fingerprints of tables: how tests and ``szcg warehouse status`` prove a re-run changed nothing."""

from __future__ import annotations

import hashlib

import duckdb

SYSTEM_SCHEMAS = ("information_schema", "pg_catalog")


def list_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables"
        " WHERE table_catalog = current_database() AND table_type = 'BASE TABLE'"
        " AND table_schema NOT IN ('information_schema', 'pg_catalog') ORDER BY 1"
    ).fetchall()
    return [str(r[0]) for r in rows]


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
