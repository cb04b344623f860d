"""census.yaml and the census column mappings are read through typed models: mistakes are refused by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from census_loaders.config import DEFAULT_FILE, load_census_config
from census_loaders.mapping import PRESET_DIR, load_mapping, presets
from szcg.errors import ConfigError
from szcg.settings import Settings

SHIPPED = DEFAULT_FILE.read_text(encoding="utf-8")
MAPPING = (PRESET_DIR / "standard.yaml").read_text(encoding="utf-8")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_rules_and_presets_load(settings: Settings) -> None:
    config = load_census_config(settings)
    assert config.states["破损"] == "damaged" and config.zip.max_members == 50 and config.max_columns == 1000
    assert "04013" in config.geometry_types["gbt47678.5-2026"]["polygon"]
    assert {m.name for m in presets()} == {"standard", "gbt47678.5"}


@pytest.mark.parametrize(("old", "new", "entry", "problem"), [
    ("chunk_rows: 250000", "chunk_rows: 250000\nchunk_size: 10", "chunk_size", "unknown key"),
    ("  max_members: 50", "  max_members: 50\n  max_files: 9", "zip.max_files", "unknown key"),
    ("duplicate_distance_m: 0.5", "duplicate_distance_m: '0.5'", "duplicate_distance_m", "expected a number"),
    ("earliest_date: 1990-01-01", "earliest_date: 1990", "earliest_date", "expected a date"),
    ("  min_points: 5", "  min_points: 0", "gcj02.min_points", "Input should be greater than or equal to 1"),
    ("  damaged:  [破损,", "  damaged:  [完好,", "states.damaged", "word '完好' already means intact"),
    ('  occupied: [占用, occupied, "4"]', "  occupied: [占用, occupied, 4]", "states.occupied[3]", "expected text"),
    ('    polygon: ["04013"]', '    polygon: ["99999"]', "geometry_types.gbt47678.5-2026.polygon",
     "not component subclasses"),
])
def test_census_rules_mistakes_are_refused(settings: Settings, tmp_path: Path, old: str, new: str, entry: str,
                                           problem: str) -> None:
    assert old in SHIPPED
    path = _write(tmp_path, "census.yaml", SHIPPED.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_census_config(settings, path)
    assert (err.value.file, err.value.entry) == (str(path), entry) and problem in err.value.problem


def test_a_city_census_file_is_read_instead(settings: Settings, tmp_path: Path) -> None:
    city = tmp_path / "city"
    city.mkdir()
    _write(city, "census.yaml", SHIPPED.replace("chunk_rows: 250000", "chunk_rows: 1000"))
    from dataclasses import replace

    assert load_census_config(replace(settings, city_config_dir=city)).chunk_rows == 1000


@pytest.mark.parametrize(("add", "entry", "problem"), [
    ("values: {name: {a: b}}", "values.name", "expected 'state'"),
    ("value: {state: {好: intact}}", "value", "unknown key; expected one of: name, fields, required, values"),
    ("required: [component_id, colour]", "required[2]", "expected 'component_id'"),
    ("date_formats: '%Y%m%d'", "date_formats", "expected a list"),
    ("date_formats: [YYYYMMDD]", "date_formats", "strftime formats"),
    ("crs: EPSG:999999", "crs", "not a CRS pyproj knows"),
])
def test_mapping_mistakes_are_refused(tmp_path: Path, add: str, entry: str, problem: str) -> None:
    key = add.split(":")[0]
    text = MAPPING.replace(f"\n{key}:", f"\n#{key}:")  # replaced, not given twice
    path = _write(tmp_path, "m.yaml", text + "\n" + add + "\n")
    with pytest.raises(ConfigError) as err:
        load_mapping(path)
    assert (err.value.file, err.value.entry) == (str(path), entry) and problem in err.value.problem
    assert err.value.line is not None


def test_a_mapping_without_an_inventory_field_says_what_to_add(tmp_path: Path) -> None:
    path = _write(tmp_path, "m.yaml", "name: x\nfields:\n  component_id: A\n  state: B\n")
    with pytest.raises(ConfigError, match=r"fields.initial_date: .*add `initial_date: <column>` under fields"):
        load_mapping(path)


def test_state_words_of_a_mapping_are_kept(tmp_path: Path) -> None:
    path = _write(tmp_path, "m.yaml", MAPPING + "\nvalues: {state: {好: intact}}\n")
    assert load_mapping(path).values == {"state": {"好": "intact"}}
