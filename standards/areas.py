"""The city's area tree: 市 → 区县 (+ configured 管理区) → 街道/乡镇 → 社区 → 单元网格, with validity dates.

Districts and streets come from the city's admin-units file (GB/T 2260 / 统计用区划代码, 12-digit street codes
whose first 9 digits are the street part of a grid code); ``areas.yaml`` adds history (e.g. 怀仁县 140624 →
怀仁市 140681 in 2018) and management areas. Communities and grids are added by loaders with :meth:`AreaTree.add`.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from standards._files import file_stamp, read_csv_rows, read_yaml_model
from szcg.configmodel import ConfigModel
from szcg.errors import ConfigError

if TYPE_CHECKING:
    from standards.city import CityConfig

Level = Literal["city", "district", "management_area", "street", "community", "grid"]
LEVELS: tuple[str, ...] = ("city", "district", "management_area", "street", "community", "grid")
ADMIN_LEVELS = ("city", "district", "management_area")  # what the 6-digit prefix of a code may name
_CODE_DIGITS = {"city": 6, "district": 6, "management_area": 6, "street": 12, "community": 12, "grid": 15}
_PARENT_LEVELS = {"city": (), "district": ("city",), "management_area": ("city",),
                  "street": ("district", "management_area"), "community": ("street",),
                  "grid": ("community", "street")}


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    level: Level
    parent_code: str | None
    valid_from: date
    valid_to: date | None = None  # last day of validity (inclusive); None = still valid
    successor: str | None = None  # code that took over the same territory

    def valid_on(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    @property
    def current(self) -> bool:
        return self.valid_to is None

    @property
    def street_prefix(self) -> str:
        """The 9 digits a grid code carries for a street (6 admin + 3 street)."""
        return self.code[:9]


def _normalise(code: str) -> str:
    # A 9-digit street part as found in grid codes names the 12-digit street code ending in 000.
    return code + "000" if len(code) == 9 and code.isdigit() else code


@dataclass
class AreaTree:
    city_code: str
    _versions: dict[str, list[Area]] = field(default_factory=dict)
    _children: dict[str, list[str]] = field(default_factory=dict)
    geometry_file: Path | None = None

    # --- reading ------------------------------------------------------------------------------------------------
    def get(self, code: str, on: date | None = None) -> Area | None:
        """The area with this code: the version valid ``on`` that day, or without a date the current version
        (or, for a code that no longer exists, its last version). 9-digit street parts are accepted."""
        versions = self._versions.get(_normalise(code), [])
        if on is not None:
            return next((a for a in versions if a.valid_on(on)), None)
        return next((a for a in versions if a.current), versions[-1] if versions else None)

    def versions(self, code: str) -> list[Area]:
        return list(self._versions.get(_normalise(code), []))

    def all_versions(self) -> list[Area]:
        """Every version of every area (history included), e.g. to load the tree into the warehouse."""
        return sorted((a for vs in self._versions.values() for a in vs), key=lambda a: (a.code, a.valid_from))

    def children(self, code: str, on: date | None = None) -> list[Area]:
        """Direct children valid ``on`` (without a date: those still valid)."""
        out = []
        for child in self._children.get(_normalise(code), []):
            area = self.get(child, on)
            if area is not None and (on is not None or area.current):
                out.append(area)
        return out

    def _level(self, level: str, on: date | None) -> list[Area]:
        out = []
        for versions in self._versions.values():
            for a in versions:
                if a.level == level and (a.valid_on(on) if on is not None else a.current):
                    out.append(a)
        return sorted(out, key=lambda a: a.code)

    def districts(self, on: date | None = None) -> list[Area]:
        """区县 valid ``on`` (default: today's)."""
        return self._level("district", on)

    def management_areas(self, on: date | None = None) -> list[Area]:
        return self._level("management_area", on)

    def streets(self, district_code: str | None = None, on: date | None = None) -> list[Area]:
        streets = self._level("street", on)
        if district_code is not None:
            streets = [s for s in streets if s.parent_code == district_code]
        return streets

    def communities(self, street_code: str | None = None, on: date | None = None) -> list[Area]:
        out = self._level("community", on)
        return [c for c in out if street_code is None or c.parent_code == _normalise(street_code)]

    def grids(self, on: date | None = None) -> list[Area]:
        return self._level("grid", on)

    def has_admin_prefix(self, six_digits: str, on: date | None = None) -> bool:
        """True if the 6 digits name the city, a district or a management area — valid ``on`` that day, or
        without a date at any time (so codes from before 2018 with 怀仁县 140624 still pass)."""
        for a in self._versions.get(six_digits, []):
            if a.level in ADMIN_LEVELS and (on is None or a.valid_on(on)):
                return True
        return False

    def has_street_prefix(self, nine_digits: str, on: date | None = None) -> bool:
        return any(a.level == "street" and (on is None or a.valid_on(on))
                   for a in self._versions.get(_normalise(nine_digits), []))

    def has_communities(self, street_code: str) -> bool:
        return any(self.get(c) is not None and self.get(c).level == "community"  # type: ignore[union-attr]
                   for c in self._children.get(_normalise(street_code), []))

    def district_of(self, code: str, on: date | None = None) -> Area | None:
        """The district (or management area) an area lies in."""
        area = self.get(code, on)
        while area is not None and area.level not in ("district", "management_area", "city"):
            area = self.get(area.parent_code, on) if area.parent_code else None
        return area if area is not None and area.level != "city" else None

    def __len__(self) -> int:
        return sum(len(v) for v in self._versions.values())

    # --- writing ------------------------------------------------------------------------------------------------
    def add(self, area: Area) -> None:
        """Add an area (or a new version of one). Communities and grids are added by loaders; the parent must
        already be in the tree and the code must extend the parent's code."""
        problem = self._problem(area)
        if problem:
            raise ValueError(f"area {area.code} {area.name}: {problem}")
        versions = self._versions.setdefault(area.code, [])
        versions[:] = [v for v in versions if v.valid_from != area.valid_from]
        versions.append(area)
        versions.sort(key=lambda a: a.valid_from)
        if area.parent_code:
            kids = self._children.setdefault(area.parent_code, [])
            if area.code not in kids:
                kids.append(area.code)

    def _problem(self, area: Area) -> str | None:
        if area.level not in LEVELS:
            return f"level {area.level!r}: expected one of {', '.join(LEVELS)}"
        digits = _CODE_DIGITS[area.level]
        if not re.fullmatch(rf"[0-9]{{{digits}}}", area.code):
            return f"a {area.level} code has {digits} digits"
        if area.valid_to is not None and area.valid_to < area.valid_from:
            return f"valid_to {area.valid_to} is before valid_from {area.valid_from}"
        if area.level == "city":
            return None if area.parent_code is None else "a city has no parent"
        parent = self.get(area.parent_code) if area.parent_code else None
        if parent is None:
            return f"parent {area.parent_code!r} is not in the tree"
        if parent.level not in _PARENT_LEVELS[area.level]:
            return f"a {area.level} cannot sit under a {parent.level}"
        if area.level in ("community", "grid") and not area.code.startswith(parent.code[:9 if parent.level ==
                                                                                     "street" else 12]):
            return f"code does not start with its parent's code {parent.code}"
        return None

    # --- geometry -----------------------------------------------------------------------------------------------
    def district_geometry(self, code: str) -> Any:
        """Shapely geometry (CGCS2000 lon/lat) of a district, the city (its own code) or, for a district that
        was renamed, its successor's territory; None if the geometry file has no polygon for it."""
        if self.geometry_file is None:
            return None
        shapes = _geometries(self.geometry_file, file_stamp(self.geometry_file))
        seen = set()
        while code and code not in shapes and code not in seen:
            seen.add(code)
            area = self.get(code)
            code = area.successor if area is not None and area.successor else ""
        return shapes.get(code)


@functools.lru_cache(maxsize=8)
def _geometries(path: Path, stamp: int) -> dict[str, Any]:
    from shapely.geometry import shape

    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    crs = str(data.get("crs", {}).get("properties", {}).get("name", ""))
    if crs and "4490" not in crs and "CRS84" not in crs and "4326" not in crs:
        raise ConfigError(str(path), "crs", f"{crs}: expected CGCS2000 lon/lat (EPSG:4490)")
    out = {}
    for i, feature in enumerate(data.get("features", []), 1):
        code = str(feature.get("properties", {}).get("adcode", ""))
        if not re.fullmatch(r"\d{6}", code):
            raise ConfigError(str(path), f"feature {i}", "properties.adcode is not a 6-digit code")
        out[code] = shape(feature["geometry"])
    return out


# --- loading ------------------------------------------------------------------------------------------------------
class AreaEntry(ConfigModel):
    """An area of ``areas.yaml``: a new one (with a name), or an existing one re-dated (code and dates only)."""

    code: str = Field(pattern=r"^\d{6}(\d{3}(\d{3})?)?$")
    name: str | None = Field(default=None, min_length=1)
    level: Level | None = None
    parent_code: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    successor: str | None = None


class AreasFile(ConfigModel):
    """``areas.yaml`` as written: history of the admin units and the areas the admin-unit table lacks."""

    default_valid_from: date = date(2000, 1, 1)
    history: list[AreaEntry] = Field(default_factory=list)
    management_areas: list[AreaEntry] = Field(default_factory=list)


def _build(city_code: str, city_name: str, units_file: Path, areas_file: Path, geometry_file: Path) -> AreaTree:
    afile, ufile = str(areas_file), str(units_file)
    cfg = read_yaml_model(AreasFile, areas_file)
    default_from = cfg.default_valid_from
    tree = AreaTree(city_code=city_code, geometry_file=geometry_file)
    rows = read_csv_rows(units_file, ("id", "pid", "deep", "name", "ext_id", "ext_name"))
    deep_level = {"1": "city", "2": "district", "3": "street"}
    staged: list[tuple[int, Area]] = []
    for n, row in enumerate(rows, 1):
        level = deep_level.get(row["deep"])
        if level is None:
            raise ConfigError(ufile, f"row {n} ({row['id']})", f"deep {row['deep']!r}: expected 1, 2 or 3")
        ext = row["ext_id"]
        if not re.fullmatch(r"\d{12}", ext):
            raise ConfigError(ufile, f"row {n} ({row['id']})", f"ext_id {ext!r} is not a 12-digit code")
        code = ext[:6] if level in ("city", "district") else ext
        parent = None
        if level == "district":
            parent = city_code
        elif level == "street":
            parent = ext[:6]
        name = row["ext_name"] or row["name"]
        staged.append((n, Area(code, name, level, parent, default_from)))  # type: ignore[arg-type]
    city = [a for _, a in staged if a.level == "city"]
    if len(city) != 1 or city[0].code != city_code:
        raise ConfigError(ufile, "(file)", f"expected exactly one city row with code {city_code} ({city_name})")
    for n, area in sorted(staged, key=lambda t: LEVELS.index(t[1].level)):
        try:
            tree.add(area)
        except ValueError as exc:
            raise ConfigError(ufile, f"row {n} ({area.code})", str(exc)) from exc
    for section, level in (("management_areas", "management_area"), ("history", None)):
        for i, item in enumerate(getattr(cfg, section), 1):
            entry = f"{section}[{i}] ({item.code})"
            existing = tree.get(item.code)
            try:
                if existing is not None and item.name is None:
                    # re-date an existing area (e.g. 怀仁市 exists only since 2018-08-08)
                    idle = [k for k in ("level", "parent_code", "successor") if getattr(item, k) is not None]
                    if idle:
                        raise ConfigError(afile, entry, f"{', '.join(idle)}: do nothing when re-dating an existing"
                                          " area (give a name to define a new one)")
                    updated = replace(existing, valid_from=item.valid_from or existing.valid_from,
                                      valid_to=item.valid_to or existing.valid_to)
                    tree._versions[item.code] = [v for v in tree._versions[item.code] if v is not existing]
                    tree.add(updated)
                    for child in tree.children(item.code):  # children cannot predate their parent
                        if child.valid_from < updated.valid_from:
                            tree._versions[child.code] = [v for v in tree._versions[child.code] if v is not child]
                            tree.add(replace(child, valid_from=updated.valid_from))
                elif item.name is None:
                    raise ConfigError(afile, entry, f"name is empty: {item.code} is not an area yet, so this entry"
                                      " defines one")
                elif (item.level or level) is None:
                    raise ConfigError(afile, entry, f"level: missing (required for a new area; one of {LEVELS})")
                else:
                    tree.add(Area(item.code, item.name, item.level or level,  # type: ignore[arg-type]
                                  item.parent_code or city_code, item.valid_from or default_from, item.valid_to,
                                  item.successor))
            except ValueError as exc:
                raise ConfigError(afile, entry, str(exc)) from exc
    return tree


@functools.lru_cache(maxsize=8)
def _load_tree(city_code: str, city_name: str, units_file: Path, areas_file: Path, geometry_file: Path,
               stamps: tuple[int, ...]) -> AreaTree:
    return _build(city_code, city_name, units_file, areas_file, geometry_file)


def load_area_tree(city: CityConfig) -> AreaTree:
    """The city's area tree (a fresh copy per call: loaders add communities and grids to their own copy)."""
    stamps = (file_stamp(city.admin_units_file), file_stamp(city.areas_file))
    cached = _load_tree(city.admin_code, city.name, Path(city.admin_units_file).resolve(),
                        Path(city.areas_file).resolve(), Path(city.district_geometry_file).resolve(), stamps)
    return AreaTree(cached.city_code, {k: list(v) for k, v in cached._versions.items()},
                    {k: list(v) for k, v in cached._children.items()}, cached.geometry_file)
