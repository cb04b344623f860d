"""Legacy export mappings are typed models: a typo such as ``categorys:`` stops the import, naming the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from szcg.cli import main
from szcg.errors import ConfigError
from szcg.settings import Settings
from tests.transforms.cases.conftest import EXPORTS, MAPPINGS
from transforms.cases.mapping import load_mapping

SHIPPED = sorted(p for p in MAPPINGS.glob("*.yaml") if not p.name.startswith("hotline"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_mapping_loads(path: Path) -> None:
    assert load_mapping(path).origin_system


def _variant(tmp_path: Path, old: str, new: str, source: str = "nyc_311_2018_dohmh.yaml") -> Path:
    text = (MAPPINGS / source).read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / source
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "entry", "line", "problem"), [
    ("\ncategories:", "\ncategorys:", "categorys", 31, "unknown key; expected one of: "),
    ("zero_is_missing: true}", "zero_is_missing: true, missing_values: [0]}", "coordinates.missing_values", 22,
     "unknown key; expected one of: x, y, xy, crs, zero_is_missing, placeholders"),
    ("zero_is_missing: true}", "zero_is_missing: 'yes'}", "coordinates.zero_is_missing", 22,
     "expected true or false, got text 'yes'"),
    ("\ntimezone: America/New_York", "\ntimezone: 8", "timezone", 9, "expected text, got a whole number 8"),
])
def test_mistakes_are_refused_naming_file_line_and_key(tmp_path: Path, old: str, new: str, entry: str, line: int,
                                                       problem: str) -> None:
    path = _variant(tmp_path, old, new)
    with pytest.raises(ConfigError) as err:
        load_mapping(path)
    assert (err.value.file, err.value.entry, err.value.line) == (str(path), entry, line)
    assert err.value.problem.startswith(problem)


def test_the_categorys_typo_fails_the_import_command(settings: Settings, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = _variant(tmp_path, "\ncategories:", "\ncategorys:")
    rc = main(["cases", "import", str(EXPORTS / "nyc_311_2018_dohmh_155.csv"), "--mapping", str(path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1 and out["ok"] is False and out["entry"] == "categorys" and out["file"] == str(path)
    assert "unknown key" in out["problem"] and out["line"] > 0
    # Refused before anything was read or landed.
    assert not settings.landing_dir.exists() or not any(settings.landing_dir.rglob("*.*"))
    assert main(["cases", "import", str(EXPORTS / "nyc_311_2018_dohmh_155.csv"), "--mapping", str(path)]) == 1
    assert f"{path}:" in capsys.readouterr().err


def test_the_vocabulary_loads_and_refuses_words_outside_the_model(tmp_path: Path) -> None:
    from transforms.cases.vocabulary import VOCABULARY, load_vocabulary

    assert load_vocabulary().casework_actions["approve_void"].outcome == "approved"
    text = VOCABULARY.read_text(encoding="utf-8")
    for old, new, entry, problem in (
        ("  close: {action: close}", "  close: {action: finish}", "casework_actions.close.action",
         "'finish' is not an action of the conformed model"),
        ("  close: {action: close}", "  close: {action: close, outcom: x}", "casework_actions.close.outcom",
         "unknown key; expected one of: action, outcome"),
        ("  fed_back: handled", "  fed_back: done", "synth_states", "fed_back: 'done' is not a workflow state"),
    ):
        path = tmp_path / f"{len(entry)}-vocabulary.yaml"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        with pytest.raises(ConfigError) as err:
            load_vocabulary(path)
        assert (err.value.entry, err.value.file) == (entry, str(path)) and err.value.problem.startswith(problem)
