"""The dashboards' grade bands and colours are the evaluation scheme's: a changed band or colour in the scheme
changes the charts' cell colours and the dashboards' label colours, and nothing else restates them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dashboards.authoring import build_assets
from transforms.evaluation.scheme import DEFAULT_SCHEME, load_scheme

SCORE_CHARTS = ("score_district", "score_street", "score_department", "score_post")


def _bands(assets: dict[str, dict[str, Any]], chart: str) -> list[tuple[str, str, str, str]]:
    rules = assets[f"charts/{chart}.yaml"]["params"]["conditional_formatting"]
    return [(r["colorScheme"], r["operator"], r["targetValueLeft"], r["targetValueRight"]) for r in rules]


def test_the_default_schemes_grades_colour_the_score_tables() -> None:
    assets = build_assets()
    expected = [("#2e7d32", "≤ x ≤", "90", "100"), ("#1565c0", "≤ x <", "75", "90"), ("#f9a825", "≤ x <", "60", "75"),
                ("#c62828", "≤ x <", "40", "60"), ("#212121", "≤ x <", "0", "40")]
    assert {g.hex for g in load_scheme().grades} == {colour for colour, *_ in expected}
    for chart in SCORE_CHARTS:
        assert _bands(assets, chart) == expected
    assert assets["dashboards/evaluation.yaml"]["metadata"]["label_colors"] == {
        "A": "#2e7d32", "B": "#1565c0", "C": "#f9a825", "D": "#c62828", "E": "#212121"}


def test_a_changed_scheme_band_and_colour_change_the_dashboards(tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULT_SCHEME.read_text(encoding="utf-8"))
    data["grades"][0].update(min=85, hex="#00aa00")  # A from 85, in another green
    data["grades"][2].update(min=55.5)  # C from 55.5
    changed = tmp_path / "scheme.yaml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assets = build_assets(load_scheme(changed))
    for chart in SCORE_CHARTS:
        assert _bands(assets, chart) == [
            ("#00aa00", "≤ x ≤", "85", "100"), ("#1565c0", "≤ x <", "75", "85"), ("#f9a825", "≤ x <", "55.5", "75"),
            ("#c62828", "≤ x <", "40", "55.5"), ("#212121", "≤ x <", "0", "40")]
    for board in ("evaluation", "cockpit"):
        assert assets[f"dashboards/{board}.yaml"]["metadata"]["label_colors"]["A"] == "#00aa00"
