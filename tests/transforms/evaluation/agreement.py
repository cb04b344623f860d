"""The SQL engine and the pandas reference must give the same indicators, entity by entity."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from tests.support import evaluation_reference as reference

KEY = ["object", "level", "entity_code", "indicator"]


def assert_same_indicators(sql: pd.DataFrame, pandas: pd.DataFrame) -> None:
    """Same rows (by object, level, entity, indicator) and the same numerator, denominator and value."""
    merged = sql.merge(pandas, on=KEY, how="outer", suffixes=("_sql", "_pd"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][KEY]
    for col in ("numerator", "denominator", "value"):
        a, b = merged[f"{col}_sql"].astype(float), merged[f"{col}_pd"].astype(float)
        assert ((a - b).abs().fillna(0) < 1e-9).all() and (a.isna() == b.isna()).all(), col


def assert_engine_agrees_with_reference(con: duckdb.DuckDBPyConnection, period: Any, calendar: Any,
                                        handbook: Any = None) -> None:
    """The engine's last run on ``con`` (its ``eval_indicator``) against the pandas reference over the same
    warehouse's events and cases, for the same period, calendar and handbook."""
    sql = con.execute("SELECT object, level, entity_code, indicator, numerator, denominator, value "
                      "FROM eval_indicator").df()
    pdf = reference.indicators(con.execute("SELECT * FROM core.case_event").df(),
                               con.execute('SELECT * FROM core."case"').df(), period, calendar, handbook=handbook)
    assert_same_indicators(sql, pdf)
