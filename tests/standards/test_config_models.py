"""The city's YAML files (city, calendar, 指挥手册, areas) and the catalogue editions are typed models: an unknown
key, a wrong type or a key that does nothing is refused naming the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from standards.areas import load_area_tree
from standards.calendar import load_calendar
from standards.catalogue import EDITIONS_FILE, EditionsFile
from standards.city import load_city_dir, packaged_city
from standards.handbook import load_handbook
from szcg.configmodel import load_yaml
from szcg.errors import ConfigError
from tests.standards.conftest import edit


def test_the_packaged_city_loads_every_file() -> None:
    city = packaged_city()
    assert city.admin_code == "140600" and load_calendar(city).hours_per_day == 8
    assert load_handbook(city).version and load_area_tree(city).get("140681") is not None
    assert load_yaml(EditionsFile, EDITIONS_FILE).editions["gbt47678.5-2026"].minor_digits == 3


def _refused(city_dir: Path, loader) -> ConfigError:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as err:
        loader(load_city_dir(city_dir))
    return err.value


@pytest.mark.parametrize(("file", "old", "new", "entry", "problem"), [
    ("city.yaml", 'admin_code: "140600"', "admin_code: 140600", "admin_code", "expected text, got a whole number"),
    ("city.yaml", "  areas: areas.yaml", "  area: areas.yaml", "files.area",
     "unknown key; expected one of: calendar, departments,"),
    ("city.yaml", "  areas: areas.yaml\n", "", "files.areas", "missing (required): the areas file"),
    ("city.yaml", "key: shuozhou", "key: shuozhou\nprovince: 山西", "province", "unknown key"),
])
def test_city_file_mistakes_are_refused(city_dir: Path, file: str, old: str, new: str, entry: str,
                                        problem: str) -> None:
    edit(city_dir / file, old, new)
    with pytest.raises(ConfigError) as err:
        load_city_dir(city_dir)
    assert err.value.file == str(city_dir / file) and err.value.entry == entry
    assert err.value.problem.startswith(problem) and err.value.line is not None


@pytest.mark.parametrize(("file", "old", "new", "loader", "entry", "problem"), [
    ("calendar.yaml", "rest_weekdays: [6, 7]", "rest_weekdays: [6, 7]\nrest_days: [6]", load_calendar, "rest_days",
     "unknown key; expected one of: working_periods, rest_weekdays, public_holidays, overrides"),
    ("calendar.yaml", "rest_weekdays: [6, 7]", "rest_weekdays: [6, 8]", load_calendar, "rest_weekdays[2]",
     "Input should be less than or equal to 7"),
    ("calendar.yaml", "public_holidays: chinese_calendar", "public_holidays: yes", load_calendar, "public_holidays",
     "expected 'chinese_calendar' or 'none', got True"),
    ("handbook.yaml", "    accept: 10工作分钟      # 受理", "    accept: 10工作分钟\n    handle: 1工作日",
     load_handbook, "step_limits.normal.handle",
     "unknown key; expected one of: accept, verify, register, dispatch, check, close"),
    ("handbook.yaml", 'version: "2026.11-default"', "version: 2026.11", load_handbook, "version", "expected text"),
    ("areas.yaml", '  - {code: "140681", valid_from: 2018-08-08}',
     '  - {code: "140681", valid_from: 2018-08-08, successor: "140624"}', load_area_tree, "history[2] (140681)",
     "successor: do nothing when re-dating an existing area"),
    ("areas.yaml", "valid_to: 2018-08-07", "valid_to: 2018-08-32", load_area_tree, "history[1].valid_to",
     "day is out of range for month (expected a valid date YYYY-MM-DD)"),
    ("areas.yaml", "parent_code: \"140600\", valid_from", "parent: \"140600\", valid_from", load_area_tree,
     "history[1].parent", "unknown key"),
])
def test_city_configuration_mistakes_are_refused(city_dir: Path, file: str, old: str, new: str, loader,  # type: ignore[no-untyped-def]
                                                 entry: str, problem: str) -> None:
    edit(city_dir / file, old, new)
    err = _refused(city_dir, loader)
    assert err.file == str(city_dir / file) and err.entry == entry and err.problem.startswith(problem)


def test_an_edition_with_an_unknown_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "editions.yaml"
    path.write_text(EDITIONS_FILE.read_text(encoding="utf-8").replace("    minor_digits: 3", "    minor_digit: 3"),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_yaml(EditionsFile, path)
    assert err.value.entry == "editions.gbt47678.5-2026.minor_digit" and err.value.problem.startswith("unknown key")


@pytest.mark.parametrize(("old", "new", "entry", "problem"), [
    ("code,name,level,district_code,kind,handles_kinds", "code,name,level,district_code,kind,handle_kinds",
     "(header) handle_kinds", "unknown column; expected one of: code, name, level, district_code, kind,"),
    ("14060001,朔州市城市管理局,city,,", "14060001,朔州市城市管理局,town,,", "row 1 (14060001) level",
     "expected 'city' or 'district', got 'town'"),
    ("14060001,朔州市城市管理局,city,,", "14060001,朔州市城市管理局,city,140602,", "row 1 (14060001) district_code",
     "a city department has no district_code"),
    ("14060001,朔州市城市管理局,city,,", "14060001,,city,,", "row 1 (14060001) name", "missing (required)"),
])
def test_department_rows_are_checked_column_by_column(city_dir: Path, old: str, new: str, entry: str,
                                                      problem: str) -> None:
    from standards.departments import load_departments

    edit(city_dir / "departments.csv", old, new)
    err = _refused(city_dir, load_departments)
    assert err.file == str(city_dir / "departments.csv") and err.entry.endswith(entry)
    assert err.problem.startswith(problem)


@pytest.mark.parametrize(("old", "new", "entry", "problem"), [
    ("handle_limit,step_overrides,", "handle_limit,step_override,", "(header) step_override", "unknown column"),
    ("event,06010,暴露垃圾,normal,", "event,06010,暴露垃圾,routine,", "row", "expected 'urgent', 'normal' or"),
])
def test_handbook_rule_rows_are_checked_column_by_column(city_dir: Path, old: str, new: str, entry: str,
                                                         problem: str) -> None:
    edit(city_dir / "handbook.csv", old, new)
    err = _refused(city_dir, load_handbook)
    assert err.file == str(city_dir / "handbook.csv") and entry in err.entry and err.problem.startswith(problem)


def test_a_city_catalogue_table_with_an_unknown_column_is_refused(tmp_path: Path) -> None:
    from standards.catalogue import load_catalogue

    table = tmp_path / "t.csv"
    table.write_text("kind,code,name,remark\ncomponent,0101,上水井盖,x\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_catalogue("gbt30428.2-2013", city_table=table)
    assert err.value.file == str(table) and err.value.entry == "(header) remark"
    assert err.value.problem.startswith("unknown column; expected one of: kind, major_code, major_name, code, name")
