"""环比 on the 综合评价 dashboard is the change of the total, and it does not depend on the order months are published.

The hand-built city has one case registered in September (C11) and ten in October, so 朔城区 has a total in both.
October is published first, September afterwards — as when a month is settled late.
"""

from __future__ import annotations

import duckdb
import pytest

from standards.calendar import load_calendar
from standards.city import packaged_city
from tests.transforms.evaluation.city import D1, City
from transforms.evaluation import store
from transforms.evaluation.period import parse_period
from transforms.evaluation.scheme import load_scheme
from warehouse.migrate import migrate


@pytest.fixture
def both_published(october: City) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    migrate(con)
    october.load(con)
    scheme, calendar = load_scheme(), load_calendar(packaged_city())
    for month in ("2026-10", "2026-09"):  # the later month first
        store.compute_draft(con, parse_period(month), scheme, calendar)
        store.publish(con, parse_period(month))
    return con


def _total(con: duckdb.DuckDBPyConnection, period: str) -> float:
    row = con.execute("SELECT total_score FROM marts.score WHERE period = ? AND version = 1 AND object = 'region' "
                      "AND level = 'district' AND entity_code = ?", [period, D1]).fetchone()
    assert row is not None and row[0] is not None
    return float(row[0])


def test_a_month_published_before_its_predecessor_gets_its_change(both_published: duckdb.DuckDBPyConnection) -> None:
    con = both_published
    october, september = _total(con, "2026-10"), _total(con, "2026-09")
    assert october != september
    change = con.execute("SELECT mom_total_score, mom_change FROM marts.score_change WHERE period = '2026-10' "
                         "AND version = 1 AND object = 'region' AND level = 'district' AND entity_code = ?",
                         [D1]).fetchone()
    assert change == (september, round(october - september, 2))


def test_the_dashboard_shows_the_change_not_last_months_score(both_published: duckdb.DuckDBPyConnection) -> None:
    con = both_published
    october, september = _total(con, "2026-10"), _total(con, "2026-09")
    row = con.execute("SELECT total_score, mom_score, mom_change FROM marts.dash_score WHERE period_month = '2026-10' "
                      "AND object = 'region' AND level = 'district' AND entity_code = ?", [D1]).fetchone()
    assert row == (october, september, round(october - september, 2))
    # September has no August: no change rather than a made-up one
    assert con.execute("SELECT mom_change FROM marts.dash_score WHERE period_month = '2026-09' "
                       "AND entity_code = ?", [D1]).fetchone() == (None,)
