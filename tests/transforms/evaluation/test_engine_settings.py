"""The engine switches insertion order off for its temp tables and gives the connection back as it found it, even
when a run fails: the census numbers its staged rows by insertion order on the same kind of connection."""

from __future__ import annotations

import duckdb
import pytest

from standards.calendar import load_calendar
from standards.city import packaged_city
from tests.transforms.evaluation.city import build_october
from transforms.evaluation import engine
from transforms.evaluation.period import parse_period
from transforms.evaluation.scheme import load_scheme
from warehouse.migrate import migrate


def _order(con: duckdb.DuckDBPyConnection) -> object:
    row = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    return row[0] if row else None


def test_a_run_leaves_insertion_order_as_it_was() -> None:
    con = duckdb.connect()
    migrate(con)
    build_october().load(con)
    engine.run(con, parse_period("2026-10"), load_scheme(), load_calendar(packaged_city()), lineage=False)
    assert _order(con) is True
    con.close()


def test_a_failing_run_leaves_insertion_order_as_it_was() -> None:
    con = duckdb.connect()  # no warehouse schema: the run fails at its first read of core
    with pytest.raises(duckdb.Error):
        engine.run(con, parse_period("2026-10"), load_scheme(), load_calendar(packaged_city()), lineage=False)
    assert _order(con) is True
    con.close()
