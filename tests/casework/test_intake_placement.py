"""A report with a position but no grid code is placed at intake in the grid that contains it (and so its
community, street and district), from the published warehouse's current grids: a district dispatcher sees it at
once. Grids are closed, as in the census and the warehouse (transforms/cases/areas.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from casework.deadlines import CaseStandards
from szcg.settings import load_settings
from tests.casework.conftest import make_env
from warehouse.store import Warehouse

SHUOCHENG = "140602001001001"
PINGLU = "140603001001002"
SQUARE_SC = "POLYGON ((112.40 39.30, 112.45 39.30, 112.45 39.35, 112.40 39.35, 112.40 39.30))"
SQUARE_PL = "POLYGON ((112.45 39.30, 112.50 39.30, 112.50 39.35, 112.45 39.35, 112.45 39.30))"  # shares an edge


def publish_grids(data_dir: Path, grids: list[tuple[str, str]]) -> None:
    wh = Warehouse(load_settings().with_data_dir(data_dir))
    with wh.writer() as con:
        con.execute("UPDATE core.grid SET valid_to = DATE '2026-06-30' WHERE valid_to IS NULL")
        for code, wkt in grids:
            con.execute("INSERT INTO core.grid VALUES (?, ?, ?, ?, NULL, ?, ?, NULL, 'test-grids')",
                        [code, code[:12], code[:9], code[:6], wkt, date(2026, 7, 1)])
    wh.publish("grids for intake placement", mart_builders=[])


@pytest.fixture(scope="module")
def placed_env(standards: CaseStandards, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("placement")
    publish_grids(tmp, [(SHUOCHENG, SQUARE_SC), (PINGLU, SQUARE_PL)])
    env = make_env(f"sqlite:///{tmp / 'casework.sqlite'}", standards, tmp, datetime(2026, 11, 23, 9, 0))
    env.data_dir = tmp  # type: ignore[attr-defined]
    yield env
    env.client.app.state.service.db.dispose()  # type: ignore[attr-defined]


def report_at(env: Any, lon: float, lat: float, **extra: Any) -> Any:
    return env.client.post("/cases", headers=env.h("operator"), json={
        "kind": "component", "subclass_code": "01001", "source": "hotline", "lon": lon, "lat": lat, **extra})


def test_a_position_is_placed_in_its_grid_and_district_at_intake(placed_env: Any) -> None:
    r = report_at(placed_env, 112.42, 39.32)
    assert r.status_code == 201, r.text
    case = r.json()["case"]
    assert (case["grid_code"], case["district_code"]) == (SHUOCHENG, "140602")
    event = placed_env.case(case["id"])["events"][0]
    assert event["grid_code"] == SHUOCHENG and event["data"]["area_method"] == "point_in_grid"
    assert (event["data"]["community_code"], event["data"]["street_code"]) == (SHUOCHENG[:12], SHUOCHENG[:9])
    seen = placed_env.client.get(f"/cases/{case['id']}", headers=placed_env.h("dispatcher_sc"))
    assert seen.status_code == 200  # the district dispatcher sees it
    assert placed_env.client.get(f"/cases/{case['id']}", headers=placed_env.h("dispatcher_pl")).status_code == 404


def test_grids_are_closed_and_a_shared_edge_takes_the_smaller_code(placed_env: Any) -> None:
    on_edge = report_at(placed_env, 112.45, 39.32).json()["case"]
    assert on_edge["grid_code"] == SHUOCHENG  # on the edge of both: the smaller code
    corner = report_at(placed_env, 112.50, 39.35).json()["case"]
    assert corner["grid_code"] == PINGLU and corner["district_code"] == "140603"


def test_a_position_in_no_grid_keeps_what_was_reported(placed_env: Any) -> None:
    outside = report_at(placed_env, 113.0, 40.0).json()["case"]
    assert outside["grid_code"] is None and outside["district_code"] is None
    given = report_at(placed_env, 112.42, 39.32, grid_code="140602001001009").json()["case"]
    assert given["grid_code"] == "140602001001009"  # a recorded grid code wins, as in the warehouse
    r = report_at(placed_env, 112.42, 39.32, district_code="140603")
    assert r.status_code == 422 and r.json()["detail"]["field"] == "district_code"


def test_a_newly_published_grid_is_used_for_the_next_report(placed_env: Any) -> None:
    publish_grids(placed_env.data_dir, [("140602001001003", SQUARE_SC)])
    case = report_at(placed_env, 112.42, 39.32).json()["case"]
    assert case["grid_code"] == "140602001001003"
