"""Thirteen evaluated, published months of the synthetic city, built once per run and copied per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from szcg.settings import Settings
from tests.support.factories import SharedBuilds, copy_writable
from tests.transforms.report.synth_city import build_evaluated_city, months_of


def _build(folder: Path) -> None:
    data_dir = folder / "var"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SZCG_DATA_DIR", str(data_dir))
        settings = Settings(data_dir=data_dir, hash_key=os.environ["SZCG_HASH_KEY"]).with_data_dir(data_dir)
        build_evaluated_city(settings, folder / "city")


@pytest.fixture(scope="session")
def thirteen_months(shared_builds: SharedBuilds) -> tuple[Path, list[str]]:
    """The shared build (read-only): its data directory and the evaluated months, oldest first."""
    folder = shared_builds.build("report-thirteen-months", _build)
    return folder / "var", months_of(folder / "city")


@pytest.fixture
def evaluated_city(settings: Settings, thirteen_months: tuple[Path, list[str]]) -> list[str]:
    """This test's own copy of the warehouse (a test may re-issue a month); returns the evaluated months."""
    source, months = thirteen_months
    copy_writable(source, settings.data_dir)
    return months
