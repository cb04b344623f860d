"""The load's INSERT into core.component (``ingest._insert_unordered``): every row once, the caller's settings kept."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from census_loaders.ingest import _insert_unordered

SETTINGS = "SELECT current_setting('preserve_insertion_order'), current_setting('write_buffer_row_group_count')"


def _connect(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("SET threads = 2")
    con.execute("CREATE TABLE target (id BIGINT NOT NULL, name VARCHAR, x DOUBLE)")
    # several source row groups of a temp table, one of them with deleted rows (as ``stage`` after the load's delete)
    con.execute("CREATE TEMP TABLE source AS SELECT i AS id, 'n' || (i * 7919 % 100003) AS name,"
                " CASE WHEN i % 11 = 0 THEN NULL ELSE i / 3 END AS x FROM range(400000) t(i)")
    con.execute("DELETE FROM source WHERE id IN (5, 130000, 250001, 399999)")
    return con


def test_every_row_is_inserted_once_with_its_values(tmp_path: Path) -> None:
    con = _connect(tmp_path)
    con.execute("BEGIN")
    _insert_unordered(con, "INSERT INTO target SELECT id, name, x FROM source WHERE id <> $skip", {"skip": 7})
    con.execute("COMMIT")
    wanted = "SELECT id, name, x FROM source WHERE id <> 7"
    assert con.execute("SELECT count(*) FROM target").fetchone()[0] == 399995
    for difference in (f"SELECT * FROM target EXCEPT ALL {wanted}", f"{wanted} EXCEPT ALL SELECT * FROM target"):
        assert con.execute(f"SELECT count(*) FROM ({difference})").fetchone()[0] == 0


@pytest.mark.parametrize("fails", [False, True])
def test_the_callers_settings_are_restored(tmp_path: Path, fails: bool) -> None:
    con = _connect(tmp_path)
    for before in ((True, 5), (False, 3)):
        con.execute(f"SET preserve_insertion_order = {str(before[0]).lower()}")
        con.execute(f"SET write_buffer_row_group_count = {before[1]}")
        # a NULL into the NOT NULL id fails the INSERT, after the settings were changed
        sql = "INSERT INTO target SELECT " + ("NULL" if fails else "id") + ", name, x FROM source"
        if fails:
            with pytest.raises(duckdb.ConstraintException):
                _insert_unordered(con, sql, {})
        else:
            _insert_unordered(con, sql, {})
        assert con.execute(SETTINGS).fetchone() == before
