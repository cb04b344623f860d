"""``szcg evaluate --period 2026-10`` (the issue's spelling) computes the draft, like ``szcg evaluate compute``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from szcg.cli import main
from szcg.settings import Settings
from tests.transforms.evaluation.city import City
from warehouse.store import Warehouse


def test_evaluate_with_a_period_computes_the_draft(settings: Settings, october: City, small_scheme: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    with Warehouse(settings).writer() as con:
        october.load(con)
    assert main(["evaluate", "--period", "2026-10", "--scheme", str(small_scheme), "--json"]) == 0
    short = json.loads(capsys.readouterr().out)
    assert (short["period"], short["version"], short["status"]) == ("2026-10", 0, "draft")
    assert short["counts"]["cohort_cases"] == 10  # C01–C09, C12 (city.py)
    assert main(["evaluate", "compute", "--period", "2026-10", "--scheme", str(small_scheme), "--json"]) == 0
    long = json.loads(capsys.readouterr().out)
    assert long["content_sha256"] == short["content_sha256"]
    with Warehouse(settings).reader() as con:
        assert con.execute("SELECT count(*) FROM marts.scorecard WHERE period = '2026-10'").fetchone() == (1,)


def test_evaluate_without_a_period_or_command_is_a_usage_error(settings: Settings,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate"]) == 2
    assert "--period" in capsys.readouterr().err
    assert main(["evaluate", "--period", "2026-13"]) == 1  # a bad period is rejected with its reason
    assert "2026-13" in capsys.readouterr().err


def test_the_cli_judges_open_cases_with_the_city_handbook(settings: Settings, october: City, small_scheme: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """C12 (city.py) was dispatched to DEPT_A on Friday 10-30 10:00 and not handled by the cut-off 11-01 00:00:
    10:00–12:00 + 14:00–18:00 = 6 working hours. As component 01001 (处置 limit 4 working hours in the city's
    指挥手册) it is 超期未处置: 超时倍数 6 / 4 − 1 = 0.5."""
    from standards.city import load_city
    from standards.handbook import load_handbook
    from tests.transforms.evaluation.city import D1, DA

    limit = load_handbook(load_city(settings)).rule_for("01001", "component").limits["handle"]
    assert (limit.hours, limit.basis) == (4.0, "working")  # the precondition the hand count rests on
    with Warehouse(settings).writer() as con:
        october.load(con)
        con.execute("UPDATE core.\"case\" SET kind = 'component', subclass_code = '01001' WHERE case_id = 't:C12'")
    assert main(["evaluate", "--period", "2026-10", "--scheme", str(small_scheme), "--json"]) == 0
    capsys.readouterr()
    with Warehouse(settings).reader() as con:
        def ind(obj: str, entity: str, key: str) -> tuple[float, float]:
            row = con.execute("SELECT numerator, denominator FROM marts.indicator_value WHERE period = '2026-10' "
                              "AND version = 0 AND object = ? AND entity_code = ? AND indicator = ?",
                              [obj, entity, key]).fetchone()
            assert row is not None
            return row
        assert ind("region", D1, "overdue_rate") == (2, 6)  # C02 (late 反馈) and now C12
        assert ind("department", DA, "overdue_count")[0] == 2
        assert ind("department", DA, "overdue_multiple") == (0.5 + 0.5, 2)  # C02 recorded 0.5, C12 0.5
