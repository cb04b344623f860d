"""Evaluation periods: a calendar month ('2026-10') or any inclusive date range ('2026-01-01..2026-12-31')."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from szcg.errors import InputRejected, RowProblem


@dataclass(frozen=True)
class Period:
    key: str
    start: date  # first day
    end: date  # last day (inclusive)

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, datetime.min.time())

    @property
    def end_at(self) -> datetime:
        """Exclusive end instant: midnight after the last day."""
        return datetime.combine(self.end + timedelta(days=1), datetime.min.time())

    @property
    def is_month(self) -> bool:
        return re.fullmatch(r"\d{4}-\d{2}", self.key) is not None

    def previous_month(self) -> Period | None:
        """环比: the month before (only for month periods)."""
        if not self.is_month:
            return None
        return month(self.start.year - (self.start.month == 1), 12 if self.start.month == 1 else self.start.month - 1)

    def same_month_last_year(self) -> Period | None:
        """同比: the same month a year earlier."""
        return month(self.start.year - 1, self.start.month) if self.is_month else None


def month(year: int, mon: int) -> Period:
    start = date(year, mon, 1)
    nxt = date(year + (mon == 12), 1 if mon == 12 else mon + 1, 1)
    return Period(f"{year:04d}-{mon:02d}", start, nxt - timedelta(days=1))


def parse_period(text: str) -> Period:
    """'2026-10' → that month; '2026-01-01..2026-12-31' → that inclusive range."""
    raw = text.strip()
    m = re.fullmatch(r"(\d{4})-(\d{2})", raw)
    try:
        if m:
            return month(int(m.group(1)), int(m.group(2)))
        parts = raw.split("..")
        if len(parts) == 2:
            start, end = date.fromisoformat(parts[0]), date.fromisoformat(parts[1])
            if end < start:
                raise ValueError("the range ends before it starts")
            return Period(f"{start.isoformat()}..{end.isoformat()}", start, end)
    except ValueError as exc:
        raise _bad(raw, str(exc)) from exc
    raise _bad(raw, "expected YYYY-MM or YYYY-MM-DD..YYYY-MM-DD")


def _bad(raw: str, why: str) -> InputRejected:
    return InputRejected(
        f"period {raw!r}: {why}", [RowProblem("--period", 0, "period", "period_format", f"{raw!r}: {why}")]
    )
