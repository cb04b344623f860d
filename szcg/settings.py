"""One settings object for the whole platform, read from environment variables (``SZCG_*``).

The embedded default keeps everything under one data directory, so ``make demo`` needs no servers and a
``rm -rf var/`` starts afresh.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CITY = "shuozhou"
# Key of the callers' hash in the demo only (SZCG_DEMO=1, set by `make demo`); production must set SZCG_HASH_KEY.
DEMO_HASH_KEY = "szcg-demo-hash-key--public--never-use-in-production"
DEMO_SUPERSET_ADMIN = ("admin", "szcg-demo-admin")
DEFAULT_SUPERSET_PORT = 8088


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
    # the web portal (portal/): the key signing its cookies (None: one kept in data_dir/portal/secret), whether
    # users reach it over https (cookies marked Secure), its port for `szcg portal up`, the dashboards' address
    portal_secret: str | None = None
    portal_https: bool = False
    portal_port: int = 8710
    superset_url: str | None = None

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


class SettingsError(ValueError):
    """The environment does not make a valid configuration: names the variable, never a secret's value.

    A ValueError, so the CLI answers it as a usage error (exit 2): nothing was run.
    """


# SZCG_* variables read by something else than Settings: tools, the demo driver and the tests' helpers.
OTHER_VARIABLES = frozenset({
    "SZCG_DEMO_SCALE",   # size of the demo's synthetic city (szcg.demo)
    "SZCG_FONT_CACHE",   # where the reports' font is extracted (transforms.report.fonts)
    "SZCG_CHROMIUM",     # the browser that prints reports and screenshots (dashboards.screenshot)
    "SZCG_PG_BIN",       # PostgreSQL binaries of the case-service tests (tests/casework/pg.py)
    "SZCG_UPDATE_SCREENSHOTS",  # 1: the portal's browser tests rewrite docs/screenshots/ (tests/portal)
})
# Variables that meant something once: an explanation instead of "unknown".
RETIRED_VARIABLES = {
    "SZCG_HASH_SALT": "is no longer read: callers' numbers are hashed with a secret key now; set SZCG_HASH_KEY (at"
                      " least 32 characters) instead",
}


class _Environment(BaseSettings):
    """The ``SZCG_*`` environment as typed values (pydantic-settings); :func:`load_settings` turns it into Settings.

    An empty variable counts as unset, as it always has.
    """

    model_config = SettingsConfigDict(env_prefix="SZCG_", env_ignore_empty=True, extra="ignore", frozen=True)

    data_dir: Path | None = None
    city: str = DEFAULT_CITY
    city_config: Path | None = None
    casework_db_url: str | None = None
    warehouse_keep_snapshots: int = Field(default=5, ge=2)
    warehouse_storage_version: str = "latest"
    hash_key: str | None = None
    demo: bool = False
    casework_url: str | None = None
    casework_token: str | None = None
    casework_user: str | None = None
    casework_password: str | None = None
    superset_port: int = Field(default=DEFAULT_SUPERSET_PORT, ge=1, le=65535)
    superset_admin_user: str = DEMO_SUPERSET_ADMIN[0]
    superset_admin_password: str = DEMO_SUPERSET_ADMIN[1]
    superset_venv: Path | None = None
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_sender: str = "szcg@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    report_recipients: str = ""  # comma-separated addresses (not JSON)
    portal_secret: str | None = Field(default=None, min_length=32)
    portal_https: bool = False
    portal_port: int = Field(default=8710, ge=1, le=65535)
    superset_url: str | None = None


SECRET_VARIABLES = frozenset({"SZCG_HASH_KEY", "SZCG_CASEWORK_TOKEN", "SZCG_CASEWORK_PASSWORD",
                              "SZCG_SUPERSET_ADMIN_PASSWORD", "SZCG_SMTP_PASSWORD", "SZCG_PORTAL_SECRET"})
# What each variable must hold, for errors that name the variable and never repeat its value.
_EXPECTED = {
    "SZCG_WAREHOUSE_KEEP_SNAPSHOTS": "a whole number ≥ 2 (the published snapshot and its predecessor)",
    "SZCG_SUPERSET_PORT": "a port number 1–65535",
    "SZCG_SMTP_PORT": "a port number 1–65535",
    "SZCG_PORTAL_PORT": "a port number 1–65535",
    "SZCG_PORTAL_SECRET": "at least 32 characters",
    "SZCG_PORTAL_HTTPS": "1 or 0 (true/false, yes/no)",
    "SZCG_DEMO": "1 or 0 (true/false, yes/no)",
    "SZCG_SMTP_STARTTLS": "1 or 0 (true/false, yes/no)",
}


def known_variables() -> frozenset[str]:
    """Every ``SZCG_*`` variable the platform reads."""
    return frozenset(f"SZCG_{name.upper()}" for name in _Environment.model_fields) | OTHER_VARIABLES


def _check_names(environ: Mapping[str, str]) -> None:
    """An ``SZCG_*`` variable nothing reads is a mistake (a typo of SZCG_DATA_DIR would silently write to ./var):
    refuse it, with the closest known name."""
    known = known_variables()
    for name in sorted(environ):
        if not name.startswith("SZCG_") or name in known:
            continue
        if name in RETIRED_VARIABLES:
            if name == "SZCG_HASH_SALT" and environ.get("SZCG_HASH_KEY"):
                continue  # left over beside its replacement: harmless
            raise SettingsError(f"environment variable {name} {RETIRED_VARIABLES[name]}")
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise SettingsError(f"environment variable {name} is not a szcg setting{hint}; the settings are listed in"
                            " README.md (Settings) — unset it or correct its name")


def load_settings() -> Settings:
    """Read settings from the environment; call at start, pass the object down (no hidden globals).

    A variable with a wrong value, or an ``SZCG_*`` variable that is not a setting, is a :class:`SettingsError`
    naming the variable and what it must hold.
    """
    _check_names(os.environ)
    try:
        read = _Environment()
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        name = f"SZCG_{str(err['loc'][0]).upper()}"
        expected = _EXPECTED.get(name) or str(err["msg"]).removeprefix("Value error, ")
        shown = " (its value is not shown)" if name in SECRET_VARIABLES else f", got {err['input']!r}"
        raise SettingsError(f"environment variable {name}: expected {expected}{shown}") from None
    data_dir = read.data_dir.expanduser().resolve() if read.data_dir else Path.cwd() / "var"
    return Settings(
        data_dir=data_dir,
        city=read.city,
        city_config_dir=read.city_config.expanduser().resolve() if read.city_config else None,
        casework_db_url=read.casework_db_url or _default_casework_url(data_dir),
        warehouse_keep_snapshots=read.warehouse_keep_snapshots,
        warehouse_storage_version=read.warehouse_storage_version,
        hash_key=read.hash_key,
        demo=read.demo,
        casework_url=read.casework_url,
        casework_token=read.casework_token,
        casework_user=read.casework_user,
        casework_password=read.casework_password,
        superset_port=read.superset_port,
        superset_admin_user=read.superset_admin_user,
        superset_admin_password=read.superset_admin_password,
        superset_venv=read.superset_venv.expanduser().absolute() if read.superset_venv else None,
        smtp_host=read.smtp_host,
        smtp_port=read.smtp_port,
        smtp_sender=read.smtp_sender,
        smtp_user=read.smtp_user,
        smtp_password=read.smtp_password,
        smtp_starttls=read.smtp_starttls,
        report_recipients=tuple(a.strip() for a in read.report_recipients.split(",") if a.strip()),
        portal_secret=read.portal_secret,
        portal_https=read.portal_https,
        portal_port=read.portal_port,
        superset_url=read.superset_url.rstrip("/") if read.superset_url else None,
    )
