"""The census rules file (``census_loaders/census.yaml``, or the city's own ``census.yaml``), validated at start.

Read through a typed model (:class:`CensusFile`): an unknown key, a wrong type or a word given to two states is a
ConfigError naming the file, the line and the key."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field, model_validator

from szcg.configmodel import ConfigModel, KeyProblem, load_yaml
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


class _GeometryKinds(ConfigModel):
    line: list[str] = Field(default_factory=list)
    polygon: list[str] = Field(default_factory=list)


class _Gcj02(ConfigModel):
    min_points: int = Field(ge=1)
    min_improvement: float = Field(ge=0)


class _Zip(ConfigModel):
    max_members: int = Field(ge=1)
    max_total_uncompressed_bytes: int = Field(ge=1)
    max_ratio: float = Field(ge=1)


class CensusFile(ConfigModel):
    """``census.yaml`` as written (see the packaged file for what each key means)."""

    states: dict[str, list[str]] = Field(min_length=1)  # state -> the words survey teams write for it
    geometry_types: dict[str, _GeometryKinds] = Field(default_factory=dict)  # edition -> line/polygon codes
    earliest_date: dt.date
    duplicate_distance_m: float = Field(ge=0)
    same_component_max_move_m: float = Field(ge=0)
    gcj02: _Gcj02
    zip: _Zip
    chunk_rows: int = Field(ge=1)
    max_columns: int = Field(default=CensusConfig.max_columns, ge=1)

    @model_validator(mode="after")
    def _one_meaning_per_word(self) -> CensusFile:
        meaning: dict[str, str] = {}
        for state, words in self.states.items():
            for word in words:
                key = word.strip().lower()
                if meaning.setdefault(key, state) != state:
                    raise KeyProblem(("states", state), f"word {word!r} already means {meaning[key]}")
        return self


def load_census_config(settings: Settings, path: Path | None = None) -> CensusConfig:
    """The packaged rules, or ``census.yaml`` in the city's configuration folder when it has one."""
    if path is None and settings.city_config_dir is not None:
        candidate = Path(settings.city_config_dir) / "census.yaml"
        path = candidate if candidate.is_file() else None
    path = path or DEFAULT_FILE
    file = str(path)
    data = load_yaml(CensusFile, path)
    from standards.catalogue import load_catalogue

    geometry: dict[str, dict[str, frozenset[str]]] = {}
    for edition, kinds in data.geometry_types.items():
        catalogue = load_catalogue(edition)
        geometry[edition] = {}
        for kind in ("line", "polygon"):
            codes = frozenset(getattr(kinds, kind))
            unknown = [c for c in codes if catalogue.get(c, "component") is None]
            if unknown:
                raise ConfigError(file, f"geometry_types.{edition}.{kind}",
                                  f"not component subclasses of {edition}: {', '.join(sorted(unknown))}")
            geometry[edition][kind] = codes
    return CensusConfig(
        file=file,
        states={word.strip().lower(): state for state, words in data.states.items() for word in words},
        geometry_types=geometry,
        earliest_date=data.earliest_date,
        duplicate_distance_m=data.duplicate_distance_m,
        same_component_max_move_m=data.same_component_max_move_m,
        gcj02_min_points=data.gcj02.min_points,
        gcj02_min_improvement=data.gcj02.min_improvement,
        zip=ZipLimits(max_members=data.zip.max_members,
                      max_total_uncompressed_bytes=data.zip.max_total_uncompressed_bytes,
                      max_ratio=data.zip.max_ratio),
        chunk_rows=data.chunk_rows,
        max_columns=data.max_columns,
    )
