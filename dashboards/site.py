"""Where this installation's Superset lives and how to reach it (all derived from the szcg settings).

Superset runs from its own virtualenv (``.venv-superset``: Superset pins SQLAlchemy<2 and pandas<2.2, so it cannot
share the pipeline's environment). Its metadata is SQLite under ``$SZCG_DATA_DIR/superset``; it listens on loopback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from szcg.settings import DEFAULT_SUPERSET_PORT, DEMO_SUPERSET_ADMIN, Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSETS_DIR = Path(__file__).resolve().parent / "assets"

# Documented demo defaults (README): override with SZCG_SUPERSET_ADMIN_USER / SZCG_SUPERSET_ADMIN_PASSWORD.
DEMO_ADMIN_USER, DEMO_ADMIN_PASSWORD = DEMO_SUPERSET_ADMIN
DEFAULT_PORT = DEFAULT_SUPERSET_PORT


@dataclass(frozen=True)
class SupersetSite:
    home: Path
    venv: Path
    published_db: Path
    admin_user: str = DEMO_ADMIN_USER
    admin_password: str = DEMO_ADMIN_PASSWORD
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    workers: int = 2

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.home / "superset_config.py"

    @property
    def metadata_db(self) -> Path:
        return self.home / "superset.db"

    @property
    def pid_file(self) -> Path:
        return self.home / "gunicorn.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "superset.log"

    @property
    def secret_file(self) -> Path:
        return self.home / ".secret_key"

    @property
    def initialized_marker(self) -> Path:
        return self.home / ".initialized"

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name

    @property
    def database_uri(self) -> str:
        """The warehouse as Superset opens it: the ``current`` symlink, resolved anew by every connection."""
        return f"duckdb:///{self.published_db}"


def site_from_settings(settings: Settings) -> SupersetSite:
    venv = settings.superset_venv or REPO_ROOT / ".venv-superset"
    return SupersetSite(
        home=settings.data_dir / "superset",
        venv=venv.absolute(),  # not resolve(): the venv's python is a symlink that must keep its venv
        published_db=settings.published_db_path,
        admin_user=settings.superset_admin_user,
        admin_password=settings.superset_admin_password,
        port=settings.superset_port,
    )
