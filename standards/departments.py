"""专业部门 (departments) that handle cases, at city and district level, from the city's departments CSV."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from standards._files import file_stamp, read_csv_rows
from szcg.configmodel import ConfigModel, KeyProblem, validate_row
from szcg.errors import ConfigError

if TYPE_CHECKING:
    from standards.city import CityConfig


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    level: Literal["city", "district"]
    district_code: str | None
    kind: str  # what it looks after: sanitation, landscaping, municipal, enforcement, power, …
    handles_kinds: tuple[str, ...] = field(default=())  # further kinds a district department takes over locally

    def covers(self, kind: str) -> bool:
        return kind == self.kind or kind in self.handles_kinds


class DepartmentRow(ConfigModel):
    """A row of the departments CSV; its columns are these fields (an unknown column is refused)."""

    code: str = Field(pattern=r"^[0-9A-Za-z_-]{2,32}$", description="2–32 letters, digits, '-' or '_'")
    name: str
    level: Literal["city", "district"]
    district_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    kind: str  # what it looks after: sanitation, landscaping, municipal, enforcement, power, …
    handles_kinds: str = ""  # ';'-separated kinds a district department takes over in its district

    @model_validator(mode="after")
    def _district_only_for_districts(self) -> DepartmentRow:
        if self.level == "district" and self.district_code is None:
            raise KeyProblem("district_code", "a district department needs a 6-digit district_code")
        if self.level == "city" and self.district_code is not None:
            raise KeyProblem("district_code", "a city department has no district_code")
        return self


@functools.lru_cache(maxsize=16)
def _load(path: Path, stamp: int) -> tuple[Department, ...]:
    fname = str(path)
    out: dict[str, Department] = {}
    for n, cells in enumerate(read_csv_rows(path, ("code", "name", "level", "district_code", "kind")), 1):
        row = validate_row(DepartmentRow, cells, fname, f"row {n} ({cells.get('code') or cells.get('name')})")
        if row.code in out:
            raise ConfigError(fname, f"row {n} ({row.code})", "department code listed twice")
        handles = tuple(k.strip() for k in row.handles_kinds.split(";") if k.strip())
        out[row.code] = Department(row.code, row.name, row.level, row.district_code, row.kind, handles)
    if not out:
        raise ConfigError(fname, "(file)", "no departments")
    return tuple(out.values())


def load_departments_file(path: Path) -> list[Department]:
    path = Path(path).resolve()
    return list(_load(path, file_stamp(path)))


def load_departments(city: CityConfig) -> list[Department]:
    """The city's 专业部门 (cached per file)."""
    from standards.areas import load_area_tree

    departments = load_departments_file(city.departments_file)
    tree = load_area_tree(city)
    for d in departments:
        if d.district_code is not None and tree.get(d.district_code) is None:
            raise ConfigError(str(city.departments_file), d.code,
                              f"district_code {d.district_code} is not an area of {city.name}")
    return departments


def responsible_department(departments: list[Department], department_code: str,
                           district_code: str | None = None) -> Department:
    """Where a case goes: the handbook names a (city) department; in a district whose own department covers that
    kind of work, the district department takes the case (两级指挥)."""
    by_code = {d.code: d for d in departments}
    if department_code not in by_code:
        raise KeyError(f"unknown department {department_code!r}")
    named = by_code[department_code]
    if district_code and named.level == "city":
        for d in departments:
            if d.level == "district" and d.district_code == district_code and d.covers(named.kind):
                return d
    return named
