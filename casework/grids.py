"""Where a reported position lies: its 单元网格 and so its community, street and district (两级指挥 needs the
district at intake, or no district dispatcher ever sees the case).

The grids are the warehouse's: the current rows of ``core.grid`` in the *published* snapshot (read-only; the
census loads and publishes them), the same polygons the warehouse places legacy cases with
(:mod:`transforms.cases.areas`). They are read once per snapshot — when the ``current`` link moves to a new one
they are read again at the next report — and kept in memory as an STR-tree. Grids are closed, as in the census:
a point on an edge lies in the grid, and on the edge between two it takes the smaller grid code. No published
snapshot, no grid table or a point in no grid: the case keeps what was reported (the warehouse flags it later).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Placement:
    grid_code: str
    community_code: str
    street_code: str
    district_code: str


class GridLocator:
    """Point → grid over the published warehouse's current grids (``current_link``: ``<warehouse>/current``)."""

    def __init__(self, current_link: Path) -> None:
        self.current_link = current_link
        self._lock = threading.Lock()
        self._loaded_from: str | None = None
        self._tree: Any = None
        self._grids: list[Placement] = []

    def _snapshot(self) -> str | None:
        target = os.path.realpath(self.current_link)
        return target if os.path.isfile(os.path.join(target, "warehouse.duckdb")) else None

    def _load(self, snapshot: str) -> None:
        import duckdb
        import shapely
        from shapely import STRtree

        started = time.monotonic()
        con = duckdb.connect(os.path.join(snapshot, "warehouse.duckdb"), read_only=True)
        try:
            rows = con.execute("SELECT grid_code, community_code, street_code, district_code, geometry_wkt"
                               " FROM core.grid WHERE valid_to IS NULL ORDER BY grid_code").fetchall()
        except duckdb.Error as exc:  # an old or foreign snapshot: no placement rather than no service
            log.warning("grids not read from %s: %s", snapshot, type(exc).__name__)
            rows = []
        finally:
            con.close()
        self._grids = [Placement(r[0], r[1], r[2], r[3]) for r in rows]
        self._tree = STRtree(shapely.from_wkt([r[4] for r in rows])) if rows else None
        self._loaded_from = snapshot
        log.info("read %d current grids from %s in %.2f s", len(rows), snapshot, time.monotonic() - started)

    def locate(self, lon: float, lat: float) -> Placement | None:
        """The grid the point lies in (closed grids; on a shared edge the smaller code), or None."""
        snapshot = self._snapshot()
        if snapshot is None:
            return None
        with self._lock:
            if snapshot != self._loaded_from:
                self._load(snapshot)
            tree, grids = self._tree, self._grids
        if tree is None:
            return None
        import shapely

        hits = tree.query(shapely.Point(lon, lat), predicate="intersects")
        return min((grids[i] for i in hits), key=lambda g: g.grid_code, default=None)
