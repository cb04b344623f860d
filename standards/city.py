"""Which city this installation serves, and where its configuration files are.

A city is a folder: packaged ``standards/cities/<key>/`` or ``settings.city_config_dir``. ``city.yaml`` names the
other files (paths relative to the folder), so another city adopts szcg by writing a folder, not code.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from standards._files import PACKAGE_DIR, file_stamp, read_yaml_model
from szcg.clock import ZONE_NAME, ZONE_NAMES
from szcg.configmodel import ConfigModel
from szcg.errors import ConfigError
from szcg.settings import DEFAULT_CITY, Settings

CITIES_DIR = PACKAGE_DIR / "cities"

# city.yaml key -> CityConfig attribute, for the files a city must provide.
_FILE_KEYS = {
    "calendar": "calendar_file",
    "departments": "departments_file",
    "handbook": "handbook_file",
    "areas": "areas_file",
    "admin_units": "admin_units_file",
    "district_geometry": "district_geometry_file",
}


@dataclass
class CityConfig:
    key: str
    name: str
    admin_code: str  # GB/T 2260 code of the city, e.g. "140600"
    edition: str  # catalogue edition key, see standards.catalogue.EDITIONS
    timezone: str
    config_dir: Path
    calendar_file: Path
    departments_file: Path
    handbook_file: Path
    areas_file: Path
    admin_units_file: Path
    district_geometry_file: Path
    catalogue_table: Path | None = None  # the city's own subclass table (completes a fragmentary edition)

    @property
    def city_file(self) -> Path:
        return self.config_dir / "city.yaml"


class _CityFiles(ConfigModel):
    """The city's configuration files, relative to its folder."""

    calendar: str = Field(description="the working calendar (calendar.yaml)")
    departments: str = Field(description="the departments table (departments.csv)")
    handbook: str = Field(description="the 指挥手册 (handbook.yaml)")
    areas: str = Field(description="the areas file (areas.yaml)")
    admin_units: str = Field(description="the GB/T 2260 admin-unit table (CSV)")
    district_geometry: str = Field(description="the districts' boundaries (GeoJSON, CGCS2000)")
    catalogue_table: str | None = None  # the city's own subclass table (completes a fragmentary edition)


class CityFile(ConfigModel):
    """``city.yaml`` as written."""

    key: str = Field(min_length=1)
    name: str = Field(min_length=1)
    admin_code: str = Field(pattern=r"^\d{6}$", description="the city's 6-digit GB/T 2260 code, quoted")
    edition: str = Field(description="the catalogue edition, e.g. gbt47678.5-2026")
    timezone: str = ZONE_NAME
    files: _CityFiles


@functools.lru_cache(maxsize=16)
def _load_city_dir(config_dir: Path, stamp: int) -> CityConfig:
    from standards.catalogue import EDITIONS  # local: catalogue imports nothing from here, keep it that way

    file = config_dir / "city.yaml"
    fname = str(file)
    data = read_yaml_model(CityFile, file)
    edition = data.edition
    if edition not in EDITIONS:
        raise ConfigError(fname, "edition", f"unknown edition {edition!r}; known: {', '.join(EDITIONS)}")
    timezone = data.timezone
    if timezone not in ZONE_NAMES:
        raise ConfigError(fname, "timezone", f"{timezone!r}: szcg keeps all instants in China Standard Time")
    paths: dict[str, Path] = {}
    for yaml_key, attr in _FILE_KEYS.items():
        path = (config_dir / getattr(data.files, yaml_key)).resolve()
        if not path.is_file():
            raise ConfigError(fname, f"files.{yaml_key}", f"file {path} does not exist")
        paths[attr] = path
    catalogue_table = None
    if data.files.catalogue_table:
        catalogue_table = (config_dir / data.files.catalogue_table).resolve()
        if not catalogue_table.is_file():
            raise ConfigError(fname, "files.catalogue_table", f"file {catalogue_table} does not exist")
    return CityConfig(
        key=data.key,
        name=data.name,
        admin_code=data.admin_code,
        edition=edition,
        timezone=timezone,
        config_dir=config_dir,
        catalogue_table=catalogue_table,
        **paths,
    )


def city_dir(settings: Settings, key: str | None = None) -> Path:
    """The folder holding the city's configuration."""
    if settings.city_config_dir is not None and key is None:
        return Path(settings.city_config_dir).resolve()
    return (CITIES_DIR / (key or settings.city)).resolve()


def packaged_city(key: str = DEFAULT_CITY) -> CityConfig:
    """A city packaged with szcg (``standards/cities/<key>/``), whatever the settings say: for tests and benchmarks
    that need a known city; jobs read the installation's city with :func:`load_city`."""
    return load_city_dir(CITIES_DIR / key)


def load_city(settings: Settings, key: str | None = None) -> CityConfig:
    """The city's configuration: packaged ``standards/cities/<key>/`` unless ``settings.city_config_dir`` is set."""
    directory = city_dir(settings, key)
    file = directory / "city.yaml"
    if not file.is_file():
        known = sorted(p.name for p in CITIES_DIR.iterdir() if (p / "city.yaml").is_file())
        raise ConfigError(str(file), "(file)", f"no city configuration here; packaged cities: {', '.join(known)}")
    return _load_city_dir(directory, file_stamp(file))


def load_city_dir(config_dir: Path) -> CityConfig:
    """A city configuration from an explicit folder (``validate-config --city-dir``)."""
    directory = Path(config_dir).resolve()
    file = directory / "city.yaml"
    if not file.is_file():
        raise ConfigError(str(file), "(file)", "file not found")
    return _load_city_dir(directory, file_stamp(file))
