"""The hotline mapping and the category table are typed models: mistakes are refused naming file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from szcg.errors import ConfigError
from transforms.hotline.categories import CATEGORIES, load_categories
from transforms.hotline.ingest import DEFAULT_MAPPING, load_hotline_mapping


def test_the_shipped_files_load() -> None:
    mapping = load_hotline_mapping()
    assert mapping["columns"]["call_id"] == "call_id" and mapping["match"]["distance_m"] == 300
    assert mapping["satisfaction"]["满意"] == "satisfied"
    assert load_categories().subclasses["井盖问题"]


def _variant(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / source.name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "entry", "problem"), [
    ("  satisfaction: satisfaction", "  satisfaction: satisfaction\n  callback: x", "columns.callback",
     "unknown key"),
    ("  window_hours: 48", "  window_hour: 48", "match.window_hour", "unknown key; expected one of: window_hours,"),
    ("  window_days: 30", "  window_days: thirty", "repeat.window_days", "expected a number"),
    ("  不满意: dissatisfied", "  不满意: unhappy", "satisfaction.不满意", "expected 'satisfied'"),
    ("  call_id: call_id", "  call_id: null", "columns.call_id", "expected text"),
])
def test_hotline_mapping_mistakes_are_refused(tmp_path: Path, old: str, new: str, entry: str, problem: str) -> None:
    path = _variant(tmp_path, DEFAULT_MAPPING, old, new)
    with pytest.raises(ConfigError) as err:
        load_hotline_mapping(path)
    assert (err.value.file, err.value.entry) == (str(path), entry) and err.value.problem.startswith(problem)
    assert err.value.line is not None


@pytest.mark.parametrize(("old", "new", "entry", "problem"), [
    ("edition: gbt47678.5-2026", "edition: gbt47678.5-2026\neditions: []", "editions", "unknown key"),
    ('  公厕问题: ["component:03001-03003"', '  公厕问题: ["component 03001"', "categories.公厕问题[1]",
     "String should match pattern"),
    ("  乱停车: [", "  乱停车: 3\n  x: [", "categories.乱停车", "expected a list"),
])
def test_category_table_mistakes_are_refused(tmp_path: Path, old: str, new: str, entry: str, problem: str) -> None:
    path = _variant(tmp_path, CATEGORIES, old, new)
    with pytest.raises(ConfigError) as err:
        load_categories(path)
    assert (err.value.file, err.value.entry) == (str(path), entry) and err.value.problem.startswith(problem)
