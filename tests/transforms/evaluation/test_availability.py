"""Indicators whose inputs the month's events lack are not available, with the reason — never a silent zero.

November 2026, four cases as a legacy export gives them (see transforms/cases/legacy_import.py): 上报, 立案, 派遣 to
DEPT_A and, for two, 结案 — no 反馈, no 核查, no person recorded on any event. Counted by hand, default scheme:

* 区域 (district 140602): 监督举报率 0 → 100 × 10, 立案数 4 → band ≤ 50: 100 × 20, 结案率 2/4 → 50 × 30; 按期结案率
  (weight 40) has no judgement to rest on → unavailable. Total (1000 + 2000 + 1500) / 60 = 75.00 (it was 65.00 with
  按期结案率 read as 2/4, the two closed cases "on time" for want of any deadline).
* 专业部门 DEPT_A: 立案数 4 → 100 × 10, 结案率 2/4 → 50 × 30; 按期处置率 (no 反馈) and 返工率 (no 核查, which scored
  a perfect 100) unavailable. Total (1000 + 1500) / 40 = 62.50 (it was 55.00).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from standards.calendar import load_calendar
from standards.city import packaged_city
from szcg.cli import main
from szcg.settings import Settings
from tests.transforms.evaluation.city import D1, DA, City
from transforms.evaluation import engine
from transforms.evaluation.period import parse_period
from transforms.evaluation.scheme import load_scheme
from usecases import scorecard_views
from warehouse.migrate import migrate
from warehouse.store import Warehouse


def legacy_november() -> City:
    city = City()
    for n in range(4):
        case = (city.case(f"L{n}", f"2026-11-0{n + 2} 09:00")
                .ev("report", f"2026-11-0{n + 2} 09:00", None, None)
                .ev("register", f"2026-11-0{n + 2} 09:00", None, None)
                .ev("dispatch", f"2026-11-0{n + 2} 09:00", None, None, dept=DA))
        if n < 2:
            case.ev("close", f"2026-11-1{n} 09:00", None, None, dept=DA)
    return city


@pytest.fixture
def november() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    migrate(con)
    legacy_november().load(con)
    return con


def _availability(con: duckdb.DuckDBPyConnection, obj: str, level: str) -> dict[str, tuple[bool, str | None]]:
    rows = con.execute("SELECT indicator, available, input FROM eval_indicator_availability "
                       "WHERE object = ? AND level = ?", [obj, level]).fetchall()
    return {k: (bool(a), i) for k, a, i in rows}


def test_indicators_without_their_inputs_are_unavailable_with_a_reason(november: duckdb.DuckDBPyConnection) -> None:
    con = november
    info = engine.run(con, parse_period("2026-11"), load_scheme(), load_calendar(packaged_city()))
    assert (info.cases_in_scope, info.cohort_cases, info.warnings) == (4, 4, [])
    region = _availability(con, "region", "district")
    assert {k: v for k, v in region.items() if not v[0]} == {
        "on_time_close_rate": (False, "judged"), "handle_rate": (False, "feedback"),
        "on_time_handle_rate": (False, "feedback"), "rework_rate": (False, "check"),
        "overdue_rate": (False, "judged"), "avg_handle_hours": (False, "feedback")}
    assert region["close_rate"] == (True, None) and region["registered"] == (True, None)
    dept = _availability(con, "department", "department")
    assert dept["on_time_handle_rate"] == (False, "feedback") and dept["rework_rate"] == (False, "check")
    assert dept["close_rate"] == (True, None)
    # nobody is recorded on an imported event: every post indicator says so
    posts = con.execute("SELECT DISTINCT input FROM eval_indicator_availability WHERE object = 'supervisor'").fetchall()
    assert posts == [("post:supervisor",)]
    reasons = {a.indicator: a.reason for a in info.unavailable if a.object == "department"}
    assert reasons["on_time_handle_rate"] == "本期案件没有处置反馈（反馈）环节记录"
    assert "核查" in (reasons["rework_rate"] or "")
    # no value, no score: neither a 0 % nor a perfect 100 — the counts stay for explain
    row = con.execute("SELECT numerator, denominator, value, score FROM eval_indicator_scored WHERE object = "
                      "'department' AND entity_code = ? AND indicator = 'rework_rate'", [DA]).fetchone()
    assert row == (0, 4, None, None)
    totals = dict(con.execute("SELECT object, total_score FROM eval_score WHERE entity_code IN (?, ?) "
                              "AND level IN ('district', 'department')", [D1, DA]).fetchall())
    assert totals == {"region": 75.0, "department": 62.5}


def test_a_complete_month_has_every_scored_indicator(november: duckdb.DuckDBPyConnection) -> None:
    """Once the steps are recorded (反馈 with its judgement, 核查), the same indicators are available again."""
    con = november
    for n in range(4):
        con.execute("INSERT INTO core.case_event_row (case_id, seq, event_id, action, occurred_at, department_code, "
                    "deadline_met, step, origin_system, batch_id) VALUES (?, 10, ?, 'feedback', "
                    "TIMESTAMP '2026-11-09 10:00', ?, ?, 'handle', 't', 'b'), (?, 11, ?, 'check', "
                    "TIMESTAMP '2026-11-09 11:00', NULL, NULL, NULL, 't', 'b')",
                    [f"t:L{n}", f"L{n}-f", DA, n != 0, f"t:L{n}", f"L{n}-c"])
    engine.run(con, parse_period("2026-11"), load_scheme(), load_calendar(packaged_city()))
    missing = con.execute("SELECT object, indicator, input FROM eval_indicator_availability "
                          "WHERE NOT available AND input <> 'sample' AND object IN ('region', 'department') "
                          "ORDER BY ALL").fetchall()
    assert missing == []


def test_cli_lists_unavailable_indicators_and_strict_fails_on_them(
        settings: Settings, small_scheme: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Warehouse(settings).writer() as con:
        legacy_november().load(con)
    assert main(["evaluate", "--period", "2026-11", "--scheme", str(small_scheme), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True
    unavailable = {(u["object"], u["level"], u["label"]): u["reason"] for u in out["unavailable"]}
    assert unavailable[("department", "department", "按期处置率")] == "本期案件没有处置反馈（反馈）环节记录"
    [warning] = out["warnings"]
    assert warning["code"] == "indicators_unavailable"
    assert {(w["object"], w["indicator"]) for w in warning["indicators"]} >= {
        ("region", "按期结案率"), ("department", "按期处置率"), ("department", "返工率")}
    with Warehouse(settings).reader() as con:
        stored = con.execute("SELECT input, reason FROM marts.indicator_availability WHERE period = '2026-11' "
                             "AND version = 0 AND object = 'department' AND indicator = 'rework_rate'").fetchall()
    assert stored == [("check", "本期案件没有核查（核查）环节记录")]
    # the office's board (the published snapshot of the draft) lists them beside the scores
    board = scorecard_views.board(settings, "2026-11", scorecard_views.scope_of("department", "department"))
    assert board is not None
    assert {(u.label, u.reason) for u in board.unavailable} >= {("返工率", "本期案件没有核查（核查）环节记录"),
                                                                ("按期处置率", "本期案件没有处置反馈（反馈）环节记录")}
    assert main(["evaluate", "--period", "2026-11", "--scheme", str(small_scheme), "--json", "--strict"]) == 3
    strict = json.loads(capsys.readouterr().out)
    assert strict["ok"] is False and strict["strict"] is True


def test_cases_in_scope_but_an_empty_cohort_is_a_warning(settings: Settings, small_scheme: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's 311 month: only 上报 and 结案 recorded (by a supervisor, so the 监督员 card can be computed)."""
    city = City()
    for n in range(3):
        (city.case(f"R{n}", f"2026-11-0{n + 2} 09:00")
            .ev("report", f"2026-11-0{n + 2} 09:00", "sup1", "supervisor")
            .ev("close", f"2026-11-1{n} 09:00", None, None))
    with Warehouse(settings).writer() as con:
        city.load(con)
    assert main(["evaluate", "--period", "2026-11", "--scheme", str(small_scheme), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["counts"]["cases_in_scope"], out["counts"]["cohort_cases"]) == (3, 0)
    empty = [w for w in out["warnings"] if w["code"] == "empty_cohort"]
    assert empty and empty[0]["unregistered_cases"] == 3
    assert "3 件没有立案（立案）环节记录" in empty[0]["message"]
    assert main(["evaluate", "--period", "2026-11", "--scheme", str(small_scheme), "--strict"]) == 3
    captured = capsys.readouterr()
    assert "没有一件在本期立案" in captured.out + captured.err
