"""One small synthetic city per test run (clean and dirty, same seed), shared by the synth tests (read-only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.factories import CITY, DIRTY_CITY, SyntheticCities

SCALE, MONTHS, SEED = CITY.scale, CITY.months, CITY.seed  # test_dirty_and_reproducible generates it again


@pytest.fixture(scope="session")
def city_dir(cities: SyntheticCities) -> Path:
    return cities.get(CITY)


@pytest.fixture(scope="session")
def dirty_dir(cities: SyntheticCities) -> Path:
    return cities.get(DIRTY_CITY)


@pytest.fixture(scope="session")
def standards_inputs() -> dict:
    from synth.city import load_city_inputs

    return load_city_inputs()
