"""Which month a monthly run evaluates: the calendar month before the run's logical date, in China Standard Time.

A run due on 2026-11-01 02:00 CST evaluates 2026-10. Backfilling 2026-03-01 evaluates 2026-02, whatever day the
backfill actually runs, so past months can be recomputed exactly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from szcg.clock import CST

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def run_instant(context: Mapping[str, Any]) -> datetime:
    """The instant a run stands for: its logical date when it has one (scheduled and backfilled runs), else
    when it was due to run (``run_after``). In Airflow 3 a manual run (the UI's Trigger button, ``airflow dags
    trigger``, the REST API) and an Asset-triggered run have no logical date, and the task context then has no
    ``logical_date`` key at all."""
    logical_date = context.get("logical_date")
    if logical_date is not None:
        return logical_date  # type: ignore[no-any-return]
    dag_run = context.get("dag_run")
    run_after = getattr(dag_run, "run_after", None)
    if run_after is None:
        raise ValueError("the run has neither a logical date nor a run_after: which instant does it stand for?")
    return run_after  # type: ignore[no-any-return]


def previous_month(logical_date: datetime) -> str:
    """``YYYY-MM`` of the month before ``logical_date`` (an aware datetime; naive means CST)."""
    local = logical_date.astimezone(CST) if logical_date.tzinfo else logical_date
    first = date(local.year, local.month, 1)
    last_of_previous = first - timedelta(days=1)
    return f"{last_of_previous:%Y-%m}"


def check_period(period: str) -> str:
    """Accept ``YYYY-MM`` only (an override given in the run's conf)."""
    if not _PERIOD.match(period):
        raise ValueError(f"period {period!r}: expected YYYY-MM, e.g. 2026-10")
    return period


def month_bounds(period: str) -> tuple[datetime, datetime]:
    """[start, end) of the month as naive CST datetimes."""
    year, month = (int(x) for x in check_period(period).split("-"))
    start = datetime(year, month, 1)
    end = datetime(year + (month == 12), month % 12 + 1, 1)
    return start, end


def first_instant_after(period: str) -> datetime:
    """The logical date whose run evaluates ``period`` (00:00 CST on the 1st of the following month, aware)."""
    return month_bounds(period)[1].replace(tzinfo=CST)
