"""One settings object for the whole platform, read from environment variables (``SZCG_*``).

The embedded default keeps everything under one data directory, so ``make demo`` needs no servers and a
``rm -rf var/`` starts afresh.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_CITY = "shuozhou"


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"environment variable {name}={value!r}: expected a whole number") from exc


@dataclass(frozen=True)
class Settings:
    """Where things live and which city this installation serves.

    Every path is derived from ``data_dir`` unless overridden, so one variable moves the whole installation.
    """

    data_dir: Path
    city: str = DEFAULT_CITY
    city_config_dir: Path | None = None
    casework_db_url: str = ""
    warehouse_keep_snapshots: int = 5
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def landing_dir(self) -> Path:
        return self.warehouse_dir / "landing"

    @property
    def snapshots_dir(self) -> Path:
        return self.warehouse_dir / "snapshots"

    @property
    def work_db_path(self) -> Path:
        """The single writer's database; readers never open it (they open the published snapshot)."""
        return self.warehouse_dir / "work" / "warehouse.duckdb"

    @property
    def current_snapshot_link(self) -> Path:
        """A symlink switched atomically at each publish; readers open ``current/warehouse.duckdb``."""
        return self.warehouse_dir / "current"

    @property
    def published_db_path(self) -> Path:
        return self.current_snapshot_link / "warehouse.duckdb"

    def with_data_dir(self, data_dir: Path) -> Settings:
        return replace(self, data_dir=data_dir, casework_db_url=_default_casework_url(data_dir))


def _default_casework_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'casework' / 'casework.sqlite'}"


def load_settings() -> Settings:
    """Read settings from the environment; call at start, pass the object down (no hidden globals)."""
    data_dir = _env_path("SZCG_DATA_DIR", Path.cwd() / "var")
    city_dir = os.environ.get("SZCG_CITY_CONFIG")
    keep = _env_int("SZCG_WAREHOUSE_KEEP_SNAPSHOTS", 5)
    if keep < 2:
        raise ValueError("SZCG_WAREHOUSE_KEEP_SNAPSHOTS must be at least 2 (the published one and its predecessor)")
    return Settings(
        data_dir=data_dir,
        city=os.environ.get("SZCG_CITY", DEFAULT_CITY),
        city_config_dir=Path(city_dir).expanduser().resolve() if city_dir else None,
        casework_db_url=os.environ.get("SZCG_CASEWORK_DB_URL") or _default_casework_url(data_dir),
        warehouse_keep_snapshots=keep,
    )
