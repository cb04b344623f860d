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
# two ASCII digits read as one little-endian 16-bit number → their value (0–99); anything else → 255: a field's
# digits checked and read by one look-up per pair
_PAIRS = np.full(1 << 16, 255, dtype=np.uint8)
for _tens in range(10):
    for _units in range(10):
        _PAIRS[(ord("0") + _tens) | ((ord("0") + _units) << 8)] = 10 * _tens + _units
_DAYS_BEFORE = np.array([0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334], dtype=np.int64)  # by month
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


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
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    count = len(rows)
    chars = data[start:start + count * layout.width].reshape(count, layout.width)

    def pair(at: int) -> np.ndarray:  # the value of the two digits at `at` of every row (255: not two digits)
        codes = np.ndarray((count,), dtype="<u2", buffer=data, offset=start + at, strides=(layout.width,))
        return _PAIRS[codes]

    ok = np.ones(count, dtype=bool)
    for at, byte in layout.separators:
        ok &= chars[:, at] == byte
    number: dict[str, np.ndarray] = {}
    for letter, at in layout.fields.items():
        if letter == "Y":
            high, low = pair(at), pair(at + 2)
            ok &= (high <= 99) & (low <= 99)
            number[letter] = high.astype(np.int64) * 100 + low
        else:
            value = pair(at)
            ok &= value <= 99
            number[letter] = value
    year, month, day = number["Y"], number["m"], number["d"]
    ok &= (year >= _FIRST_YEAR) & (year <= _LAST_YEAR) & (month >= 1) & (month <= 12)
    month = np.where(ok, month, 1).astype(np.intp)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    ok &= (day >= 1) & (day <= _MONTH_DAYS[month] + (leap & (month == 2)))
    before = year - 1  # days from 1970-01-01: whole years with their leap days (477 before 1970), then the year's
    days = (365 * (year - 1970) + (before // 4 - before // 100 + before // 400 - 477) + _DAYS_BEFORE[month]
            + (leap & (month > 2)) + day - 1)
    ns = days * 86_400_000_000_000
    for letter, top in (("H", 23), ("M", 59), ("S", 59)):
        if letter in number:
            ok &= number[letter] <= top
            ns += number[letter].astype(np.int64) * _NS[letter]
    if len(rows) == n and ok.all():  # every value read: no scatter
        return ~read, ns.view("datetime64[ns]")
    read[rows[ok]] = True
    times[rows[ok]] = ns[ok].view("datetime64[ns]")
    return read, times
