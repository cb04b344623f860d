"""Fixtures for the standards tests: the packaged Shuozhou configuration and editable copies of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from standards.areas import AreaTree, load_area_tree
from standards.calendar import WorkingCalendar, load_calendar
from standards.city import CITIES_DIR, CityConfig, packaged_city


@pytest.fixture(scope="session")
def city() -> CityConfig:
    return packaged_city("shuozhou")


@pytest.fixture(scope="session")
def calendar(city: CityConfig) -> WorkingCalendar:
    return load_calendar(city)


@pytest.fixture
def areas(city: CityConfig) -> AreaTree:
    return load_area_tree(city)


@pytest.fixture
def city_dir(tmp_path: Path) -> Path:
    """An editable copy of the Shuozhou configuration folder, as a city maintainer would have it."""
    target = tmp_path / "shuozhou"
    shutil.copytree(CITIES_DIR / "shuozhou", target)
    return target


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace text in a configuration file (fails loudly if the text is not there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
