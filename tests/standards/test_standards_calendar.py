"""The working-time calendar: time limits stop at night, at lunch, on weekends and public holidays, and run on
State Council 调休 make-up days; urgent limits run on natural time."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from standards.calendar import WorkingCalendar, load_calendar_file
from standards.handbook import TimeLimit
from szcg.errors import ConfigError

from .conftest import edit


def test_2026_national_day_is_off_and_its_make_up_days_are_worked(calendar: WorkingCalendar) -> None:
    # State Council 2026 schedule: 10-01 … 10-07 off; Sunday 09-20 and Saturday 10-10 are working days.
    assert all(not calendar.is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert calendar.is_working_day(date(2026, 9, 20))  # a Sunday
    assert calendar.is_working_day(date(2026, 10, 10))  # a Saturday
    assert not calendar.is_working_day(date(2026, 10, 11))  # an ordinary Sunday
    assert calendar.is_working_day(date(2026, 10, 8))


def test_a_limit_started_before_national_day_resumes_after_the_holiday(calendar: WorkingCalendar) -> None:
    start = datetime(2026, 9, 30, 17, 0)  # 1 working hour left that day
    assert calendar.add_working_hours(start, 4) == datetime(2026, 10, 8, 11, 0)
    assert calendar.working_hours_between(start, datetime(2026, 10, 8, 11, 0)) == pytest.approx(4)


def test_a_make_up_saturday_counts(calendar: WorkingCalendar) -> None:
    # Friday 10-09 17:00 + 2h: one hour on Friday, one on the make-up Saturday 10-10.
    assert calendar.add_working_hours(datetime(2026, 10, 9, 17, 0), 2) == datetime(2026, 10, 10, 9, 0)
    # …but an ordinary weekend does not: Friday 10-16 17:00 + 2h ends Monday 10-19 09:00.
    assert calendar.add_working_hours(datetime(2026, 10, 16, 17, 0), 2) == datetime(2026, 10, 19, 9, 0)


def test_the_lunch_break_is_not_working_time(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_hours(datetime(2026, 11, 23, 11, 0), 2) == datetime(2026, 11, 23, 15, 0)
    assert calendar.working_hours_between(datetime(2026, 11, 23, 11, 0), datetime(2026, 11, 23, 15, 0)) == 2
    # A limit that ends exactly at noon ends at noon, not after lunch.
    assert calendar.add_working_hours(datetime(2026, 11, 23, 11, 30), 0.5) == datetime(2026, 11, 23, 12, 0)
    # A case reported during lunch starts counting at 14:00.
    assert calendar.add_working_hours(datetime(2026, 11, 23, 12, 30), 1) == datetime(2026, 11, 23, 15, 0)


def test_urgent_limits_run_through_the_night(calendar: WorkingCalendar) -> None:
    urgent = TimeLimit(2, "natural", "2自然时")
    start = datetime(2026, 10, 1, 23, 0)  # a holiday night
    assert calendar.deadline(start, urgent) == datetime(2026, 10, 2, 1, 0)
    assert calendar.elapsed(start, datetime(2026, 10, 2, 3, 0), urgent) == 4
    assert calendar.overdue_multiple(start, datetime(2026, 10, 2, 3, 0), urgent) == pytest.approx(1.0)


def test_overdue_multiple_on_working_time(calendar: WorkingCalendar) -> None:
    limit = TimeLimit(4, "working", "4工作时")
    start = datetime(2026, 11, 23, 8, 0)  # Monday
    assert calendar.deadline(start, limit) == datetime(2026, 11, 23, 12, 0)
    assert calendar.overdue_multiple(start, datetime(2026, 11, 23, 11, 0), limit) == 0
    # 8 working hours on Monday + 2 on Tuesday = 10 → 10 / 4 − 1 = 1.5 times over.
    assert calendar.overdue_multiple(start, datetime(2026, 11, 24, 10, 0), limit) == pytest.approx(1.5)


def test_a_city_can_declare_its_own_days(city_dir) -> None:
    (city_dir / "holidays.csv").write_text(
        "date,day_type,name,source\n2026-11-24,holiday,local holiday,test\n2026-11-28,workday,extra,test\n",
        encoding="utf-8")
    cal = load_calendar_file(city_dir / "calendar.yaml")
    assert not cal.is_working_day(date(2026, 11, 24))
    assert cal.is_working_day(date(2026, 11, 28))  # a Saturday


def test_years_chinese_calendar_does_not_know_fall_back_to_weekends(calendar: WorkingCalendar) -> None:
    assert calendar.knows_holidays_for(2026)
    assert not calendar.knows_holidays_for(2030)
    assert calendar.is_working_day(date(2030, 1, 2)) and not calendar.is_working_day(date(2030, 1, 5))


def test_other_working_hours_per_city(city_dir) -> None:
    edit(city_dir / "calendar.yaml", '["14:00", "18:00"]', '["14:30", "18:30"]')
    cal = load_calendar_file(city_dir / "calendar.yaml")
    assert cal.add_working_hours(datetime(2026, 11, 23, 11, 0), 2) == datetime(2026, 11, 23, 15, 30)


@pytest.mark.parametrize("periods, problem", [
    ('["14:00", "12:00"]', "ends before it starts"),
    ('["25:00", "26:00"]', "not a time of day"),
    ('["11:00", "15:00"]', "overlaps"),
    ('["2pm", "6pm"]', "not HH:MM"),
])
def test_bad_calendar_hours_are_rejected_naming_the_entry(city_dir, periods: str, problem: str) -> None:
    edit(city_dir / "calendar.yaml", '["14:00", "18:00"]', periods)
    with pytest.raises(ConfigError) as err:
        load_calendar_file(city_dir / "calendar.yaml")
    assert err.value.file.endswith("calendar.yaml")
    assert err.value.entry == "working_periods[2]"
    assert problem in err.value.problem


def test_iso_strings_with_an_offset_become_naive_china_standard_time() -> None:
    from standards.calendar import to_cst

    assert to_cst("2026-10-08T01:30:00+00:00") == datetime(2026, 10, 8, 9, 30)
    assert to_cst("2026-10-08T09:30:00") == datetime(2026, 10, 8, 9, 30)


def test_editing_the_overrides_file_is_picked_up(city_dir) -> None:
    cal = load_calendar_file(city_dir / "calendar.yaml")
    assert cal.is_working_day(date(2026, 11, 25))
    (city_dir / "holidays.csv").write_text("date,day_type,name,source\n2026-11-25,holiday,x,test\n",
                                           encoding="utf-8")
    assert not load_calendar_file(city_dir / "calendar.yaml").is_working_day(date(2026, 11, 25))


def _reference_add(cal: WorkingCalendar, start: datetime, hours: float) -> datetime:
    """Walk day by day through the working periods (slow, obviously right)."""
    from datetime import timedelta

    remaining, d = timedelta(hours=hours), start.date()
    while True:
        if cal.is_working_day(d):
            for a, b in cal.periods:
                lo = datetime.combine(d, datetime.min.time()) + timedelta(minutes=a)
                hi = datetime.combine(d, datetime.min.time()) + timedelta(minutes=b)
                if hi <= start:
                    continue
                lo = max(lo, start)
                if remaining <= hi - lo:
                    return lo + remaining
                remaining -= hi - lo
        d += timedelta(days=1)


def test_fast_arithmetic_agrees_with_walking_the_days(calendar: WorkingCalendar) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=300, deadline=None)
    @given(start=st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 1, 31)),
           minutes=st.integers(min_value=1, max_value=60 * 8 * 30))
    def check(start: datetime, minutes: int) -> None:
        start = start.replace(microsecond=0)
        end = calendar.add_working_hours(start, minutes / 60)
        assert end == _reference_add(calendar, start, minutes / 60)
        assert calendar.working_hours_between(start, end) == pytest.approx(minutes / 60)

    check()
