"""Evaluation schemes are checked when they load; a bad one names its file, entry and problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from szcg.errors import ConfigError
from transforms.evaluation.scheme import DEFAULT_SCHEME, load_scheme


def _variant(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(DEFAULT_SCHEME.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_default_scheme_weights_sum_to_100_with_the_region_formula_corrected() -> None:
    scheme = load_scheme()
    for obj in scheme.objects.values():
        assert sum(i.weight for i in obj.indicators) == 100
    region = {i.indicator: i.weight for i in scheme.objects["region"].indicators}
    assert region == {"public_report_rate": 10, "registered": 20, "close_rate": 30, "on_time_close_rate": 40}
    assert [(g.grade, g.min, g.colour) for g in scheme.grades] == [
        ("A", 90, "绿色"), ("B", 75, "蓝色"), ("C", 60, "黄色"), ("D", 40, "红色"), ("E", 0, "黑色")]
    assert "CORRECTION" in DEFAULT_SCHEME.read_text(encoding="utf-8")


def test_the_published_region_formula_summing_to_70_percent_is_refused(tmp_path: Path) -> None:
    def as_written(d: dict) -> None:  # type: ignore[type-arg]
        d["objects"]["region"]["indicators"][3]["weight"] = 10

    path = _variant(tmp_path, as_written)
    with pytest.raises(ConfigError) as err:
        load_scheme(path)
    assert err.value.file == str(path)
    assert err.value.entry == "objects.region.indicators"
    assert "weights sum to 70 %" in err.value.problem


@pytest.mark.parametrize(
    ("change", "entry", "words"),
    [
        (lambda d: d["objects"]["department"]["indicators"].append({"indicator": "speed", "score": "rate",
                                                                    "weight": 1}),
         "objects.department.indicators[5]", "unknown indicator 'speed'"),
        (lambda d: d["objects"]["dispatcher"]["indicators"][0].update(bands="nope"),
         "objects.dispatcher.indicators[1].bands", "no such band table"),
        (lambda d: d["objects"]["region"]["indicators"][1].update(score="rate", bands=None),
         "objects.region.indicators[2].score", "needs a rate"),
        (lambda d: d["grades"][1].update(min=95), "grades[2].min", "highest bound down"),
        (lambda d: d["bands"]["workload"][-1].update(max=5000), "bands.workload", "max: null"),
        (lambda d: d["objects"].update(mayor={}), "objects.mayor", "unknown evaluation object"),
    ],
)
def test_scheme_mistakes_are_named(tmp_path: Path, change, entry: str, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as err:
        load_scheme(_variant(tmp_path, change))
    assert err.value.entry == entry
    assert words in err.value.problem


def test_a_city_can_ship_its_own_scheme(tmp_path: Path) -> None:
    from szcg.settings import Settings
    from transforms.evaluation.scheme import resolve_scheme_path

    settings = Settings(data_dir=tmp_path, city_config_dir=tmp_path / "mycity")
    assert resolve_scheme_path(settings) == DEFAULT_SCHEME
    own = tmp_path / "mycity" / "evaluation" / "scheme.yaml"
    own.parent.mkdir(parents=True)
    own.write_text(DEFAULT_SCHEME.read_text(encoding="utf-8").replace('version: "2026.1"', 'version: "my-1"'),
                   encoding="utf-8")
    assert resolve_scheme_path(settings) == own
    assert load_scheme(resolve_scheme_path(settings)).version == "my-1"
