"""Load the city's configuration (standards/) into the warehouse's conformed dimensions.

The configuration files are versioned in git, but they are inputs like any other: each is landed byte-for-byte,
so every dimension row can be traced to the exact file it came from, and reloading unchanged files is a no-op.
Communities and grids are not touched here: they come from grid maps (``szcg grids load``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from standards.areas import load_area_tree
from standards.catalogue import CATALOGUE_DIR, EDITIONS, load_catalogue
from standards.city import CityConfig
from standards.departments import load_departments
from warehouse.accounting import LoadCount, record_load
from warehouse.store import Warehouse
from warehouse.transaction import transaction

# Levels this load owns in core.admin_area; communities come with the grid maps.
CONFIGURED_LEVELS = ("city", "district", "management_area", "street")


@dataclass(frozen=True)
class ReferenceLoad:
    subclasses: int
    areas: int
    departments: int
    batches: dict[str, str]  # config file → batch id

    def to_dict(self) -> dict[str, object]:
        return {
            "loaded": {
                "core.subclass": self.subclasses,
                "core.admin_area": self.areas,
                "core.department": self.departments,
            },
            "quarantined": 0,
            "batches": self.batches,
        }


def _replace(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, where: str = "true") -> None:
    con.execute(f"DELETE FROM {table} WHERE {where}")
    if len(frame):
        con.register("incoming", frame)
        columns = ", ".join(frame.columns)
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming ORDER BY ALL")
        con.unregister("incoming")


def load_reference(wh: Warehouse, city: CityConfig) -> ReferenceLoad:
    catalogues = [load_catalogue(e, city.catalogue_table if e == city.edition else None) for e in EDITIONS]
    subclasses = pd.DataFrame(
        [
            {
                "edition": s.edition,
                "kind": s.kind,
                "major_code": s.major_code,
                "major_name": s.major_name,
                "code": s.code,
                "name": s.name,
                "provenance": s.provenance,
            }
            for catalogue in catalogues
            for s in catalogue.subclasses
        ]
    ).drop_duplicates(subset=["edition", "kind", "code"], keep="first")
    tree = load_area_tree(city)
    areas = pd.DataFrame(
        [
            {
                "code": a.code,
                "name": a.name,
                "level": a.level,
                "parent_code": a.parent_code,
                "valid_from": a.valid_from,
                "valid_to": a.valid_to,
            }
            for a in tree.all_versions()
            if a.level in CONFIGURED_LEVELS
        ]
    )
    departments = pd.DataFrame(
        [
            {"code": d.code, "name": d.name, "level": d.level, "district_code": d.district_code, "kind": d.kind}
            for d in load_departments(city)
        ]
    )
    # Every configuration file the rows came from is landed, and accounted for with the rows it gave.
    sources: list[tuple[Path, str, int]] = [
        (
            city.catalogue_table
            if c.edition == city.edition and city.catalogue_table
            else CATALOGUE_DIR / f"{c.edition}.csv",
            "core.subclass",
            int((subclasses["edition"] == c.edition).sum()),
        )
        for c in catalogues
    ]
    sources += [
        (city.areas_file, "core.admin_area", len(areas)),
        (city.departments_file, "core.department", len(departments)),
    ]
    levels = ", ".join(f"'{level}'" for level in CONFIGURED_LEVELS)
    with wh.writer() as con:
        batches = [wh.land(con, path, "reference") for path, _, _ in sources]
        with transaction(con):
            _replace(con, "core.subclass", subclasses)
            _replace(con, "core.admin_area", areas, f"level IN ({levels})")
            _replace(con, "core.department", departments)
            for landed, (_, target, rows) in zip(batches, sources, strict=True):
                record_load(con, LoadCount(landed.batch_id, target, rows, rows, 0), {"city": city.key})
    return ReferenceLoad(
        len(subclasses), len(areas), len(departments), {landed.original_name: landed.batch_id for landed in batches}
    )
