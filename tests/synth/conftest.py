"""One small synthetic city per test session (clean and dirty), shared by the synth tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from synth.city import Options, generate_city

SCALE, MONTHS, SEED = 0.5, 2, 7


@pytest.fixture(scope="session")
def city_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "clean"
    generate_city(Options(out, SCALE, MONTHS, SEED))
    return out


@pytest.fixture(scope="session")
def dirty_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "dirty"
    generate_city(Options(out, SCALE, MONTHS, SEED, dirty=True))
    return out


@pytest.fixture(scope="session")
def standards_inputs() -> dict:
    from synth.city import load_city_inputs

    return load_city_inputs()
