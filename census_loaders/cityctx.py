"""What a census load needs to know about the city: area tree, catalogue, departments, boundaries."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from szcg.settings import Settings


@dataclass(frozen=True)
class CityContext:
    city_code: str
    city_name: str
    edition: str
    catalogue: Any  # standards.catalogue.Catalogue
    areas: Any  # standards.areas.AreaTree
    department_codes: frozenset[str]
    district_names: dict[str, str]
    city_lon: float
    city_lat: float
    city_bounds: tuple[float, float, float, float]

    def district_wkt(self, code: str) -> str | None:
        geometry = self.areas.district_geometry(code)
        return None if geometry is None else str(geometry.wkt)

    def city_wkt(self) -> str | None:
        return self.district_wkt(self.city_code)


@functools.lru_cache(maxsize=4)
def _context(config_dir: Path) -> CityContext:
    from standards.areas import load_area_tree
    from standards.catalogue import load_catalogue
    from standards.city import load_city_dir
    from standards.departments import load_departments

    city = load_city_dir(config_dir)
    areas = load_area_tree(city)
    catalogue = load_catalogue(city.edition, city.catalogue_table)
    departments = frozenset(d.code for d in load_departments(city))
    districts = {a.code: a.name for a in areas.districts() + areas.management_areas()}
    shape = areas.district_geometry(city.admin_code)
    centre = shape.representative_point() if shape is not None else None
    return CityContext(city.admin_code, city.name, city.edition, catalogue, areas, departments, districts,
                       float(centre.x) if centre is not None else 0.0, float(centre.y) if centre is not None else 0.0,
                       _bounds(shape.bounds) if shape is not None else (73.0, 3.0, 136.0, 54.0))


def _bounds(b: tuple[float, ...]) -> tuple[float, float, float, float]:
    return float(b[0]), float(b[1]), float(b[2]), float(b[3])


def city_context(settings: Settings) -> CityContext:
    from standards.city import load_city

    return _context(load_city(settings).config_dir)  # load_city: a missing city is named with the packaged ones
