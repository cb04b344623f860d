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


def test_quotes_are_doubled_only_in_sqltext() -> None:
    """Another hand-written quote-doubling is a second copy of this rule (and the next one may forget it)."""
    import re

    from tests.szcg.sources import production_sources, read

    copy = re.compile(r"""replace\(\s*["']'["']\s*,\s*["']''["']\s*\)""")
    found = [f"{path}:{n}: {line.strip()}" for path in production_sources() if path != "szcg/sqltext.py"
             for n, line in enumerate(read(path).splitlines(), start=1) if copy.search(line)]
    assert not found, "use szcg.sqltext.string_literal instead of:\n" + "\n".join(found)
