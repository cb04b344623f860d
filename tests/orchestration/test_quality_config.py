"""The quality thresholds are configuration: a bad value is refused naming the file and the entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.quality_checks import load_thresholds
from szcg.errors import ConfigError


def test_the_shipped_thresholds_load() -> None:
    t = load_thresholds()
    assert t.late_data_hours["case_event"] > 0 and 0 < t.min_case_grid_share <= 1


def test_a_negative_lateness_is_refused_with_file_and_entry(tmp_path: Path) -> None:
    bad = tmp_path / "quality.yaml"
    bad.write_text("late_data_hours: {case_event: -1}\nmin_case_grid_share: 0.9\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_thresholds(bad)
    assert "late_data_hours" in str(caught.value) and str(bad) in str(caught.value)
