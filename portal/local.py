"""A local portal in the background (``szcg portal up`` / ``down`` / ``status``): ``szcg serve portal`` detached
in its own process group, its pid in ``<data_dir>/portal/portal.pid``, its log beside it. The demo starts it so
that the printed URL still answers after the demo has finished."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from szcg.errors import SzcgError
from szcg.pidfile import running_pid
from szcg.settings import Settings

DEFAULT_PORT = 8710


class PortalError(SzcgError):
    """The local portal could not be started or stopped."""


@dataclass(frozen=True)
class LocalPortal:
    data_dir: Path
    port: int = DEFAULT_PORT
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "portal" / "portal.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "portal" / "portal.log"


def local_portal(settings: Settings) -> LocalPortal:
    return LocalPortal(settings.data_dir, settings.portal_port)


def healthy(portal: LocalPortal, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{portal.url}/health", timeout=timeout).text == "ok"
    except httpx.HTTPError:
        return False


def start(settings: Settings, portal: LocalPortal, *, wait_s: float = 90.0) -> tuple[int, bool]:
    """Start the portal unless it runs already; → (pid, whether it was started now)."""
    pid = running_pid(portal.pid_file)
    if pid is not None and healthy(portal):
        return pid, False
    if healthy(portal):
        raise PortalError(f"port {portal.port} already serves another portal; set SZCG_PORTAL_PORT")
    portal.pid_file.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SZCG_DATA_DIR": str(settings.data_dir), "SZCG_CASEWORK_DB_URL": settings.casework_db_url}
    with portal.log_file.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "szcg.cli", "serve", "portal", "--host", portal.host, "--port", str(portal.port),
             "--log-level", "warning"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    portal.pid_file.write_text(f"{proc.pid}\n", encoding="utf-8")
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            portal.pid_file.unlink(missing_ok=True)
            raise PortalError(f"the portal exited at start (exit {proc.returncode}); see {portal.log_file}")
        if healthy(portal):
            return proc.pid, True
        time.sleep(0.3)
    stop(portal)
    raise PortalError(f"the portal did not answer on {portal.url} within {wait_s:.0f} s; see {portal.log_file}")


def stop(portal: LocalPortal, *, wait_s: float = 20.0) -> bool:
    """Stop the portal started by :func:`start`; False when none was running."""
    pid = running_pid(portal.pid_file)
    portal.pid_file.unlink(missing_ok=True)
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    return True


def demo_accounts(settings: Settings) -> list[tuple[str, str]]:
    """(username pattern, who) of the demo accounts (``szcg casework seed-demo-users``), for the demo's closing
    lines."""
    from casework.deadlines import load_standards

    st = load_standards(settings)
    district = st.areas.districts()[0]
    dept = next((d for d in st.departments if d.district_code is None), st.departments[0])
    return [
        ("operator", "受理员"), ("leader", "值班长（也可看月度报告）"),
        (f"dispatcher-{district.code}", f"{district.name}派遣员（dispatcher-<区县代码>；dispatcher 为市级）"),
        (f"supervisor-{district.code}", f"{district.name}监督员（supervisor-<区县代码>）"),
        (f"dept-{dept.code}", f"{dept.name}（dept-<部门代码>，专业部门，可提交申诉）"),
        (f"surveyor-{district.code}", f"{district.name}普查作业单位（surveyor-<区县代码>）"),
        ("evaluator", "评价办公室 / 领导（月度报告、看板）"), ("admin", "系统管理员"),
    ]
