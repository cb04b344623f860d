"""``scrub_sql``: the scrubbing the Parquet load writes in SQL gives exactly what the scrub function gives on every
value — RE2 in DuckDB picks the values to scrub, the function (RE2 in Arrow, then Python) scrubs them."""

from __future__ import annotations

import duckdb
import pytest

from szcg.privacy import scrub_text
from transforms.cases.scrub import register_scrub, scrub_sql

NOTES = ["市民反映路灯不亮", "联系电话 139 1234 5601，井盖缺失", "电话：+86-139-1234-5601",
         "手机１３９１２３４５６０１",
         "我叫张三，身份证140602199001011234反映占道经营", "身份证号 14060219900101123X", "座机(0349)5551234",
         "本人李四反映噪音扰民", "姓名：王五", "一三九一二三四五六零二", "3月5日 12:30 垃圾未清运，编号 140602001",
         "金额 1234 元", "O'Brien 路 5 号", "", None]


@pytest.mark.parametrize("note", NOTES)
def test_the_sql_expression_scrubs_as_the_function_does(note: str | None) -> None:
    con = duckdb.connect()
    name = register_scrub(con)
    con.execute("CREATE TABLE t AS SELECT CAST(? AS VARCHAR) AS v", [note])
    by_sql, by_function = con.execute(f"SELECT {scrub_sql(con, 't.v')}, {name}(t.v) FROM t").fetchone()
    assert by_sql == by_function == (None if note is None else scrub_text(note))


def test_a_column_of_mixed_notes_is_scrubbed_row_by_row() -> None:
    """Many vectors, most rows without a hint: each row keeps its own value or gets its own scrubbed one."""
    con = duckdb.connect()
    rows = NOTES * 500
    con.execute("CREATE TABLE t (i INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(rows)))
    got = [v for _, v in con.execute(f"SELECT i, {scrub_sql(con, 'v')} FROM t ORDER BY i").fetchall()]
    assert got == [None if n is None else scrub_text(n) for n in rows]
