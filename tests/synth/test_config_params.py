"""The synthetic city's parameters are a typed model: mistakes are refused naming the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from synth.params import load_params, params_file
from szcg.errors import ConfigError

TEXT = params_file("shuozhou").read_text(encoding="utf-8")


def test_the_shipped_parameters_load_as_written() -> None:
    data = load_params()
    assert data.pop("_file") == str(params_file("shuozhou"))
    assert data == yaml.safe_load(TEXT)  # nothing added, nothing dropped


@pytest.mark.parametrize(("old", "new", "entry", "problem"), [
    ("  on_time_rate: 0.88", "  on_time_rate: 88", "cases.on_time_rate", "Input should be less than or equal to 1"),
    ("  rework_rate: 0.08", "  rework_rat: 0.08", "cases.rework_rat", "unknown key"),
    ("video: 0.05", "drone: 0.05", "cases.sources.drone", "expected 'supervisor', 'hotline'"),
    ("  batch_rows: 5000", "  batch_rows: '5000'", "census.batch_rows", "expected a whole number"),
    ("placement: street, spacing_m: 35", "placement: road, spacing_m: 35", "census.subclasses[1].placement",
     "expected 'street' or 'area'"),
    ("  landline_share: 0.15", "  landline_share: 0.15\n  landline_prefixes: []", "hotline.landline_prefixes",
     "unknown key"),
])
def test_parameter_mistakes_are_refused(tmp_path: Path, old: str, new: str, entry: str, problem: str) -> None:
    assert old in TEXT
    path = tmp_path / "shuozhou.yaml"
    path.write_text(TEXT.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_params(path=path)
    assert (err.value.file, err.value.entry) == (str(path), entry) and err.value.problem.startswith(problem)
    assert err.value.line is not None
