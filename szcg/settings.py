"""One settings object for the whole platform, read from environment variables (``SZCG_*``).

The embedded default keeps everything under one data directory, so ``make demo`` needs no servers and a
``rm -rf var/`` starts afresh.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_CITY = "shuozhou"
# Key of the callers' hash in the demo only (SZCG_DEMO=1, set by `make demo`); production must set SZCG_HASH_KEY.
DEMO_HASH_KEY = "szcg-demo-hash-key--public--never-use-in-production"
DEMO_SUPERSET_ADMIN = ("admin", "szcg-demo-admin")
DEFAULT_SUPERSET_PORT = 8088


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
    # DuckDB storage format of a new work database (an existing file keeps the one it was created with). "latest"
    # writes ≈ 35 % faster than DuckDB's default v0.10.2 format; every reader here (pipeline, Airflow, Superset)
    # runs the same DuckDB release, so nothing older has to open the files.
    warehouse_storage_version: str = "latest"
    hash_key: str | None = None  # secret key of the keyed hash (HMAC) of callers' phone numbers: SZCG_HASH_KEY
    demo: bool = False  # SZCG_DEMO=1: the demo on a synthetic city, which may run without production secrets
    # The case service as a client sees it (the casework_sync DAG): address and credentials.
    casework_url: str | None = None
    casework_token: str | None = None
    casework_user: str | None = None
    casework_password: str | None = None
    # The local Superset of `szcg dashboards up`.
    superset_port: int = DEFAULT_SUPERSET_PORT
    superset_admin_user: str = DEMO_SUPERSET_ADMIN[0]
    superset_admin_password: str = DEMO_SUPERSET_ADMIN[1]
    superset_venv: Path | None = None  # default: .venv-superset beside the code
    # Mail for the monthly report (and the cockpit): no host means nothing is sent (the report is still archived).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "szcg@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    report_recipients: tuple[str, ...] = ()

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
    superset_venv = os.environ.get("SZCG_SUPERSET_VENV")
    if os.environ.get("SZCG_HASH_SALT") and not os.environ.get("SZCG_HASH_KEY"):
        raise ValueError("SZCG_HASH_SALT is no longer read: callers' numbers are hashed with a secret key now; set"
                         " SZCG_HASH_KEY (at least 32 characters) instead")
    return Settings(
        data_dir=data_dir,
        city=os.environ.get("SZCG_CITY", DEFAULT_CITY),
        city_config_dir=Path(city_dir).expanduser().resolve() if city_dir else None,
        casework_db_url=os.environ.get("SZCG_CASEWORK_DB_URL") or _default_casework_url(data_dir),
        warehouse_keep_snapshots=keep,
        warehouse_storage_version=os.environ.get("SZCG_WAREHOUSE_STORAGE_VERSION") or "latest",
        hash_key=os.environ.get("SZCG_HASH_KEY") or None,
        demo=os.environ.get("SZCG_DEMO", "") not in ("", "0"),
        casework_url=os.environ.get("SZCG_CASEWORK_URL") or None,
        casework_token=os.environ.get("SZCG_CASEWORK_TOKEN") or None,
        casework_user=os.environ.get("SZCG_CASEWORK_USER") or None,
        casework_password=os.environ.get("SZCG_CASEWORK_PASSWORD") or None,
        superset_port=_env_int("SZCG_SUPERSET_PORT", DEFAULT_SUPERSET_PORT),
        superset_admin_user=os.environ.get("SZCG_SUPERSET_ADMIN_USER") or DEMO_SUPERSET_ADMIN[0],
        superset_admin_password=os.environ.get("SZCG_SUPERSET_ADMIN_PASSWORD") or DEMO_SUPERSET_ADMIN[1],
        superset_venv=Path(superset_venv).expanduser().absolute() if superset_venv else None,
        smtp_host=os.environ.get("SZCG_SMTP_HOST") or None,
        smtp_port=_env_int("SZCG_SMTP_PORT", 25),
        smtp_sender=os.environ.get("SZCG_SMTP_SENDER") or "szcg@localhost",
        smtp_user=os.environ.get("SZCG_SMTP_USER") or None,
        smtp_password=os.environ.get("SZCG_SMTP_PASSWORD") or None,
        smtp_starttls=os.environ.get("SZCG_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
        report_recipients=tuple(a.strip() for a in os.environ.get("SZCG_REPORT_RECIPIENTS", "").split(",")
                                if a.strip()),
    )
