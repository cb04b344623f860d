"""Vectorised working-time arithmetic over a fixed horizon, built from the city's ``standards.calendar``.

Instants are int64 seconds since 1970-01-01 in China Standard Time (naive). ``add`` gives the same instants as
``WorkingCalendar.add_working_hours`` / ``deadline`` (tests compare them), but for millions of cases at once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

EPOCH = datetime(1970, 1, 1)


def to_seconds(dt: datetime) -> int:
    return int((dt - EPOCH).total_seconds())


def from_seconds(s: int) -> datetime:
    return EPOCH + timedelta(seconds=int(s))


class VectorCalendar:
    def __init__(self, calendar: Any, first_day: date, last_day: date) -> None:
        starts, ends = [], []
        d = first_day
        while d <= last_day:
            if calendar.is_working_day(d):
                base = to_seconds(datetime.combine(d, datetime.min.time()))
                for a, b in calendar.periods:
                    starts.append(base + 60 * a)
                    ends.append(base + 60 * b)
            d += timedelta(days=1)
        self.a = np.array(starts, dtype=np.int64)
        self.b = np.array(ends, dtype=np.int64)
        length = self.b - self.a
        self.c = np.concatenate([[0], np.cumsum(length)[:-1]]).astype(np.int64)  # working seconds before interval
        self.c_end = self.c + length
        self.first_day, self.last_day = first_day, last_day

    def worked(self, t: np.ndarray) -> np.ndarray:
        """Working seconds from the horizon start to each instant."""
        k = np.searchsorted(self.a, t, side="right") - 1
        kk = np.clip(k, 0, None)
        w = self.c[kk] + np.minimum(t - self.a[kk], self.b[kk] - self.a[kk])
        return np.where(k < 0, 0, w)

    def add(self, t: np.ndarray, seconds: np.ndarray, natural: np.ndarray | bool = False) -> np.ndarray:
        """``t`` plus ``seconds`` of working time (or of natural time where ``natural``)."""
        t = np.asarray(t, dtype=np.int64)
        seconds = np.asarray(np.round(seconds), dtype=np.int64)
        target = self.worked(t) + seconds
        k = np.searchsorted(self.c_end, target, side="left")
        if np.any(k >= len(self.a)):
            raise ValueError("working-time arithmetic ran past the calendar horizon; widen it")
        out = self.a[k] + (target - self.c[k])
        return np.where(natural, t + seconds, out)
