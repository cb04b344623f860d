"""Declarative column mappings: which source column feeds which target field, value words, date formats, CRS.

A mapping is YAML (see ``census_loaders/mappings/*.yaml`` for the presets). Without ``--mapping`` the preset that
finds the most of its required columns in the file is chosen, and the choice is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BeforeValidator, Field, StringConstraints, field_validator, model_validator

from szcg.configmodel import ConfigModel, KeyProblem, load_yaml
from szcg.errors import InputRejected, RowProblem

PRESET_DIR = Path(__file__).resolve().parent / "mappings"
TargetField = Literal[
    "component_id", "name",
    "owner_department_code", "owner_department_name",
    "property_department_code", "property_department_name",
    "maintenance_department_code", "maintenance_department_name",
    "grid_code", "state", "initial_date", "change_date", "photo", "x", "y",
]
TARGET_FIELDS: tuple[str, ...] = get_args(TargetField)

# Target fields every component in the inventory has (core.component NOT NULL): a mapping must map them.
INVENTORY_NEEDS = {
    "component_id": "every component is kept under its identifier",
    "state": "every component in the inventory has a state (完好/破损/丢失/占用 …)",
    "initial_date": "a component's version starts on its survey date",
}


@dataclass(frozen=True)
class Mapping:
    name: str
    file: str
    fields: dict[str, tuple[str, ...]]  # target -> candidate source columns, first present wins
    required: tuple[str, ...]
    date_formats: tuple[str, ...]
    crs: str | None = None
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # target -> source word -> value

    def resolve(self, columns: list[str], file_name: str) -> dict[str, str]:
        """target -> the source column used in this file; missing required columns reject the file."""
        by_upper = {c.strip().upper(): c for c in columns}
        found: dict[str, str] = {}
        for target, candidates in self.fields.items():
            for candidate in candidates:
                column = by_upper.get(candidate.strip().upper())
                if column is not None:
                    found[target] = column
                    break
        missing = [t for t in self.required if t not in found]
        if missing:
            problems = [
                RowProblem(file_name, 0, "/".join(self.fields[t]), "mapping.column_missing",
                           f"缺少必填列：{'/'.join(self.fields[t])}（目标字段 {t}）")
                for t in missing
            ]
            raise InputRejected(
                f"{file_name}: mapping {self.name!r} needs columns it cannot find: "
                + "; ".join(f"{t} ← {'/'.join(self.fields[t])}" for t in missing)
                + f". Columns in the file: {', '.join(columns)}",
                problems,
            )
        return found

    def score(self, columns: list[str]) -> int:
        upper = {c.strip().upper() for c in columns}
        return sum(1 for t in self.required if any(c.upper() in upper for c in self.fields[t]))


DEFAULT_DATE_FORMATS = ["%Y%m%d", "%Y-%m-%d", "%Y/%m/%d"]


def _one_or_more(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


ColumnNames = Annotated[list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]],
                        BeforeValidator(_one_or_more), Field(min_length=1)]


class MappingFile(ConfigModel):
    """A census mapping as written: target field ← source column(s), value words, date formats, CRS."""

    name: str | None = None
    fields: dict[TargetField, ColumnNames]
    required: list[TargetField] | None = None
    # Extra words for a target's vocabulary: only the state has one (census.yaml's states) — words for any other
    # field would do nothing, so they are refused.
    values: dict[Literal["state"], dict[str, str]] = Field(default_factory=dict)
    date_formats: list[str] = Field(default_factory=lambda: list(DEFAULT_DATE_FORMATS), min_length=1)
    crs: str | None = None

    @field_validator("date_formats")
    @classmethod
    def _strftime(cls, value: list[str]) -> list[str]:
        if not all("%" in f for f in value):
            raise ValueError("expected a list of strftime formats such as '%Y%m%d'")
        return value

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str | None) -> str | None:
        if value is not None:
            from pyproj import CRS
            from pyproj.exceptions import CRSError

            try:
                CRS.from_user_input(value)
            except CRSError as exc:
                raise ValueError(f"{value!r} is not a CRS pyproj knows: {exc}") from None
        return value

    @model_validator(mode="after")
    def _inventory_columns(self) -> MappingFile:
        name = self.name or "this mapping"
        for target, why in INVENTORY_NEEDS.items():
            if target not in self.fields:
                raise KeyProblem(f"fields.{target}", f"mapping {name!r} has no source column for {target}: {why};"
                                 f" add `{target}: <column>` under fields")
        for target in self.required or ():
            if target not in self.fields:
                raise KeyProblem("required", f"{target} is required but has no source column in fields")
        return self


def load_mapping(path: Path) -> Mapping:
    data = load_yaml(MappingFile, path)
    # The inventory cannot hold a row without them: required whatever the file says (an empty one is quarantined).
    required = tuple(dict.fromkeys([*(data.required or ("component_id", "name", "state", "initial_date")),
                                    *INVENTORY_NEEDS]))
    values: dict[str, dict[str, str]] = {target: {k.strip().lower(): v for k, v in words.items()}
                                         for target, words in data.values.items()}
    return Mapping(data.name or Path(path).stem, str(path), {t: tuple(c) for t, c in data.fields.items()},
                   required, tuple(data.date_formats), data.crs, values)


def presets() -> list[Mapping]:
    return [load_mapping(p) for p in sorted(PRESET_DIR.glob("*.yaml"))]


def choose_mapping(columns: list[str], explicit: Path | None = None) -> Mapping:
    """The explicit mapping, else the best-fitting preset (ties: the standard preset, listed first)."""
    if explicit is not None:
        return load_mapping(explicit)
    ranked = sorted(presets(), key=lambda m: (-m.score(columns), m.name != "standard"))
    return ranked[0]
