"""An analyst writes a mapping for an export: mistakes in it are refused with the file and the key, and the
language says what real exports need — a status decided by two columns, a placeholder point that means "no
location", a category that is not a 城管 matter, and a wrong time format that refuses the batch instead of
quarantining every row."""

from __future__ import annotations

from pathlib import Path

import pytest

from szcg.errors import ConfigError, InputRejected
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
    (("radius_m: 50", "radius_m: fifty"), "coordinates.placeholders.0.radius_m", "number"),
    (("Rodent: {out_of_scope: health department matter}",
      'Rodent: {kind: event, code: "06004", out_of_scope: health}'), "categories.Rodent", "do nothing"),
    (("timezone: America/Los_Angeles", "timezone: Mars/Olympus"), "timezone", "IANA"),
    (("    status: voided", "    status: gone"), "status_rules.0.status", "not a workflow state"),
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
