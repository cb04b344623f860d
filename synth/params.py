"""The synthetic city's parameters: a versioned YAML file per city under ``synth/params/`` (configuration is data)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from szcg.errors import ConfigError
from szcg.vocabulary import INTAKE_SOURCES

PARAMS_DIR = Path(__file__).parent / "params"
_REQUIRED = ("geography_seed", "grid_size_m", "built_up", "census", "organisation", "cases", "hotline", "dirty")


def params_file(city_key: str) -> Path:
    return PARAMS_DIR / f"{city_key}.yaml"


def load_params(city_key: str = "shuozhou", path: Path | None = None) -> dict[str, Any]:
    """Read and check the generator parameters of ``city_key`` (or an explicit file)."""
    file = Path(path) if path is not None else params_file(city_key)
    if not file.is_file():
        raise ConfigError(str(file), "(file)", f"no synthetic-city parameters for city {city_key!r}")
    with file.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ConfigError(str(file), "(file)", "expected a mapping at the top level")
    for key in _REQUIRED:
        if key not in data:
            raise ConfigError(str(file), key, "missing (required)")
    for i, area in enumerate(data["built_up"], 1):
        for key in ("district", "centre", "area_km2", "streets"):
            if key not in area:
                raise ConfigError(str(file), f"built_up[{i}].{key}", "missing (required)")
        if not area["streets"]:
            raise ConfigError(str(file), f"built_up[{i}].streets", "at least one street is needed")
    src = data["cases"].get("sources", {})
    if set(src) - set(INTAKE_SOURCES):
        raise ConfigError(str(file), "cases.sources", f"unknown source in {sorted(src)}")
    for key in ("on_time_rate", "rework_rate", "return_rate", "extend_rate", "shelve_rate", "void_unverified"):
        value = data["cases"].get(key)
        if not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ConfigError(str(file), f"cases.{key}", f"{value!r}: expected a probability 0…1")
    data["_file"] = str(file)
    return data
