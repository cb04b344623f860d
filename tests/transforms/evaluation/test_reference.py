"""A second implementation (pandas) of the indicators agrees with the DuckDB models on the hand-built city."""

from __future__ import annotations

import duckdb
import pytest

from standards.calendar import load_calendar
from standards.city import packaged_city
from tests.support import evaluation_reference as reference
from tests.transforms.evaluation.city import City
from transforms.evaluation import engine
from transforms.evaluation.period import parse_period
from transforms.evaluation.scheme import load_scheme
from warehouse.migrate import migrate


def test_pandas_reference_matches_the_sql_models(october: City) -> None:
    con = duckdb.connect()
    migrate(con)
    october.load(con)
    period, calendar = parse_period("2026-10"), load_calendar(packaged_city())
    engine.run(con, period, load_scheme(), calendar, lineage=False)
    sql = con.execute("SELECT object, level, entity_code, indicator, numerator, denominator, value "
                      "FROM eval_indicator").df()
    events = con.execute("SELECT * FROM core.case_event").df()
    cases = con.execute('SELECT * FROM core."case"').df()
    pdf = reference.indicators(events, cases, period, calendar)
    key = ["object", "level", "entity_code", "indicator"]
    merged = sql.merge(pdf, on=key, how="outer", suffixes=("_sql", "_pd"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][key]
    for col in ("numerator", "denominator", "value"):
        a, b = merged[f"{col}_sql"].astype(float), merged[f"{col}_pd"].astype(float)
        assert ((a - b).abs().fillna(0) < 1e-9).all() and (a.isna() == b.isna()).all(), col
    assert len(merged) > 100
    con.close()


@pytest.mark.parametrize("sql", ["is_due AND handle_minutes IS NOT NULL", "is_register AND NOT is_voided"])
def test_predicates_translate(sql: str) -> None:
    assert "AND" not in reference._expr(sql)
