"""超期未处置: a case still open at the cut-off and past its 处置 deadline counts as 超期 (超期率, 超期处置数,
超时倍数).

November 2026, cut-off 2026-12-01 00:00 (Tuesday). Working time 08:00–12:00, 14:00–18:00 on working days; the 28th
and 29th are a weekend. The 指挥手册 of the test gives subclass E01 (event) 8 working hours to 处置 and K01
(component) 24 natural hours. Every expected value is counted by hand below.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from standards.calendar import load_calendar
from standards.city import packaged_city
from standards.handbook import STEPS, Handbook, HandbookRule, TimeLimit
from tests.transforms.evaluation.agreement import assert_engine_agrees_with_reference
from tests.transforms.evaluation.city import D1, DA, DB, City
from transforms.evaluation import engine
from transforms.evaluation.period import parse_period
from transforms.evaluation.scheme import load_scheme
from warehouse.migrate import migrate


def _rule(code: str, kind: str, handle: TimeLimit) -> HandbookRule:
    limits = {step: TimeLimit(1.0, "working") for step in STEPS} | {"handle": handle}
    return HandbookRule(subclass_code=code, kind=kind, register_condition="", close_condition="",
                        department_code=DA, handling_class="normal", limits=limits)


HANDBOOK = Handbook("test", "t1", "test-handbook", {
    ("event", "E01"): _rule("E01", "event", TimeLimit(8.0, "working", "8工作时")),
    ("component", "K01"): _rule("K01", "component", TimeLimit(24.0, "natural", "24自然时")),
})
SUBCLASS = {"E01": "event", "K01": "component"}


def _case(city: City, cid: str, dispatched: str, dept: str, subclass: str | None) -> tuple[City, str | None]:
    (city.case(cid, "2026-11-02 08:00")
        .ev("report", "2026-11-02 08:00", "sup1", "supervisor")
        .ev("register", "2026-11-02 08:10", "sl1", "shift_leader", met=True)
        .ev("dispatch", dispatched, "dp1", "dispatcher", dept=dept, met=True))
    return city, subclass


def build_november() -> tuple[City, dict[str, str | None]]:
    city, sub = City(), {}
    # O1 E01 with A since Mon 23rd 09:00: 7 + 4×8 + 8 = 47 working hours > 8 → 超期, 超时倍数 47/8 − 1 = 4.875
    _, sub["O1"] = _case(city, "O1", "2026-11-23 09:00", DA, "E01")
    # O2 E01 since Mon 30th 15:00: 3 h → not yet
    _, sub["O2"] = _case(city, "O2", "2026-11-30 15:00", DA, "E01")
    # O3 E01 with B, 延期 approved with its deadline recorded: 12-03 — not yet
    _, sub["O3"] = _case(city, "O3", "2026-11-23 09:00", DB, "E01")
    city.cases[-1].ev("extend", "2026-11-23 10:00", "sl1", "shift_leader", outcome="approved")
    # O4 E01 with B, 延期 to 11-25 18:00 (recorded) → 超期; no 超时倍数 (judged on the recorded deadline)
    _, sub["O4"] = _case(city, "O4", "2026-11-23 09:00", DB, "E01")
    city.cases[-1].ev("extend", "2026-11-23 10:00", "sl1", "shift_leader", outcome="approved")
    # O5 K01 with A since Sunday 29th 10:00: 38 natural hours > 24 → 超期, 38/24 − 1 = 0.5833
    _, sub["O5"] = _case(city, "O5", "2026-11-29 10:00", DA, "K01")
    # O6 without a subclass: no limit → not judged
    _, sub["O6"] = _case(city, "O6", "2026-11-02 09:00", DB, None)
    # O7 E01 handled (反馈 on time, recorded): not open
    _, sub["O7"] = _case(city, "O7", "2026-11-02 09:00", DA, "E01")
    city.cases[-1].ev("feedback", "2026-11-20 09:00", "hA", "department", met=True)
    # O8 E01 A → 回退 → B on Mon 30th 09:00: the clock restarts, 7 h → not yet (and A no longer has it)
    _, sub["O8"] = _case(city, "O8", "2026-11-23 09:00", DA, "E01")
    (city.cases[-1].ev("return", "2026-11-23 10:00", "dp1", "dispatcher", outcome="approved")
        .ev("dispatch", "2026-11-30 09:00", "dp1", "dispatcher", dept=DB, met=True))
    # O9 E01 挂账 with B: not 应结案 at all
    _, sub["O9"] = _case(city, "O9", "2026-11-09 09:00", DB, "E01")
    city.cases[-1].ev("shelve", "2026-11-10 09:00", "sl1", "shift_leader", outcome="approved")
    # O10 E01 with A, 延期 approved but no deadline recorded: cannot be judged → not counted
    _, sub["O10"] = _case(city, "O10", "2026-11-23 09:00", DA, "E01")
    city.cases[-1].ev("extend", "2026-11-23 10:00", "sl1", "shift_leader", outcome="approved")
    # O11 E01 with B since Fri 27th 17:00: 1 + 8 = 9 working hours (over the weekend) → 超期, 9/8 − 1 = 0.125
    _, sub["O11"] = _case(city, "O11", "2026-11-27 17:00", DB, "E01")
    return city, sub


@pytest.fixture
def november() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    migrate(con)
    city, sub = build_november()
    city.load(con)
    for cid, code in sub.items():
        if code:
            con.execute('UPDATE core."case" SET kind = ?, subclass_code = ? WHERE case_id = ?',
                        [SUBCLASS[code], code, f"t:{cid}"])
    # the deadlines the two recorded 延期 moved to
    con.execute("UPDATE core.case_event_row SET deadline_at = TIMESTAMP '2026-12-03 18:00' "
                "WHERE case_id = 't:O3' AND action = 'extend'")
    con.execute("UPDATE core.case_event_row SET deadline_at = TIMESTAMP '2026-11-25 18:00' "
                "WHERE case_id = 't:O4' AND action = 'extend'")
    return con


def _ind(con: duckdb.DuckDBPyConnection, obj: str, entity: str, key: str) -> tuple[float, float | None, float]:
    row = con.execute("SELECT numerator, denominator, value FROM eval_indicator WHERE object = ? AND entity_code = ? "
                      "AND indicator = ?", [obj, entity, key]).fetchone()
    assert row is not None, (obj, entity, key)
    return row


def _cases(con: duckdb.DuckDBPyConnection, obj: str, entity: str, key: str) -> list[str]:
    rows = con.execute("SELECT DISTINCT case_id FROM eval_lineage WHERE object = ? AND entity_code = ? "
                       "AND indicator = ? AND role = 'numerator' ORDER BY case_id", [obj, entity, key]).fetchall()
    return [r[0] for r in rows]


def test_open_cases_past_their_deadline_count_as_overdue(november: duckdb.DuckDBPyConnection) -> None:
    con = november
    engine.run(con, parse_period("2026-11"), load_scheme(), load_calendar(packaged_city()), handbook=HANDBOOK)
    # 区域: 11 registered, 10 due (O9 挂账); 超期 O1, O4, O5, O11
    assert _ind(con, "region", D1, "overdue_rate") == (4, 10, 0.4)
    assert _cases(con, "region", D1, "overdue_rate") == ["t:O1", "t:O11", "t:O4", "t:O5"]
    # 专业部门 A: due O1 O2 O5 O7 O10 (O8 returned); 超期 O1, O5; 超时倍数 (4.875 + 0.58333…) / 2, unrounded
    assert _ind(con, "department", DA, "due_count")[0] == 5
    assert _ind(con, "department", DA, "overdue_count")[0] == 2
    assert _cases(con, "department", DA, "overdue_count") == ["t:O1", "t:O5"]
    assert _ind(con, "department", DA, "overdue_multiple")[:2] == pytest.approx((4.875 + 38 / 24 - 1, 2), abs=1e-9)
    # B: due O3 O4 O6 O8 O11 (O9 挂账 with B); 超期 O4 (recorded 延期 deadline: no multiple), O11 (0.125)
    assert _ind(con, "department", DB, "due_count")[0] == 5
    assert _cases(con, "department", DB, "overdue_count") == ["t:O11", "t:O4"]
    assert _ind(con, "department", DB, "overdue_multiple") == pytest.approx((0.125, 1, 0.125))
    # on-time figures are untouched: nothing open is 按期 or 处置
    assert _ind(con, "department", DA, "on_time_count")[0] == 1  # O7
    con.close()


def test_without_a_handbook_only_recorded_deadlines_judge_open_cases(november: duckdb.DuckDBPyConnection) -> None:
    con = november
    engine.run(con, parse_period("2026-11"), load_scheme(), load_calendar(packaged_city()), lineage=False)
    assert _ind(con, "region", D1, "overdue_rate") == (1, 10, 0.1)  # O4's recorded 延期 deadline only
    # settled later: as of 12-04 O3's recorded deadline (12-03 18:00) has passed too
    engine.run(con, parse_period("2026-11"), load_scheme(), load_calendar(packaged_city()), lineage=False,
               as_of=datetime(2026, 12, 4))
    assert _ind(con, "region", D1, "overdue_rate")[:2] == (2, 10)
    con.close()


def test_pandas_reference_counts_the_same_open_cases(november: duckdb.DuckDBPyConnection) -> None:
    con = november
    period, calendar = parse_period("2026-11"), load_calendar(packaged_city())
    engine.run(con, period, load_scheme(), calendar, lineage=False, handbook=HANDBOOK)
    assert_engine_agrees_with_reference(con, period, calendar, HANDBOOK)
    con.close()


def _record_handle_deadline(con: duckdb.DuckDBPyConnection, case: str, deadline: str, step: str = "handle") -> None:
    """The deadline recorded on the case's (only) 派遣: a legacy export's 处置时限 (step 'handle': the import's
    convention, transforms/cases/legacy_import.py), or a live dispatch's own 派遣 deadline (step 'dispatch')."""
    con.execute("UPDATE core.case_event_row SET deadline_at = CAST(? AS TIMESTAMP), step = ? "
                "WHERE case_id = ? AND action = 'dispatch'", [deadline, step, f"t:{case}"])


@pytest.fixture
def november_with_export_deadlines(november: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    # O6 (no subclass: the handbook cannot judge it) carries the export's due time 11-20 18:00 → 超期, no multiple
    _record_handle_deadline(november, "O6", "2026-11-20 18:00")
    # O5 (K01: 38 natural hours > 24 by the handbook) is due 12-02 by the export: the export's due time wins
    _record_handle_deadline(november, "O5", "2026-12-02 00:00")
    # O2's 派遣 deadline (the 派遣 step's own, passed) is not a 处置 deadline: O2 stays not yet overdue (3 h < 8)
    _record_handle_deadline(november, "O2", "2026-11-30 15:30", step="dispatch")
    return november


def test_an_open_case_past_the_export_due_time_is_overdue(
        november_with_export_deadlines: duckdb.DuckDBPyConnection) -> None:
    con = november_with_export_deadlines
    engine.run(con, parse_period("2026-11"), load_scheme(), load_calendar(packaged_city()), handbook=HANDBOOK)
    assert _cases(con, "region", D1, "overdue_rate") == ["t:O1", "t:O11", "t:O4", "t:O6"]
    assert _cases(con, "department", DA, "overdue_count") == ["t:O1"]
    assert _ind(con, "department", DA, "overdue_multiple") == pytest.approx((4.875, 1, 4.875))
    assert _cases(con, "department", DB, "overdue_count") == ["t:O11", "t:O4", "t:O6"]
    assert _ind(con, "department", DB, "overdue_multiple") == pytest.approx((0.125, 1, 0.125))
    con.close()


def test_pandas_reference_reads_the_export_due_time_too(
        november_with_export_deadlines: duckdb.DuckDBPyConnection) -> None:
    con = november_with_export_deadlines
    period, calendar = parse_period("2026-11"), load_calendar(packaged_city())
    engine.run(con, period, load_scheme(), calendar, lineage=False, handbook=HANDBOOK)
    assert_engine_agrees_with_reference(con, period, calendar, HANDBOOK)
    con.close()
