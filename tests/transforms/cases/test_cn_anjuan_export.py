"""A city migrating from a Chinese 数字城管 platform exports its 案卷 list (GBK CSV or XLSX), imports it with the
shipped cn_anjuan mapping, and evaluates a month: departments and regions get scores from the imported history,
open cases past their deadline at export are overdue, and the platform's own 是否按期 is compared with szcg's."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from synth.legacy_export import DEFAULT_GRIDS, ExportSpec, grid_polygon_wkt, write_legacy_export
from szcg.cli import main
from szcg.settings import Settings
from tests.transforms.cases.conftest import MAPPINGS
from transforms.cases.legacy_import import read_export
from transforms.cases.mapping import load_mapping
from transforms.evaluation.scheme import DEFAULT_SCHEME
from warehouse.store import Warehouse

SPEC = ExportSpec("2026-03", cases=300, seed=7)


@pytest.fixture
def export(tmp_path: Path) -> dict:
    return write_legacy_export(SPEC, tmp_path / "export")


def _grids(wh: Warehouse) -> None:
    with wh.writer() as con:
        for code, centre in DEFAULT_GRIDS.items():
            con.execute("INSERT INTO core.grid VALUES (?, ?, ?, ?, NULL, ?, ?, NULL, 'synthetic-grids')",
                        [code, code[:12], code[:9], code[:6], grid_polygon_wkt(centre), date(2026, 1, 1)])


def _scheme(tmp_path: Path) -> Path:
    data = yaml.safe_load(DEFAULT_SCHEME.read_text(encoding="utf-8"))
    data["version"] = "test-legacy"
    data["objects"]["region"]["min_sample"] = {"district": 5, "street": 5, "community": 5, "grid": 5}
    data["objects"]["department"]["min_sample"] = 5
    path = tmp_path / "scheme.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_the_gbk_csv_and_the_xlsx_read_the_same(export: dict) -> None:
    mapping = load_mapping(MAPPINGS / "cn_anjuan.yaml")
    assert "案卷号" in Path(export["csv"]).read_bytes().decode("gbk")
    from_csv, from_xlsx = read_export(Path(export["csv"]), mapping), read_export(Path(export["xlsx"]), mapping)
    pd.testing.assert_frame_equal(from_csv, from_xlsx)


def test_an_imported_month_is_evaluated_with_department_and_region_scores(
    settings: Settings, export: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wh = Warehouse(settings)
    _grids(wh)
    assert main(["cases", "import", export["xlsx"], "--mapping", str(MAPPINGS / "cn_anjuan.yaml"),
                 "--as-of", export["export_time"], "--json"]) == 0
    imported = json.loads(capsys.readouterr().out)
    assert imported["rows_in"] == SPEC.cases == imported["rows_loaded"] + imported["rows_quarantined"]
    assert imported["rows_quarantined"] == 0
    assert imported["flags"].get("no_grid_match", 0) == 0 and imported["flags"]["not_cityops"] > 0
    assert imported["flags"]["overdue_at_export"] > 0
    agreement = imported["verdict_agreement"]
    assert agreement["cases"] > 100 and agreement["departments"]
    # the platform's verdicts differ from szcg's only where it recorded no 处置时限 (szcg: the 指挥手册 limit)
    with wh.writer() as con:
        no_due_disagreeing = con.execute(
            "SELECT count(*) FILTER (WHERE due_at IS NULL), count(*) FROM core.\"case\""
            " WHERE list_contains(flags, 'source_verdict_disagrees')").fetchone()
    assert no_due_disagreeing is not None and no_due_disagreeing[0] == no_due_disagreeing[1] == agreement["disagree"]

    assert main(["evaluate", "--period", "2026-03", "--scheme", str(_scheme(tmp_path)),
                 "--as-of", "2026-04-03T09:00:00", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"]["cohort_cases"] > 200
    with wh.reader() as con:
        scores = con.execute(
            "SELECT object, level, count(*) FILTER (WHERE total_score IS NOT NULL) FROM marts.score"
            " WHERE period = '2026-03' GROUP BY ALL ORDER BY ALL").fetchall()
        handled = con.execute(
            "SELECT entity_code, numerator, denominator FROM marts.indicator_value WHERE period = '2026-03'"
            " AND object = 'department' AND indicator = 'on_time_handle_rate' ORDER BY entity_code").fetchall()
    by_level = {(o, lv): n for o, lv, n in scores}
    assert by_level[("department", "department")] >= 4
    assert by_level[("region", "district")] == 2 and by_level[("region", "grid")] >= 5
    assert all(den and den > 0 for _, _, den in handled)
    assert any(num < den for _, num, den in handled)  # late and open-overdue cases count against departments


def test_open_cases_past_the_export_due_time_are_overdue_in_the_evaluation(
    settings: Settings, export: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Judged as of the export's time, the evaluation counts as 超期 exactly the cases the export itself makes
    overdue: a 反馈 after the 处置时限, or still open past it (the import's overdue_at_export) — by the export's own
    due time, not the 指挥手册's limit, wherever the export gives one."""
    wh = Warehouse(settings)
    _grids(wh)
    assert main(["cases", "import", export["csv"], "--mapping", str(MAPPINGS / "cn_anjuan.yaml"),
                 "--as-of", export["export_time"], "--json"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--period", "2026-03", "--scheme", str(_scheme(tmp_path)),
                 "--as-of", export["export_time"], "--json"]) == 0
    capsys.readouterr()
    with wh.reader() as con:
        expected = con.execute(
            """SELECT c.district_code, count(*) FROM core."case" c
               WHERE c.case_id IN (SELECT case_id FROM core.case_event WHERE action = 'register'
                                   AND occurred_at >= '2026-03-01' AND occurred_at < '2026-04-01')
                 AND c.status NOT IN ('voided', 'shelved')
                 AND (list_contains(c.flags, 'overdue_at_export') OR c.case_id IN (
                      SELECT case_id FROM core.case_event WHERE action = 'feedback' AND NOT deadline_met))
               GROUP BY ALL ORDER BY ALL""").fetchall()
        open_overdue = con.execute(
            "SELECT count(*) FROM core.\"case\" WHERE list_contains(flags, 'overdue_at_export')").fetchone()
        counted = con.execute(
            "SELECT entity_code, CAST(numerator AS BIGINT) FROM marts.indicator_value WHERE period = '2026-03' "
            "AND version = 0 AND object = 'region' AND level = 'district' AND indicator = 'overdue_rate' "
            "AND numerator > 0 ORDER BY ALL").fetchall()
    assert open_overdue is not None and open_overdue[0] > 0
    assert counted == expected
    # what the engine reads: the export's 处置时限 on the 派遣, marked as the 处置 deadline (step 'handle')
    with wh.reader() as con:
        dispatches = con.execute(
            """SELECT count(*), count(*) FILTER (WHERE e.step = 'handle' AND e.deadline_at = c.due_at)
               FROM core."case" c JOIN core.case_event e ON e.case_id = c.case_id AND e.action = 'dispatch'
               WHERE c.due_at IS NOT NULL""").fetchone()
    assert dispatches is not None and dispatches[0] > 100 and dispatches[1] == dispatches[0]


def test_the_handbook_deadlines_are_the_calendars_case_by_case(settings: Settings) -> None:
    """The deadline rule looks limits and deadlines up once per distinct value (legacy_import.handbook_deadline_rule):
    each case still gets exactly WorkingCalendar.deadline of its own subclass's limit from its own start."""
    from standards.calendar import load_calendar
    from standards.city import load_city
    from standards.handbook import load_handbook
    from transforms.cases.legacy_import import handbook_deadline_rule

    rule = handbook_deadline_rule(Warehouse(settings), load_mapping(MAPPINGS / "cn_anjuan.yaml"))
    assert rule is not None
    city = load_city(settings)
    handbook, calendar = load_handbook(city), load_calendar(city)
    codes = [r.subclass_code for r in handbook.rules()][:4]
    starts = pd.to_datetime(["2026-03-06 17:30", "2026-03-06 17:30", "2026-03-07 09:00", "2026-04-30 11:59"])
    cases = pd.DataFrame({
        "subclass_code": [codes[0], codes[1], codes[0], codes[2], "no-such-code", None, codes[3]],
        "kind": [None, None, None, None, None, None, None],
        "_start": [starts[0], starts[1], starts[2], starts[3], starts[0], starts[0], pd.NaT]},
        index=[10, 11, 12, 13, 14, 15, 16])
    got = rule(cases)
    for idx, code, start in zip(cases.index, cases["subclass_code"], cases["_start"], strict=True):
        if code in codes and not pd.isna(start):
            want = calendar.deadline(start.to_pydatetime(), handbook.rule_for(code).limits["handle"])
            assert got[idx] == pd.Timestamp(want), (idx, code)
        else:
            assert pd.isna(got[idx]), idx
