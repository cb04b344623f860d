"""One embedded Airflow per test session (SQLite metadata migrated once), one small synthetic city.

Airflow reads ``AIRFLOW_HOME`` when it is first imported, so it is set here, at collection, before any test
module imports Airflow in this process.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.factories import SMALL_CITY, SyntheticCities

_ROOT = Path(tempfile.mkdtemp(prefix="szcg-dagtests-"))
if "airflow" not in sys.modules:
    from orchestration import airflow_env

    # Airflow's own settings only; each test module chooses its SZCG_DATA_DIR (fixture data_dir)
    os.environ.update({k: v for k, v in airflow_env.airflow_env(_ROOT / "session").items() if k.startswith("AIRFLOW")})
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
    (_ROOT / "session" / "airflow").mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    """``airflow db migrate`` once for the whole session, and the warehouse_writer pool."""
    import airflow.configuration

    from orchestration import airflow_env

    expected = _ROOT / "session" / "airflow"
    if Path(airflow.configuration.AIRFLOW_HOME) != expected:
        pytest.skip(f"Airflow was imported before tests/dags/conftest.py could point it at {expected}")
    airflow_env.migrate_once(_ROOT / "session")
    airflow_env.ensure_pool()
    return expected


@pytest.fixture(scope="session")
def dagbag(airflow_home: Path) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    from orchestration.airflow_env import DAGS_FOLDER

    bag = DagBag(dag_folder=str(DAGS_FOLDER), safe_mode=False)
    assert not bag.import_errors
    return bag


@pytest.fixture(scope="session")
def small_city(cities: SyntheticCities) -> Path:
    """A small synthetic Shuozhou (seed 1): grids, 12 census batches, two months of cases, hotline logs (read-only)."""
    return cities.get(SMALL_CITY)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One data directory per test module: the module's DAG runs build one warehouse, in order."""
    path = tmp_path_factory.mktemp("data")
    saved = os.environ.get("SZCG_DATA_DIR")
    os.environ["SZCG_DATA_DIR"] = str(path)
    yield path
    if saved is None:
        os.environ.pop("SZCG_DATA_DIR", None)
    else:
        os.environ["SZCG_DATA_DIR"] = saved
