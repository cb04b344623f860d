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
        self._shapes: list[Any] = []  # the grids' polygons, in the order of _grids (the tree's indices)
        self._community_names: dict[str, str] = {}

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
            names = dict(con.execute("SELECT code, name FROM core.admin_area WHERE level = 'community'"
                                     " AND valid_to IS NULL").fetchall())
        except duckdb.Error as exc:  # an old or foreign snapshot: no placement rather than no service
            log.warning("grids not read from %s: %s", snapshot, type(exc).__name__)
            rows, names = [], {}
        finally:
            con.close()
        self._grids = [Placement(r[0], r[1], r[2], r[3]) for r in rows]
        self._community_names = {str(k): str(v) for k, v in names.items()}
        self._shapes = list(shapely.from_wkt([r[4] for r in rows]))
        self._tree = STRtree(self._shapes) if rows else None
        self._loaded_from = snapshot
        log.info("read %d current grids from %s in %.2f s", len(rows), snapshot, time.monotonic() - started)

    def _current(self) -> tuple[Any, list[Placement], list[Any]]:
        """(tree, grids, shapes) of the published snapshot, read again when it moved; tree None when none."""
        snapshot = self._snapshot()
        if snapshot is None:
            return None, [], []
        with self._lock:
            if snapshot != self._loaded_from:
                self._load(snapshot)
            return self._tree, self._grids, self._shapes

    def locate(self, lon: float, lat: float) -> Placement | None:
        """The grid the point lies in (closed grids; on a shared edge the smaller code), or None."""
        tree, grids, _shapes = self._current()
        if tree is None:
            return None
        import shapely

        hits = tree.query(shapely.Point(lon, lat), predicate="intersects")
        return min((grids[i] for i in hits), key=lambda g: g.grid_code, default=None)


    def shapes_near(self, lon: float, lat: float, radius_deg: float) -> list[tuple[str, Any]]:
        """(grid code, polygon) of the current grids within ``radius_deg`` of the point (a case page's map)."""
        tree, grids, shapes = self._current()
        if tree is None:
            return []
        import shapely

        hits = tree.query(shapely.Point(lon, lat).buffer(radius_deg), predicate="intersects")
        return sorted((grids[i].grid_code, shapes[i]) for i in hits)

    def shape(self, grid_code: str) -> Any:
        """The current polygon of a grid, or None."""
        _tree, grids, shapes = self._current()
        return next((shapes[i] for i, g in enumerate(grids) if g.grid_code == grid_code), None)

    def community_name(self, code: str) -> str | None:
        """The current name of a 社区 as the census loaded it (the city's area tree may not list communities)."""
        self._current()
        return self._community_names.get(code)
