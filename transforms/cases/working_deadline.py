"""Deadlines of many starts at once on a working calendar: ``WorkingCalendar.deadline`` vectorised with numpy.

A legacy export of a million cases has a 处置 deadline to compute for every case that lacks the export's own;
one Python ``WorkingCalendar.deadline`` per case (or per distinct start) was most of a large import's conforming.
Here the calendar becomes one array of cumulative working microseconds at the start of each day (as the
calendar keeps per year, and as the evaluation's ``eval_calendar`` does in SQL); a start's worked time is a
look-up plus its part of the day, its deadline a ``searchsorted`` of worked + limit, then the day's periods.
The result is ``WorkingCalendar.deadline`` exactly, microsecond for microsecond (tests compare them on many
starts: weekends, holidays, 调休 working days, starts outside working hours, limits spanning years).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from standards.calendar import WorkingCalendar
from standards.handbook import TimeLimit

DAY_US = 86_400_000_000
MINUTE_US = 60_000_000
_MAX_EXTRA_YEARS = 11  # as the calendar's own scan: a limit is at most a year, a calendar may be sparse


def working_deadlines(calendar: WorkingCalendar, starts: pd.Series, limit: TimeLimit) -> pd.Series:
    """``calendar.deadline(start, limit)`` for every start (NaT stays NaT), as datetime64[ns] on starts' index."""
    out = pd.Series(pd.NaT, index=starts.index, dtype="datetime64[ns]")
    given = starts.notna().to_numpy()
    if not given.any():
        return out
    at = starts.to_numpy(dtype="datetime64[us]")[given]
    if limit.basis == "natural":  # timedelta(hours=…) rounds as the calendar does
        out.iloc[np.flatnonzero(given)] = (at + np.timedelta64(timedelta(hours=limit.hours))).astype("datetime64[ns]")
        return out
    remaining = round(limit.hours * 3_600_000_000)
    if remaining < 0:
        raise ValueError(f"hours must not be negative (got {limit.hours})")
    if remaining == 0:
        out.iloc[np.flatnonzero(given)] = at.astype("datetime64[ns]")
        return out
    us = at.astype(np.int64)
    first = int(at.min().astype("datetime64[Y]").astype(int)) + 1970
    last = int(at.max().astype("datetime64[Y]").astype(int)) + 1970
    days = _WorkingDays(calendar, first, last)
    day = us // DAY_US - days.epoch_day  # day index from 1 January of the first year
    target = days.cum[day] + days.within_day(day, us % DAY_US) + remaining
    while target.max() > days.cum[-1] and days.last - last < _MAX_EXTRA_YEARS:
        days.extend()
    result = np.empty(len(us), dtype="datetime64[us]")
    beyond = target > days.cum[-1]
    if beyond.any():  # no working time within the calendar's scan: its own error, with its message
        calendar.deadline(pd.Timestamp(at[beyond][0]).to_pydatetime(), limit)
    index = np.searchsorted(days.cum, target, side="left") - 1
    rest = target - days.cum[index]  # 0 < rest ≤ one working day
    period = np.searchsorted(days.period_ends, rest, side="left")
    into = rest - (days.period_ends[period] - days.period_lengths[period])
    stamp = (index + days.epoch_day) * DAY_US + days.period_starts[period] + into
    result[:] = stamp.astype("datetime64[us]")
    out.iloc[np.flatnonzero(given)] = result.astype("datetime64[ns]")
    return out


class _WorkingDays:
    """Cumulative working microseconds at the start of each day from 1 January of ``first`` (one more entry: the
    end of the last day), with the calendar's daily periods in microseconds."""

    def __init__(self, calendar: WorkingCalendar, first: int, last: int) -> None:
        self.calendar = calendar
        self.epoch_day = (date(first, 1, 1) - date(1970, 1, 1)).days
        self.period_starts = np.array([a for a, _ in calendar.periods], dtype=np.int64) * MINUTE_US
        self.period_lengths = np.array([b - a for a, b in calendar.periods], dtype=np.int64) * MINUTE_US
        self.period_ends = np.cumsum(self.period_lengths)
        self.first, self.last = first, first - 1
        self.working = np.zeros(0, dtype=bool)
        self.cum = np.zeros(1, dtype=np.int64)
        while self.last < last + 1:  # a year more than the starts': most deadlines fall within it
            self.extend()

    def extend(self) -> None:
        year = self.last + 1
        d, flags = date(year, 1, 1), []
        while d.year == year:
            flags.append(self.calendar.is_working_day(d))
            d += timedelta(days=1)
        working = np.array(flags, dtype=bool)
        per_day = int(self.period_lengths.sum())
        self.cum = np.concatenate([self.cum, self.cum[-1] + np.cumsum(working.astype(np.int64) * per_day)])
        self.working = np.concatenate([self.working, working])
        self.last = year

    def within_day(self, day: np.ndarray, of_day: np.ndarray) -> np.ndarray:
        """Working microseconds of each day before the time of day ``of_day`` (0 on a day off)."""
        worked = np.zeros(len(day), dtype=np.int64)
        for start, length in zip(self.period_starts, self.period_lengths, strict=True):
            worked += np.clip(of_day - start, 0, length)
        return np.where(self.working[day], worked, 0)
