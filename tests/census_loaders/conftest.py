from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cityfiles import write_grids

from szcg.settings import Settings


@dataclass
class Census:
    settings: Settings
    wh: Any
    ctx: Any
    config: Any
    tmp: Path

    def ingest(self, path: Path, district: str = "140602", **options: Any) -> Any:
        from census_loaders.ingest import IngestOptions, ingest_file

        with self.wh.writer(spatial=True) as con:
            return ingest_file(con, self.wh, path, IngestOptions(district, **options), self.ctx, self.config)

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with self.wh.writer() as con:
            return con.execute(sql, params or []).fetchall()


@pytest.fixture
def census(settings: Settings, tmp_path: Path) -> Iterator[Census]:
    """A warehouse with the test lattice of unit grids loaded."""
    from census_loaders.cityctx import city_context
    from census_loaders.config import load_census_config
    from census_loaders.grids import load_grids
    from warehouse.store import Warehouse

    wh = Warehouse(settings)
    ctx, config = city_context(settings), load_census_config(settings)
    with wh.writer(spatial=True) as con:
        load_grids(con, wh, write_grids(tmp_path / "grids.gpkg"), config, ctx, dt.date(2026, 1, 1))
    yield Census(settings, wh, ctx, config, tmp_path)
