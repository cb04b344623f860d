"""The platform's Airflow home, ``$SZCG_DATA_DIR/airflow``: SQLite metadata, LocalExecutor, the repo's ``dags/``.

Its settings live in ``$SZCG_DATA_DIR/airflow/airflow.cfg`` (:func:`write_config`), so the plain ``airflow`` CLI
works with only ``AIRFLOW_HOME`` set, and ``szcg airflow up`` (:mod:`orchestration.airflow_local`) serves the same
metadata that ``make demo``'s ``dag.test()`` runs are recorded in.

Call :func:`configure` before the first ``import airflow`` in the process (Airflow reads its configuration at
import), then :func:`prepare` once: it migrates the metadata database (only when Airflow's version changed) and
creates the ``warehouse_writer`` pool.
"""

from __future__ import annotations

import configparser
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from orchestration.names import CST, WAREHOUSE_WRITER_POOL

REPO = Path(__file__).resolve().parents[1]
DAGS_FOLDER = REPO / "dags"
DEFAULT_API_PORT = 8080
ADMIN_USER = "admin"
PASSWORDS_FILE = "simple_auth_manager_passwords.json"


def sqlite_url(home: Path) -> str:
    """The metadata database. Four components and the task runs share one SQLite file: a writer waits up to
    30 s for the lock (sqlite3's 5 s default fails requests on a busy two-core machine: "database is locked")."""
    return f"sqlite:///{home / 'airflow.db'}?timeout=30"


def airflow_env(data_dir: Path) -> dict[str, str]:
    home = data_dir / "airflow"
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlite_url(home),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": CST,
        "SZCG_DATA_DIR": str(data_dir),
    }


def platform_settings(data_dir: Path, api_port: int) -> dict[str, dict[str, str]]:
    """What the platform sets in airflow.cfg, by section; everything else keeps Airflow's default."""
    home = data_dir / "airflow"
    base_url = f"http://127.0.0.1:{api_port}"
    return {
        "core": {
            "dags_folder": str(DAGS_FOLDER),
            "executor": "LocalExecutor",
            "load_examples": "False",
            "default_timezone": CST,
            # two cores: a handful of task processes at once; the warehouse pool still admits one writer
            "parallelism": "4",
            "execution_api_server_url": f"{base_url}/execution/",
            "simple_auth_manager_users": f"{ADMIN_USER}:admin",
            "simple_auth_manager_passwords_file": str(home / PASSWORDS_FILE),
        },
        "database": {"sql_alchemy_conn": sqlite_url(home)},
        "logging": {"base_log_folder": str(home / "logs")},
        "api": {"host": "127.0.0.1", "port": str(api_port), "base_url": base_url, "workers": "1"},
        "dag_processor": {"parsing_processes": "1"},
    }


def config_path(data_dir: Path) -> Path:
    return data_dir / "airflow" / "airflow.cfg"


def configured_port(data_dir: Path) -> int:
    """The API server port airflow.cfg names (Airflow's 8080 when there is no file yet)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(config_path(data_dir), encoding="utf-8")
    return parser.getint("api", "port", fallback=DEFAULT_API_PORT)


def write_config(data_dir: Path, api_port: int | None = None) -> Path:
    """Write ``$SZCG_DATA_DIR/airflow/airflow.cfg``: the platform's settings over whatever the file already has.

    Keys a user added stay; the secrets every component must share (JWT signing, API session) are generated once
    and kept, like the admin's password (file readable by its owner only). ``api_port`` None keeps the file's.
    """
    home = data_dir / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    path = config_path(data_dir)
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path, encoding="utf-8")
    port = api_port if api_port is not None else parser.getint("api", "port", fallback=DEFAULT_API_PORT)
    for section, values in platform_settings(data_dir, port).items():
        if not parser.has_section(section):
            parser.add_section(section)
        for key, value in values.items():
            parser.set(section, key, value)
    for section, key in (("api_auth", "jwt_secret"), ("api", "secret_key")):
        if not parser.has_section(section):
            parser.add_section(section)
        if not parser.get(section, key, fallback=""):
            parser.set(section, key, secrets.token_urlsafe(32))
    passwords = home / PASSWORDS_FILE
    if not passwords.is_file():
        _write_private(passwords, json.dumps({ADMIN_USER: secrets.token_urlsafe(12)}) + "\n")
    with open(_private(path), "w", encoding="utf-8") as fh:
        parser.write(fh)
    return path


def _private(path: Path) -> Path:
    """Create ``path`` (if needed) readable by its owner only, before any secret is written into it."""
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    return path


def _write_private(path: Path, text: str) -> None:
    with open(_private(path), "w", encoding="utf-8") as fh:
        fh.write(text)


def admin_password(data_dir: Path) -> str:
    return str(json.loads((data_dir / "airflow" / PASSWORDS_FILE).read_text(encoding="utf-8"))[ADMIN_USER])


def configure(data_dir: Path) -> dict[str, str]:
    """Point this process (and its children) at the platform's Airflow of ``data_dir``; writes its airflow.cfg."""
    env = airflow_env(data_dir)
    os.environ.update(env)
    write_config(data_dir)
    return env


def migrate_once(data_dir: Path) -> bool:
    """``airflow db migrate`` unless this Airflow version already migrated this home. Returns whether it ran."""
    import airflow

    home = Path(airflow_env(data_dir)["AIRFLOW_HOME"])
    marker = home / ".migrated"
    if marker.is_file() and marker.read_text().strip() == airflow.__version__ and (home / "airflow.db").is_file():
        return False
    env = {**os.environ, **airflow_env(data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    marker.write_text(airflow.__version__)
    return True


def ensure_pool(slots: int = 1) -> None:
    """The single-slot pool that serialises warehouse writers (the file lock is the cross-process guarantee)."""
    from airflow.models.pool import Pool

    Pool.create_or_update_pool(
        WAREHOUSE_WRITER_POOL,
        slots=slots,
        description="one writer at a time on the DuckDB warehouse",
        include_deferred=False,
    )


def prepare(data_dir: Path) -> None:
    configure(data_dir)
    migrate_once(data_dir)
    ensure_pool()
