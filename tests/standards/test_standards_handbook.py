"""The 指挥手册: a complete rule per subclass of the city's edition; nonsense is rejected at load, naming the file,
the entry and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from standards.catalogue import load_catalogue
from standards.city import load_city_dir
from standards.departments import load_departments, responsible_department
from standards.handbook import STEPS, load_handbook, parse_limit
from szcg.errors import ConfigError

from .conftest import edit


def test_shuozhou_handbook_covers_every_subclass_of_its_edition(city) -> None:
    handbook = load_handbook(city)
    catalogue = load_catalogue(city.edition)
    assert handbook.edition == "gbt47678.5-2026"
    assert len(handbook.rules()) == len(catalogue.subclasses) == 403
    for rule in handbook.rules():
        assert set(rule.limits) == set(STEPS)
        assert rule.register_condition and rule.close_condition


def test_example_values_are_marked_and_used(city) -> None:
    rule = load_handbook(city).rule_for("06010", "event")  # 暴露垃圾
    assert rule.value_origin == "EXAMPLE" and "case_time_limits.csv" in rule.source
    assert (rule.limits["handle"].hours, rule.limits["handle"].basis) == (4, "working")
    greenery = load_handbook(city).rule_for("04013", "event")  # 绿地养护 5个工作日 → 40 working hours
    assert greenery.limits["handle"].hours == 40 and greenery.limits["handle"].source == "5工作日"


def test_urgent_rules_run_on_natural_time(city) -> None:
    snow = load_handbook(city).rule_for("10001")  # 道路积雪、结冰
    assert snow.handling_class == "urgent"
    assert {limit.basis for limit in snow.limits.values()} == {"natural"}


def test_unknown_code_is_a_key_error(city) -> None:
    with pytest.raises(KeyError):
        load_handbook(city).rule_for("99999")


def test_parse_limit_units() -> None:
    assert parse_limit("30工作分钟", 8).hours == 0.5
    assert parse_limit("2工作日", 8).hours == 16
    assert parse_limit("1自然日", 8).basis == "natural"
    with pytest.raises(ValueError, match="positive"):
        parse_limit("-4工作时", 8)
    with pytest.raises(ValueError, match="not a time limit"):
        parse_limit("4 hours", 8)


def test_departments_at_city_and_district_level(city) -> None:
    departments = load_departments(city)
    assert len(departments) == 30
    assert {d.level for d in departments} == {"city", "district"}
    sanitation = next(d for d in departments if d.kind == "sanitation" and d.level == "city")
    # in 山阴县 the county's own 城市管理局 takes sanitation cases; in the city centre the city department does
    assert responsible_department(departments, sanitation.code, "140621").name == "山阴县城市管理局"
    assert responsible_department(departments, sanitation.code, "140602").name == "朔城区城市管理局"
    power = next(d for d in departments if d.kind == "power")
    assert responsible_department(departments, power.code, "140621") == power


def _load(city_dir: Path) -> None:
    load_handbook(load_city_dir(city_dir))


def _rejected(city_dir: Path) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        _load(city_dir)
    return err.value


def test_negative_limit_is_rejected(city_dir: Path) -> None:
    edit(city_dir / "handbook.csv", "event,06010,暴露垃圾,normal,14060003,4工作时",
         "event,06010,暴露垃圾,normal,14060003,-4工作时")
    err = _rejected(city_dir)
    assert err.file.endswith("handbook.csv") and "06010" in err.entry and "must be positive" in err.problem


def test_unknown_department_is_rejected(city_dir: Path) -> None:
    edit(city_dir / "handbook.csv", "event,06010,暴露垃圾,normal,14060003", "event,06010,暴露垃圾,normal,14069999")
    err = _rejected(city_dir)
    assert "06010" in err.entry and "unknown department '14069999'" in err.problem


def test_unknown_subclass_code_is_rejected(city_dir: Path) -> None:
    edit(city_dir / "handbook.csv", "event,06010,暴露垃圾", "event,06999,暴露垃圾")
    err = _rejected(city_dir)
    assert "06999" in err.entry and "unknown subclass code '06999'" in err.problem


def test_missing_step_is_rejected(city_dir: Path) -> None:
    edit(city_dir / "handbook.yaml", "    verify: 1工作时         # 核实\n", "")
    err = _rejected(city_dir)
    assert err.file.endswith("handbook.yaml") and err.entry == "step_limits.normal.verify"
    assert "missing (required): the limit of step verify (核实)" in err.problem


def test_missing_rule_for_a_subclass_is_rejected(city_dir: Path) -> None:
    path = city_dir / "handbook.csv"
    path.write_text("".join(line for line in path.read_text(encoding="utf-8").splitlines(True)
                            if not line.startswith("event,06010,")), encoding="utf-8")
    err = _rejected(city_dir)
    assert "no rule for 1 subclass" in err.problem and "06010" in err.problem


def test_urgent_limit_on_working_time_is_rejected(city_dir: Path) -> None:
    edit(city_dir / "handbook.yaml", "accept: 5自然分钟", "accept: 5工作分钟")
    err = _rejected(city_dir)
    assert err.entry == "step_limits.urgent.accept" and "natural time" in err.problem


def test_bad_calendar_hours_reject_the_handbook_too(city_dir: Path) -> None:
    edit(city_dir / "calendar.yaml", '["08:00", "12:00"]', '["08:00", "07:00"]')
    err = _rejected(city_dir)
    assert err.file.endswith("calendar.yaml") and err.entry == "working_periods[1]"


def test_handbook_of_another_edition_is_rejected(city_dir: Path) -> None:
    edit(city_dir / "handbook.yaml", "edition: gbt47678.5-2026", "edition: cjt214-2007")
    err = _rejected(city_dir)
    assert err.entry == "edition" and "gbt47678.5-2026" in err.problem


def test_department_in_an_unknown_district_is_rejected(city_dir: Path) -> None:
    edit(city_dir / "departments.csv", "14062201,应县城市管理局,district,140622",
         "14062201,应县城市管理局,district,140629")
    with pytest.raises(ConfigError) as err:
        load_departments(load_city_dir(city_dir))
    assert err.value.entry == "14062201" and "140629" in err.value.problem


def test_loading_is_cached(city) -> None:
    import time

    load_handbook(city)
    started = time.perf_counter()
    for _ in range(100):
        load_handbook(city)
    assert time.perf_counter() - started < 0.5


def test_a_city_on_the_2013_edition_completes_it_with_its_own_table(city_dir: Path) -> None:
    """Another city adopts szcg by configuration only: GB/T 30428.2-2013 plus its own subclass table."""
    (city_dir / "table_2013.csv").write_text(
        "kind,major_code,major_name,code,name\ncomponent,01,公用设施,0103,雨水井盖\nevent,01,市容环境,0102,暴露垃圾\n",
        encoding="utf-8")
    edit(city_dir / "city.yaml", "edition: gbt47678.5-2026", "edition: gbt30428.2-2013")
    edit(city_dir / "city.yaml", "  # catalogue_table: my_2013_table.csv", "  catalogue_table: table_2013.csv")
    edit(city_dir / "handbook.yaml", "edition: gbt47678.5-2026", "edition: gbt30428.2-2013")
    city = load_city_dir(city_dir)
    catalogue = load_catalogue(city.edition, city.catalogue_table)
    header = "kind,subclass_code,handling_class,department_code,handle_limit,register_condition,close_condition\n"
    rows = "".join(f"{s.kind},{s.code},normal,14060001,1工作日,{s.name}损坏,{s.name}修复\n"
                   for s in catalogue.subclasses)
    (city_dir / "handbook.csv").write_text(header + rows, encoding="utf-8")
    handbook = load_handbook(city)
    assert handbook.edition == "gbt30428.2-2013"
    assert handbook.rule_for("0103", "component").limits["handle"].hours == 8
    assert catalogue.get("0103").provenance == "CITY"  # type: ignore[union-attr]


def test_settings_can_point_to_a_city_folder(city_dir: Path, tmp_path: Path) -> None:
    from standards.city import load_city
    from szcg.settings import Settings

    edit(city_dir / "city.yaml", "name: 朔州市", "name: 测试市")
    city = load_city(Settings(data_dir=tmp_path, city_config_dir=city_dir))
    assert city.name == "测试市" and city.config_dir == city_dir.resolve()


def test_step_override_with_an_unknown_step_is_rejected(city_dir: Path) -> None:
    edit(city_dir / "handbook.csv", "event,06010,暴露垃圾,normal,14060003,4工作时,",
         "event,06010,暴露垃圾,normal,14060003,4工作时,inspect=1工作时")
    err = _rejected(city_dir)
    assert "06010" in err.entry and "unknown step 'inspect'" in err.problem


def test_step_override_applies_to_one_subclass(city_dir: Path) -> None:
    edit(city_dir / "handbook.csv", "event,06010,暴露垃圾,normal,14060003,4工作时,",
         "event,06010,暴露垃圾,normal,14060003,4工作时,verify=30工作分钟")
    handbook = load_handbook(load_city_dir(city_dir))
    assert handbook.rule_for("06010").limits["verify"].hours == 0.5
    assert handbook.rule_for("06011").limits["verify"].hours == 1


def test_a_subclass_listed_twice_is_rejected(city_dir: Path) -> None:
    path = city_dir / "handbook.csv"
    line = next(x for x in path.read_text(encoding="utf-8").splitlines(True) if x.startswith("event,06010,"))
    path.write_text(path.read_text(encoding="utf-8") + line, encoding="utf-8")
    err = _rejected(city_dir)
    assert "06010" in err.entry and "listed twice" in err.problem
