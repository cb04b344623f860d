"""立案 has one meaning: the cockpit (marts.summary_case_month, marts.dash_case), the monthly report and the
evaluation count the same cases as registered in a month, for an imported legacy month and live cases together.

March 2026 holds a synthetic Chinese 案卷 export (transforms/mappings/cn_anjuan.yaml: 立案 from its column, its
作废 and not-a-城管-matter rows never registered) and live cases of the case service's shape: one reported on
27 February and registered on 2 March (registered in March, though reported in February), one 不予立案 (never
registered), one complete. Before this rule the cockpit counted a case as registered by its status — every legacy
row whose status is past 立案, including 作废, in the month reported — and disagreed with the evaluation.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml

from synth.legacy_export import DEFAULT_GRIDS, ExportSpec, grid_polygon_wkt, write_legacy_export
from szcg.cli import main
from szcg.settings import Settings
from tests.transforms.evaluation.city import D1, DA, G1, City
from transforms.evaluation.scheme import DEFAULT_SCHEME
from transforms.report.data import city_totals
from warehouse.store import Warehouse

MAPPING = Path(__file__).resolve().parents[2] / "transforms" / "mappings" / "cn_anjuan.yaml"


def _live_cases() -> City:
    city = City()
    (city.case("LIVE1", "2026-03-05 09:00", grid=G1)
        .ev("report", "2026-03-05 09:00", "sup1", "supervisor")
        .ev("register", "2026-03-05 09:30", "sl1", "shift_leader", met=True)
        .ev("dispatch", "2026-03-05 10:00", "dp1", "dispatcher", dept=DA, met=True)
        .ev("feedback", "2026-03-06 10:00", "hA", "department", dept=DA, met=True)
        .ev("close", "2026-03-07 10:00", "sl1", "shift_leader", met=True))
    (city.case("LIVE2", "2026-02-27 17:00", grid=G1)
        .ev("report", "2026-02-27 17:00", "sup1", "supervisor")
        .ev("register", "2026-03-02 09:00", "sl1", "shift_leader", met=False))
    (city.case("LIVE3", "2026-03-10 09:00", grid=G1)
        .ev("report", "2026-03-10 09:00", "sup1", "supervisor")
        .ev("reject", "2026-03-10 10:00", "sl1", "shift_leader", met=True))
    return city


@pytest.fixture
def march(settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Settings:
    wh = Warehouse(settings)
    export = write_legacy_export(ExportSpec("2026-03", cases=200, seed=3), tmp_path / "export")
    with wh.writer() as con:
        for code, centre in DEFAULT_GRIDS.items():
            con.execute("INSERT INTO core.grid VALUES (?, ?, ?, ?, NULL, ?, ?, NULL, 'synthetic-grids')",
                        [code, code[:12], code[:9], code[:6], grid_polygon_wkt(centre), date(2026, 1, 1)])
    assert main(["cases", "import", export["csv"], "--mapping", str(MAPPING), "--as-of", export["export_time"],
                 "--json"]) == 0
    capsys.readouterr()
    with wh.writer() as con:
        _live_cases().load(con)
        statuses = {"t:LIVE1": ("closed", "2026-03-07 10:00"), "t:LIVE2": ("registered", None),
                    "t:LIVE3": ("rejected", "2026-03-10 10:00")}
        for case_id, (status, closed_at) in statuses.items():
            con.execute('UPDATE core."case" SET status = ?, closed_at = CAST(? AS TIMESTAMP) WHERE case_id = ?',
                        [status, closed_at, case_id])
    data = yaml.safe_load(DEFAULT_SCHEME.read_text(encoding="utf-8"))
    data["version"] = "test-register"
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert main(["evaluate", "--period", "2026-03", "--scheme", str(scheme), "--json"]) == 0  # publishes the draft
    assert json.loads(capsys.readouterr().out)["counts"]["cohort_cases"] > 100
    return settings


def test_cockpit_report_and_evaluation_count_the_same_registered_cases(march: Settings) -> None:
    with Warehouse(march).reader() as con:
        evaluation = dict(con.execute(
            "SELECT entity_code, CAST(numerator AS BIGINT) FROM marts.indicator_value WHERE period = '2026-03' "
            "AND version = 0 AND object = 'region' AND level = 'district' AND indicator = 'registered'").fetchall())
        cockpit = dict(con.execute(
            "SELECT district_code, sum(registered) FROM marts.summary_case_month WHERE period_start = '2026-03-01' "
            "AND district_code IS NOT NULL GROUP BY ALL").fetchall())
        per_case = dict(con.execute(
            "SELECT district_code, count(*) FROM marts.dash_case WHERE is_registered AND registered_month = "
            "'2026-03' AND district_code IS NOT NULL GROUP BY ALL").fetchall())
        report = city_totals(con, "2026-03", 0)["registered"]
        never = con.execute("SELECT count(*) FROM marts.dash_case WHERE NOT is_registered").fetchone()
        live = dict(con.execute("SELECT case_id, registered_month FROM marts.dash_case WHERE case_id LIKE 't:%'")
                    .fetchall())
    assert evaluation and cockpit == evaluation == per_case
    assert report == sum(evaluation.values())
    # the live cases: registered in the month of the first 立案, 不予立案 never; voided / out-of-scope legacy rows too
    assert live == {"t:LIVE1": "2026-03", "t:LIVE2": "2026-03", "t:LIVE3": None}
    assert evaluation[D1] >= 2 and never is not None and never[0] > 1
