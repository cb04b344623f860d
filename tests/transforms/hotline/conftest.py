"""A small synthetic city (cases + hotline logs in UTF-8, GBK, XLSX and the unmasked 'raw' variant) per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from szcg.cli import main
from szcg.settings import Settings
from transforms.cases.parquet_import import import_parquet
from warehouse.store import Warehouse


@pytest.fixture(scope="session")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "city"
    assert main(["synth", "city", "--out", str(out), "--seed", "3", "--scale", "0.5", "--months", "2",
                 "--quiet"]) == 0
    return out


@pytest.fixture
def wh(settings: Settings, city: Path) -> Warehouse:
    """A warehouse that already holds the city's cases (calls link to them)."""
    warehouse = Warehouse(settings)
    import_parquet(warehouse, city / "cases", edition="gbt47678.5-2026")
    return warehouse
