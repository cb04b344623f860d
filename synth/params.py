"""The synthetic city's parameters: a versioned YAML file per city under ``synth/params/`` (configuration is data).

Read through a typed model (:class:`SynthParams`): an unknown key, a wrong type or a probability outside 0…1 is a
ConfigError naming the file, the line and the key. The generator reads the result as plain data (what is written,
without filling defaults in: the generator's own defaults stay where they are used).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from szcg.configmodel import ConfigModel, load_yaml
from szcg.errors import ConfigError

PARAMS_DIR = Path(__file__).parent / "params"

Probability = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]
LonLat = Annotated[list[float], Field(min_length=2, max_length=2)]
Pair = Annotated[list[float], Field(min_length=2, max_length=2)]


class BuiltUp(ConfigModel):
    district: str = Field(pattern=r"^\d{6}$")
    centre: LonLat
    area_km2: Positive
    streets: dict[str, Pair] = Field(min_length=1)  # last 3 digits of the street code → seed offset (km E, km N)


class Growth(ConfigModel):
    exponent: float = Field(ge=0)
    max_district_share: Probability
    ring_street_km2: Positive


class Roads(ConfigModel):
    spacing_m: Annotated[list[Positive], Field(min_length=2, max_length=2)]


class CommunityNames(ConfigModel):
    first: list[str] = Field(min_length=1)
    second: list[str] = Field(min_length=1)


class CensusRule(ConfigModel):
    match: str = Field(min_length=1)
    count_per_scale: float = Field(ge=0)
    placement: Literal["street", "area"] = "area"
    spacing_m: Positive | None = None
    run: Annotated[list[int], Field(min_length=2, max_length=2)] | None = None


class CensusDefault(ConfigModel):
    count_per_scale: float = Field(ge=0)
    placement: Literal["street", "area"] = "area"


class Census(ConfigModel):
    survey_start: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    survey_end: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    batch_rows: int = Field(ge=1)
    min_batches_per_district: int = Field(ge=1)
    formats: list[Literal["csv_utf8", "csv_gbk", "xlsx", "gpkg", "shp_zip"]] = Field(min_length=1)
    teams: list[str] = Field(min_length=1)
    state_weights: dict[str, Annotated[float, Field(ge=0)]] = Field(min_length=1)
    subclasses: list[CensusRule]
    default: CensusDefault


class Organisation(ConfigModel):
    operators_per_scale: float = Field(ge=0)
    shift_leaders_per_scale: float = Field(ge=0)
    dispatchers_per_district: float = Field(ge=0)
    grids_per_supervisor: Positive
    handlers_per_department: float = Field(ge=0)
    max_staff_factor: Positive
    surnames: list[str] = Field(min_length=1)
    given: list[str] = Field(min_length=1)


class Cases(ConfigModel):
    start: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    per_scale_per_month: float = Field(ge=0)
    component_share: Probability
    # report sources (上报 channels) → share
    sources: dict[Literal["supervisor", "hotline", "public", "video", "leader"], Probability] = Field(min_length=1)
    month_factor: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=12, max_length=12)]
    weekday_factor: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=7, max_length=7)]
    hotspot_sigma: float = Field(ge=0)
    void_unverified: Probability
    void_at_register: Probability
    return_rate: Probability
    extend_rate: Probability
    shelve_rate: Probability
    rework_rate: Probability
    on_time_rate: Probability
    missed_by_supervisor: Probability
    event_weights: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)
    component_weights: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)


class Hotline(ConfigModel):
    consultations_per_case: float = Field(ge=0)
    duplicate_rate: Probability
    categories: dict[str, Annotated[float, Field(ge=0)]] = Field(min_length=1)
    satisfaction: dict[str, Annotated[float, Field(ge=0)]] = Field(min_length=1)
    mobile_prefixes: list[Annotated[str, Field(pattern=r"^1\d{2}$")]] = Field(min_length=1)
    landline_prefix: str = Field(pattern=r"^0\d{2,3}$")
    landline_share: Probability


class Dirty(ConfigModel):
    rate: Probability
    far_points: list[LonLat] = Field(min_length=1)


class SynthParams(ConfigModel):
    """``synth/params/<city>.yaml`` as written."""

    city: str = Field(min_length=1)
    geography_seed: int
    grid_size_m: Positive
    sliver_merge_m2: float = Field(default=3000, ge=0)
    community_area_km2: Positive
    built_up: list[BuiltUp] = Field(min_length=1)
    built_up_growth: Growth | None = None
    roads: Roads
    community_names: CommunityNames
    census: Census
    organisation: Organisation
    cases: Cases
    hotline: Hotline
    dirty: Dirty


def params_file(city_key: str) -> Path:
    return PARAMS_DIR / f"{city_key}.yaml"


def load_params(city_key: str = "shuozhou", path: Path | None = None) -> dict[str, Any]:
    """Read and check the generator parameters of ``city_key`` (or an explicit file)."""
    file = Path(path) if path is not None else params_file(city_key)
    if not file.is_file():
        raise ConfigError(str(file), "(file)", f"no synthetic-city parameters for city {city_key!r}")
    data = load_yaml(SynthParams, file).model_dump(exclude_unset=True)
    data["_file"] = str(file)
    return data
