"""quality.yaml is a typed model: a source the check does not know, an unknown key or a wrong type is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.quality_checks import CONFIG, load_thresholds
from szcg.errors import ConfigError

TEXT = CONFIG.read_text(encoding="utf-8")


@pytest.mark.parametrize(("old", "new", "entry", "problem"), [
    ("  hotline_call: 48", "  hotline_calls: 48", "late_data_hours.hotline_calls",
     "expected 'case_event', 'hotline_call' or 'component'"),
    ("min_case_grid_share: 0.98", "min_case_grid_share: 98%", "min_case_grid_share", "expected a number"),
    ("examples_per_check: 10", "examples_per_check: 10\nexample_per_check: 5", "example_per_check",
     "unknown key; expected one of: late_data_hours, min_case_grid_share, examples_per_check"),
])
def test_quality_mistakes_are_refused(tmp_path: Path, old: str, new: str, entry: str, problem: str) -> None:
    assert old in TEXT
    path = tmp_path / "quality.yaml"
    path.write_text(TEXT.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_thresholds(path)
    assert (err.value.file, err.value.entry) == (str(path), entry) and err.value.problem.startswith(problem)
    assert err.value.line is not None
