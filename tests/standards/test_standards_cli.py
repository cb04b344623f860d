"""``szcg standards …`` as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from szcg.cli import main

from .conftest import edit


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    rc = main(["standards", *argv])
    out = capsys.readouterr()
    return rc, out.out + out.err


def test_show_a_subclass_with_its_handbook_rule_and_crosswalk(settings, capsys) -> None:
    rc, out = run(capsys, "show", "01001", "--kind", "component")
    assert rc == 0 and "供水井盖" in out and "TRANSCRIBED" in out and "0101 上水井盖" in out
    rc, out = run(capsys, "show", "0117", "--edition", "CJ/T 214-2007", "--kind", "component", "--json")
    data = json.loads(out)
    assert rc == 0 and data["subclasses"][0]["name"] == "立杆"
    assert {m["relation"] for m in data["subclasses"][0]["crosswalk"]} == {"split"}


def test_show_unknown_code_exits_1(settings, capsys) -> None:
    rc, out = run(capsys, "show", "99999")
    assert rc == 1 and "no component or event subclass" in out


def test_search_finds_a_subclass_by_name_in_every_edition(settings, capsys) -> None:
    rc, out = run(capsys, "search", "路灯", "--json")
    data = json.loads(out)
    assert rc == 0
    assert {"gbt47678.5-2026", "cjt214-2007"} <= {s["edition"] for s in data["subclasses"]}
    assert any(s["code"] == "01037" and s["kind"] == "component" for s in data["subclasses"])
    rc, out = run(capsys, "search", "路灯", "--edition", "GB/T 47678.5-2026", "--kind", "component")
    assert rc == 0 and "01037" in out and "CJ/T" not in out
    rc, out = run(capsys, "show", "路灯")
    assert rc == 1 and "szcg standards search 路灯" in out
    rc, out = run(capsys, "search", "火星人")
    assert rc == 1 and "0 subclasses match" in out


def test_check_codes(settings, capsys) -> None:
    assert run(capsys, "check", "component-id", "14060201001000123")[0] == 0
    rc, out = run(capsys, "check", "grid-code", "１４０６０２001003017")
    assert rc == 1 and "full-width digits" in out
    rc, out = run(capsys, "check", "grid-code", "14060200100301", "--json")
    assert rc == 1 and json.loads(out)["valid"] is False and "legacy" in json.loads(out)["reasons"][0]
    assert run(capsys, "check", "grid-code", "14060200100301", "--allow-legacy-14")[0] == 0
    rc, out = run(capsys, "check", "event-code", "0102", "--edition", "cjt214-2007", "--json")
    assert rc == 0 and json.loads(out)["parts"]["name"] == "暴露垃圾"
    rc, out = run(capsys, "check", "component-id", "14062401001000001", "--on", "2020-01-01")
    assert rc == 1 and "was not valid on 2020-01-01" in out


def test_crosswalk_between_two_editions(settings, capsys) -> None:
    rc, out = run(capsys, "crosswalk", "--from", "cjt214-2007", "--to", "gbt47678.5-2026", "--json")
    data = json.loads(out)
    assert rc == 0 and data["relations"]["unknown"] > 0
    cover = [e for e in data["entries"] if e["from_code"] == "0101" and e["kind"] == "component"]
    assert cover[0]["to_name"] == "供水井盖"


def test_validate_config(settings, capsys, city_dir: Path) -> None:
    rc, out = run(capsys, "validate-config", "--json")
    data = json.loads(out)
    assert rc == 0 and data["handbook_rules"] == 403 and data["streets"] == 69 and data["departments"] == 30
    edit(city_dir / "handbook.csv", "event,06010,暴露垃圾,normal,14060003", "event,06010,暴露垃圾,normal,14069999")
    rc, out = run(capsys, "validate-config", "--city-dir", str(city_dir))
    assert rc == 1 and "handbook.csv" in out and "06010" in out and "unknown department" in out
