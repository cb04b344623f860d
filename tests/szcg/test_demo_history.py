"""Opened on any day, the demo's city has the 13 whole months before today's month behind it; a failing step
names itself."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from szcg.demo import StepFailed, history, stage


def test_on_7_december_the_history_is_november_to_november() -> None:
    start, periods = history(date(2026, 12, 7))
    assert start == date(2025, 11, 1)
    assert periods[0] == "2025-11" and periods[-1] == "2026-11" and len(periods) == 13
    assert "2025-11" in periods and "2026-10" in periods  # the latest month's 同比 and 环比 months


def test_in_january_the_history_starts_in_the_december_before_last() -> None:
    start, periods = history(date(2027, 1, 31))
    assert start == date(2025, 12, 1)
    assert periods == ["2025-12"] + [f"2026-{m:02d}" for m in range(1, 13)]


def test_a_failing_step_outside_airflow_names_itself_and_keeps_its_traceback(tmp_path: Path) -> None:
    with pytest.raises(StepFailed) as failed, stage("reference data", tmp_path):
        date.fromisoformat("2026-13-01")
    assert failed.value.step == "reference data"
    assert failed.value.reason == "ValueError: month must be in 1..12"
    assert failed.value.log == tmp_path / "reference-data.log"
    assert "Traceback" in failed.value.log.read_text(encoding="utf-8")
