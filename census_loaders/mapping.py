"""Declarative column mappings: which source column feeds which target field, value words, date formats, CRS.

A mapping is YAML (see ``census_loaders/mappings/*.yaml`` for the presets). Without ``--mapping`` the preset that
finds the most of its required columns in the file is chosen, and the choice is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from szcg.errors import ConfigError, InputRejected, RowProblem

PRESET_DIR = Path(__file__).resolve().parent / "mappings"
TARGET_FIELDS = (
    "component_id", "name",
    "owner_department_code", "owner_department_name",
    "property_department_code", "property_department_name",
    "maintenance_department_code", "maintenance_department_name",
    "grid_code", "state", "initial_date", "change_date", "photo", "x", "y",
)

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


def load_mapping(path: Path) -> Mapping:
    file = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(file, "(file)", f"cannot read: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        raise ConfigError(file, "fields", "expected a mapping target field -> source column(s)")
    fields: dict[str, tuple[str, ...]] = {}
    for target, source in data["fields"].items():
        if target not in TARGET_FIELDS:
            raise ConfigError(file, f"fields.{target}", f"unknown target field; known: {', '.join(TARGET_FIELDS)}")
        sources = source if isinstance(source, list) else [source]
        if not sources or not all(isinstance(s, str) and s.strip() for s in sources):
            raise ConfigError(file, f"fields.{target}", "expected a column name or a list of column names")
        fields[target] = tuple(s.strip() for s in sources)
    name = str(data.get("name") or Path(path).stem)
    for target, why in INVENTORY_NEEDS.items():
        if target not in fields:
            raise ConfigError(file, f"fields.{target}", f"mapping {name!r} has no source column for {target}: {why}; "
                              f"add `{target}: <column>` under fields")
    # The inventory cannot hold a row without them: required whatever the file says (an empty one is quarantined).
    required = tuple(dict.fromkeys([*(data.get("required") or ("component_id", "name", "state", "initial_date")),
                                    *INVENTORY_NEEDS]))
    for target in required:
        if target not in fields:
            raise ConfigError(file, "required", f"{target} is required but has no source column in fields")
    values: dict[str, dict[str, str]] = {}
    for target, words in (data.get("values") or {}).items():
        if not isinstance(words, dict):
            raise ConfigError(file, f"values.{target}", "expected a mapping source word -> value")
        values[str(target)] = {str(k).strip().lower(): str(v) for k, v in words.items()}
    formats = data.get("date_formats") or ["%Y%m%d", "%Y-%m-%d", "%Y/%m/%d"]
    if not isinstance(formats, list) or not all(isinstance(f, str) and "%" in f for f in formats):
        raise ConfigError(file, "date_formats", "expected a list of strftime formats such as '%Y%m%d'")
    crs = data.get("crs")
    if crs is not None:
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            CRS.from_user_input(crs)
        except CRSError as exc:
            raise ConfigError(file, "crs", f"{crs!r} is not a CRS pyproj knows: {exc}") from exc
    return Mapping(name, file, fields, required, tuple(formats),
                   str(crs) if crs is not None else None, values)


def presets() -> list[Mapping]:
    return [load_mapping(p) for p in sorted(PRESET_DIR.glob("*.yaml"))]


def choose_mapping(columns: list[str], explicit: Path | None = None) -> Mapping:
    """The explicit mapping, else the best-fitting preset (ties: the standard preset, listed first)."""
    if explicit is not None:
        return load_mapping(explicit)
    ranked = sorted(presets(), key=lambda m: (-m.score(columns), m.name != "standard"))
    return ranked[0]
