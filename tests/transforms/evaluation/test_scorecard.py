"""The evaluation office computes October 2026 for a small city whose every count is known by hand (city.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from szcg.cli import main
from szcg.settings import Settings
from tests.transforms.evaluation.city import C1, D1, D2, DA, DB, G1, G2, G3, G4, S1, City, late_feedback_for_c12
from warehouse.store import Warehouse


def _load(settings: Settings, city: City) -> None:
    with Warehouse(settings).writer() as con:
        city.load(con)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    rc = main([*argv, "--json"])
    out = capsys.readouterr().out
    assert rc == 0, out
    return json.loads(out)


def _ind(con: duckdb.DuckDBPyConnection, obj: str, level: str, entity: str, key: str, version: int = 0
         ) -> tuple[Any, Any, Any, Any]:
    row = con.execute(
        "SELECT numerator, denominator, value, score FROM marts.indicator_value WHERE period = '2026-10' "
        "AND version = ? AND object = ? AND level = ? AND entity_code = ? AND indicator = ?",
        [version, obj, level, entity, key],
    ).fetchone()
    assert row is not None, (obj, level, entity, key)
    return row


def _score(con: duckdb.DuckDBPyConnection, obj: str, level: str, entity: str, version: int = 0) -> dict[str, Any]:
    cur = con.execute("SELECT * FROM marts.score WHERE period = '2026-10' AND version = ? AND object = ? "
                      "AND level = ? AND entity_code = ?", [version, obj, level, entity])
    row = cur.fetchone()
    assert row is not None, (obj, level, entity)
    return dict(zip([d[0] for d in cur.description], row, strict=True))


@pytest.fixture
def computed(settings: Settings, october: City, small_scheme: Path, capsys: pytest.CaptureFixture[str]
             ) -> dict[str, Any]:
    _load(settings, october)
    return _run(capsys, "evaluate", "compute", "--period", "2026-10", "--scheme", str(small_scheme))


def test_region_indicators_and_scores_match_the_hand_count(settings: Settings, computed: dict[str, Any]) -> None:
    assert computed["counts"]["cohort_cases"] == 10  # C01–C09, C12
    with Warehouse(settings).reader() as con:
        # 朔城区 (G1–G3): C01–C07, C12; due = without C06 (挂账) and C07 (作废)
        assert _ind(con, "region", "district", D1, "registered")[2] == 8
        assert _ind(con, "region", "district", D1, "public_report_rate")[:3] == (2, 8, 0.25)
        assert _ind(con, "region", "district", D1, "close_rate")[:2] == (4, 6)
        assert _ind(con, "region", "district", D1, "on_time_close_rate")[:2] == (3, 6)
        assert _ind(con, "region", "district", D1, "handle_rate")[:2] == (5, 6)
        assert _ind(con, "region", "district", D1, "rework_rate")[:2] == (1, 6)
        assert _ind(con, "region", "district", D1, "overdue_rate")[:2] == (1, 6)
        # working minutes dispatch → last feedback: C01 60 (lunch), C02 600 (调休 Saturday), C03 180 (holiday),
        # C04 480, C05 660 (from the first, returned dispatch) → 1980 / 5 = 396 min = 6.6 h
        assert _ind(con, "region", "district", D1, "avg_handle_hours")[2] == pytest.approx(6.6)
        # 平鲁区 (G4): C08 150 min (weekend), C09 60 min (dispatched in the lunch break) → 1.75 h
        assert _ind(con, "region", "district", D2, "avg_handle_hours")[2] == pytest.approx(1.75)
        assert _ind(con, "region", "district", D2, "on_time_close_rate")[:2] == (1, 2)
        # scores: D1 = 75×10% + 100×20% + 66.67×30% + 50×40% = 67.50 (C); D2 = 100, 100, 100, 50 → 80.00 (B)
        d1, d2 = _score(con, "region", "district", D1), _score(con, "region", "district", D2)
        assert (d1["total_score"], d1["grade"], d1["colour"]) == (67.5, "C", "黄色")
        assert (d2["total_score"], d2["grade"], d2["rank"], d1["rank"]) == (80.0, "B", 1, 2)
        assert _score(con, "region", "street", S1)["total_score"] == 67.5
        assert _score(con, "region", "community", C1)["sample_size"] == 6  # G1 + G2
        # grids: G1 = 66.67×10 + 100×20 + 100×30 + 66.67×40 → 83.33; G2 → 53.33; G3 has no due case: its close
        # rates have no sample and public 50×10 + 100×20 are scaled to 100 % → 83.33, but 2 cases < 3: unranked
        g1, g2, g3 = (_score(con, "region", "grid", g) for g in (G1, G2, G3))
        assert (g1["total_score"], g1["rank"], g2["total_score"], g2["grade"], g2["rank"]) == (83.33, 1, 53.33, "D", 2)
        assert (g3["total_score"], g3["ranked"], g3["rank"]) == (83.33, False, None)
        assert _ind(con, "region", "grid", G3, "close_rate")[2:] == (None, None)
        assert _score(con, "region", "grid", G4)["ranked"] is False


def test_department_indicators_match_the_hand_count(settings: Settings, computed: dict[str, Any]) -> None:
    expected = {
        # A: C01, C02, C03, C12 due (C05 returned to B); B: C04, C05, C08, C09 due (C06 挂账)
        DA: dict(registered=5, due_count=4, handled_count=3, on_time_count=2, overdue_count=1, rework_count=1,
                 shelved_count=0, extended_count=0, returned_count=1),
        DB: dict(registered=5, due_count=4, handled_count=4, on_time_count=3, overdue_count=1, rework_count=0,
                 shelved_count=1, extended_count=1, returned_count=0),
    }
    with Warehouse(settings).reader() as con:
        for dept, counts in expected.items():
            for key, n in counts.items():
                assert _ind(con, "department", "department", dept, key)[2] == n, (dept, key)
        assert _ind(con, "department", "department", DA, "on_time_handle_rate")[2] == 0.5
        assert _ind(con, "department", "department", DA, "handle_rate")[2] == 0.75
        assert _ind(con, "department", "department", DA, "rework_rate")[2] == 0.25
        assert _ind(con, "department", "department", DA, "overdue_multiple")[2] == 0.5
        assert _ind(con, "department", "department", DB, "overdue_multiple")[2] == 1.25
        # A = 100×10% + 75×30% + 50×30% + 75×30% = 70.00 (C); B = 100, 75, 75, 100 → 85.00 (B), ranked first
        a, b = _score(con, "department", "department", DA), _score(con, "department", "department", DB)
        assert (a["total_score"], a["grade"], a["rank"]) == (70.0, "C", 2)
        assert (b["total_score"], b["grade"], b["rank"]) == (85.0, "B", 1)


def test_post_indicators_match_the_hand_count(settings: Settings, computed: dict[str, Any]) -> None:
    with Warehouse(settings).reader() as con:
        # 监督员 sup1: reports C01 C02 C04 C05 C12, all registered; missed C03 (hotline he verified) → 1/6;
        # 核查 C01 C02 C03(rework) C03(late) C04 C05 C11 → 6/7
        assert _ind(con, "supervisor", "supervisor", "sup1", "reports")[2] == 5
        assert _ind(con, "supervisor", "supervisor", "sup1", "valid_report_rate")[2] == 1.0
        assert _ind(con, "supervisor", "supervisor", "sup1", "missed_rate")[:2] == (1, 6)
        assert _ind(con, "supervisor", "supervisor", "sup1", "on_time_check_rate")[:2] == (6, 7)
        assert _score(con, "supervisor", "supervisor", "sup1")["total_score"] == 93.81  # A
        # sup2: reports C07 C08 C09 C10 (C10 不予立案) → 3/4; missed C06 → 1/5; verify C06 late, C13 on time → 1/2
        assert _ind(con, "supervisor", "supervisor", "sup2", "valid_report_rate")[:2] == (3, 4)
        assert _ind(con, "supervisor", "supervisor", "sup2", "missed_rate")[:2] == (1, 5)
        assert _ind(con, "supervisor", "supervisor", "sup2", "on_time_verify_rate")[:2] == (1, 2)
        assert _score(con, "supervisor", "supervisor", "sup2")["total_score"] == 76.0
        # 受理员: 6 accepts each (workload band 0 分); op1 sent C13 to verify late; no 派发核查 sample → its 35 %
        # is shared: op1 = (0×25 + 0×40)/65 = 0; op2 = (0×25 + 100×40)/65 = 61.54; op2 accurate 4/6 (C07, C10)
        assert _ind(con, "operator", "operator", "op1", "accepted")[2] == 6
        assert _ind(con, "operator", "operator", "op1", "on_time_check_dispatch_rate")[2:] == (None, None)
        assert _score(con, "operator", "operator", "op1")["total_score"] == 0.0
        assert _score(con, "operator", "operator", "op2")["total_score"] == 61.54
        assert _ind(con, "operator", "operator", "op2", "accurate_accept_rate")[:2] == (4, 6)
        # 值班长 sl1: 5 立案 + 1 不予立案 all on time, closes C01 C02 C05(late) C11 → 3/4 → 91.25
        # sl2: 立案 C07 late → 4/5, C07 作废 → 4/5, closes 3/3 → 87.00
        assert _ind(con, "shift_leader", "shift_leader", "sl1", "on_time_close_rate")[:2] == (3, 4)
        assert _score(con, "shift_leader", "shift_leader", "sl1")["total_score"] == 91.25
        assert _ind(con, "shift_leader", "shift_leader", "sl2", "accurate_register_rate")[:2] == (4, 5)
        assert _score(con, "shift_leader", "shift_leader", "sl2")["total_score"] == 87.0
        # 派遣员 dp1: C02 late, C05 returned → 4/5 and 4/5 → 64.00; dp2 (denied return does not count) → 80.00
        assert _ind(con, "dispatcher", "dispatcher", "dp1", "accurate_dispatch_rate")[:2] == (4, 5)
        assert _score(con, "dispatcher", "dispatcher", "dp1")["total_score"] == 64.0
        assert _ind(con, "dispatcher", "dispatcher", "dp2", "accurate_dispatch_rate")[:2] == (5, 5)
        assert _score(con, "dispatcher", "dispatcher", "dp2")["total_score"] == 80.0


def test_a_department_sees_which_cases_were_counted_overdue(
    settings: Settings, computed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    ex = _run(capsys, "evaluate", "explain", "--period", "2026-10", "--entity", DA, "--indicator", "按期处置率")
    assert (ex["numerator_cases"], ex["denominator_only_cases"]) == (["t:C01", "t:C03"], ["t:C02", "t:C12"])
    overdue = _run(capsys, "evaluate", "explain", "--period", "2026-10", "--entity", DA, "--indicator", "超期处置数")
    assert overdue["numerator_cases"] == ["t:C02"]
    assert main(["evaluate", "explain", "--period", "2026-10", "--entity", DA, "--indicator", "超期处置数"]) == 0
    assert "t:C02" in capsys.readouterr().out


def test_published_scorecard_is_frozen_when_late_events_arrive(
    settings: Settings, computed: dict[str, Any], small_scheme: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    published = _run(capsys, "evaluate", "publish", "--period", "2026-10")
    assert published["version"] == 1 and published["content_sha256"] == computed["content_sha256"]
    wh = Warehouse(settings)
    with wh.reader() as con:
        frozen = con.execute("SELECT * FROM marts.score WHERE version = 1 ORDER BY ALL").fetchall()
    with wh.writer() as con:
        late_feedback_for_c12(con)
    redraft = _run(capsys, "evaluate", "compute", "--period", "2026-10", "--scheme", str(small_scheme))
    assert redraft["content_sha256"] != computed["content_sha256"]  # the draft sees C12 handled now
    with wh.reader() as con:
        assert con.execute("SELECT * FROM marts.score WHERE version = 1 ORDER BY ALL").fetchall() == frozen
        assert _ind(con, "department", "department", DA, "handled_count", version=1)[2] == 3
        assert _ind(con, "department", "department", DA, "handled_count", version=0)[2] == 4
    # publishing twice is refused; a re-issue is a new version with its reason
    assert main(["evaluate", "publish", "--period", "2026-10"]) == 1
    capsys.readouterr()
    again = _run(capsys, "evaluate", "reissue", "--period", "2026-10", "--reason", "C12 反馈迟报",
                 "--scheme", str(small_scheme))
    assert again["version"] == 2
    with wh.reader() as con:
        assert con.execute("SELECT reason, supersedes, scheme_version FROM marts.scorecard WHERE version = 2"
                           ).fetchone() == ("C12 反馈迟报", 1, "test-1")
        assert con.execute("SELECT * FROM marts.score WHERE version = 1 ORDER BY ALL").fetchall() == frozen
        assert _ind(con, "department", "department", DA, "handled_count", version=2)[2] == 4
        assert {r[0] for r in con.execute("SELECT action FROM marts.evaluation_audit").fetchall()} == {
            "publish", "reissue"}


def test_an_accepted_appeal_produces_a_new_version_without_the_case(
    settings: Settings, computed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, "evaluate", "publish", "--period", "2026-10")
    # department A contests C02 (late because of the holiday backlog); a case it was never charged with is refused
    assert main(["evaluate", "appeal", "--period", "2026-10", "--entity", DA, "--case", "t:C09",
                 "--reason", "不是我们的案件"]) == 1
    capsys.readouterr()
    filed = _run(capsys, "evaluate", "appeal", "--period", "2026-10", "--entity", DA, "--case", "t:C02",
                 "--indicator", "按期处置率", "--reason", "节后积压，已报备", "--by", "DEPT_A")
    rejected = _run(capsys, "evaluate", "appeal", "--period", "2026-10", "--entity", DA, "--case", "t:C12",
                    "--reason", "月末派遣", "--by", "DEPT_A")
    no = _run(capsys, "evaluate", "decide", "--appeal", str(rejected["appeal_id"]), "--reject",
              "--reason", "在考核期内派遣，应计入")
    assert no["decision"] == "rejected" and no["version"] is None
    # the office decides under the city's scheme (here the packaged default)
    yes = _run(capsys, "evaluate", "decide", "--appeal", str(filed["appeal_id"]), "--accept", "--reason", "情况属实")
    assert yes["version"] == 2
    with Warehouse(settings).reader() as con:
        # C02 leaves A's on-time rate (now 2/3) and nothing else
        assert _ind(con, "department", "department", DA, "on_time_handle_rate", version=2)[:2] == (2, 3)
        assert _ind(con, "department", "department", DA, "overdue_count", version=2)[2] == 1
        assert _ind(con, "department", "department", DA, "on_time_handle_rate", version=1)[:2] == (2, 4)
        appeals = con.execute("SELECT appeal_id, status, resulting_version, decision_reason FROM marts.appeal "
                              "ORDER BY 1").fetchall()
        assert appeals == [(1, "accepted", 2, "情况属实"), (2, "rejected", None, "在考核期内派遣，应计入")]
        reason = con.execute("SELECT reason FROM marts.scorecard WHERE version = 2").fetchone()
        assert reason == ("申诉 #1 受理：情况属实",)
        actions = [r[0] for r in con.execute("SELECT action FROM marts.evaluation_audit ORDER BY audit_id").fetchall()]
        assert actions == ["publish", "appeal_filed", "appeal_filed", "appeal_rejected", "reissue",
                           "appeal_accepted"]


def test_ties_are_broken_by_sample_size_and_small_samples_are_not_ranked(
    settings: Settings, small_scheme: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    city = City()
    n = 0
    for dept, cases in (("DX", 3), ("DY", 4), ("DZ", 2)):  # all perfect; DZ has 2 cases (< 3)
        for _ in range(cases):
            n += 1
            day = f"2026-11-{2 + n % 4:02d}"
            (city.case(f"T{n:02d}", f"{day} 08:30", grid=G4)
                .ev("report", f"{day} 08:30", "sup2", "supervisor")
                .ev("register", f"{day} 09:00", "sl1", "shift_leader", met=True)
                .ev("dispatch", f"{day} 09:30", "dp1", "dispatcher", dept=dept, met=True)
                .ev("feedback", f"{day} 10:30", "h", "department", met=True)
                .ev("check", f"{day} 11:00", "sup2", "supervisor", met=True)
                .ev("close", f"{day} 11:30", "sl1", "shift_leader", met=True))
    _load(settings, city)
    _run(capsys, "evaluate", "compute", "--period", "2026-11", "--scheme", str(small_scheme))
    shown = _run(capsys, "evaluate", "show", "--period", "2026-11", "--object", "department")
    by = {s["entity_code"]: s for s in shown["scores"]}
    assert [by[d]["total_score"] for d in ("DX", "DY", "DZ")] == [100.0, 100.0, 100.0]
    assert (by["DY"]["rank"], by["DX"]["rank"], by["DZ"]["rank"], by["DZ"]["ranked"]) == (1, 2, None, False)
    assert by["DY"]["tie_break"] == "与另外 1 个对象同分 100.00：按样本量降序（本对象 4）、再按编码升序排定"
    assert by["DZ"]["tie_break"] is None


def test_bad_period_is_rejected_naming_the_field(capsys: pytest.CaptureFixture[str], settings: Settings) -> None:
    assert main(["evaluate", "compute", "--period", "2026-13"]) == 1
    assert "2026-13" in capsys.readouterr().err


def test_tampering_with_a_published_scorecard_stops_the_next_warehouse_publish(
    settings: Settings, computed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, "evaluate", "publish", "--period", "2026-10")
    wh = Warehouse(settings)
    with wh.writer() as con:
        con.execute("UPDATE marts.score SET total_score = 99 WHERE version = 1 AND entity_code = 'DEPT_A'")
    with pytest.raises(Exception, match="changed after publication"):
        wh.publish(reason="after tampering")
