"""Code validators: every invalid code gets a precise reason."""

from __future__ import annotations

from datetime import date

import pytest

from standards.areas import AreaTree
from standards.catalogue import load_catalogue
from standards.codes import check_component_id, check_event_code, check_grid_code

C2026 = load_catalogue("gbt47678.5-2026")
C2007 = load_catalogue("cjt214-2007")


# --- component ids -------------------------------------------------------------------------------------------------
def test_valid_component_ids_of_both_lengths(areas: AreaTree) -> None:
    ok = check_component_id("14060201001000123", C2026, areas)
    assert ok.valid and ok.reasons == []
    assert ok.parts == {"admin": "140602", "major": "01", "minor": "001", "subclass": "01001", "serial": "000123",
                        "name": "供水井盖", "provenance": "TRANSCRIBED"}
    assert check_component_id("1406020101000123", C2007, areas).valid  # 16 digits in CJ/T 214-2007


@pytest.mark.parametrize("value, catalogue, reason", [
    ("1406020100100012", C2026, "wrong length: 16 digits, expected 17"),
    ("14060201001000123", C2007, "wrong length: 17 digits, expected 16"),
    ("14060201099000123", C2026, "unknown subclass 01099"),
    ("14060209001000123", C2026, "no component major class 09"),
    ("14069901001000123", C2026, "unknown admin prefix 140699"),
    ("1406020100I000123", C2026, "non-digit characters: 'I'"),
    ("１４０６０２01001000123", C2026, "full-width digits"),
    ("14060201001000000", C2026, "serial 000000"),
])
def test_invalid_component_ids(areas: AreaTree, value: str, catalogue, reason: str) -> None:
    check = check_component_id(value, catalogue, areas)
    assert not check.valid
    assert any(reason in r for r in check.reasons), check.reasons


def test_component_id_without_an_area_tree_still_checks_the_province() -> None:
    assert check_component_id("32050801001000001", C2026).valid  # Suzhou, no tree given
    assert "unknown admin prefix 990508" in check_component_id("99050801001000001", C2026).reasons[0]


def test_huairen_county_code_is_valid_only_before_2018(areas: AreaTree) -> None:
    assert check_component_id("14062401001000001", C2026, areas, on=date(2015, 6, 1)).valid
    late = check_component_id("14062401001000001", C2026, areas, on=date(2020, 6, 1))
    assert not late.valid and "was not valid on 2020-06-01" in late.reasons[0]
    assert not check_component_id("14068101001000001", C2026, areas, on=date(2015, 6, 1)).valid


# --- grid codes ----------------------------------------------------------------------------------------------------
def test_valid_grid_code_names_its_street(areas: AreaTree) -> None:
    check = check_grid_code("140602001003017", areas)
    assert check.valid
    assert check.parts["street"] == "001" and check.parts["street_name"] == "北城街道"
    assert check.parts["community"] == "003" and check.parts["serial"] == "017"


@pytest.mark.parametrize("value, reason", [
    ("1406020010030171", "wrong length: 16 digits, expected 15"),
    ("140602999003017", "unknown street 999"),
    ("140698001003017", "unknown admin prefix 140698"),
    ("14060200100301O", "non-digit characters: 'O'"),
    ("１４０６０２001003017", "full-width digits"),
    (" 140602001003017", "whitespace"),
])
def test_invalid_grid_codes(areas: AreaTree, value: str, reason: str) -> None:
    check = check_grid_code(value, areas)
    assert not check.valid
    assert any(reason in r for r in check.reasons), check.reasons


def test_legacy_14_digit_grid_codes_are_recognised_and_accepted_only_when_allowed(areas: AreaTree) -> None:
    legacy = check_grid_code("14060200100301", areas)
    assert not legacy.valid and "legacy 14-digit CJ/T 213-2005" in legacy.reasons[0]
    allowed = check_grid_code("14060200100301", areas, allow_legacy_14=True)
    assert allowed.valid and allowed.parts["serial"] == "01" and "CJ/T 213-2005" in allowed.parts["format"]


def test_unknown_community_once_communities_are_loaded(areas: AreaTree) -> None:
    from standards.areas import Area

    areas.add(Area("140602001003", "北城社区", "community", "140602001000", date(2020, 1, 1)))
    assert check_grid_code("140602001003017", areas).valid
    check = check_grid_code("140602001009017", areas)
    assert not check.valid and "unknown community 009" in check.reasons[0]


def test_management_area_prefix_is_accepted(areas: AreaTree) -> None:
    assert check_grid_code("140671001001001", areas).valid  # 经济开发区 has no configured streets


# --- event codes ---------------------------------------------------------------------------------------------------
def test_valid_event_codes() -> None:
    check = check_event_code("06010", C2026)
    assert check.valid and check.parts["name"] == "暴露垃圾" and check.parts["major_name"] == "市容环境类"
    assert check_event_code("0102", C2007).parts["name"] == "暴露垃圾"


@pytest.mark.parametrize("value, catalogue, reason", [
    ("0102", C2026, "wrong length: 4 digits, expected 5"),
    ("06010", C2007, "wrong length: 5 digits, expected 4"),
    ("06999", C2026, "unknown subclass 06999"),
    ("11001", C2026, "no event major class 11"),
    ("06O10", C2026, "non-digit characters"),
    ("０６０１０", C2026, "full-width digits"),
])
def test_invalid_event_codes(value: str, catalogue, reason: str) -> None:
    check = check_event_code(value, catalogue)
    assert not check.valid
    assert any(reason in r for r in check.reasons), check.reasons
