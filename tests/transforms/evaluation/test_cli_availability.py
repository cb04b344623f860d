"""``szcg evaluate show`` and ``explain`` say which indicators could not be computed for the version, and why.

The month is test_availability's legacy-shaped import (上报, 立案, 派遣 and for two cases 结案; no 反馈, no 核查, no
person on any event): 按期处置率 and 返工率 of the departments, 按期结案率 of the regions and every post indicator
are unavailable, each with the reason marts.indicator_availability stores.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from szcg.cli import main
from szcg.settings import Settings
from tests.transforms.evaluation.city import D1, DA
from tests.transforms.evaluation.test_availability import legacy_november
from transforms.evaluation import cli
from warehouse.store import Warehouse

NO_FEEDBACK = "本期案件没有处置反馈（反馈）环节记录"
NO_CHECK = "本期案件没有核查（核查）环节记录"


@pytest.fixture
def november(settings: Settings, small_scheme: Path, capsys: pytest.CaptureFixture[str]) -> Settings:
    with Warehouse(settings).writer() as con:
        legacy_november().load(con)
    assert main(["evaluate", "--period", "2026-11", "--scheme", str(small_scheme)]) == 0
    capsys.readouterr()
    return settings


def _json(capsys: pytest.CaptureFixture[str]) -> dict:  # type: ignore[type-arg]
    return json.loads(capsys.readouterr().out)


def test_show_lists_the_unavailable_indicators_with_their_reasons(november: Settings,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "show", "--period", "2026-11", "--json"]) == 0
    out = _json(capsys)
    assert out["version"] == 0 and out["scores"]
    reasons = {(u["object"], u["level"], u["indicator"]): (u["label"], u["input"], u["reason"])
               for u in out["unavailable"]}
    assert reasons[("department", "department", "on_time_handle_rate")] == ("按期处置率", "feedback", NO_FEEDBACK)
    assert reasons[("department", "department", "rework_rate")] == ("返工率", "check", NO_CHECK)
    assert reasons[("region", "district", "on_time_close_rate")][1] == "judged"
    assert {o for o, _, _ in reasons} == {"region", "department", "supervisor", "operator", "shift_leader",
                                          "dispatcher"}
    assert ("department", "department", "close_rate") not in reasons  # 结案率 was computed
    # the text says the same, one line each, after the scores; --object narrows both
    assert main(["evaluate", "show", "--period", "2026-11", "--object", "department"]) == 0
    text = capsys.readouterr().out
    assert f"不可用 department/department 按期处置率: {NO_FEEDBACK}" in text
    assert f"不可用 department/department 返工率: {NO_CHECK}" in text
    assert "region/district" not in text and text.index(DA) < text.index("不可用")


def test_show_of_a_complete_month_lists_nothing_unavailable(settings: Settings, october: object, small_scheme: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    with Warehouse(settings).writer() as con:
        october.load(con)  # type: ignore[attr-defined]
    assert main(["evaluate", "--period", "2026-10", "--scheme", str(small_scheme)]) == 0
    capsys.readouterr()
    assert main(["evaluate", "show", "--period", "2026-10", "--object", "department", "--json"]) == 0
    assert _json(capsys)["unavailable"] == []
    assert main(["evaluate", "show", "--period", "2026-10", "--object", "department"]) == 0
    assert "不可用" not in capsys.readouterr().out


def test_explain_of_an_unavailable_indicator_says_why(november: Settings,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    args = ["evaluate", "explain", "--period", "2026-11", "--entity", DA, "--object", "department",
            "--indicator", "按期处置率"]
    assert main([*args, "--json"]) == 0
    out = _json(capsys)
    assert (out["available"], out["unavailable_input"], out["unavailable_reason"]) == (False, "feedback", NO_FEEDBACK)
    assert out["value"] is None and out["score"] is None
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "按期处置率 (on_time_handle_rate) = 不可用" in text and f"本期不可用: {NO_FEEDBACK}" in text
    assert "计入分子的案件" not in text  # not an empty list: the reason instead
    # an indicator that was computed keeps its cases, and says it is available
    assert main(["evaluate", "explain", "--period", "2026-11", "--entity", D1, "--indicator", "结案率",
                 "--object", "region", "--json"]) == 0
    closed = _json(capsys)
    assert closed["available"] is True and closed["unavailable_reason"] is None
    assert (len(closed["numerator_cases"]), len(closed["denominator_only_cases"])) == (2, 2)


def test_explain_of_a_post_nobody_was_recorded_in_says_why_it_has_no_value(
        november: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    """No event names a 监督员: no supervisor has a score, so there is nothing to explain — and the refusal says
    that the indicator could not be computed this month, and why."""
    assert main(["evaluate", "explain", "--period", "2026-11", "--entity", "sup1", "--object", "supervisor",
                 "--indicator", "上报数"]) == 1
    err = capsys.readouterr().err
    assert "sup1" in err and "本期不可用" in err and "本期没有记录监督员经办的事件" in err
    # an entity that is simply not scored, for an indicator that was computed, is refused as before
    assert main(["evaluate", "explain", "--period", "2026-11", "--entity", "NOPE", "--object", "department",
                 "--indicator", "结案率"]) == 1
    err = capsys.readouterr().err
    assert "NOPE" in err and "不可用" not in err


def test_a_snapshot_from_before_availability_was_recorded_lists_nothing() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    assert cli._unavailable(con, "2026-11", 0) == []


def test_explain_lists_a_limited_slice_and_says_how_to_get_the_rest(november: Settings,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A district's indicator counts hundreds of thousands of cases at 10 M: explain lists ``--limit`` of them (in
    case order, from ``--offset``) under the totals, says how to get the rest, and ``--all`` lists every one."""
    args = ["evaluate", "explain", "--period", "2026-11", "--entity", D1, "--indicator", "结案率", "--object",
            "region"]
    assert main([*args, "--all", "--json"]) == 0
    every = _json(capsys)
    assert (every["total"], every["returned"], every["limit"]) == (4, 4, None)
    ordered = sorted(every["numerator_cases"] + every["denominator_only_cases"])
    assert main([*args, "--limit", "3", "--offset", "1", "--json"]) == 0
    part = _json(capsys)
    assert (part["total"], part["returned"], part["offset"], part["limit"]) == (4, 3, 1, 3)
    assert (part["numerator_total"], part["denominator_only_total"]) == (2, 2)
    assert sorted(part["numerator_cases"] + part["denominator_only_cases"]) == ordered[1:]
    assert main([*args, "--limit", "1"]) == 0
    text = capsys.readouterr().out
    assert "共 4 件，列出第 1–1 件；--offset 1 看后续，--all 列出全部" in text
    assert "(共 2，列出 1)" in text and "(共 2，列出 0)" in text
    assert main(args) == 0  # the default limit covers them: no paging line
    assert "列出全部" not in capsys.readouterr().out
    assert main([*args, "--limit", "0"]) == 1
    assert "limit" in capsys.readouterr().err
