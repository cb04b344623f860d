"""Free text of reporters (case descriptions) scrubbed of personal data on its way into the warehouse.

``szcg_scrub(text)`` is :func:`szcg.privacy.scrub_text` as a DuckDB function for loads that stream in SQL: vectorised
(Arrow), and only the values that match :data:`szcg.privacy.PII_HINT` (a digit, a spoken number, a name cue — found
by RE2 in C) go through Python, so a load of ten million ordinary descriptions pays almost nothing for it.
"""

from __future__ import annotations

import contextlib
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from duckdb.func import FunctionNullHandling, PythonUDFType
from duckdb.sqltypes import VARCHAR

from szcg.privacy import PII_HINT, scrub_text
from szcg.sqltext import string_literal

SQL_FUNCTION = "szcg_scrub"


def _scrub_arrow(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    hint = pc.fill_null(pc.match_substring_regex(values, PII_HINT), False)
    if not pc.any(hint).as_py():
        return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return pa.array([scrub_text(v) if h else v for v, h in zip(values.to_pylist(), hint.to_pylist(), strict=True)],
                    type=pa.string())


def register_scrub(con: duckdb.DuckDBPyConnection) -> str:
    """Make ``szcg_scrub(VARCHAR) → VARCHAR`` available on ``con`` (once per connection); returns its name."""
    with contextlib.suppress(duckdb.NotImplementedException):  # already registered on this connection
        con.create_function(SQL_FUNCTION, _scrub_arrow, [VARCHAR], VARCHAR, type=PythonUDFType.ARROW,
                            null_handling=FunctionNullHandling.SPECIAL, side_effects=False)
    return SQL_FUNCTION


def scrub_sql(con: duckdb.DuckDBPyConnection, value: str) -> str:
    """SQL for ``value`` scrubbed, where ``value`` is an SQL expression: the hint is tested by DuckDB's own RE2
    (in parallel, without the GIL) and only the values that match go to ``szcg_scrub`` — the same RE2 test the
    function makes itself, so the result is the function's; a load of ten million ordinary descriptions then never
    enters Python (sending every vector through the Arrow function cost ≈ 0.6 CPU-s per million rows, serialised on
    the GIL). The pattern is our own constant, written as an SQL literal."""
    name = register_scrub(con)
    return f"CASE WHEN regexp_matches({value}, {_HINT_LITERAL}) THEN {name}({value}) ELSE {value} END"


_HINT_LITERAL = string_literal(PII_HINT)


def scrub_series(values: pd.Series) -> pd.Series:
    """scrub_text over a column of a DataFrame (strings scrubbed once per distinct value; other values kept)."""
    texts = values[values.map(lambda v: isinstance(v, str))]
    if texts.empty:
        return values
    done = {v: scrub_text(v) for v in pd.unique(texts)}
    return values.map(lambda v: done.get(v, v) if isinstance(v, str) else v)


def scrub_json(value: Any) -> Any:
    """Every string inside a JSON-like value (dicts, lists) scrubbed; keys and other values kept."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: scrub_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_json(v) for v in value]
    return value
