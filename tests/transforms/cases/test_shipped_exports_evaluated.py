"""Each shipped 311 export, imported with its mapping, is evaluated for its busiest month: the source's agencies
get department scorecards and its cases are the cohort (立案 at the report, 派遣 at 立案, 反馈 at the close)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from szcg.cli import main
from szcg.settings import Settings
from tests.transforms.cases.conftest import EXPORTS, MAPPINGS
from transforms.evaluation.scheme import DEFAULT_SCHEME
from warehouse.store import Warehouse

SHIPPED = [("la_myla311_2017_subset.csv", "la_myla311_2017.yaml"), ("sf_311_sample_10k.csv", "sf_311.yaml"),
           ("nyc_311_2019-12-31_sample_1000.csv", "nyc_311_2019.yaml")]


@pytest.mark.parametrize(("export", "mapping"), SHIPPED, ids=[m for _, m in SHIPPED])
def test_a_shipped_export_gives_department_scorecards_for_its_month(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], export: str, mapping: str
) -> None:
    data = yaml.safe_load(DEFAULT_SCHEME.read_text(encoding="utf-8"))
    data["version"] = "test-311"
    data["objects"]["department"]["min_sample"] = 5
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert main(["cases", "import", str(EXPORTS / export), "--mapping", str(MAPPINGS / mapping), "--json"]) == 0
    imported = json.loads(capsys.readouterr().out)
    assert imported["rows_in"] == imported["rows_loaded"] + imported["rows_quarantined"]
    with Warehouse(settings).writer() as con:
        month = con.execute("SELECT strftime(reported_at, '%Y-%m') m FROM core.\"case\" GROUP BY m"
                            " ORDER BY count(*) DESC LIMIT 1").fetchone()
    assert month is not None
    assert main(["evaluate", "--period", month[0], "--scheme", str(scheme), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"]["cohort_cases"] > 0
    with Warehouse(settings).writer() as con:
        departments = con.execute(
            "SELECT count(*) FROM marts.score WHERE period = ? AND object = 'department' AND total_score IS NOT NULL",
            [month[0]]).fetchone()
    assert departments is not None and departments[0] > 0
