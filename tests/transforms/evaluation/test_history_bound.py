"""The history bound: a period reads events from a little before it on, and recomputes from their own report on the
cases reported earlier. It changes what is read, never a result.

C20 is a long-lived case: reported, 立案 and dispatched in August, 挂账 in August; in October it is taken off the
shelf, registered again, dispatched, handled and closed. Its first 立案 is in August, so it is not in October's
cohort: read from October's events alone, it would wrongly count as 立案 in October (立案数 of G1 + 1).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import duckdb
import pytest

from standards.calendar import load_calendar
from standards.city import packaged_city
from tests.support import evaluation_reference as reference
from tests.transforms.evaluation.agreement import assert_same_indicators
from tests.transforms.evaluation.city import DA, G1, City, at, build_october
from transforms.evaluation import engine
from transforms.evaluation.period import parse_period
from transforms.evaluation.scheme import load_scheme
from warehouse.migrate import migrate

COLUMNS = "object, level, entity_code, indicator, numerator, denominator, value"


def _with_c20(city: City) -> City:
    (city.case("C20", "2026-08-03 09:00", source="public", grid=G1)
        .ev("report", "2026-08-03 09:00", "op1", "operator")
        .ev("accept", "2026-08-03 09:10", "op1", "operator", met=True, outcome="sent_to_verify")
        .ev("verify", "2026-08-03 10:00", "sup1", "supervisor", met=True, outcome="confirmed")
        .ev("register", "2026-08-03 10:30", "sl1", "shift_leader", met=True)
        .ev("dispatch", "2026-08-04 09:00", "dp1", "dispatcher", dept=DA, met=True)
        .ev("shelve", "2026-08-10 09:00", "sl1", "shift_leader", outcome="approved")
        .ev("unshelve", "2026-10-12 09:00", "sl1", "shift_leader")
        .ev("register", "2026-10-12 09:30", "sl1", "shift_leader", met=True)
        .ev("dispatch", "2026-10-12 10:00", "dp1", "dispatcher", dept=DA, met=True)
        .ev("feedback", "2026-10-13 10:00", "hA", "department", met=True)
        .ev("check", "2026-10-13 15:00", "sup1", "supervisor", met=True, outcome="passed")
        .ev("close", "2026-10-14 09:00", "sl1", "shift_leader", met=True))
    return city


def _run(city: City, lookback: timedelta) -> tuple[engine.RunInfo, list[Any], list[Any], duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    migrate(con)
    city.load(con)
    info = engine.run(con, parse_period("2026-10"), load_scheme(), load_calendar(packaged_city()), lineage=False,
                      history_lookback=lookback)
    ind = con.execute(f"SELECT {COLUMNS} FROM eval_indicator ORDER BY ALL").fetchall()
    score = con.execute("SELECT * FROM eval_score ORDER BY ALL").fetchall()
    return info, ind, score, con


def _rounded(rows: list[Any]) -> list[Any]:
    return [tuple(round(v, 9) if isinstance(v, float) else v for v in r) for r in rows]


@pytest.mark.parametrize("semi_join", [False, True])
@pytest.mark.parametrize("with_c20", [False, True])
def test_the_history_bound_changes_no_result(with_c20: bool, semi_join: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if semi_join:  # the scope as a semi join with the window's cases instead of aggregating every case in the bound
        monkeypatch.setattr(engine, "AGGREGATE_ALL_SHARE", 2.0)
    make = (lambda: _with_c20(build_october())) if with_c20 else build_october
    results = {days: _run(make(), timedelta(days=days)) for days in (0, 7, 3650)}
    # lookback 0: C11 (reported 09-28) and C20 (08-03) are read in the second pass; 3650 days: nobody is
    assert results[0][0].early_history_cases == (2 if with_c20 else 1)
    assert results[7][0].early_history_cases == (1 if with_c20 else 0)
    assert results[3650][0].early_history_cases == 0
    base = results[3650]
    for days in (0, 7):
        assert _rounded(results[days][1]) == _rounded(base[1]), days
        assert results[days][2] == base[2], days
    for _, _, _, con in results.values():
        con.close()


def test_a_long_lived_case_keeps_its_first_register() -> None:
    info, ind, _, con = _run(_with_c20(build_october()), engine.HISTORY_LOOKBACK)
    assert info.early_history_cases == 1
    assert con.execute("SELECT registered_at FROM eval_case_summary WHERE case_id = 't:C20'").fetchone() == (
        con.execute("SELECT TIMESTAMP '2026-08-03 10:30'").fetchone())
    assert con.execute("SELECT count(*) FROM eval_case_fact WHERE case_id = 't:C20'").fetchone() == (0,)
    # the region indicators are those of the city without C20 (not in October's cohort) …
    _, plain, _, plain_con = _run(build_october(), engine.HISTORY_LOOKBACK)
    region = [r for r in ind if r[0] == "region"]
    assert _rounded(region) == _rounded([r for r in plain if r[0] == "region"])
    # … while its October register and dispatch count for the shift leader and the dispatcher
    before = dict(((r[2], r[3]), r[4]) for r in plain if r[0] in ("shift_leader", "dispatcher"))
    after = dict(((r[2], r[3]), r[4]) for r in ind if r[0] in ("shift_leader", "dispatcher"))
    assert after[("sl1", "registered")] == before[("sl1", "registered")] + 1
    assert after[("dp1", "dispatched")] == before[("dp1", "dispatched")] + 1
    # and the pandas reference, which reads every event, agrees
    events = con.execute("SELECT * FROM core.case_event").df()
    cases = con.execute('SELECT * FROM core."case"').df()
    pdf = reference.indicators(events, cases, parse_period("2026-10"), load_calendar(packaged_city()))
    sql = con.execute(f"SELECT {COLUMNS} FROM eval_indicator").df()
    assert_same_indicators(sql, pdf)
    con.close()
    plain_con.close()


def test_a_case_reported_after_the_cut_off_is_looked_up_without_the_report_bounds() -> None:
    """A source error (reported_at after the case's own events) must not lose the case's location or source."""
    def late_report(city: City) -> City:
        city.cases[0].reported_at = at("2026-12-15 09:00")  # C01, all of whose events are in October
        return city
    info, ind, score, con = _run(late_report(build_october()), engine.HISTORY_LOOKBACK)
    assert info.early_history_cases == 1
    _, plain, plain_score, plain_con = _run(build_october(), engine.HISTORY_LOOKBACK)
    assert _rounded(ind) == _rounded(plain)
    assert score == plain_score
    con.close()
    plain_con.close()


def _run_misreported(flags: list[str], lookback: timedelta) -> list[Any]:
    """C20 as a source delivered it: its reported_at says 10-12 although its events began on 08-03."""
    con = duckdb.connect()
    migrate(con)
    _with_c20(build_october()).load(con)
    con.execute("UPDATE core.\"case\" SET reported_at = TIMESTAMP '2026-10-12 09:00', flags = ? "
                "WHERE case_id = 't:C20'", [flags])
    engine.run(con, parse_period("2026-10"), load_scheme(), load_calendar(packaged_city()), lineage=False,
               history_lookback=lookback)
    rows = _rounded(con.execute(f"SELECT {COLUMNS} FROM eval_indicator ORDER BY ALL").fetchall())
    con.close()
    return rows


@pytest.mark.parametrize("flag", engine.EARLY_EVENT_FLAGS)
def test_a_case_flagged_with_events_before_its_report_is_read_whole(flag: str) -> None:
    """The loaders flag a case whose events precede its reported_at (event_before_report, closed_before_opened);
    such a case's history is read from its first event, whatever reported_at says."""
    everything = _run_misreported([flag], timedelta(days=3650))
    assert _run_misreported([flag], engine.HISTORY_LOOKBACK) == everything
    # unflagged, reported_at is trusted and August is not read: the bound matters, so the flag is what saves it
    assert _run_misreported([], engine.HISTORY_LOOKBACK) != everything
