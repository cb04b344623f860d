"""An embedded Airflow for ``make demo`` and the DAG tests: SQLite metadata under ``$SZCG_DATA_DIR/airflow``,
no scheduler, DAGs run with ``dag.test()``.

Call :func:`configure` before the first ``import airflow`` in the process (Airflow reads its configuration at
import), then :func:`prepare` once: it migrates the metadata database (only when Airflow's version changed) and
creates the ``warehouse_writer`` pool.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration.names import WAREHOUSE_WRITER_POOL

REPO = Path(__file__).resolve().parents[1]
DAGS_FOLDER = REPO / "dags"


def airflow_env(data_dir: Path) -> dict[str, str]:
    home = data_dir / "airflow"
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
        "SZCG_DATA_DIR": str(data_dir),
    }


def configure(data_dir: Path) -> dict[str, str]:
    """Point this process (and its children) at the embedded Airflow of ``data_dir``."""
    env = airflow_env(data_dir)
    os.environ.update(env)
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
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
