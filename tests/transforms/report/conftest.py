"""Thirteen evaluated, published months of the synthetic city, built once per session and copied per test."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from szcg.settings import Settings
from tests.transforms.report.synth_city import build_evaluated_city


@pytest.fixture(scope="session")
def thirteen_months(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("city13")
    data_dir = root / "var"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SZCG_DATA_DIR", str(data_dir))
        settings = Settings(data_dir=data_dir, hash_key=os.environ["SZCG_HASH_KEY"]).with_data_dir(data_dir)
        months = build_evaluated_city(settings, root / "city")
    return data_dir, months


@pytest.fixture
def evaluated_city(settings: Settings, thirteen_months: tuple[Path, list[str]]) -> list[str]:
    """This test's own copy of the warehouse (a test may re-issue a month); returns the evaluated months."""
    source, months = thirteen_months
    shutil.copytree(source, settings.data_dir, symlinks=True)
    return months
