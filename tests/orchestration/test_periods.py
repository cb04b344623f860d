"""A monthly run evaluates the month before its logical date, in China Standard Time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orchestration.periods import CST, check_period, first_instant_after, month_bounds, previous_month, run_instant


def test_the_run_due_on_the_first_evaluates_the_previous_month() -> None:
    assert previous_month(datetime(2026, 11, 1, 2, tzinfo=CST)) == "2026-10"
    assert previous_month(datetime(2026, 1, 1, tzinfo=CST)) == "2025-12"


def test_the_logical_date_is_read_in_china_standard_time() -> None:
    # 2026-10-31 17:00 UTC is already 1 November 01:00 in Shuozhou
    assert previous_month(datetime(2026, 10, 31, 17, tzinfo=UTC)) == "2026-10"
    assert previous_month(datetime(2026, 10, 31, 15, tzinfo=UTC)) == "2026-09"


def test_backfilling_a_month_is_the_inverse_of_its_period() -> None:
    for period in ("2025-12", "2026-01", "2026-02"):
        assert previous_month(first_instant_after(period)) == period
    assert month_bounds("2025-12") == (datetime(2025, 12, 1), datetime(2026, 1, 1))


def test_a_period_override_must_be_a_month() -> None:
    assert check_period("2026-03") == "2026-03"
    with pytest.raises(ValueError, match="expected YYYY-MM"):
        check_period("2026-13")


def test_a_run_without_a_logical_date_stands_for_when_it_was_due() -> None:
    """A manual or Asset-triggered run in Airflow 3 has no logical date: its context has no such key at all."""

    class Run:
        run_after = datetime(2026, 12, 7, 4, 30, tzinfo=UTC)

    assert run_instant({"dag_run": Run()}) == Run.run_after
    assert previous_month(run_instant({"dag_run": Run()})) == "2026-11"
    scheduled = datetime(2026, 11, 30, 18, tzinfo=UTC)  # the run due on 1 December 02:00 CST
    assert run_instant({"logical_date": scheduled, "dag_run": Run()}) == scheduled
    with pytest.raises(ValueError, match="neither a logical date nor a run_after"):
        run_instant({})
