"""China Standard Time is defined once (szcg.clock) and every instant the platform stamps is CST, whatever time zone
the machine runs in."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from szcg import clock
from tests.szcg.sources import production_sources, read

# A second definition of CST, a zone name spelled out, or a clock that reads the machine's local time zone.
COPY = re.compile(r"timedelta\(hours=8\)|[\"']Asia/Shanghai[\"']|\bdatetime\.now\(\)|\bdate\.today\(\)"
                  r"|\bdatetime\.utcnow\(|\bdatetime\.today\(\)")


def test_china_standard_time_is_defined_only_in_the_clock() -> None:
    found = [f"{path}:{n}: {line.strip()}" for path in production_sources() if path != "szcg/clock.py"
             for n, line in enumerate(read(path).splitlines(), start=1)
             if COPY.search(line.split("#", 1)[0])]
    assert not found, "use szcg.clock (CST, ZONE_NAME, now(), today()) instead of:\n" + "\n".join(found)


def test_the_copies_that_were_replaced_now_are_the_clock() -> None:
    from casework.service import now_cst
    from orchestration.names import CST as SCHEDULE_ZONE
    from orchestration.periods import CST
    from standards.calendar import to_cst

    assert CST is clock.CST and SCHEDULE_ZONE == clock.ZONE_NAME
    assert now_cst is clock.now and to_cst is clock.to_cst


@pytest.fixture
def machine_in_new_york() -> Iterator[None]:
    """The process's local time zone far from China (servers often run in UTC; this one is 12–13 hours off)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.mark.usefixtures("machine_in_new_york")
def test_now_and_today_are_china_time_whatever_the_machine_zone() -> None:
    before = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=8)
    now, today = clock.now(), clock.today()
    after = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=8)
    assert now.tzinfo is None and before <= now <= after
    assert today in (before.date(), after.date())


def test_to_cst_converts_offsets_and_keeps_naive_values() -> None:
    assert clock.to_cst("2026-10-08T01:30:00+00:00") == datetime(2026, 10, 8, 9, 30)
    assert clock.to_cst("2026-10-08T09:30:00") == datetime(2026, 10, 8, 9, 30)
    assert clock.to_cst(datetime(2026, 12, 31, 20, tzinfo=timezone(timedelta(hours=-5)))) == datetime(2027, 1, 1, 9)
    # Before 1991 the tz database's Asia/Shanghai had summer time; szcg's CST is UTC+8 all year, every year.
    assert clock.to_cst(datetime(1988, 7, 1, 0, tzinfo=UTC)) == datetime(1988, 7, 1, 8)
    with pytest.raises(ValueError):
        clock.to_cst("yesterday")
    with pytest.raises(OverflowError):
        clock.to_cst(datetime(9999, 12, 31, 23, tzinfo=UTC))


@settings(deadline=None)  # a loaded 2-core machine: no per-example time limit
@given(st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9999, 12, 30)),
       st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_aware_and_to_cst_are_inverse(moment: datetime, offset_minutes: int) -> None:
    assert clock.to_cst(clock.aware(moment)) == moment
    elsewhere = clock.aware(moment).astimezone(timezone(timedelta(minutes=offset_minutes)))
    assert clock.to_cst(elsewhere) == moment and clock.aware(elsewhere) == clock.aware(moment)


def test_a_city_may_name_china_time_only() -> None:
    assert clock.ZONE_NAME in clock.ZONE_NAMES
    assert clock.CST.utcoffset(None) == clock.UTC_OFFSET == timedelta(hours=8)
