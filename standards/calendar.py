"""Working-time calendar: which days are working days and how many working hours lie between two instants.

Naive datetimes in China Standard Time. Working days follow, in order: the city's override file (its own
holidays and 调休 make-up working days), then the State Council holiday schedule from ``chinese-calendar``
(for the years that package knows), then the city's weekly rest days. Working hours are the city's daily periods
(8:00–12:00 and 14:00–18:00 by default); limits on natural time (urgent cases) run continuously.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, field_validator

from standards._files import file_stamp, read_csv_rows, read_yaml_model
from szcg.clock import to_cst as to_cst  # re-exported: the calendar reads instants in CST
from szcg.configmodel import ConfigModel, KeyProblem
from szcg.errors import ConfigError

if TYPE_CHECKING:
    from standards.city import CityConfig
    from standards.handbook import TimeLimit

_MAX_SCAN_DAYS = 3660  # a deadline further than ten years away means the calendar has no working days


@dataclass(frozen=True)
class DayOverride:
    day: date
    working: bool
    name: str = ""
    source: str = ""


def _minutes(text: str) -> int:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not m:
        raise ValueError(f"{text!r} is not HH:MM")
    hours, minutes = int(m.group(1)), int(m.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"{text!r} is not a time of day")
    return hours * 60 + minutes


def _at(d: date, minutes: int) -> datetime:
    return datetime.combine(d, time()) + timedelta(minutes=minutes)


@dataclass
class WorkingCalendar:
    """Working days and daily working periods of one city."""

    periods: tuple[tuple[int, int], ...] = ((8 * 60, 12 * 60), (14 * 60, 18 * 60))  # minutes after midnight
    rest_weekdays: frozenset[int] = frozenset({6, 7})  # ISO weekday numbers
    use_chinese_calendar: bool = True
    overrides: dict[date, DayOverride] = field(default_factory=dict)
    source: str = ""
    _years: dict[int, list[int]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def hours_per_day(self) -> float:
        return sum(end - start for start, end in self.periods) / 60

    # --- days -------------------------------------------------------------------------------------------------
    def is_working_day(self, d: date) -> bool:
        if isinstance(d, datetime):
            d = d.date()
        override = self.overrides.get(d)
        if override is not None:
            return override.working
        if self.use_chinese_calendar:
            known = _chinese_calendar_workday(d)
            if known is not None:
                return known
        return d.isoweekday() not in self.rest_weekdays

    def knows_holidays_for(self, year: int) -> bool:
        """True when the public holidays of ``year`` are known (chinese-calendar or this city's override file)."""
        if any(day.year == year and not o.working for day, o in self.overrides.items()):
            return True
        return self.use_chinese_calendar and _chinese_calendar_workday(date(year, 1, 1)) is not None

    # Working time is kept as a cumulative count per year (microseconds of working time before each day), so a
    # deadline or an elapsed time costs a lookup and a bisect instead of a walk over the days.
    def _year(self, year: int) -> list[int]:
        cum = self._years.get(year)
        if cum is None:
            per_day = sum(end - start for start, end in self.periods) * 60 * 1_000_000
            d, cum, total = date(year, 1, 1), [0], 0
            while d.year == year:
                total += per_day if self.is_working_day(d) else 0
                cum.append(total)
                d += timedelta(days=1)
            self._years[year] = cum
        return cum

    def _within_day(self, t: datetime) -> int:
        if not self.is_working_day(t.date()):
            return 0
        us = ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond
        return sum(min(max(us - a * 60_000_000, 0), (b - a) * 60_000_000) for a, b in self.periods)

    def _worked(self, t: datetime) -> int:
        """Working microseconds from the start of t's year to t."""
        return self._year(t.year)[t.timetuple().tm_yday - 1] + self._within_day(t)

    # --- hours ------------------------------------------------------------------------------------------------
    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The earliest instant ``hours`` working hours after ``start`` (a start outside working time waits for
        the next working period; a result that falls exactly on the end of a period stays there)."""
        if hours < 0:
            raise ValueError(f"hours must not be negative (got {hours})")
        remaining = round(hours * 3_600_000_000)
        if remaining == 0:
            return start
        year, base = start.year, self._worked(start)
        for _ in range(_MAX_SCAN_DAYS // 365 + 1):
            cum = self._year(year)
            if base + remaining <= cum[-1]:
                target = base + remaining
                index = bisect.bisect_left(cum, target) - 1
                day = date(year, 1, 1) + timedelta(days=index)
                rest = target - cum[index]
                for a, b in self.periods:
                    length = (b - a) * 60_000_000
                    if rest <= length:
                        return _at(day, a) + timedelta(microseconds=rest)
                    rest -= length
            remaining -= cum[-1] - base
            year, base = year + 1, 0
        raise ValueError(f"no working time within {_MAX_SCAN_DAYS} days after {start:%Y-%m-%d %H:%M}")

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours from ``start`` to ``end`` (negative when ``end`` is earlier)."""
        if end < start:
            return -self.working_hours_between(end, start)
        if start.year == end.year:
            total = self._worked(end) - self._worked(start)
        else:
            total = self._year(start.year)[-1] - self._worked(start) + self._worked(end)
            total += sum(self._year(y)[-1] for y in range(start.year + 1, end.year))
        return total / 3_600_000_000

    # --- limits -----------------------------------------------------------------------------------------------
    def deadline(self, start: datetime, limit: TimeLimit) -> datetime:
        """When a step started at ``start`` must be done (natural-time limits simply add the hours)."""
        if limit.basis == "natural":
            return start + timedelta(hours=limit.hours)
        return self.add_working_hours(start, limit.hours)

    def elapsed(self, start: datetime, end: datetime, limit: TimeLimit) -> float:
        """Hours used between ``start`` and ``end``, counted on the limit's basis (working or natural)."""
        if limit.basis == "natural":
            return (end - start).total_seconds() / 3600
        return self.working_hours_between(start, end)

    def overdue_multiple(self, start: datetime, end: datetime, limit: TimeLimit) -> float:
        """超时倍数: how many times the limit was exceeded, max(0, elapsed / limit − 1)."""
        if limit.hours <= 0:
            raise ValueError("a time limit must be positive")
        return max(0.0, self.elapsed(start, end, limit) / limit.hours - 1.0)


def _chinese_calendar_workday(d: date) -> bool | None:
    """chinese-calendar's answer, or None for a year it has no State Council schedule for."""
    return _cc_lookup(d)


@functools.lru_cache(maxsize=8192)
def _cc_lookup(d: date) -> bool | None:
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:
        return None


# --- loading ----------------------------------------------------------------------------------------------------
Period = Annotated[list[str], Field(min_length=2, max_length=2)]


class CalendarFile(ConfigModel):
    """``calendar.yaml`` as written."""

    working_periods: list[Period] = Field(min_length=1)  # [["08:00", "12:00"], …] in order, not overlapping
    rest_weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(default_factory=lambda: [6, 7])  # ISO numbers
    public_holidays: Literal["chinese_calendar", "none"] = "chinese_calendar"
    overrides: str | None = None  # the city's own days (CSV), relative to this file

    @field_validator("working_periods")
    @classmethod
    def _ordered_periods(cls, value: list[list[str]]) -> list[list[str]]:
        end_before = -1
        for i, (first, last) in enumerate(value):
            try:
                start, end = _minutes(first), _minutes(last)
            except ValueError as exc:
                raise KeyProblem((i,), str(exc)) from None
            if end <= start:
                raise KeyProblem((i,), f"{first}–{last}: the period ends before it starts")
            if start < end_before:
                raise KeyProblem((i,), f"{first}–{last}: overlaps or precedes the previous period")
            end_before = end
        return value

    @field_validator("rest_weekdays")
    @classmethod
    def _some_working_day(cls, value: list[int]) -> list[int]:
        if len(set(value)) == 7:
            raise ValueError("every weekday is a rest day: no working time at all")
        return value

    @property
    def minutes(self) -> tuple[tuple[int, int], ...]:
        return tuple((_minutes(a), _minutes(b)) for a, b in self.working_periods)


def _parse_calendar(path: Path) -> WorkingCalendar:
    fname = str(path)
    data = read_yaml_model(CalendarFile, path)
    overrides: dict[date, DayOverride] = {}
    if data.overrides:
        opath = (path.parent / data.overrides).resolve()
        if not opath.is_file():
            raise ConfigError(fname, "overrides", f"file {opath} does not exist")
        for n, row in enumerate(read_csv_rows(opath, ("date", "day_type", "name", "source")), 1):
            entry = f"row {n} ({row.get('date')})"
            try:
                day = date.fromisoformat(row["date"])
            except ValueError as exc:
                raise ConfigError(str(opath), entry, f"date {row['date']!r} is not YYYY-MM-DD") from exc
            if row["day_type"] not in ("holiday", "workday"):
                raise ConfigError(str(opath), entry, f"day_type {row['day_type']!r}: expected holiday or workday")
            if day in overrides:
                raise ConfigError(str(opath), entry, "date listed twice")
            overrides[day] = DayOverride(day, row["day_type"] == "workday", row["name"], row["source"])
    return WorkingCalendar(
        periods=data.minutes,
        rest_weekdays=frozenset(data.rest_weekdays),
        use_chinese_calendar=data.public_holidays == "chinese_calendar",
        overrides=overrides,
        source=fname,
    )


@functools.lru_cache(maxsize=16)
def _load_calendar_cached(path: Path, stamps: tuple[int, int]) -> WorkingCalendar:
    return _parse_calendar(path)


def load_calendar_file(path: Path) -> WorkingCalendar:
    path = Path(path).resolve()
    overrides = read_yaml_model(CalendarFile, path).overrides
    opath = (path.parent / overrides).resolve() if overrides else None
    stamps = (file_stamp(path), file_stamp(opath) if opath is not None and opath.is_file() else 0)
    return _load_calendar_cached(path, stamps)


def load_calendar(city: CityConfig) -> WorkingCalendar:
    """The city's working-time calendar (cached per file)."""
    return load_calendar_file(city.calendar_file)
