"""An analyst writes a mapping for an export: mistakes in it are refused with the file and the key, and the
language says what real exports need — a status decided by two columns, a placeholder point that means "no
location", a category that is not a 城管 matter, and a wrong time format that refuses the batch instead of
quarantining every row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from szcg.cli import main
from szcg.errors import ConfigError, InputRejected
from szcg.settings import Settings
from tests.transforms.cases.conftest import MAPPINGS
from transforms.cases.legacy_import import import_legacy
from transforms.cases.mapping import load_mapping
from warehouse.store import Warehouse

MAPPING = """\
origin_system: test_311
timezone: America/Los_Angeles
timestamp_formats: ["%Y-%m-%d %H:%M"]
columns:
  origin_case_id: id
  reported_at: opened
  closed_at: closed
  status: status
  category: type
coordinates:
  x: lon
  y: lat
  placeholders: [{name: City Hall, lon: -118.2428, lat: 34.0537, radius_m: 50}]
statuses: {Open: registered, Closed: closed}
status_rules:
  - when: {status: Closed, reason: [Duplicate, Invalid]}
    status: voided
categories:
  Graffiti: {kind: event, code: "06004"}
  Rodent: {out_of_scope: health department matter}
"""

EXPORT = """\
id,opened,closed,status,reason,type,lon,lat
1,2020-01-06 09:00,2020-01-06 12:00,Closed,Done,Graffiti,-118.30,34.10
2,2020-01-06 09:00,2020-01-06 12:00,Closed,Duplicate,Graffiti,-118.2428,34.0537
3,2020-01-06 10:00,,Open,,Rodent,-118.24285,34.05372
4,2020-01-06 11:00,,Open,,Space Aliens,-118.2428,34.0537
"""


def _write(tmp_path: Path, text: str, name: str = "m.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("edit", "key", "problem"), [
    (("categories:", "categorys:"), "categorys", "unknown key"),
    (("  status: status\n", "  status: status\n  staus: x\n"), "columns.staus", "unknown key"),
    (("radius_m: 50", "radius_m: fifty"), "coordinates.placeholders[1].radius_m", "number"),
    (("Rodent: {out_of_scope: health department matter}",
      'Rodent: {kind: event, code: "06004", out_of_scope: health}'), "categories.Rodent", "do nothing"),
    (("timezone: America/Los_Angeles", "timezone: Mars/Olympus"), "timezone", "IANA"),
    (("    status: voided", "    status: gone"), "status_rules[1].status", "not a workflow state"),
])
def test_a_mistake_in_a_mapping_is_refused_naming_the_file_and_the_key(
    tmp_path: Path, edit: tuple[str, str], key: str, problem: str
) -> None:
    assert edit[0] in MAPPING
    path = _write(tmp_path, MAPPING.replace(*edit))
    with pytest.raises(ConfigError) as err:
        load_mapping(path)
    assert err.value.file == str(path) and err.value.entry == key
    assert problem in err.value.problem


def test_an_on_time_column_without_its_reading_does_nothing_and_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, MAPPING.replace("  category: type\n", "  category: type\n  on_time: ok\n"))
    with pytest.raises(ConfigError) as err:
        load_mapping(path)
    assert "verdict" in err.value.problem


def test_every_shipped_mapping_still_loads() -> None:
    for path in sorted(MAPPINGS.glob("*.yaml")):
        if path.name != "hotline_default.yaml":
            assert load_mapping(path).origin_system


def test_status_rules_placeholders_and_out_of_scope_categories_are_applied(wh: Warehouse, tmp_path: Path) -> None:
    mapping = load_mapping(_write(tmp_path, MAPPING))
    result = import_legacy(wh, _write(tmp_path, EXPORT, "export.csv"), mapping)
    assert (result.rows_in, result.rows_loaded) == (4, 4)
    with wh.writer() as con:
        rows = con.execute('SELECT origin_case_id, status, lon, flags FROM core."case" ORDER BY origin_case_id'
                           ).fetchall()
    by_id = {r[0]: r for r in rows}
    assert by_id["1"][1] == "closed" and by_id["2"][1] == "voided"  # Closed + Duplicate → 作废
    # the city hall (within 50 m) means "no location": no coordinates, no false duplicate suggestion
    assert [by_id[i][2] for i in "234"] == [None, None, None] and by_id["1"][2] == pytest.approx(-118.30)
    assert all("placeholder_coordinates" in by_id[i][3] for i in "234")
    assert not any("possible_duplicate" in r[3] for r in rows)
    assert "not_cityops" in by_id["3"][3] and "unknown_category" not in by_id["3"][3]
    assert "unknown_category" in by_id["4"][3] and "not_cityops" not in by_id["4"][3]
    assert result.flags["not_cityops"] == 1 and result.flags["unknown_category"] == 1


def test_a_time_format_failing_on_most_rows_refuses_the_batch_naming_column_format_and_samples(
    wh: Warehouse, tmp_path: Path
) -> None:
    mapping = load_mapping(_write(tmp_path, MAPPING.replace('"%Y-%m-%d %H:%M"', '"%m/%d/%Y %H:%M"')))
    with pytest.raises(InputRejected) as err:
        import_legacy(wh, _write(tmp_path, EXPORT, "export.csv"), mapping)
    message = str(err.value)
    assert "'opened'" in message and "%m/%d/%Y %H:%M" in message
    assert "2020-01-06 09:00" in message and "2020-01-06 11:00" in message
    assert "Graffiti" not in message  # only the time column's values are shown
    with wh.writer() as con:
        assert con.execute('SELECT count(*) FROM core."case"').fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM landing.load").fetchone() == (0,)


STEPS_MAPPING = """\
origin_system: test_cg
timezone: Asia/Shanghai
timestamp_formats: ["%Y-%m-%d %H:%M"]
as_of: 2026-03-31T18:00:00
columns:
  origin_case_id: 案卷号
  reported_at: 上报时间
  dispatched_at: 派遣时间
  closed_at: 结案时间
  due_at: 处置时限
  status: 状态
  category: 小类
  department: 处置部门
statuses: {已结案: closed, 处置中: dispatched, 作废: voided}
categories:
  路灯: {kind: component, code: "01037"}
  外立面污损: {kind: event, code: "06004"}
departments: {路灯所: "14060005", 执法支队: "14060002"}
steps: {registered: at_report, dispatched: at_registered, handled: at_closed}
deadline: {handbook: true, otherwise: unjudged}
"""

STEPS_EXPORT = """\
案卷号,上报时间,派遣时间,结案时间,处置时限,状态,小类,处置部门
A1,2026-03-02 09:00,2026-03-02 09:30,2026-03-02 11:00,2026-03-02 12:00,已结案,路灯,路灯所
A2,2026-03-02 09:00,,2026-03-05 11:00,2026-03-03 12:00,已结案,路灯,路灯所
A3,2026-03-02 09:00,,,2026-03-20 12:00,处置中,外立面污损,执法支队
A4,2026-03-30 09:00,,,2026-04-02 12:00,处置中,外立面污损,执法支队
A5,2026-03-02 09:00,,2026-03-02 16:00,,已结案,外立面污损,执法支队
A6,2026-03-02 09:00,,,,作废,路灯,路灯所
"""


def test_imported_steps_become_the_events_the_evaluation_reads(wh: Warehouse, tmp_path: Path) -> None:
    """立案 at the report time, 派遣 to the mapped department at 立案 (or when recorded), 处置反馈 at 结案 judged
    against the export's due time, else the 指挥手册 limit on the working calendar; an open case past its due
    time at the export's time is overdue."""
    mapping = load_mapping(_write(tmp_path, STEPS_MAPPING))
    result = import_legacy(wh, _write(tmp_path, STEPS_EXPORT, "案卷.csv"), mapping)
    assert (result.rows_in, result.rows_loaded) == (6, 6)
    with wh.writer() as con:
        events = con.execute(
            "SELECT c.origin_case_id, e.seq, e.action, e.occurred_at, e.department_code, e.deadline_at,"
            " e.deadline_met FROM core.case_event e JOIN core.\"case\" c USING (case_id)"
            " ORDER BY c.origin_case_id, e.seq").fetchall()
        flags = dict(con.execute('SELECT origin_case_id, flags FROM core."case"').fetchall())
    by_case: dict[str, list[tuple]] = {}
    for row in events:
        by_case.setdefault(row[0], []).append(row[2:])
    assert [e[0] for e in by_case["A1"]] == ["report", "register", "dispatch", "feedback", "close"]
    assert str(by_case["A1"][2][1]) == "2026-03-02 09:30:00" and by_case["A1"][2][2] == "14060005"
    assert by_case["A1"][3][4] is True  # done 11:00, due 12:00
    assert str(by_case["A2"][2][1]) == "2026-03-02 09:00:00"  # 派遣 at 立案 = the report time
    assert by_case["A2"][3][4] is False  # done on the 5th, due the 3rd
    # open, still 处置中 at the export's time (31 March 18:00): A3 is past its due time, A4 is not
    assert [e[0] for e in by_case["A3"]] == ["report", "register", "dispatch"]
    assert "overdue_at_export" in flags["A3"] and "overdue_at_export" not in flags["A4"]
    # no due time: the 指挥手册 limit of 06004, 4 working hours from 派遣 09:00 over the lunch break → 15:00
    assert str(by_case["A5"][3][3]) == "2026-03-02 15:00:00" and by_case["A5"][3][4] is False
    assert [e[0] for e in by_case["A6"]] == ["report"]  # 作废 without a recorded time: nothing invented
    assert result.flags["overdue_at_export"] == 1


def test_the_import_reports_how_far_the_sources_own_verdicts_agree_with_szcg(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = STEPS_MAPPING.replace("  department: 处置部门\n", "  department: 处置部门\n  on_time: 是否按期\n")
    mapping = _write(tmp_path, text + "verdict: {on_time: [是], overdue: [否]}\n")
    lines = STEPS_EXPORT.splitlines()
    # the source says A2 was on time (szcg: done on the 5th, due the 3rd → late) and A3 overdue (szcg agrees)
    verdicts = ["是否按期", "是", "是", "否", "", "否", ""]
    export = _write(tmp_path, "\n".join(f"{a},{b}" for a, b in zip(lines, verdicts, strict=True)) + "\n", "案卷.csv")
    rc = main(["cases", "import", str(export), "--mapping", str(mapping), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    agreement = out["verdict_agreement"]
    assert (agreement["cases"], agreement["agree"], agreement["disagree"]) == (4, 3, 1)
    assert agreement["first_disagreeing"] == ["A2"]
    per_department = {d["department"]: d for d in agreement["departments"]}
    assert (per_department["路灯所"]["agree"], per_department["路灯所"]["disagree"]) == (1, 1)
    assert (per_department["执法支队"]["cases"], per_department["执法支队"]["agree"]) == (2, 2)
    with Warehouse(settings).writer() as con:
        detail = con.execute("SELECT detail FROM landing.load WHERE target = 'core.case'").fetchone()
    assert detail is not None and json.loads(detail[0])["verdict_agreement"]["disagree"] == 1


def test_a_source_convention_judges_cases_without_a_due_time(wh: Warehouse, tmp_path: Path) -> None:
    """The city's own rule "no due time: on time", declared in the mapping, instead of the 指挥手册."""
    text = STEPS_MAPPING.replace("deadline: {handbook: true, otherwise: unjudged}",
                                 "deadline: {handbook: false, otherwise: on_time}")
    import_legacy(wh, _write(tmp_path, STEPS_EXPORT, "案卷.csv"), load_mapping(_write(tmp_path, text)))
    with wh.writer() as con:
        a5 = con.execute("SELECT e.deadline_at, e.deadline_met FROM core.case_event e JOIN core.\"case\" c"
                         " USING (case_id) WHERE c.origin_case_id = 'A5' AND e.action = 'feedback'").fetchone()
    assert a5 == (None, True)
