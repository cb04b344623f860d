"""A CSV is staged straight from DuckDB's reader (no ``raw`` copy): the staged table, its row numbers and the records
of rejected rows as delivered are what staging through ``raw`` (the former path) gave."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import duckdb
import pytest
from cityfiles import HEADER, census_rows, write_csv

from census_loaders.mapping import choose_mapping
from census_loaders.prepare import (
    WHITESPACE,
    PrepareContext,
    create_stage,
    define_macros,
    delivered_record_sql,
    stage_sql,
)
from census_loaders.readers import open_source, read_rows, stage_raw


def _context(census: Any, columns: list[str], name: str) -> PrepareContext:
    mapping = choose_mapping(columns, None)
    catalogue = census.ctx.catalogue
    return PrepareContext(mapping, mapping.resolve(columns, name), census.config, census.ctx.edition,
                          6 + catalogue.code_digits + 6, catalogue.code_digits, census.ctx.city_bounds, None, False,
                          census.ctx.department_codes)


def _spaced_rows(n: int, seed: int, encoding: str = "utf-8") -> list[dict[str, str]]:
    """Rows with spaces of every kind (the encoding has) around values of every column, some values only spaces,
    some grids empty."""
    rng = random.Random(seed)
    spaces = [c for c in WHITESPACE if c not in "\n\r" and c.encode(encoding, errors="ignore")] + ["", "", ""]
    rows = census_rows(n)
    for row in rows:
        for field in HEADER:
            if rng.random() < 0.3:
                row[field] = rng.choice(spaces) + row[field] + rng.choice(spaces)
        if rng.random() < 0.05:
            row["BGCODE"] = rng.choice(["", " ", "\u3000"])
        if rng.random() < 0.05:
            row["DEPTNAME2"] = "  "
    return rows


def _stage_both_ways(census: Any, path: Path) -> tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection]:
    source = open_source(path)
    context = _context(census, source.columns, path.name)
    direct, through_raw = duckdb.connect(), duckdb.connect()
    for con in (direct, through_raw):
        define_macros(con)
        con.execute("SET threads = 4")

    rows = read_rows(open_source(path), direct, 1_000,
                     lambda relation, params: create_stage(direct, context, source.columns, relation, params))
    assert stage_raw(open_source(path), through_raw, 1_000) == rows
    create_stage(through_raw, context, source.columns)  # the former path: the rows from the table raw
    return direct, through_raw


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_a_csv_staged_from_the_reader_equals_the_csv_staged_through_raw(census, encoding: str) -> None:
    path = write_csv(census.tmp / f"spaced_{encoding}.csv", _spaced_rows(3_000, 3, encoding), encoding)
    direct, through_raw = _stage_both_ways(census, path)
    got = direct.execute("SELECT * FROM stage ORDER BY row_number").fetchall()
    want = through_raw.execute("SELECT * FROM stage ORDER BY row_number").fetchall()
    assert got == want and len(got) == 3_000
    # the former path's row number: rowid + 1 of raw
    assert [r[0] for r in got] == list(range(1, 3_001))


def test_the_records_as_delivered_rebuilt_from_stage_are_the_rows_of_raw(census) -> None:
    """Every row's record rebuilt from what ``stage`` keeps equals the row in ``raw`` — values with spaces, values
    of only spaces, empty values (NULL), empty grids (which the load may fill in ``stage`` afterwards)."""
    rows = _spaced_rows(2_000, 8)
    path = write_csv(census.tmp / "records.csv", rows)
    direct, through_raw = _stage_both_ways(census, path)
    source = open_source(path)
    delivered = delivered_record_sql(_context(census, source.columns, path.name), source.columns)
    assert [label for label, _ in delivered] == HEADER
    # as the load may do: a missing grid assigned after staging
    direct.execute("UPDATE stage SET grid_code = '140602001001001' WHERE grid_code IS NULL")
    assert direct.execute("SELECT count(*) FROM stage WHERE delivered_list IS NOT NULL").fetchone()[0] < 2_000
    rebuilt = direct.execute(f"SELECT {', '.join(sql for _, sql in delivered)} FROM stage ORDER BY row_number"
                             ).fetchall()
    assert rebuilt == through_raw.execute("SELECT * FROM raw ORDER BY rowid").fetchall()
    assert rebuilt[0] == tuple(v or None for v in rows[0].values())


@pytest.mark.parametrize("rejected", [30, 1_200])  # a lookup per row id, and one scan
def test_rejected_rows_keep_their_records_as_delivered_with_spaces_and_empty_grids(census, rejected: int) -> None:
    rows = _spaced_rows(1_500, 13)
    for i in range(0, 1_500, 1_500 // rejected):
        rows[i]["OBJSTATE"] = " 坏了"
    result = census.ingest(write_csv(census.tmp / "spaced.csv", rows))
    stored = census.query("SELECT row_number, raw_record FROM quarantine.rejected_row WHERE batch_id = ?"
                          " AND rule = 'state.vocabulary' ORDER BY row_number", [result.batch_id])
    assert len(stored) == len(range(0, 1_500, 1_500 // rejected))
    for row_number, record in stored:
        assert json.loads(record) == {k: (v or None) for k, v in rows[row_number - 1].items()}, row_number


def test_an_error_of_the_staging_statement_on_a_good_csv_is_not_reported_as_a_broken_file(census) -> None:
    path = write_csv(census.tmp / "good.csv", census_rows(5))
    con = duckdb.connect()

    def create(relation: str, params: list[Any]) -> int:
        con.execute(f"CREATE TEMP TABLE t AS SELECT CAST(c1 AS INTEGER) AS x FROM {relation}", params)
        return 5

    with pytest.raises(RuntimeError, match=r"staging the rows of good\.csv failed"):
        read_rows(open_source(path), con, 1_000, create)


def test_row_numbers_follow_the_file_when_duckdb_stages_it_in_parallel(census, monkeypatch: pytest.MonkeyPatch
                                                                       ) -> None:
    """``stage``'s row number is its rowid + 1: the staging statement must insert in file order even when DuckDB
    splits the file between threads (a file of several read buffers, made small here)."""
    import census_loaders.readers

    monkeypatch.setattr(census_loaders.readers, "CSV_BUFFER_BYTES", 4 << 20)
    rows = census_rows(1)[0]
    path = census.tmp / "many.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(rows) + "\n")
        for i in range(300_000):
            handle.write(",".join(rows.values()).replace(rows["PHOTO"], f"row{i + 1}") + "\n")
    assert path.stat().st_size > 6 * (4 << 20)
    source = open_source(path)
    context = _context(census, source.columns, path.name)
    con = duckdb.connect()
    con.execute("SET threads = 4")
    define_macros(con)
    assert read_rows(source, con, 50_000,
                     lambda relation, params: create_stage(con, context, source.columns, relation, params)) == 300_000
    assert con.execute("SELECT count(*) FROM stage WHERE photo <> 'row' || row_number").fetchone() == (0,)


@pytest.mark.parametrize("spatial", [False, True])
def test_the_staging_statement_is_planned_as_an_order_keeping_insert(census, spatial: bool) -> None:
    """No join in the statement (a long IN list of department codes or subclasses would be one): DuckDB's parallel
    insert then keeps the relation's order."""
    columns = [*HEADER, *(["__x", "__y", "__geom_type", "__wkt"] if spatial else [])]
    context = _context(census, list(HEADER), "plan.csv")
    context.spatial = spatial
    assert len(context.known_departments) > 10 and context.config.geometry_types
    con = duckdb.connect()
    con.execute("SET threads = 4")
    define_macros(con)
    con.execute(f"CREATE TEMP TABLE raw ({', '.join(f'c{i} VARCHAR' for i in range(len(HEADER)))}"
                + (", __x DOUBLE, __y DOUBLE, __geom_type VARCHAR, __wkt VARCHAR" if spatial else "") + ")")
    plan = con.execute("EXPLAIN " + stage_sql(context, list(HEADER))).fetchall()[0][-1]
    assert "BATCH_CREATE_TABLE_AS" in plan and "JOIN" not in plan, columns
