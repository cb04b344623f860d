"""The ``grid_map_update`` DAG run end to end with ``dag.test()``: a grid map is loaded, published and reported,
and the same map again changes nothing. Its own warehouse (module-scoped data directory), so it runs alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from szcg.settings import Settings, load_settings
from tests.dags.test_dag_runs import published, run, states, xcom

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def settings(data_dir: Path) -> Settings:
    from usecases.reference import load_reference_data

    s = load_settings()
    assert s.data_dir == data_dir
    load_reference_data(s)
    return s


def test_a_grid_map_is_loaded_published_and_reported(dagbag: Any, settings: Settings, small_city: Path) -> None:
    from szcg.demo import grids_valid_from

    conf = {"path": str(small_city / "geography" / "grids.gpkg"),
            "valid_from": grids_valid_from(small_city).isoformat()}
    dag_run = run(dagbag, "grid_map_update", conf)
    assert set(states(dag_run).values()) == {"success"}, states(dag_run)
    loaded = xcom(dag_run, "load")
    assert loaded["rows_loaded"] > 0 and loaded["rows_in"] == loaded["rows_loaded"] + loaded["rows_quarantined"]
    assert xcom(dag_run, "publish")["published"] is True
    assert published(settings, "SELECT count(*) FROM core.grid WHERE valid_to IS NULL") == loaded["rows_loaded"]
    report = json.loads(Path(xcom(dag_run, "report")).read_text(encoding="utf-8"))
    assert report["result"]["batch_id"] == loaded["batch_id"]

    again = run(dagbag, "grid_map_update", conf)  # the same map again: nothing loaded, nothing published
    assert set(states(again).values()) == {"success"}, states(again)
    assert xcom(again, "load")["already_loaded"] and xcom(again, "publish")["published"] is False


def test_a_file_that_is_not_a_grid_map_fails_the_run_and_publishes_nothing(dagbag: Any, settings: Settings,
                                                                           tmp_path: Path) -> None:
    bad = tmp_path / "not-grids.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    dag_run = run(dagbag, "grid_map_update", {"path": str(bad), "valid_from": ""})
    got = states(dag_run)
    assert got["load"] == "success" and got["report"] == "failed", got
    assert xcom(dag_run, "publish") == {"published": False, "why": "batch rejected"}
