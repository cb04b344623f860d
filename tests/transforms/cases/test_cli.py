"""The operator's view: `szcg cases import` and `szcg hotline ingest` report what they did as text or JSON."""

from __future__ import annotations

import json

import pytest

from szcg.cli import main
from tests.transforms.cases.conftest import EXPORTS, MAPPINGS


def test_cases_import_prints_its_accounting_as_json(settings: object, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["cases", "import", str(EXPORTS / "nyc_311_2018_dohmh_155.csv"),
               "--mapping", str(MAPPINGS / "nyc_311_2018_dohmh.yaml"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["ok"]
    assert (out["rows_in"], out["rows_loaded"] + out["rows_quarantined"]) == (155, 155)
    assert out["flags"]["closed_before_opened"] == 16


def test_a_missing_file_or_a_broken_mapping_is_exit_1_naming_it(settings: object, tmp_path: object,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cases", "import", "/nonexistent.csv", "--mapping", str(MAPPINGS / "sf_311.yaml")]) == 1
    assert "/nonexistent.csv" in capsys.readouterr().err
    assert main(["cases", "import", str(EXPORTS / "sf_311_sample_10k.csv"), "--mapping", "/nope.yaml"]) == 1
    assert "/nope.yaml" in capsys.readouterr().err
    assert main(["hotline", "ingest", "/nonexistent.csv"]) == 1
