"""The census rules file (``census_loaders/census.yaml``, or the city's own ``census.yaml``), validated at start."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from szcg.errors import ConfigError
from szcg.settings import Settings

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_FILE = PACKAGE_DIR / "census.yaml"


@dataclass(frozen=True)
class ZipLimits:
    max_members: int = 50
    max_total_uncompressed_bytes: int = 4 << 30
    max_ratio: float = 200.0


@dataclass(frozen=True)
class CensusConfig:
    file: str
    states: dict[str, str]  # word as written (lower-cased) -> state
    geometry_types: dict[str, dict[str, frozenset[str]]]  # edition -> line/polygon -> subclass codes
    earliest_date: dt.date
    duplicate_distance_m: float
    same_component_max_move_m: float
    gcj02_min_points: int
    gcj02_min_improvement: float
    zip: ZipLimits = field(default_factory=ZipLimits)
    chunk_rows: int = 250_000
    max_columns: int = 1_000  # a delivered table with more columns is refused before it is read

    @property
    def state_values(self) -> list[str]:
        return sorted(set(self.states.values()))


def _number(data: dict[str, Any], key: str, file: str, minimum: float = 0) -> float:
    value = data.get(key)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < minimum:
        raise ConfigError(file, key, f"{value!r}: expected a number ≥ {minimum}")
    return float(value)


def load_census_config(settings: Settings | None = None, path: Path | None = None) -> CensusConfig:
    """The packaged rules, or ``census.yaml`` in the city's configuration folder when it has one."""
    if path is None and settings is not None and settings.city_config_dir is not None:
        candidate = Path(settings.city_config_dir) / "census.yaml"
        path = candidate if candidate.is_file() else None
    path = path or DEFAULT_FILE
    file = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(file, "(file)", f"cannot read: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(file, "(file)", "expected a mapping")
    states: dict[str, str] = {}
    raw_states = data.get("states")
    if not isinstance(raw_states, dict) or not raw_states:
        raise ConfigError(file, "states", "missing mapping state -> words")
    for state, words in raw_states.items():
        if not isinstance(words, list):
            raise ConfigError(file, f"states.{state}", "expected a list of words")
        for word in words:
            key = str(word).strip().lower()
            if key in states and states[key] != state:
                raise ConfigError(file, f"states.{state}", f"word {word!r} already means {states[key]}")
            states[key] = str(state)
    geometry: dict[str, dict[str, frozenset[str]]] = {}
    from standards.catalogue import load_catalogue

    for edition, kinds in (data.get("geometry_types") or {}).items():
        catalogue = load_catalogue(str(edition))
        geometry[str(edition)] = {}
        for kind in ("line", "polygon"):
            codes = frozenset(str(c) for c in (kinds or {}).get(kind) or [])
            unknown = [c for c in codes if catalogue.get(c, "component") is None]
            if unknown:
                raise ConfigError(file, f"geometry_types.{edition}.{kind}",
                                  f"not component subclasses of {edition}: {', '.join(sorted(unknown))}")
            geometry[str(edition)][kind] = codes
    earliest = data.get("earliest_date")
    if not isinstance(earliest, dt.date):
        raise ConfigError(file, "earliest_date", f"{earliest!r}: expected a date YYYY-MM-DD")
    gcj = data.get("gcj02") or {}
    z = data.get("zip") or {}
    return CensusConfig(
        file=file,
        states=states,
        geometry_types=geometry,
        earliest_date=earliest,
        duplicate_distance_m=_number(data, "duplicate_distance_m", file),
        same_component_max_move_m=_number(data, "same_component_max_move_m", file),
        gcj02_min_points=int(_number(gcj, "min_points", f"{file} gcj02", 1)),
        gcj02_min_improvement=_number(gcj, "min_improvement", f"{file} gcj02"),
        zip=ZipLimits(
            max_members=int(_number(z, "max_members", f"{file} zip", 1)),
            max_total_uncompressed_bytes=int(_number(z, "max_total_uncompressed_bytes", f"{file} zip", 1)),
            max_ratio=_number(z, "max_ratio", f"{file} zip", 1),
        ),
        chunk_rows=int(_number(data, "chunk_rows", file, 1)),
        max_columns=int(_number(data, "max_columns", file, 1)) if "max_columns" in data else CensusConfig.max_columns,
    )
