"""The vectorised deadline (transforms.cases.working_deadline) is WorkingCalendar.deadline exactly, start by start:
weekends, public holidays, 调休 working days, starts before, between and after the working periods, on period
boundaries, at the turn of the year, and limits from a minute to a year."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from standards.calendar import DayOverride, WorkingCalendar, load_calendar
from standards.city import load_city
from standards.handbook import TimeLimit
from szcg.settings import Settings
from transforms.cases.working_deadline import working_deadlines

LIMITS = [TimeLimit(h, "working") for h in (1 / 60, 0.5, 1, 2, 3.75, 4, 8, 16, 24, 40, 80, 200, 2000, 24 * 366)]
LIMITS += [TimeLimit(h, "natural") for h in (0.5, 2, 24, 72.25)]


def _starts(seed: int, n: int) -> pd.Series:
    """Random starts over 2025–2027 to the second, and the awkward ones: period edges, midnight, year ends, the
    2026 春节 and 国庆 holidays and their 调休 Saturdays/Sundays."""
    rng = np.random.default_rng(seed)
    base = np.datetime64("2025-01-01T00:00:00")
    random = base + rng.integers(0, 3 * 365 * 86_400, n).astype("timedelta64[s]")
    edges = [datetime.combine(d, datetime.min.time()) + timedelta(minutes=m)
             for d in (date(2026, 2, 14), date(2026, 2, 15), date(2026, 2, 16), date(2026, 2, 28), date(2026, 3, 6),
                       date(2026, 3, 7), date(2026, 9, 27), date(2026, 10, 1), date(2026, 10, 10),
                       date(2026, 12, 31), date(2027, 1, 1), date(2025, 12, 31))
             for m in (0, 1, 7 * 60 + 59, 8 * 60, 8 * 60 + 1, 12 * 60 - 1, 12 * 60, 13 * 60, 14 * 60, 18 * 60 - 1,
                       18 * 60, 18 * 60 + 1, 23 * 60 + 59)]
    edges.append(datetime(2026, 3, 6, 17, 59, 59, 999_999))
    values = pd.to_datetime(np.concatenate([random, np.array(edges, dtype="datetime64[us]")]))
    return pd.Series(values, index=np.arange(100, 100 + len(values))).astype("datetime64[ns]")


def _check(calendar: WorkingCalendar, starts: pd.Series, limit: TimeLimit) -> None:
    got = working_deadlines(calendar, starts, limit)
    assert got.index.equals(starts.index) and str(got.dtype) == "datetime64[ns]"
    for idx, start in starts.items():
        if pd.isna(start):
            assert pd.isna(got[idx])
            continue
        want = calendar.deadline(start.to_pydatetime(), limit)
        assert got[idx] == pd.Timestamp(want), (start, limit, got[idx], want)


@pytest.mark.parametrize("limit", LIMITS, ids=[f"{lim.hours:g}h-{lim.basis}" for lim in LIMITS])
def test_the_citys_calendar_gives_every_start_its_own_deadline(settings: Settings, limit: TimeLimit) -> None:
    calendar = load_calendar(load_city(settings))
    _check(calendar, _starts(seed=int(limit.hours * 100), n=400), limit)


def test_odd_calendars_three_periods_one_rest_day_own_holidays_and_no_state_schedule() -> None:
    overrides = {d: DayOverride(d, False, "城市节") for d in (date(2026, 5, 6), date(2026, 5, 7), date(2027, 1, 4))}
    overrides[date(2026, 5, 10)] = DayOverride(date(2026, 5, 10), True, "调休")
    for calendar in (
        WorkingCalendar(periods=((7 * 60, 11 * 60 + 30), (13 * 60, 15 * 60), (15 * 60 + 30, 21 * 60)),
                        rest_weekdays=frozenset({7}), overrides=overrides),
        WorkingCalendar(use_chinese_calendar=False, overrides=overrides),
        WorkingCalendar(periods=((0, 24 * 60),), rest_weekdays=frozenset({1, 2, 3, 4, 5, 6})),
    ):
        for limit in (TimeLimit(0.25, "working"), TimeLimit(5, "working"), TimeLimit(33, "working"),
                      TimeLimit(900, "working")):
            _check(calendar, _starts(seed=7, n=150), limit)


def test_missing_starts_stay_missing_and_the_index_is_kept() -> None:
    calendar = WorkingCalendar()
    starts = pd.Series([pd.Timestamp("2026-03-06 17:30"), pd.NaT, pd.Timestamp("2026-03-07 09:00")],
                       index=[7, 3, 9], dtype="datetime64[ns]")
    _check(calendar, starts, TimeLimit(4, "working"))
    assert working_deadlines(calendar, starts.iloc[[1]], TimeLimit(4, "working")).isna().all()


def test_a_calendar_without_working_time_fails_as_the_calendar_does() -> None:
    calendar = WorkingCalendar(use_chinese_calendar=False, rest_weekdays=frozenset(range(1, 8)))
    with pytest.raises(ValueError, match="no working time"):
        working_deadlines(calendar, pd.Series([pd.Timestamp("2026-03-06 10:00")]), TimeLimit(4, "working"))
