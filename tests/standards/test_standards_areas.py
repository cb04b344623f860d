"""The Shuozhou area tree: 市 → 6 区县 (+ 经济开发区) → 69 街道/乡镇, versioned, with CGCS2000 geometries."""

from __future__ import annotations

from datetime import date

import pytest
from shapely.geometry import Point

from standards.areas import Area, AreaTree, load_area_tree
from szcg.errors import ConfigError

from .conftest import edit


def test_city_districts_and_streets(areas: AreaTree) -> None:
    assert areas.get("140600").name == "朔州市"  # type: ignore[union-attr]
    assert [d.name for d in areas.districts()] == ["朔城区", "平鲁区", "山阴县", "应县", "右玉县", "怀仁市"]
    assert len(areas.streets()) == 69
    assert [m.name for m in areas.management_areas()] == ["山西朔州经济开发区"]
    north = areas.get("140602001000")
    assert north is not None and north.name == "北城街道" and north.parent_code == "140602"
    assert areas.get("140602001") == north  # the 9-digit street part of a grid code finds the street
    assert len(areas.streets("140602")) == 14


def test_huairen_county_became_huairen_city_in_2018(areas: AreaTree) -> None:
    county, city = areas.get("140624"), areas.get("140681")
    assert county is not None and county.name == "怀仁县" and county.valid_to == date(2018, 8, 7)
    assert county.successor == "140681"
    assert city is not None and city.valid_from == date(2018, 8, 8) and city.valid_to is None
    assert [d.code for d in areas.districts(on=date(2015, 1, 1))][-1] == "140624"
    assert "140624" not in [d.code for d in areas.districts()]
    assert areas.has_admin_prefix("140624") and not areas.has_admin_prefix("140624", on=date(2019, 1, 1))
    # streets of 怀仁市 cannot predate it
    assert areas.get("140681001", on=date(2015, 1, 1)) is None


def test_district_geometry_is_cgcs2000_lon_lat(areas: AreaTree) -> None:
    shuocheng = areas.district_geometry("140602")
    assert shuocheng is not None and shuocheng.contains(Point(112.4498, 39.2810))
    minx, miny, maxx, maxy = areas.district_geometry("140600").bounds
    assert 111.5 < minx < maxx < 114 and 38.9 < miny < maxy < 40.5
    # the renamed county has its successor's territory
    assert areas.district_geometry("140624").equals(areas.district_geometry("140681"))


def test_loaders_add_communities_and_grids(areas: AreaTree) -> None:
    areas.add(Area("140602001003", "北城社区", "community", "140602001000", date(2020, 1, 1)))
    areas.add(Area("140602001003017", "北城社区17号网格", "grid", "140602001003", date(2024, 1, 1)))
    assert [c.code for c in areas.children("140602001000")] == ["140602001003"]
    assert areas.district_of("140602001003017").code == "140602"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="does not start with its parent's code"):
        areas.add(Area("140603001003", "错挂社区", "community", "140602001000", date(2020, 1, 1)))
    with pytest.raises(ValueError, match="not in the tree"):
        areas.add(Area("140602777001", "无街道社区", "community", "140602777000", date(2020, 1, 1)))


def test_each_load_is_a_separate_tree(city) -> None:
    first = load_area_tree(city)
    first.add(Area("140602001003", "北城社区", "community", "140602001000", date(2020, 1, 1)))
    assert load_area_tree(city).get("140602001003") is None


def test_bad_history_entry_is_rejected(city_dir, city) -> None:
    from standards.city import load_city_dir

    edit(city_dir / "areas.yaml", "valid_to: 2018-08-07", "valid_to: 1999-08-07")
    with pytest.raises(ConfigError) as err:
        load_area_tree(load_city_dir(city_dir))
    assert err.value.file.endswith("areas.yaml") and "140624" in err.value.entry
    assert "before valid_from" in err.value.problem
