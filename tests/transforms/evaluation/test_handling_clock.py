"""超期 judged by the 处置 clock the case service keeps (casework.workflow.handle_clock_effects).

The case service's 处置 clock starts at 派遣, restarts at 返工 and 解除挂账, is moved by an approved 延期, stops at an
approved 回退 (the case waits at 立案 for re-dispatch) or 挂账, and is complete at 反馈 — the event that carries
the 处置 judgement. 签收 (``handle``) only moves the case to 处置中: the clock keeps running.

March 2026, cut-off 2026-04-01 00:00. Working time 08:00–12:00, 14:00–18:00, Monday to Friday (no holiday in
March). Subclass E04 (event): 3 working hours to 处置. Every expected value is counted by hand below.

* N1 (control) to A, dispatched Mon 03-02 09:00, nothing since: 03-02 gives 7 h (09–12, 14–18), 03-03…03-31 are
  21 working days × 8 h = 168 h → 175 h elapsed, 超期, 超时倍数 175 / 3 − 1 = 57.333…
* H1 as N1 but signed for (``handle``) at 10:00 and never reported back: the clock keeps running → 超期, 57.333…
* E1 to B, signed for, 延期 approved with its deadline recorded (03-05 18:00), no 反馈 → 超期 on that deadline,
  no 超时倍数 (judged on the recorded deadline).
* R1 to A, 回退 requested and approved the same morning, waiting at 立案: A is not charged (not 应处置, not 超期),
  and the region's case is not 超期 either (no 处置 clock runs; the dispatch clock does).
* W1 to A, 反馈 on time (03-02 12:00, 3 h), 核查 failed → 返工 Mon 03-30 09:00, not finished: the clock restarted
  at 返工, 03-30 gives 7 h and 03-31 8 h → 15 h, 超期, 15 / 3 − 1 = 4.
* F1 to B, signed for with a (stray) late judgement on the sign-for, 反馈 on time, 核查, 结案: the 处置 judgement is
  the 反馈's → 按期结案.
"""

from __future__ import annotations

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

HANDBOOK = Handbook("test", "t1", "test-handbook", {
    ("event", "E04"): HandbookRule(
        subclass_code="E04", kind="event", register_condition="", close_condition="", department_code=DA,
        handling_class="normal",
        limits={step: TimeLimit(1.0, "working") for step in STEPS} | {"handle": TimeLimit(3.0, "working", "3工作时")}),
})


def _dispatched(city: City, cid: str, dept: str) -> None:
    (city.case(cid, "2026-03-02 08:00")
        .ev("report", "2026-03-02 08:00", "sup1", "supervisor")
        .ev("register", "2026-03-02 08:10", "sl1", "shift_leader", met=True)
        .ev("dispatch", "2026-03-02 09:00", "dp1", "dispatcher", dept=dept, met=True))


def build_march() -> City:
    city = City()
    _dispatched(city, "N1", DA)
    _dispatched(city, "H1", DA)
    city.cases[-1].ev("handle", "2026-03-02 10:00", "hA", "department")
    _dispatched(city, "E1", DB)
    (city.cases[-1].ev("handle", "2026-03-02 09:30", "hB", "department")
        .ev("extend", "2026-03-02 10:00", "hB", "department", outcome="requested")
        .ev("extend", "2026-03-02 11:00", "sl1", "shift_leader", outcome="approved"))
    _dispatched(city, "R1", DA)
    (city.cases[-1].ev("return", "2026-03-02 09:30", "hA", "department", outcome="requested")
        .ev("return", "2026-03-02 10:00", "dp1", "dispatcher", outcome="approved"))
    _dispatched(city, "W1", DA)
    (city.cases[-1].ev("handle", "2026-03-02 09:30", "hA", "department")
        .ev("feedback", "2026-03-02 12:00", "hA", "department", met=True)
        .ev("rework", "2026-03-30 09:00", "sup1", "supervisor", met=True, outcome="failed"))
    _dispatched(city, "F1", DB)
    (city.cases[-1].ev("handle", "2026-03-02 09:10", "hB", "department", met=False, multiple=0.5)
        .ev("feedback", "2026-03-02 11:00", "hB", "department", met=True)
        .ev("check", "2026-03-02 15:00", "sup1", "supervisor", met=True, outcome="passed")
        .ev("close", "2026-03-02 16:00", "sl1", "shift_leader", met=True))
    return city


@pytest.fixture
def march() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    migrate(con)
    build_march().load(con)
    con.execute("UPDATE core.\"case\" SET kind = 'event', subclass_code = 'E04'")
    con.execute("UPDATE core.case_event_row SET deadline_at = TIMESTAMP '2026-03-05 18:00' "
                "WHERE case_id = 't:E1' AND action = 'extend' AND outcome = 'approved'")
    return con


def _ind(con: duckdb.DuckDBPyConnection, obj: str, entity: str, key: str) -> tuple[float, float | None, float]:
    row = con.execute("SELECT numerator, denominator, value FROM eval_indicator WHERE object = ? AND entity_code = ? "
                      "AND indicator = ?", [obj, entity, key]).fetchone()
    assert row is not None, (obj, entity, key)
    return row


def _cases(con: duckdb.DuckDBPyConnection, obj: str, entity: str, key: str, role: str = "numerator") -> list[str]:
    rows = con.execute("SELECT DISTINCT case_id FROM eval_lineage WHERE object = ? AND entity_code = ? "
                       "AND indicator = ? AND role = ? ORDER BY case_id", [obj, entity, key, role]).fetchall()
    return [r[0].removeprefix("t:") for r in rows]


def _run(con: duckdb.DuckDBPyConnection) -> None:
    engine.run(con, parse_period("2026-03"), load_scheme(), load_calendar(packaged_city()), handbook=HANDBOOK)


def test_a_case_only_signed_for_keeps_its_clock_running(march: duckdb.DuckDBPyConnection) -> None:
    _run(march)
    assert {"H1", "N1"} <= set(_cases(march, "region", D1, "overdue_rate"))
    assert {"H1", "N1"} <= set(_cases(march, "department", DA, "overdue_count"))
    assert "H1" not in _cases(march, "region", D1, "handle_rate")  # signed for is not 处置 complete


def test_an_approved_extension_of_a_case_under_way_sets_its_deadline(march: duckdb.DuckDBPyConnection) -> None:
    _run(march)
    assert "E1" in _cases(march, "region", D1, "overdue_rate")
    assert _cases(march, "department", DB, "overdue_count") == ["E1"]
    assert _ind(march, "department", DB, "overdue_multiple")[1] == 0  # judged on the recorded deadline: no multiple


def test_a_department_that_rightly_returned_a_case_is_not_charged(march: duckdb.DuckDBPyConnection) -> None:
    _run(march)
    assert "R1" not in _cases(march, "department", DA, "due_count")
    assert "R1" not in _cases(march, "department", DA, "overdue_count")
    assert _cases(march, "department", DA, "returned_count") == ["R1"]
    assert "R1" in _cases(march, "department", DA, "registered")  # dispatched to A: counted, as 被回退的也计
    assert "R1" not in _cases(march, "region", D1, "overdue_rate")  # waits for re-dispatch: no 处置 clock runs
    assert "R1" in _cases(march, "region", D1, "overdue_rate", "denominator")  # still 应结案 for its region


def test_a_reworked_case_is_judged_from_its_rework(march: duckdb.DuckDBPyConnection) -> None:
    _run(march)
    assert "W1" in _cases(march, "region", D1, "overdue_rate")
    assert "W1" in _cases(march, "department", DA, "overdue_count")


def test_the_handling_judgement_is_the_feedbacks(march: duckdb.DuckDBPyConnection) -> None:
    _run(march)
    assert _cases(march, "region", D1, "on_time_close_rate") == ["F1"]
    assert _cases(march, "department", DB, "on_time_count") == ["F1"]


def test_hand_counted_figures_of_the_six_cases(march: duckdb.DuckDBPyConnection) -> None:
    _run(march)
    # 区域: 6 立案, 6 应结案; 超期 E1 H1 N1 W1; 结案/按期结案 F1; 处置 (反馈) F1 W1 of 6 dispatched
    assert _ind(march, "region", D1, "registered")[0] == 6
    assert _ind(march, "region", D1, "overdue_rate")[:2] == (4, 6)
    assert _ind(march, "region", D1, "on_time_close_rate")[:2] == (1, 6)
    assert _ind(march, "region", D1, "handle_rate")[:2] == (2, 6)
    # 按期处置率 of the region: 反馈 on time (F1; W1's 反馈 was on time too) ÷ 应处置 (dispatched and due: 6)
    assert _ind(march, "region", D1, "on_time_handle_rate")[:2] == (2, 6)
    # A: dispatched N1 H1 R1 W1; 应处置 N1 H1 W1; 超期 all three; 超时倍数 (172/3 + 172/3 + 4) / 3 = 356/9,
    # rounded once at the end (per case to 4 decimals first would give 39.555533…)
    assert _ind(march, "department", DA, "registered")[0] == 4
    assert _ind(march, "department", DA, "due_count")[0] == 3
    assert _ind(march, "department", DA, "overdue_count")[0] == 3
    n, d, v = _ind(march, "department", DA, "overdue_multiple")
    assert (n, d) == (pytest.approx(356 / 3, abs=1e-9), 3) and v == pytest.approx(356 / 9, abs=1e-9)
    # B: E1 F1 both 应处置; 超期 E1; 按期处置 F1
    assert _ind(march, "department", DB, "due_count")[0] == 2
    assert _ind(march, "department", DB, "on_time_handle_rate")[:2] == (1, 2)


def test_pandas_reference_follows_the_same_clock(march: duckdb.DuckDBPyConnection) -> None:
    period, calendar = parse_period("2026-03"), load_calendar(packaged_city())
    engine.run(march, period, load_scheme(), calendar, lineage=False, handbook=HANDBOOK)
    assert_engine_agrees_with_reference(march, period, calendar, HANDBOOK)


def test_the_engine_reads_the_clock_the_case_service_keeps() -> None:
    """Every case-service action, as the warehouse records it (vocabulary.yaml), does to the engine's 处置 clock
    (01_case_summary's bits) what the workflow table says it does."""
    from casework.workflow import Action, handle_clock_effects
    from transforms.cases.feed_pull import casework_actions
    from transforms.evaluation.engine import sql_model

    con = duckdb.connect()
    sql = sql_model("01_case_summary.sql")
    con.execute(sql[:sql.index("CREATE OR REPLACE TEMP TABLE eval_case_summary")])  # the two macros
    bits = {"start": 16 | 256 | 8192, "complete": 64, "stop": 512 | 1024, "extend": 2048}
    effects = handle_clock_effects()
    vocabulary = casework_actions()
    for action in Action:
        conformed = vocabulary[action.value]
        role = "supervisor" if action in (Action.rework, Action.check) else "department"
        row = con.execute("SELECT eval_bit(?, ?, ?, NULL)", [conformed["action"], conformed.get("outcome"), role]
                          ).fetchone()
        assert row is not None
        bit = int(row[0])
        seen = [effect for effect, mask in bits.items() if bit & mask]
        assert seen == ([effects[action]] if action in effects else []), (action.value, conformed, bit)
    assert effects[Action.feedback] == "complete" and Action.handle not in effects
    con.close()
