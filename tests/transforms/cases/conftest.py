"""Fixtures for case ingestion tests: a warehouse in the test's own data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from szcg.settings import Settings
from warehouse.store import Warehouse

REPO = Path(__file__).resolve().parents[3]
EXPORTS = REPO.parent / "shared" / "data" / "legacy_exports"
MAPPINGS = REPO / "transforms" / "mappings"


@pytest.fixture
def wh(settings: Settings) -> Warehouse:
    return Warehouse(settings)
