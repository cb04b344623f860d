"""The typed loader of configuration files: every problem names the file, the line and the key path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import Field, model_validator

from szcg.configmodel import ConfigModel, KeyProblem, load_yaml
from szcg.errors import ConfigError


class Limit(ConfigModel):
    hours: float
    sources: list[str] = Field(default_factory=list)


class Rules(ConfigModel):
    name: str
    limits: dict[str, Limit] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _named_limits(self) -> Rules:
        if "all" in self.limits and len(self.limits) > 1:
            raise KeyProblem(("limits", "all"), "give either 'all' or one limit per source")
        return self


def _load(tmp_path: Path, text: str) -> Rules:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return load_yaml(Rules, path)


def test_a_good_file_loads(tmp_path: Path) -> None:
    rules = _load(tmp_path, "name: 朔州\nlimits:\n  hotline: {hours: 48}\n")
    assert rules.limits["hotline"].hours == 48.0


@pytest.mark.parametrize(("text", "entry", "line", "problem"), [
    ("name: x\nlimits:\n  hotline:\n    hour: 48\n", "limits.hotline.hour", 4, "unknown key; expected one of: hours"),
    ("name: x\nlimits:\n  hotline: {hours: '48'}\n", "limits.hotline.hours", 3, "expected a number, got text '48'"),
    ("name: x\nlimits:\n  a: {hours: 1, sources: [x, 2]}\n", "limits.a.sources[2]", 3, "expected text"),
    ("limits: {}\n", "name", None, "missing (required)"),
    ("name: [x]\n", "name", 1, "expected text, got a list"),
    ("name: x\nlimits:\n  all: {hours: 1}\n  b: {hours: 2}\n", "limits.all", 3, "give either 'all'"),
])
def test_problems_name_file_line_and_key(tmp_path: Path, text: str, entry: str, line: int | None,
                                          problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, text)
    assert err.value.file == str(tmp_path / "rules.yaml") and err.value.entry == entry
    assert err.value.line == line and err.value.problem.startswith(problem)
    assert str(err.value).startswith(f"{tmp_path / 'rules.yaml'}{f':{line}' if line else ''}: {entry}: ")


def test_several_problems_are_counted(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, "nam: x\nlimit: {}\n")
    assert err.value.entry == "nam" and err.value.problem.startswith("unknown key; expected one of: name, limits")
    assert err.value.problem.endswith("(and 2 more: limit: unknown key; expected one of: name, limits;"
                                      " name: missing (required))")


@pytest.mark.parametrize(("text", "problem"), [
    ("name: [unclosed\n", "not valid YAML"),
    ("- a\n- b\n", "expected a mapping of keys at the top level, got a list"),
])
def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        _load(tmp_path, text)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere.yaml: \(file\): file not found"):
        load_yaml(Rules, tmp_path / "nowhere.yaml")


def test_a_key_given_twice_is_refused(tmp_path: Path) -> None:
    # YAML itself keeps the last one silently: the first would do nothing.
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, "name: a\nlimits:\n  hotline: {hours: 1}\n  hotline: {hours: 2}\n")
    assert (err.value.entry, err.value.line) == ("limits.hotline", 3)
    assert err.value.problem == "given twice (also on line 4); keep one"


def test_an_impossible_date_names_its_key(tmp_path: Path) -> None:
    class Dated(ConfigModel):
        days: list[dt.date]

    path = tmp_path / "d.yaml"
    path.write_text("days:\n  - 2026-02-28\n  - 2026-02-30\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_yaml(Dated, path)
    assert (err.value.entry, err.value.line) == ("days[2]", 3) and "expected a valid date" in err.value.problem
