"""Catalogue editions with provenance, a city completing the fragmentary 2013 edition, and the crosswalk."""

from __future__ import annotations

from pathlib import Path

import pytest

from standards.catalogue import EDITIONS, crosswalk, load_catalogue, load_crosswalk, translate
from szcg.errors import ConfigError


def test_editions_have_official_titles() -> None:
    assert EDITIONS == {"cjt214-2007": "CJ/T 214-2007", "gbt30428.2-2013": "GB/T 30428.2-2013",
                        "gbt47678.5-2026": "GB/T 47678.5-2026"}


def test_cjt214_2007_has_85_components_and_50_events() -> None:
    cat = load_catalogue("cjt214-2007")
    assert (len(cat.components()), len(cat.events())) == (85, 50)
    cover = cat.get("0101", "component")
    assert cover is not None and cover.name == "上水井盖" and cover.provenance == "RECONSTRUCTED"
    assert cover.major_name == "公用设施类"


def test_gbt47678_2026_has_153_components_and_250_matters() -> None:
    cat = load_catalogue("GB/T 47678.5-2026")  # the official title works too
    assert (len(cat.components()), len(cat.events())) == (153, 250)
    assert {s.provenance for s in cat.subclasses} == {"TRANSCRIBED"}
    assert cat.get("01001").name == "供水井盖"  # type: ignore[union-attr]
    assert cat.get("01001", "event").name == "供水井盖异常"  # type: ignore[union-attr]
    assert cat.get("01016") is None  # a gap in the 2026 numbering


def test_2013_edition_is_fragments_plus_derived_rows_marked_as_such() -> None:
    cat = load_catalogue("gbt30428.2-2013")
    assert not cat.complete
    fragment = cat.get("0101", "component")
    assert fragment is not None and fragment.name == "上水井盖" and not fragment.derived_from
    derived = cat.get("0103", "component")
    assert derived is not None and derived.derived_from == "01003" and derived.provenance == "RECONSTRUCTED"
    # events: 2026 code with major − 5 and the minor cut to two digits (NOTES §2.4)
    assert cat.get("0110", "event").name == "暴露垃圾"  # type: ignore[union-attr]
    assert cat.get("0501", "event").derived_from == "10001"  # type: ignore[union-attr]


def test_a_city_completes_the_2013_edition_with_its_own_table(tmp_path: Path) -> None:
    table = tmp_path / "suzhou_2013.csv"
    table.write_text("kind,major_code,major_name,code,name\n"
                     "component,01,公用设施,0103,雨水井盖\n"
                     "component,01,公用设施,0199,本地扩展井盖\n"
                     "event,01,市容环境,0110,暴露垃圾\n", encoding="utf-8")
    cat = load_catalogue("gbt30428.2-2013", city_table=table)
    assert cat.complete
    assert cat.get("0103").provenance == "CITY"  # type: ignore[union-attr]
    assert cat.get("0199") is not None
    assert cat.get("0104") is None  # derived rows are dropped once the city supplies its table
    assert cat.get("0101").name == "上水井盖"  # source fragments not in the table stay


def test_a_bad_city_table_is_rejected_naming_the_row(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("kind,major_code,major_name,code,name\ncomponent,01,公用设施,01001,供水井盖\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_catalogue("gbt30428.2-2013", city_table=table)
    assert err.value.file == str(table) and "row 1" in err.value.entry and "4 digits" in err.value.problem


def test_crosswalk_maps_renamed_split_and_moved_subclasses() -> None:
    [cover] = translate("0101", "cjt214-2007", "gbt47678.5-2026", "component")
    assert (cover.to_code, cover.to_name, cover.relation) == ("01001", "供水井盖", "renamed")
    poles = translate("0117", "cjt214-2007", "gbt47678.5-2026", "component")
    assert {p.to_code for p in poles} == {"01030", "01031", "01032", "01033", "01034"}
    assert {p.relation for p in poles} == {"split"}
    [board] = translate("0501", "cjt214-2007", "gbt47678.5-2026", "component")
    assert (board.to_code, board.relation) == ("03008", "moved")


def test_crosswalk_backwards_from_2026() -> None:
    [back] = translate("01001", "gbt47678.5-2026", "cjt214-2007", "component")
    assert (back.to_code, back.to_name, back.relation) == ("0101", "上水井盖", "renamed")
    [pole] = translate("01031", "gbt47678.5-2026", "cjt214-2007", "component")
    assert (pole.to_code, pole.relation) == ("0117", "merged")
    assert translate("01054", "gbt47678.5-2026", "cjt214-2007", "component") == []  # 充电桩 is new in 2026


def test_unknown_stays_unknown() -> None:
    unknown = [e for e in load_crosswalk() if e.relation == "unknown"]
    assert unknown and all(e.to_code == "" for e in unknown)
    [e] = translate("0202", "cjt214-2007", "gbt47678.5-2026", "component")  # 停车咪表: no established match
    assert e.relation == "unknown" and e.to_code == ""
    # an unknown old code says nothing about a new one, so nothing is inverted from it
    assert all(e.relation != "unknown" for e in crosswalk("gbt47678.5-2026", "cjt214-2007"))


def test_crosswalk_from_2013_fragments_uses_the_code_rule() -> None:
    [e] = translate("0110", "gbt30428.2-2013", "gbt47678.5-2026", "event")
    assert (e.to_code, e.to_name, e.relation) == ("06010", "暴露垃圾", "same")
    [e] = translate("0606", "gbt30428.2-2013", "gbt47678.5-2026", "event")
    assert e.relation == "unknown"
