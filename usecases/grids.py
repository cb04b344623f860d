"""单元网格: load a grid map (GeoPackage/GeoJSON/zipped SHP) into ``core.grid`` and publish it.

What ``szcg grids load``, the ``grid_map_update`` DAG and the demo run: a new map versions the grids that changed
(SCD2, effective ``valid_from``), adds the communities it names, reports gaps between grids, and is published.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from szcg.logs import get_logger, job
from szcg.settings import Settings
from usecases.publish import publish_if_changed

log = get_logger(__name__)


@dataclass
class GridsOutcome:
    batch_id: str
    file: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    new: int
    changed: int
    unchanged: int
    communities_added: int
    already_loaded: bool
    rejected: str | None
    gaps: list[dict[str, Any]] = field(default_factory=list)  # holes inside a district's grids: where, how big
    problems: list[str] = field(default_factory=list)  # the first 50, worded
    published: str | None = None

    @property
    def failed(self) -> bool:
        return bool(self.rejected) or (self.rows_loaded == 0 and not self.already_loaded)

    def to_dict(self) -> dict[str, Any]:
        return {"batch_id": self.batch_id, "file": self.file, "rows_in": self.rows_in,
                "rows_loaded": self.rows_loaded, "rows_quarantined": self.rows_quarantined, "new": self.new,
                "changed": self.changed, "unchanged": self.unchanged, "communities_added": self.communities_added,
                "gaps": self.gaps, "already_loaded": self.already_loaded, "rejected": self.rejected,
                "published": self.published}


def load_grid_map(settings: Settings, path: Path, valid_from: dt.date | None = None, *,
                  publish: bool = True) -> GridsOutcome:
    """Load the grid map at ``path``, effective from ``valid_from`` (default: today), then publish if the work
    database changed (this load, or one a killed run left unpublished)."""
    from census_loaders.cityctx import city_context
    from census_loaders.config import load_census_config
    from census_loaders.grids import load_grids
    from warehouse.store import Warehouse

    wh = Warehouse(settings)
    with job("grid map load", log) as running:
        with running.step("load") as step:
            config, ctx = load_census_config(settings), city_context(settings)
            with wh.writer(spatial=True) as con:
                result = load_grids(con, wh, path, config, ctx, valid_from or dt.date.today())
            step.count(batch_id=result.batch_id, rows_in=result.rows_in, rows_loaded=result.rows_loaded,
                       rows_quarantined=result.rows_quarantined, communities_added=result.communities_added,
                       gaps=len(result.gaps), already_loaded=result.already_loaded)
        published = None
        if publish:
            with running.step("publish") as step:
                published = publish_if_changed(settings, f"grids {result.batch_id}").snapshot_id
                step.count(snapshot_id=published)
        running.done(rows_loaded=result.rows_loaded, snapshot_id=published)
    return GridsOutcome(result.batch_id, result.file_name, result.rows_in, result.rows_loaded,
                        result.rows_quarantined, result.new, result.changed, result.unchanged,
                        result.communities_added, result.already_loaded, result.rejected_message or None,
                        list(result.gaps), [str(p) for p in result.problems[:50]], published)
