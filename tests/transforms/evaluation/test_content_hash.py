"""A scorecard version's content hash: the documented digest, computed without holding all its rows as one string.

A month of a 10 M-case year has tens of millions of lineage rows; hashing them as one string ran DuckDB out of
memory (bench/city10m.py, 2026-12-07). Here a version with many rows is hashed under a memory limit far below
the size of that string.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from transforms.evaluation import store
from warehouse.migrate import migrate

ROWS = 400_000  # ≈ 60 MB of row text: more than the memory limit below


def _fill(path: Path) -> None:
    con = duckdb.connect(str(path))
    migrate(con)
    con.execute(f"""INSERT INTO marts.indicator_value
                    SELECT '2026-10', 0, 'region', 'grid', 'G' || lpad(CAST(i AS VARCHAR), 9, '0'), 'registered',
                           '立案数', i, NULL, i, NULL, NULL FROM range({ROWS}) t(i)""")
    con.execute("""INSERT INTO marts.score (period, version, object, level, entity_code, entity_name, sample_size,
                       ranked, total_score, grade, colour, rank, tie_break, mom_score, yoy_score, scheme_version)
                   VALUES ('2026-10', 0, 'region', 'district', '140602', '朔城区', 12, true, 91.5, 'A', 'green', 1,
                           NULL, NULL, NULL, 'v1')""")
    con.close()


def _expected(con: duckdb.DuckDBPyConnection) -> str:
    """The documented digest, from the rows fetched whole: table name, newline, sorted rows joined by newlines;
    tables joined by newlines; a table of ``_HASHED_WHEN_PRESENT`` without rows is left out."""
    parts = []
    for table, cols in store.TABLES.items():
        packed = ", ".join(f"{c} := {c}" for c in cols)
        rows = sorted(r[0] for r in con.execute(
            f"SELECT CAST(struct_pack({packed}) AS VARCHAR) FROM marts.{table} "
            "WHERE period = '2026-10' AND version = 0").fetchall())
        if table in store._HASHED_WHEN_PRESENT and not rows:
            continue
        parts.append(f"{table}\n" + "\n".join(rows))
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def test_a_large_version_is_hashed_under_a_small_memory_limit(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    _fill(path)
    con = duckdb.connect(str(path), config={"memory_limit": "40MB", "threads": 1})
    assert store.content_hash(con, "2026-10", 0) == _expected(con)


def test_an_empty_version_hashes_its_table_names() -> None:
    con = duckdb.connect()
    migrate(con)
    names = [t for t in store.TABLES if t not in store._HASHED_WHEN_PRESENT]
    assert store.content_hash(con, "2026-10", 0) == hashlib.sha256(
        "\n".join(f"{t}\n" for t in names).encode("utf-8")).hexdigest()
