"""A monthly run evaluates the month before its logical date, in China Standard Time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orchestration.periods import CST, check_period, first_instant_after, month_bounds, previous_month


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
