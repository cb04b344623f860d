"""Timestamps of a fixed-width numeric layout read with numpy: the common case of a legacy export's time columns.

``pd.to_datetime(text, format=fmt, errors="coerce")`` costs ≈ 0.25 s per million values and a million-row
案卷 export has six time columns (issue 20 item 7). Most values of a format made only of ``%Y %m %d %H %M %S``
and ASCII separators are written exactly in its layout ("2026-03-05 09:07:00": a 4-digit year, 2-digit fields,
the separators at their places); those are read here from the bytes of their Arrow buffer. Everything else — a
value not in the exact layout (one-digit fields, extra spaces, another format), an impossible date or time
(month 13, 30 February, hour 24, second 60), a year outside 1678–2261 (nanosecond timestamps' range, where pandas
may raise) — is left to pandas, so the result is pandas' own, value for value (tests compare them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_WIDTH = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}
_NS = {"H": 3_600_000_000_000, "M": 60_000_000_000, "S": 1_000_000_000}
_FIRST_YEAR, _LAST_YEAR = 1678, 2261  # whole years inside datetime64[ns]


@dataclass(frozen=True)
class Layout:
    """Where each field's digits and each separator stand in a value of ``width`` characters."""

    width: int
    fields: dict[str, int]  # directive letter → position of its first digit
    separators: tuple[tuple[int, int], ...]  # (position, byte)


def fixed_layout(fmt: str) -> Layout | None:
    """The layout of ``fmt`` when it has one (only %Y %m %d %H %M %S, each once, with year, month and day, and
    printable ASCII separators that are not digits or spaces other than ' '); None otherwise."""
    fields: dict[str, int] = {}
    separators: list[tuple[int, int]] = []
    at, i = 0, 0
    while i < len(fmt):
        char = fmt[i]
        if char == "%":
            letter = fmt[i + 1] if i + 1 < len(fmt) else ""
            if letter not in _WIDTH or letter in fields:
                return None
            fields[letter] = at
            at += _WIDTH[letter]
            i += 2
            continue
        if not (" " <= char <= "~") or char.isdigit():
            return None
        separators.append((at, ord(char)))
        at += 1
        i += 1
    if not {"Y", "m", "d"} <= fields.keys():
        return None
    return Layout(at, fields, tuple(separators))


def parse_fixed(text: pd.Series, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """(mask of the values read here, their times as datetime64[ns] — NaT elsewhere) for ``text`` (no NA)."""
    n = len(text)
    array = pa.array(text.to_numpy(dtype=object), type=pa.string()) if text.dtype == object else pa.array(text)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    values = array.cast(pa.large_string())  # 64-bit offsets, whatever the column had
    read = np.zeros(n, dtype=bool)
    times = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if n == 0:
        return read, times
    lengths = pc.binary_length(values).to_numpy(zero_copy_only=False)
    fits = lengths == layout.width  # NA (no length) does not fit
    rows = np.flatnonzero(fits)
    if not len(rows):
        return read, times
    # the values of the layout's width, back to back: their bytes are one (rows × width) matrix, no gather
    same_width = values if len(rows) == n else values.filter(pa.array(fits))
    _, _, data_buffer = same_width.buffers()
    start = int(np.frombuffer(same_width.buffers()[1], dtype=np.int64)[same_width.offset])
    chars = np.frombuffer(data_buffer, dtype=np.uint8, count=len(rows) * layout.width,
                          offset=start).reshape(len(rows), layout.width)
    ok = np.ones(len(rows), dtype=bool)
    for at, byte in layout.separators:
        ok &= chars[:, at] == byte
    number: dict[str, np.ndarray] = {}
    for letter, at in layout.fields.items():
        value = np.zeros(len(rows), dtype=np.int64)
        for column in range(at, at + _WIDTH[letter]):
            digit = chars[:, column] - np.uint8(ord("0"))  # wraps above 9 for any byte that is not a digit
            ok &= digit <= 9
            value = value * 10 + digit
        number[letter] = value
    year, month, day = number["Y"], number["m"], number["d"]
    ok &= (year >= _FIRST_YEAR) & (year <= _LAST_YEAR) & (month >= 1) & (month <= 12)
    months = (np.clip(year, _FIRST_YEAR, _LAST_YEAR) - 1970) * 12 + np.clip(month, 1, 12) - 1
    first_day = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    next_first = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    ok &= (day >= 1) & (day <= next_first - first_day)
    ns = (first_day + day - 1) * 86_400_000_000_000
    for letter, top in (("H", 23), ("M", 59), ("S", 59)):
        if letter in number:
            ok &= number[letter] <= top
            ns += number[letter] * _NS[letter]
    read[rows[ok]] = True
    times[rows[ok]] = ns[ok].view("datetime64[ns]")
    return read, times
