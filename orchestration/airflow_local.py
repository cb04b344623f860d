"""``szcg airflow up`` / ``down``: the platform's Airflow under a real scheduler, on loopback.

Four processes, each in its own session with a pid file and a log under ``$AIRFLOW_HOME/run``: the API server
(UI and REST ``/api/v2``), the scheduler (LocalExecutor), the DAG processor and the triggerer. They read
``$SZCG_DATA_DIR/airflow/airflow.cfg`` and nothing else of Airflow's from the environment (inherited
``AIRFLOW__*`` variables are dropped), so what they do is what the plain ``airflow`` CLI sees with only
``AIRFLOW_HOME`` set. The ``SZCG_*`` environment is passed on: tasks read their settings from it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from orchestration import airflow_env
from szcg.errors import SzcgError
from szcg.pidfile import running_pid as pid_from_file

log = logging.getLogger(__name__)

COMPONENTS: tuple[str, ...] = ("api-server", "scheduler", "dag-processor", "triggerer")
# /api/v2/monitor/health names each component's heartbeat
HEALTH_KEYS = {"scheduler": "scheduler", "dag-processor": "dag_processor", "triggerer": "triggerer"}


class AirflowError(SzcgError):
    """The platform's Airflow could not be set up, started or reached."""


@dataclass(frozen=True)
class LocalAirflow:
    """One platform Airflow: its home under the data directory and the API server's port."""

    data_dir: Path
    port: int

    @property
    def home(self) -> Path:
        return self.data_dir / "airflow"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    def pid_file(self, component: str) -> Path:
        return self.run_dir / f"{component}.pid"

    def log_file(self, component: str) -> Path:
        return self.run_dir / f"{component}.log"


def local_airflow(data_dir: Path, port: int | None = None) -> LocalAirflow:
    """The Airflow of ``data_dir``; ``port`` None keeps the one airflow.cfg names."""
    return LocalAirflow(data_dir, port if port is not None else airflow_env.configured_port(data_dir))


def component_env(site: LocalAirflow) -> dict[str, str]:
    """The caller's environment without Airflow's variables, plus AIRFLOW_HOME, SZCG_DATA_DIR and the venv on PATH
    (Airflow's components start ``airflow`` sub-commands by name)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(site.home),
        SZCG_DATA_DIR=str(site.data_dir),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    env.update(_local_case_feed(site.data_dir, env))
    return env


def _local_case_feed(data_dir: Path, env: dict[str, str]) -> dict[str, str]:
    """The case feed of the case service running on this data directory (the demo leaves one), unless the caller
    named one: its URL, and in the demo (SZCG_DEMO=1) the demo's feed reader when no credentials are given."""
    from casework.cli import DEMO_PASSWORD, LOCAL_NAME
    from szcg.localserver import running_url

    if env.get("SZCG_CASEWORK_URL"):
        return {}
    url = running_url(data_dir / "casework", LOCAL_NAME)
    if url is None:
        return {}
    feed = {"SZCG_CASEWORK_URL": url}
    demo = env.get("SZCG_DEMO", "").lower() not in ("", "0", "false", "no")
    if demo and not (env.get("SZCG_CASEWORK_TOKEN") or env.get("SZCG_CASEWORK_USER")):
        feed.update(SZCG_CASEWORK_USER="evaluator", SZCG_CASEWORK_PASSWORD=DEMO_PASSWORD)
    return feed


# One interpreter migrates (when asked) and sets the pool: each Airflow CLI call costs seconds of imports.
_PREPARE = """
import sys
from airflow.utils import db
if sys.argv[1] == "migrate":
    db.upgradedb()
from orchestration.airflow_env import ensure_pool
ensure_pool()
"""


def prepare(site: LocalAirflow) -> None:
    """airflow.cfg, the metadata database (migrated when Airflow's version changed) and the writer pool."""
    started = time.perf_counter()
    airflow_env.write_config(site.data_dir, site.port)
    site.run_dir.mkdir(parents=True, exist_ok=True)
    marker = site.home / ".migrated"
    version = _installed_airflow_version()
    migrate = not (marker.is_file() and marker.read_text().strip() == version and (site.home / "airflow.db").is_file())
    done = subprocess.run(
        [sys.executable, "-c", _PREPARE, "migrate" if migrate else "pool"],
        env=component_env(site), capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise AirflowError(f"setting up Airflow's metadata database failed (exit {done.returncode}):\n"
                           f"{done.stderr[-2000:]}")
    if migrate:
        marker.write_text(version)
    log.info("airflow metadata %s and pool %s in %.1f s", "migrated" if migrate else "up to date",
             airflow_env.WAREHOUSE_WRITER_POOL, time.perf_counter() - started)


def _installed_airflow_version() -> str:
    from importlib.metadata import version

    return version("apache-airflow")


def running_pid(site: LocalAirflow, component: str) -> int | None:
    return pid_from_file(site.pid_file(component))


def health(site: LocalAirflow, timeout: float = 2.0) -> dict[str, Any] | None:
    """``/api/v2/monitor/health`` (no login needed), or None when the API server does not answer."""
    try:
        response = httpx.get(f"{site.url}/api/v2/monitor/health", timeout=timeout)
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None


def unhealthy(report: dict[str, Any] | None) -> list[str]:
    """The components the health report does not show as healthy (all of them when there is no report)."""
    if report is None:
        return list(COMPONENTS)
    down = [] if report.get("metadatabase", {}).get("status") == "healthy" else ["metadatabase"]
    return down + [c for c, key in HEALTH_KEYS.items() if (report.get(key) or {}).get("status") != "healthy"]


def start(site: LocalAirflow, *, wait_s: float = 240.0) -> dict[str, int]:
    """Start the components not yet running and wait until every one reports healthy; returns their pids."""
    started = time.perf_counter()
    if running_pid(site, "api-server") is None and health(site) is not None:
        raise AirflowError(f"port {site.port} already serves another Airflow; choose another with --port")
    prepare(site)
    pids: dict[str, int] = {}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    for component in COMPONENTS:
        pid = running_pid(site, component)
        if pid is not None:
            pids[component] = pid
            continue
        with site.log_file(component).open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "airflow", component],
                env=component_env(site), stdout=out, stderr=subprocess.STDOUT, cwd=site.home,
                start_new_session=True,
            )
        site.pid_file(component).write_text(f"{proc.pid}\n", encoding="utf-8")
        pids[component], procs[component] = proc.pid, proc
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        for component, proc in procs.items():
            if proc.poll() is not None:
                stop(site)
                raise AirflowError(f"airflow {component} exited at start (exit {proc.returncode});"
                                   f" see {site.log_file(component)}")
        if not unhealthy(health(site)):
            log.info("airflow up at %s: %s in %.1f s", site.url, pids, time.perf_counter() - started)
            return pids
        time.sleep(1.0)
    waiting = unhealthy(health(site))
    stop(site)
    raise AirflowError(f"Airflow not healthy within {wait_s:.0f} s (waiting for {', '.join(waiting)}); see the logs"
                       f" in {site.run_dir}")


def stop(site: LocalAirflow, *, wait_s: float = 30.0) -> list[str]:
    """Stop the components started by :func:`start`; returns the ones that were running. The API server goes
    last: the scheduler lets running tasks finish, and they report their state through the API."""
    running = {c: pid for c in COMPONENTS if (pid := running_pid(site, c)) is not None}
    workers = {c: pid for c, pid in running.items() if c != "api-server"}
    _terminate(workers, wait_s)
    _terminate({c: pid for c, pid in running.items() if c == "api-server"}, wait_s)
    for component in COMPONENTS:
        site.pid_file(component).unlink(missing_ok=True)
    return list(running)


def _terminate(pids: dict[str, int], wait_s: float) -> None:
    """SIGTERM each component (it shuts down what it started), then SIGKILL whatever of its group outlives
    ``wait_s``."""
    for pid in pids.values():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_s
    left = dict(pids)
    while left and time.monotonic() < deadline:
        for component, pid in list(left.items()):
            if not _group_alive(pid):
                del left[component]
        time.sleep(0.2)
    for pid in left.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    if left:
        log.warning("airflow %s did not stop within %.0f s: killed", ", ".join(left), wait_s)


def _group_alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # our own child (tests): reap it, or it stays a zombie in the group
    try:
        os.killpg(pid, 0)  # anyone left in the group (task processes of the executor too)?
    except ProcessLookupError:
        return False
    return True
