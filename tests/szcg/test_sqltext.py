"""Text written into SQL stays one literal or one identifier, whatever it holds."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from szcg.sqltext import identifier, string_literal


@pytest.mark.parametrize("text", ["plain", "city's share", "''", "a'); DROP TABLE t; --", "路灯 '井盖'"])
def test_a_literal_reads_back_as_the_same_text(text: str) -> None:
    assert duckdb.sql(f"SELECT {string_literal(text)}").fetchone() == (text,)


def test_a_path_is_written_as_its_text(tmp_path: Path) -> None:
    target = tmp_path / "O'Brien" / "x.parquet"
    target.parent.mkdir()
    duckdb.sql(f"COPY (SELECT 1 AS n) TO {string_literal(target)} (FORMAT parquet)")
    assert duckdb.sql("SELECT n FROM read_parquet(?)", params=[str(target)]).fetchone() == (1,)


def test_an_identifier_with_quotes_names_one_column() -> None:
    name = 'odd "name"'
    assert duckdb.sql(f"SELECT 7 AS {identifier(name)}").columns == [name]


def test_nul_is_refused() -> None:
    with pytest.raises(ValueError, match="NUL"):
        string_literal("a\x00b")
    with pytest.raises(ValueError):
        identifier("")
