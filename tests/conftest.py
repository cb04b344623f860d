"""Shared fixtures: every test gets its own data directory (the embedded default layout under a tmp dir); synthetic
cities and other expensive inputs are built once per run and shared (tests/support/factories.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from szcg.settings import Settings
from tests.support.factories import SharedBuilds, SyntheticCities, shared_root
from usecases.wiring import wire

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
# Tests run as production does, with a secret key for callers' hashes (not the demo's public one); subprocesses
# (Airflow runs) inherit it.
TEST_HASH_KEY = "szcg-tests-hash-key-0123456789abcdef"
os.environ.setdefault("SZCG_HASH_KEY", TEST_HASH_KEY)

# The test process is an entry point like the CLI: it registers the areas' audits and mart builders once, so a
# test that publishes directly (Warehouse.publish) runs every gate, as production does.
wire()


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    data_dir = tmp_path / "var"
    monkeypatch.setenv("SZCG_DATA_DIR", str(data_dir))
    monkeypatch.setenv("SZCG_WAREHOUSE_KEEP_SNAPSHOTS", "3")
    yield Settings(data_dir=data_dir, warehouse_keep_snapshots=3,
                   hash_key=os.environ["SZCG_HASH_KEY"]).with_data_dir(data_dir)


@pytest.fixture(scope="session")
def shared_builds(tmp_path_factory: pytest.TempPathFactory) -> SharedBuilds:
    """Folders built once per run by key, shared by every test and xdist worker (tests/support/factories.py)."""
    return SharedBuilds(shared_root(tmp_path_factory))


@pytest.fixture(scope="session")
def cities(shared_builds: SharedBuilds) -> SyntheticCities:
    """The run's synthetic cities, one per CitySpec: ``cities.get(spec)`` read-only, ``cities.copy(spec, dest)``."""
    return SyntheticCities(shared_builds)

