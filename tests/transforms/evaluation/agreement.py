"""The SQL engine and the pandas reference must give the same indicators, entity by entity."""

from __future__ import annotations

import pandas as pd

KEY = ["object", "level", "entity_code", "indicator"]


def assert_same_indicators(sql: pd.DataFrame, pandas: pd.DataFrame) -> None:
    """Same rows (by object, level, entity, indicator) and the same numerator, denominator and value."""
    merged = sql.merge(pandas, on=KEY, how="outer", suffixes=("_sql", "_pd"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][KEY]
    for col in ("numerator", "denominator", "value"):
        a, b = merged[f"{col}_sql"].astype(float), merged[f"{col}_pd"].astype(float)
        assert ((a - b).abs().fillna(0) < 1e-9).all() and (a.isna() == b.isna()).all(), col
