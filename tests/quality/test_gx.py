"""The shared GX wrapper: a declared suite on a DataFrame, every failing row back as a RowProblem."""

from __future__ import annotations

import pandas as pd
import pytest

from quality.gx import Expectation, SuiteRunner, run_suite


def test_failing_rows_come_back_with_file_row_field_rule_and_message() -> None:
    frame = pd.DataFrame({
        "row_number": [1, 2, 3, 4],
        "code": ["0101", "01x1", None, "0102"],
        "state": ["intact", "broken", "intact", None],
        "amount": [1.0, 5.0, -2.0, 3.0],
    })
    specs = [
        Expectation("code.format", "regex", "code", "编码", "编码“{value}”应为4位数字", {"regex": r"^\d{4}$"}),
        Expectation("code.required", "not_null", "code", "编码", "必填"),
        Expectation("state.vocabulary", "in_set", "state", "状态", "状态“{value}”未知",
                    {"value_set": {"intact", "damaged"}}),
        Expectation("amount.range", "between", "amount", "数量", "数量 {value} 越界", {"min_value": 0, "max_value": 4}),
    ]
    problems = run_suite(frame, specs, file_name="batch.csv")
    got = sorted((p.row_number, p.field, p.rule, p.message) for p in problems)
    assert got == [
        (2, "数量", "amount.range", "数量 5.0 越界"),
        (2, "状态", "state.vocabulary", "状态“broken”未知"),
        (2, "编码", "code.format", "编码“01x1”应为4位数字"),
        (3, "数量", "amount.range", "数量 -2.0 越界"),
        (3, "编码", "code.required", "必填"),
    ]
    assert all(p.file == "batch.csv" for p in problems)


def test_one_runner_validates_many_chunks_and_a_clean_chunk_has_no_problems() -> None:
    runner = SuiteRunner("chunks", [Expectation("id.unique", "unique", "id", "ID", "重复：{value}"),
                                    Expectation("flag.null", "null", "flag", "flag", "应为空：{value}")])
    assert runner.run(pd.DataFrame({"row_number": [1, 2], "id": ["a", "b"], "flag": [None, None]}), "f") == []
    problems = runner.run(pd.DataFrame({"row_number": [3, 4], "id": ["c", "c"], "flag": [None, "x"]}), "f")
    assert sorted((p.row_number, p.rule) for p in problems) == [(3, "id.unique"), (4, "flag.null"), (4, "id.unique")]


def test_a_suite_with_two_identical_rules_is_refused() -> None:
    spec = Expectation("a", "not_null", "x", "x", "m")
    with pytest.raises(ValueError, match="same kind"):
        SuiteRunner("dup", [spec, Expectation("b", "not_null", "x", "x", "m")])
    with pytest.raises(ValueError, match="kind"):
        Expectation("c", "fuzzy", "x", "x", "m")


def test_validating_distinct_values_finds_exactly_the_rows_a_row_by_row_run_finds() -> None:
    """run_by_value validates each column's distinct values (nullness only for null/not-null rules) and maps the
    failing values back to rows: the same problems as run(), whatever the mix of cardinalities."""
    n = 3_000
    codes: list[str | None] = [f"{i:04d}" for i in range(n)]
    codes[7], codes[8], codes[100], codes[2_999] = "01x1", None, "01x1", "abc"
    frame = pd.DataFrame({
        "row_number": range(1, n + 1),
        "code": pd.array(codes, dtype="str"),
        "state": pd.array(["intact", "damaged", "broken", None, "lost"] * (n // 5), dtype="str"),
        "day": pd.array([20260101, 19890101, None] * (n // 3), dtype="Int64"),
        "flag": pd.array([None] * (n - 2) + ["x", "y"], dtype="str"),
        "id": [1, 2, 3] + [4] * (n - 3),
    })
    specs = [
        Expectation("code.format", "regex", "code", "编码", "编码“{value}”应为4位数字", {"regex": r"^\d{4}$"}),
        Expectation("code.required", "not_null", "code", "编码", "必填"),
        Expectation("state.vocabulary", "in_set", "state", "状态", "状态“{value}”未知",
                    {"value_set": {"intact", "damaged"}}),
        Expectation("state.required", "not_null", "state", "状态", "必填"),
        Expectation("day.range", "between", "day", "日期", "日期 {value} 越界",
                    {"min_value": 19900101, "max_value": 20301231}),
        Expectation("flag.null", "null", "flag", "标记", "应为空：{value}"),
        Expectation("id.unique", "unique", "id", "ID", "重复：{value}"),
    ]
    runner = SuiteRunner("by_value", specs)
    by_row = sorted((p.row_number, p.field, p.rule, p.message) for p in runner.run(frame, "f.csv"))
    by_value = sorted((p.row_number, p.field, p.rule, p.message) for p in runner.run_by_value(frame, "f.csv"))
    assert by_value == by_row
    rules = {rule for _, _, rule, _ in by_value}
    assert rules == {s.rule for s in specs}  # every rule fired somewhere, so the comparison means something
    assert (9, "编码", "code.required", "必填") in by_value and (n, "标记", "flag.null", "应为空：y") in by_value
    assert sum(1 for r in by_value if r[2] == "code.format") == 3
    clean = frame[frame["row_number"] == 1]
    assert runner.run_by_value(clean.assign(id=[9]), "f.csv") == []
