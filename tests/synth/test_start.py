"""A demo opened today shows a living city: the history can start on any day, and the census survey moves with it
(it still ends shortly before the first case, as in the parameters)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd

from synth.city import Options, generate_city, starting_on
from synth.params import load_params


def test_starting_on_moves_the_cases_and_the_survey_by_the_same_days() -> None:
    params = load_params("shuozhou")
    moved = starting_on(params, date(2025, 11, 1))
    assert moved["cases"]["start"] == "2025-11-01"
    shift = date(2025, 11, 1) - date.fromisoformat(params["cases"]["start"])
    for key in ("survey_start", "survey_end"):
        assert date.fromisoformat(moved["census"][key]) == date.fromisoformat(params["census"][key]) + shift
    assert date.fromisoformat(moved["census"]["survey_end"]) < date(2025, 11, 1)
    assert params["cases"]["start"] == "2026-01-05"  # the shared parameters are left alone


def test_two_whole_months_from_the_first_of_november(tmp_path: Path) -> None:
    out = tmp_path / "city"
    generate_city(Options(out, scale=0.2, months=2, seed=5, start=date(2025, 11, 1)))
    meta = json.loads((out / "synth.json").read_text(encoding="utf-8"))
    assert meta["period"] == ["2025-11-01", "2026-01-01"]  # [start, end): November and December, whole
    cases = pd.read_parquet(out / "cases" / "cases.parquet", columns=["reported_at"])
    months = set(pd.to_datetime(cases["reported_at"]).dt.strftime("%Y-%m"))
    assert months == {"2025-11", "2025-12"}
    assert sorted(p.stem for p in (out / "hotline" / "raw").glob("*.csv")) == ["2025-11", "2025-12"]
    surveyed = pd.read_parquet(out / "census" / "components.parquet")
    assert pd.to_datetime(surveyed["ORDATE"]).max() < pd.Timestamp("2025-11-01")  # ORDATE: the day surveyed
