"""A leader opening the dashboards on 7 December sees November, the latest whole month, not the few days of
December the live case service has so far."""

from __future__ import annotations

import duckdb

from dashboards.deploy import latest_complete_month


def _view(months: list[str]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.dash_case_month (period_month VARCHAR, district_code VARCHAR)")
    for month in months:
        con.execute("INSERT INTO marts.dash_case_month VALUES (?, '140602')", [month])
    return con


def test_the_running_month_is_not_the_default() -> None:
    con = _view(["2025-11", "2026-10", "2026-11", "2026-12"])
    assert latest_complete_month(con, "dash_case_month", "2026-12") == "2026-11"


def test_history_that_ended_long_ago_defaults_to_its_last_month() -> None:
    con = _view(["2026-01", "2026-02", "2026-03"])
    assert latest_complete_month(con, "dash_case_month", "2026-12") == "2026-03"


def test_only_the_running_month_then_it_is_shown_and_nothing_when_empty() -> None:
    assert latest_complete_month(_view(["2026-12"]), "dash_case_month", "2026-12") == "2026-12"
    assert latest_complete_month(_view([]), "dash_case_month", "2026-12") is None
