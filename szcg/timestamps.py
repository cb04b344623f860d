"""Parsed times as the warehouse's frames hold them: ``datetime64[ns]``.

Part of the bottom core: imports nothing of the project. pandas 3 parses to whatever resolution a value needs, so a
year 0001 or 9999 (a placeholder in a real export) parses; converting it to nanoseconds then raises and would stop a
whole batch. Such a time is no real report or call time: it becomes missing here, and the loader quarantines the row
as an unreadable time like any other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# the whole range datetime64[ns] can hold (1677-09-21 … 2262-04-11), in microseconds to compare before converting
_FIRST = np.datetime64(pd.Timestamp.min.ceil("us").to_datetime64(), "us")
_LAST = np.datetime64(pd.Timestamp.max.floor("us").to_datetime64(), "us")


def as_nanoseconds(times: pd.Series) -> pd.Series:
    """``times`` (naive, any resolution) as ``datetime64[ns]``; a time outside that range becomes NaT."""
    if times.dtype == "datetime64[ns]":
        return times
    values = times.to_numpy(dtype="datetime64[us]")
    outside = ~np.isnat(values) & ((values < _FIRST) | (values > _LAST))
    if outside.any():
        values = values.copy()
        values[outside] = np.datetime64("NaT")
    return pd.Series(values.astype("datetime64[ns]"), index=times.index)
